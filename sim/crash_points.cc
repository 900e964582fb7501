#include "sim/crash_points.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "sim/runner_internal.h"
#include "util/assert.h"
#include "util/hash.h"

namespace northstar::sim {
namespace {

// Enumeration order: by I/O index, then variant.
bool Before(const CrashState& left, const CrashState& right) {
  return std::pair(left.io_index, left.variant) < std::pair(right.io_index, right.variant);
}

// The counts of `from` added to `into` (not crash_states and crash_io_indexes: the callers count
// those themselves).
void AddStats(RunStats& into, const RunStats& from) {
  into.transactions += from.transactions;
  into.commits += from.commits;
  into.aborts += from.aborts;
  into.reads += from.reads;
  into.crashes += from.crashes;
  into.recoveries += from.recoveries;
  into.faults += from.faults;
  into.steps += from.steps;
  into.ios += from.ios;
  into.ops += from.ops;
}

// `message` with `context` after its leading "<verdict>: " (the checkers' messages start so), or
// before it.
std::string WithContext(Verdict verdict, const std::string& message, const std::string& context) {
  const std::string prefix = absl::StrFormat("%s: ", VerdictName(verdict));
  if (message.starts_with(prefix)) {
    return absl::StrFormat("%s%s: %s", prefix, context, message.substr(prefix.size()));
  }
  return absl::StrFormat("%s: %s", context, message);
}

Scenario WithoutCrashes(const Scenario& scenario) {
  Scenario reference = scenario;
  reference.faults.crash_points = CrashPointMode::kRandom;
  reference.faults.crashes = 0;
  reference.faults.crash_at_io.clear();
  reference.faults.crash_last_write_variant = -1;
  return reference;
}

}  // namespace

CrashStatePlan::CrashStatePlan(uint64_t io_count, const std::vector<vfs::SimDiskWrite>& writes,
                               bool torn_writes)
    : io_count_(io_count), torn_writes_(torn_writes) {
  for (const vfs::SimDiskWrite& write : writes) {
    NS_ASSERT(write.io_index >= 1);
    if (write.io_index <= io_count_ && write.sectors > 0) writes_.emplace(write.io_index, write);
  }
}

uint64_t CrashStatePlan::variant_count(uint64_t io_index) const {
  NS_ASSERT(io_index >= 1 && io_index <= io_count_);
  const auto found = writes_.find(io_index);
  if (found == writes_.end()) return 1;
  return vfs::SimDiskWriteVariantCount(found->second.sectors, torn_writes_);
}

uint64_t CrashStatePlan::state_count(uint64_t first_io, uint64_t last_io) const {
  NS_ASSERT(first_io >= 1 && last_io <= io_count_);
  if (first_io > last_io) return 0;
  uint64_t count = last_io - first_io + 1;  // One state per I/O ...
  for (auto it = writes_.lower_bound(first_io); it != writes_.end() && it->first <= last_io; ++it) {
    count += vfs::SimDiskWriteVariantCount(it->second.sectors, torn_writes_) - 1;  // ... or more.
  }
  return count;
}

std::vector<CrashState> CrashStatePlan::states_at(uint64_t io_index) const {
  if (!writes_.contains(io_index)) return {CrashState{io_index, -1}};
  std::vector<CrashState> states;
  const uint64_t count = variant_count(io_index);
  for (uint64_t variant = 0; variant < count; variant++) {
    states.push_back(CrashState{io_index, static_cast<int64_t>(variant)});
  }
  return states;
}

std::string CrashStatePlan::describe(CrashState state) const {
  const auto found = writes_.find(state.io_index);
  if (found == writes_.end()) return absl::StrFormat("I/O %d (not a write)", state.io_index);
  const vfs::SimDiskWrite& write = found->second;
  return absl::StrFormat("I/O %d: a write of %d bytes to %s at offset %d, %s", state.io_index,
                         write.size_bytes, write.path, write.offset_bytes,
                         vfs::SimDiskWriteVariantName(state.variant, write.sectors, torn_writes_));
}

CrashPointReference RunCrashPointReference(const Scenario& scenario, const RunOptions& options) {
  NS_ASSERT(ValidateScenario(scenario).ok());
  const Scenario reference = WithoutCrashes(scenario);
  internal::Run run(reference, options.planted_bug);
  run.keep_write_log();
  run.skip_final_crash();
  RunResult result = run.execute(options);
  if (result.verdict != Verdict::kPass) {
    result.message = WithContext(result.verdict, result.message, "the reference run (no crash)");
    result.repro_scenario = reference;
  }
  // Every I/O of the run is a crash point: it ends with its workload, without a final crash.
  return {std::move(result),
          CrashStatePlan(run.io_count(), run.write_log(), scenario.faults.torn_writes)};
}

Scenario CrashStateScenario(const Scenario& scenario, CrashState state) {
  Scenario point = WithoutCrashes(scenario);
  point.faults.crash_at_io = {state.io_index};
  point.faults.crash_last_write_variant = state.variant;
  return point;
}

CrashStatesResult RunCrashStates(const Scenario& scenario, const CrashStatePlan& plan,
                                 uint64_t first_io, uint64_t last_io, const RunOptions& options) {
  NS_ASSERT(first_io >= 1 && last_io <= plan.io_count());
  CrashStatesResult result;
  for (uint64_t io_index = first_io; io_index <= last_io; io_index++) {
    bool reached = false;
    for (const CrashState& state : plan.states_at(io_index)) {
      const Scenario point = CrashStateScenario(scenario, state);
      internal::Run run(point, options.planted_bug);
      run.stop_after_exact_crash_recovery();
      const RunResult one = run.execute(RunOptions{.planted_bug = options.planted_bug});
      if (run.exact_crash_io_count() == 0 && io_index == plan.io_count()) {
        // The reference run ended right after its last I/O without a crash, and so did this
        // one (injected corruption that leaves nothing to recover ends a run): no crash state.
        NS_ASSERT(one.verdict == Verdict::kPass);
        continue;
      }
      // The run repeats the reference run's I/Os up to the crash point: it must crash there.
      NS_ASSERT_MSG(run.exact_crash_io_count() == io_index,
                    absl::StrFormat("crash state %s: the crash came at I/O %d",
                                    plan.describe(state), run.exact_crash_io_count()));
      reached = true;
      AddStats(result.stats, one.stats);
      result.stats.crash_states++;
      result.trace_hash_sum += one.trace_hash;
      if (one.verdict != Verdict::kPass) {
        result.stats.crash_io_indexes++;
        result.verdict = one.verdict;
        result.message = WithContext(one.verdict, one.message,
                                     absl::StrFormat("crash state %s", plan.describe(state)));
        result.failed_state = state;
        result.failed_trace_hash = one.trace_hash;
        return result;
      }
    }
    if (reached) result.stats.crash_io_indexes++;
  }
  return result;
}

RunResult MergeCrashPointResults(const Scenario& scenario, const CrashPointReference& reference,
                                 const std::vector<CrashStatesResult>& ranges) {
  if (reference.result.verdict != Verdict::kPass) return reference.result;
  RunResult merged = reference.result;
  const CrashStatesResult* first_failure = nullptr;
  uint64_t trace_hash_sum = 0;
  for (const CrashStatesResult& range : ranges) {
    AddStats(merged.stats, range.stats);
    merged.stats.crash_states += range.stats.crash_states;
    merged.stats.crash_io_indexes += range.stats.crash_io_indexes;
    trace_hash_sum += range.trace_hash_sum;
    if (range.verdict == Verdict::kPass) continue;
    if (first_failure == nullptr || Before(range.failed_state, first_failure->failed_state)) {
      first_failure = &range;
    }
  }
  if (first_failure != nullptr) {
    merged.verdict = first_failure->verdict;
    merged.message = first_failure->message;
    merged.trace_hash = first_failure->failed_trace_hash;
    merged.repro_scenario = CrashStateScenario(scenario, first_failure->failed_state);
    return merged;
  }
  Xxh3Stream hash;
  hash.UpdateU64(reference.result.trace_hash);
  hash.UpdateU64(trace_hash_sum);
  hash.UpdateU64(merged.stats.crash_states);
  merged.trace_hash = hash.Digest();
  return merged;
}

RunResult RunCrashPoints(const Scenario& scenario, const RunOptions& options) {
  const CrashPointReference reference = RunCrashPointReference(scenario, options);
  if (reference.result.verdict != Verdict::kPass) return reference.result;
  const uint64_t io_count = reference.plan.io_count();
  std::vector<CrashStatesResult> ranges;
  if (io_count > 0) {
    ranges.push_back(RunCrashStates(scenario, reference.plan, 1, io_count, options));
  }
  return MergeCrashPointResults(scenario, reference, ranges);
}

}  // namespace northstar::sim
