// Namespaces as pure state: names, settings, stored keys and the gossiped catalog.

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "common/namespace.h"
#include "common/namespace_catalog.h"

using namespace ringkv;

namespace {

NamespaceSettings Lww() {
  NamespaceSettings s;
  s.conflict = ConflictMode::kLastWriterWins;
  return s;
}

}  // namespace

TEST_CASE("namespace names are 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit") {
  CHECK(ValidateNamespaceName("carts").ok());
  CHECK(ValidateNamespaceName("user-sessions_2").ok());
  CHECK(ValidateNamespaceName(std::string(64, 'a')).ok());
  for (std::string bad : {std::string(), std::string(65, 'a'), std::string("Carts"), std::string("a b"),
                          std::string("_x"), std::string("-x"), std::string("a/b"), std::string("a\0b", 3)}) {
    INFO(bad);
    Status s = ValidateNamespaceName(bad);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("namespace name") != std::string::npos);
  }
}

TEST_CASE("settings out of range are refused naming the setting and its range") {
  CHECK(ValidateSettings({}).ok());
  auto refused = [](NamespaceSettings s, std::string_view what) {
    Status status = ValidateSettings(s);
    INFO(status.ToString());
    CHECK(status.IsInvalidArgument());
    CHECK(status.message().find(what) != std::string::npos);
  };
  NamespaceSettings s;
  s.n = 0;
  refused(s, "n is 0");
  s = {};
  s.n = 10;
  refused(s, "n is 10");
  s = {};
  s.w = 4;
  refused(s, "w is 4; it must be between 1 and 3");
  s = {};
  s.r = 0;
  refused(s, "r is 0");
  s = {};
  s.max_value_bytes = kMaxValueBytes + 1;
  refused(s, "max value bytes");
  s = {};
  s.max_value_bytes = 0;
  refused(s, "max value bytes");
  s = {};
  s.tombstone_grace_s = 60;
  refused(s, "tombstone grace");
  s = {};
  s.default_ttl_s = 11ull * 365 * 24 * 3600;
  refused(s, "default ttl");
}

TEST_CASE("conflict modes parse from their names and nothing else") {
  CHECK(*ParseConflictMode("siblings") == ConflictMode::kSiblings);
  CHECK(*ParseConflictMode("lww") == ConflictMode::kLastWriterWins);
  CHECK(ConflictModeName(ConflictMode::kLastWriterWins) == "lww");
  CHECK(ParseConflictMode("LWW").status().IsInvalidArgument());
}

TEST_CASE("a key of the default namespace is stored as itself, so data from before namespaces is in it") {
  CHECK(StoredKey(kDefaultNamespace, 0, "cart:1") == "cart:1");
  auto parsed = ParseStoredKey("cart:1");
  REQUIRE(parsed.ok());
  CHECK(parsed->name == kDefaultNamespace);
  CHECK(parsed->key == "cart:1");
}

TEST_CASE("stored keys of other namespaces round-trip and never collide with the default namespace's") {
  std::string stored = StoredKey("carts", 0x0102030405060708ull, std::string("k\0ey", 4));
  auto parsed = ParseStoredKey(stored);
  REQUIRE(parsed.ok());
  CHECK(parsed->name == "carts");
  CHECK(parsed->incarnation == 0x0102030405060708ull);
  CHECK(parsed->key == std::string("k\0ey", 4));
  // The same user key in two namespaces, or two incarnations of one, are different keys.
  CHECK(StoredKey("carts", 1, "k") != StoredKey("users", 1, "k"));
  CHECK(StoredKey("carts", 1, "k") != StoredKey("carts", 2, "k"));
  CHECK(StoredKey("carts", 1, "k") != StoredKey(kDefaultNamespace, 0, "k"));
  // ...and a default-namespace key that would look like one is refused up front.
  Status s = ValidateKeyIn(kDefaultNamespace, stored);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("reserved") != std::string::npos);
  CHECK(ValidateKeyIn("carts", stored).ok());
  CHECK(ValidateKeyIn("carts", "").IsInvalidArgument());
}

