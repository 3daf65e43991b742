#include "cli/command_template.h"

namespace ringkv::cli {

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

Result<std::string> ExpandCommand(const std::string& templ, const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '{') {
      out += templ[i];
      continue;
    }
    if (i + 1 < templ.size() && templ[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = templ.find('}', i);
    if (close == std::string::npos) return Status::InvalidArgument("unclosed { in the command: " + templ);
    std::string name = templ.substr(i + 1, close - i - 1);
    auto it = values.find(name);
    if (it == values.end()) {
      std::string known;
      for (const auto& [k, _] : values) known += (known.empty() ? "{" : ", {") + k + "}";
      return Status::InvalidArgument("unknown placeholder {" + name + "} in the command (known: " + known + ")");
    }
    out += ShellQuote(it->second);
    i = close;
  }
  return out;
}

}  // namespace ringkv::cli
