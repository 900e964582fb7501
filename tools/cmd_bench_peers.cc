// northstar bench peers: our workloads and the peer engines' (LMDB, SQLite, RocksDB) in one run,
// interleaved repeat by repeat, then the side-by-side table (bench/peers/peers_report.h).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <regex>
#include <set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/peers/peer.h"
#include "bench/peers/peers_report.h"
#include "bench/system_info.h"
#include "tools/cmd_bench.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "bench peers",
    "  northstar bench peers [--filter REGEX] [--scale F] [--repeats N] [--dir PATH]\n"
    "                        [--out DIR] [--engines lmdb,sqlite,rocksdb] [--seed N]\n"
    "                        [--markdown] [--keep-scratch]\n"
    "  northstar bench peers --report DIR [--engines ...] [--markdown]\n",
    "Runs each workload the peers share with us (btree/build_sequential_insert_1m,\n"
    "btree/build_random_insert_1m, btree/point_get_hot_1m, btree/range_scan_1k_rows_hot,\n"
    "mvcc/snapshot_open_close, commit/durable_single_put; --filter: an ECMAScript regex searched\n"
    "in the workload name) on Northstar (posix backend) and on every engine of --engines, as\n"
    "peers/<engine>/<workload>, with the same keys, values, batches and sizes (--scale as in\n"
    "'bench run'). With commit/durable_single_put, floor/overwrite_4k_fdatasync runs too. The\n"
    "engines take turns repeat by repeat, each repeat starting with the next engine, so that\n"
    "the machine's noise falls on all of them alike. Each repeat writes its JSON file into --out\n"
    "as 'bench run' does (bench report/compare read them).\n\n"
    "The table (stdout): per workload and engine the median throughput, Northstar/peer, syncs\n"
    "per op (ours from the VFS; the peers' from the libc calls of this process: fsync,\n"
    "fdatasync, msync, sync_file_range, O_DSYNC writes), bytes per key at rest after the\n"
    "builds, the CV over repeats; the floor and our durable put against it; and the issue's\n"
    "targets, each met, NOT MET or n/a. --markdown prints it as README-ready markdown headed by\n"
    "the machine. --report DIR prints the table of an earlier run's --out directory without\n"
    "running anything.\n\n"
    "Exit codes: 0 every benchmark ran (whatever the targets say); 1 a benchmark failed;\n"
    "2 bad usage.\n"};

struct PeersFlags {
  std::string filter;
  double scale = 1;
  uint32_t repeats = 3;
  std::string dir;
  std::string out = "bench-results/peers";
  std::string engines = "lmdb,sqlite,rocksdb";
  uint64_t seed = 1;
  std::string report;
  bool markdown = false;
  bool keep_scratch = false;
};

// The engines named by --engines, in order; an error names a bad one.
absl::StatusOr<std::vector<std::string>> ParseEngines(const std::string& text) {
  std::vector<std::string> engines;
  for (absl::string_view piece : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const std::string name(piece);
    const bool known = std::find(bench::kPeerEngines.begin(), bench::kPeerEngines.end(), name) !=
                       bench::kPeerEngines.end();
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--engines: '%s' is not lmdb, sqlite or rocksdb", name));
    }
    if (std::find(engines.begin(), engines.end(), name) != engines.end()) {
      return absl::InvalidArgumentError(absl::StrFormat("--engines: '%s' given twice", name));
    }
    engines.emplace_back(name);
  }
  if (engines.empty()) return absl::InvalidArgumentError("--engines: no engine given");
  return engines;
}

