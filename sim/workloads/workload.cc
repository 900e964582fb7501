// The workload base: generators and counters per fiber, and the building blocks of the
// application workloads on our engine (task queue, time travel, code graph): write operations
// that feed and check against the model, and scans of whole prefixes and snapshots.
#include "sim/workloads/workload.h"

#include "sim/checkers_ops.h"

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/random.h"

namespace northstar::sim {

Workload::Workload(RunContext& run) : run_(run), scenario_(run.scenario()) {
  const WorkloadConfig& workload = scenario_.workload;
  transactions_left_.assign(workload.writers, workload.transactions);
  reads_left_.assign(workload.readers, workload.reads_per_reader);
  for (uint32_t index = 0; index < workload.writers; index++) {
    writers_.emplace_back(workload,
                          Rng(DeriveSeed(scenario_.seed, absl::StrFormat("writer-%d", index))));
  }
  for (uint32_t index = 0; index < workload.readers; index++) {
    readers_.emplace_back(workload,
                          Rng(DeriveSeed(scenario_.seed, absl::StrFormat("reader-%d", index))));
  }
}

bool Workload::done() const {
  for (uint32_t left : transactions_left_) {
    if (left > 0) return false;
  }
  return true;
}

uint64_t Workload::transactions_ahead() const { return transactions_left(); }

uint64_t Workload::transactions_left() const {
  uint64_t left = 0;
  for (uint32_t transactions : transactions_left_) left += transactions;
  return left;
}

std::optional<std::string> Workload::visible(const TrackedTxn& txn, const std::string& key) {
  // What this transaction sees: its own writes over the last commit (CO-3).
  auto own = txn.pending.find(key);
  return own != txn.pending.end() ? own->second : model().get_at(model().last_attempted(), key);
}

bool Workload::tracked_get(TrackedTxn& txn, const std::string& key,
                      std::optional<std::string>& value) {
  stats().ops++;
  absl::StatusOr<std::optional<std::string>> got = txn.txn.get(key);
  if (!got.ok()) return on_engine_error(got.status(), "get in a write transaction"), false;
  runtime().record_op("get", key.size(), got->has_value());
  check(CheckReadYourWrites(key, txn.txn.txn_id(), *got, visible(txn, key)));
  if (failed()) return false;
  value = std::move(*got);
  return true;
}

bool Workload::tracked_put(TrackedTxn& txn, const std::string& key, std::string value) {
  stats().ops++;
  runtime().record_op("put", key.size(), value.size());
  const absl::Status status = txn.txn.put(key, value);
  if (!status.ok()) return on_engine_error(status, "put"), false;
  txn.pending[key] = value;
  txn.ops.push_back({engine::LogOpType::kPut, key, std::move(value)});
  return true;
}

bool Workload::tracked_del(TrackedTxn& txn, const std::string& key) {
  stats().ops++;
  const bool exists = visible(txn, key).has_value();
  absl::StatusOr<bool> removed = txn.txn.del(key);
  if (!removed.ok()) return on_engine_error(removed.status(), "delete"), false;
  runtime().record_op("delete", key.size(), *removed);
  check(CheckDelete(key, txn.txn.txn_id(), *removed, exists));
  if (failed()) return false;
  txn.pending[key] = std::nullopt;
  if (*removed) txn.ops.push_back({engine::LogOpType::kDelete, key, ""});
  return true;
}

bool Workload::scan_prefix(engine::ReadTxn& read, std::string_view prefix, size_t limit,
                      Entries& entries) {
  std::unique_ptr<engine::Cursor> cursor = read.cursor();
  absl::Status status = cursor->seek(prefix);
  size_t count = 0;
  while (status.ok() && cursor->valid() && count < limit && cursor->key().starts_with(prefix)) {
    absl::StatusOr<std::string> value = cursor->value();
    if (!value.ok()) {
      status = value.status();
      break;
    }
    entries.emplace_back(cursor->key(), std::move(*value));
    count++;
    status = cursor->next();
  }
  if (!status.ok()) return on_engine_error(status, "scan"), false;
  return true;
}

bool Workload::check_prefix(engine::ReadTxn& read, const std::string& prefix, std::string_view what,
                       Entries& entries) {
  if (!scan_prefix(read, prefix, kStateEntriesMax, entries)) return false;
  check(CheckPrefixScan(what, prefix, read.txn_id(), entries,
                        model().prefix_at(read.txn_id(), prefix)));
  return !failed();
}

bool Workload::check_whole_snapshot(engine::ReadTxn& read, uint64_t txn_id, std::string_view what) {
  Entries entries;
  if (!scan_prefix(read, "", kStateEntriesMax, entries)) return false;
  const KeyValues got(entries.begin(), entries.end());
  runtime().record_op("whole-snapshot", read.txn_id(), got.size());
  check(CheckSnapshotState(model(), txn_id, got, what));
  return !failed();
}

std::unique_ptr<engine::ReadTxn> Workload::base_snapshot(const TrackedTxn& txn) {
  NS_ASSERT(txn.pending.empty());  // Else the snapshot would not be the transaction's view.
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> base = db()->begin_read();
  if (!base.ok()) return on_engine_error(base.status(), "begin_read in a write transaction"), nullptr;
  check(CheckWriteBase(txn.txn.txn_id(), (*base)->txn_id()));
  if (failed()) return nullptr;
  return std::move(*base);
}

}  // namespace northstar::sim
