// Writes the seed inputs of tests/fuzz/corpus/: one well-formed example (or a few) per
// target, so that fuzzing starts past the checksums and framing. Run by scripts/fuzz.sh
// --reseed; the output is committed.
//   make_seeds CORPUS_DIR

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "capnp/convert.h"
#include "capnp/kv.capnp.h"
#include "common/coding.h"
#include "common/vector_clock.h"
#include "node/storage/file.h"
#include "node/storage/record.h"
#include "node/storage/sstable_builder.h"
#include "node/storage/wal.h"

using namespace ringkv;
namespace fs = std::filesystem;

namespace {

std::string root;

void Seed(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(root + "/" + target);
  std::ofstream(root + "/" + target + "/" + name, std::ios::binary) << bytes;
}

SiblingSet ExampleSet() {
  SiblingSet set;
  Sibling a;
  a.value = "apple";
  a.write_id = 7;
  a.timestamp_ms = 1000;
  set.Update(VersionVector(), "node1", a);
  Sibling b;
  b.value = "banana";
  b.write_id = 9;
  set.Update(VersionVector(), "node2", b);  // concurrent: two siblings
  return set;
}

std::string EncodedRecord(const std::string& value, bool tombstone) {
  storage::Record r;
  r.value = value;
  r.clock = ExampleSet().context().Encode();
  r.timestamp_ms = 1234;
  r.tombstone = tombstone;
  std::string out;
  storage::EncodeRecord(r, &out);
  return out;
}

std::string Capnp(capnp::MessageBuilder& message, uint8_t kind) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(1, static_cast<char>(kind)) +
         std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

void Clocks() {
  SiblingSet set = ExampleSet();
  Seed("clock_fuzz", "sibling-set", set.Encode());
  Seed("clock_fuzz", "context", set.context().Encode());
  Seed("clock_fuzz", "empty-context", VersionVector().Encode());
  Seed("clock_fuzz", "causal-context", set.ReadContext().Encode());
  SiblingSet replaced = set;  // with retired write ids
  Sibling c;
  c.value = "cherry";
  c.write_id = 11;
  c.timestamp_ms = 2000;
  replaced.Update(set.ReadContext(), "node3", c);
  Seed("clock_fuzz", "sibling-set-with-history", replaced.Encode());
  SiblingSet lww = replaced;
  lww.ResolveLww();
  Seed("clock_fuzz", "sibling-set-lww", lww.Encode());
}

void Wal() {
  std::string file;
  storage::WalWriter writer;
  for (int batch = 0; batch < 3; ++batch) {
    std::string payload;
    PutFixed64(&payload, 1 + batch * 2);
    PutVarint32(&payload, 2);
    for (int i = 0; i < 2; ++i) {
      PutLengthPrefixed(&payload, "key" + std::to_string(batch * 2 + i));
      PutLengthPrefixed(&payload, EncodedRecord(std::string(200 * (i + 1), 'v'), i == 1));
    }
    writer.AddRecord(payload, &file);
  }
  Seed("wal_fuzz", "three-batches", file);
}

void Sstable() {
  std::string path = root + "/.table.tmp";
  auto file = storage::WritableFile::Create(path);
  if (!file.ok()) return;
  StorageOptions options;
  storage::SSTableBuilder builder(options, std::move(file).value());
  for (int i = 0; i < 300; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", i);
    (void)builder.Add(storage::MakeInternalKey(key, 1000 - i), EncodedRecord("value-" + std::to_string(i), i % 7 == 0));
  }
  if (!builder.Finish().ok()) return;
  std::ifstream in(path, std::ios::binary);
  Seed("sstable_fuzz", "300-keys", std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
  fs::remove(path);
}

void Rpc() {
  SiblingSet set = ExampleSet();
  {
    capnp::MallocMessageBuilder m;
    auto params = m.initRoot<wire::Node::CoordinatePutsParams>();
    auto puts = params.initPuts(1);
    puts[0].setKey(wire::AsData(std::string("cart:1")));
    VersionVector ctx = set.context();
    wire::ToWire(ctx, puts[0].initContext(static_cast<unsigned>(ctx.size())));
    wire::ToWire(set.siblings()[0], puts[0].initWrite());
    auto ship = puts[0].initShipToDcs(1);
    ship.set(0, "east");
    Seed("rpc_fuzz", "coordinate-puts", Capnp(m, 0));
  }
  {
    capnp::MallocMessageBuilder m;
    auto entries = m.initRoot<wire::Node::ReplicateParams>().initEntries(1);
    entries[0].setKey(wire::AsData(std::string("cart:1")));
    wire::ToWire(set, entries[0].initValue());
    entries[0].setHintFor("dc:east");
    Seed("rpc_fuzz", "replicate", Capnp(m, 1));
  }
  {
    capnp::MallocMessageBuilder m;
    auto records = m.initRoot<wire::Node::GossipParams>().initRecords(1);
    records[0].setId("node1");
    records[0].setAddress("127.0.0.1:7001");
    records[0].setDc("west");
    records[0].initTokens(2).set(0, 42);
    records[0].setHeartbeat(5);
    Seed("rpc_fuzz", "gossip", Capnp(m, 2));
  }
  {
    capnp::MallocMessageBuilder m;
    RingView view;
    view.version = 3;
    view.cluster_name = "c";
    view.dc_replication = {{"west", 2}};
    auto ring = Ring::Bootstrap(
        {RingNode{"a", "127.0.0.1:1", "west", "", {}}, RingNode{"b", "127.0.0.2:1", "west", "", {}}}, 8);
    if (ring.ok()) view.ring = view.future = *ring;
    wire::ToWire(view, m.initRoot<wire::RingSnapshot>());
    Seed("rpc_fuzz", "ring", Capnp(m, 3));
  }
}

void Config() {
  Seed("config_fuzz", "config",
       R"({"id":"n1","listen":"127.0.0.1:7001","data":"/tmp/d","seeds":["n1@127.0.0.1:7001/west/r1"],)"
       R"("dc-replication":["west:3","east:3"],"memtable-mb":8,"durability":"always"})");
  Seed("config_fuzz", "member", "node4@127.0.0.4:7001/east/r2");
  Seed("config_fuzz", "dc-replication", "west:3,east:2");
}

void Http() {
  for (const char* path : {"/", "/health", "/metrics", "/v1/members", "/v1/ring", "/v1/stats", "/nope?x=1"}) {
    std::string name = std::string(path) == "/" ? "root" : std::string(path + 1);
    for (char& c : name) c = (c == '/' || c == '?' || c == '=') ? '-' : c;
    Seed("http_fuzz", "get-" + name, std::string("GET ") + path + " HTTP/1.1\r\nHost: n\r\n\r\n");
  }
  Seed("http_fuzz", "post", "POST /health HTTP/1.1\r\nHost: n\r\nContent-Length: 2\r\n\r\n{}");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  Clocks();
  Wal();
  Sstable();
  Rpc();
  Config();
  Http();
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
