// Checkers: each compares what the engine did with the reference model and names the rule it
// broke (spec/correctness.md). A failure is a CheckFailure whose kind is the checker's name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/model.h"
#include "sim/scenario.h"
#include "sim/task_queue.h"

namespace northstar::sim {

struct CheckFailure {
  Verdict kind = Verdict::kPass;
  std::string message;
};

// After a crash and recovery (CO-5, CO-1): the engine says it recovered commit
// `recovered_txn`; that must lie in [model.floor(), model.last_attempted()] and the recovered
// state must be the model's state after it. Failures:
// - durability: recovered_txn < floor, or the state is an older commit's (a durable commit lost);
// - atomicity: the state is a commit's state plus part of the next commit's writes;
// - crash-state: anything else (a state no commit produced, or the wrong commit's state).
[[nodiscard]] std::optional<CheckFailure> CheckRecoveredState(const ReferenceModel& model,
                                                              const KeyValues& recovered,
                                                              uint64_t recovered_txn);

// A read in a snapshot taken at commit `snapshot_txn` (CO-2): `got` must be the model's value.
[[nodiscard]] std::optional<CheckFailure> CheckSnapshotRead(const ReferenceModel& model,
                                                            uint64_t snapshot_txn,
                                                            const std::string& key,
                                                            const std::optional<std::string>& got);

// A whole state read from the engine (a snapshot scanned in full, or the state ReplayLog rebuilt)
// against the model's state after commit `txn` (CO-2, CO-12); `what` names how it was read, for
// the message. A difference is a snapshot-isolation failure naming the first differing key.
[[nodiscard]] std::optional<CheckFailure> CheckSnapshotState(const ReferenceModel& model,
                                                             uint64_t txn, const KeyValues& got,
                                                             std::string_view what);

// The task-queue invariants (CO-13) on one state of the queue; `where` says which state (for
// the message): every key is a task-queue key; no task has two claims; every completed task has
// a claim; every claim names an existing task; every agent:{a}:active
// names a task that agent a claimed and that is not completed. Failures are kTaskQueue.
[[nodiscard]] std::optional<CheckFailure> CheckTaskQueueInvariants(const TaskQueueState& queue,
                                                                   std::string_view where);

// After a crash and recovery (CO-14), the claims (claim:{id}:{agent} and their values) of the
// recovered state must be exactly those of the state after some commit t with model.floor() <=
// t <= model.last_attempted(): none that an acknowledged (durable) commit made is missing, none
// that no commit made is there, and they are those of a prefix of the commits. No task may have
// two claims, and every completed task has a claim. Failures are kTaskQueue. Looks only at claims
// and completions: the rest of the state is CheckRecoveredState's.
[[nodiscard]] std::optional<CheckFailure> CheckTaskQueueRecovery(const ReferenceModel& model,
                                                                 const KeyValues& recovered);

// The code-graph workload (CO-15): a state that holds the whole ingest (the commit that ended it
// and all before it) must hold exactly the repository's records, `expected` (apps/code_graph.h
// generates them); `where` names the state. Failures are kCodeGraph, naming the first record
// that differs.
[[nodiscard]] std::optional<CheckFailure> CheckCodeGraphState(const KeyValues& state,
                                                              const KeyValues& expected,
                                                              std::string_view where);

// A query on a snapshot that holds the whole ingest (CO-15): its answer, `got` (function or
// module numbers), must be the generator's, `want`. `query` names it ("callers of function 17").
[[nodiscard]] std::optional<CheckFailure> CheckCodeGraphAnswer(std::string_view query,
                                                               uint64_t snapshot_txn,
                                                               const std::vector<uint64_t>& got,
                                                               const std::vector<uint64_t>& want);

}  // namespace northstar::sim
