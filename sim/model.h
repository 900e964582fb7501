// ReferenceModel: what the database must contain, as the checkers see it.
//
// An in-memory multi-version map fed with every commit the workload attempts, in txn order: the
// effective operations (puts, and deletes that removed a key), then whether commit() was
// acknowledged. It answers the state as of any commit t (for snapshot reads) and, after a
// crash, which commit states a recovered database may legally be in (spec/correctness.md CO-5):
// any t with every acknowledged commit <= t <= the last attempted. When recovery settles on t,
// the model forgets the commits after t, since the engine reuses their txn ids.
//
// Keys map to their version history, ordered: deterministic iteration, no hash order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/log/record.h"

namespace northstar::sim {

using KeyValues = std::map<std::string, std::string>;

class ReferenceModel {
 public:
  // Commit `txn_id` (== last_attempted() + 1) with these effective operations is about to be
  // committed.
  void attempt(uint64_t txn_id, const std::vector<engine::LogOp>& ops);
  // Its commit() returned OK (possibly after the next commit was attempted).
  void acknowledge(uint64_t txn_id);
  // Recovery settled on commit `txn_id`: commits after it never happened.
  void truncate_after(uint64_t txn_id);
  // Recovery of a target that promised nothing about crashes (CrashLoss::kAny) found `state` at
  // commit `txn_id`: the history is forgotten and that state is commit txn_id's.
  void reset_to(const KeyValues& state, uint64_t txn_id);

  [[nodiscard]] std::optional<std::string> get_at(uint64_t txn_id, const std::string& key) const;
  [[nodiscard]] KeyValues state_at(uint64_t txn_id) const;
  // Up to `limit` entries of state_at(txn_id) with key < end, in descending key order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> reverse_range_at(
      uint64_t txn_id, const std::string& end, size_t limit) const;
  // Up to `limit` entries of state_at(txn_id) with key >= start, in key order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> range_at(uint64_t txn_id,
                                                                          const std::string& start,
                                                                          size_t limit) const;
  // Every entry of state_at(txn_id) whose key starts with `prefix`, in key order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> prefix_at(
      uint64_t txn_id, const std::string& prefix) const;
  // Keys commit `txn_id` wrote (for telling a partial commit from a wrong one).
  [[nodiscard]] std::vector<std::string> keys_of(uint64_t txn_id) const;
  // The values `key` held inside commit `txn_id` before its last op on it (nullopt: deleted), in
  // op order: what a partially applied commit may show for a key it wrote more than once.
  [[nodiscard]] std::vector<std::optional<std::string>> intermediate_values_of(
      uint64_t txn_id, const std::string& key) const;

  [[nodiscard]] uint64_t last_attempted() const { return last_attempted_; }
  [[nodiscard]] uint64_t last_acknowledged() const { return last_acknowledged_; }
  // The commit that is durable for sure: every recovery must reach at least this one.
  [[nodiscard]] uint64_t floor() const { return floor_; }
  // For kLogNoSync: acknowledged commits are not durable, so the floor does not move with them.
  void set_acknowledged_is_durable(bool durable) { acknowledged_is_durable_ = durable; }
  // A checkpoint made every commit up to `txn_id` durable.
  void checkpointed(uint64_t txn_id);

 private:
  struct Version {
    uint64_t txn_id;
    std::optional<std::string> value;  // nullopt: deleted.
  };

  std::map<std::string, std::vector<Version>> versions_;
  std::map<uint64_t, std::vector<std::string>> keys_by_txn_;
  // Only for keys a commit wrote more than once (rare): commit -> key -> overwritten values.
  std::map<uint64_t, std::map<std::string, std::vector<std::optional<std::string>>>>
      intermediate_by_txn_;
  uint64_t last_attempted_ = 0;
  uint64_t last_acknowledged_ = 0;
  uint64_t floor_ = 0;
  bool acknowledged_is_durable_ = true;
};

}  // namespace northstar::sim
