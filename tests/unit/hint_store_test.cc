#include <catch2/catch.hpp>

#include "node/replica/hint_store.h"
#include "temp_dir.h"

using namespace ringkv;

namespace {

SiblingSet Write(const std::string& node, const std::string& value, const SiblingSet& base = {}) {
  SiblingSet set = base;
  Sibling s;
  s.value = value;
  s.timestamp_ms = 1;
  s.write_id = std::hash<std::string>{}(node + value);
  set.Update(base.context(), node, s);
  return set;
}

std::unique_ptr<HintStore> OpenStore(const std::string& dir) {
  auto store = HintStore::Open(dir, "holder", StorageOptions{});
  REQUIRE(store.ok());
  return std::move(store).value();
}

// The accounting every snapshot must satisfy: each entry stored is delivered, dropped or queued.
bool Balanced(const HintStats& s) {
  return s.counters.stored == s.counters.delivered + s.counters.DroppedTotal() + s.QueuedTotal();
}

uint64_t Dropped(const HintStats& s, HintDrop why) { return s.counters.dropped[static_cast<size_t>(why)]; }

// Every hint for `target`, in one page.
std::vector<Hint> All(HintStore& hints, const std::string& target) {
  auto page = hints.Scan(target, "", 1000);
  REQUIRE(page.ok());
  return std::move(page).value();
}

}  // namespace

TEST_CASE("repeated hints for one key merge into one entry instead of piling up") {
  ringkv::testing::TempDir dir;
  auto hints = OpenStore(dir.path());
  SiblingSet v1 = Write("n1", "a");
  for (int i = 0; i < 5; ++i) REQUIRE(hints->Add("n3", "k", v1, false, 1000).ok());  // retries
  REQUIRE(hints->Add("n3", "k", Write("n2", "b"), false, 1000).ok());                // a concurrent write
  CHECK(hints->Queued().at("n3") == 1);
  auto page = hints->Scan("n3", "", 10);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 1);
  CHECK(page->front().set.siblings().size() == 2);  // both writes kept, each once
  HintStats stats = hints->Stats();
  CHECK(stats.counters.stored == 1);  // one entry: (n3, k)
  CHECK(stats.counters.merged == 5);  // four retries that changed nothing and the concurrent write
  CHECK(Balanced(stats));
}

TEST_CASE("a hundred overwrites of one key for a down node count as one stored entry and 99 merges, delivered once") {
  ringkv::testing::TempDir dir;
  auto hints = OpenStore(dir.path());
  constexpr int kWrites = 100;
  SiblingSet last;
  for (int i = 0; i < kWrites; ++i) {
    Sibling w;
    w.value = "v" + std::to_string(i);
    w.timestamp_ms = static_cast<uint64_t>(i);
    if (i % 2 == 0) {  // a fallback coordinating the write, or a replica's copy sent as a hint
      auto set = hints->CoordinatePut("n3", "k", last.context(), w, false, /*counter_floor=*/1, 1000);
      REQUIRE(set.ok());
      last = *set;
    } else {
      last = Write("n1", w.value, last);
      REQUIRE(hints->Add("n3", "k", last, false, 1000).ok());
    }
  }
  HintStats held = hints->Stats();
  CHECK(held.counters.stored == 1);
  CHECK(held.counters.merged == kWrites - 1);
  CHECK(held.counters.delivered == 0);
  CHECK(held.queued == std::map<std::string, uint64_t>{{"n3", 1}});
  CHECK(Balanced(held));

  auto entries = All(*hints, "n3");
  REQUIRE(entries.size() == 1);
  CHECK(entries.front().set.siblings().size() == 1);  // each write replaced the one before
  REQUIRE(hints->RemoveIfUnchanged("n3", entries.front(), HintStore::Outcome::kDelivered).ok());
  HintStats after = hints->Stats();
  CHECK(after.counters.stored == 1);
  CHECK(after.counters.delivered == 1);
  CHECK(after.counters.DroppedTotal() == 0);
  CHECK(after.QueuedTotal() == 0);
  CHECK(after.queued.empty());
  CHECK(Balanced(after));

  // A write after the delivery starts a new entry.
  REQUIRE(hints->Add("n3", "k", Write("n1", "later", last), false, 2000).ok());
  CHECK(hints->Stats().counters.stored == 2);
  CHECK(Balanced(hints->Stats()));
}

