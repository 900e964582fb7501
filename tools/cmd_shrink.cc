// northstar shrink <repro.toml>: the smallest scenario that still fails the way a repro file
// does (sim/shrink.h), written as a repro file that replay and run accept.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "sim/scenario_io.h"
#include "sim/shrink.h"
#include "tools/cli.h"
#include "torture/repro.h"
#include "torture/torture.h"
#include "util/assert.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "shrink", "  northstar shrink <repro.toml> [--out FILE] [--time-budget DURATION]\n",
    "Makes a failing scenario (a repro file written by run or torture; any scenario file that\n"
    "fails works) as small as it can while it still fails the same way. It runs the file once to\n"
    "learn its verdict (which must be the file's `expect` unless that is pass), then lowers one\n"
    "setting at a time toward its simplest value: writers, readers, transactions, operations per\n"
    "transaction and reads; crashes and crash points; every fault (to off); key space and value\n"
    "sizes; aborts; op-mix weights; the schedule (round_robin, smaller PCT depth). A numeric\n"
    "setting tries its floor first, then a binary search. A change is kept when the scenario is\n"
    "valid and its run ends in the same verdict without running more operations. Passes repeat\n"
    "until one changes nothing or the time budget (e.g. 30s, 10m, 1h; default 5m) is spent. The\n"
    "seed is kept: every part of a run draws from its own named random stream. A planted bug\n"
    "recorded in the repro file is planted in every run.\n\n"
    "Prints the size before and after (operations run, transactions, fibers, crashes, faults,\n"
    "key space, scheduler steps) and writes the smallest scenario, canonical TOML with `expect`\n"
    "set to the verdict and a repro header (failure, trace hash, build, what it was shrunk from),\n"
    "to --out (default: <input stem>.shrunk.toml next to the input); then runs the written file\n"
    "once more to check that it reproduces. Progress goes to stderr.\n\n"
    "Exit codes: 0 shrunk, and the written file reproduces the failure; 1 the input does not\n"
    "fail (or not with its expected verdict), or the written file does not reproduce; 2 bad\n"
    "usage or a bad file.\n"};

struct Flags {
  std::string input_path;
  std::string out_path;
  std::string time_budget = "5m";
  std::string plant_bug;  // Empty: the one the repro file records, if any.
};

std::optional<int> Parse(const Args& argv, Flags& flags) {
  po::options_description options = CommonFlags();
  options.add_options()("out", po::value(&flags.out_path),
                        "write the shrunk scenario here (default: <input stem>.shrunk.toml)")(
      "time-budget", po::value(&flags.time_budget)->default_value(flags.time_budget),
      "stop shrinking after this much time");
  po::options_description hidden;
  hidden.add_options()("repro", po::value(&flags.input_path))("plant-bug",
                                                              po::value(&flags.plant_bug));
  po::positional_options_description positional;
  positional.add("repro", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, options, hidden, positional, values)) {
    return exit_code;
  }
  if (flags.input_path.empty()) return UsageError(kHelp.name, "missing <repro.toml>");
  if (!ParseDuration(flags.time_budget)) {
    return UsageError(kHelp.name, absl::StrFormat("--time-budget '%s' is not a duration like "
                                                  "30s, 10m or 1h30m",
                                                  flags.time_budget));
  }
  if (!flags.plant_bug.empty() && !sim::PlantedBugFromName(flags.plant_bug)) {
    return UsageError(kHelp.name, absl::StrFormat("unknown planted bug '%s'", flags.plant_bug));
  }
  if (flags.out_path.empty()) {
    const std::filesystem::path input(flags.input_path);
    flags.out_path = (input.parent_path() / (input.stem().string() + ".shrunk.toml")).string();
  }
  return std::nullopt;
}

// Runs a candidate as replay would: a worker crash in a child process, so that it becomes the
// verdict instead of ending the shrink.
sim::ScenarioRunner RunnerFor(sim::PlantedBug bug, bool isolated) {
  if (!isolated) {
    return [bug](const sim::Scenario& scenario) { return torture::RunSeed(scenario, bug); };
  }
  return [bug](const sim::Scenario& scenario) -> absl::StatusOr<sim::RunResult> {
    const torture::SeedOutcome outcome = torture::RunSeedIsolated(scenario, bug);
    return sim::RunResult{.verdict = outcome.verdict,
                          .message = outcome.message,
                          .trace_hash = outcome.trace_hash.value_or(0),
                          .stats = outcome.stats};
  };
}

// 3412 as "3,412".
std::string WithCommas(uint64_t value) {
  const std::string digits = absl::StrFormat("%d", value);
  std::string grouped;
  for (size_t index = 0; index < digits.size(); index++) {
    if (index > 0 && (digits.size() - index) % 3 == 0) grouped += ',';
    grouped += digits[index];
  }
  return grouped;
}

// "  ops           3,412 -> 118 (3.5%)"; the percentage only for the sizes of the run.
std::string SizeLine(std::string_view what, uint64_t before, uint64_t after, bool percent) {
  std::string line =
      absl::StrFormat("  %-13s %s -> %s", what, WithCommas(before), WithCommas(after));
  if (percent && before > 0) {
    line += absl::StrFormat(" (%.1f%%)",
                            100.0 * static_cast<double>(after) / static_cast<double>(before));
  }
  return line + "\n";
}

