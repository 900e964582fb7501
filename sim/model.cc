#include "sim/model.h"

#include "util/assert.h"

namespace northstar::sim {

void ReferenceModel::attempt(uint64_t txn_id, const std::vector<engine::LogOp>& ops) {
  NS_ASSERT(txn_id == last_attempted_ + 1);
  NS_ASSERT(!ops.empty());
  last_attempted_ = txn_id;
  std::vector<std::string>& keys = keys_by_txn_[txn_id];
  for (const engine::LogOp& op : ops) {
    std::vector<Version>& history = versions_[op.key];
    std::optional<std::string> value;
    if (op.type == engine::LogOpType::kPut) value = op.value;
    if (!history.empty() && history.back().txn_id == txn_id) {
      intermediate_by_txn_[txn_id][op.key].push_back(std::move(history.back().value));
      history.back().value = std::move(value);  // A later op of the same commit wins.
    } else {
      history.push_back(Version{txn_id, std::move(value)});
      keys.push_back(op.key);
    }
  }
}

void ReferenceModel::acknowledge(uint64_t txn_id) {
  // Another writer may already have attempted the next commit: commit() returns after the
  // engine released the writer lock.
  // With several writers acknowledgements may also arrive out of order.
  NS_ASSERT(txn_id <= last_attempted_);
  last_acknowledged_ = std::max(last_acknowledged_, txn_id);
  if (acknowledged_is_durable_) floor_ = std::max(floor_, txn_id);
}

void ReferenceModel::checkpointed(uint64_t txn_id) {
  NS_ASSERT(txn_id <= last_attempted_);
  floor_ = std::max(floor_, txn_id);
}

void ReferenceModel::truncate_after(uint64_t txn_id) {
  NS_ASSERT(txn_id >= floor_ && txn_id <= last_attempted_);
  for (auto it = keys_by_txn_.upper_bound(txn_id); it != keys_by_txn_.end();) {
    for (const std::string& key : it->second) {
      // A later commit's key may be gone already: an earlier lost commit wrote it first.
      auto found = versions_.find(key);
      if (found == versions_.end()) continue;
      std::vector<Version>& history = found->second;
      while (!history.empty() && history.back().txn_id > txn_id) history.pop_back();
      if (history.empty()) versions_.erase(found);
    }
    intermediate_by_txn_.erase(it->first);
    it = keys_by_txn_.erase(it);
  }
  last_attempted_ = txn_id;
  last_acknowledged_ = txn_id;
  floor_ = txn_id;
}

void ReferenceModel::reset_to(const KeyValues& state, uint64_t txn_id) {
  versions_.clear();
  keys_by_txn_.clear();
  intermediate_by_txn_.clear();
  std::vector<std::string>& keys = keys_by_txn_[txn_id];
  for (const auto& [key, value] : state) {
    versions_[key].push_back(Version{txn_id, value});
    keys.push_back(key);
  }
  last_attempted_ = txn_id;
  last_acknowledged_ = txn_id;
  floor_ = txn_id;
}

std::optional<std::string> ReferenceModel::get_at(uint64_t txn_id, const std::string& key) const {
  auto found = versions_.find(key);
  if (found == versions_.end()) return std::nullopt;
  const std::vector<Version>& history = found->second;
  // The last version at or before txn_id; histories are short, newest last.
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->txn_id <= txn_id) return it->value;
  }
  return std::nullopt;
}

KeyValues ReferenceModel::state_at(uint64_t txn_id) const {
  KeyValues state;
  for (const auto& [key, history] : versions_) {
    std::optional<std::string> value = get_at(txn_id, key);
    if (value) state.emplace(key, std::move(*value));
  }
  return state;
}

std::vector<std::pair<std::string, std::string>> ReferenceModel::range_at(uint64_t txn_id,
                                                                          const std::string& start,
                                                                          size_t limit) const {
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = versions_.lower_bound(start); it != versions_.end() && entries.size() < limit;
       ++it) {
    std::optional<std::string> value = get_at(txn_id, it->first);
    if (value) entries.emplace_back(it->first, std::move(*value));
  }
  return entries;
}

std::vector<std::pair<std::string, std::string>> ReferenceModel::reverse_range_at(
    uint64_t txn_id, const std::string& end, size_t limit) const {
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = std::make_reverse_iterator(versions_.lower_bound(end));
       it != versions_.rend() && entries.size() < limit; ++it) {
    std::optional<std::string> value = get_at(txn_id, it->first);
    if (value) entries.emplace_back(it->first, std::move(*value));
  }
  return entries;
}

std::vector<std::pair<std::string, std::string>> ReferenceModel::prefix_at(
    uint64_t txn_id, const std::string& prefix) const {
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = versions_.lower_bound(prefix);
       it != versions_.end() && it->first.starts_with(prefix); ++it) {
    std::optional<std::string> value = get_at(txn_id, it->first);
    if (value) entries.emplace_back(it->first, std::move(*value));
  }
  return entries;
}

std::vector<std::string> ReferenceModel::keys_of(uint64_t txn_id) const {
  auto found = keys_by_txn_.find(txn_id);
  return found == keys_by_txn_.end() ? std::vector<std::string>{} : found->second;
}

std::vector<std::optional<std::string>> ReferenceModel::intermediate_values_of(
    uint64_t txn_id, const std::string& key) const {
  auto by_txn = intermediate_by_txn_.find(txn_id);
  if (by_txn == intermediate_by_txn_.end()) return {};
  auto by_key = by_txn->second.find(key);
  return by_key == by_txn->second.end() ? std::vector<std::optional<std::string>>{}
                                        : by_key->second;
}

}  // namespace northstar::sim
