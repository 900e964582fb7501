// Worker processes of `northstar torture`: one forked child per batch of seeds.
//
// A child runs the items [begin, end) of the plan and writes to its result pipe, per item,
// "start <index>\n" before it runs and "done <index> <verdict> <hash> <stats...> <message>\n"
// after; its stderr goes to a second pipe. The parent polls every child's pipes; when both reach
// end of file it reaps the child. An item started and never done is a worker crash (the exit
// status and the child's stderr are its message), and the rest of the batch is handed out again.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/exit_codes.h"
#include "torture/torture.h"
#include "torture/child_process.h"
#include "util/assert.h"

namespace northstar::torture {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kBatchItemsMax = 64;
constexpr uint64_t kBatchItemsEndless = 16;
constexpr size_t kStderrBytesMax = 2000;  // Kept from a child's stderr: its first bytes.
constexpr int kPollTimeoutMs = 200;

struct Batch {
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct Worker {
  pid_t pid = -1;
  int result_fd = -1;
  int stderr_fd = -1;
  Batch batch;
  uint64_t next = 0;                // The first item not done.
  std::optional<uint64_t> started;  // Started and not done.
  std::string pending;              // A partial result line.
  std::string stderr_text;
};

std::string FormatDone(uint64_t index, const SeedOutcome& outcome) {
  const sim::RunStats& s = outcome.stats;
  // The failed crash state: its I/O index (0: none) and variant.
  const sim::CrashState state = outcome.crash_state.value_or(sim::CrashState{});
  return absl::StrFormat("done %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %.3f %d %s\n",
                         index, static_cast<int>(outcome.verdict), outcome.trace_hash.value_or(0),
                         s.transactions, s.commits, s.aborts, s.reads, s.crashes, s.recoveries,
                         s.faults, s.steps, s.ios, s.ops, s.crash_states, s.crash_io_indexes,
                         state.io_index, state.variant, outcome.elapsed_ms,
                         outcome.nondeterministic ? 1 : 0, OneLine(outcome.message));
}

// Parses a "done" line (without "done "); false if malformed.
bool ParseDone(const std::string& line, uint64_t& index, SeedOutcome& outcome) {
  std::istringstream in(line);
  int verdict = 0;
  int nondeterministic = 0;
  uint64_t hash = 0;
  sim::CrashState state;
  sim::RunStats& s = outcome.stats;
  in >> index >> verdict >> hash >> s.transactions >> s.commits >> s.aborts >> s.reads >>
      s.crashes >> s.recoveries >> s.faults >> s.steps >> s.ios >> s.ops >> s.crash_states >>
      s.crash_io_indexes >> state.io_index >> state.variant >> outcome.elapsed_ms >>
      nondeterministic;
  if (!in || verdict < 0 || verdict > static_cast<int>(sim::Verdict::kWorkerCrash)) return false;
  if (state.io_index != 0) outcome.crash_state = state;
  outcome.verdict = static_cast<sim::Verdict>(verdict);
  outcome.nondeterministic = nondeterministic != 0;
  outcome.trace_hash = hash;
  std::getline(in >> std::ws, outcome.message);
  return true;
}

// One seed; with check_determinism, twice (elapsed_ms covers both runs).
SeedOutcome RunItem(const sim::Scenario& base, TortureItem item, sim::PlantedBug bug,
                    bool check_determinism) {
  sim::Scenario scenario = base;
  scenario.seed = item.seed;
  const auto start = Clock::now();
  absl::StatusOr<sim::RunResult> result = RunSeed(scenario, bug);
  NS_ASSERT_MSG(result.ok(), result.status().ToString());  // Scenarios were validated.
  SeedOutcome outcome;
  outcome.item = item;
  outcome.verdict = result->verdict;
  outcome.message = result->message;
  outcome.trace_hash = result->trace_hash;
  outcome.stats = result->stats;
  // A failed crash state travels as its I/O index and variant (sim::CrashStateScenario).
  if (scenario.faults.crash_points == sim::CrashPointMode::kEveryIo && result->repro_scenario &&
      result->repro_scenario->faults.crash_at_io.size() == 1) {
    outcome.crash_state = sim::CrashState{result->repro_scenario->faults.crash_at_io[0],
                                          result->repro_scenario->faults.crash_last_write_variant};
  }
  if (check_determinism) {
    absl::StatusOr<sim::RunResult> second = RunSeed(scenario, bug);
    NS_ASSERT_MSG(second.ok(), second.status().ToString());
    if (second->trace_hash != result->trace_hash || second->verdict != result->verdict) {
      outcome.nondeterministic = true;
      outcome.message = absl::StrFormat(
          "nondeterminism: run 1 trace %s (%s), run 2 trace %s (%s)",
          FormatTraceHash(result->trace_hash), sim::VerdictName(result->verdict),
          FormatTraceHash(second->trace_hash), sim::VerdictName(second->verdict));
    }
  }
  outcome.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return outcome;
}

[[noreturn]] void ChildMain(const std::vector<sim::Scenario>& scenarios, const SeedPlan& plan,
                            const WorkerOptions& options, Batch batch, int result_fd) {
  for (uint64_t index = batch.begin; index < batch.end; index++) {
    if (options.deadline && Clock::now() >= *options.deadline) break;
    const TortureItem item = plan.item(index);
    WriteAllOrExit(result_fd, absl::StrFormat("start %d\n", index));
    const sim::PlantedBug bug = options.crash_on_seed == item.seed ? sim::PlantedBug::kAbort : options.bug;
    WriteAllOrExit(result_fd, FormatDone(index, RunItem(scenarios[item.scenario_index], item, bug,
                                                  options.check_determinism)));
  }
  ::_exit(0);
}

Worker Spawn(const std::vector<sim::Scenario>& scenarios, const SeedPlan& plan,
             const WorkerOptions& options, Batch batch) {
  const ChildProcess child = ForkChild(
      [&](int result_fd) { ChildMain(scenarios, plan, options, batch, result_fd); },
      /*capture_stderr=*/true);
  Worker worker;
  worker.pid = child.pid;
  worker.result_fd = child.result_fd;
  worker.stderr_fd = child.stderr_fd;
  worker.batch = batch;
  worker.next = batch.begin;
  return worker;
}

// Handles the complete lines in worker.pending.
void ConsumeLines(Worker& worker, const SeedPlan& plan,
                  const std::function<void(const SeedOutcome&)>& on_outcome) {
  for (size_t end; (end = worker.pending.find('\n')) != std::string::npos;) {
    const std::string line = worker.pending.substr(0, end);
    worker.pending.erase(0, end + 1);
    if (line.starts_with("start ")) {
      worker.started = std::stoull(line.substr(6));
      continue;
    }
    uint64_t index = 0;
    SeedOutcome outcome;
    NS_ASSERT_MSG(line.starts_with("done ") && ParseDone(line.substr(5), index, outcome), line);
    NS_ASSERT(worker.started == index);
    outcome.item = plan.item(index);
    worker.started.reset();
    worker.next = index + 1;
    on_outcome(outcome);
  }
}

// Reads what is there; false at end of file.
bool ReadSome(int fd, std::string& into, size_t bytes_max) {
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  into.append(buffer, static_cast<size_t>(std::min(static_cast<size_t>(n),
                                                   bytes_max - std::min(bytes_max, into.size()))));
  return true;
}

// Reaps a worker whose pipes are closed: the outcome of an item it died on, and the part of its
// batch to hand out again.
std::optional<Batch> Reap(Worker& worker, const SeedPlan& plan,
                          const std::function<void(const SeedOutcome&)>& on_outcome) {
  const int status = WaitForExit(worker.pid);
  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (worker.started) {
    SeedOutcome outcome;
    outcome.item = plan.item(*worker.started);
    outcome.verdict = sim::Verdict::kWorkerCrash;
    outcome.message = DescribeExit(status);
    if (!worker.stderr_text.empty()) outcome.message += ": " + OneLine(worker.stderr_text);
    worker.next = *worker.started + 1;
    worker.started.reset();
    on_outcome(outcome);
  } else if (!clean) {
    std::cerr << absl::StrFormat("northstar torture: a worker died between seeds: %s\n",
                                 DescribeExit(status));
  }
  if (worker.next >= worker.batch.end) return std::nullopt;
  return Batch{worker.next, worker.batch.end};
}

// Waits up to kPollTimeoutMs for output from the workers and handles what came.
void PollOnce(std::vector<Worker>& workers, const SeedPlan& plan,
              const std::function<void(const SeedOutcome&)>& on_outcome) {
  std::vector<pollfd> fds;
  for (const Worker& worker : workers) {
    if (worker.result_fd >= 0) fds.push_back({worker.result_fd, POLLIN, 0});
    if (worker.stderr_fd >= 0) fds.push_back({worker.stderr_fd, POLLIN, 0});
  }
  const int ready = ::poll(fds.data(), fds.size(), kPollTimeoutMs);
  NS_ASSERT_MSG(ready >= 0 || errno == EINTR, std::strerror(errno));
  for (const pollfd& fd : fds) {
    if (fd.revents == 0) continue;
    for (Worker& worker : workers) {
      if (fd.fd == worker.result_fd) {
        if (!ReadSome(fd.fd, worker.pending, SIZE_MAX)) {
          ::close(worker.result_fd);
          worker.result_fd = -1;
        }
        ConsumeLines(worker, plan, on_outcome);
      } else if (fd.fd == worker.stderr_fd) {
        if (!ReadSome(fd.fd, worker.stderr_text, kStderrBytesMax)) {
          ::close(worker.stderr_fd);
          worker.stderr_fd = -1;
        }
      }
    }
  }
}

// Kills every worker and waits for it: the seeds they were running are dropped.
void StopAll(std::vector<Worker>& workers) {
  for (Worker& worker : workers) {
    ::kill(worker.pid, SIGKILL);
    for (int* fd : {&worker.result_fd, &worker.stderr_fd}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    (void)WaitForExit(worker.pid);
  }
  workers.clear();
}

}  // namespace

SeedPlan::SeedPlan(std::vector<uint64_t> first_seeds, uint32_t shard_index, uint32_t shard_count,
                   std::optional<uint64_t> seeds_total)
    : first_seeds_(std::move(first_seeds)),
      shard_index_(shard_index),
      shard_count_(shard_count),
      seeds_total_(seeds_total) {
  NS_ASSERT(!first_seeds_.empty());
  NS_ASSERT(shard_count_ >= 1);
  NS_ASSERT(shard_index_ < shard_count_);
}

std::optional<uint64_t> SeedPlan::item_count() const {
  if (!seeds_total_) return std::nullopt;
  if (*seeds_total_ <= shard_index_) return 0;
  const uint64_t per_scenario = (*seeds_total_ - shard_index_ + shard_count_ - 1) / shard_count_;
  return per_scenario * first_seeds_.size();
}

TortureItem SeedPlan::item(uint64_t index) const {
  const uint64_t scenario_index = index % first_seeds_.size();
  const uint64_t k = shard_index_ + (index / first_seeds_.size()) * shard_count_;
  if (seeds_total_) NS_ASSERT(k < *seeds_total_);
  return {static_cast<uint32_t>(scenario_index), first_seeds_[scenario_index] + k};
}

void RunWorkers(const std::vector<sim::Scenario>& scenarios, const SeedPlan& plan,
                const WorkerOptions& options,
                const std::function<void(const SeedOutcome&)>& on_outcome,
                const std::function<void()>& on_tick) {
  NS_ASSERT(options.jobs >= 1 && options.jobs <= kJobsMax);
  std::deque<Batch> again;
  uint64_t next_index = 0;
  const auto past_deadline = [&] { return options.deadline && Clock::now() >= *options.deadline; };
  const auto next_batch = [&]() -> std::optional<Batch> {
    if (past_deadline()) return std::nullopt;
    if (!again.empty()) {
      const Batch batch = again.front();
      again.pop_front();
      return batch;
    }
    const std::optional<uint64_t> count = plan.item_count();
    if (count && next_index >= *count) return std::nullopt;
    uint64_t size = kBatchItemsEndless;
    if (count) {
      size = std::clamp<uint64_t>((*count - next_index) / (options.jobs * 4), 1, kBatchItemsMax);
    }
    const Batch batch{next_index, count ? std::min(*count, next_index + size) : next_index + size};
    next_index = batch.end;
    return batch;
  };

  std::vector<Worker> workers;
  auto last_tick = Clock::now();
  for (;;) {
    while (workers.size() < options.jobs) {
      const std::optional<Batch> batch = next_batch();
      if (!batch) break;
      workers.push_back(Spawn(scenarios, plan, options, *batch));
    }
    if (workers.empty()) break;
    PollOnce(workers, plan, on_outcome);
    if (options.stop && options.stop()) {
      StopAll(workers);
      return;
    }
    for (size_t index = 0; index < workers.size();) {
      Worker& worker = workers[index];
      if (worker.result_fd >= 0 || worker.stderr_fd >= 0) {
        index++;
        continue;
      }
      if (std::optional<Batch> rest = Reap(worker, plan, on_outcome); rest && !past_deadline()) {
        again.push_back(*rest);
      }
      workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(index));
    }
    if (Clock::now() - last_tick >= std::chrono::milliseconds(kPollTimeoutMs)) {
      last_tick = Clock::now();
      on_tick();
    }
  }
}

SeedOutcome RunSeedIsolated(const sim::Scenario& scenario, sim::PlantedBug bug) {
  std::optional<SeedOutcome> outcome;
  const SeedPlan plan({scenario.seed}, 0, 1, 1);
  WorkerOptions options;
  options.bug = bug;
  RunWorkers(
      {scenario}, plan, options, [&](const SeedOutcome& done) { outcome = done; }, [] {});
  NS_ASSERT(outcome.has_value());
  return *outcome;
}

}  // namespace northstar::torture
