#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "node/storage/memtable.h"

using namespace ringkv::storage;

TEST_CASE("memtable returns the newest version at or below the snapshot") {
  auto mem = std::make_shared<Memtable>();
  mem->Add(1, "k", "v1");
  mem->Add(5, "k", "v5");
  mem->Add(9, "k", "v9");
  mem->Add(3, "other", "o3");

  REQUIRE(mem->Get("k", 100)->value == "v9");
  REQUIRE(mem->Get("k", 8)->value == "v5");
  REQUIRE(mem->Get("k", 5)->seq == 5);
  REQUIRE(mem->Get("k", 1)->value == "v1");
  REQUIRE_FALSE(mem->Get("k", 0));
  REQUIRE_FALSE(mem->Get("absent", 100));
  REQUIRE_FALSE(mem->Get("kk", 100));  // a key that extends another is a different key
  REQUIRE(mem->NumEntries() == 4);
}

TEST_CASE("memtable iterates user keys ascending, newest version first") {
  auto mem = std::make_shared<Memtable>();
  mem->Add(1, "b", "b1");
  mem->Add(2, "a", "a2");
  mem->Add(3, "b", "b3");
  mem->Add(4, "c", "c4");
  auto it = mem->NewIterator();
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.emplace_back(it->value());
  REQUIRE(seen == std::vector<std::string>{"a2", "b3", "b1", "c4"});

  it->Seek(MakeInternalKey("b", 2));  // first entry >= (b, seq 2) is (b, seq 1)
  REQUIRE(it->Valid());
  REQUIRE(it->value() == "b1");
}

TEST_CASE("memtable iterator keeps the memtable alive after its owner lets go") {
  auto mem = std::make_shared<Memtable>();
  mem->Add(1, "x", std::string(1000, 'x'));
  auto it = mem->NewIterator();
  mem.reset();
  it->SeekToFirst();
  REQUIRE(it->Valid());
  REQUIRE(it->value() == std::string(1000, 'x'));
}

TEST_CASE("memtable readers run concurrently with the writer and see only whole entries") {
  auto mem = std::make_shared<Memtable>();
  constexpr int kWrites = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      for (int i = 0; i < kWrites; i += 997) {
        std::string key = "key" + std::to_string(i);
        if (auto e = mem->Get(key, ~0ull)) {
          if (e->value != "value" + std::to_string(i)) bad.fetch_add(1);
        }
      }
    }
  });
  for (int i = 0; i < kWrites; ++i) {
    mem->Add(static_cast<SequenceNumber>(i + 1), "key" + std::to_string(i), "value" + std::to_string(i));
  }
  done = true;
  reader.join();
  REQUIRE(bad.load() == 0);
  for (int i = 0; i < kWrites; i += 101) REQUIRE(mem->Get("key" + std::to_string(i), ~0ull));
}
