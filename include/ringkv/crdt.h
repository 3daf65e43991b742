#pragma once
// CRDT types: values that merge themselves, so an application never resolves siblings for
// them. Each is a state-based CRDT (a join semilattice): Merge is commutative, associative
// and idempotent, so replicas, siblings and hints that saw the updates in any order and any
// number of times converge to one state. They are stored as ordinary values (a compact
// encoding, see Encode), so replication, hints, repair and streaming handle them unchanged.
//
//   PnCounter   a counter that goes up and down (per actor: increments and decrements)
//   OrSet       a set of strings, add-wins (an ORSWOT: observed-remove set without
//               tombstones): a remove takes out only the adds it observed, so it never loses
//               a concurrent add, and a removed element never comes back by itself
//   MvRegister  a multi-value register: an assignment replaces the values it observed;
//               concurrent assignments are all kept (Values() lists them)
//   Flag        an enable-wins flag: enable and disable concurrently -> enabled
//
// An *actor* is the writer that makes an update (CrdtClient uses one random 64-bit id per
// client). The states stay correct only if each actor's updates to one key form a causal
// chain: every update by actor A starts from a state that includes A's previous update of
// that key. CrdtClient (below) keeps that rule; code that updates states by hand must too.
//
// Encoding (Encode/Decode, version 1): byte 0xFF (never the first byte of UTF-8 text),
// the version byte 0x01, a type byte (CrdtType), then the type's body: a table of the
// actors it mentions (8 bytes each) followed by varints that refer to actors by their index.
// Decode checks every byte and accepts nothing else: InvalidArgument for a value that is not
// a CRDT or another type's, Corruption for a damaged one.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/client.h"
#include "ringkv/status.h"

namespace ringkv {

using ActorId = uint64_t;
// How many updates of each actor a state has seen: {actor -> counter}; absent means 0.
using CrdtClock = std::map<ActorId, uint64_t>;

enum class CrdtType : uint8_t { kCounter = 1, kSet = 2, kRegister = 3, kFlag = 4 };
std::string_view CrdtTypeName(CrdtType type);  // "counter", "set", "register", "flag"

// The type of an encoded CRDT value; InvalidArgument if `bytes` is not one (a plain value).
Result<CrdtType> CrdtTypeOf(std::string_view bytes);

class PnCounter {
 public:
  static constexpr CrdtType kType = CrdtType::kCounter;
  // `by` is added to (or, negative, subtracted from) the value, as `actor`.
  void Add(ActorId actor, int64_t by);
  int64_t Value() const;
  void Merge(const PnCounter& other);
  std::string Encode() const;
  static Result<PnCounter> Decode(std::string_view bytes);
  bool operator==(const PnCounter& other) const { return up_ == other.up_ && down_ == other.down_; }

 private:
  // Per actor: the sum of its increments and of its decrements (both only grow).
  std::map<ActorId, uint64_t> up_, down_;
};

class OrSet {
 public:
  static constexpr CrdtType kType = CrdtType::kSet;
  void Add(ActorId actor, const std::string& element);
  // Removes the element's adds this state has seen; false (and no change) if absent.
  bool Remove(const std::string& element);
  bool Contains(const std::string& element) const { return entries_.count(element) != 0; }
  std::vector<std::string> Elements() const;  // sorted
  size_t size() const { return entries_.size(); }
  void Merge(const OrSet& other);
  std::string Encode() const;
  static Result<OrSet> Decode(std::string_view bytes);
  bool operator==(const OrSet& other) const { return clock_ == other.clock_ && entries_ == other.entries_; }

 private:
  CrdtClock clock_;  // every add this state has seen (removed ones too)
  // Each present element with the adds ("dots": actor -> that actor's counter) that keep it.
  std::map<std::string, CrdtClock> entries_;
};

class MvRegister {
 public:
  static constexpr CrdtType kType = CrdtType::kRegister;
  // Replaces every value this state holds.
  void Assign(ActorId actor, const std::string& value);
  // One value, or several after concurrent assignments (sorted); empty if never assigned.
  std::vector<std::string> Values() const;
  void Merge(const MvRegister& other);
  std::string Encode() const;
  static Result<MvRegister> Decode(std::string_view bytes);
  bool operator==(const MvRegister& other) const { return entries_ == other.entries_; }

 private:
  struct Entry {
    CrdtClock clock;  // the assignment's version: what it had seen, plus itself
    std::string value;
    bool operator==(const Entry& other) const { return clock == other.clock && value == other.value; }
  };
  std::vector<Entry> entries_;  // none dominates another; sorted by (clock, value)
};

class Flag {
 public:
  static constexpr CrdtType kType = CrdtType::kFlag;
  void Enable(ActorId actor);
  void Disable();  // disables the enables this state has seen
  bool enabled() const { return !dots_.empty(); }
  void Merge(const Flag& other);
  std::string Encode() const;
  static Result<Flag> Decode(std::string_view bytes);
  bool operator==(const Flag& other) const { return clock_ == other.clock_ && dots_ == other.dots_; }

