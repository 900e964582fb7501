// End to end through the built binary: the macro benchmarks (macro/*) run at the bench smoke's
// scale, each writes a schema-valid result file (ReadResultFile validates it) with the counts it
// ran with in parameters and its own figures in extra.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/results.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::bench {
namespace {

std::string ShellQuote(std::string_view arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// northstar bench <args>: exit code and stderr.
std::pair<int, std::string> Bench(const std::vector<std::string>& args, const std::string& dir) {
  std::string command = ShellQuote(NORTHSTAR_CLI_PATH) + " bench";
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  const std::string err_path = dir + "/stderr.txt";
  command += " >/dev/null 2>" + ShellQuote(err_path);
  const int status = std::system(command.c_str());
  std::ifstream in(err_path);
  std::stringstream err;
  err << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err.str()};
}

class MacroBenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir("macro_bench");
    const auto [exit_code, err] =
        Bench({"run", "--filter", "^macro/", "--scale", "0.001", "--repeats", "1", "--dir",
               dir_->path() + "/scratch", "--out", dir_->path() + "/out"},
              dir_->path());
    ASSERT_EQ(exit_code, 0) << err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static absl::StatusOr<RepeatResult> Read(const std::string& name) {
    return ReadResultFile(dir_->path() + "/out/" + name + "_r000.json");
  }

  static ScopedTempDir* dir_;
};

ScopedTempDir* MacroBenchTest::dir_ = nullptr;

// A figure of extra (NaN when missing, which fails every comparison).
double Extra(const RepeatResult& result, const std::string& name) {
  return result.extra.value(name, std::numeric_limits<double>::quiet_NaN());
}

double Parameter(const RepeatResult& result, const std::string& name) {
  return result.parameters.value(name, std::numeric_limits<double>::quiet_NaN());
}

TEST_F(MacroBenchTest, TaskQueueClaimsAreDurableAndNeverDuplicated) {
  ASSERT_OK_AND_ASSIGN(const RepeatResult result, Read("macro__task_queue_claims"));
  EXPECT_EQ(result.unit, "claims");
  EXPECT_EQ(Parameter(result, "agents"), 8);
  EXPECT_EQ(Parameter(result, "tasks"), 1000);
  EXPECT_EQ(Parameter(result, "claims_per_agent_per_op"), 1);
  EXPECT_EQ(result.config.items_per_op, 8u);
  EXPECT_EQ(result.results.items, 8 * result.results.ops);
  // One log fdatasync per claim.
  EXPECT_EQ(result.results.syncs_per_op, 8);
  EXPECT_EQ(Extra(result, "syncs_per_claim"), 1);
  // Counted by a scan of the database's claims after the run: every claim made, none twice.
  EXPECT_EQ(Extra(result, "claims_in_database"),
            8.0 * static_cast<double>(result.results.ops + result.config.warmup_ops));
  EXPECT_EQ(Extra(result, "duplicate_claims"), 0);
  EXPECT_EQ(Extra(result, "duplicate_rate"), 0);
  EXPECT_GT(Extra(result, "claim_ns_p50"), 0);
  EXPECT_GE(Extra(result, "claim_ns_p99"), Extra(result, "claim_ns_p50"));
  EXPECT_GE(Extra(result, "tasks_examined_per_claim"), 1);
  EXPECT_GE(Extra(result, "writer_busy_waits_per_claim"), 0);
}

TEST_F(MacroBenchTest, CodeGraphReportsBuildAndQueryKinds) {
  ASSERT_OK_AND_ASSIGN(const RepeatResult result, Read("macro__code_graph"));
  EXPECT_EQ(Parameter(result, "modules"), 3);
  EXPECT_EQ(Parameter(result, "files_per_module"), 3);
  EXPECT_EQ(Parameter(result, "functions"), 180);
  EXPECT_GT(Parameter(result, "records"), 180 * 2);
  for (const char* kind : {"callers", "deps", "path_range"}) {
    EXPECT_GT(Extra(result, std::string(kind) + "_ns_p50"), 0) << kind;
    EXPECT_GE(Extra(result, std::string(kind) + "_ns_p99"), Extra(result, std::string(kind) + "_ns_p50")) << kind;
  }
  for (const char* figure : {"ingest_seconds", "build_seconds", "ingest_records_per_second",
                             "record_bytes_mean", "file_bytes_per_record", "cache_bytes_used"}) {
    EXPECT_GT(Extra(result, figure), 0) << figure;
  }
  EXPECT_EQ(result.results.syncs_per_op, 0);
}

TEST_F(MacroBenchTest, TimeTravelReadsBothRetainedSnapshotsAndReplays) {
  ASSERT_OK_AND_ASSIGN(const RepeatResult result, Read("macro__time_travel"));
  EXPECT_EQ(Parameter(result, "txns"), 1000);
  EXPECT_EQ(Parameter(result, "retained_snapshots"), 10);
  EXPECT_GE(Extra(result, "snapshot_queries"), 1);
  EXPECT_GE(Extra(result, "replay_queries"), 1);
  EXPECT_EQ(Extra(result, "snapshot_queries") +
                Extra(result, "replay_queries"),
            static_cast<double>(result.results.ops));
  for (const char* figure :
       {"snapshot_open_ns_p50", "replay_ns_p50", "replay_records_per_second",
        "replay_megabytes_per_second", "full_replay_records_per_second",
        "history_commits_per_second", "log_bytes"}) {
    EXPECT_GT(Extra(result, figure), 0) << figure;
  }
}

// Setup loads at least four times the tasks the run will claim, so that --ops beyond the scaled
// queue does not run it dry.
TEST_F(MacroBenchTest, TheQueueGrowsWithTheClaimsARunMakes) {
  const auto [exit_code, err] =
      Bench({"run", "--filter", "^macro/task_queue", "--scale", "0.001", "--ops", "40",
             "--warmup-ops", "0", "--repeats", "1", "--dir", dir_->path() + "/scratch2", "--out",
             dir_->path() + "/out2"},
            dir_->path());
  ASSERT_EQ(exit_code, 0) << err;
  ASSERT_OK_AND_ASSIGN(const RepeatResult result,
                       ReadResultFile(dir_->path() + "/out2/macro__task_queue_claims_r000.json"));
  EXPECT_EQ(Parameter(result, "tasks"), 4 * 40 * 8);
  EXPECT_EQ(result.results.items, 40u * 8);
}

}  // namespace
}  // namespace northstar::bench
