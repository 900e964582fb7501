// NS_ASSERT: invariant checks that stay on in every build type (debug, release, sanitizers).
//
// A failed assertion prints the expression, the file and line, and an optional message, then
// aborts. Use it for broken in-memory invariants; bytes read from disk that fail a check become
// Corruption statuses instead, never assertions.
#pragma once

#include <string_view>

namespace northstar::internal {

[[noreturn]] void AssertFailed(const char* expression, const char* file, int line,
                               std::string_view message);

}  // namespace northstar::internal

#define NS_ASSERT(condition)                                                    \
  do {                                                                          \
    if (!(condition)) [[unlikely]] {                                            \
      ::northstar::internal::AssertFailed(#condition, __FILE__, __LINE__, {}); \
    }                                                                           \
  } while (false)

// NS_ASSERT_MSG(condition, message): as NS_ASSERT, with a message (anything convertible to
// std::string_view) that is only evaluated on failure.
#define NS_ASSERT_MSG(condition, message)                                            \
  do {                                                                               \
    if (!(condition)) [[unlikely]] {                                                 \
      ::northstar::internal::AssertFailed(#condition, __FILE__, __LINE__, (message)); \
    }                                                                                \
  } while (false)
