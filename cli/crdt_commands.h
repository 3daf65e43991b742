#pragma once
// `kv counter get|incr|decr KEY [N]` and `kv set get|add|remove KEY [VALUE...]`: CRDT
// values (ringkv/crdt.h) through a CrdtClient, so siblings are merged, never shown. Each
// kv process is a new actor: a key updated by many shells holds one small entry per shell.

#include <string>
#include <vector>

#include "cli/commands.h"
#include "ringkv/client.h"

namespace ringkv::cli {

// `words` as for RunCommand; returns -1 when `words` is not a counter or set command.
int RunCrdtCommand(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
                   const Output& out);

}  // namespace ringkv::cli
