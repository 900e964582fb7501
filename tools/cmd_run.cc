// northstar run <scenario.toml>: one seed of one scenario, in this process; on a failure, a repro
// file and the command that replays it.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "sim/scenario_io.h"
#include "tools/cli.h"
#include "torture/repro.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "run",
    "  northstar run <scenario.toml> [--seed HEX] [--trace FILE.jsonl]\n"
    "                [--chrome-trace FILE.json] [--check-determinism] [--out DIR]\n"
    "                [--crash-points random|every-io] [--jobs J]\n",
    "Runs one seed of the scenario (the file's seed, or --seed) on the simulated disk and prints\n"
    "one line: the verdict, the seed, the trace hash and the run's statistics. On a failure it\n"
    "prints the checker's message, writes a repro file into --out and prints the command that\n"
    "replays it. --trace writes every trace event as JSON lines; --chrome-trace writes the first\n"
    "epoch as a Chrome trace (open it in Perfetto). --check-determinism runs the seed twice and\n"
    "compares the trace hashes.\n\n"
    "--crash-points overrides the scenario's faults.crash_points. With every-io the seed runs\n"
    "once without crashes, then once per crash state: a crash right after each I/O of that run,\n"
    "each write in each of its variants (spec/fault_model.md, FM-12); it prints how many crash\n"
    "states it checked, and a failure's repro file is the one failing crash state, which replays\n"
    "alone. The traces are the run without crashes. --jobs J splits the crash states over J\n"
    "worker processes (every-io only).\n\n"
    "Exit codes: 0 the run ended as the scenario expects (`expect`, usually pass); 1 a\n"
    "correctness failure, or a second run with a different trace hash; 2 bad usage or a bad\n"
    "scenario; 3 a liveness failure (deadlock, step budget).\n"};

constexpr uint32_t kCrashPointJobsMax = 256;

struct Flags {
  std::string scenario_path;
  std::string seed;
  std::string trace_path;
  std::string chrome_trace_path;
  bool check_determinism = false;
  std::string out_dir = "northstar-failures";
  std::string plant_bug = "none";
  std::string crash_points;  // Overrides the scenario's when set.
  uint32_t jobs = 1;
};

std::optional<int> Parse(const Args& argv, Flags& flags) {
  po::options_description options = CommonFlags();
  options.add_options()("seed", po::value(&flags.seed),
                        "run this seed (hex) instead of the file's")(
      "trace", po::value(&flags.trace_path), "write the trace as JSON lines to this file")(
      "chrome-trace", po::value(&flags.chrome_trace_path),
      "write a Chrome trace (first epoch) to this file")(
      "check-determinism", po::bool_switch(&flags.check_determinism),
      "run twice; exit 1 if the trace hashes differ")(
      "out", po::value(&flags.out_dir)->default_value(flags.out_dir),
      "where a failure's repro file goes")(
      "crash-points", po::value(&flags.crash_points),
      "random or every-io: override the scenario's faults.crash_points")(
      "jobs,j", po::value(&flags.jobs)->default_value(1),
      "worker processes for the crash states of every-io");
  po::options_description hidden;
  hidden.add_options()("scenario", po::value(&flags.scenario_path))("plant-bug",
                                                                    po::value(&flags.plant_bug));
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, options, hidden, positional, values)) {
    return exit_code;
  }
  if (flags.scenario_path.empty()) return UsageError(kHelp.name, "missing <scenario.toml>");
  if (!sim::PlantedBugFromName(flags.plant_bug)) {
    return UsageError(kHelp.name, absl::StrFormat("unknown planted bug '%s'", flags.plant_bug));
  }
  if (!flags.seed.empty() && !torture::ParseSeed(flags.seed)) {
    return UsageError(kHelp.name, absl::StrFormat("--seed '%s' is not a hex seed", flags.seed));
  }
  if (!flags.crash_points.empty() && !sim::CrashPointModeFromName(flags.crash_points)) {
    return UsageError(kHelp.name, absl::StrFormat("--crash-points '%s' is not random or every-io",
                                                  flags.crash_points));
  }
  if (flags.jobs == 0 || flags.jobs > kCrashPointJobsMax) {
    return UsageError(kHelp.name, absl::StrFormat("--jobs must be in [1, %d]", kCrashPointJobsMax));
  }
  return std::nullopt;
}

// 4812 as "4,812".
std::string WithThousands(uint64_t value) {
  const std::string digits = absl::StrFormat("%d", value);
  std::string out;
  for (size_t index = 0; index < digits.size(); index++) {
    if (index > 0 && (digits.size() - index) % 3 == 0) out += ',';
    out += digits[index];
  }
  return out;
}

