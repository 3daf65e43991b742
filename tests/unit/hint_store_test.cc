#include <catch2/catch.hpp>

#include "node/hint_store.h"
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

}  // namespace

TEST_CASE("repeated hints for one key merge into one entry instead of piling up") {
  ringkv::testing::TempDir dir;
  auto hints = OpenStore(dir.path());
  SiblingSet v1 = Write("n1", "a");
  for (int i = 0; i < 5; ++i) REQUIRE(hints->Add("n3", "k", v1, false, 1000).ok());  // retries
  REQUIRE(hints->Add("n3", "k", Write("n2", "b"), false, 1000).ok());              // a concurrent write
  CHECK(hints->Queued().at("n3") == 1);
  auto page = hints->Scan("n3", "", 10);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 1);
  CHECK(page->front().set.siblings().size() == 2);  // both writes kept, each once
  CHECK(hints->counters().stored == 2);             // the four retries wrote nothing
}

TEST_CASE("hints are kept per target, survive a restart, and scan in pages") {
  ringkv::testing::TempDir dir;
  {
    auto hints = OpenStore(dir.path());
    for (int i = 0; i < 25; ++i) REQUIRE(hints->Add("n3", "k" + std::to_string(100 + i), Write("n1", "x"), false, 5).ok());
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
  CHECK(hints->counters().delivered == 1);
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
