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
#include "tools/repro.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "run",
    "  northstar run <scenario.toml> [--seed HEX] [--trace FILE.jsonl]\n"
    "                [--chrome-trace FILE.json] [--check-determinism] [--out DIR]\n",
    "Runs one seed of the scenario (the file's seed, or --seed) on the simulated disk and prints\n"
    "one line: the verdict, the seed, the trace hash and the run's statistics. On a failure it\n"
    "prints the checker's message, writes a repro file into --out and prints the command that\n"
    "replays it. --trace writes every trace event as JSON lines; --chrome-trace writes the first\n"
    "epoch as a Chrome trace (open it in Perfetto). --check-determinism runs the seed twice and\n"
    "compares the trace hashes.\n\n"
    "Exit codes: 0 the run ended as the scenario expects (`expect`, usually pass); 1 a\n"
    "correctness failure, or a second run with a different trace hash; 2 bad usage or a bad\n"
    "scenario; 3 a liveness failure (deadlock, step budget).\n"};

struct Flags {
  std::string scenario_path;
  std::string seed;
  std::string trace_path;
  std::string chrome_trace_path;
  bool check_determinism = false;
  std::string out_dir = "northstar-failures";
  std::string plant_bug = "none";
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
      "where a failure's repro file goes");
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
  if (!PlantedBugFromName(flags.plant_bug)) {
    return UsageError(kHelp.name, absl::StrFormat("unknown planted bug '%s'", flags.plant_bug));
  }
  if (!flags.seed.empty() && !ParseSeed(flags.seed)) {
    return UsageError(kHelp.name, absl::StrFormat("--seed '%s' is not a hex seed", flags.seed));
  }
  return std::nullopt;
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
int CheckDeterminism(const sim::Scenario& scenario, PlantedBug bug, const sim::RunResult& first) {
  absl::StatusOr<sim::RunResult> second = RunSeed(scenario, bug);
  if (!second.ok()) return ReportError(kHelp.name, second.status());
  if (second->trace_hash != first.trace_hash || second->verdict != first.verdict) {
    std::cout << absl::StrFormat(
        "not deterministic: seed %s gave trace hash %s (%s), then %s (%s)\n",
        FormatSeed(scenario.seed), FormatTraceHash(first.trace_hash),
        sim::VerdictName(first.verdict), FormatTraceHash(second->trace_hash),
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
  if (!flags.seed.empty()) scenario->seed = *ParseSeed(flags.seed);
  const PlantedBug bug = *PlantedBugFromName(flags.plant_bug);

  TraceFiles files;
  sim::RunOptions options;
  if (absl::Status opened = OpenTraceFiles(flags, files, options); !opened.ok()) {
    return ReportError(kHelp.name, opened);
  }
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<sim::RunResult> result = RunSeed(*scenario, bug, options);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) return ReportError(kHelp.name, result.status());

  const bool as_expected = result->verdict == scenario->expect;
  std::cout << absl::StrFormat(
      "%s%s: %s seed %s trace %s (%s)\n", sim::VerdictName(result->verdict),
      as_expected && result->verdict != sim::Verdict::kPass ? " (as expected)" : "", scenario->name,
      FormatSeed(scenario->seed), FormatTraceHash(result->trace_hash),
      FormatStats(result->stats, elapsed_ms));
  if (!as_expected) {
    if (result->verdict == sim::Verdict::kPass) {
      std::cout << absl::StrFormat("  expected %s\n", sim::VerdictName(scenario->expect));
    } else {
      std::cout << absl::StrFormat("  %s\n", FailureLine(result->verdict, result->message));
      absl::StatusOr<std::string> path = WriteRepro(
          {*scenario, result->verdict, result->message, result->trace_hash, bug}, flags.out_dir);
      if (!path.ok()) return ReportError(kHelp.name, path.status());
      std::cout << absl::StrFormat("reproduce: northstar replay %s\n", *path);
    }
  }
  int exit_code = ExitCodeForVerdict(result->verdict, scenario->expect);
  if (flags.check_determinism) {
    exit_code = std::max(exit_code, CheckDeterminism(*scenario, bug, *result));
  }
  return exit_code;
}

}  // namespace northstar::tools
