// How a node keeps its membership table (MEMBERSHIP) on disk: atomically, off the caller's
// thread and outside the membership lock, the latest state winning.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "node/cluster/membership.h"
#include "node/cluster/state_file_writer.h"
#include "node/storage/file.h"
#include "tests/temp_dir.h"

using namespace ringkv;
using namespace std::chrono_literals;

namespace {

MemberRecord Member(std::string id, uint64_t token) {
  MemberRecord r;
  r.id = std::move(id);
  r.address = "127.0.0.1:1";
  r.dc = "dc1";
  r.tokens = {token};
  r.generation = 1;
  r.ring_epoch = 1;
  return r;
}

MembershipOptions OptionsIn(const ringkv::testing::TempDir& dir) {
  MembershipOptions options;
  options.cluster_name = "test";
  options.state_file = dir.file("MEMBERSHIP");
  return options;
}

// Opens the read end of the FIFO at `path` and reads until the writer closes it: lets a
// write stuck on opening the FIFO go on. Returns what was written.
std::string DrainFifo(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("a ring change returns and the ring stays readable while the MEMBERSHIP write is stuck on the disk") {
  // MEMBERSHIP.tmp as a FIFO with no reader: opening it for writing blocks, as a write to
  // a stalled disk would. The change must not wait for it, nor block readers of the ring
  // (every data RPC's stale-ring check reads it on the RPC event loop).
  ringkv::testing::TempDir dir;
  auto opened = Membership::Open(OptionsIn(dir), Member("n1", 1), {Member("n2", uint64_t{1} << 63)}, 0);
  REQUIRE(opened.ok());
  std::unique_ptr<Membership> m = std::move(opened).value();
  const std::string fifo = dir.file("MEMBERSHIP.tmp");
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const uint64_t before = m->RingVersion();

  auto change = std::async(std::launch::async, [&] { m->SetSelfState(RingState::kLeaving); });
  bool change_returned = change.wait_for(5s) == std::future_status::ready;
  auto read = std::async(std::launch::async, [&] { return m->RingVersion(); });
  bool ring_readable = read.wait_for(5s) == std::future_status::ready;
  // Unblock the stuck write whatever happened, so that the test ends either way.
  DrainFifo(fifo);
  std::filesystem::remove(fifo);
  REQUIRE(change_returned);
  REQUIRE(ring_readable);
  CHECK(read.get() > before);

  // The write to the FIFO failed (it cannot be fsynced); the writer retries on a real file.
  m->SetSelfState(RingState::kLeft);
  REQUIRE(m->FlushSaves().ok());
  m.reset();
  auto reopened = Membership::Open(OptionsIn(dir), Member("n1", 1), {}, 0);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->restored());
  CHECK((*reopened)->Self().ring_state == RingState::kLeft);
}

TEST_CASE("the membership table on disk is always a whole table, and the latest one after a flush") {
  ringkv::testing::TempDir dir;
  auto opened = Membership::Open(OptionsIn(dir), Member("n1", 1), {Member("n2", uint64_t{1} << 63)}, 0);
  REQUIRE(opened.ok());
  Membership& m = **opened;
  std::atomic<bool> done{false};
  std::atomic<int> whole{0}, torn{0};
  // A reader as a restarting node would be: whatever moment it looks, a parsable table.
  std::thread reader([&] {
    do {  // at least once, however late the thread starts
      auto text = storage::ReadFileToString(dir.file("MEMBERSHIP"));
      bool ok = text.ok() && text->size() > 2 && text->front() == '[' && text->back() == ']';
      (ok ? whole : torn).fetch_add(1);
    } while (!done.load());
  });
  for (int i = 0; i < 200; ++i) m.SetSelfState(i % 2 ? RingState::kLeaving : RingState::kNormal);
  m.SetSelfState(RingState::kLeft);
  Status flushed = m.FlushSaves();
  done = true;
  reader.join();
  REQUIRE(flushed.ok());
  CHECK(torn.load() == 0);
  CHECK(whole.load() > 0);
  opened->reset();
  auto reopened = Membership::Open(OptionsIn(dir), Member("n1", 1), {}, 0);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->Self().ring_state == RingState::kLeft);
}

