// quickstart: the ringkv SDK in five steps against a running cluster.
//   quickstart [HOST:PORT,...]   (default: the local cluster of scripts/cluster.sh)
//
// 1. connect (the client learns the ring from any node)   2. put and get
// 3. two writers race from the same version -> the read returns both as siblings
// 4. the app merges them and writes back with the read's context -> one value again
// 5. delete

#include <cstdio>
#include <string>

#include "ringkv/client.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

int Fail(const char* step, const Status& s) { return samples::Fail("quickstart", step, s); }

void Show(const char* label, const GetResult& r) {
  std::printf("  %s:", label);
  if (!r.found) std::printf(" (not found)");
  for (const auto& v : r.values) std::printf(" [%s]", v.c_str());
  std::printf("%s\n", r.has_siblings() ? "  <- siblings" : "");
}

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  options.n = 3;  // replicas per key
  options.w = 2;  // a put waits for 2 acks
  options.r = 2;  // a get waits for 2 replies

  auto client = Client::Connect(options);
  if (!client.ok()) return Fail("connect", client.status());
  Client& kv = **client;
  std::printf("1. connected: %zu nodes\n", kv.Members().size());

  auto put = kv.Put("user:42:name", "Ada");
  if (!put.ok()) return Fail("put", put.status());
  auto got = kv.Get("user:42:name");
  if (!got.ok()) return Fail("get", got.status());
  std::printf("2. put then get user:42:name (%d acks)\n", put->acks);
  Show("value", *got);

  if (auto s = kv.Put("cart:42", "milk"); !s.ok()) return Fail("put cart", s.status());
  auto cart = kv.Get("cart:42");
  if (!cart.ok()) return Fail("get cart", cart.status());
  // Two devices update the cart from the same version at the same time.
  auto phone = kv.PutAsync("cart:42", "milk,eggs", cart->context);
  auto laptop = kv.PutAsync("cart:42", "milk,bread", cart->context);
  if (auto s = phone.get(); !s.ok()) return Fail("phone put", s.status());
  if (auto s = laptop.get(); !s.ok()) return Fail("laptop put", s.status());
  RequestOptions all;
  all.level = Consistency::kAll;
  auto both = kv.Get("cart:42", all);
  if (!both.ok()) return Fail("get siblings", both.status());
  std::printf("3. two concurrent writes from the same version\n");
  Show("cart:42", *both);

  std::string merged = "milk,eggs,bread";  // the app's merge: the union of the carts
  if (auto s = kv.Put("cart:42", merged, both->context); !s.ok()) return Fail("merge put", s.status());
  auto after = kv.Get("cart:42", all);
  if (!after.ok()) return Fail("get merged", after.status());
  std::printf("4. wrote back the merge with the read's context\n");
  Show("cart:42", *after);

  if (auto s = kv.Delete("user:42:name", got->context); !s.ok()) return Fail("delete", s.status());
  auto gone = kv.Get("user:42:name");
  if (!gone.ok()) return Fail("get deleted", gone.status());
  std::printf("5. deleted user:42:name\n");
  Show("value", *gone);

  bool ok = both->has_siblings() && !after->has_siblings() && !gone->found;
  std::printf("%s\n", ok ? "quickstart ok" : "quickstart: unexpected results");
  return ok ? 0 : 1;
}
