// northstar bench run / capture-baseline: run registered benchmarks, one JSON file per repeat.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/profiles.h"
#include "bench/system_info.h"
#include "tools/cmd_bench.h"

#ifndef NORTHSTAR_SOURCE_DIR
#error "NORTHSTAR_SOURCE_DIR must name the source tree (bench/baselines/)"
#endif

namespace northstar::tools {
namespace {

constexpr CommandHelp kRunHelp = {
    "bench run",
    "  northstar bench run [--filter REGEX] [--repeats N] [--scale F] [--ops N]\n"
    "                      [--warmup-ops N | --warmup-ns N] [--backend posix|uring]\n"
    "                      [--dir PATH] [--out DIR] [--csv FILE] [--seed N] [--keep-scratch]\n"
    "  northstar bench run --list [--filter REGEX]\n",
    "Runs each benchmark whose name matches --filter (an ECMAScript regex searched anywhere in\n"
    "the name; default: all) --repeats times. A repeat builds its data untimed in a fresh\n"
    "scratch directory under --dir (default $TMPDIR or /tmp; its file system is recorded), runs\n"
    "the warmup ops, then times each measured op. --scale F multiplies every data set size and\n"
    "op count (names keep their sizes: at --scale 0.01 btree/point_get_hot_1m is a 10k-key\n"
    "tree; each file records the sizes it really ran, and compare/gate refuse to judge\n"
    "different ones); --ops N sets the measured ops of every selected benchmark.\n\n"
    "Each repeat writes <out>/<name with '/' as \"__\">_r<NNN>.json (see 'northstar bench\n"
    "--help'), validated against bench/results.schema.json first; earlier files of the same\n"
    "benchmarks in --out are removed. Progress goes to stderr; the summary table to stdout:\n"
    "medians over repeats, the coefficient of variation of throughput (stable <= 3%, noisy <=\n"
    "10%, else UNSTABLE), commit/durable_single_put against floor/overwrite_4k_fdatasync, and\n"
    "pass/fail counts. --csv FILE writes one row per repeat.\n\n"
    "Exit codes: 0 every benchmark ran; 1 a benchmark failed (listed); 2 bad usage, or the\n"
    "backend is unavailable (io_uring refused by the kernel: the message says why).\n"};

constexpr CommandHelp kCaptureHelp = {
    "bench capture-baseline",
    "  northstar bench capture-baseline --profile ci|dev_nvme [--out DIR] [--filter REGEX]\n"
    "                                   [--backend posix|uring] [--dir PATH]\n",
    "Runs the suite with the profile's scale and repeats ('northstar bench list' shows them)\n"
    "and writes the results into --out (default: bench/baselines/<profile> of the source\n"
    "tree), replacing the files of the benchmarks it runs. 'northstar bench gate DIR' then\n"
    "reruns what DIR recorded and compares.\n\n"
    "Exit codes: as 'northstar bench run'.\n"};

struct RunFlags {
  std::string filter;
  uint32_t repeats = 3;
  double scale = 1;
  uint64_t ops = 0;
  uint64_t warmup_ops = 0;
  uint64_t warmup_ns = 0;
  std::string backend = "posix";
  std::string dir;
  std::string out = "bench-results";
  std::string csv;
  uint64_t seed = 1;
  double plant_slowdown = 0;
  bool keep_scratch = false;
  bool list = false;
};

void AddRunFlags(RunFlags& flags, po::options_description& options) {
  options.add_options()("filter", po::value(&flags.filter), "only benchmarks matching this regex")(
      "repeats", po::value(&flags.repeats)->default_value(flags.repeats), "repeats per benchmark")(
      "scale", po::value(&flags.scale)->default_value(flags.scale),
      "multiply data set sizes and op counts")(
      "ops", po::value(&flags.ops), "measured ops per repeat (default: the benchmark's, scaled)")(
      "warmup-ops", po::value(&flags.warmup_ops), "warmup ops per repeat")(
      "warmup-ns", po::value(&flags.warmup_ns), "warm up for this many nanoseconds instead")(
      "backend", po::value(&flags.backend)->default_value(flags.backend), "posix or uring")(
      "dir", po::value(&flags.dir), "where scratch directories go (default $TMPDIR or /tmp)")(
      "out", po::value(&flags.out)->default_value(flags.out), "where result files go")(
      "csv", po::value(&flags.csv), "also write one CSV row per repeat to this file")(
      "seed", po::value(&flags.seed)->default_value(flags.seed), "seed of the benchmarks' keys")(
      "keep-scratch", po::bool_switch(&flags.keep_scratch), "keep the scratch directories");
}

// Checks the values of the flags AddRunFlags added; an exit code on a bad one.
std::optional<int> CheckRunFlags(const char* command, const RunFlags& flags,
                                 const po::variables_map& values) {
  if (flags.repeats == 0 || flags.repeats > bench::kRepeatsMax) {
    return UsageError(command, absl::StrFormat("--repeats must be in [1, %d]", bench::kRepeatsMax));
  }
  if (!(flags.scale >= bench::kScaleMin && flags.scale <= bench::kScaleMax)) {
    return UsageError(command, absl::StrFormat("--scale must be in [%g, %g]", bench::kScaleMin,
                                               bench::kScaleMax));
  }
  if (values.count("ops") != 0 && (flags.ops == 0 || flags.ops > bench::kOpsMax)) {
    return UsageError(command, absl::StrFormat("--ops must be in [1, %d]", bench::kOpsMax));
  }
  if (values.count("warmup-ops") != 0 && values.count("warmup-ns") != 0) {
    return UsageError(command, "give --warmup-ops or --warmup-ns, not both");
  }
  if (flags.warmup_ops > bench::kWarmupOpsMax) {
    return UsageError(command,
                      absl::StrFormat("--warmup-ops must be at most %d", bench::kWarmupOpsMax));
  }
  if (!(flags.plant_slowdown >= 0 && flags.plant_slowdown <= bench::kPlantSlowdownMax)) {
    return UsageError(
        command, absl::StrFormat("--plant-slowdown must be in [0, %g]", bench::kPlantSlowdownMax));
  }
  if (flags.backend != "posix" && flags.backend != "uring") {
    return UsageError(command,
                      absl::StrFormat("--backend '%s': expected posix or uring", flags.backend));
  }
  return std::nullopt;
}

bench::RunOptions OptionsFrom(const RunFlags& flags, const po::variables_map& values) {
  bench::RunOptions options;
  options.scale = flags.scale;
  options.repeats = flags.repeats;
  if (values.count("ops") != 0) options.ops = flags.ops;
  if (values.count("warmup-ops") != 0) options.warmup_ops = flags.warmup_ops;
  if (values.count("warmup-ns") != 0) options.warmup_ns = flags.warmup_ns;
  options.seed = flags.seed;
  options.plant_slowdown = flags.plant_slowdown;
  return options;
}

absl::Status WriteCsv(const std::string& path, const bench::ResultSet& results) {
  if (path.empty()) return absl::OkStatus();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  bench::WriteRepeatsCsv(results, out);
  out.close();
  if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", path));
  return absl::OkStatus();
}

// Runs the repeats of one job; a failure message on the first failed repeat.
std::optional<std::string> RunJob(const BenchJob& job, const bench::SystemInfo& system,
                                  const std::string& out_dir,
                                  std::vector<bench::RepeatResult>& repeats,
                                  const std::string& position, std::ostream& progress) {
  for (uint32_t repeat = 0; repeat < job.options.repeats; repeat++) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<bench::RepeatResult> result =
        bench::RunRepeat(*job.spec, job.options, repeat, system);
    if (result.ok()) {
      absl::StatusOr<std::string> written = bench::WriteResultFile(*result, out_dir);
      if (!written.ok()) result = written.status();
    }
    if (!result.ok()) {
      progress << absl::StrFormat("%s %s r%d: FAILED: %s\n", position, job.spec->name, repeat,
                                  result.status().message());
      return std::string(result.status().message());
    }
    const bench::Measurement& m = result->results;
    progress << absl::StrFormat(
        "%s %s r%d: %s %s/s, p50 %s, p99 %s (%.1f s)\n", position, job.spec->name, repeat,
        bench::HumanCount(m.items_per_second), result->unit,
        bench::HumanNanoseconds(static_cast<double>(m.latency_ns_p50)),
        bench::HumanNanoseconds(static_cast<double>(m.latency_ns_p99)),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    repeats.push_back(*std::move(result));
  }
  return std::nullopt;
}

// Runs `jobs` and prints the suite table; the exit code.
int RunAndReport(const char* command, std::vector<BenchJob> jobs, const RunFlags& flags) {
  absl::StatusOr<std::unique_ptr<vfs::FileSystem>> backend = MakeBenchBackend(flags.backend);
  if (!backend.ok()) return ReportError(command, backend.status());
  absl::StatusOr<SuiteOutcome> outcome =
      RunBenchJobs(std::move(jobs), **backend, flags.backend, flags.dir, flags.keep_scratch,
                   flags.out, std::cerr);
  if (!outcome.ok()) return ReportError(command, outcome.status());
  bench::PrintSuiteSummary(outcome->summaries, outcome->failures, std::cout);
  std::cout << absl::StrFormat("results: %s\n", flags.out);
  if (absl::Status status = WriteCsv(flags.csv, outcome->results); !status.ok()) {
    return ReportError(command, status);
  }
  return outcome->failures.empty() ? kExitOk : kExitCheckFailed;
}

std::string TemporaryParent() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

}  // namespace

absl::StatusOr<std::string> MakeScratchRoot(const std::string& scratch_parent) {
  const std::string parent = scratch_parent.empty() ? TemporaryParent() : scratch_parent;
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  std::string pattern = (std::filesystem::path(parent) / "northstar-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--dir %s: cannot make a scratch directory there: %s", parent, std::strerror(errno)));
  }
  return pattern;
}

