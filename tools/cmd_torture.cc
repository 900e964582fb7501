// northstar torture <scenario|dir>...: many seeds of scenarios in worker processes, with shards,
// a time budget, progress, a summary, repro files, JUnit XML and a JSON summary.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "sim/scenario_io.h"
#include "tools/cli.h"
#include "torture/repro.h"
#include "torture/torture.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "torture",
    "  northstar torture <scenario.toml|dir>... (--seeds N | --time-budget DURATION)...\n"
    "                    [--jobs J] [--shard I/N] [--first-seed HEX] [--out DIR]\n"
    "                    [--junit FILE] [--json FILE] [--check-determinism]\n"
    "                    [--max-failures N]\n",
    "Runs many seeds of each scenario (a directory stands for its *.toml files) in worker\n"
    "processes, --jobs at a time. Seed k of a scenario is first seed + k (--first-seed, else the\n"
    "scenario's own seed), for k = 0..N-1 with --seeds N, or k = 0, 1, ... until the time budget\n"
    "(e.g. 30s, 10m, 1h30m) is spent (with both, whichever ends first). --shard I/N (0 <= I < N) keeps the k with k % N == I,\n"
    "so N machines running shards 0/N..N-1/N with the same flags cover the seeds of one unsharded\n"
    "run, and never the same seed twice.\n\n"
    "A seed passes when its verdict is the scenario's `expect`. A failure is listed with its\n"
    "message, and a repro file is written into --out (see 'northstar replay'). A worker that dies\n"
    "(a signal, a failed assertion) is a worker-crash failure of the seed it was running; the\n"
    "run goes on with a new worker. --max-failures N ends the run at the Nth failure (the seeds\n"
    "then in flight are dropped): how many seeds and seconds it takes to find a bug. Progress goes to stderr (a live line on a terminal, a line\n"
    "every 10 s otherwise); the summary table to stdout.\n\n"
    "--check-determinism runs each seed twice in its worker; if the two runs differ in trace hash\n"
    "or verdict, the seed fails with a 'nondeterminism: run 1 trace ... run 2 trace ...' message\n"
    "(a correctness failure, listed under 'nondeterminism' unless the first run failed).\n\n"
    "Exit codes: 0 every seed passed; 1 a correctness failure; 2 bad usage or a bad scenario;\n"
    "3 a liveness failure; 4 a worker crashed (the most severe one found wins: 4, 3, 1).\n"};

struct Flags {
  std::vector<std::string> inputs;
  uint64_t seeds = 0;
  std::string time_budget;
  uint32_t jobs = 1;
  std::string shard = "0/1";
  std::string first_seed;
  std::string out_dir = "northstar-failures";
  std::string junit_path;
  std::string json_path;
  std::string plant_bug = "none";
  std::string crash_worker_on_seed;
  bool check_determinism = false;
  uint64_t max_failures = 0;  // 0: no limit.
};

std::optional<std::pair<uint32_t, uint32_t>> ParseShard(const std::string& text) {
  uint32_t index = 0;
  uint32_t count = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%u/%u%c", &index, &count, &extra) != 2) return std::nullopt;
  if (count == 0 || index >= count) return std::nullopt;
  return std::pair{index, count};
}

std::optional<int> Parse(const Args& argv, Flags& flags) {
  po::options_description options = CommonFlags();
  options.add_options()("seeds", po::value(&flags.seeds), "run N seeds of each scenario")(
      "time-budget", po::value(&flags.time_budget), "run seeds until this much time is spent")(
      "jobs,j", po::value(&flags.jobs)->default_value(1), "worker processes at a time")(
      "shard", po::value(&flags.shard)->default_value(flags.shard), "run shard I of N (I/N)")(
      "first-seed", po::value(&flags.first_seed), "seed 0 (hex; default: each scenario's seed)")(
      "out", po::value(&flags.out_dir)->default_value(flags.out_dir), "where repro files go")(
      "junit", po::value(&flags.junit_path), "write a JUnit XML report to this file")(
      "json", po::value(&flags.json_path), "write a JSON summary to this file")(
      "check-determinism", po::bool_switch(&flags.check_determinism),
      "run each seed twice; a different trace hash or verdict is a failure")(
      "max-failures", po::value(&flags.max_failures), "stop at the Nth failure");
  po::options_description hidden;
  hidden.add_options()("inputs", po::value(&flags.inputs))(
      "plant-bug", po::value(&flags.plant_bug))("crash-worker-on-seed",
                                                po::value(&flags.crash_worker_on_seed));
  po::positional_options_description positional;
  positional.add("inputs", -1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, options, hidden, positional, values)) {
    return exit_code;
  }
  if (flags.inputs.empty()) return UsageError(kHelp.name, "missing <scenario.toml|dir>");
  const bool has_seeds = values.count("seeds") != 0;
  const bool has_budget = values.count("time-budget") != 0;
  if (!has_seeds && !has_budget) {
    return UsageError(kHelp.name, "give --seeds or --time-budget (or both)");
  }
  if (has_seeds && flags.seeds == 0) return UsageError(kHelp.name, "--seeds must be at least 1");
  if (has_budget && !ParseDuration(flags.time_budget)) {
    return UsageError(kHelp.name, absl::StrFormat("--time-budget '%s' is not a duration like "
                                                  "30s, 10m or 1h30m",
                                                  flags.time_budget));
  }
  if (flags.jobs == 0 || flags.jobs > torture::kJobsMax) {
    return UsageError(kHelp.name, absl::StrFormat("--jobs must be in [1, %d]", torture::kJobsMax));
  }
  if (!ParseShard(flags.shard)) {
    return UsageError(kHelp.name,
                      absl::StrFormat("--shard '%s' is not I/N with 0 <= I < N", flags.shard));
  }
  for (const std::string* seed : {&flags.first_seed, &flags.crash_worker_on_seed}) {
    if (!seed->empty() && !torture::ParseSeed(*seed)) {
      return UsageError(kHelp.name, absl::StrFormat("'%s' is not a hex seed", *seed));
    }
  }
  if (!sim::PlantedBugFromName(flags.plant_bug)) {
    return UsageError(kHelp.name, absl::StrFormat("unknown planted bug '%s'", flags.plant_bug));
  }
  return std::nullopt;
}

