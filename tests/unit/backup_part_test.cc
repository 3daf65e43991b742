// Backups' pure parts (names, the BACKUP manifest, the whole-backup check) and the storage
// engine's checkpoint that a backup part is made of. The cluster test (tests/cluster/
// backup_test.cc) takes and restores whole backups.

#include <atomic>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "node/repair/backup_manifest.h"
#include "node/storage/file.h"

using namespace ringkv;
using namespace ringkv::storage;
using ringkv::testing::TempDir;

namespace {

BackupManifest Part(const std::string& node, std::vector<std::string> members, const std::string& name = "b1") {
  BackupManifest m;
  m.name = name;
  m.cluster = "c1";
  m.node_id = node;
  m.created_ms = 1'764'000'000'000;
  m.members = std::move(members);
  m.tables = 7;
  m.bytes = 123'456;
  m.last_sequence = 99;
  return m;
}

std::string Key(int i) { return "key-" + std::to_string(i); }

}  // namespace

TEST_CASE("a backup name is 1 to 64 letters, digits, dots, dashes or underscores, never a path") {
  for (const char* good : {"b1", "nightly-2026-11-29_01.00", "A", "x.y"}) {
    INFO(good);
    REQUIRE(ValidateBackupName(good).ok());
  }
  REQUIRE(ValidateBackupName(std::string(64, 'a')).ok());
  for (std::string bad : {std::string(""), std::string("a/b"), std::string("/abs"), std::string(".."), std::string("."),
                          std::string(".hidden"), std::string("a b"), std::string("a\\b"), std::string(65, 'a'),
                          std::string("tab\t"), std::string("new\nline")}) {
    INFO(bad);
    Status s = ValidateBackupName(bad);
    REQUIRE(s.IsInvalidArgument());
    REQUIRE_THAT(s.message(), Catch::Contains("backup name"));
  }
}

TEST_CASE("a backup manifest decodes to what was encoded") {
  BackupManifest m = Part("n2", {"n1", "n2", "n3"});
  auto decoded = DecodeBackupManifest(EncodeBackupManifest(m));
  REQUIRE(decoded.ok());
  REQUIRE(*decoded == m);
}

TEST_CASE("a damaged or truncated backup manifest is Corruption, never a partial manifest") {
  std::string text = EncodeBackupManifest(Part("n2", {"n1", "n2", "n3"}));
  std::string flipped = text;
  flipped[text.find("n3")] = 'x';
  REQUIRE(DecodeBackupManifest(flipped).status().IsCorruption());
  for (size_t cut : {size_t{0}, size_t{10}, text.size() / 2, text.size() - 3}) {
    INFO(cut);
    REQUIRE(DecodeBackupManifest(text.substr(0, cut)).status().IsCorruption());
  }
  REQUIRE(DecodeBackupManifest("hello\nchecksum 00000000\n").status().IsCorruption());
}

TEST_CASE("a restore needs one part of every member of one backup") {
  std::vector<std::string> members{"n1", "n2", "n3"};
  std::vector<BackupManifest> all{Part("n1", members), Part("n2", members), Part("n3", members)};
  REQUIRE(CheckBackupParts(all).ok());

  std::vector<BackupManifest> missing{all[0], all[2]};
  Status s = CheckBackupParts(missing);
  REQUIRE(s.IsInvalidArgument());
  REQUIRE_THAT(s.message(), Catch::Contains("lacks the part of node(s) n2"));

  std::vector<BackupManifest> twice{all[0], all[1], all[2], all[1]};
  REQUIRE_THAT(CheckBackupParts(twice).message(), Catch::Contains("two parts of node n2"));

  std::vector<BackupManifest> mixed{all[0], all[1], Part("n3", members, "b2")};
  REQUIRE_THAT(CheckBackupParts(mixed).message(), Catch::Contains("different backups"));

  REQUIRE(CheckBackupParts({}).IsInvalidArgument());
}

TEST_CASE("an engine checkpoint holds every write made before it, blob values and tombstones too, and none after") {
  TempDir dir;
  StorageOptions options = SmallOptions();
  options.blob_threshold_bytes = 512;
  auto engine = OpenOrDie(dir.file("live"), options);
  const int keys = 2000;
  for (int i = 0; i < keys; ++i) {
    std::string value = i % 10 == 0 ? std::string(2000, static_cast<char>('a' + i % 26)) : "v" + std::to_string(i);
    REQUIRE(engine->Put(Key(i), Value(value)).ok());
  }
  const uint64_t now_ms = Clock::System().WallMs();  // within the grace: compaction keeps the tombstones
  for (int i = 0; i < keys; i += 7) REQUIRE(engine->Put(Key(i), Tombstone(now_ms)).ok());

  // Writes go on while the checkpoint is taken; none of them waits for it.
  std::atomic<bool> stop{false};
  std::atomic<int> failed_writes{0};
  std::thread writer([&] {
    for (int i = 0; i < 100'000 && !stop.load(); ++i) {
      if (!engine->Put("later-" + std::to_string(i), Value("x")).ok()) failed_writes.fetch_add(1);
    }
  });
  auto info = engine->Checkpoint(dir.file("copy"));
  stop = true;
  writer.join();
  REQUIRE(failed_writes.load() == 0);
  REQUIRE(info.ok());
  REQUIRE(info->tables > 0);
  REQUIRE(info->blob_files > 0);

  REQUIRE(engine->Put("after", Value("not in the copy")).ok());
  // The source compacts and deletes its old tables: the copy's links keep them.
  REQUIRE(engine->CompactAll().ok());

  auto copy = OpenOrDie(dir.file("copy"), options);
  for (int i = 0; i < keys; ++i) {
    INFO(Key(i));
    auto got = copy->Get(Key(i));
    REQUIRE(got.ok());
    if (i % 7 == 0) {
      REQUIRE(got->tombstone);
    } else {
      REQUIRE(got->value ==
              (i % 10 == 0 ? std::string(2000, static_cast<char>('a' + i % 26)) : "v" + std::to_string(i)));
    }
  }
  REQUIRE(copy->Get("after").status().IsNotFound());
  REQUIRE(engine->Get("after")->value == "not in the copy");
}

TEST_CASE("a checkpoint into an existing directory is refused and links nothing") {
  TempDir dir;
  auto engine = OpenOrDie(dir.file("live"), SmallOptions());
  REQUIRE(engine->Put("k", Value("v")).ok());
  REQUIRE(CreateDirIfMissing(dir.file("copy")).ok());
  auto info = engine->Checkpoint(dir.file("copy"));
  REQUIRE(info.status().code() == StatusCode::kExists);
  REQUIRE(std::filesystem::is_empty(dir.file("copy")));
}
