#include "apps/history.h"

#include <map>
#include <set>

#include "engine/db.h"
#include "engine/log/replay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::apps {
namespace {

using ::testing::HasSubstr;

constexpr HistoryConfig kConfig{.seed = 9,
                                .txns = 400,
                                .keys = 40,
                                .writes_per_txn_max = 4,
                                .delete_percent = 25,
                                .value_bytes_min = 3,
                                .value_bytes_max = 20};

HistoryEntries AsEntries(const std::map<std::string, std::string>& state) {
  return HistoryEntries(state.begin(), state.end());
}

TEST(HistoryTest, TransactionsAreSmallDistinctAndPure) {
  std::set<size_t> sizes;
  uint64_t deletes = 0;
  for (uint64_t txn = 1; txn <= kConfig.txns; txn++) {
    const std::vector<engine::LogOp> ops = HistoryOps(kConfig, txn);
    ASSERT_GE(ops.size(), 1u);
    ASSERT_LE(ops.size(), kConfig.writes_per_txn_max);
    sizes.insert(ops.size());
    EXPECT_EQ(ops[0].type, engine::LogOpType::kPut);
    std::set<std::string> keys;
    for (const engine::LogOp& op : ops) {
      EXPECT_TRUE(keys.insert(op.key).second) << "txn " << txn << " writes " << op.key << " twice";
      if (op.type == engine::LogOpType::kDelete) {
        deletes++;
        EXPECT_EQ(op.value, "");
      } else {
        EXPECT_GE(op.value.size(), kConfig.value_bytes_min);
        EXPECT_LE(op.value.size(), kConfig.value_bytes_max);
        EXPECT_EQ(op.value.find_first_not_of("abcdefghijklmnopqrstuvwxyz"), std::string::npos);
      }
    }
    EXPECT_EQ(HistoryOps(kConfig, txn), ops);
  }
  EXPECT_EQ(sizes.size(), 4u);
  EXPECT_GT(deletes, 50u);
  EXPECT_EQ(HistoryKey(42), "h:0000000042");
  HistoryConfig other = kConfig;
  other.seed = 10;
  EXPECT_NE(HistoryOps(other, 1), HistoryOps(kConfig, 1));
}

TEST(HistoryTest, BadConfigsAreRefusedByName) {
  HistoryConfig config = kConfig;
  config.keys = 3;
  EXPECT_THAT(ValidateHistoryConfig(config).message(), HasSubstr("keys = 3 is outside [4,"));
  config = kConfig;
  config.txns = kHistoryTxnsMax + 1;
  EXPECT_THAT(ValidateHistoryConfig(config).message(), HasSubstr("txns"));
  config = kConfig;
  config.value_bytes_min = 30;
  EXPECT_THAT(ValidateHistoryConfig(config).message(), HasSubstr("value_bytes_min"));
  EXPECT_OK(ValidateHistoryConfig(kConfig));
}

// The model against the obvious one: a map per txn, built by applying every op.
TEST(HistoryTest, ModelMatchesApplyingEveryTransaction) {
  const HistoryModel model(kConfig);
  std::map<std::string, std::string> state;
  EXPECT_TRUE(model.state_at(0).empty());
  uint64_t writes = 0;
  for (uint64_t txn = 1; txn <= kConfig.txns; txn++) {
    for (const engine::LogOp& op : HistoryOps(kConfig, txn)) {
      writes++;
      if (op.type == engine::LogOpType::kPut) {
        state[op.key] = op.value;
      } else {
        state.erase(op.key);
      }
    }
    ASSERT_EQ(DiffEntries(AsEntries(state), AsEntries(model.state_at(txn))), std::nullopt) << txn;
    for (uint64_t key = 0; key < kConfig.keys; key += 7) {
      auto found = state.find(HistoryKey(key));
      EXPECT_EQ(model.value_at(key, txn),
                found == state.end() ? std::nullopt : std::optional(found->second));
    }
    const HistoryEntries range = model.range_at(txn, 10, 5);
    auto from = state.lower_bound(HistoryKey(10));
    HistoryEntries expected;
    for (; from != state.end() && expected.size() < 5; ++from) expected.push_back(*from);
    EXPECT_EQ(range, expected);
  }
  EXPECT_EQ(model.writes(), writes);
  EXPECT_EQ(model.key_index_of("h:0000000039"), 39u);
  EXPECT_EQ(model.key_index_of("h:0000000040"), std::nullopt);
  EXPECT_EQ(model.key_index_of("h:000000003x"), std::nullopt);
}

// The history committed to the engine: commit t is txn t, the log replays to the model's state
// at every t, and retained snapshots read as the model says.
TEST(HistoryTest, EngineCommitsAndReplaysMatchTheModel) {
  vfs::SimDisk disk({}, 1);
  engine::DbOptions options;
  options.durability = engine::Durability::kLogNoSync;
  options.recycle_log = false;
  options.retained_snapshots = 50;
  options.page_size_bytes = 4096;
  ASSERT_OK_AND_ASSIGN(auto db, engine::Db::open(disk, "/h/history.ns", options));
  for (uint64_t txn = 1; txn <= kConfig.txns; txn++) {
    ASSERT_OK_AND_ASSIGN(auto write, db->begin_write());
    ASSERT_EQ(write->txn_id(), txn);
    for (const engine::LogOp& op : HistoryOps(kConfig, txn)) {
      if (op.type == engine::LogOpType::kPut) {
        ASSERT_OK(write->put(op.key, op.value));
      } else {
        ASSERT_OK(write->del(op.key).status());
      }
    }
    ASSERT_OK(write->commit());
    if (txn == kConfig.txns / 2) ASSERT_OK(db->checkpoint());
  }
  const HistoryModel model(kConfig);
  ASSERT_OK_AND_ASSIGN(auto log, disk.open(engine::LogPathFor("/h/history.ns"), {}));
  for (uint64_t txn : {uint64_t{1}, uint64_t{2}, uint64_t{150}, kConfig.txns / 2, kConfig.txns}) {
    engine::KeyValueMap state;
    ASSERT_OK(engine::ReplayLog(*log, 0, 1, txn, {}, state).status());
    EXPECT_EQ(DiffEntries(AsEntries(model.state_at(txn)), AsEntries(state)), std::nullopt) << txn;
  }
  for (uint64_t txn = kConfig.txns - 50; txn <= kConfig.txns; txn++) {
    ASSERT_OK_AND_ASSIGN(auto snapshot, db->begin_read_at(txn));
    HistoryEntries entries;
    auto cursor = snapshot->cursor();
    ASSERT_OK(cursor->seek_first());
    while (cursor->valid()) {
      ASSERT_OK_AND_ASSIGN(std::string value, cursor->value());
      entries.emplace_back(std::string(cursor->key()), std::move(value));
      ASSERT_OK(cursor->next());
    }
    EXPECT_EQ(DiffEntries(AsEntries(model.state_at(txn)), entries), std::nullopt) << txn;
  }
}

// The comparison the benchmark fails on: one wrong byte, a missing key, an extra key.
TEST(HistoryTest, DiffEntriesNamesTheFirstDifference) {
  const HistoryEntries expected = {{"h:1", "abc"}, {"h:2", "de"}};
  EXPECT_EQ(DiffEntries(expected, expected), std::nullopt);
  EXPECT_THAT(DiffEntries(expected, {{"h:1", "abd"}, {"h:2", "de"}}).value_or(""),
              HasSubstr("key h:1: expected value \"abc\" (3 bytes), found \"abd\""));
  EXPECT_THAT(DiffEntries(expected, {{"h:2", "de"}}).value_or(""), HasSubstr("missing key h:1"));
  EXPECT_THAT(DiffEntries(expected, {{"h:0", "x"}, {"h:1", "abc"}, {"h:2", "de"}}).value_or(""),
              HasSubstr("unexpected key h:0"));
  EXPECT_THAT(DiffEntries(expected, {{"h:1", "abc"}}).value_or(""),
              HasSubstr("2 entries expected, 1 found (first extra or missing: h:2)"));
  EXPECT_THAT(DiffEntries({}, {{"h:1", "abc"}}).value_or(""), HasSubstr("first extra or missing: h:1"));
}

}  // namespace
}  // namespace northstar::apps