// The scenario files named by `inputs` (a directory: its *.toml files, sorted).
absl::StatusOr<std::vector<std::string>> ScenarioPaths(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const std::string& input : inputs) {
    std::error_code error;
    if (!std::filesystem::is_directory(input, error)) {
      paths.push_back(input);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(input, error)) {
      if (entry.path().extension() == ".toml") found.push_back(entry.path().string());
    }
    if (error || found.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: no *.toml scenario files", input));
    }
    std::sort(found.begin(), found.end());
    paths.insert(paths.end(), found.begin(), found.end());
  }
  return paths;
}

// A report file written with `write`; an error names the file.
absl::Status WriteReportFile(const std::string& path,
                             const std::function<void(std::ostream&)>& write) {
  if (path.empty()) return absl::OkStatus();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  write(out);
  out.close();
  if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", path));
  return absl::OkStatus();
}

}  // namespace

int RunTorture(const Args& argv) {
  Flags flags;
  if (auto exit_code = Parse(argv, flags)) return *exit_code;
  absl::StatusOr<std::vector<std::string>> paths = ScenarioPaths(flags.inputs);
  if (!paths.ok()) return ReportError(kHelp.name, paths.status());
  std::vector<sim::Scenario> scenarios;
  std::vector<uint64_t> first_seeds;
  for (const std::string& path : *paths) {
    absl::StatusOr<sim::Scenario> scenario = sim::ReadScenarioFile(path);
    if (!scenario.ok()) return ReportError(kHelp.name, scenario.status());
    first_seeds.push_back(flags.first_seed.empty() ? scenario->seed : *torture::ParseSeed(flags.first_seed));
    scenarios.push_back(*std::move(scenario));
  }
  const auto [shard_index, shard_count] = *ParseShard(flags.shard);
  const torture::SeedPlan plan(
      first_seeds, shard_index, shard_count,
      flags.seeds != 0 ? std::optional<uint64_t>(flags.seeds) : std::nullopt);
  torture::WorkerOptions options;
  options.jobs = flags.jobs;
  const auto start = std::chrono::steady_clock::now();
  if (!flags.time_budget.empty()) options.deadline = start + *ParseDuration(flags.time_budget);
  options.bug = *sim::PlantedBugFromName(flags.plant_bug);
  options.check_determinism = flags.check_determinism;
  if (!flags.crash_worker_on_seed.empty()) {
    options.crash_on_seed = torture::ParseSeed(flags.crash_worker_on_seed);
  }

  torture::TortureReport report(scenarios, *paths);
  torture::Progress progress(plan.item_count(), options.deadline);
  const auto on_outcome = [&](const torture::SeedOutcome& outcome) {
    const sim::Scenario& scenario = scenarios[outcome.item.scenario_index];
    const bool passed = outcome.verdict == scenario.expect && !outcome.nondeterministic;
    std::string repro_path;
    if (!passed && outcome.verdict != sim::Verdict::kPass) {
      torture::ReproInfo info{scenario, outcome.verdict, outcome.message, outcome.trace_hash, options.bug};
      info.scenario.seed = outcome.item.seed;
      // A failed crash state of crash_points = "every-io" replays alone.
      if (outcome.crash_state) {
        info.scenario = sim::CrashStateScenario(info.scenario, *outcome.crash_state);
      }
      if (options.crash_on_seed == outcome.item.seed) info.bug = sim::PlantedBug::kAbort;
      absl::StatusOr<std::string> written = torture::WriteRepro(info, flags.out_dir);
      if (written.ok()) {
        repro_path = *written;
      } else {
        std::cerr << absl::StrFormat("northstar torture: %s\n", written.status().message());
      }
    }
    report.add(outcome, passed, std::move(repro_path));
    progress.update(report.seeds(), report.failures().size());
  };
  if (flags.max_failures > 0) {
    options.stop = [&] { return report.failures().size() >= flags.max_failures; };
  }
  torture::RunWorkers(scenarios, plan, options, on_outcome,
             [&] { progress.update(report.seeds(), report.failures().size()); });
  progress.update(report.seeds(), report.failures().size(), /*force=*/true);
  progress.finish();
  report.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  std::cout << absl::StrFormat("torture: shard %s, %d jobs, %s\n", flags.shard, flags.jobs,
                               torture::BuildDescription());
  report.print_summary(std::cout);
  if (flags.check_determinism) {
    const auto nondeterministic =
        std::count_if(report.failures().begin(), report.failures().end(),
                      [](const torture::TortureReport::Failure& f) { return f.outcome.nondeterministic; });
    if (nondeterministic == 0) {
      std::cout << "determinism: every seed ran twice with the same trace hash\n";
    } else {
      std::cout << absl::StrFormat("determinism: %d seeds differed between two runs\n",
                                   nondeterministic);
    }
  }
  absl::Status written =
      WriteReportFile(flags.json_path, [&](std::ostream& out) { report.write_json(out); });
  if (written.ok()) {
    written =
        WriteReportFile(flags.junit_path, [&](std::ostream& out) { report.write_junit(out); });
  }
  if (!written.ok()) return ReportError(kHelp.name, written);
  return report.exit_code();
}

}  // namespace northstar::tools
