// northstar replay <repro.toml>: runs a repro file's seed again and says whether it reproduces.
#include <chrono>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "tools/cli.h"
#include "torture/repro.h"
#include "torture/torture.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "replay", "  northstar replay <repro.toml>\n",
    "Runs the scenario and seed of a repro file (written by run or torture on a failure; any\n"
    "scenario file works) and prints the verdict, whether it is the one the file expects, and\n"
    "whether the trace hash is the one recorded: the same on the same build, and it may differ\n"
    "on another build even when the failure reproduces. A repro of a worker crash runs in a\n"
    "child process, so that the crash becomes its verdict.\n\n"
    "Exit codes: 0 the verdict is the expected one (the failure reproduces); 1 it is not;\n"
    "2 bad usage or a bad file.\n"};

std::optional<int> Parse(const Args& argv, std::string& path) {
  po::options_description hidden;
  hidden.add_options()("repro", po::value(&path));
  po::positional_options_description positional;
  positional.add("repro", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, CommonFlags(), hidden, positional, values)) {
    return exit_code;
  }
  if (path.empty()) return UsageError(kHelp.name, "missing <repro.toml>");
  return std::nullopt;
}

}  // namespace

int RunReplay(const Args& argv) {
  std::string path;
  if (auto exit_code = Parse(argv, path)) return *exit_code;
  absl::StatusOr<torture::Repro> repro = torture::ReadRepro(path);
  if (!repro.ok()) return ReportError(kHelp.name, repro.status());
  const sim::Scenario& scenario = repro->scenario;

  torture::SeedOutcome outcome;
  if (scenario.expect == sim::Verdict::kWorkerCrash) {
    outcome = torture::RunSeedIsolated(scenario, repro->bug);
  } else {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<sim::RunResult> result = torture::RunSeed(scenario, repro->bug);
    if (!result.ok()) return ReportError(kHelp.name, result.status());
    outcome.verdict = result->verdict;
    outcome.message = result->message;
    outcome.trace_hash = result->trace_hash;
    outcome.stats = result->stats;
    outcome.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  const bool reproduces = outcome.verdict == scenario.expect;
  std::cout << absl::StrFormat("%s: %s seed %s (%s)\n", sim::VerdictName(outcome.verdict),
                               scenario.name, torture::FormatSeed(scenario.seed),
                               torture::FormatStats(outcome.stats, outcome.elapsed_ms));
  if (outcome.verdict != sim::Verdict::kPass) {
    std::cout << absl::StrFormat("  %s\n", torture::FailureLine(outcome.verdict, outcome.message));
  }
  std::cout << absl::StrFormat("expected %s: %s\n", sim::VerdictName(scenario.expect),
                               reproduces ? "reproduces" : "does not reproduce");
  const std::string hash =
      outcome.trace_hash ? torture::FormatTraceHash(*outcome.trace_hash) : std::string("none");
  if (!repro->trace_hash) {
    std::cout << absl::StrFormat("trace hash %s: none recorded\n", hash);
  } else if (outcome.trace_hash == repro->trace_hash) {
    std::cout << absl::StrFormat("trace hash %s: same build: trace hash matches\n", hash);
  } else {
    std::cout << absl::StrFormat("trace hash %s, recorded %s: differs (different build?)\n", hash,
                                 torture::FormatTraceHash(*repro->trace_hash));
    if (!repro->build.empty() && repro->build != torture::BuildDescription()) {
      std::cout << absl::StrFormat("  recorded build: %s\n  this build:     %s\n", repro->build,
                                   torture::BuildDescription());
    }
  }
  return reproduces ? kExitOk : kExitCheckFailed;
}

}  // namespace northstar::tools
