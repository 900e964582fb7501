// RunSeedInWorkers: the crash states of crash_points = "every-io" over forked worker processes.
//
// The parent runs the reference run, then splits the I/O indexes 1..N into chunks of about
// N / (64 * jobs) indexes; worker w runs chunks w, w + jobs, w + 2 * jobs, ... in order (the
// interleaving spreads the long crash states, those late in the workload, evenly) and stops at
// its first failing crash state. It writes one line per chunk to its pipe:
//   "chunk <verdict> <io index> <variant> <failed trace hash> <trace hash sum> <stats...>
//    <message>\n".
// The parent reads every worker to the end, then merges the chunks (sim::MergeCrashPointResults):
// the first failure in crash-state order wins, whichever worker found it.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "sim/crash_points.h"
#include "util/exit_codes.h"
#include "torture/repro.h"
#include "torture/child_process.h"
#include "util/assert.h"

namespace northstar::torture {
namespace {

constexpr uint64_t kChunksPerJob = 64;

struct CrashWorker {
  pid_t pid = -1;
  int fd = -1;
};

std::string FormatChunk(const sim::CrashStatesResult& chunk) {
  const sim::RunStats& s = chunk.stats;
  return absl::StrFormat("chunk %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %s\n",
                         static_cast<int>(chunk.verdict), chunk.failed_state.io_index,
                         chunk.failed_state.variant, chunk.failed_trace_hash, chunk.trace_hash_sum,
                         s.transactions, s.commits, s.aborts, s.reads, s.crashes, s.recoveries,
                         s.faults, s.steps, s.ios, s.ops, s.crash_states, s.crash_io_indexes,
                         OneLine(chunk.message));
}

bool ParseChunk(const std::string& line, sim::CrashStatesResult& chunk) {
  std::istringstream in(line);
  std::string tag;
  int verdict = 0;
  sim::RunStats& s = chunk.stats;
  in >> tag >> verdict >> chunk.failed_state.io_index >> chunk.failed_state.variant >>
      chunk.failed_trace_hash >> chunk.trace_hash_sum >> s.transactions >> s.commits >> s.aborts >>
      s.reads >> s.crashes >> s.recoveries >> s.faults >> s.steps >> s.ios >> s.ops >>
      s.crash_states >> s.crash_io_indexes;
  if (!in || tag != "chunk" || verdict < 0 ||
      verdict > static_cast<int>(sim::Verdict::kWorkerCrash)) {
    return false;
  }
  chunk.verdict = static_cast<sim::Verdict>(verdict);
  std::getline(in >> std::ws, chunk.message);
  return true;
}

[[noreturn]] void WorkerMain(const sim::Scenario& scenario, const sim::CrashStatePlan& plan,
                             const sim::RunOptions& options, uint64_t chunk_ios, uint32_t worker,
                             uint32_t jobs, int fd) {
  for (uint64_t first = 1 + worker * chunk_ios; first <= plan.io_count();
       first += uint64_t{jobs} * chunk_ios) {
    const uint64_t last = std::min(plan.io_count(), first + chunk_ios - 1);
    const sim::CrashStatesResult chunk = sim::RunCrashStates(scenario, plan, first, last, options);
    WriteAllOrExit(fd, FormatChunk(chunk));
    if (chunk.verdict != sim::Verdict::kPass) break;
  }
  ::_exit(0);
}

CrashWorker Spawn(const sim::Scenario& scenario, const sim::CrashStatePlan& plan,
                  const sim::RunOptions& options, uint64_t chunk_ios, uint32_t worker,
                  uint32_t jobs) {
  const ChildProcess child = ForkChild(
      [&](int result_fd) {
        WorkerMain(scenario, plan, options, chunk_ios, worker, jobs, result_fd);
      },
      /*capture_stderr=*/false);
  return CrashWorker{child.pid, child.result_fd};
}

// Everything the worker wrote, then its exit status.
std::string ReadToEnd(CrashWorker& worker, int& status) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(worker.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(worker.fd);
  status = WaitForExit(worker.pid);
  return text;
}

}  // namespace

absl::StatusOr<sim::RunResult> RunSeedInWorkers(const sim::Scenario& scenario, sim::PlantedBug bug,
                                                uint32_t jobs, sim::RunOptions options) {
  if (jobs <= 1 || bug == sim::PlantedBug::kAbort ||
      scenario.faults.crash_points != sim::CrashPointMode::kEveryIo) {
    return RunSeed(scenario, bug, std::move(options));
  }
  if (absl::Status valid = sim::ValidateScenario(scenario); !valid.ok()) return valid;
  options.planted_bug = bug;
  const sim::CrashPointReference reference = sim::RunCrashPointReference(scenario, options);
  if (reference.result.verdict != sim::Verdict::kPass) return reference.result;
  const uint64_t io_count = reference.plan.io_count();
  const uint64_t chunk_ios = std::max<uint64_t>(1, io_count / (kChunksPerJob * jobs));
  const sim::RunOptions state_options{.planted_bug = options.planted_bug};
  std::vector<CrashWorker> workers;
  for (uint32_t worker = 0; worker < jobs; worker++) {
    workers.push_back(Spawn(scenario, reference.plan, state_options, chunk_ios, worker, jobs));
  }
  std::vector<sim::CrashStatesResult> chunks;
  std::string died;
  for (CrashWorker& worker : workers) {
    int status = 0;
    std::istringstream lines(ReadToEnd(worker, status));
    for (std::string line; std::getline(lines, line);) {
      sim::CrashStatesResult chunk;
      NS_ASSERT_MSG(ParseChunk(line, chunk), line);
      chunks.push_back(std::move(chunk));
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && died.empty()) {
      died = "a crash-point " + DescribeExit(status);
    }
  }
  sim::RunResult merged = sim::MergeCrashPointResults(scenario, reference, chunks);
  if (!died.empty() && merged.verdict == sim::Verdict::kPass) {
    merged.verdict = sim::Verdict::kWorkerCrash;
    merged.message = died;
  }
  return merged;
}

}  // namespace northstar::torture
