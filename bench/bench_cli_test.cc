// End-to-end tests of `northstar bench` through the built binary, at tiny sizes: run writes
// schema-valid files per repeat; report, compare (CSV, SVG) read them back; gate fails on a
// planted 20% slowdown and passes an unchanged copy, and refuses results of different sizes;
// peers runs ours and LMDB, SQLite, RocksDB side by side.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/results.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// bench/alloc_counter.cc stands down under AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCountsAllocations = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCountsAllocations = false;
#else
constexpr bool kCountsAllocations = true;
#endif
#else
constexpr bool kCountsAllocations = true;
#endif

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ShellQuote(std::string_view arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class BenchCliTest : public ::testing::Test {
 protected:
  std::string path(std::string_view name) const { return dir_.path() + "/" + std::string(name); }

  // northstar bench <args>, with scratch directories under the test's directory.
  Result Bench(std::vector<std::string> args) {
    std::string command = ShellQuote(NORTHSTAR_CLI_PATH) + " bench";
    for (const std::string& arg : args) command += " " + ShellQuote(arg);
    const std::string err_path = path("stderr.txt");
    command += " 2>" + ShellQuote(err_path);
    FILE* pipe = popen(command.c_str(), "r");
    NS_ASSERT(pipe != nullptr);
    Result result;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = ReadWholeFile(err_path);
    return result;
  }

  // A tiny run of the benchmarks matching `filter` into `out`.
  Result TinyRun(const std::string& filter, const std::string& out,
                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run",           "--filter",  filter, "--scale",
                                     "0.001",         "--repeats", "1",    "--dir",
                                     path("scratch"), "--out",     out};
    args.insert(args.end(), extra.begin(), extra.end());
    return Bench(args);
  }

  ScopedTempDir dir_{"bench_cli"};
};