absl::StatusOr<SuiteOutcome> RunBenchJobs(std::vector<BenchJob> jobs, vfs::FileSystem& backend,
                                          const std::string& backend_name,
                                          const std::string& scratch_parent, bool keep_scratch,
                                          const std::string& out_dir, std::ostream& progress) {
  absl::StatusOr<std::string> scratch_root = MakeScratchRoot(scratch_parent);
  if (!scratch_root.ok()) return scratch_root.status();
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrFormat("--out %s: %s", out_dir, error.message()));
  }
  const bench::SystemInfo system = bench::CollectSystemInfo(*scratch_root);
  progress << absl::StrFormat("bench: %d benchmarks, backend %s, scratch %s (%s), results %s\n",
                              jobs.size(), backend_name, *scratch_root, system.dir_file_system,
                              out_dir);
  SuiteOutcome outcome;
  for (size_t index = 0; index < jobs.size(); index++) {
    BenchJob& job = jobs[index];
    job.options.fs = &backend;
    job.options.backend = backend_name;
    job.options.dir = *scratch_root;
    job.options.keep_scratch = keep_scratch;
    const std::string& name = job.spec->name;
    if (absl::Status status = bench::RemoveResultFiles(out_dir, name); !status.ok()) return status;
    std::vector<bench::RepeatResult> repeats;
    const std::string position = absl::StrFormat("[%d/%d]", index + 1, jobs.size());
    if (std::optional<std::string> failure =
            RunJob(job, system, out_dir, repeats, position, progress)) {
      outcome.failures.push_back({name, *failure});
      continue;
    }
    absl::StatusOr<bench::BenchSummary> summary = bench::Summarize(repeats);
    if (!summary.ok()) {
      outcome.failures.push_back({name, std::string(summary.status().message())});
      continue;
    }
    outcome.summaries.push_back(*std::move(summary));
    outcome.results[name] = std::move(repeats);
  }
  if (!keep_scratch) std::filesystem::remove_all(*scratch_root, error);
  return outcome;
}

