// Fuzz target: decoding version vectors, causal contexts and sibling sets (what a client's
// context and a replica's stored value carry, retired write ids and the LWW flag included). Whatever decodes must
// re-encode to something that decodes to the same value.

#include <cstdint>
#include <cstdlib>

#include "common/vector_clock.h"

using namespace ringkv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto vv = VersionVector::Decode(bytes); vv.ok()) {
    auto again = VersionVector::Decode(vv->Encode());
    if (!again.ok() || !(*again == *vv)) std::abort();
  }
  if (auto context = CausalContext::Decode(bytes); context.ok()) {
    auto again = CausalContext::Decode(context->Encode());
    if (!again.ok() || !(again->clock == context->clock) || !(again->read == context->read)) std::abort();
  }
  if (auto set = SiblingSet::Decode(bytes); set.ok()) {
    auto again = SiblingSet::Decode(set->Encode());
    if (!again.ok() || !(*again == *set)) std::abort();
    SiblingSet merged = *set;
    merged.Merge(*set);  // merging a set with itself changes nothing
    if (!(merged == *set)) std::abort();
    (void)set->context();
  }
  return 0;
}
