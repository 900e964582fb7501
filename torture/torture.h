// The pieces of `northstar torture`: which seeds a run covers (SeedPlan), the worker processes
// that run them (RunWorkers, torture_workers.cc), and the report: progress, summary table, JSON
// and JUnit XML (TortureReport, torture_report.cc). cmd_torture.cc ties them together.
//
// Not thread-safe; the parent is one thread, and each worker is a forked child process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/crash_points.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "torture/repro.h"

namespace northstar::torture {

// One seed of one scenario.
struct TortureItem {
  uint32_t scenario_index = 0;
  uint64_t seed = 0;
};

// The seeds of a torture run, as a sequence of items numbered 0, 1, 2, ...
//
// Seed k of a scenario is first_seed + k (wrapping). A shard i/n (0 <= i < n) takes the k with
// k % n == i: k = i, i + n, i + 2n, ...; so the n shards of a run never overlap, and together
// they cover the seeds of the unsharded run. With seeds_total = N only k < N are taken (the
// unsharded run covers k = 0..N-1); without it the sequence is endless (a time budget ends it).
// Items interleave the scenarios (item j is scenario j % S, its (j / S)-th k), so that a time
// budget spreads over all of them evenly.
class SeedPlan {
 public:
  SeedPlan(std::vector<uint64_t> first_seeds, uint32_t shard_index, uint32_t shard_count,
           std::optional<uint64_t> seeds_total);

  // nullopt: endless.
  [[nodiscard]] std::optional<uint64_t> item_count() const;
  [[nodiscard]] TortureItem item(uint64_t index) const;

 private:
  std::vector<uint64_t> first_seeds_;
  uint32_t shard_index_;
  uint32_t shard_count_;
  std::optional<uint64_t> seeds_total_;
};

// What one seed ended in.
struct SeedOutcome {
  TortureItem item;
  sim::Verdict verdict = sim::Verdict::kPass;
  std::string message;
  std::optional<uint64_t> trace_hash;  // nullopt when the worker crashed.
  sim::RunStats stats;
  double elapsed_ms = 0;
  // --check-determinism: two runs of the seed differed in trace hash or verdict. `verdict` is the
  // first run's; the message says what each run gave. Always a failure (a correctness one when
  // the first run passed, reported under the label "nondeterminism").
  bool nondeterministic = false;
  // crash_points = "every-io": the crash state that failed, whose single-point scenario
  // (sim::CrashStateScenario) is the repro.
  std::optional<sim::CrashState> crash_state;
};

// The label of an outcome in the report: "nondeterminism" for a nondeterministic seed whose first
// run passed, else the verdict's name.
[[nodiscard]] std::string OutcomeLabel(const SeedOutcome& outcome);

struct WorkerOptions {
  uint32_t jobs = 1;  // Worker processes at a time, 1..kJobsMax.
  // No seed starts after it.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  sim::PlantedBug bug = sim::PlantedBug::kNone;
  std::optional<uint64_t> crash_on_seed;  // kAbort is planted on this seed only.
  bool check_determinism = false;         // Run each seed twice; see SeedOutcome::nondeterministic.
  // Asked in the parent after each batch of outcomes: true kills the workers (their seeds in
  // flight are dropped, not reported) and ends the run. E.g. --max-failures.
  std::function<bool()> stop;
};

inline constexpr uint32_t kJobsMax = 256;

// Runs the items of `plan` (every one, or until the deadline) in forked worker processes, at most
// options.jobs at a time, each child running a batch of consecutive items. Calls `on_outcome`
// for each item as it finishes (in the parent; not in item order), and `on_tick` about five
// times a second. A child that dies while running an item (a signal, an abort, a failed
// NS_ASSERT) gives that item a kWorkerCrash outcome whose message holds the child's stderr; the
// rest of its batch goes to a new child.
void RunWorkers(const std::vector<sim::Scenario>& scenarios, const SeedPlan& plan,
                const WorkerOptions& options,
                const std::function<void(const SeedOutcome&)>& on_outcome,
                const std::function<void()>& on_tick);

// One seed in a child process, so that a crash becomes a kWorkerCrash outcome (replay of a worker
// crash).
[[nodiscard]] SeedOutcome RunSeedIsolated(const sim::Scenario& scenario, sim::PlantedBug bug);

// The results of a torture run, and the ways of showing them.
class TortureReport {
 public:
  struct Failure {
    SeedOutcome outcome;
    std::string repro_path;  // "" if it could not be written.
  };
  struct ScenarioTotals {
    std::string name;
    std::string path;
    uint64_t seeds = 0;
    uint64_t passes = 0;
    std::map<std::string, uint64_t> failures_by_verdict;
    double run_ms = 0;  // Sum over its seeds.
  };

  TortureReport(const std::vector<sim::Scenario>& scenarios, const std::vector<std::string>& paths);

  void add(const SeedOutcome& outcome, bool passed, std::string repro_path);
  // Call once, after the last add(): sets the wall time and orders the failures.
  void finish(double elapsed_seconds);

  [[nodiscard]] uint64_t seeds() const { return seeds_; }
  [[nodiscard]] const std::vector<Failure>& failures() const { return failures_; }
  // 0 if every seed passed; else the most severe: kExitWorkerCrashed > kExitLiveness >
  // kExitCheckFailed.
  [[nodiscard]] int exit_code() const { return exit_code_; }

  void print_summary(std::ostream& out) const;
  void write_json(std::ostream& out) const;
  void write_junit(std::ostream& out) const;

 private:
  std::vector<ScenarioTotals> scenarios_;
  std::vector<Failure> failures_;
  uint64_t seeds_ = 0;
  int exit_code_ = 0;
  double elapsed_seconds_ = 0;
};

// The progress line: redrawn in place on a terminal, a plain line every ten seconds otherwise.
class Progress {
 public:
  Progress(std::optional<uint64_t> seeds_total,
           std::optional<std::chrono::steady_clock::time_point> deadline);
  // Shows (if due) `done` seeds and `failures`.
  void update(uint64_t done, uint64_t failures, bool force = false);
  // Ends the line on a terminal.
  void finish();

 private:
  std::optional<uint64_t> seeds_total_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_shown_;
  bool terminal_;
  bool shown_ = false;
};

}  // namespace northstar::torture
