// Each checker fires on the bug it exists to catch (a planted wrong state), and only then.
#include "sim/checkers.h"

#include "gtest/gtest.h"

namespace northstar::sim {
namespace {

using engine::LogOpType;

ReferenceModel ThreeCommits() {
  ReferenceModel model;
  model.attempt(1, {{LogOpType::kPut, "a", "1"}});
  model.acknowledge(1);
  model.attempt(2, {{LogOpType::kPut, "b", "2"}, {LogOpType::kPut, "c", "2"}});
  model.acknowledge(2);
  model.attempt(3, {{LogOpType::kPut, "d", "3"}});  // Attempted, not acknowledged.
  return model;
}

TEST(CheckersTest, AcceptsEveryLegalRecoveredState) {
  const ReferenceModel model = ThreeCommits();
  EXPECT_EQ(CheckRecoveredState(model, model.state_at(2), 2), std::nullopt);
  EXPECT_EQ(CheckRecoveredState(model, model.state_at(3), 3), std::nullopt);
}

TEST(CheckersTest, DurabilityFiresWhenAnAcknowledgedCommitIsLost) {
  const ReferenceModel model = ThreeCommits();
  const auto failure = CheckRecoveredState(model, model.state_at(1), 1);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kDurability);
  EXPECT_NE(failure->message.find("durability"), std::string::npos);
}

TEST(CheckersTest, AtomicityFiresOnAPartialCommit) {
  const ReferenceModel model = ThreeCommits();
  KeyValues partial = model.state_at(1);
  partial["b"] = "2";  // Half of commit 2.
  const auto failure = CheckRecoveredState(model, partial, 2);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kAtomicity) << failure->message;
}

TEST(CheckersTest, AtomicityFiresOnAPrefixOfACommitThatWroteAKeyTwice) {
  ReferenceModel model = ThreeCommits();
  model.acknowledge(3);
  model.attempt(4, {{LogOpType::kPut, "e", "first"},
                    {LogOpType::kPut, "f", "4"},
                    {LogOpType::kPut, "e", "second"}});
  KeyValues prefix = model.state_at(3);  // The first op of commit 4 only.
  prefix["e"] = "first";
  const auto failure = CheckRecoveredState(model, prefix, 4);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kAtomicity) << failure->message;
  EXPECT_EQ(model.intermediate_values_of(4, "e"),
            (std::vector<std::optional<std::string>>{std::string("first")}));
  // A value the commit never wrote is no partial commit.
  prefix["e"] = "never";
  const auto wrong = CheckRecoveredState(model, prefix, 4);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->kind, Verdict::kCrashState) << wrong->message;
}

TEST(CheckersTest, AtomicityFiresOnSeveralCommitsEachPartlyReplayed) {
  ReferenceModel model = ThreeCommits();
  model.acknowledge(3);
  model.attempt(4, {{LogOpType::kPut, "e", "4"}, {LogOpType::kPut, "f", "4"}});
  KeyValues torn = model.state_at(1);
  torn["b"] = "2";  // Half of commit 2 ...
  torn["e"] = "4";  // ... and half of commit 4 (commit 3's "d" is missing as well).
  const auto failure = CheckRecoveredState(model, torn, 4);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kAtomicity) << failure->message;
}

TEST(CheckersTest, CrashStateFiresOnAStateNoCommitProduced) {
  const ReferenceModel model = ThreeCommits();
  KeyValues wrong = model.state_at(3);
  wrong["a"] = "garbage";
  const auto failure = CheckRecoveredState(model, wrong, 3);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kCrashState) << failure->message;
  // The right state under the wrong txn id is a crash-state failure too.
  const auto mislabeled = CheckRecoveredState(model, model.state_at(2), 3);
  ASSERT_TRUE(mislabeled.has_value());
  EXPECT_EQ(mislabeled->kind, Verdict::kCrashState);
}

TEST(CheckersTest, SnapshotIsolationFiresOnAReadFromAnotherCommit) {
  const ReferenceModel model = ThreeCommits();
  EXPECT_EQ(CheckSnapshotRead(model, 2, "b", std::string("2")), std::nullopt);
  EXPECT_EQ(CheckSnapshotRead(model, 1, "b", std::nullopt), std::nullopt);
  const auto failure = CheckSnapshotRead(model, 1, "b", std::string("2"));  // A future value.
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kSnapshotIsolation);
}

}  // namespace
}  // namespace northstar::sim
