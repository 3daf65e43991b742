#pragma once
// The kv shell's commands, shared by one-shot use and the REPL. Each command prints its
// result (text or JSON) and returns the process exit code for it.

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/client.h"

namespace ringkv::cli {

// Exit codes: distinct per outcome so scripts can branch on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,
  kExitBadInput = 2,
  kExitQuorum = 3,            // quorum not reached or timed out
  kExitUnavailable = 4,       // no node reachable
  kExitError = 5,             // anything else (a node's storage error...)
  kExitUnauthenticated = 6,   // no or wrong token (--token-file)
  kExitExists = 7,            // put --if-absent: the key holds a value (nothing written)
  kExitPermissionDenied = 8,  // the user's role does not allow the command (kv user list)
  kExitInconsistent = 9,      // kv verify found lost, phantom or resurrected values
};

struct Output {
  bool json = false;
  std::ostream* out;
  std::ostream* err;
};

int ExitCodeFor(const Status& s);
int Fail(const Output& o, const Status& s);
int Usage(const Output& o, const std::string& what);

// Admin commands (admin_commands.cc): cluster status, hints, repair, node decommission/remove,
// namespaces (ns list|show|create|alter|drop).
// `words` as for RunCommand; returns -1 when `words` is not an admin command.
int RunAdminCommand(Client& client, const std::vector<std::string>& words, const Output& out);

// User commands (user_commands.cc): user add|grant|revoke|remove|list. Returns -1 when
// `words` is not a user command.
int RunUserCommand(Client& client, const std::vector<std::string>& words, const Output& out);
std::string UserCommandHelp();

// Backup commands (backup_commands.cc): backup create|list|delete NAME, backup restore
// DIR.... Returns -1 when `words` is not a backup command.
int RunBackupCommand(Client& client, const std::vector<std::string>& words, const Output& out);
std::string BackupCommandHelp();

// Batch commands (batch_commands.cc): mget KEY..., mput KEY=VALUE... (one MultiGet or
// MultiPut; a line per key, or a JSON array with --json). `words` and `context_hex` as
// for RunCommand; returns -1 when `words` is not a batch command.
int RunBatchCommand(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
                    const std::string& context_hex, const Output& out);

// `words` is the command and its arguments, e.g. {"put", "k", "v"}.
int RunCommand(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
               const std::string& context_hex, const Output& out);

// `put KEY [VALUE | -] --if-absent` (Client::PutIfAbsent): `words` as for RunCommand.
int PutIfAbsent(Client& client, const std::vector<std::string>& words, const RequestOptions& request,
                const Output& out);

std::string CommandHelp();
// Whether WORD is a one-shot command: one CommandHelp() lists (a line "  WORD ..." of its
// commands part), or help/delete. kv checks it before connecting, so a typo exits 2 at once.
bool IsCommand(const std::string& word);

// A put's --ttl: a positive whole number with a unit, ms, s, m, h or d ("30s", "500ms",
// "2h"); InvalidArgument naming the text otherwise. The SDK checks the range (≤ 10 years).
Result<std::chrono::milliseconds> ParseTtl(std::string_view text);

}  // namespace ringkv::cli
