// The CRDT types (include/ringkv/crdt.h): merge is a join (commutative, associative,
// idempotent) on states reached by random updates and merges; the OR-set and the flag
// behave as their reference definitions (an element is present iff an add of it has not
// been removed by a remove that saw that add); encodings round-trip and reject damage.

#include <algorithm>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "ringkv/crdt.h"

using namespace ringkv;

namespace {

constexpr int kReplicas = 4;

// Random updates and merges among replicas, each replica its own actor (so every actor's
// updates form a causal chain). `update(state, actor, rng, replica)` makes one op;
// `check(state, replica, from)` runs after each merge into `replica`.
template <typename T, typename Update, typename Check>
std::vector<T> Simulate(uint32_t seed, int steps, Update update, Check check) {
  std::mt19937 rng(seed);
  std::vector<T> replicas(kReplicas);
  std::vector<T> seen;  // snapshots of every replica along the way
  for (int step = 0; step < steps; ++step) {
    int r = static_cast<int>(rng() % kReplicas);
    if (rng() % 3 == 0) {
      int from = static_cast<int>(rng() % kReplicas);
      replicas[r].Merge(replicas[from]);
      check(replicas[r], r, from);
    } else {
      update(replicas[r], static_cast<ActorId>(r + 1) * 0x9E3779B97F4A7C15ull, rng, r);
    }
    seen.push_back(replicas[r]);
  }
  return seen;
}

template <typename T>
T Merged(T a, const T& b) {
  a.Merge(b);
  return a;
}

// Merge is commutative, associative and idempotent on `states`; each round-trips its encoding.
template <typename T>
void RequireJoinLaws(const std::vector<T>& states, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < 300; ++i) {
    const T& a = states[rng() % states.size()];
    const T& b = states[rng() % states.size()];
    const T& c = states[rng() % states.size()];
    REQUIRE(Merged(a, b) == Merged(b, a));
    REQUIRE(Merged(Merged(a, b), c) == Merged(a, Merged(b, c)));
    REQUIRE(Merged(a, a) == a);
    REQUIRE(Merged(Merged(a, b), b) == Merged(a, b));
    auto decoded = T::Decode(a.Encode());
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == a);
  }
}

// The OR-set's definition with tombstones: each replica knows add events (element, id) and
// removed ids; a remove removes the adds of the element it knows.
struct ReferenceSet {
  std::set<std::pair<std::string, int>> adds;
  std::set<int> removed;
  void Merge(const ReferenceSet& o) {
    adds.insert(o.adds.begin(), o.adds.end());
    removed.insert(o.removed.begin(), o.removed.end());
  }
  void Remove(const std::string& e) {
    for (const auto& [element, id] : adds) {
      if (element == e) removed.insert(id);
    }
  }
  std::vector<std::string> Elements() const {
    std::set<std::string> out;
    for (const auto& [element, id] : adds) {
      if (removed.count(id) == 0) out.insert(element);
    }
    return {out.begin(), out.end()};
  }
};

}  // namespace

TEST_CASE("counter merge is commutative, associative and idempotent, and the value sums every update") {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::vector<int64_t> applied(kReplicas, 0);
    auto states = Simulate<PnCounter>(
        seed, 200,
        [&](PnCounter& c, ActorId actor, std::mt19937& rng, int r) {
          int64_t by = static_cast<int64_t>(rng() % 21) - 10;
          c.Add(actor, by);
          applied[r] += by;
        },
        [](const auto&, int, int) {});
    RequireJoinLaws(states, seed);
    PnCounter all;
    for (const auto& s : states) all.Merge(s);
    int64_t total = 0;
    for (int64_t a : applied) total += a;
    REQUIRE(all.Value() == total);
  }
}

TEST_CASE("OR-set merge is a join, and every replica holds exactly the adds no remove has seen") {
  const std::vector<std::string> elements = {"a", "b", "c", "d"};
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::vector<ReferenceSet> ref(kReplicas);
    int next_id = 0;
    auto states = Simulate<OrSet>(
        seed, 300,
        [&](OrSet& s, ActorId actor, std::mt19937& rng, int r) {
          const std::string& e = elements[rng() % elements.size()];
          if (rng() % 2 == 0) {
            s.Add(actor, e);
            ref[r].adds.insert({e, next_id++});
          } else {
            s.Remove(e);
            ref[r].Remove(e);
          }
          REQUIRE(s.Elements() == ref[r].Elements());
        },
        [&](const OrSet& s, int r, int from) {
          ref[r].Merge(ref[from]);
          REQUIRE(s.Elements() == ref[r].Elements());
        });
    RequireJoinLaws(states, seed);
    // After the simulation, compare each replica's merge of everything with the reference.
    ReferenceSet all_ref;
    for (const auto& r : ref) all_ref.Merge(r);
    OrSet all;
    for (const auto& s : states) all.Merge(s);
    REQUIRE(all.Elements() == all_ref.Elements());
  }
}