int RunBenchRun(const Args& args) {
  RunFlags flags;
  po::options_description options = CommonFlags();
  AddRunFlags(flags, options);
  options.add_options()("list", po::bool_switch(&flags.list), "list the benchmarks and exit");
  po::options_description hidden;
  hidden.add_options()("plant-slowdown", po::value(&flags.plant_slowdown));
  po::positional_options_description positional;
  po::variables_map values;
  if (auto exit_code = ParseArgs(kRunHelp, args, options, hidden, positional, values)) {
    return *exit_code;
  }
  if (flags.list) {
    return RunBenchList(flags.filter.empty() ? Args{} : Args{"--filter", flags.filter});
  }
  if (auto exit_code = CheckRunFlags(kRunHelp.name, flags, values)) return *exit_code;
  absl::StatusOr<std::vector<const bench::BenchSpec*>> specs = SelectBenchmarks(flags.filter);
  if (!specs.ok()) return UsageError(kRunHelp.name, std::string(specs.status().message()));
  std::vector<BenchJob> jobs;
  for (const bench::BenchSpec* spec : *specs) jobs.push_back({spec, OptionsFrom(flags, values)});
  return RunAndReport(kRunHelp.name, std::move(jobs), flags);
}

int RunBenchCaptureBaseline(const Args& args) {
  RunFlags flags;
  std::string profile_name;
  po::options_description options = CommonFlags();
  options.add_options()("profile", po::value(&profile_name), "ci or dev_nvme")(
      "out", po::value(&flags.out), "where result files go")("filter", po::value(&flags.filter),
                                                             "only benchmarks matching this regex")(
      "backend", po::value(&flags.backend)->default_value(flags.backend), "posix or uring")(
      "dir", po::value(&flags.dir), "where scratch directories go");
  po::options_description hidden;
  po::positional_options_description positional;
  po::variables_map values;
  if (auto exit_code = ParseArgs(kCaptureHelp, args, options, hidden, positional, values)) {
    return *exit_code;
  }
  const bench::BenchProfile* profile = bench::FindProfile(profile_name);
  if (profile == nullptr) {
    return UsageError(kCaptureHelp.name, "--profile must be ci or dev_nvme");
  }
  if (values.count("out") == 0) {
    flags.out = absl::StrFormat("%s/bench/baselines/%s", NORTHSTAR_SOURCE_DIR, profile->name);
  }
  flags.scale = profile->scale;
  flags.repeats = profile->repeats;
  if (auto exit_code = CheckRunFlags(kCaptureHelp.name, flags, values)) return *exit_code;
  absl::StatusOr<std::vector<const bench::BenchSpec*>> specs = SelectBenchmarks(flags.filter);
  if (!specs.ok()) return UsageError(kCaptureHelp.name, std::string(specs.status().message()));
  std::vector<BenchJob> jobs;
  for (const bench::BenchSpec* spec : *specs) {
    BenchJob job{spec, OptionsFrom(flags, values)};
    job.options.profile = std::string(profile->name);
    jobs.push_back(std::move(job));
  }
  return RunAndReport(kCaptureHelp.name, std::move(jobs), flags);
}

}  // namespace northstar::tools
