// The content of the pending_tasks_by_type cartridge, and how it is computed from the base data
// (the task-queue keys of task_keys.h) through the public engine::Db API.
//
// PendingTasks maps every task type that has at least one pending task to the ids of its pending
// tasks, ascending; a type without pending tasks is absent (not present with no ids), so that
// the content depends only on the pending tasks and a catch-up that cannot see the other tasks
// of a type still computes the same content as a full scan.
//
// What "pending" means is the layout's rule: task:{id} exists, no claim:{id}:{agent} key exists,
// and completed:{id} does not exist. Keys under these prefixes that do not parse as the layout's
// keys (TaskIdOfKey gives nullopt) are not task keys and are ignored, by the scan and the catch-up
// alike. A pending task whose metadata has no valid type is bad base data: InvalidArgument naming
// the key (the cartridge cannot file it under any type). Claimed or completed tasks are never
// parsed.
//
// Thread safety: pure functions over a engine::ReadTxn, which one thread uses at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/db.h"

namespace northstar::cartridge {

using PendingTasks = std::map<std::string, std::vector<uint64_t>, std::less<>>;

// Asserts the invariants above: valid type names, non-empty id lists, each strictly ascending.
void AssertWellFormed(const PendingTasks& content);

// Total pending ids over all types.
[[nodiscard]] uint64_t PendingIdCount(const PendingTasks& content);

// The content at `txn`'s snapshot: one pass over each of the task:, claim: and completed:
// prefixes.
[[nodiscard]] absl::StatusOr<PendingTasks> ScanPendingTasks(engine::ReadTxn& txn);

// The type of task `id` if it is pending at `txn`'s snapshot; nullopt if it is not (no task,
// claimed, or completed). Point lookups only: task:{id}, the claim:{id}: prefix, completed:{id}.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> PendingTypeOf(engine::ReadTxn& txn, uint64_t id);

// Brings `content` from some earlier state to `txn`'s snapshot, given `touched_ids` (ascending,
// unique): every id whose task:, claim: or completed: keys changed in between. Ids not touched
// keep their entries; touched ids are looked up again (PendingTypeOf). O(content + touched log
// touched).
[[nodiscard]] absl::Status ApplyTouchedIds(engine::ReadTxn& txn, const std::vector<uint64_t>& touched_ids,
                                           PendingTasks& content);

// The first difference between what the database holds (`expected`) and what a cartridge holds
// (`actual`), in type order then id order, as one line naming the type and the id; nullopt when
// they are equal.
[[nodiscard]] std::optional<std::string> FirstDifference(const PendingTasks& expected,
                                                         const PendingTasks& actual);

}  // namespace northstar::cartridge