TEST_CASE("OR-set: a remove never loses a concurrent add") {
  OrSet a, b;
  a.Add(1, "milk");
  b.Merge(a);
  a.Remove("milk");  // a removes the add it saw...
  b.Add(2, "milk");  // ...while b adds milk again, concurrently
  a.Merge(b);
  b.Merge(a);
  REQUIRE(a.Contains("milk"));
  REQUIRE(a == b);
}

TEST_CASE("OR-set: a removed element never comes back from a replica that still had it") {
  OrSet a, b;
  a.Add(1, "milk");
  a.Add(1, "eggs");
  b.Merge(a);
  b.Remove("milk");
  a.Merge(b);  // a still held milk's add; b's clock says it was seen and removed
  REQUIRE(a.Elements() == std::vector<std::string>{"eggs"});
  b.Merge(a);
  REQUIRE(b.Elements() == std::vector<std::string>{"eggs"});
  REQUIRE_FALSE(b.Remove("milk"));  // absent: nothing to remove
}

TEST_CASE("flag: enable wins over a concurrent disable, a disable of what it saw sticks") {
  Flag a, b;
  a.Enable(1);
  b.Merge(a);
  b.Disable();
  a.Merge(b);
  REQUIRE_FALSE(a.enabled());  // the disable saw the only enable
  a.Enable(1);
  b.Disable();
  b.Merge(a);
  REQUIRE(b.enabled());  // a's new enable was concurrent with b's disable
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    auto states = Simulate<Flag>(
        seed, 200,
        [](Flag& f, ActorId actor, std::mt19937& rng, int) {
          if (rng() % 2 == 0) {
            f.Enable(actor);
          } else {
            f.Disable();
          }
        },
        [](const auto&, int, int) {});
    RequireJoinLaws(states, seed);
  }
}

TEST_CASE("register: an assignment replaces what it saw, concurrent ones are all kept") {
  MvRegister a, b;
  a.Assign(1, "draft");
  b.Merge(a);
  a.Assign(1, "mine");
  b.Assign(2, "yours");
  a.Merge(b);
  REQUIRE(a.Values() == std::vector<std::string>{"mine", "yours"});
  a.Assign(1, "ours");
  b.Merge(a);
  REQUIRE(b.Values() == std::vector<std::string>{"ours"});
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    auto states = Simulate<MvRegister>(
        seed, 200,
        [](MvRegister& reg, ActorId actor, std::mt19937& rng, int) { reg.Assign(actor, std::to_string(rng() % 5)); },
        [](const auto&, int, int) {});
    RequireJoinLaws(states, seed);
  }
}

TEST_CASE("encodings are compact, typed and versioned, and damage is an error, never a crash") {
  PnCounter counter;
  counter.Add(1, 5);
  counter.Add(2, -2);
  std::string bytes = counter.Encode();
  // header (3) + actor table (1 + 2 * 8) + per actor two one-byte varints (4)
  REQUIRE(bytes.size() == 3 + 1 + 16 + 4);
  REQUIRE(CrdtTypeOf(bytes).value() == CrdtType::kCounter);

  auto as_set = OrSet::Decode(bytes);
  REQUIRE(as_set.status().IsInvalidArgument());
  REQUIRE_THAT(as_set.status().message(), Catch::Contains("a counter, not a set"));
  REQUIRE(PnCounter::Decode("milk,eggs").status().IsInvalidArgument());
  REQUIRE(PnCounter::Decode("").status().IsInvalidArgument());
  std::string newer = bytes;
  newer[1] = 2;
  REQUIRE(PnCounter::Decode(newer).status().code() == StatusCode::kNotSupported);

  OrSet set;
  for (int i = 0; i < 100; ++i) set.Add(static_cast<ActorId>(1 + i % 2), "item-" + std::to_string(i));
  set.Remove("item-7");
  std::string set_bytes = set.Encode();
  // 99 elements of 6-7 bytes, each with one dot of 2-3 bytes: about 10 bytes an element.
  REQUIRE(set_bytes.size() < 99 * 11 + 40);

  MvRegister reg;
  reg.Assign(3, "v");
  Flag flag;
  flag.Enable(4);
  for (const std::string& encoded : {bytes, set_bytes, reg.Encode(), flag.Encode()}) {
    for (size_t len = 0; len < encoded.size(); ++len) {
      std::string cut = encoded.substr(0, len);
      REQUIRE_FALSE(PnCounter::Decode(cut).ok());
      REQUIRE_FALSE(OrSet::Decode(cut).ok());
      REQUIRE_FALSE(MvRegister::Decode(cut).ok());
      REQUIRE_FALSE(Flag::Decode(cut).ok());
    }
    REQUIRE(PnCounter::Decode(encoded + "x").ok() == false);
    REQUIRE(OrSet::Decode(encoded + "x").ok() == false);
  }
  REQUIRE(OrSet::Decode(set_bytes).value() == set);
}
