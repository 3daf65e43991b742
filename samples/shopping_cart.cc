// shopping_cart: the Dynamo paper's example, with the cart as an OR-set (ringkv/crdt.h).
// Two app servers update the same cart at the same time from the same version: ringkv
// keeps both writes as siblings, and CrdtClient merges them on the next read — every add
// kept, and a remove concurrent with an add of the same item loses (add wins), so an item
// a customer put back is never dropped, and a removed item never comes back by itself.
//   shopping_cart [HOST:PORT,...]

#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "ringkv/client.h"
#include "ringkv/crdt.h"
#include "sample_util.h"

using namespace ringkv;

namespace {

std::string Show(const OrSet& cart) {
  std::string out;
  for (const auto& item : cart.Elements()) out += (out.empty() ? "" : ",") + item;
  return out;
}

int Fail(const char* step, const Status& s) { return samples::Fail("shopping_cart", step, s); }

// The merge of every version a read found, as CrdtClient::GetSet computes it.
Result<OrSet> Merge(const GetResult& read) {
  OrSet cart;
  for (const std::string& value : read.values) {
    RINGKV_ASSIGN(OrSet version, OrSet::Decode(value));
    cart.Merge(version);
  }
  return cart;
}

}  // namespace

int main(int argc, char** argv) {
  ClientOptions options = samples::OptionsFromArgs(argc, argv);
  auto web = Client::Connect(options);  // two app servers, each with its own client
  auto mobile = Client::Connect(options);
  if (!web.ok()) return Fail("connect", web.status());
  if (!mobile.ok()) return Fail("connect", mobile.status());
  CrdtClient web_carts(**web), mobile_carts(**mobile);
  const std::string key = "cart:alice:" + std::to_string(std::time(nullptr));

  if (Status s = web_carts.AddToSet(key, {"milk", "eggs"}); !s.ok()) return Fail("add milk, eggs", s);
  std::printf("web adds milk and eggs\n");

  // A race, made by hand to be sure it happens: both servers read the same version, then
  // write without seeing each other (CrdtClient does the same read-apply-put, one at a time).
  // An update made by hand needs an actor id of its own (never one a CrdtClient uses).
  std::random_device rd;
  const ActorId mobile_actor = (uint64_t{rd()} << 32) | rd();
  RequestOptions all;
  all.level = Consistency::kAll;  // see every replica's versions
  auto before = (*web)->Get(key, all);
  if (!before.ok()) return Fail("read", before.status());
  auto web_view = Merge(*before), mobile_view = Merge(*before);
  if (!web_view.ok()) return Fail("decode", web_view.status());
  if (!mobile_view.ok()) return Fail("decode", mobile_view.status());
  web_view->Remove("eggs");                 // the customer drops the eggs on the web...
  mobile_view->Add(mobile_actor, "eggs");   // ...and puts them back on the phone,
  mobile_view->Add(mobile_actor, "bread");  // with bread
  auto w = (*web)->PutAsync(key, web_view->Encode(), before->context);
  auto m = (*mobile)->PutAsync(key, mobile_view->Encode(), before->context);
  if (Status s = w.get().status(); !s.ok()) return Fail("web put", s);
  if (Status s = m.get().status(); !s.ok()) return Fail("mobile put", s);
  std::printf("web removes eggs while mobile adds eggs and bread, from the same version\n");

  auto raced = (*web)->Get(key, all);
  if (!raced.ok()) return Fail("read siblings", raced.status());
  auto seen = web_carts.GetSet(key, all);  // merges the siblings: the app never sees them
  if (!seen.ok()) return Fail("read cart", seen.status());
  std::printf("the store holds %zu siblings; the cart reads as: %s (the add of eggs wins)\n", raced->values.size(),
              Show(*seen).c_str());

  // The next update writes one merged version that replaces both siblings.
  if (Status s = web_carts.RemoveFromSet(key, {"eggs"}); !s.ok()) return Fail("remove eggs", s);
  if (Status s = mobile_carts.AddToSet(key, {"apples"}); !s.ok()) return Fail("add apples", s);
  auto after = (*mobile)->Get(key, all);
  auto final_cart = mobile_carts.GetSet(key, all);
  if (!after.ok()) return Fail("final read", after.status());
  if (!final_cart.ok()) return Fail("final read", final_cart.status());
  std::printf("web removes eggs (now it saw them), mobile adds apples: %zu version, cart = %s\n", after->values.size(),
              Show(*final_cart).c_str());

  bool ok = raced->values.size() == 2 && seen->Elements() == std::vector<std::string>{"bread", "eggs", "milk"} &&
            after->values.size() == 1 && final_cart->Elements() == std::vector<std::string>{"apples", "bread", "milk"};
  std::printf("%s\n",
              ok ? "shopping_cart ok: no add was lost, no removed item came back" : "shopping_cart: UNEXPECTED RESULT");
  return ok ? 0 : 1;
}
