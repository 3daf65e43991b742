#pragma once
// The CRDT values' byte format (include/ringkv/crdt.h, "Encoding"): a 3-byte header (0xFF,
// version, type), then a table of the actors the state mentions, then the type's fields as
// varints, with actors written as their index in the table. The writer (BodyWriter) and the
// reader (BodyReader) are the only code that knows the layout; the reader checks every
// length, index and count, so a damaged or foreign value is an error, never a crash.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringkv/crdt.h"
#include "ringkv/status.h"

namespace ringkv::crdt {

inline constexpr unsigned char kMagic = 0xFF;
inline constexpr unsigned char kVersion = 1;
inline constexpr size_t kHeaderBytes = 3;
bool KnownType(unsigned char type);  // a CrdtType this version knows

class BodyWriter {
 public:
  // `actors`: every actor the body will name (any order, repeats allowed).
  BodyWriter(CrdtType type, std::vector<ActorId> actors);
  void PutVarint(uint64_t v);
  void PutBytes(std::string_view bytes);  // length-prefixed
  void PutActor(ActorId actor);           // REQUIRES: actor was in the table
  void PutClock(const CrdtClock& vv);
  std::string Finish() { return std::move(out_); }

 private:
  std::vector<ActorId> table_;  // sorted, unique
  std::string out_;
};

class BodyReader {
 public:
  // Checks the header: InvalidArgument if `bytes` is not a CRDT value or is one of another
  // type than `type`, NotSupported for a newer version; then reads the actor table
  // (Corruption if damaged).
  static Result<BodyReader> Open(std::string_view bytes, CrdtType type);
  Status GetVarint(uint64_t* v);
  Status GetBytes(std::string* bytes);
  Status GetActor(ActorId* actor);
  // Non-zero counters, actors in increasing order (the canonical form Encode writes).
  Status GetClock(CrdtClock* vv);
  // Corruption unless every byte was read.
  Status Finish() const;
  const std::vector<ActorId>& actors() const { return table_; }

 private:
  BodyReader(std::string_view rest, CrdtType type) : rest_(rest), type_(type) {}
  Status Damaged(std::string_view what) const;
  std::string_view rest_;
  CrdtType type_;
  std::vector<ActorId> table_;
};

}  // namespace ringkv::crdt
