// A long history of small transactions and a compact model of it: what the macro/time_travel
// benchmark commits and then reads AS OF past txn ids, and what a time-travel simulation
// scenario can commit and check the same way.
//
// The history: transactions 1..txns (txn t is the engine's commit t of a fresh database), each
// of 1..writes_per_txn_max writes to distinct keys of a key space of `keys` keys: the first write
// a put, the others puts or (with delete_percent) deletes. Values are printable, between
// value_bytes_min and value_bytes_max bytes long, derived from (seed, key, txn). Every draw about
// txn t comes from a stream seeded by (seed, t): HistoryOps(config, t) is O(1) to compute.
//
// Keys: h:{index}, the index 10 zero-padded decimal digits (key order is index order).
//
// HistoryModel answers what any key held as of any txn, from 4 bytes per write: per key, the
// txns that wrote it (with a delete bit), ascending; values are regenerated on demand. The
// simulator's ReferenceModel (sim/model.h) keeps every value and every commit's key list, which
// for a million transactions costs hundreds of megabytes; this model costs tens.
//
// Thread safety: the functions are pure; a HistoryModel is immutable after construction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/log/record.h"

namespace northstar::apps {

inline constexpr uint64_t kHistoryTxnsMax = (uint64_t{1} << 31) - 1;  // The model's 31 bits.
inline constexpr uint64_t kHistoryKeysMax = 9'999'999'999;
inline constexpr uint32_t kHistoryWritesPerTxnMax = 64;
inline constexpr uint32_t kHistoryValueBytesMax = 4096;

struct HistoryConfig {
  uint64_t seed = 1;
  uint64_t txns = 1000;
  uint64_t keys = 1000;
  uint32_t writes_per_txn_max = 4;
  uint32_t delete_percent = 10;
  uint32_t value_bytes_min = 8;
  uint32_t value_bytes_max = 48;
};

// InvalidArgument naming the field: 1..kHistoryTxnsMax txns, writes_per_txn_max..kHistoryKeysMax
// keys, 1..kHistoryWritesPerTxnMax writes, delete_percent <= 100, 1 <= value_bytes_min <=
// value_bytes_max <= kHistoryValueBytesMax.
[[nodiscard]] absl::Status ValidateHistoryConfig(const HistoryConfig& config);

// "h:0000000042".
[[nodiscard]] std::string HistoryKey(uint64_t key_index);
// The value txn `txn` puts into key `key_index`.
[[nodiscard]] std::string HistoryValue(const HistoryConfig& config, uint64_t key_index,
                                       uint64_t txn);
struct HistoryWrite {
  uint64_t key_index = 0;
  bool deleted = false;  // A delete; otherwise a put of HistoryValue(config, key_index, txn).
};
// The writes of txn `txn` (1..txns), to distinct keys, in the order they are made; the first is
// a put. Precondition: a valid config.
[[nodiscard]] std::vector<HistoryWrite> HistoryWrites(const HistoryConfig& config, uint64_t txn);
// The same writes as the commit's operations (keys and values made).
[[nodiscard]] std::vector<engine::LogOp> HistoryOps(const HistoryConfig& config, uint64_t txn);

class HistoryModel {
 public:
  // Generates txns 1..config.txns. Precondition: a valid config.
  explicit HistoryModel(const HistoryConfig& config);

  // The value of key `key_index` as of txn `txn` (0: before the first), nullopt when absent.
  [[nodiscard]] std::optional<std::string> value_at(uint64_t key_index, uint64_t txn) const;
  // Up to `limit` present entries as of `txn` with key index >= from_key_index, in key order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> range_at(
      uint64_t txn, uint64_t from_key_index, size_t limit) const;
  // The key index of a key of this history (h:{index} with index < keys); nullopt otherwise.
  [[nodiscard]] std::optional<uint64_t> key_index_of(std::string_view key) const;
  // The whole state as of `txn`.
  [[nodiscard]] std::map<std::string, std::string> state_at(uint64_t txn) const;

  [[nodiscard]] const HistoryConfig& config() const { return config_; }
  [[nodiscard]] uint64_t writes() const { return writes_; }

 private:
  HistoryConfig config_;
  // Per key: (txn << 1) | deleted, ascending by txn.
  std::vector<std::vector<uint32_t>> versions_;
  uint64_t writes_ = 0;
};

using HistoryEntries = std::vector<std::pair<std::string, std::string>>;
// The first difference between two ordered entry lists ("key h:0000000003: expected value \"ab\"
// (2 bytes), found \"ax\" (2 bytes)", "missing key ...", "unexpected key ...", "...: 3 entries
// expected, 4 found"), or nullopt when they are byte-identical.
[[nodiscard]] std::optional<std::string> DiffEntries(const HistoryEntries& expected,
                                                     const HistoryEntries& actual);

}  // namespace northstar::apps
