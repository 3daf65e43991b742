#include "cli/repl.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace ringkv::cli {

std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false, quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      cur.push_back(line[++i]);
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

namespace {

// Takes "--context HEX" out of the words, if present.
std::string TakeContext(std::vector<std::string>* words) {
  for (size_t i = 0; i + 1 < words->size(); ++i) {
    if ((*words)[i] == "--context") {
      std::string hex = (*words)[i + 1];
      words->erase(words->begin() + static_cast<std::ptrdiff_t>(i),
                   words->begin() + static_cast<std::ptrdiff_t>(i) + 2);
      return hex;
    }
  }
  return "";
}

}  // namespace

int RunRepl(Client& client, const RequestOptions& request, const Output& out) {
  bool interactive = ::isatty(STDIN_FILENO) != 0;
  if (interactive) *out.out << "ringkv shell — type 'help' for commands, 'quit' to leave\n";
  std::vector<std::string> history;
  int last = kExitOk;
  for (;;) {
    std::string line;
    if (interactive) {
      char* raw = ::readline("kv> ");
      if (raw == nullptr) break;  // EOF (Ctrl-D)
      line = raw;
      std::free(raw);
      if (!line.empty()) ::add_history(line.c_str());
    } else if (!std::getline(std::cin, line)) {
      break;
    }
    auto words = SplitWords(line);
    if (words.empty()) continue;
    history.push_back(line);
    if (words[0] == "quit" || words[0] == "exit") break;
    if (words[0] == "history") {
      for (size_t i = 0; i < history.size(); ++i) *out.out << "  " << i + 1 << "  " << history[i] << "\n";
      continue;
    }
    if (words[0] == "help") {
      *out.out << CommandHelp() << "shell only: history, quit\n";
      continue;
    }
    std::string context = TakeContext(&words);
    if (words[0] == "put" && words.size() == 2) {
      *out.err << "error: in the shell, put needs a VALUE\n";
      last = kExitBadInput;
      continue;
    }
    last = RunCommand(client, words, request, context, out);
  }
  return last;
}

}  // namespace ringkv::cli
