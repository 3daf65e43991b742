// The user catalog (node/cluster/user_catalog.h, users.h): hashed passwords, roles per
// namespace, gossip merges and the USERS file.

#include <catch2/catch.hpp>

#include "node/cluster/user_catalog.h"
#include "node/cluster/users.h"
#include "node/storage/file.h"
#include "tests/temp_dir.h"

using namespace ringkv;
using ringkv::testing::TempDir;

namespace {
constexpr uint32_t kFast = 1000;  // iterations: the tests check the logic, not the cost
}

TEST_CASE("a password is stored salted and hashed, verifies only itself, and two users' hashes differ") {
  UserCatalog catalog;
  auto alice = catalog.Add("alice", "correct horse battery", "n1", 100, kFast);
  REQUIRE(alice.ok());
  auto bob = catalog.Add("bob", "correct horse battery", "n1", 100, kFast);
  REQUIRE(bob.ok());
  CHECK(alice->hash.size() == 32);
  CHECK(alice->salt.size() == 16);
  CHECK(alice->hash != bob->hash);  // same password, different salt
  CHECK(alice->hash.find("correct horse battery") == std::string::npos);
  CHECK(alice->Verify("correct horse battery"));
  CHECK_FALSE(alice->Verify("correct horse batterY"));
  CHECK_FALSE(alice->Verify(""));
  CHECK_THAT(catalog.Encode(), !Catch::Contains("correct horse battery"));

  CHECK(catalog.Add("alice", "another password one", "n1", 101, kFast).status().IsInvalidArgument());  // exists
  CHECK_THAT(catalog.Add("carol", "short", "n1", 100, kFast).status().message(), Catch::Contains("at least 16"));
  CHECK(catalog.Add("bad name", "long enough password", "n1", 100, kFast).status().IsInvalidArgument());
}

TEST_CASE("a role on * covers every namespace, a grant on one namespace only that one, admin only on *") {
  UserCatalog catalog;
  REQUIRE(catalog.Add("ann", "password-1-long-enough", "n1", 1, kFast).ok());
  CHECK(catalog.Find("ann")->RoleOn("default") == Role::kNone);
  REQUIRE(catalog.Grant("ann", "*", Role::kRead, "n1", 2).ok());
  REQUIRE(catalog.Grant("ann", "orders", Role::kWrite, "n1", 3).ok());
  const UserRecord* ann = catalog.Find("ann");
  CHECK(ann->RoleOn("default") == Role::kRead);
  CHECK(ann->RoleOn("orders") == Role::kWrite);
  CHECK(ann->RoleOn("*") == Role::kRead);
  CHECK_THAT(catalog.Grant("ann", "orders", Role::kAdmin, "n1", 4).status().message(), Catch::Contains("on *"));
  REQUIRE(catalog.Revoke("ann", "orders", "n1", 5).ok());
  CHECK(catalog.Find("ann")->RoleOn("orders") == Role::kRead);
  CHECK(catalog.Revoke("ann", "orders", "n1", 6).status().IsNotFound());
  CHECK(catalog.Grant("nobody", "*", Role::kRead, "n1", 7).status().IsNotFound());
  REQUIRE(catalog.Remove("ann", "n1", 8).ok());
  CHECK(catalog.Find("ann") == nullptr);
}

TEST_CASE("gossip merges keep the later change of each user everywhere, and a removal is not undone") {
  UserCatalog a, b;
  auto added = a.Add("dan", "password-2-long-enough", "n1", 10, kFast);
  REQUIRE(added.ok());
  CHECK(b.Merge(a.Records()));
  CHECK_FALSE(b.Merge(a.Records()));  // nothing new
  REQUIRE(b.Grant("dan", "*", Role::kWrite, "n2", 20).ok());
  REQUIRE(a.Remove("dan", "n1", 30).ok());
  a.Merge(b.Records());
  b.Merge(a.Records());
  CHECK(a.Find("dan") == nullptr);
  CHECK(b.Find("dan") == nullptr);  // the removal (30) is later than the grant (20)
  CHECK(a.Records().size() == 1);   // kept as a tombstone
}

TEST_CASE("the USERS file round-trips, and a damaged one is refused as corruption") {
  TempDir dir;
  const std::string path = dir.file("USERS");
  {
    auto users = Users::Open(path, "n1");
    REQUIRE(users.ok());
    REQUIRE((*users)->Add("eve", "password-3-long-enough", 1).ok());
    REQUIRE((*users)->Grant("eve", "logs", Role::kRead, 2).ok());
    REQUIRE((*users)->FlushSaves().ok());
  }
  auto reopened = Users::Open(path, "n1");
  REQUIRE(reopened.ok());
  const UserRecord* eve = (*reopened)->Snapshot()->Find("eve");
  REQUIRE(eve != nullptr);
  CHECK(eve->Verify("password-3-long-enough"));
  CHECK(eve->RoleOn("logs") == Role::kRead);
  reopened->reset();

  auto bytes = storage::ReadFileToString(path);
  REQUIRE(bytes.ok());
  std::string damaged = *bytes;
  damaged[damaged.size() / 2] ^= 0x40;
  REQUIRE(storage::WriteFileAtomically(path, damaged).ok());
  auto refused = Users::Open(path, "n1");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().IsCorruption());
  CHECK_THAT(refused.status().message(), Catch::Contains("USERS"));
}