TEST_CASE("a namespace's stored keys all start with its prefix, so they sort together") {
  std::string prefix = StoredKeyPrefix("carts", 7);
  for (std::string key : {"", "a", "zzzz", "\xFF\xFF"}) CHECK(StoredKey("carts", 7, key).starts_with(prefix));
  CHECK_FALSE(StoredKey("cartsx", 7, "a").starts_with(prefix));
  CHECK_FALSE(StoredKey("carts", 8, "a").starts_with(prefix));
}

TEST_CASE("damaged stored keys in the reserved prefix are Corruption, not another namespace's key") {
  CHECK(ParseStoredKey(std::string("\x00\xFF", 2)).status().IsCorruption());
  CHECK(ParseStoredKey(std::string("\x00\xFF"
                                   "carts",
                                   7))
            .status()
            .IsCorruption());
  CHECK(ParseStoredKey(std::string("\x00\xFF"
                                   "carts\0\1\2",
                                   10))
            .status()
            .IsCorruption());
  CHECK(ParseStoredKey(std::string("\x00\xFF"
                                   "Bad!\0\0\0\0\0\0\0\0\0k",
                                   15))
            .status()
            .IsCorruption());
}

TEST_CASE("a new catalog holds the default namespace, which cannot be dropped or have its n changed") {
  NamespaceCatalog catalog;
  REQUIRE(catalog.Find("default") != nullptr);
  CHECK(catalog.Find("default")->settings == NamespaceSettings{});
  CHECK(catalog.Drop("default", "node1", 1000).status().IsInvalidArgument());
  NamespaceSettings five;
  five.n = 5;
  CHECK(catalog.Alter("default", five, "node1", 1000).status().IsInvalidArgument());
  NamespaceSettings lww = Lww();
  REQUIRE(catalog.Alter("default", lww, "node1", 1000).ok());
  CHECK(catalog.Find("default")->settings.conflict == ConflictMode::kLastWriterWins);
}

TEST_CASE("create, alter and drop check their input and leave the catalog unchanged when refused") {
  NamespaceCatalog catalog;
  REQUIRE(catalog.Create("carts", {}, "node1", 1000).ok());
  uint64_t digest = catalog.Digest();
  CHECK(catalog.Create("carts", {}, "node1", 2000).status().message().find("already exists") != std::string::npos);
  CHECK(catalog.Create("Bad", {}, "node1", 2000).status().IsInvalidArgument());
  NamespaceSettings bad;
  bad.w = 9;
  CHECK(catalog.Create("other", bad, "node1", 2000).status().IsInvalidArgument());
  CHECK(catalog.Alter("carts", bad, "node1", 2000).status().IsInvalidArgument());
  CHECK(catalog.Alter("missing", {}, "node1", 2000).status().IsNotFound());
  CHECK(catalog.Drop("missing", "node1", 2000).status().IsNotFound());
  CHECK(catalog.Digest() == digest);
  CHECK(catalog.Find("other") == nullptr);
}

TEST_CASE("a later change supersedes an earlier one even when the later node's clock is behind") {
  NamespaceCatalog a, b;
  auto created = a.Create("carts", {}, "node-a", 5'000'000);
  REQUIRE(created.ok());
  b.Merge(std::vector{*created});
  // node-b's clock is an hour behind, yet its alter (made after seeing the create) wins.
  auto altered = b.Alter("carts", Lww(), "node-b", 5'000'000 - 3'600'000);
  REQUIRE(altered.ok());
  CHECK(altered->version > created->version);
  CHECK(altered->incarnation == created->incarnation);
  a.Merge(std::vector{*altered});
  CHECK(a.Find("carts")->settings.conflict == ConflictMode::kLastWriterWins);
}

