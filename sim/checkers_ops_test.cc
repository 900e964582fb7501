// The checkers of single operations and of the run (sim/checkers_ops.h): each passes what is
// right and names its verdict on what is wrong.
#include "sim/checkers_ops.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace northstar::sim {
namespace {

using ::testing::HasSubstr;

TEST(CheckersOpsTest, EngineErrorsAreCorruptionOnlyWhenNothingExplainsThem) {
  const absl::Status data_loss = absl::DataLossError("page 7: bad checksum");
  EXPECT_EQ(CheckEngineError(absl::InternalError("EIO"), "get", false, false), std::nullopt);
  EXPECT_EQ(CheckEngineError(data_loss, "get", /*damage_allowed=*/true, false), std::nullopt);
  EXPECT_EQ(CheckEngineError(data_loss, "get", false, /*disk_halted=*/true), std::nullopt);
  const std::optional<CheckFailure> failure = CheckEngineError(data_loss, "get", false, false);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->kind, Verdict::kCorruption);
  EXPECT_THAT(failure->message, HasSubstr("corruption: get failed with Corruption"));
}

TEST(CheckersOpsTest, RecoveryStructureAndLiveness) {
  EXPECT_EQ(CheckRecoveryOpen(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(CheckRecoveryOpen(absl::DataLossError("meta"))->kind, Verdict::kCorruption);
  EXPECT_EQ(CheckRecoveryOpen(absl::InternalError("log"))->kind, Verdict::kCrashState);
  EXPECT_EQ(CheckStructure({}), std::nullopt);
  const std::optional<CheckFailure> structure =
      CheckStructure({{Verdict::kPageAccounting, "page 9 leaked"}, {Verdict::kStructure, "x"}});
  ASSERT_TRUE(structure.has_value());
  EXPECT_EQ(structure->kind, Verdict::kPageAccounting);
  EXPECT_EQ(structure->message, "page-accounting: page 9 leaked");
  EXPECT_EQ(CheckLiveness(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(CheckLiveness(absl::DeadlineExceededError("runaway"))->kind, Verdict::kLiveness);
}

TEST(CheckersOpsTest, ReadYourWritesDeleteAndWriteBase) {
  EXPECT_EQ(CheckReadYourWrites("k", 3, "v", "v"), std::nullopt);
  EXPECT_EQ(CheckReadYourWrites("k", 3, std::nullopt, std::nullopt), std::nullopt);
  EXPECT_EQ(CheckReadYourWrites("k", 3, std::nullopt, "v")->message,
            "snapshot-isolation: read-your-writes: get of k in txn 3 saw nothing, expected a value");
  EXPECT_EQ(CheckDelete("k", 4, true, true), std::nullopt);
  EXPECT_EQ(CheckDelete("k", 4, true, false)->kind, Verdict::kSnapshotIsolation);
  EXPECT_EQ(CheckWriteBase(5, 4), std::nullopt);
  EXPECT_THAT(CheckWriteBase(5, 3)->message, HasSubstr("snapshot is of commit 3, not 4"));
}

TEST(CheckersOpsTest, ScansAgainstTheModel) {
  const ScanEntries model = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(CheckScan(false, "a", 2, model, model), std::nullopt);
  EXPECT_THAT(CheckScan(true, "c", 2, {{"b", "2"}, {"a", "9"}}, {{"b", "2"}, {"a", "1"}})->message,
              HasSubstr("reverse scan from c in the snapshot of commit 2 returned 2 entries, the "
                        "model has 2 (a key or value differs)"));
  EXPECT_EQ(CheckPrefixScan("claims", "claim:", 2, model, model), std::nullopt);
  EXPECT_EQ(CheckPrefixScan("claims", "claim:", 2, {}, model)->kind, Verdict::kSnapshotIsolation);
}

}  // namespace
}  // namespace northstar::sim
