// Test-only: task-queue workloads on a engine::Db and a reference model of what is pending, computed
// from the key-value state by the layout's definition alone (no shared code with the scan).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cartridge/pending_tasks.h"
#include "engine/db.h"
#include "util/random.h"

namespace northstar::cartridge {

using KeyValueState = std::map<std::string, std::string>;

// The pending tasks of `state` by the definition: a well-formed task:{id} key, no well-formed
// claim:{id}:{agent} key and no completed:{id} key; filed under the type its metadata names.
[[nodiscard]] PendingTasks ModelPendingTasks(const KeyValueState& state);

// Random task-queue commits over a small id space, so that ids are created, claimed, released,
// completed, reopened, retyped and deleted again and again; with noise keys (agent:, and keys
// under the task prefixes that are not well-formed). Keeps the model state.
class TaskWorkload {
 public:
  explicit TaskWorkload(uint64_t seed, uint64_t ids = 200) : rng_(seed), ids_(ids) {}

  // One commit of 1..ops_max random operations.
  [[nodiscard]] absl::Status Commit(engine::Db& db, uint32_t ops_max = 8);
  [[nodiscard]] absl::Status Commits(engine::Db& db, uint32_t count, uint32_t ops_max = 8);
  // A commit that creates `count` pending tasks (ids from `first_id`) of rotating types.
  [[nodiscard]] absl::Status CreateTasks(engine::Db& db, uint64_t first_id, uint64_t count);

  [[nodiscard]] const KeyValueState& state() const { return state_; }

 private:
  void put(engine::WriteTxn& txn, const std::string& key, const std::string& value);
  void del(engine::WriteTxn& txn, const std::string& key);
  void random_op(engine::WriteTxn& txn);

  Rng rng_;
  const uint64_t ids_;
  KeyValueState state_;
  absl::Status txn_status_;
};

}  // namespace northstar::cartridge
