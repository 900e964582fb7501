// The peer adapters through the harness (RunRepeat), at a tiny scale: each runs, reports its
// I/O as external counters, with our workload's shape and parameters; durable puts sync (LMDB
// exactly twice per commit), whichever way the warmup is counted; builds report bytes per key.
#include "bench/peers/peer.h"

#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>

#include "bench/harness.h"
#include "bench/runner.h"
#include "bench/system_info.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar::bench {
namespace {

constexpr double kTinyScale = 0.001;

const BenchSpec& Spec(const std::string& name) {
  for (const BenchSpec& spec : Benchmarks()) {
    if (spec.name == name) return spec;
  }
  NS_ASSERT_MSG(false, "not registered: " + name);
  __builtin_unreachable();
}

class PeerTest : public ::testing::Test {
 protected:
  absl::StatusOr<RepeatResult> Run(const std::string& name, RunOptions options = {}) {
    options.fs = &fs_;
    options.dir = dir_.path();
    options.repeats = 1;
    if (options.scale == 1) options.scale = kTinyScale;
    return RunRepeat(Spec(name), options, 0, system_);
  }

  vfs::PosixFileSystem fs_;
  ScopedTempDir dir_{"peer_test"};
  SystemInfo system_ = CollectSystemInfo("");
};

TEST_F(PeerTest, EveryPeerHasOurWorkloadsShape) {
  for (const PeerWorkload& workload : kPeerWorkloads) {
    const BenchSpec& ours = Spec(std::string(workload.name));
    EXPECT_EQ(ours.unit, workload.unit) << workload.name;
    EXPECT_EQ(ours.items_per_op, workload.items_per_op) << workload.name;
    EXPECT_EQ(ours.ops_default, workload.ops_default) << workload.name;
    EXPECT_EQ(ours.warmup_ops_default, workload.warmup_ops_default) << workload.name;
    for (std::string_view engine : kPeerEngines) {
      const BenchSpec& peer = Spec(PeerBenchmarkName(engine, workload.name));
      EXPECT_EQ(peer.unit, ours.unit);
      EXPECT_EQ(peer.items_per_op, ours.items_per_op);
      EXPECT_EQ(peer.ops_default, ours.ops_default);
      EXPECT_EQ(peer.warmup_ops_default, ours.warmup_ops_default);
      EXPECT_TRUE(peer.needs_disk);
    }
  }
}

// Every peer runs each workload with our parameters (those that describe the workload).
TEST_F(PeerTest, EveryPeerRunsWithOurParameters) {
  for (const PeerWorkload& workload : kPeerWorkloads) {
    ASSERT_OK_AND_ASSIGN(const RepeatResult ours, Run(std::string(workload.name)));
    for (std::string_view engine : kPeerEngines) {
      const std::string name = PeerBenchmarkName(engine, workload.name);
      ASSERT_OK_AND_ASSIGN(const RepeatResult peer, Run(name));
      EXPECT_EQ(peer.results.io_counters, "external") << name;
      EXPECT_EQ(peer.results.ops, ours.results.ops) << name;
      EXPECT_GT(peer.results.items_per_second, 0) << name;
      for (const char* key : {"keys", "keys_measured", "key_bytes", "value_bytes", "batch", "order",
                              "rows_per_scan", "snapshots_per_op", "puts_per_commit"}) {
        EXPECT_EQ(peer.parameters.contains(key), ours.parameters.contains(key)) << name << key;
        if (ours.parameters.contains(key)) {
          EXPECT_EQ(peer.parameters[key], ours.parameters[key]) << name << " " << key;
        }
      }
      EXPECT_TRUE(peer.extra.contains("fdatasync_per_op")) << name;
    }
  }
}

TEST_F(PeerTest, LmdbDurablePutIsTwoSyncsPerCommitWhateverTheWarmup) {
  RunOptions by_count;
  RunOptions none;
  none.warmup_ops = 0;
  RunOptions by_time;  // The warmup op count is not known in advance: the ring.
  by_time.warmup_ns = 20'000'000;
  for (const RunOptions& options : {by_count, none, by_time}) {
    ASSERT_OK_AND_ASSIGN(const RepeatResult result,
                         Run("peers/lmdb/commit/durable_single_put", options));
    EXPECT_EQ(result.results.syncs_per_op, 2);
    EXPECT_EQ(result.extra["fdatasync_per_op"].get<double>(), 1);
    EXPECT_EQ(result.extra["dsync_writes_per_op"].get<double>(), 1);
    // A 4 KiB page and the meta's bytes per commit at least.
    EXPECT_GT(result.results.bytes_written, result.results.ops * 4096);
  }
}

TEST_F(PeerTest, SqliteAndRocksdbDurablePutsSync) {
  for (const char* name :
       {"peers/sqlite/commit/durable_single_put", "peers/rocksdb/commit/durable_single_put"}) {
    ASSERT_OK_AND_ASSIGN(const RepeatResult result, Run(name));
    EXPECT_GE(result.results.syncs_per_op, 1) << name;
    EXPECT_GE(
        result.extra["fdatasync_per_op"].get<double>() + result.extra["fsync_per_op"].get<double>(),
        1)
        << name;
    EXPECT_GT(result.results.bytes_written, 0u) << name;
  }
}

TEST_F(PeerTest, BuildsReportBytesPerKeyAtRest) {
  for (const char* workload :
       {"btree/build_sequential_insert_1m", "btree/build_random_insert_1m"}) {
    std::vector<std::string> names = {workload};
    for (std::string_view engine : kPeerEngines)
      names.push_back(PeerBenchmarkName(engine, workload));
    for (const std::string& name : names) {
      ASSERT_OK_AND_ASSIGN(const RepeatResult result, Run(name));
      ASSERT_TRUE(result.extra.contains("bytes_per_key")) << name;
      const double bytes_per_key = result.extra["bytes_per_key"].get<double>();
      const double without_log = result.extra["bytes_per_key_without_log"].get<double>();
      EXPECT_GT(bytes_per_key, 0) << name;
      EXPECT_LE(without_log, bytes_per_key) << name;
      // Every build syncs each of its commits.
      EXPECT_GE(result.results.syncs_per_op, 1) << name;
    }
  }
  // LMDB stores keys and values uncompressed: at least their bytes.
  ASSERT_OK_AND_ASSIGN(const RepeatResult lmdb, Run("peers/lmdb/btree/build_random_insert_1m"));
  EXPECT_GE(lmdb.extra["bytes_per_key"].get<double>(), 116);
}

}  // namespace
}  // namespace northstar::bench
