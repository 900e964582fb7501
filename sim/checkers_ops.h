// Checkers of single operations (CO-2, CO-3) and of the run itself (corruption, recovery,
// structure, liveness): every verdict a run gives comes from a named checker, the runner and the
// workloads only pass them what they saw. Pure functions; a failure names its rule's verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sim/checkers.h"
#include "sim/target.h"

namespace northstar::sim {

// An engine error met by a fiber: a Corruption (DataLoss) is a failure unless damage is allowed
// (injected bit rot or misdirected writes, or a target that promised nothing) or the disk was
// halted by a crash point; any other error just stops the fiber.
[[nodiscard]] std::optional<CheckFailure> CheckEngineError(const absl::Status& status,
                                                           std::string_view what,
                                                           bool damage_allowed, bool disk_halted);

// Opening the target after a crash failed with `opened` (not OK): corruption for DataLoss, else
// crash-state (the target could not recover what the crash left).
[[nodiscard]] std::optional<CheckFailure> CheckRecoveryOpen(const absl::Status& opened);

// The target's structure check after recovery (TG-4): its first problem, with its verdict.
[[nodiscard]] std::optional<CheckFailure> CheckStructure(
    const std::vector<StructureProblem>& problems);

// The scheduler's outcome for an epoch: a deadlock or a runaway is a liveness failure.
[[nodiscard]] std::optional<CheckFailure> CheckLiveness(const absl::Status& scheduler_status);

// CO-3: a get inside write transaction `txn_id` sees its own writes over the state it began from.
[[nodiscard]] std::optional<CheckFailure> CheckReadYourWrites(
    std::string_view key, uint64_t txn_id, const std::optional<std::string>& got,
    const std::optional<std::string>& want);

// CO-3: a delete inside write transaction `txn_id` removes the key exactly when it exists there.
[[nodiscard]] std::optional<CheckFailure> CheckDelete(std::string_view key, uint64_t txn_id,
                                                      bool removed, bool existed);

// CO-2: a bounded scan (forward from `start`, or reverse before it) in the snapshot of commit
// `txn_id` returns the model's entries.
[[nodiscard]] std::optional<CheckFailure> CheckScan(bool reverse, std::string_view start,
                                                    uint64_t txn_id, const ScanEntries& got,
                                                    const ScanEntries& want);

// CO-2: a whole-prefix scan (`what` names the query) returns the model's entries.
[[nodiscard]] std::optional<CheckFailure> CheckPrefixScan(std::string_view what,
                                                          std::string_view prefix,
                                                          uint64_t txn_id, const ScanEntries& got,
                                                          const ScanEntries& want);

// CO-4: write transaction `write_txn` began on the latest commit, `base_txn`.
[[nodiscard]] std::optional<CheckFailure> CheckWriteBase(uint64_t write_txn, uint64_t base_txn);

}  // namespace northstar::sim
