// Puts, reads back and deletes one key, and increments a CRDT counter, through the
// installed SDK: app HOST:PORT
#include <ringkv/client.h>
#include <ringkv/crdt.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  ringkv::ClientOptions options;
  options.seeds = {argv[1]};
  options.n = options.w = options.r = 1;  // a one-node cluster
  auto client = ringkv::Client::Connect(options);
  if (!client.ok()) return std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str()), 1;
  auto put = (*client)->Put("package:key", "installed sdk works");
  auto got = (*client)->Get("package:key");
  if (!put.ok() || !got.ok() || got->values.size() != 1) return std::fprintf(stderr, "put/get failed\n"), 1;
  std::printf("%s\n", got->values[0].c_str());
  auto del = (*client)->Delete("package:key", got->context);
  auto gone = (*client)->Get("package:key");
  if (!del.ok() || !gone.ok() || gone->found) return std::fprintf(stderr, "delete failed\n"), 1;
  ringkv::CrdtClient crdt(**client);
  auto count = crdt.Increment("package:counter", 2);
  if (!count.ok() || *count != 2 || crdt.GetCounter("package:counter")->Value() != 2)
    return std::fprintf(stderr, "counter failed\n"), 1;
  std::printf("app ok\n");
  return 0;
}
