#include "sim/model.h"

#include "gtest/gtest.h"

namespace northstar::sim {
namespace {

using engine::LogOp;
using engine::LogOpType;

TEST(ReferenceModelTest, StateAsOfEachCommitAndTruncation) {
  ReferenceModel model;
  model.attempt(1, {{LogOpType::kPut, "a", "1"}, {LogOpType::kPut, "b", "1"}});
  model.acknowledge(1);
  model.attempt(2, {{LogOpType::kPut, "a", "2"}, {LogOpType::kDelete, "b", ""}});
  model.acknowledge(2);
  model.attempt(3, {{LogOpType::kPut, "c", "3"}, {LogOpType::kPut, "c", "33"}});
  EXPECT_EQ(model.state_at(0), (KeyValues{}));
  EXPECT_EQ(model.state_at(1), (KeyValues{{"a", "1"}, {"b", "1"}}));
  EXPECT_EQ(model.state_at(2), (KeyValues{{"a", "2"}}));
  EXPECT_EQ(model.state_at(3), (KeyValues{{"a", "2"}, {"c", "33"}}));
  EXPECT_EQ(model.floor(), 2u);
  EXPECT_EQ(model.last_attempted(), 3u);
  EXPECT_EQ(model.keys_of(3), std::vector<std::string>{"c"});
  model.truncate_after(2);  // Commit 3 was never acknowledged and did not survive.
  EXPECT_EQ(model.last_attempted(), 2u);
  EXPECT_EQ(model.get_at(5, "c"), std::nullopt);
  model.attempt(3, {{LogOpType::kPut, "d", "4"}});
  EXPECT_EQ(model.state_at(3), (KeyValues{{"a", "2"}, {"d", "4"}}));
}

// A suffix of several commits lost at once (a target that may lose a suffix, SQLite's WAL with
// synchronous = normal): a key first written by a lost commit and written again by a later lost
// commit is forgotten once, not looked up again after it is gone.
TEST(ReferenceModelTest, TruncatesASuffixThatWritesAKeyTwice) {
  ReferenceModel model;
  model.set_acknowledged_is_durable(false);
  model.attempt(1, {{LogOpType::kPut, "a", "1"}});
  model.acknowledge(1);
  model.attempt(2, {{LogOpType::kPut, "b", "2"}});
  model.acknowledge(2);
  model.attempt(3, {{LogOpType::kPut, "b", "3"}, {LogOpType::kPut, "a", "3"}});
  model.acknowledge(3);
  model.truncate_after(0);
  EXPECT_EQ(model.state_at(3), (KeyValues{}));
  EXPECT_EQ(model.last_attempted(), 0u);
  model.attempt(1, {{LogOpType::kPut, "c", "1"}});
  EXPECT_EQ(model.state_at(1), (KeyValues{{"c", "1"}}));
}

TEST(ReferenceModelTest, RangesForwardAndReverse) {
  ReferenceModel model;
  model.attempt(1, {{LogOpType::kPut, "a", "1"}, {LogOpType::kPut, "b", "2"},
                    {LogOpType::kPut, "c", "3"}});
  model.attempt(2, {{LogOpType::kDelete, "b", ""}});
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(model.range_at(1, "b", 10), (Entries{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(model.range_at(2, "a", 10), (Entries{{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(model.reverse_range_at(1, "c", 10), (Entries{{"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(model.reverse_range_at(2, "z", 1), (Entries{{"c", "3"}}));
}

TEST(ReferenceModelTest, NoSyncAcknowledgementsAreNotDurableUntilACheckpoint) {
  ReferenceModel model;
  model.set_acknowledged_is_durable(false);
  model.attempt(1, {{LogOpType::kPut, "a", "1"}});
  model.acknowledge(1);
  EXPECT_EQ(model.floor(), 0u);
  model.checkpointed(1);
  EXPECT_EQ(model.floor(), 1u);
}

}  // namespace
}  // namespace northstar::sim
