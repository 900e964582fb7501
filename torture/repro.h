// Runs of one seed as the command line sees them (run, torture, replay): planted bugs, seeds as
// hex, verdicts as exit codes, the one-line summary of a run, and repro files.
//
// A repro file is a scenario file (canonical TOML, FormatScenario) with the failing seed and
// `expect` set to the failure's verdict, preceded by comment lines that the TOML parser skips:
//
//   # northstar repro: durability: <the failure message, on one line>
//   # trace hash: 0x5f3a9c0e12d4b7a1          ("none (the worker crashed)" when there is none)
//   # build: northstar 0.1.0 git efd71eb gcc 12.2.0 RelWithDebInfo
//   # planted bug: ack-without-sync           (only when a bug was planted)
//   # shrunk from <file>: ops 1,024 -> 1 (30 runs)   (only in files `northstar shrink` writes)
//   # reproduce: northstar replay <this file>
//
// Its name is <scenario>-<seed hex>-<verdict>.toml. `northstar replay` reads it back with
// ReadRepro. Thread-safe: no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace northstar::torture {

// Runs one seed of `scenario` with `bug` planted (kAbort: abort() here). An error only for an
// invalid scenario, as sim::RunScenario.
[[nodiscard]] absl::StatusOr<sim::RunResult> RunSeed(const sim::Scenario& scenario, sim::PlantedBug bug,
                                                     sim::RunOptions options = {});

// RunSeed for a scenario with crash_points = "every-io", its crash states split over `jobs`
// forked worker processes (tools/crash_point_workers.cc); the same result as RunSeed but for
// the counts, which may include crash states past the first failure. Any other scenario, or
// jobs = 1: RunSeed. A worker that dies is a kWorkerCrash result.
[[nodiscard]] absl::StatusOr<sim::RunResult> RunSeedInWorkers(const sim::Scenario& scenario,
                                                              sim::PlantedBug bug, uint32_t jobs,
                                                              sim::RunOptions options = {});

// "0x1f" or "1f" (either case, 1..16 hex digits); nullopt otherwise.
[[nodiscard]] std::optional<uint64_t> ParseSeed(std::string_view text);
// "0x1f".
[[nodiscard]] std::string FormatSeed(uint64_t seed);
// "0x5f3a9c0e12d4b7a1": always 16 digits.
[[nodiscard]] std::string FormatTraceHash(uint64_t trace_hash);

// The exit code for a run that ended in `verdict` when `expect` was expected: kExitOk when they
// are equal; otherwise kExitLiveness for a liveness failure, kExitWorkerCrashed for a worker
// crash, kExitCheckFailed for every other verdict (a correctness failure, or a pass where a
// failure was expected).
[[nodiscard]] int ExitCodeForVerdict(sim::Verdict verdict, sim::Verdict expect);

// "ops 2113, commits 183, reads 400, crashes 2, recoveries 3, faults 12, steps 40211,
// ios 2210, 41 ms".
[[nodiscard]] std::string FormatStats(const sim::RunStats& stats, double elapsed_ms);

// `message` on one line: a newline becomes "; ", runs of spaces and other control characters
// one space; no trailing space or ';'.
[[nodiscard]] std::string OneLine(std::string_view message);
// "<verdict>: <message on one line>", without repeating the verdict when the message starts
// with it (the checkers' messages do).
[[nodiscard]] std::string FailureLine(sim::Verdict verdict, std::string_view message);

// "northstar 0.1.0 git efd71eb gcc 12.2.0 RelWithDebInfo" (the commit and build type as CMake
// saw them at configure time; "unknown" outside a git checkout).
[[nodiscard]] std::string BuildDescription();

// A failure to record.
struct ReproInfo {
  sim::Scenario scenario;  // With the failing seed; `expect` is set from `verdict`.
  sim::Verdict verdict = sim::Verdict::kPass;
  std::string message;
  std::optional<uint64_t> trace_hash;  // nullopt when the worker crashed.
  sim::PlantedBug bug = sim::PlantedBug::kNone;
};

// <scenario>-<seed hex>-<verdict>.toml.
[[nodiscard]] std::string ReproFileName(const sim::Scenario& scenario, sim::Verdict verdict);

// Writes the repro file of `info` into `out_dir` (created if missing); its path. An error names
// the path that could not be written.
[[nodiscard]] absl::StatusOr<std::string> WriteRepro(const ReproInfo& info,
                                                     const std::string& out_dir);

// The text WriteRepro writes, for `path`.
[[nodiscard]] std::string FormatRepro(const ReproInfo& info, std::string_view path);

// A repro file read back: the scenario (its seed, and the failure as `expect`), the recorded
// trace hash (nullopt if none), the planted bug, and the recorded build line ("" if none).
struct Repro {
  sim::Scenario scenario;
  std::optional<uint64_t> trace_hash;
  sim::PlantedBug bug = sim::PlantedBug::kNone;
  std::string build;
};

// Reads a repro file (any scenario file works: it has no recorded hash and no planted bug).
[[nodiscard]] absl::StatusOr<Repro> ReadRepro(const std::string& path);

}  // namespace northstar::torture