TEST_F(BenchCliTest, ListsEverySuiteBenchmark) {
  const Result result = Bench({"list"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* name :
       {"pager/open_close_empty", "pager/read_page_random_16k_hot",
        "pager/read_page_random_16k_cold", "pager/commit_meta_fsync",
        "btree/build_sequential_insert_1m", "btree/build_random_insert_1m",
        "btree/point_get_hot_1m", "btree/range_scan_1k_rows_hot", "mvcc/snapshot_open_close",
        "mvcc/readers_256_point_get_hot", "mvcc/writer_commits_with_readers_128",
        "log/append_commit_record", "log/replay_into_memtable", "commit/durable_single_put",
        "sim/fiber_switch", "sim/torture_smoke_seeds", "floor/overwrite_4k_fdatasync"}) {
    EXPECT_THAT(result.out, HasSubstr(name));
  }
  EXPECT_THAT(result.out, HasSubstr("dev_nvme"));
  EXPECT_EQ(Bench({"run", "--list", "--filter", "^sim/"}).exit_code, 0);
}

TEST_F(BenchCliTest, RunWritesOneSchemaValidFilePerRepeat) {
  const std::string out = path("out");
  const Result run =
      Bench({"run", "--filter", "^(floor/|pager/open_close_empty)", "--scale", "0.001", "--repeats",
             "2", "--dir", path("scratch"), "--out", out, "--csv", path("repeats.csv")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("suite: 2 benchmarks, 2 passed, 0 failed"));
  EXPECT_THAT(run.err, HasSubstr("[2/2] pager/open_close_empty r1:"));
  for (const char* file :
       {"floor__overwrite_4k_fdatasync_r000.json", "floor__overwrite_4k_fdatasync_r001.json",
        "pager__open_close_empty_r000.json", "pager__open_close_empty_r001.json"}) {
    ASSERT_OK_AND_ASSIGN(const RepeatResult result, ReadResultFile(out + "/" + file));
    EXPECT_EQ(result.config.scale, 0.001);
    EXPECT_GE(result.results.ops, 10u);
    EXPECT_GT(result.results.items_per_second, 0);
    EXPECT_EQ(result.results.allocations_per_op.has_value(), kCountsAllocations);
    EXPECT_NE(result.system.git_commit, "");
    EXPECT_NE(result.system.dir_file_system, "unknown");
  }
  ASSERT_OK_AND_ASSIGN(const RepeatResult floor,
                       ReadResultFile(out + "/floor__overwrite_4k_fdatasync_r000.json"));
  EXPECT_EQ(floor.results.syncs_per_op, 1);
  EXPECT_EQ(floor.results.bytes_written, 4096 * floor.results.ops);
  // The scratch directories are gone; the CSV has a header and one row per repeat.
  EXPECT_TRUE(std::filesystem::is_empty(path("scratch")));
  const std::string csv = ReadWholeFile(path("repeats.csv"));
  EXPECT_THAT(csv, StartsWith("benchmark,repeat,unit,"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);

  // A rerun with fewer repeats leaves no stale file behind.
  ASSERT_EQ(TinyRun("^floor/", out).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(out + "/floor__overwrite_4k_fdatasync_r001.json"));
}

TEST_F(BenchCliTest, ReportAndCompareReadResultsBack) {
  const std::string out = path("out");
  ASSERT_EQ(TinyRun("^(commit/|floor/)", out).exit_code, 0);
  const Result report = Bench({"report", out, "--csv", path("report.csv")});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out,
              HasSubstr("commit/durable_single_put against floor/overwrite_4k_fdatasync"));
  EXPECT_TRUE(std::filesystem::exists(path("report.csv")));

  const Result compare =
      Bench({"compare", out, out, "--svg", path("chart.svg"), "--csv", path("compare.csv")});
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  EXPECT_THAT(compare.out, HasSubstr("1.000x"));
  EXPECT_THAT(ReadWholeFile(path("chart.svg")), StartsWith("<svg "));
  EXPECT_THAT(ReadWholeFile(path("compare.csv")), HasSubstr("commit/durable_single_put,commits,"));
}

TEST_F(BenchCliTest, InvalidResultFileIsRejectedNamingTheField) {
  const std::string out = path("out");
  ASSERT_EQ(TinyRun("^floor/", out).exit_code, 0);
  const std::string file = out + "/floor__overwrite_4k_fdatasync_r000.json";
  std::string text = ReadWholeFile(file);
  const size_t at = text.find("\"syncs_per_op\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 14, "\"syncs_per_opp\"");
  std::ofstream(file, std::ios::trunc) << text;
  const Result report = Bench({"report", out});
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_THAT(report.err, HasSubstr("floor__overwrite_4k_fdatasync_r000.json: "));
  EXPECT_THAT(report.err, HasSubstr("/results/syncs_per_op: required property is missing"));
}

// Copies every result file of `from` into `to`, each measurement stretched by `slowdown` (0.2: each
// op takes a fifth longer, so throughput is 1/1.2 of the original and every latency 1.2x).
void WriteStretchedCopy(const std::string& from, const std::string& to, double slowdown) {
  const double stretch = 1 + slowdown;
  std::filesystem::create_directories(to);
  for (const auto& entry : std::filesystem::directory_iterator(from)) {
    ASSERT_OK_AND_ASSIGN(RepeatResult result, ReadResultFile(entry.path().string()));
    Measurement& m = result.results;
    m.seconds *= stretch;
    m.ops_per_second /= stretch;
    m.items_per_second /= stretch;
    m.latency_ns_mean *= stretch;
    for (uint64_t* latency_ns :
         {&m.latency_ns_p50, &m.latency_ns_p95, &m.latency_ns_p99, &m.latency_ns_max}) {
      *latency_ns = static_cast<uint64_t>(static_cast<double>(*latency_ns) * stretch);
    }
    ASSERT_OK(WriteResultFile(result, to).status());
  }
}

// The gate's verdicts, judged on result files whose figures the test sets, so that no timing of
// this machine can move them: real files of one run as the baseline, a copy of them as an
// unchanged candidate (passes, three times), the same files with a planted 20% slowdown (fails
// on throughput and p99, three times). The real timing comparison belongs to `.ci/run`'s
// benchmark gate, not to a unit test.
TEST_F(BenchCliTest, GateFailsOnPlantedSlowdownAndPassesUnchangedCopy) {
  const std::string baseline = path("baseline");
  const Result run = Bench({"run", "--filter", "^sim/fiber_switch$", "--repeats", "5", "--ops",
                            "20", "--warmup-ops", "2", "--out", baseline});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  WriteStretchedCopy(baseline, path("same"), 0);
  WriteStretchedCopy(baseline, path("slow"), 0.2);
  WriteStretchedCopy(baseline, path("slightly_slow"), 0.03);

  for (int attempt = 0; attempt < 3; attempt++) {
    const Result slow = Bench({"gate", baseline, "--candidate", path("slow")});
    EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
    EXPECT_THAT(slow.out, HasSubstr("gate: a benchmark fails on throughput -5%, p99 +10%"));
    EXPECT_THAT(slow.out, HasSubstr("FAIL: throughput 0.833x < 0.950x"));
    EXPECT_THAT(slow.out, HasSubstr("p99 1.200x > 1.100x"));
    EXPECT_THAT(slow.out, HasSubstr("gate: 1 benchmarks, 0 passed, 1 failed"));

    const Result same = Bench({"gate", baseline, "--candidate", path("same")});
    EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
    EXPECT_THAT(same.out, HasSubstr("gate: 1 benchmarks, 1 passed, 0 failed"));
  }
  // Within the thresholds passes; tighter thresholds fail it.
  EXPECT_EQ(Bench({"gate", baseline, "--candidate", path("slightly_slow")}).exit_code, 0);
  EXPECT_EQ(Bench({"gate", baseline, "--candidate", path("slightly_slow"), "--throughput-drop",
                   "0.01"})
                .exit_code,
            1);
  // Judging a result directory against itself passes.
  EXPECT_EQ(Bench({"gate", baseline, "--candidate", baseline}).exit_code, 0);
}

// Without --candidate the gate reruns the baseline's benchmarks with what the baseline recorded
// (ops, repeats) and the planted slowdown asked for. Its verdict depends on this machine's
// timing, so only the rerun's files are checked here, not the verdict.
TEST_F(BenchCliTest, GateRerunsWhatTheBaselineRecorded) {
  const std::string baseline = path("baseline");
  ASSERT_EQ(Bench({"run", "--filter", "^sim/fiber_switch$", "--repeats", "2", "--ops", "20",
                   "--warmup-ops", "2", "--out", baseline})
                .exit_code,
            0);
  const Result rerun =
      Bench({"gate", baseline, "--out", path("rerun"), "--plant-slowdown", "0.2"});
  EXPECT_THAT(rerun.exit_code, ::testing::AnyOf(0, 1)) << rerun.out << rerun.err;
  EXPECT_THAT(rerun.out, HasSubstr("gate: 1 benchmarks, "));
  ASSERT_OK_AND_ASSIGN(const RepeatResult planted,
                       ReadResultFile(path("rerun") + "/sim__fiber_switch_r001.json"));
  EXPECT_EQ(planted.config.plant_slowdown, 0.2);
  EXPECT_EQ(planted.config.ops, 20u);
  EXPECT_EQ(planted.config.repeats, 2u);
}

// bench ab: two binaries (here the same one twice) take turns, each run a process writing its own
// result files; the table states the rule and an interval per benchmark. The verdict depends on
// this machine's timing, so it is judged in ab_test.cc on figures the test sets, not here.
TEST_F(BenchCliTest, AbRunsBothSidesInTurnsAndPrintsIntervals) {
  const Result ab = Bench({"ab", "--a", NORTHSTAR_CLI_PATH, "--b", NORTHSTAR_CLI_PATH, "--filter",
                           "^(sim/fiber_switch|pager/open_close_empty)$", "--scale", "0.001",
                           "--rounds", "6", "--out", path("ab"), "--dir", path("scratch")});
  EXPECT_THAT(ab.exit_code, ::testing::AnyOf(0, 1)) << ab.out << ab.err;
  EXPECT_THAT(ab.out, HasSubstr("a benchmark fails when the whole interval lies below 0.950x"));
  EXPECT_THAT(ab.out, HasSubstr("ab: 2 benchmarks, "));
  EXPECT_THAT(ab.err, HasSubstr("round 6/6, a"));
  for (const char* side : {"a", "b"}) {
    for (int round = 0; round < 6; round++) {
      ASSERT_OK(ReadResultFile(absl::StrFormat("%s/%s/r%03d/sim__fiber_switch_r000.json",
                                               path("ab"), side, round))
                    .status());
    }
  }
}

TEST_F(BenchCliTest, AbRefusesBadUsage) {
  EXPECT_EQ(Bench({"ab", "--a", NORTHSTAR_CLI_PATH}).exit_code, 2);
  const Result few = Bench({"ab", "--a", NORTHSTAR_CLI_PATH, "--b", NORTHSTAR_CLI_PATH,
                            "--rounds", "5"});
  EXPECT_EQ(few.exit_code, 2);
  EXPECT_THAT(few.err, HasSubstr("--rounds must be in [6, 1000] for --confidence 0.95"));
  const Result missing = Bench({"ab", "--a", "/nonexistent/northstar", "--b", NORTHSTAR_CLI_PATH});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/northstar is not an executable"));
}

TEST_F(BenchCliTest, GateRefusesResultsOfDifferentSizes) {
  ASSERT_EQ(TinyRun("^pager/read_page_random_16k_hot$", path("small")).exit_code, 0);
  ASSERT_EQ(Bench({"run", "--filter", "^pager/read_page_random_16k_hot$", "--scale", "0.01",
                   "--repeats", "1", "--dir", path("scratch"), "--out", path("large")})
                .exit_code,
            0);
  const Result gate = Bench({"gate", path("small"), "--candidate", path("large")});
  EXPECT_EQ(gate.exit_code, 2) << gate.out << gate.err;
  EXPECT_THAT(gate.out,
              HasSubstr("not comparable: pager/read_page_random_16k_hot: parameters differ"));
  const Result compare = Bench({"compare", path("small"), path("large")});
  EXPECT_EQ(compare.exit_code, 0);
  EXPECT_THAT(compare.out, HasSubstr("! pager/read_page_random_16k_hot: parameters differ"));
}

TEST_F(BenchCliTest, CaptureBaselineRecordsItsProfile) {
  const Result capture = Bench({"capture-baseline", "--profile", "ci", "--filter", "^pager/open",
                                "--dir", path("scratch"), "--out", path("baseline")});
  ASSERT_EQ(capture.exit_code, 0) << capture.err;
  ASSERT_OK_AND_ASSIGN(const RepeatResult result,
                       ReadResultFile(path("baseline") + "/pager__open_close_empty_r004.json"));
  EXPECT_EQ(result.config.profile, "ci");
  EXPECT_EQ(result.config.scale, 0.01);
  EXPECT_EQ(result.config.repeats, 5u);
  EXPECT_EQ(Bench({"capture-baseline", "--profile", "laptop"}).exit_code, 2);
}

TEST_F(BenchCliTest, UringRunsOrSaysWhyNot) {
  const Result run = TinyRun("^floor/", path("out"), {"--backend", "uring"});
  if (run.exit_code == 0) {
    ASSERT_OK_AND_ASSIGN(const RepeatResult result,
                         ReadResultFile(path("out") + "/floor__overwrite_4k_fdatasync_r000.json"));
    EXPECT_EQ(result.config.backend, "uring");
  } else {
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.err, HasSubstr("--backend uring: io_uring unavailable"));
  }
}

// bench peers at a tiny scale: every engine's file of every shared workload, schema-valid, the
// peers' I/O counted by the libc counter, durable puts syncing (LMDB: an fdatasync and an O_DSYNC
// meta write per commit), and the side-by-side table with the targets.
TEST_F(BenchCliTest, PeersWriteFilesForEveryEngineAndPrintTheTable) {
  const std::string out = path("out");
  const Result run = Bench(
      {"peers", "--scale", "0.001", "--repeats", "1", "--dir", path("scratch"), "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const char* workload : {"btree/build_sequential_insert_1m", "btree/build_random_insert_1m",
                               "btree/point_get_hot_1m", "btree/range_scan_1k_rows_hot",
                               "mvcc/snapshot_open_close", "commit/durable_single_put"}) {
    ASSERT_OK_AND_ASSIGN(const RepeatResult ours,
                         ReadResultFile(out + "/" + ResultFileName(workload, 0)));
    EXPECT_EQ(ours.results.io_counters, "vfs");
    for (const char* engine : {"lmdb", "sqlite", "rocksdb"}) {
      const std::string name = std::string("peers/") + engine + "/" + workload;
      ASSERT_OK_AND_ASSIGN(const RepeatResult peer,
                           ReadResultFile(out + "/" + ResultFileName(name, 0)));
      EXPECT_EQ(peer.results.io_counters, "external") << name;
      EXPECT_EQ(peer.results.ops, ours.results.ops) << name;
      EXPECT_THAT(run.out, HasSubstr(engine));
    }
    EXPECT_THAT(run.out, HasSubstr(workload));
  }
  for (const char* engine : {"lmdb", "sqlite", "rocksdb"}) {
    const std::string name = std::string("peers/") + engine + "/commit/durable_single_put";
    ASSERT_OK_AND_ASSIGN(const RepeatResult put,
                         ReadResultFile(out + "/" + ResultFileName(name, 0)));
    EXPECT_GE(put.results.syncs_per_op, 1) << name;
    if (std::string(engine) == "lmdb") {
      EXPECT_EQ(put.results.syncs_per_op, 2);
      EXPECT_EQ(put.extra["dsync_writes_per_op"].get<double>(), 1);
    }
  }
  EXPECT_TRUE(std::filesystem::exists(out + "/floor__overwrite_4k_fdatasync_r000.json"));
  EXPECT_THAT(run.out, HasSubstr("N/peer"));
  EXPECT_THAT(run.out, HasSubstr("floor/overwrite_4k_fdatasync: "));
  EXPECT_THAT(run.out, HasSubstr("Northstar durable put / floor: "));
  EXPECT_THAT(run.out, HasSubstr("commit/durable_single_put: Northstar syncs/op == 1: 1.000"));
  EXPECT_THAT(run.out, HasSubstr("0 not measured"));
  EXPECT_TRUE(std::filesystem::is_empty(path("scratch")));
  // The peers are registered benchmarks: list shows them, report reads their files.
  EXPECT_THAT(Bench({"list", "--filter", "^peers/"}).out,
              HasSubstr("peers/rocksdb/mvcc/snapshot_open_close"));
  EXPECT_EQ(Bench({"report", out}).exit_code, 0);
}

// --engines and --filter narrow the run; the engines take turns, each repeat starting with the
// next one; --markdown prints the README table with the machine.
TEST_F(BenchCliTest, PeersTakeTurnsAndPrintMarkdown) {
  const std::string out = path("out");
  const Result run =
      Bench({"peers", "--filter", "durable", "--engines", "lmdb", "--scale", "0.001", "--repeats",
             "2", "--dir", path("scratch"), "--out", out, "--markdown"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const char* name : {"commit/durable_single_put", "peers/lmdb/commit/durable_single_put",
                           "floor/overwrite_4k_fdatasync"}) {
    for (uint32_t repeat : {0u, 1u}) {
      EXPECT_TRUE(std::filesystem::exists(out + "/" + ResultFileName(name, repeat))) << name;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(
      out + "/" + ResultFileName("peers/sqlite/commit/durable_single_put", 0)));
  EXPECT_FALSE(std::filesystem::exists(out + "/" + ResultFileName("btree/point_get_hot_1m", 0)));
  EXPECT_THAT(run.err, HasSubstr("[1/6] commit/durable_single_put r0"));
  EXPECT_THAT(run.err, HasSubstr("[4/6] peers/lmdb/commit/durable_single_put r1"));
  EXPECT_THAT(run.out, HasSubstr("Machine: "));
  EXPECT_THAT(run.out, HasSubstr("| workload | Northstar | LMDB |"));
  EXPECT_THAT(run.out, HasSubstr("| commit/durable_single_put | "));
  EXPECT_THAT(run.out, HasSubstr("- n/a: btree/point_get_hot_1m: Northstar/LMDB >= 1: "));
  // --report prints the same table again from the files.
  const Result report = Bench({"peers", "--report", out, "--engines", "lmdb", "--markdown"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.out.substr(0, report.out.find("\n")), run.out.substr(0, run.out.find("\n")));
  EXPECT_THAT(report.out, HasSubstr("| workload | Northstar | LMDB |"));

  EXPECT_EQ(Bench({"peers", "--engines", "mysql"}).exit_code, 2);
  const Result bad_engine = Bench({"peers", "--engines", "lmdb,lmdb"});
  EXPECT_EQ(bad_engine.exit_code, 2);
  EXPECT_THAT(bad_engine.err, HasSubstr("'lmdb' given twice"));
  const Result no_match = Bench({"peers", "--filter", "^nothing$"});
  EXPECT_EQ(no_match.exit_code, 2);
  EXPECT_THAT(no_match.err, HasSubstr("matches no peer workload"));
}

TEST_F(BenchCliTest, BadUsage) {
  EXPECT_EQ(Bench({}).exit_code, 2);
  EXPECT_EQ(Bench({"frobnicate"}).exit_code, 2);
  const Result no_match = Bench({"run", "--filter", "^nothing$"});
  EXPECT_EQ(no_match.exit_code, 2);
  EXPECT_THAT(no_match.err, HasSubstr("matches no benchmark"));
  EXPECT_EQ(Bench({"run", "--backend", "aio"}).exit_code, 2);
  EXPECT_EQ(Bench({"run", "--scale", "0"}).exit_code, 2);
  EXPECT_EQ(Bench({"run", "--warmup-ops", "1", "--warmup-ns", "5"}).exit_code, 2);
  EXPECT_EQ(Bench({"gate"}).exit_code, 2);
  const Result missing = Bench({"report", path("missing")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("no such directory"));
  EXPECT_EQ(Bench({"compare", path("missing")}).exit_code, 2);
  const Result help = Bench({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("written as \"__\""));
}

}  // namespace
}  // namespace northstar::bench