TEST_CASE("entries given up are counted as dropped by reason, and each entry leaves the queue once") {
  ringkv::testing::TempDir dir;
  auto hints = OpenStore(dir.path());
  for (const char* key : {"a", "b", "c"}) REQUIRE(hints->Add("n3", key, Write("n1", key), false, 10).ok());
  REQUIRE(hints->Add("n4", "d", Write("n1", "d"), false, 10).ok());
  auto n3 = All(*hints, "n3");
  REQUIRE(n3.size() == 3);
  REQUIRE(hints->RemoveIfUnchanged("n3", n3[0], HintStore::Outcome::kExpired).ok());
  REQUIRE(hints->RemoveIfUnchanged("n3", n3[1], HintStore::Outcome::kRefused).ok());
  REQUIRE(hints->RemoveIfUnchanged("n3", n3[1], HintStore::Outcome::kRefused).ok());  // gone already: not again
  REQUIRE(hints->RemoveIfUnchanged("n3", n3[2], HintStore::Outcome::kRedirected).ok());
  HintStats stats = hints->Stats();
  CHECK(stats.counters.stored == 4);
  CHECK(Dropped(stats, HintDrop::kExpired) == 1);
  CHECK(Dropped(stats, HintDrop::kRefused) == 1);
  CHECK(stats.counters.delivered == 1);  // the redirected one reached the key's replicas
  CHECK(stats.counters.redirected == 1);
  CHECK(stats.queued == std::map<std::string, uint64_t>{{"n4", 1}});
  CHECK(Balanced(stats));
  CHECK(HintDropName(HintDrop::kExpired) == "expired");
  CHECK(HintDropName(HintDrop::kRefused) == "refused");
}

TEST_CASE("after a restart the entries found on disk count as stored, so the accounting still balances") {
  ringkv::testing::TempDir dir;
  {
    auto hints = OpenStore(dir.path());
    for (int i = 0; i < 7; ++i) REQUIRE(hints->Add("n3", "k" + std::to_string(i), Write("n1", "x"), false, 5).ok());
    REQUIRE(hints->RemoveIfUnchanged("n3", All(*hints, "n3").front(), HintStore::Outcome::kDelivered).ok());
    REQUIRE(hints->Close().ok());
  }
  auto hints = OpenStore(dir.path());
  HintStats stats = hints->Stats();
  CHECK(stats.counters.stored == 6);
  CHECK(stats.counters.delivered == 0);
  CHECK(stats.QueuedTotal() == 6);
  CHECK(Balanced(stats));
}

TEST_CASE("hints are kept per target, survive a restart, and scan in pages") {
  ringkv::testing::TempDir dir;
  {
    auto hints = OpenStore(dir.path());
    for (int i = 0; i < 25; ++i)
      REQUIRE(hints->Add("n3", "k" + std::to_string(100 + i), Write("n1", "x"), false, 5).ok());
    REQUIRE(hints->Add("n4", "other", Write("n1", "y"), false, 5).ok());
    REQUIRE(hints->Close().ok());
  }
  auto hints = OpenStore(dir.path());
  CHECK(hints->Queued().at("n3") == 25);
  CHECK(hints->Queued().at("n4") == 1);
  std::string after;
  size_t seen = 0;
  while (true) {
    auto page = hints->Scan("n3", after, 10);
    REQUIRE(page.ok());
    if (page->empty()) break;
    seen += page->size();
    after = page->back().key;
  }
  CHECK(seen == 25);
}

TEST_CASE("a delivered hint is deleted only if no newer write arrived meanwhile") {
  ringkv::testing::TempDir dir;
  auto hints = OpenStore(dir.path());
  REQUIRE(hints->Add("n3", "k", Write("n1", "old"), false, 10).ok());
  auto read = hints->Scan("n3", "", 10);
  REQUIRE(read.ok());
  SiblingSet newer = Write("n1", "new", read->front().set);
  REQUIRE(hints->Add("n3", "k", newer, false, 20).ok());  // lands while the old one is in flight
  REQUIRE(hints->RemoveIfUnchanged("n3", read->front(), HintStore::Outcome::kDelivered).ok());
  auto left = hints->Scan("n3", "", 10);
  REQUIRE(left.ok());
  REQUIRE(left->size() == 1);
  CHECK(left->front().set == newer);
  REQUIRE(hints->RemoveIfUnchanged("n3", left->front(), HintStore::Outcome::kDelivered).ok());
  CHECK(hints->Queued().count("n3") == 0);
  CHECK(hints->counters().delivered == 1);  // the first removal found the entry changed: not counted
  CHECK(hints->counters().stored == 1);
  CHECK(hints->counters().merged == 1);
}

TEST_CASE("a fallback coordinating into a hint issues dots above the clock floor") {
  ringkv::testing::TempDir dir;
  auto hints = OpenStore(dir.path());
  Sibling w;
  w.value = "v";
  auto set = hints->CoordinatePut("n3", "k", {}, w, false, /*counter_floor=*/5000, 1);
  REQUIRE(set.ok());
  CHECK(set->siblings().front().dot.node == "holder");
  CHECK(set->siblings().front().dot.counter == 5000);
  CHECK(hints->Add("", "k", *set, false, 1).IsInvalidArgument());
  CHECK(hints->Add("n3", std::string(2000, 'k'), *set, false, 1).IsInvalidArgument());
}
