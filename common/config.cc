#include "common/config.h"

namespace ringkv {

std::string_view DurabilityName(Durability d) {
  switch (d) {
    case Durability::kNone:
      return "none";
    case Durability::kBatch:
      return "batch";
    case Durability::kAlways:
      return "always";
  }
  return "unknown";
}

bool ParseDurability(std::string_view name, Durability* out) {
  if (name == "none")
    *out = Durability::kNone;
  else if (name == "batch")
    *out = Durability::kBatch;
  else if (name == "always")
    *out = Durability::kAlways;
  else
    return false;
  return true;
}

}  // namespace ringkv
