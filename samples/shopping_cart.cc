// shopping_cart: the Dynamo paper's example. A cart is a set of items; two app servers
// add to the same cart at the same time from the same version, so ringkv keeps both
// writes as siblings instead of dropping one. The next reader merges them (set union),
// writes the merge back with the read's context, and the cart is one value again.
//   shopping_cart [HOST:PORT,...]
//
// Union merge has the paper's known quirk: an item removed in one sibling and still
// present in the other comes back. Apps that need removals store tombstoned items
// (an "OR-set"); this sample only adds.

#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>
#include <string>

#include "ringkv/client.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

using Cart = std::set<std::string>;

Cart Parse(const std::string& value) {
  Cart items;
  std::istringstream in(value);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.insert(item);
  }
  return items;
}

std::string Serialize(const Cart& cart) {
  std::string out;
  for (const auto& item : cart) out += (out.empty() ? "" : ",") + item;
  return out;
}

// Reads the cart, merging any siblings (the union of every version's items).
Result<std::pair<Cart, Context>> ReadCart(Client& kv, const std::string& key, size_t* siblings = nullptr) {
  RequestOptions all;
  all.level = Consistency::kAll;  // see every replica's versions (the sample wants them all)
  RINGKV_ASSIGN(GetResult got, kv.Get(key, all));
  Cart merged;
  for (const auto& v : got.values) merged.merge(Parse(v));
  if (siblings) *siblings = got.values.size();
  return std::pair{merged, got.context};
}

// Read-modify-write: add `item` on top of everything the read saw.
Status AddItem(Client& kv, const std::string& key, const std::string& item) {
  RINGKV_ASSIGN(auto read, ReadCart(kv, key));
  read.first.insert(item);
  return kv.Put(key, Serialize(read.first), read.second).status();
}

int Fail(const char* step, const Status& s) { return samples::Fail("shopping_cart", step, s); }

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  auto web = Client::Connect(options);  // two app servers, each with its own client
  auto mobile = Client::Connect(options);
  if (!web.ok()) return Fail("connect", web.status());
  if (!mobile.ok()) return Fail("connect", mobile.status());
  const std::string key = "cart:alice:" + std::to_string(std::time(nullptr));

  if (Status s = AddItem(**web, key, "milk"); !s.ok()) return Fail("add milk", s);
  std::printf("web adds milk\n");

  // Both servers read the same version, then write without seeing each other.
  auto web_read = ReadCart(**web, key);
  auto mobile_read = ReadCart(**mobile, key);
  if (!web_read.ok() || !mobile_read.ok())
    return Fail("read", web_read.ok() ? mobile_read.status() : web_read.status());
  web_read->first.insert("eggs");
  mobile_read->first.insert("bread");
  auto w = (*web)->PutAsync(key, Serialize(web_read->first), web_read->second);
  auto m = (*mobile)->PutAsync(key, Serialize(mobile_read->first), mobile_read->second);
  if (Status s = w.get().status(); !s.ok()) return Fail("web put", s);
  if (Status s = m.get().status(); !s.ok()) return Fail("mobile put", s);
  std::printf("web adds eggs and mobile adds bread, concurrently, from the same version\n");

  size_t siblings = 0;
  auto seen = ReadCart(**web, key, &siblings);
  if (!seen.ok()) return Fail("read siblings", seen.status());
  std::printf("a read finds %zu siblings; merged: %s\n", siblings, Serialize(seen->first).c_str());

  // Writing the merge back with the read's context replaces both siblings.
  if (Status s = (*web)->Put(key, Serialize(seen->first), seen->second).status(); !s.ok()) return Fail("merge", s);
  if (Status s = AddItem(**mobile, key, "apples"); !s.ok()) return Fail("add apples", s);
  size_t after_siblings = 0;
  auto final_cart = ReadCart(**mobile, key, &after_siblings);
  if (!final_cart.ok()) return Fail("final read", final_cart.status());
  std::printf("after the merge and one more add: %zu version, cart = %s\n", after_siblings,
              Serialize(final_cart->first).c_str());

  bool ok = siblings == 2 && after_siblings == 1 && final_cart->first == Cart{"apples", "bread", "eggs", "milk"};
  std::printf("%s\n", ok ? "shopping_cart ok: no add was lost" : "shopping_cart: UNEXPECTED RESULT");
  return ok ? 0 : 1;
}
