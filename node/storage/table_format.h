#pragma once
// The physical pieces of an SSTable file shared by the builder and the reader: block
// handles, the per-block trailer (compression type + checksum), the fixed-size footer,
// and the properties encoding. Layout: see sstable_builder.h.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/config.h"
#include "node/storage/file.h"
#include "node/storage/sstable_builder.h"
#include "ringkv/status.h"

namespace ringkv::storage {

inline constexpr size_t kBlockTrailerSize = 5;  // [type : 1][masked checksum32 : 4]
inline constexpr size_t kFooterSize = 64;

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // without the trailer
};

struct Footer {
  BlockHandle bloom;
  BlockHandle properties;
  BlockHandle index;
};

void EncodeHandle(const BlockHandle& h, std::string* out);  // two varint64s
bool DecodeHandle(std::string_view* in, BlockHandle* h);

// Appends `contents` (compressed with `compression` when that saves >= 12.5%) and its
// trailer to `file`; returns where it went.
Result<BlockHandle> WriteBlock(WritableFile* file, std::string_view contents, Compression compression,
                               std::string* scratch);
// Reads, verifies and decompresses the block at `handle` (any handle: it is checked against
// the file's size). Errors are BlockCorruption(file, problem, kind, offset).
Result<std::shared_ptr<const std::string>> ReadBlock(const RandomAccessFile& file, const BlockHandle& handle,
                                                     const char* kind);

std::string EncodeFooter(const Footer& footer);
Result<Footer> DecodeFooter(std::string_view bytes, const std::string& path);

std::string EncodeProperties(const TableProperties& p);
bool DecodeProperties(std::string_view in, TableProperties* p);

}  // namespace ringkv::storage
