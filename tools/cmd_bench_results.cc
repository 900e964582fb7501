// northstar bench report / compare / gate: read result directories back (every file validated
// against the schema), summarize, compare, judge.
#include <fstream>
#include <iostream>
#include <regex>
#include <set>

#include "absl/strings/str_format.h"
#include "bench/compare.h"
#include "tools/cmd_bench.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kReportHelp = {
    "bench report", "  northstar bench report <dir> [--csv FILE]\n",
    "Reads every result file of <dir> (each validated against bench/results.schema.json) and\n"
    "prints the suite table: medians over repeats, CV and stability, the durable commit\n"
    "against its floor. --csv FILE writes one row per repeat file.\n\n"
    "Exit codes: 0 done; 2 a missing directory or a file that does not validate.\n"};

constexpr CommandHelp kCompareHelp = {
    "bench compare", "  northstar bench compare <dirA> <dirB> [--csv FILE] [--svg FILE]\n",
    "Compares two result directories benchmark by benchmark: the medians over repeats of\n"
    "throughput, p99 latency, allocations/op and syncs/op, as ratios B/A. A benchmark whose\n"
    "sides ran different parameters (sizes, batch), backend or unit is marked '!' with the\n"
    "difference (on purpose when comparing a posix run with a uring run; gate refuses such\n"
    "pairs). --csv FILE writes the table; --svg FILE draws the throughput and p99 ratios as a\n"
    "bar chart.\n\n"
    "Exit codes: 0 done; 2 a missing directory or a file that does not validate.\n"};

constexpr CommandHelp kGateHelp = {
    "bench gate",
    "  northstar bench gate <baseline_dir> [--candidate DIR] [--out DIR] [--filter REGEX]\n"
    "                       [--repeats N] [--backend posix|uring] [--dir PATH]\n"
    "                       [--throughput-drop F] [--p99-rise F] [--allocations-rise F]\n"
    "                       [--syncs-rise F]\n",
    "Without --candidate, reruns every benchmark of <baseline_dir> (those matching --filter)\n"
    "with what the baseline recorded (scale, ops, warmup, seed, repeats unless --repeats, and\n"
    "backend unless --backend), writing the results into --out; with --candidate DIR, judges\n"
    "that directory instead. Then compares medians over repeats, candidate/baseline, and fails\n"
    "a benchmark when throughput falls by more than --throughput-drop (0.05), p99 latency rises\n"
    "by more than --p99-rise (0.10), allocations/op rise by more than --allocations-rise (0.05;\n"
    "and by more than 0.01 per op), or syncs/op rise by more than --syncs-rise (0: any\n"
    "increase). A baseline benchmark missing from the candidate fails. A benchmark whose\n"
    "parameters, backend or unit differ is not judged: that is bad input. The output states\n"
    "the thresholds. On a shared, noisy machine use several repeats (medians absorb one bad\n"
    "repeat) and run the baseline on the same machine.\n\n"
    "Exit codes: 0 every benchmark passed; 1 a regression (or a missing benchmark); 2 bad\n"
    "usage, an unreadable or invalid result file, or results that are not comparable.\n"};

absl::StatusOr<std::vector<bench::BenchSummary>> ReadSummaries(const std::string& dir,
                                                               bench::ResultSet* results) {
  absl::StatusOr<bench::ResultSet> read = bench::ReadResultDir(dir);
  if (!read.ok()) return read.status();
  absl::StatusOr<std::vector<bench::BenchSummary>> summaries = bench::SummarizeAll(*read);
  if (results != nullptr) *results = *std::move(read);
  return summaries;
}

absl::Status WriteFile(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path.empty()) return absl::OkStatus();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  write(out);
  out.close();
  if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", path));
  return absl::OkStatus();
}

struct GateFlags {
  std::string baseline;
  std::string candidate;
  std::string out = "bench-gate-results";
  std::string filter;
  uint32_t repeats = 0;  // 0: the baseline's.
  std::string backend;   // "": the baseline's.
  std::string dir;
  double plant_slowdown = 0;
  bench::GateThresholds thresholds;
};