TEST_CASE(
    "a state file writer saves the latest state, retries a failed save, and saves the last change when destroyed") {
  ringkv::testing::TempDir dir;
  const std::string path = dir.file("sub/STATE");  // its directory does not exist yet: writes fail
  std::atomic<int> state{0};
  {
    StateFileWriter writer(path, [&] { return std::to_string(state.load()); });
    state = 1;
    writer.MarkDirty();
    CHECK_FALSE(writer.Flush().ok());  // no directory
    std::filesystem::create_directory(dir.file("sub"));
    state = 2;
    writer.MarkDirty();
    REQUIRE(writer.Flush().ok());  // retried after kRetryDelay
    CHECK(*storage::ReadFileToString(path) == "2");

    for (int i = 3; i <= 1000; ++i) {
      state = i;
      writer.MarkDirty();
    }
    REQUIRE(writer.Flush().ok());
    CHECK(*storage::ReadFileToString(path) == "1000");
    state = 1001;
    writer.MarkDirty();
  }  // destroyed with a change unsaved
  CHECK(*storage::ReadFileToString(path) == "1001");
}

TEST_CASE("a leaving node names heirs for its tokens: the future ring hands them over, and the table keeps them") {
  ringkv::testing::TempDir dir;
  std::vector<RingNode> nodes;
  for (std::string id : {"a", "b", "c", "d", "e"}) {
    RingNode n;
    n.id = id;
    n.address = "127.0.0.1:1";
    nodes.push_back(n);
  }
  auto ring = Ring::Bootstrap(nodes, 32, 3);
  REQUIRE(ring.ok());
  std::vector<MemberRecord> founders;
  for (const RingNode& n : ring->nodes()) {
    MemberRecord r = Member(n.id, 0);
    r.tokens = n.tokens;
    founders.push_back(r);
  }
  MemberRecord self = founders[0];
  founders.erase(founders.begin());
  auto m = Membership::Open(OptionsIn(dir), self, founders, 0);
  REQUIRE(m.ok());
  (*m)->StartLeaving();
  MemberRecord leaving = (*m)->Self();
  CHECK(leaving.ring_state == RingState::kLeaving);
  REQUIRE_FALSE(leaving.heirs.empty());
  auto view = (*m)->View();
  CHECK(view->ring.Find("a") != nullptr);  // owners now: still us
  CHECK(view->future.Find("a") == nullptr);
  for (const auto& [token, heir] : leaving.heirs) {
    const RingNode* n = view->future.Find(heir);
    REQUIRE(n != nullptr);
    CHECK(std::find(n->tokens.begin(), n->tokens.end(), token) != n->tokens.end());
    CHECK(n->Weight() == 32);
  }
  // Only keys we held change replicas.
  for (int k = 0; k < 1000; ++k) {
    std::string key = "k" + std::to_string(k);
    std::vector<std::string> now, later;
    for (const RingNode* n : view->ring.PreferenceList(key, 3)) now.push_back(n->id);
    for (const RingNode* n : view->future.PreferenceList(key, 3)) later.push_back(n->id);
    if (std::find(now.begin(), now.end(), "a") == now.end()) CHECK(now == later);
  }
  (*m)->StartLeaving();  // a second call keeps the first heirs
  CHECK((*m)->Self().heirs == leaving.heirs);
  REQUIRE((*m)->FlushSaves().ok());
  m->reset();
  auto reopened = Membership::Open(OptionsIn(dir), self, {}, 0);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->Self().heirs == leaving.heirs);
  CHECK((*reopened)->View()->future.nodes() == view->future.nodes());
}
