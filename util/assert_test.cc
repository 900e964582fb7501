#include "util/assert.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace northstar {
namespace {

// The report NS_ASSERT prints for `expression` failing at `line` of this file, as a regular
// expression for EXPECT_DEATH.
std::string ExpectedReport(std::string_view expression, int line) {
  return "NS_ASSERT failed: " + std::string(expression) +
         "\n  at .*assert_test\\.cc:" + std::to_string(line) + "\n";
}

TEST(AssertDeathTest, FailurePrintsExpressionAndLocation) {
  const int two = 2;
  const int line = __LINE__ + 1;  // The assertion is on the next line.
  EXPECT_DEATH(NS_ASSERT(two == 3), ExpectedReport("two == 3", line));
}

TEST(AssertDeathTest, FailurePrintsMessage) {
  const int two = 2;
  const int line = __LINE__ + 1;  // The assertion is on the next line.
  EXPECT_DEATH(NS_ASSERT_MSG(two > 2, "page 7 is not pinned"),
               ExpectedReport("two > 2", line) + "  page 7 is not pinned");
}

TEST(AssertDeathTest, MessageMayBeAString) {
  const std::string page = "page 9";
  EXPECT_DEATH(NS_ASSERT_MSG(page.empty(), page + " has no owner"), "page 9 has no owner");
}

TEST(AssertTest, TrueConditionDoesNothing) {
  NS_ASSERT(true);
  NS_ASSERT_MSG(1 + 1 == 2, "arithmetic");
  SUCCEED();
}

TEST(AssertTest, ConditionIsEvaluatedOnce) {
  int evaluation_count = 0;
  NS_ASSERT(++evaluation_count == 1);
  EXPECT_EQ(evaluation_count, 1);
  NS_ASSERT_MSG(++evaluation_count == 2, "second");
  EXPECT_EQ(evaluation_count, 2);
}

TEST(AssertTest, MessageIsNotEvaluatedWhenConditionHolds) {
  int message_count = 0;
  auto message = [&message_count]() -> std::string_view {
    message_count++;
    return "expensive";
  };
  NS_ASSERT_MSG(true, message());
  EXPECT_EQ(message_count, 0);
}

// An assertion is a single statement, so it nests under an unbraced if/else.
TEST(AssertTest, BehavesAsOneStatement) {
  const bool flag = false;
  if (flag)
    NS_ASSERT(false);
  else
    NS_ASSERT(true);
  SUCCEED();
}

}  // namespace
}  // namespace northstar
