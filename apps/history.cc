#include "apps/history.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "apps/streams.h"
#include "util/assert.h"
#include "util/random.h"

namespace northstar::apps {
namespace {

constexpr uint64_t kTxnStream = 21;
constexpr uint64_t kValueStream = 22;
constexpr uint32_t kDeletedBit = 1;

absl::Status OutOfRange(const char* field, uint64_t value, uint64_t min, uint64_t max) {
  return absl::InvalidArgumentError(
      absl::StrFormat("history: %s = %d is outside [%d, %d]", field, value, min, max));
}

}  // namespace

absl::Status ValidateHistoryConfig(const HistoryConfig& config) {
  if (config.txns < 1 || config.txns > kHistoryTxnsMax) {
    return OutOfRange("txns", config.txns, 1, kHistoryTxnsMax);
  }
  if (config.writes_per_txn_max < 1 || config.writes_per_txn_max > kHistoryWritesPerTxnMax) {
    return OutOfRange("writes_per_txn_max", config.writes_per_txn_max, 1,
                      kHistoryWritesPerTxnMax);
  }
  if (config.keys < config.writes_per_txn_max || config.keys > kHistoryKeysMax) {
    return OutOfRange("keys", config.keys, config.writes_per_txn_max, kHistoryKeysMax);
  }
  if (config.delete_percent > 100) return OutOfRange("delete_percent", config.delete_percent, 0, 100);
  if (config.value_bytes_min < 1 || config.value_bytes_min > config.value_bytes_max) {
    return OutOfRange("value_bytes_min", config.value_bytes_min, 1, config.value_bytes_max);
  }
  if (config.value_bytes_max > kHistoryValueBytesMax) {
    return OutOfRange("value_bytes_max", config.value_bytes_max, config.value_bytes_min,
                      kHistoryValueBytesMax);
  }
  return absl::OkStatus();
}

std::string HistoryKey(uint64_t key_index) {
  NS_ASSERT(key_index <= kHistoryKeysMax);
  return absl::StrFormat("h:%010d", key_index);
}

std::string HistoryValue(const HistoryConfig& config, uint64_t key_index, uint64_t txn) {
  NS_ASSERT(config.value_bytes_min >= 1 && config.value_bytes_min <= config.value_bytes_max);
  Rng rng(StreamSeed(StreamSeed(config.seed, kValueStream, key_index), kValueStream, txn));
  const uint64_t size = config.value_bytes_min +
                        rng.Uniform(uint64_t{config.value_bytes_max} - config.value_bytes_min + 1);
  std::string value(size, '\0');
  uint64_t bits = 0;
  for (size_t index = 0; index < size; index++) {
    if (index % 8 == 0) bits = rng.Next();
    value[index] = static_cast<char>('a' + ((bits >> (8 * (index % 8))) & 0xff) % 26);
  }
  return value;
}

std::vector<HistoryWrite> HistoryWrites(const HistoryConfig& config, uint64_t txn) {
  NS_ASSERT(txn >= 1 && txn <= config.txns);
  NS_ASSERT(config.keys >= config.writes_per_txn_max);
  Rng rng(StreamSeed(config.seed, kTxnStream, txn));
  const uint64_t count = 1 + rng.Uniform(config.writes_per_txn_max);
  // Floyd's sampling: `count` distinct keys of [0, keys).
  std::vector<HistoryWrite> writes;
  for (uint64_t candidate = config.keys - count; candidate < config.keys; candidate++) {
    const uint64_t draw = rng.Uniform(candidate + 1);
    const bool taken = std::any_of(writes.begin(), writes.end(),
                                   [&](const HistoryWrite& w) { return w.key_index == draw; });
    // Drawn for every write, so that the draws do not depend on the write's position.
    const bool remove = rng.Uniform(100) < config.delete_percent;
    writes.push_back({.key_index = taken ? candidate : draw, .deleted = !writes.empty() && remove});
  }
  return writes;
}

std::vector<engine::LogOp> HistoryOps(const HistoryConfig& config, uint64_t txn) {
  std::vector<engine::LogOp> ops;
  for (const HistoryWrite& write : HistoryWrites(config, txn)) {
    if (write.deleted) {
      ops.push_back({engine::LogOpType::kDelete, HistoryKey(write.key_index), ""});
    } else {
      ops.push_back({engine::LogOpType::kPut, HistoryKey(write.key_index),
                     HistoryValue(config, write.key_index, txn)});
    }
  }
  return ops;
}

HistoryModel::HistoryModel(const HistoryConfig& config) : config_(config) {
  NS_ASSERT(ValidateHistoryConfig(config).ok());
  versions_.resize(config.keys);
  for (uint64_t txn = 1; txn <= config.txns; txn++) {
    for (const HistoryWrite& write : HistoryWrites(config, txn)) {
      const uint32_t deleted = write.deleted ? kDeletedBit : 0;
      versions_[write.key_index].push_back(static_cast<uint32_t>(txn << 1) | deleted);
      writes_++;
    }
  }
}

std::optional<std::string> HistoryModel::value_at(uint64_t key_index, uint64_t txn) const {
  NS_ASSERT(key_index < versions_.size());
  const std::vector<uint32_t>& versions = versions_[key_index];
  // The last version with a txn <= txn: versions compare as (txn << 1) | bit.
  const uint64_t bound = (std::min(txn, config_.txns) << 1) | 1;
  auto after = std::upper_bound(versions.begin(), versions.end(), bound,
                                [](uint64_t value, uint32_t version) { return value < version; });
  if (after == versions.begin()) return std::nullopt;
  const uint32_t version = *(after - 1);
  if (version & kDeletedBit) return std::nullopt;
  return HistoryValue(config_, key_index, version >> 1);
}

std::vector<std::pair<std::string, std::string>> HistoryModel::range_at(uint64_t txn,
                                                                        uint64_t from_key_index,
                                                                        size_t limit) const {
  std::vector<std::pair<std::string, std::string>> entries;
  for (uint64_t key = from_key_index; key < versions_.size() && entries.size() < limit; key++) {
    std::optional<std::string> value = value_at(key, txn);
    if (value) entries.emplace_back(HistoryKey(key), std::move(*value));
  }
  return entries;
}

std::map<std::string, std::string> HistoryModel::state_at(uint64_t txn) const {
  std::map<std::string, std::string> state;
  for (auto& [key, value] : range_at(txn, 0, versions_.size())) {
    state.emplace_hint(state.end(), std::move(key), std::move(value));
  }
  return state;
}

std::optional<uint64_t> HistoryModel::key_index_of(std::string_view key) const {
  if (key.size() != 12 || !key.starts_with("h:")) return std::nullopt;
  uint64_t index = 0;
  for (char c : key.substr(2)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  if (index >= config_.keys) return std::nullopt;
  return index;
}

std::optional<std::string> DiffEntries(const HistoryEntries& expected,
                                       const HistoryEntries& actual) {
  const size_t common = std::min(expected.size(), actual.size());
  for (size_t index = 0; index < common; index++) {
    const auto& [want_key, want_value] = expected[index];
    const auto& [key, value] = actual[index];
    if (want_key < key) return absl::StrFormat("missing key %s", want_key);
    if (key < want_key) return absl::StrFormat("unexpected key %s", key);
    if (value != want_value) {
      return absl::StrFormat("key %s: expected value \"%s\" (%d bytes), found \"%s\" (%d bytes)",
                             key, absl::CEscape(want_value), want_value.size(),
                             absl::CEscape(value), value.size());
    }
  }
  if (expected.size() != actual.size()) {
    return absl::StrFormat("%d entries expected, %d found (first extra or missing: %s)",
                           expected.size(), actual.size(),
                           expected.size() > common ? expected[common].first : actual[common].first);
  }
  return std::nullopt;
}

}  // namespace northstar::apps
