// kv's user commands (kv user add|grant|revoke|remove|list): the cluster's users and their
// roles per namespace (docs/security.md). The caller needs the admin role or the client
// token; the nodes check it (PermissionDenied, exit 8, otherwise).

#include <boost/json.hpp>
#include <iomanip>
#include <iostream>
#include <string>

#include "cli/commands.h"

namespace ringkv::cli {
namespace {

namespace json = boost::json;

// A new user's password: the first line of stdin (never an argument, which `ps` shows).
Result<std::string> ReadNewPassword() {
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    return Status::InvalidArgument("user add reads the new user's password from stdin (first line): nothing added");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

int Done(const Output& o, const std::string& what, const std::string& name) {
  if (o.json) {
    *o.out << json::serialize(json::object{{"user", name}, {"ok", true}}) << "\n";
  } else {
    *o.out << what << "\n";
  }
  return kExitOk;
}

int List(Client& c, const Output& o) {
  auto users = c.ListUsers();
  if (!users.ok()) return Fail(o, users.status());
  if (o.json) {
    json::array rows;
    for (const UserInfo& u : *users) {
      json::object grants;
      for (const auto& [ns, role] : u.grants) grants[ns] = role;
      rows.push_back(json::object{{"user", u.name}, {"grants", std::move(grants)}});
    }
    *o.out << json::serialize(rows) << "\n";
    return kExitOk;
  }
  *o.out << std::left << std::setw(24) << "user"
         << "grants (namespace=role; *: every namespace)\n";
  for (const UserInfo& u : *users) {
    std::string grants;
    for (const auto& [ns, role] : u.grants) grants += (grants.empty() ? "" : " ") + ns + "=" + role;
    *o.out << std::left << std::setw(24) << u.name << (grants.empty() ? "(none)" : grants) << "\n";
  }
  return kExitOk;
}

}  // namespace

std::string UserCommandHelp() {
  return "  user add NAME [ROLE [NS]]  add a user; its password is read from stdin (first line);\n"
         "                          with ROLE (read|write|admin) also grant it on NS (default *: all)\n"
         "  user grant NAME ROLE [NS]  read: get/scan, write: also put/del, admin: also admin\n"
         "                          commands (admin on * only); NS default *\n"
         "  user revoke NAME [NS]   remove the user's grant on NS (default *)\n"
         "  user remove NAME        remove the user (its open connections are refused at once)\n"
         "  user list               users and their grants (admin role or the client token needed\n"
         "                          for every user command; exit 8: permission denied)\n";
}

int RunUserCommand(Client& client, const std::vector<std::string>& w, const Output& o) {
  if (w.empty() || w[0] != "user") return -1;
  const std::string sub = w.size() > 1 ? w[1] : "";
  if (sub == "list" && w.size() == 2) return List(client, o);
  if (sub == "add" && w.size() >= 3 && w.size() <= 5) {
    auto password = ReadNewPassword();
    if (!password.ok()) return Fail(o, password.status());
    Status s = client.AddUser(w[2], *password, w.size() > 3 ? w[3] : "", w.size() > 4 ? w[4] : "*");
    if (!s.ok()) return Fail(o, s);
    return Done(o, "added user " + w[2], w[2]);
  }
  if (sub == "grant" && (w.size() == 4 || w.size() == 5)) {
    const std::string ns = w.size() == 5 ? w[4] : "*";
    Status s = client.GrantUser(w[2], w[3], ns);
    if (!s.ok()) return Fail(o, s);
    return Done(o, "granted " + w[3] + " on " + ns + " to " + w[2], w[2]);
  }
  if (sub == "revoke" && (w.size() == 3 || w.size() == 4)) {
    const std::string ns = w.size() == 4 ? w[3] : "*";
    Status s = client.RevokeUser(w[2], ns);
    if (!s.ok()) return Fail(o, s);
    return Done(o, "revoked " + w[2] + "'s grant on " + ns, w[2]);
  }
  if (sub == "remove" && w.size() == 3) {
    Status s = client.RemoveUser(w[2]);
    if (!s.ok()) return Fail(o, s);
    return Done(o, "removed user " + w[2], w[2]);
  }
  return Usage(o, "usage:\n" + UserCommandHelp());
}

}  // namespace ringkv::cli