void PrintSizes(const sim::ShrinkResult& result) {
  const sim::ShrinkSize& before = result.before;
  const sim::ShrinkSize& after = result.after;
  std::cout << SizeLine("ops", before.ops, after.ops, true)
            << SizeLine("transactions", before.transactions, after.transactions, true)
            << SizeLine("fibers", before.fibers, after.fibers, false)
            << SizeLine("crashes", before.crashes, after.crashes, false)
            << SizeLine("faults", before.faults, after.faults, false)
            << SizeLine("key space", before.key_space, after.key_space, true)
            << SizeLine("steps", before.steps, after.steps, true);
}

// The repro file of the shrunk scenario: torture::FormatRepro's, with a line saying where it came from.
std::string ShrunkText(const sim::ShrinkResult& result, sim::PlantedBug bug, const Flags& flags) {
  const bool crashed = result.verdict == sim::Verdict::kWorkerCrash;
  const torture::ReproInfo info{result.scenario, result.verdict, result.shrunk.message,
                       crashed ? std::nullopt : std::optional(result.shrunk.trace_hash), bug};
  const std::string text = torture::FormatRepro(info, flags.out_path);
  const size_t reproduce = text.find("\n# reproduce: ");
  NS_ASSERT(reproduce != std::string::npos);
  return absl::StrFormat("%s# shrunk from %s: ops %s -> %s (%d runs)\n%s",
                         text.substr(0, reproduce + 1), flags.input_path,
                         WithCommas(result.before.ops), WithCommas(result.after.ops), result.runs,
                         text.substr(reproduce + 1));
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", path));
  return absl::OkStatus();
}

// Reads the written file back and runs it once: the exit code.
int CheckWritten(const std::string& path, const sim::ShrinkResult& shrunk, bool isolated) {
  absl::StatusOr<torture::Repro> repro = torture::ReadRepro(path);
  if (!repro.ok()) return ReportError(kHelp.name, repro.status());
  absl::StatusOr<sim::RunResult> result = RunnerFor(repro->bug, isolated)(repro->scenario);
  if (!result.ok()) return ReportError(kHelp.name, result.status());
  if (result->verdict != repro->scenario.expect) {
    std::cout << absl::StrFormat("wrote %s, but it does not reproduce: it ended in %s\n", path,
                                 sim::VerdictName(result->verdict));
    return kExitCheckFailed;
  }
  std::string trace = "no trace hash (the worker crashed)";
  if (!isolated) {
    trace = absl::StrFormat("trace %s%s", torture::FormatTraceHash(result->trace_hash),
                            result->trace_hash == shrunk.shrunk.trace_hash ? "" : " (differs!)");
  }
  std::cout << absl::StrFormat("wrote %s: it reproduces %s, %s\nreproduce: northstar replay %s\n",
                               path, sim::VerdictName(result->verdict), trace, path);
  return kExitOk;
}

// The outcome when the input does not fail as expected: the exit code.
int NotFailing(const sim::Scenario& scenario, const sim::ShrinkResult& result) {
  std::cout << absl::StrFormat("%s: %s seed %s", sim::VerdictName(result.verdict), scenario.name,
                               torture::FormatSeed(scenario.seed));
  if (result.verdict == sim::Verdict::kPass) {
    std::cout << ": the scenario does not fail; nothing to shrink\n";
  } else {
    std::cout << absl::StrFormat(": expected %s: does not reproduce; nothing to shrink\n  %s\n",
                                 sim::VerdictName(scenario.expect),
                                 torture::FailureLine(result.verdict, result.original.message));
  }
  return kExitCheckFailed;
}

}  // namespace

int RunShrink(const Args& argv) {
  Flags flags;
  if (auto exit_code = Parse(argv, flags)) return *exit_code;
  absl::StatusOr<torture::Repro> repro = torture::ReadRepro(flags.input_path);
  if (!repro.ok()) return ReportError(kHelp.name, repro.status());
  const sim::Scenario& scenario = repro->scenario;
  const sim::PlantedBug bug =
      flags.plant_bug.empty() ? repro->bug : *sim::PlantedBugFromName(flags.plant_bug);
  const bool isolated = scenario.expect == sim::Verdict::kWorkerCrash || bug == sim::PlantedBug::kAbort;

  sim::ShrinkOptions options;
  options.run = RunnerFor(bug, isolated);
  if (scenario.expect != sim::Verdict::kPass) options.target = scenario.expect;
  options.time_budget = *ParseDuration(flags.time_budget);
  options.on_step = [](const sim::ShrinkStep& step) {
    std::cerr << absl::StrFormat("shrink: %s %s -> %s: ops %s (pass %d, run %d)\n", step.field,
                                 step.from, step.to, WithCommas(step.stats.ops), step.pass,
                                 step.runs);
  };
  std::cerr << absl::StrFormat("shrink: running %s (time budget %s)\n", flags.input_path,
                               flags.time_budget);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<sim::ShrinkResult> result = sim::Shrink(scenario, options);
  if (!result.ok()) return ReportError(kHelp.name, result.status());
  if (!result->failed) return NotFailing(scenario, *result);
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << absl::StrFormat(
      "shrunk %s: %s seed %s in %d runs, %d passes, %.2f s%s\n", sim::VerdictName(result->verdict),
      scenario.name, torture::FormatSeed(scenario.seed), result->runs, result->passes, elapsed_s,
      result->budget_spent ? " (budget spent: it may shrink further)" : "");
  PrintSizes(*result);
  std::cout << absl::StrFormat("  %s\n", torture::FailureLine(result->verdict, result->shrunk.message));
  if (absl::Status written = WriteText(flags.out_path, ShrunkText(*result, bug, flags));
      !written.ok()) {
    return ReportError(kHelp.name, written);
  }
  return CheckWritten(flags.out_path, *result, isolated);
}

}  // namespace northstar::tools
