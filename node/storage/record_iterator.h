#pragma once
// Builds the user-facing RecordIterator of StorageEngine::NewIterator over a Snapshot:
// the merged memtables and tables, newest visible version per key, within [start, end).

#include <memory>

#include "node/storage/engine.h"
#include "node/storage/version.h"

namespace ringkv::storage {

std::unique_ptr<RecordIterator> NewSnapshotIterator(std::shared_ptr<const Snapshot> snapshot, std::string start,
                                                    std::string end);

}  // namespace ringkv::storage