TEST_CASE("a drop is a record of its own that a stale create arriving later does not undo") {
  NamespaceCatalog a, b;
  auto created = a.Create("carts", {}, "node-a", 1000);
  REQUIRE(created.ok());
  auto dropped = a.Drop("carts", "node-a", 2000);
  REQUIRE(dropped.ok());
  CHECK(a.Find("carts") == nullptr);
  b.Merge(std::vector{*dropped});
  CHECK_FALSE(b.Merge(std::vector{*created}));  // the old create is older than the drop
  CHECK(b.Find("carts") == nullptr);
  // A re-create gets a new incarnation: the old data's stored keys are not its keys.
  auto again = b.Create("carts", {}, "node-b", 1500);
  REQUIRE(again.ok());
  CHECK(again->incarnation > created->incarnation);
  CHECK(StoredKeyPrefix("carts", again->incarnation) != StoredKeyPrefix("carts", created->incarnation));
}

TEST_CASE("catalogs converge whatever order gossip brings the records in") {
  NamespaceCatalog origin;
  std::vector<NamespaceRecord> history;
  history.push_back(*origin.Create("a", {}, "n1", 10));
  history.push_back(*origin.Create("b", Lww(), "n1", 11));
  history.push_back(*origin.Alter("a", Lww(), "n1", 12));
  history.push_back(*origin.Drop("b", "n1", 13));
  history.push_back(*origin.Create("c", {}, "n1", 14));
  // Two concurrent alters of "c" from different nodes with the same version: the author decides.
  NamespaceRecord c1 = history.back(), c2 = history.back();
  c1.version = c2.version = 100;
  c1.author = "n1";
  c2.author = "n2";
  c2.settings.default_ttl_s = 60;
  history.push_back(c1);
  history.push_back(c2);

  std::mt19937 rng(42);
  std::optional<uint64_t> digest;
  for (int round = 0; round < 20; ++round) {
    std::vector<NamespaceRecord> shuffled = history;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    NamespaceCatalog replica;
    for (const NamespaceRecord& r : shuffled) replica.Merge(std::vector{r});
    replica.Merge(shuffled);  // idempotent
    if (!digest) digest = replica.Digest();
    CHECK(replica.Digest() == *digest);
    REQUIRE(replica.Find("c") != nullptr);
    CHECK(replica.Find("c")->settings.default_ttl_s == 60);
    CHECK(replica.Find("b") == nullptr);
    CHECK(replica.Find("a")->settings.conflict == ConflictMode::kLastWriterWins);
  }
}

TEST_CASE("records with invalid names or settings from a peer are skipped, not merged") {
  NamespaceCatalog catalog;
  NamespaceRecord bad;
  bad.name = "Bad Name";
  bad.version = 5;
  NamespaceRecord bad_settings;
  bad_settings.name = "ok";
  bad_settings.version = 5;
  bad_settings.settings.n = 0;
  NamespaceRecord drop_default;
  drop_default.name = "default";
  drop_default.version = 99;
  drop_default.dropped = true;
  CHECK_FALSE(catalog.Merge(std::vector{bad, bad_settings, drop_default}));
  CHECK(catalog.Live().size() == 1);
}

TEST_CASE("a catalog survives encoding, and damaged bytes decode as Corruption") {
  NamespaceCatalog catalog(Lww());
  REQUIRE(catalog.Create("carts", {}, "node1", 1000).ok());
  REQUIRE(catalog.Create("sessions", Lww(), "node2", 2000).ok());
  REQUIRE(catalog.Drop("carts", "node1", 3000).ok());
  std::string bytes = catalog.Encode();
  auto decoded = NamespaceCatalog::Decode(bytes);
  REQUIRE(decoded.ok());
  CHECK(decoded->Records() == catalog.Records());
  CHECK(decoded->Digest() == catalog.Digest());
  CHECK(decoded->Find("default")->settings.conflict == ConflictMode::kLastWriterWins);
  // A change made after a restart still supersedes what was there before it.
  auto next = decoded->Alter("sessions", {}, "node1", 0);
  REQUIRE(next.ok());
  CHECK(next->version > 3000);

  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    INFO(cut);
    CHECK_FALSE(NamespaceCatalog::Decode(bytes.substr(0, cut)).ok());
  }
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] ^= 0x20;
    INFO(at);
    CHECK_FALSE(NamespaceCatalog::Decode(damaged).ok());
  }
  std::string newer = bytes;
  newer[1] = 9;
  CHECK(NamespaceCatalog::Decode(newer).status().code() == StatusCode::kNotSupported);
}