const bench::BenchSpec* FindSpec(const std::string& name) {
  for (const bench::BenchSpec& spec : bench::Benchmarks()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// One workload's benchmarks, run in turns: ours, each peer, and the floor with the durable put.
using Group = std::vector<const bench::BenchSpec*>;

absl::StatusOr<std::vector<Group>> SelectGroups(const std::string& filter,
                                                const std::vector<std::string>& engines) {
  std::regex pattern;
  try {
    pattern = std::regex(filter, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--filter '%s' is not a regular expression: %s", filter, error.what()));
  }
  std::vector<Group> groups;
  for (const bench::PeerWorkload& workload : bench::kPeerWorkloads) {
    const std::string name(workload.name);
    if (!std::regex_search(name, pattern)) continue;
    std::vector<std::string> names = {name};
    for (const std::string& engine : engines) {
      names.push_back(bench::PeerBenchmarkName(engine, name));
    }
    if (name == "commit/durable_single_put") names.emplace_back(bench::kFloorBenchmark);
    Group group;
    for (const std::string& member : names) {
      const bench::BenchSpec* spec = FindSpec(member);
      if (spec == nullptr) {
        return absl::InternalError(absl::StrFormat("%s is not registered", member));
      }
      group.push_back(spec);
    }
    groups.push_back(std::move(group));
  }
  if (groups.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--filter '%s' matches no peer workload; 'northstar bench peers --help' "
                        "lists them",
                        filter));
  }
  return groups;
}

struct PeersRun {
  bench::ResultSet results;
  std::vector<bench::BenchFailure> failures;
};

// Runs every repeat of every group, the group's members taking turns; writes each result file.
PeersRun RunGroups(const std::vector<Group>& groups, const bench::RunOptions& options,
                   const bench::SystemInfo& system, const std::string& out_dir) {
  PeersRun run;
  size_t total = 0, done = 0;
  for (const Group& group : groups) total += group.size() * options.repeats;
  for (const Group& group : groups) {
    std::set<std::string> failed;
    for (uint32_t repeat = 0; repeat < options.repeats; repeat++) {
      for (size_t turn = 0; turn < group.size(); turn++) {
        const bench::BenchSpec& spec = *group[(turn + repeat) % group.size()];
        done++;
        if (failed.contains(spec.name)) continue;
        const auto start = std::chrono::steady_clock::now();
        absl::StatusOr<bench::RepeatResult> result =
            bench::RunRepeat(spec, options, repeat, system);
        if (result.ok()) {
          absl::StatusOr<std::string> written = bench::WriteResultFile(*result, out_dir);
          if (!written.ok()) result = written.status();
        }
        const std::string position = absl::StrFormat("[%d/%d]", done, total);
        if (!result.ok()) {
          std::cerr << absl::StrFormat("%s %s r%d: FAILED: %s\n", position, spec.name, repeat,
                                       result.status().message());
          failed.insert(spec.name);
          run.failures.push_back({spec.name, std::string(result.status().message())});
          run.results.erase(spec.name);
          continue;
        }
        std::cerr << absl::StrFormat(
            "%s %s r%d: %s %s/s, syncs/op %.3g (%.1f s)\n", position, spec.name, repeat,
            bench::HumanCount(result->results.items_per_second), result->unit,
            result->results.syncs_per_op,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        run.results[spec.name].push_back(*std::move(result));
      }
    }
  }
  return run;
}

// Prints the table of `results` and the failures; the exit code.
int PrintTable(const bench::ResultSet& results, const std::vector<std::string>& engines,
               bool markdown, const std::vector<bench::BenchFailure>& failures) {
  absl::StatusOr<bench::PeersTable> table = bench::BuildPeersTable(results, engines);
  if (!table.ok()) return ReportError(kHelp.name, table.status());
  const std::vector<bench::TargetCheck> targets = bench::CheckTargets(*table);
  if (markdown) {
    bench::PrintPeersMarkdown(*table, targets, std::cout);
  } else {
    bench::PrintPeersTable(*table, targets, std::cout);
  }
  for (const bench::BenchFailure& failure : failures) {
    std::cout << absl::StrFormat("%s FAILED: %s\n", failure.benchmark, failure.message);
  }
  return failures.empty() ? kExitOk : kExitCheckFailed;
}

}  // namespace

int RunBenchPeers(const Args& args) {
  PeersFlags flags;
  po::options_description options = CommonFlags();
  options.add_options()("filter", po::value(&flags.filter), "only workloads matching this regex")(
      "scale", po::value(&flags.scale)->default_value(flags.scale),
      "multiply data set sizes and op counts")(
      "repeats", po::value(&flags.repeats)->default_value(flags.repeats), "repeats per benchmark")(
      "dir", po::value(&flags.dir), "where scratch directories go (default $TMPDIR or /tmp)")(
      "out", po::value(&flags.out)->default_value(flags.out), "where result files go")(
      "engines", po::value(&flags.engines)->default_value(flags.engines),
      "peers to run, comma-separated")("seed", po::value(&flags.seed)->default_value(flags.seed),
                                       "seed of the benchmarks' keys")(
      "markdown", po::bool_switch(&flags.markdown), "print the table as markdown")(
      "report", po::value(&flags.report), "print the table of this result directory; run nothing")(
      "keep-scratch", po::bool_switch(&flags.keep_scratch), "keep the scratch directories");
  po::options_description hidden;
  po::positional_options_description positional;
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, args, options, hidden, positional, values)) {
    return *exit_code;
  }
  if (flags.repeats == 0 || flags.repeats > bench::kRepeatsMax) {
    return UsageError(kHelp.name,
                      absl::StrFormat("--repeats must be in [1, %d]", bench::kRepeatsMax));
  }
  if (!(flags.scale >= bench::kScaleMin && flags.scale <= bench::kScaleMax)) {
    return UsageError(kHelp.name, absl::StrFormat("--scale must be in [%g, %g]", bench::kScaleMin,
                                                  bench::kScaleMax));
  }
  absl::StatusOr<std::vector<std::string>> engines = ParseEngines(flags.engines);
  if (!engines.ok()) return UsageError(kHelp.name, std::string(engines.status().message()));
  if (!flags.report.empty()) {
    absl::StatusOr<bench::ResultSet> results = bench::ReadResultDir(flags.report);
    if (!results.ok()) return ReportError(kHelp.name, results.status());
    return PrintTable(*results, *engines, flags.markdown, {});
  }
  absl::StatusOr<std::vector<Group>> groups = SelectGroups(flags.filter, *engines);
  if (!groups.ok()) return UsageError(kHelp.name, std::string(groups.status().message()));

  absl::StatusOr<std::unique_ptr<vfs::FileSystem>> backend = MakeBenchBackend("posix");
  if (!backend.ok()) return ReportError(kHelp.name, backend.status());
  absl::StatusOr<std::string> scratch_root = MakeScratchRoot(flags.dir);
  if (!scratch_root.ok()) return ReportError(kHelp.name, scratch_root.status());
  std::error_code error;
  std::filesystem::create_directories(flags.out, error);
  if (error) {
    return ReportError(kHelp.name, absl::InvalidArgumentError(absl::StrFormat(
                                       "--out %s: %s", flags.out, error.message())));
  }
  for (const Group& group : *groups) {
    for (const bench::BenchSpec* spec : group) {
      if (absl::Status status = bench::RemoveResultFiles(flags.out, spec->name); !status.ok()) {
        return ReportError(kHelp.name, status);
      }
    }
  }
  const bench::SystemInfo system = bench::CollectSystemInfo(*scratch_root);
  std::cerr << absl::StrFormat("bench peers: %d workloads, engines northstar,%s, scratch %s (%s)\n",
                               groups->size(), flags.engines, *scratch_root,
                               system.dir_file_system);
  bench::RunOptions run_options{.fs = backend->get(),
                                .backend = "posix",
                                .dir = *scratch_root,
                                .scale = flags.scale,
                                .repeats = flags.repeats,
                                .seed = flags.seed,
                                .keep_scratch = flags.keep_scratch};
  PeersRun run = RunGroups(*groups, run_options, system, flags.out);
  if (!flags.keep_scratch) std::filesystem::remove_all(*scratch_root, error);

  const int exit_code = PrintTable(run.results, *engines, flags.markdown, run.failures);
  std::cout << absl::StrFormat("results: %s\n", flags.out);
  return exit_code;
}

}  // namespace northstar::tools