std::optional<int> ParseGate(const Args& args, GateFlags& flags, po::variables_map& values) {
  po::options_description options = CommonFlags();
  bench::GateThresholds& t = flags.thresholds;
  options.add_options()("candidate", po::value(&flags.candidate), "judge this result directory")(
      "out", po::value(&flags.out)->default_value(flags.out), "where the rerun's results go")(
      "filter", po::value(&flags.filter), "only baseline benchmarks matching this regex")(
      "repeats", po::value(&flags.repeats), "repeats of the rerun (default: the baseline's)")(
      "backend", po::value(&flags.backend), "posix or uring (default: the baseline's)")(
      "dir", po::value(&flags.dir), "where scratch directories go")(
      "throughput-drop", po::value(&t.throughput_drop)->default_value(t.throughput_drop),
      "fail when throughput falls by more than this fraction")(
      "p99-rise", po::value(&t.p99_rise)->default_value(t.p99_rise),
      "fail when p99 latency rises by more than this fraction")(
      "allocations-rise", po::value(&t.allocations_rise)->default_value(t.allocations_rise),
      "fail when allocations/op rise by more than this fraction")(
      "syncs-rise", po::value(&t.syncs_rise)->default_value(t.syncs_rise),
      "fail when syncs/op rise by more than this fraction");
  po::options_description hidden;
  hidden.add_options()("baseline", po::value(&flags.baseline))("plant-slowdown",
                                                               po::value(&flags.plant_slowdown));
  po::positional_options_description positional;
  positional.add("baseline", 1);
  if (auto exit_code = ParseArgs(kGateHelp, args, options, hidden, positional, values)) {
    return exit_code;
  }
  if (flags.baseline.empty()) return UsageError(kGateHelp.name, "missing <baseline_dir>");
  for (double fraction : {t.throughput_drop, t.p99_rise, t.allocations_rise, t.syncs_rise}) {
    if (!(fraction >= 0 && fraction < 10)) {
      return UsageError(kGateHelp.name, "thresholds are fractions in [0, 10)");
    }
  }
  if (flags.repeats > bench::kRepeatsMax) {
    return UsageError(kGateHelp.name,
                      absl::StrFormat("--repeats must be in [1, %d]", bench::kRepeatsMax));
  }
  if (!(flags.plant_slowdown >= 0 && flags.plant_slowdown <= bench::kPlantSlowdownMax)) {
    return UsageError(kGateHelp.name, "bad --plant-slowdown");
  }
  return std::nullopt;
}

// The jobs that rerun `baseline` as it recorded itself.
absl::StatusOr<std::vector<BenchJob>> RerunJobs(const bench::ResultSet& baseline,
                                                const GateFlags& flags,
                                                std::vector<bench::BenchFailure>& unknown) {
  std::regex pattern;
  try {
    pattern = std::regex(flags.filter, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return absl::InvalidArgumentError(absl::StrFormat("--filter: %s", error.what()));
  }
  std::vector<BenchJob> jobs;
  for (const auto& [name, repeats] : baseline) {
    if (!std::regex_search(name, pattern)) continue;
    const bench::BenchSpec* spec = nullptr;
    for (const bench::BenchSpec& candidate : bench::Benchmarks()) {
      if (candidate.name == name) spec = &candidate;
    }
    if (spec == nullptr) {
      unknown.push_back({name, "not a benchmark of this binary"});
      continue;
    }
    const bench::RepeatConfig& config = repeats.front().config;
    BenchJob job{.spec = spec};
    job.options.scale = config.scale;
    job.options.repeats = flags.repeats != 0 ? flags.repeats : config.repeats;
    job.options.ops = config.ops;
    if (config.warmup_ns != 0) {
      job.options.warmup_ns = config.warmup_ns;
    } else {
      job.options.warmup_ops = config.warmup_ops;
    }
    job.options.seed = config.seed;
    job.options.profile = config.profile;
    job.options.plant_slowdown = flags.plant_slowdown;
    jobs.push_back(std::move(job));
  }
  if (jobs.empty() && unknown.empty()) {
    return absl::InvalidArgumentError("no baseline benchmark matches --filter");
  }
  return jobs;
}

// The backend the baseline ran on ("none" for in-memory benchmarks does not count).
std::string BaselineBackend(const bench::ResultSet& baseline) {
  for (const auto& [name, repeats] : baseline) {
    if (repeats.front().config.backend != "none") return repeats.front().config.backend;
  }
  return "posix";
}

// Summaries of the candidate: read from --candidate, or from a rerun of the baseline.
absl::StatusOr<std::vector<bench::BenchSummary>> CandidateSummaries(
    const bench::ResultSet& baseline, const GateFlags& flags) {
  if (!flags.candidate.empty()) return ReadSummaries(flags.candidate, nullptr);
  std::vector<bench::BenchFailure> failures;
  absl::StatusOr<std::vector<BenchJob>> jobs = RerunJobs(baseline, flags, failures);
  if (!jobs.ok()) return jobs.status();
  const std::string backend_name =
      flags.backend.empty() ? BaselineBackend(baseline) : flags.backend;
  absl::StatusOr<std::unique_ptr<vfs::FileSystem>> backend = MakeBenchBackend(backend_name);
  if (!backend.ok()) return backend.status();
  absl::StatusOr<SuiteOutcome> outcome = RunBenchJobs(*std::move(jobs), **backend, backend_name,
                                                      flags.dir, false, flags.out, std::cerr);
  if (!outcome.ok()) return outcome.status();
  failures.insert(failures.end(), outcome->failures.begin(), outcome->failures.end());
  for (const bench::BenchFailure& failure : failures) {
    std::cout << absl::StrFormat("%s: did not run: %s\n", failure.benchmark, failure.message);
  }
  return outcome->summaries;
}

}  // namespace