 private:
  CrdtClock clock_;  // every enable seen
  CrdtClock dots_;   // the enables that keep it enabled
};

struct CrdtClientOptions {
  // Keys whose last written state the client remembers (see CrdtClient); when a new key
  // would exceed it, the client takes a fresh actor id and forgets them all.
  size_t max_cached_keys = 10'000;
  // 0: a random actor id. Tests only: two clients must never share one.
  ActorId actor = 0;
};

// CrdtClient: reads, updates and writes CRDT values through a Client (its public Get/Put/
// Delete). An update is: Get (every sibling) -> decode and merge them all, plus this
// client's last written state of the key unless the read is known to hold it -> apply the
// op -> Put with the read's context, so the new state replaces exactly the versions it
// merged; a version the read missed stays a sibling and is merged by the next reader.
// Readers never see siblings: Get* returns their merge.
//
// Causal chains (why the cache): updates are made as this client's actor (a random 64-bit
// id). A put that failed or timed out may still have landed on a replica that the next read
// does not reach; without it, the next update would reuse the same counter of this actor and
// the two states would overlap instead of adding up (a counter loses an increment, a set
// drops an add). So the client keeps, per key, the last state it wrote — stored before the
// put is sent, whether the put then succeeds or not — with, once the put is acknowledged,
// the causal context of the version it created. The next update merges that state into
// what it reads, unless the read's context covers the stored one: then the read holds the
// write or a write that superseded it, and merging would undo that (a delete would come
// back). If such a read lacks the state (it was deleted), the key's updates go on as a
// fresh actor, so no step of the old actor is reused. The cache holds at most
// max_cached_keys keys; when full, the client switches to a fresh actor id and clears it
// (a new actor starts new chains, so nothing it forgot matters).
//
// Deletes: a delete with a read's context (Client::Delete by anyone, or CrdtClient::Delete)
// stays deleted when this client updates the key again, except in two narrow cases:
// (1) this client's last put of the key failed (outcome unknown, e.g. TimedOut) and another
// client's delete then superseded it, before this client's next update: that update
// carries the failed put's state back, as it cannot tell "deleted" from "missed by this
// read" (CrdtClient::Delete through this same client has no such case: it drops the state);
// (2) the next update's read misses the delete (it reaches only replicas that have not seen
// it: R + W <= N, or sloppy quorum under failures): like any read-modify-write, it writes
// back what it read, and the cached state too if the read also missed this client's write.
//
// Updates of one key through one CrdtClient are serialized (striped mutexes, held on the
// calling thread across the Get and the Put). A failed put is never retried here: its
// outcome may be unknown (TimedOut, QuorumNotReached: it may have landed), and re-running
// the op could apply it twice; the error is returned, and the next update of the key carries
// the state anyway (a counter increment that reported an error may therefore still count).
//
// Errors: InvalidArgument when the key holds another CRDT type or a plain value (nothing is
// written), plus every error of Client::Get, Client::Put and Client::Delete. A key never
// written, or deleted, reads as the empty state. Thread-safe; the sync calls block the calling thread
// (not usable inside a Client callback, like every sync call).
class CrdtClient {
 public:
  explicit CrdtClient(Client& client, CrdtClientOptions options = {});
  ~CrdtClient();
  CrdtClient(const CrdtClient&) = delete;
  CrdtClient& operator=(const CrdtClient&) = delete;

  // The client's current actor id (changes when the cache is rotated; a key whose state
  // was deleted is updated as a fresh actor of its own).
  ActorId actor() const;

  // Deletes the key, whatever type it holds: reads it and deletes what the read found
  // (Client::Delete with the read's context; a concurrent update the read missed survives
  // as a sibling), and forgets this client's cached state of it, so the client's next
  // update starts from the empty state whatever the delete's outcome.
  Status Delete(const std::string& key, const RequestOptions& options = {});

  Result<PnCounter> GetCounter(const std::string& key, const RequestOptions& options = {});
  // Adds `by` (negative: subtracts); returns the value this update wrote.
  Result<int64_t> Increment(const std::string& key, int64_t by = 1, const RequestOptions& options = {});

  Result<OrSet> GetSet(const std::string& key, const RequestOptions& options = {});
  Status AddToSet(const std::string& key, const std::vector<std::string>& elements, const RequestOptions& options = {});
  // Removes the elements the read found (the others are ignored); nothing is written if
  // none was there.
  Status RemoveFromSet(const std::string& key, const std::vector<std::string>& elements,
                       const RequestOptions& options = {});

  Result<MvRegister> GetRegister(const std::string& key, const RequestOptions& options = {});
  Status Assign(const std::string& key, const std::string& value, const RequestOptions& options = {});

  Result<Flag> GetFlag(const std::string& key, const RequestOptions& options = {});
  Status SetFlag(const std::string& key, bool enabled, const RequestOptions& options = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringkv
