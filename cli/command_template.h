#pragma once
// A provisioner command template (`kv autoscale --provision-cmd`): `{name}` placeholders
// replaced by shell-quoted values, so an address or id can never split into two words or
// run anything. Pure.

#include <map>
#include <string>

#include "ringkv/status.h"

namespace ringkv::cli {

// `templ` with each {name} replaced by 'value' (single-quoted, a ' inside as '\''); `{{`
// is a literal `{`. InvalidArgument naming it for an unknown {name} or an unclosed brace.
Result<std::string> ExpandCommand(const std::string& templ, const std::map<std::string, std::string>& values);

// 'text' for /bin/sh.
std::string ShellQuote(const std::string& text);

}  // namespace ringkv::cli
