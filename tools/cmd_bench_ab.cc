// northstar bench ab: two builds of northstar run the same benchmarks taking turns, and the
// candidate fails where it is surely slower (bench/ab.h). .ci/run's regression gate.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_format.h"
#include "bench/ab.h"
#include "bench/results.h"
#include "tools/cmd_bench.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kAbHelp = {
    "bench ab",
    "  northstar bench ab --a BINARY --b BINARY [--filter REGEX] [--scale S] [--rounds N]\n"
    "                     [--out DIR] [--dir PATH] [--throughput-drop F] [--confidence C]\n"
    "                     [--plant-slowdown F]\n",
    "Runs the benchmarks matching --filter with two northstar binaries, A (the reference, e.g.\n"
    "the last landed commit) and B (the candidate), in --rounds rounds taking turns: A then B,\n"
    "then B then A, each run a process of its own ('bench run --repeats 1'), so that the two\n"
    "runs of a round are adjacent in time. Per benchmark it prints B/A throughput, the median\n"
    "over rounds, with the sign test's interval for that median, and fails the benchmark only\n"
    "when the whole interval lies below 1 - --throughput-drop: a slowdown beyond the threshold,\n"
    "with --confidence. Syncs per op must not rise. Benchmarks only one side has are listed, not\n"
    "judged. --plant-slowdown F stretches every op of B by F (a test of the gate).\n"
    "Results: <out>/a/r<K>/ and <out>/b/r<K>/ (schema-valid files), <out>/<side>-r<K>.log.\n\n"
    "Exit codes: 0 every benchmark passed; 1 a benchmark is surely slower (or a run failed);\n"
    "2 bad usage.\n"};

constexpr uint32_t kRoundsMax = 1000;

struct AbFlags {
  std::string a;
  std::string b;
  std::string filter = "^sim/fiber_switch$";
  double scale = 0.01;
  uint32_t rounds = 10;
  std::string out = "bench-ab";
  std::string dir;
  double plant_slowdown = 0;
  bench::AbThresholds thresholds;
};

// Runs `binary bench run ...` for one side and round, output into <out>/<side>-r<K>.log.
absl::Status RunSide(const AbFlags& flags, const std::string& binary, char side, uint32_t round) {
  const std::string out = absl::StrFormat("%s/%c/r%03d", flags.out, side, round);
  const std::string log = absl::StrFormat("%s/%c-r%03d.log", flags.out, side, round);
  std::vector<std::string> argv = {binary,  "bench",    "run",   "--filter",
                                   flags.filter, "--scale", absl::StrFormat("%.17g", flags.scale),
                                   "--repeats", "1",      "--out", out};
  if (!flags.dir.empty()) argv.insert(argv.end(), {"--dir", flags.dir});
  if (side == 'b' && flags.plant_slowdown > 0) {
    argv.insert(argv.end(), {"--plant-slowdown", absl::StrFormat("%.17g", flags.plant_slowdown)});
  }
  std::vector<char*> c_argv;
  for (std::string& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    if (freopen(log.c_str(), "w", stdout) == nullptr || dup2(fileno(stdout), 2) < 0) _exit(127);
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return absl::InternalError("waitpid failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrFormat("side %c round %d: %s exited with %d; see %s",
                                               side, round, binary,
                                               WIFEXITED(status) ? WEXITSTATUS(status) : -1, log));
  }
  return absl::OkStatus();
}

// Every round's files of one side, per benchmark: throughput and syncs per op.
absl::Status Collect(const AbFlags& flags, char side, std::map<std::string, bench::AbRounds>& all) {
  for (uint32_t round = 0; round < flags.rounds; round++) {
    absl::StatusOr<bench::ResultSet> results =
        bench::ReadResultDir(absl::StrFormat("%s/%c/r%03d", flags.out, side, round));
    if (!results.ok()) return results.status();
    for (const auto& [name, repeats] : *results) {
      bench::AbRounds& rounds = all[name];
      rounds.benchmark = name;
      const bench::Measurement& m = repeats.front().results;
      (side == 'a' ? rounds.a_throughput : rounds.b_throughput).push_back(m.items_per_second);
      (side == 'a' ? rounds.a_syncs_per_op : rounds.b_syncs_per_op).push_back(m.syncs_per_op);
    }
  }
  return absl::OkStatus();
}

