// northstar bench <subcommand>: dispatch, `list`, and what the subcommands share.
#include "tools/cmd_bench.h"

#include <array>
#include <iostream>
#include <regex>

#include "absl/strings/str_format.h"
#include "bench/profiles.h"
#include "vfs/posix.h"
#include "vfs/uring.h"

namespace northstar::tools {
namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args& args);
};

constexpr std::array<Subcommand, 8> kSubcommands = {{
    {"list", "list the registered benchmarks (also: run --list)", RunBenchList},
    {"run", "run benchmarks; one JSON file per repeat, a summary table", RunBenchRun},
    {"report", "summarize a result directory (medians, CV, stability); CSV export", RunBenchReport},
    {"compare", "compare two result directories: ratios B/A; CSV and SVG chart", RunBenchCompare},
    {"gate", "rerun a baseline's benchmarks (or take a result directory) and fail on a regression",
     RunBenchGate},
    {"capture-baseline", "run the suite with a profile's sizes into bench/baselines/<profile>",
     RunBenchCaptureBaseline},
    {"peers", "ours and LMDB, SQLite, RocksDB on the same workloads, side by side: ratios",
     RunBenchPeers},
    {"ab", "two northstar builds taking turns; fail where the candidate is surely slower",
     RunBenchAb},
}};

void PrintBenchUsage(std::ostream& out) {
  out << "usage: northstar bench <subcommand> [arguments] [options]\n\nsubcommands:\n";
  for (const Subcommand& subcommand : kSubcommands) {
    out << absl::StrFormat("  %-17s %s\n", subcommand.name, subcommand.summary);
  }
  out << "\nRun 'northstar bench <subcommand> --help' for its options.\n\n"
         "Results: one file per repeat, <out>/<name>_r<NNN>.json, with each '/' of the name\n"
         "written as \"__\" (btree/point_get_hot_1m -> btree__point_get_hot_1m_r000.json). Each\n"
         "holds ops, seconds, throughput, latency p50/p95/p99/max, bytes read and written, syncs\n"
         "and allocations per op, peak RSS, the parameters the benchmark ran with, and the\n"
         "machine (CPU, cores, RAM, kernel, file system of --dir, compiler, build type, git\n"
         "commit). bench/results.schema.json describes it; every file is validated against it\n"
         "when it is written and when it is read.\n";
}

}  // namespace

absl::StatusOr<std::unique_ptr<vfs::FileSystem>> MakeBenchBackend(const std::string& backend) {
  if (backend == "posix") return std::make_unique<vfs::PosixFileSystem>();
  if (backend == "uring") {
    absl::StatusOr<std::unique_ptr<vfs::UringFileSystem>> uring = vfs::UringFileSystem::Create();
    if (!uring.ok()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("--backend uring: %s", uring.status().message()));
    }
    return std::unique_ptr<vfs::FileSystem>(*std::move(uring));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("--backend '%s': expected posix or uring", backend));
}

absl::StatusOr<std::vector<const bench::BenchSpec*>> SelectBenchmarks(const std::string& filter) {
  std::regex pattern;
  try {
    pattern = std::regex(filter, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--filter '%s' is not a regular expression: %s", filter, error.what()));
  }
  std::vector<const bench::BenchSpec*> selected;
  for (const bench::BenchSpec& spec : bench::Benchmarks()) {
    if (std::regex_search(spec.name, pattern)) selected.push_back(&spec);
  }
  if (selected.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--filter '%s' matches no benchmark; 'northstar bench list' lists them", filter));
  }
  return selected;
}

int RunBenchList(const Args& args) {
  static constexpr CommandHelp kHelp = {
      "bench list", "  northstar bench list [--filter REGEX]\n",
      "Lists each benchmark: name, unit, measured and warmup ops at scale 1, and what it\n"
      "measures; then the capture-baseline profiles.\n"};
  std::string filter;
  po::options_description flags = CommonFlags();
  flags.add_options()("filter", po::value(&filter), "only names matching this ECMAScript regex");
  po::options_description no_positionals;
  po::positional_options_description positional;
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, args, flags, no_positionals, positional, values)) {
    return *exit_code;
  }
  absl::StatusOr<std::vector<const bench::BenchSpec*>> specs = SelectBenchmarks(filter);
  if (!specs.ok()) return ReportError(kHelp.name, specs.status());
  for (const bench::BenchSpec* spec : *specs) {
    std::cout << absl::StrFormat("%-38s %-9s ops %-7d warmup %-6d %s\n  %s\n", spec->name,
                                 spec->unit, spec->ops_default, spec->warmup_ops_default,
                                 spec->needs_disk ? "disk" : "memory", spec->description);
  }
  std::cout << "\nprofiles (capture-baseline --profile):\n";
  for (const bench::BenchProfile& profile : bench::Profiles()) {
    std::cout << absl::StrFormat("  %-9s scale %g, %d repeats: %s\n", profile.name, profile.scale,
                                 profile.repeats, profile.description);
  }
  return kExitOk;
}

int RunBench(const Args& args) {
  if (args.empty()) {
    PrintBenchUsage(std::cerr);
    return kExitBadInput;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintBenchUsage(std::cout);
    return kExitOk;
  }
  for (const Subcommand& subcommand : kSubcommands) {
    if (subcommand.name == name) return subcommand.run(Args(args.begin() + 1, args.end()));
  }
  std::cerr << absl::StrFormat(
      "northstar bench: unknown subcommand '%s'\nRun 'northstar bench --help' for the list.\n",
      name);
  return kExitBadInput;
}

}  // namespace northstar::tools
