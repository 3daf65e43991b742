#include "sdk/crdt/encoding.h"

#include <algorithm>

#include "common/coding.h"

namespace ringkv::crdt {
namespace {

// A table can name at most as many actors as the remaining bytes hold (8 bytes each), so
// a damaged count cannot make the reader allocate much.
constexpr size_t kActorBytes = 8;

}  // namespace

bool KnownType(unsigned char type) { return type >= 1 && type <= 4; }

BodyWriter::BodyWriter(CrdtType type, std::vector<ActorId> actors) : table_(std::move(actors)) {
  std::sort(table_.begin(), table_.end());
  table_.erase(std::unique(table_.begin(), table_.end()), table_.end());
  out_.push_back(static_cast<char>(kMagic));
  out_.push_back(static_cast<char>(kVersion));
  out_.push_back(static_cast<char>(type));
  PutVarint64(&out_, table_.size());
  for (ActorId actor : table_) PutFixed64(&out_, actor);
}

void BodyWriter::PutVarint(uint64_t v) { PutVarint64(&out_, v); }

void BodyWriter::PutBytes(std::string_view bytes) { PutLengthPrefixed(&out_, bytes); }

void BodyWriter::PutActor(ActorId actor) {
  auto it = std::lower_bound(table_.begin(), table_.end(), actor);
  PutVarint64(&out_, static_cast<uint64_t>(it - table_.begin()));
}

void BodyWriter::PutClock(const CrdtClock& vv) {
  size_t nonzero = std::count_if(vv.begin(), vv.end(), [](const auto& e) { return e.second != 0; });
  PutVarint64(&out_, nonzero);
  for (const auto& [actor, counter] : vv) {
    if (counter == 0) continue;
    PutActor(actor);
    PutVarint64(&out_, counter);
  }
}

Result<BodyReader> BodyReader::Open(std::string_view bytes, CrdtType type) {
  RINGKV_ASSIGN(CrdtType found, CrdtTypeOf(bytes));
  if (found != type) {
    return Status::InvalidArgument("a " + std::string(CrdtTypeName(found)) + ", not a " +
                                   std::string(CrdtTypeName(type)));
  }
  BodyReader reader(bytes.substr(kHeaderBytes), type);
  uint64_t actors = 0;
  RINGKV_TRY(reader.GetVarint(&actors));
  if (actors > reader.rest_.size() / kActorBytes) return reader.Damaged("actor table longer than the value");
  reader.table_.reserve(actors);
  for (uint64_t i = 0; i < actors; ++i) {
    uint64_t actor = 0;
    if (!GetFixed64(&reader.rest_, &actor)) return reader.Damaged("truncated actor table");
    if (!reader.table_.empty() && actor <= reader.table_.back()) return reader.Damaged("unsorted actor table");
    reader.table_.push_back(actor);
  }
  return reader;
}

Status BodyReader::Damaged(std::string_view what) const {
  return Status::Corruption("damaged CRDT " + std::string(CrdtTypeName(type_)) + ": " + std::string(what));
}

Status BodyReader::GetVarint(uint64_t* v) {
  if (!GetVarint64(&rest_, v)) return Damaged("truncated varint");
  return Status::OK();
}

Status BodyReader::GetBytes(std::string* bytes) {
  std::string_view view;
  if (!GetLengthPrefixed(&rest_, &view)) return Damaged("truncated string");
  bytes->assign(view);
  return Status::OK();
}

Status BodyReader::GetActor(ActorId* actor) {
  uint64_t index = 0;
  RINGKV_TRY(GetVarint(&index));
  if (index >= table_.size()) return Damaged("actor index out of range");
  *actor = table_[index];
  return Status::OK();
}

Status BodyReader::GetClock(CrdtClock* vv) {
  uint64_t entries = 0;
  RINGKV_TRY(GetVarint(&entries));
  if (entries > table_.size()) return Damaged("clock longer than the actor table");
  vv->clear();
  for (uint64_t i = 0; i < entries; ++i) {
    ActorId actor = 0;
    uint64_t counter = 0;
    RINGKV_TRY(GetActor(&actor));
    RINGKV_TRY(GetVarint(&counter));
    if (counter == 0) return Damaged("zero counter in a clock");
    if (!vv->empty() && actor <= vv->rbegin()->first) return Damaged("unsorted clock");
    (*vv)[actor] = counter;
  }
  return Status::OK();
}

Status BodyReader::Finish() const {
  if (!rest_.empty()) return Damaged(std::to_string(rest_.size()) + " bytes after the end");
  return Status::OK();
}

}  // namespace ringkv::crdt

namespace ringkv {

std::string_view CrdtTypeName(CrdtType type) {
  switch (type) {
    case CrdtType::kCounter:
      return "counter";
    case CrdtType::kSet:
      return "set";
    case CrdtType::kRegister:
      return "register";
    case CrdtType::kFlag:
      return "flag";
  }
  return "unknown";
}

Result<CrdtType> CrdtTypeOf(std::string_view bytes) {
  if (bytes.size() < crdt::kHeaderBytes || static_cast<unsigned char>(bytes[0]) != crdt::kMagic) {
    return Status::InvalidArgument("a plain value, not a CRDT");
  }
  auto version = static_cast<unsigned char>(bytes[1]);
  if (version != crdt::kVersion) {
    return Status::NotSupported("a CRDT of encoding version " + std::to_string(version) +
                                " (this client reads version 1)");
  }
  auto type = static_cast<unsigned char>(bytes[2]);
  if (!crdt::KnownType(type)) return Status::InvalidArgument("a CRDT of unknown type " + std::to_string(type));
  return static_cast<CrdtType>(type);
}

}  // namespace ringkv
