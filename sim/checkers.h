// Checkers: each compares what the engine did with the reference model and names the rule it
// broke (spec/correctness.md). A failure is a CheckFailure whose kind is the checker's name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/model.h"
#include "sim/scenario.h"

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

}  // namespace northstar::sim
