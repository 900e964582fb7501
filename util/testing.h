// Test-only helpers shared by every module's GoogleTest files: status assertions and a scoped
// temporary directory. Include only from *_test.cc files.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "gtest/gtest.h"
#include "util/assert.h"
#include "util/status.h"

#define ASSERT_OK(expression)                       \
  do {                                              \
    const ::absl::Status assert_ok_ = (expression); \
    ASSERT_TRUE(assert_ok_.ok()) << assert_ok_;     \
  } while (false)

#define EXPECT_OK(expression)                       \
  do {                                              \
    const ::absl::Status expect_ok_ = (expression); \
    EXPECT_TRUE(expect_ok_.ok()) << expect_ok_;     \
  } while (false)

// ASSERT_OK_AND_ASSIGN(lhs, expression): fails the test unless the absl::StatusOr is OK, then
// moves its value into lhs (which may be a declaration).
#define ASSERT_OK_AND_ASSIGN(lhs, expression) \
  ASSERT_OK_AND_ASSIGN_IMPL(NS_STATUS_CONCAT(statusor_, __LINE__), lhs, expression)
#define ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expression) \
  auto statusor = (expression);                              \
  ASSERT_TRUE(statusor.ok()) << statusor.status();           \
  lhs = std::move(statusor).value()

namespace northstar {

// A directory made with mkdtemp() under the test's temporary directory and removed, with
// everything in it, on destruction.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(std::string_view prefix = "northstar") {
    std::string pattern = ::testing::TempDir();
    if (!pattern.empty() && pattern.back() != '/') pattern += '/';
    pattern += prefix;
    pattern += "_XXXXXX";
    NS_ASSERT_MSG(::mkdtemp(pattern.data()) != nullptr, pattern);
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace northstar
