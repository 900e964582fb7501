// Shrink: the smallest scenario that still fails the way a given one does.
//
// Shrink runs the scenario once to learn its verdict, then lowers one field at a time toward
// its simplest value and keeps a candidate when it is valid (ValidateScenario), its run ends in
// the same verdict, and that run executes no more operations (RunStats::ops) than the current
// one: fewer writers, readers, transactions and operations; fewer crashes; faults off; a smaller
// key space and smaller values; no aborts; op-mix weights at 0; a simpler schedule. A numeric
// field first tries its floor, then binary-searches between the floor and its value; the crash
// points of faults.crash_at_io are removed in halving chunks, then each is moved earlier. Passes
// repeat until one changes nothing, or until the time or run budget is spent.
//
// The seed is kept: every part of a run draws from its own named stream (DeriveSeed(seed,
// "writer-0"), "faults.plan", ...), so lowering one field does not reshuffle the others.
//
// Deterministic when no budget runs out: the same scenario and options give the same result.
// Not thread-safe per call (it calls the callbacks from the calling thread); no global state.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace northstar::sim {

// Limits on one shrink: runs (each candidate that passes validation is one) and passes.
inline constexpr uint32_t kShrinkRunsMaxDefault = 20'000;
inline constexpr uint32_t kShrinkPassesMax = 50;

// How big a scenario and its failing run are. The first three are measured on the run; the
// others are read from the scenario.
struct ShrinkSize {
  uint64_t ops = 0;           // RunStats::ops: operations executed until the failure.
  uint64_t transactions = 0;  // RunStats::transactions: write transactions begun.
  uint64_t steps = 0;         // RunStats::steps: scheduler steps.
  uint64_t fibers = 0;        // workload.writers + workload.readers.
  uint64_t crashes = 0;       // faults.crashes + the entries of faults.crash_at_io.
  uint64_t faults = 0;        // Fault settings switched on (FaultCount).
  uint64_t key_space = 0;     // workload.key_space.
};

// The fault settings of `plan` that are on: torn writes, lost directory operations, each
// non-zero error, bit-rot and misdirected-write probability, a capacity, read latency.
[[nodiscard]] uint64_t FaultCount(const FaultPlan& plan);

[[nodiscard]] ShrinkSize SizeOf(const Scenario& scenario, const RunStats& stats);

// A kept candidate: `field` went from `from` to `to` (as the scenario file writes them).
struct ShrinkStep {
  std::string field;  // "workload.transactions"
  std::string from;   // "200"
  std::string to;     // "12"
  RunStats stats;     // Of the candidate's run.
  uint32_t runs = 0;  // Runs so far, this one included.
  uint32_t pass = 0;  // 1, 2, ...
};

// Runs one candidate. An error only when the scenario is invalid, as RunScenario.
using ScenarioRunner = std::function<absl::StatusOr<RunResult>(const Scenario&)>;

struct ShrinkOptions {
  // Planted in every run (RunOptions::planted_bug), so that a planted-bug repro shrinks.
  PlantedBug planted_bug = PlantedBug::kNone;
  // When set, runs every candidate instead of RunScenario with planted_bug (the command line
  // runs worker crashes in a child process).
  ScenarioRunner run;
  // The verdict to keep. nullopt: the first run's, whatever failure it is.
  std::optional<Verdict> target;
  // No candidate starts after this much time; the first run always happens.
  std::optional<std::chrono::steady_clock::duration> time_budget;
  uint32_t runs_max = kShrinkRunsMaxDefault;       // >= 1: the first run is one.
  std::function<void(const ShrinkStep&)> on_step;  // Each kept candidate.
};

struct ShrinkResult {
  // The first run's verdict. Nothing was shrunk unless `failed`.
  Verdict verdict = Verdict::kPass;
  // The first run failed, with options.target if one was given.
  bool failed = false;
  // The smallest scenario found, with `expect` set to the verdict and scheduler.fibers_max to
  // writers + readers + 1 (what reading its file gives back); the input when !failed.
  Scenario scenario;
  RunResult original;  // The first run.
  RunResult shrunk;    // The run of `scenario`.
  ShrinkSize before;
  ShrinkSize after;
  uint32_t runs = 0;          // The first run included.
  uint32_t passes = 0;        // Passes begun.
  bool budget_spent = false;  // The time or run budget ended the search early.
};

// An error only when `scenario` is invalid (or options.run fails on it).
[[nodiscard]] absl::StatusOr<ShrinkResult> Shrink(const Scenario& scenario,
                                                  const ShrinkOptions& options = {});

}  // namespace northstar::sim
