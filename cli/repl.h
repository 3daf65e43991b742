#pragma once
// The kv shell's interactive mode: line editing and history (libedit), `help`, `history`,
// `quit`. Each line is a command as on the command line, e.g. `put k v --context HEX`.

#include "cli/commands.h"

namespace ringkv::cli {

// Splits a line into words; double quotes group words ("a b"), backslash escapes.
std::vector<std::string> SplitWords(const std::string& line);
int RunRepl(Client& client, const RequestOptions& request, const Output& out);

}  // namespace ringkv::cli
