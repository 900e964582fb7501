#include "util/status.h"

#include <memory>
#include <utility>

#include "gtest/gtest.h"

namespace northstar {
namespace {

absl::Status Counted(int* call_count, absl::Status status) {
  (*call_count)++;
  return status;
}

absl::Status RunUntilError(int* call_count, absl::Status status, bool* reached_end) {
  NS_RETURN_IF_ERROR(Counted(call_count, std::move(status)));
  *reached_end = true;
  return absl::OkStatus();
}

TEST(StatusTest, ReturnIfErrorReturnsTheError) {
  int call_count = 0;
  bool reached_end = false;
  const absl::Status result =
      RunUntilError(&call_count, absl::DataLossError("bad crc in page 3"), &reached_end);
  EXPECT_EQ(result, absl::DataLossError("bad crc in page 3"));
  EXPECT_FALSE(reached_end);
  EXPECT_EQ(call_count, 1);
}

TEST(StatusTest, ReturnIfErrorContinuesOnOk) {
  int call_count = 0;
  bool reached_end = false;
  EXPECT_TRUE(RunUntilError(&call_count, absl::OkStatus(), &reached_end).ok());
  EXPECT_TRUE(reached_end);
  EXPECT_EQ(call_count, 1);
}

absl::StatusOr<int> ReturnIfErrorInStatusOr(absl::Status status) {
  NS_RETURN_IF_ERROR(status);
  return 7;
}

TEST(StatusTest, ReturnIfErrorWorksInStatusOrFunctions) {
  EXPECT_EQ(*ReturnIfErrorInStatusOr(absl::OkStatus()), 7);
  EXPECT_EQ(ReturnIfErrorInStatusOr(absl::InternalError("EIO")).status(),
            absl::InternalError("EIO"));
}

absl::StatusOr<int> Positive(int* call_count, int value) {
  (*call_count)++;
  if (value <= 0) return absl::InvalidArgumentError("not positive");
  return value;
}

absl::StatusOr<int> SumWithDeclarations(int* call_count, int first, int second) {
  NS_ASSIGN_OR_RETURN(const int first_value, Positive(call_count, first));
  NS_ASSIGN_OR_RETURN(int second_value, Positive(call_count, second));
  return first_value + second_value;
}

TEST(StatusTest, AssignOrReturnDeclares) {
  int call_count = 0;
  EXPECT_EQ(*SumWithDeclarations(&call_count, 2, 3), 5);
  EXPECT_EQ(call_count, 2);
}

TEST(StatusTest, AssignOrReturnReturnsTheErrorAndStops) {
  int call_count = 0;
  EXPECT_EQ(SumWithDeclarations(&call_count, -1, 3).status(),
            absl::InvalidArgumentError("not positive"));
  EXPECT_EQ(call_count, 1);
}

absl::Status AssignExisting(int* call_count, int input, int* output) {
  int value = -1;
  NS_ASSIGN_OR_RETURN(value, Positive(call_count, input));
  *output = value;
  return absl::OkStatus();
}

TEST(StatusTest, AssignOrReturnAssignsAnExistingVariable) {
  int call_count = 0;
  int output = 0;
  EXPECT_TRUE(AssignExisting(&call_count, 9, &output).ok());
  EXPECT_EQ(output, 9);
  EXPECT_EQ(AssignExisting(&call_count, 0, &output).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(output, 9);
  EXPECT_EQ(call_count, 2);
}

absl::StatusOr<std::unique_ptr<int>> MakeBox(int value) {
  if (value < 0) return absl::ResourceExhaustedError("no boxes left");
  return std::make_unique<int>(value);
}

absl::StatusOr<int> UnboxDeclared(int value) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(value));
  return *box;
}

absl::StatusOr<int> UnboxExisting(int value) {
  std::unique_ptr<int> box;
  NS_ASSIGN_OR_RETURN(box, MakeBox(value));
  return *box + 1;
}

TEST(StatusTest, AssignOrReturnMovesMoveOnlyValues) {
  EXPECT_EQ(*UnboxDeclared(4), 4);
  EXPECT_EQ(*UnboxExisting(4), 5);
  EXPECT_EQ(UnboxDeclared(-1).status(), absl::ResourceExhaustedError("no boxes left"));
  EXPECT_EQ(UnboxExisting(-1).status(), absl::ResourceExhaustedError("no boxes left"));
}

}  // namespace
}  // namespace northstar
