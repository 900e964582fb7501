// The pieces of `northstar bench`: cmd_bench.cc dispatches to the subcommands and lists the
// benchmarks; cmd_bench_run.cc runs them (run, capture-baseline, and the rerun of gate);
// cmd_bench_results.cc reads result directories (report, compare, gate); cmd_bench_peers.cc runs
// ours and the peer engines' same workloads side by side (peers); cmd_bench_ab.cc runs two
// builds taking turns (ab).
//
// Not thread-safe: one command per process.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/harness.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "tools/cli.h"
#include "vfs/file_system.h"

namespace northstar::tools {

[[nodiscard]] int RunBenchList(const Args& args);
[[nodiscard]] int RunBenchRun(const Args& args);
[[nodiscard]] int RunBenchCaptureBaseline(const Args& args);
[[nodiscard]] int RunBenchReport(const Args& args);
[[nodiscard]] int RunBenchCompare(const Args& args);
[[nodiscard]] int RunBenchGate(const Args& args);
[[nodiscard]] int RunBenchPeers(const Args& args);
[[nodiscard]] int RunBenchAb(const Args& args);

// "posix" or "uring" (whose Create() may be refused: FailedPrecondition naming the cause).
[[nodiscard]] absl::StatusOr<std::unique_ptr<vfs::FileSystem>> MakeBenchBackend(
    const std::string& backend);

// The registered benchmarks whose names match `filter` (ECMAScript, searched anywhere in the
// name; "" matches all). InvalidArgument for a bad expression or when none matches.
[[nodiscard]] absl::StatusOr<std::vector<const bench::BenchSpec*>> SelectBenchmarks(
    const std::string& filter);

// A new directory <scratch_parent>/northstar-bench-XXXXXX (scratch_parent "" for $TMPDIR or
// /tmp); InvalidArgument naming --dir when it cannot be made.
[[nodiscard]] absl::StatusOr<std::string> MakeScratchRoot(const std::string& scratch_parent);

// One benchmark to run, with its own options (gate reruns each with its baseline's).
struct BenchJob {
  const bench::BenchSpec* spec = nullptr;
  bench::RunOptions options;  // fs and dir are filled in by RunBenchJobs.
};

struct SuiteOutcome {
  std::vector<bench::BenchSummary> summaries;
  std::vector<bench::BenchFailure> failures;
  bench::ResultSet results;  // What was written.
};

// Runs every repeat of every job on `backend` (named `backend_name`), each repeat in a fresh
// scratch directory under a new directory made in `scratch_parent` ("" for $TMPDIR or /tmp),
// and writes each repeat's file into `out_dir` (created if needed; earlier files of these
// benchmarks are removed first). A benchmark that fails becomes a failure and the run goes on.
// Progress goes to `progress`. An error only when the directories cannot be made.
[[nodiscard]] absl::StatusOr<SuiteOutcome> RunBenchJobs(
    std::vector<BenchJob> jobs, vfs::FileSystem& backend, const std::string& backend_name,
    const std::string& scratch_parent, bool keep_scratch, const std::string& out_dir,
    std::ostream& progress);

}  // namespace northstar::tools
