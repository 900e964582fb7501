#include "util/assert.h"

#include <cstdio>
#include <cstdlib>

namespace northstar::internal {

void AssertFailed(const char* expression, const char* file, int line, std::string_view message) {
  // stdio, not iostreams: this runs on a broken process and must not allocate much.
  std::fprintf(stderr, "NS_ASSERT failed: %s\n  at %s:%d\n", expression, file, line);
  if (!message.empty()) {
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(message.size()), message.data());
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace northstar::internal