std::optional<int> ParseAb(const Args& args, AbFlags& flags) {
  po::options_description options = CommonFlags();
  bench::AbThresholds& t = flags.thresholds;
  options.add_options()("a", po::value(&flags.a), "the reference northstar binary")(
      "b", po::value(&flags.b), "the candidate northstar binary")(
      "filter", po::value(&flags.filter)->default_value(flags.filter), "benchmarks to run")(
      "scale", po::value(&flags.scale)->default_value(flags.scale), "sizes, as bench run's")(
      "rounds", po::value(&flags.rounds)->default_value(flags.rounds), "rounds of turns")(
      "out", po::value(&flags.out)->default_value(flags.out), "where results and logs go")(
      "dir", po::value(&flags.dir), "where scratch directories go")(
      "throughput-drop", po::value(&t.throughput_drop)->default_value(t.throughput_drop),
      "fail when B/A is surely below 1 - this")(
      "confidence", po::value(&t.confidence)->default_value(t.confidence),
      "of the interval, in (0.5, 1)")("plant-slowdown", po::value(&flags.plant_slowdown),
                                      "stretch B's ops by this fraction (a test of the gate)");
  po::options_description hidden;
  po::positional_options_description positional;
  po::variables_map values;
  if (auto exit_code = ParseArgs(kAbHelp, args, options, hidden, positional, values)) {
    return exit_code;
  }
  if (flags.a.empty() || flags.b.empty()) return UsageError(kAbHelp.name, "--a and --b are needed");
  if (!(t.confidence > 0.5 && t.confidence < 1)) {
    return UsageError(kAbHelp.name, "--confidence must be in (0.5, 1)");
  }
  if (!(t.throughput_drop >= 0 && t.throughput_drop < 1)) {
    return UsageError(kAbHelp.name, "--throughput-drop must be in [0, 1)");
  }
  if (flags.rounds < bench::AbRoundsNeeded(t.confidence) || flags.rounds > kRoundsMax) {
    return UsageError(kAbHelp.name,
                      absl::StrFormat("--rounds must be in [%d, %d] for --confidence %g",
                                      bench::AbRoundsNeeded(t.confidence), kRoundsMax,
                                      t.confidence));
  }
  if (!(flags.plant_slowdown >= 0 && flags.plant_slowdown <= bench::kPlantSlowdownMax)) {
    return UsageError(kAbHelp.name, "bad --plant-slowdown");
  }
  return std::nullopt;
}

}  // namespace

int RunBenchAb(const Args& args) {
  AbFlags flags;
  if (std::optional<int> exit_code = ParseAb(args, flags)) return *exit_code;
  for (const std::string& binary : {flags.a, flags.b}) {
    if (access(binary.c_str(), X_OK) != 0) {
      return UsageError(kAbHelp.name, absl::StrFormat("%s is not an executable", binary));
    }
  }
  std::filesystem::create_directories(flags.out);
  for (uint32_t round = 0; round < flags.rounds; round++) {
    // A B, then B A: each side goes first half of the time.
    const std::string order = round % 2 == 0 ? "ab" : "ba";
    for (char side : order) {
      std::cerr << absl::StrFormat("bench ab: round %d/%d, %c\n", round + 1, flags.rounds, side);
      if (absl::Status status = RunSide(flags, side == 'a' ? flags.a : flags.b, side, round);
          !status.ok()) {
        std::cout << absl::StrFormat("ab: %s\n", status.message());
        return kExitCheckFailed;
      }
    }
  }
  std::map<std::string, bench::AbRounds> all;
  for (char side : {'a', 'b'}) {
    if (absl::Status status = Collect(flags, side, all); !status.ok()) {
      return ReportError(kAbHelp.name, status);
    }
  }
  std::vector<bench::AbVerdict> verdicts;
  for (const auto& [name, rounds] : all) {
    if (rounds.a_throughput.empty() || rounds.b_throughput.empty()) {
      std::cout << absl::StrFormat("%s: only in %s, not judged\n", name,
                                   rounds.a_throughput.empty() ? "B" : "A");
      continue;
    }
    verdicts.push_back(bench::JudgeAb(rounds, flags.thresholds));
  }
  bench::PrintAbReport(verdicts, flags.thresholds, flags.a, flags.b, std::cout);
  for (const bench::AbVerdict& verdict : verdicts) {
    if (!verdict.failures.empty()) return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace northstar::tools