struct TraceFiles {
  std::ofstream json_lines;
  std::ofstream chrome;
};

// Opens the requested trace files and points `options` at them; an error names the file.
absl::Status OpenTraceFiles(const Flags& flags, TraceFiles& files, sim::RunOptions& options) {
  if (!flags.trace_path.empty()) {
    files.json_lines.open(flags.trace_path, std::ios::binary | std::ios::trunc);
    if (!files.json_lines) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", flags.trace_path));
    }
    options.trace_json_lines = &files.json_lines;
  }
  if (!flags.chrome_trace_path.empty()) {
    files.chrome.open(flags.chrome_trace_path, std::ios::binary | std::ios::trunc);
    if (!files.chrome) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: cannot write", flags.chrome_trace_path));
    }
    options.trace_chrome = &files.chrome;
  }
  options.trace.keep_events =
      options.trace_json_lines != nullptr || options.trace_chrome != nullptr;
  return absl::OkStatus();
}

// The second run of --check-determinism: the exit code.
int CheckDeterminism(const sim::Scenario& scenario, sim::PlantedBug bug, const sim::RunResult& first) {
  absl::StatusOr<sim::RunResult> second = torture::RunSeed(scenario, bug);
  if (!second.ok()) return ReportError(kHelp.name, second.status());
  if (second->trace_hash != first.trace_hash || second->verdict != first.verdict) {
    std::cout << absl::StrFormat(
        "not deterministic: seed %s gave trace hash %s (%s), then %s (%s)\n",
        torture::FormatSeed(scenario.seed), torture::FormatTraceHash(first.trace_hash),
        sim::VerdictName(first.verdict), torture::FormatTraceHash(second->trace_hash),
        sim::VerdictName(second->verdict));
    return kExitCheckFailed;
  }
  std::cout << "deterministic: a second run gave the same trace hash\n";
  return kExitOk;
}

}  // namespace

int RunRun(const Args& argv) {
  Flags flags;
  if (auto exit_code = Parse(argv, flags)) return *exit_code;
  absl::StatusOr<sim::Scenario> scenario = sim::ReadScenarioFile(flags.scenario_path);
  if (!scenario.ok()) return ReportError(kHelp.name, scenario.status());
  if (!flags.seed.empty()) scenario->seed = *torture::ParseSeed(flags.seed);
  if (!flags.crash_points.empty()) {
    scenario->faults.crash_points = *sim::CrashPointModeFromName(flags.crash_points);
  }
  const sim::PlantedBug bug = *sim::PlantedBugFromName(flags.plant_bug);

  TraceFiles files;
  sim::RunOptions options;
  if (absl::Status opened = OpenTraceFiles(flags, files, options); !opened.ok()) {
    return ReportError(kHelp.name, opened);
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<sim::RunResult> result = torture::RunSeedInWorkers(*scenario, bug, flags.jobs, options);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) return ReportError(kHelp.name, result.status());

  const bool as_expected = result->verdict == scenario->expect;
  std::cout << absl::StrFormat(
      "%s%s: %s seed %s trace %s (%s)\n", sim::VerdictName(result->verdict),
      as_expected && result->verdict != sim::Verdict::kPass ? " (as expected)" : "", scenario->name,
      torture::FormatSeed(scenario->seed), torture::FormatTraceHash(result->trace_hash),
      torture::FormatStats(result->stats, elapsed_ms));
  if (result->stats.crash_states > 0) {
    std::cout << absl::StrFormat(
        "crash points: checked %s crash states over %s I/O indexes (every I/O)\n",
        WithThousands(result->stats.crash_states), WithThousands(result->stats.crash_io_indexes));
  }
  if (!as_expected) {
    if (result->verdict == sim::Verdict::kPass) {
      std::cout << absl::StrFormat("  expected %s\n", sim::VerdictName(scenario->expect));
    } else {
      std::cout << absl::StrFormat("  %s\n", torture::FailureLine(result->verdict, result->message));
      // A failed crash state of crash_points = "every-io" is recorded as its own scenario.
      absl::StatusOr<std::string> path =
          torture::WriteRepro({result->repro_scenario.value_or(*scenario), result->verdict, result->message,
                      result->trace_hash, bug},
                     flags.out_dir);
      if (!path.ok()) return ReportError(kHelp.name, path.status());
      std::cout << absl::StrFormat("reproduce: northstar replay %s\n", *path);
    }
  }
  int exit_code = torture::ExitCodeForVerdict(result->verdict, scenario->expect);
  if (flags.check_determinism) {
    exit_code = std::max(exit_code, CheckDeterminism(*scenario, bug, *result));
  }
  return exit_code;
}

}  // namespace northstar::tools