int RunBenchReport(const Args& args) {
  std::string dir, csv;
  po::options_description options = CommonFlags();
  options.add_options()("csv", po::value(&csv), "write one CSV row per repeat to this file");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir));
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kReportHelp, args, options, hidden, positional, values)) {
    return *exit_code;
  }
  if (dir.empty()) return UsageError(kReportHelp.name, "missing <dir>");
  bench::ResultSet results;
  absl::StatusOr<std::vector<bench::BenchSummary>> summaries = ReadSummaries(dir, &results);
  if (!summaries.ok()) return ReportError(kReportHelp.name, summaries.status());
  bench::PrintSuiteSummary(*summaries, {}, std::cout);
  if (absl::Status status =
          WriteFile(csv, [&](std::ostream& out) { bench::WriteRepeatsCsv(results, out); });
      !status.ok()) {
    return ReportError(kReportHelp.name, status);
  }
  return kExitOk;
}

int RunBenchCompare(const Args& args) {
  std::vector<std::string> dirs;
  std::string csv, svg;
  po::options_description options = CommonFlags();
  options.add_options()("csv", po::value(&csv), "write the comparison as CSV to this file")(
      "svg", po::value(&svg), "draw the ratios as an SVG bar chart into this file");
  po::options_description hidden;
  hidden.add_options()("dirs", po::value(&dirs));
  po::positional_options_description positional;
  positional.add("dirs", 2);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kCompareHelp, args, options, hidden, positional, values)) {
    return *exit_code;
  }
  if (dirs.size() != 2) return UsageError(kCompareHelp.name, "give two result directories");
  absl::StatusOr<std::vector<bench::BenchSummary>> a = ReadSummaries(dirs[0], nullptr);
  if (!a.ok()) return ReportError(kCompareHelp.name, a.status());
  absl::StatusOr<std::vector<bench::BenchSummary>> b = ReadSummaries(dirs[1], nullptr);
  if (!b.ok()) return ReportError(kCompareHelp.name, b.status());
  const std::vector<bench::ComparisonRow> rows = bench::Compare(*a, *b);
  bench::PrintComparison(rows, dirs[0], dirs[1], std::cout);
  absl::Status status =
      WriteFile(csv, [&](std::ostream& out) { bench::WriteComparisonCsv(rows, out); });
  if (status.ok()) {
    status = WriteFile(
        svg, [&](std::ostream& out) { bench::WriteComparisonSvg(rows, dirs[0], dirs[1], out); });
  }
  if (!status.ok()) return ReportError(kCompareHelp.name, status);
  return kExitOk;
}

int RunBenchGate(const Args& args) {
  GateFlags flags;
  po::variables_map values;
  if (auto exit_code = ParseGate(args, flags, values)) return *exit_code;
  bench::ResultSet baseline;
  absl::StatusOr<std::vector<bench::BenchSummary>> baseline_summaries =
      ReadSummaries(flags.baseline, &baseline);
  if (!baseline_summaries.ok()) return ReportError(kGateHelp.name, baseline_summaries.status());
  absl::StatusOr<std::vector<bench::BenchSummary>> candidate = CandidateSummaries(baseline, flags);
  if (!candidate.ok()) return ReportError(kGateHelp.name, candidate.status());
  // Only the baseline benchmarks the filter selects are judged.
  const std::regex pattern(flags.filter, std::regex::ECMAScript);
  std::vector<bench::BenchSummary> judged;
  for (const bench::BenchSummary& summary : *baseline_summaries) {
    if (std::regex_search(summary.benchmark, pattern)) judged.push_back(summary);
  }
  const bench::GateReport report = bench::Gate(judged, *candidate, flags.thresholds);
  std::cout << absl::StrFormat(
      "baseline %s, candidate %s\n", flags.baseline,
      flags.candidate.empty() ? flags.out + " (rerun now)" : flags.candidate);
  bench::PrintGateReport(report, flags.thresholds, std::cout);
  if (!report.refused.empty()) return kExitBadInput;
  return report.failed() == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace northstar::tools
