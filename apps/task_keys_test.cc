#include "apps/task_keys.h"

#include "gtest/gtest.h"

namespace northstar::apps::task_keys {
namespace {

TEST(TaskKeysTest, KeysAreFixedWidthSoKeyOrderIsIdOrder) {
  EXPECT_EQ(TaskKey(42), "task:00000000000000000042");
  EXPECT_EQ(ClaimKey(42, 7), "claim:00000000000000000042:000007");
  EXPECT_EQ(AgentActiveKey(7), "agent:000007:active");
  EXPECT_EQ(CompletedKey(42), "completed:00000000000000000042");
  EXPECT_LT(TaskKey(9), TaskKey(10));
  EXPECT_TRUE(ClaimKey(42, 7).starts_with(ClaimPrefix(42)));
  EXPECT_FALSE(ClaimKey(420, 7).starts_with(ClaimPrefix(42)));
}

TEST(TaskKeysTest, IdsAndAgentsParseBackAndMalformedKeysDoNot) {
  EXPECT_EQ(TaskIdOfKey(TaskKey(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(TaskIdOfKey(ClaimKey(5, 999'999)), 5u);
  EXPECT_EQ(TaskIdOfKey(CompletedKey(6)), 6u);
  EXPECT_EQ(AgentOfClaimKey(ClaimKey(5, 31)), 31u);
  EXPECT_EQ(TaskIdOfKey(AgentActiveKey(1)), std::nullopt);
  EXPECT_EQ(TaskIdOfKey("task:42"), std::nullopt);
  EXPECT_EQ(TaskIdOfKey("task:0000000000000000004x"), std::nullopt);
  EXPECT_EQ(TaskIdOfKey("task:99999999999999999999"), std::nullopt);  // Over 2^64 - 1.
  EXPECT_EQ(AgentOfClaimKey(TaskKey(5)), std::nullopt);
}

TEST(TaskKeysTest, TheTypeIsTheFirstMemberOfTheMetadata) {
  EXPECT_EQ(*TaskTypeOf(TaskMetadata("build", 3, "make all")), "build");
  EXPECT_FALSE(TaskTypeOf(R"({"priority":3,"type":"build"})").ok());
  EXPECT_FALSE(TaskTypeOf(R"({"type":"Build"})").ok());
  EXPECT_FALSE(TaskTypeOf(R"({"type":"build)").ok());
  EXPECT_FALSE(TaskTypeOf("").ok());
  EXPECT_FALSE(IsValidTaskType(std::string(kTypeBytesMax + 1, 'a')));
}

}  // namespace
}  // namespace northstar::apps::task_keys
