#include "engine/format/types.h"

namespace northstar::engine {

const char* PageTypeName(PageType type) {
  switch (type) {
    case PageType::kMeta:
      return "meta";
    case PageType::kLeaf:
      return "leaf";
    case PageType::kBranch:
      return "branch";
    case PageType::kOverflow:
      return "overflow";
    case PageType::kFreeList:
      return "free-list";
  }
  return "unknown";
}

}  // namespace northstar::engine
