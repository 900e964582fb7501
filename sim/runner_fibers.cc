// The runner's writer and reader fibers: the workload, checked against the model as it goes.
#include "absl/strings/str_format.h"
#include "sim/runner_internal.h"
#include "util/assert.h"

namespace northstar::sim::internal {

void Run::writer(uint32_t index) {
  WorkloadGenerator& generator = writers_[index];
  while (transactions_left_[index] > 0 && !failed()) {
    absl::StatusOr<std::unique_ptr<TargetWriter>> txn = target_->begin_write();
    if (!txn.ok()) return on_engine_error(txn.status(), "begin_write");
    result_.stats.transactions++;
    std::vector<engine::LogOp> ops;
    std::map<std::string, std::optional<std::string>> pending;
    const uint32_t op_count = generator.ops_in_transaction();
    for (uint32_t op = 0; op < op_count; op++) {
      result_.stats.ops++;
      if (!write_op(**txn, generator, ops, pending)) return;
    }
    transactions_left_[index]--;
    if (generator.abort_transaction()) {
      (*txn)->abort();
      result_.stats.aborts++;
      continue;
    }
    TargetWriter& writer = **txn;
    if (!commit_tracked(writer.commit_id(), ops, [&writer] { return writer.commit(); })) return;
  }
}

bool Run::commit_tracked(uint64_t txn_id, const std::vector<engine::LogOp>& ops,
                         absl::FunctionRef<absl::Status()> commit) {
  if (!ops.empty()) {
    model_.attempt(txn_id, ops);
    if (scenario_.workload.kind == WorkloadKind::kTaskQueue) {
      // CO-13 on the state this commit makes (it commits in txn order: one writer at a time).
      queue_.apply(ops);
      check(CheckTaskQueueInvariants(queue_, absl::StrFormat("the state commit %d makes", txn_id)));
    }
  }
  epoch_->runtime.record_op("commit", txn_id, ops.size());
  const absl::Status status = commit();
  if (!status.ok()) {
    on_engine_error(status, absl::StrFormat("commit of txn %d", txn_id));
    return false;
  }
  if (!ops.empty()) {
    model_.acknowledge(txn_id);
    result_.stats.commits++;
  }
  model_.checkpointed(target_->durable_commit_id());
  return true;
}

bool Run::write_op(TargetWriter& txn, WorkloadGenerator& generator,
                   std::vector<engine::LogOp>& ops,
                   std::map<std::string, std::optional<std::string>>& pending) {
  const std::string key = generator.key();
  // What this transaction sees: its own writes over the last commit (CO-3).
  auto own = pending.find(key);
  const std::optional<std::string> visible =
      own != pending.end() ? own->second : model_.get_at(model_.last_attempted(), key);
  switch (generator.writer_op()) {
    case WriterOp::kPut: {
      std::string value = generator.value();
      epoch_->runtime.record_op("put", key.size(), value.size());
      const absl::Status status = txn.put(key, value);
      if (!status.ok()) return on_engine_error(status, "put"), false;
      pending[key] = value;
      ops.push_back({engine::LogOpType::kPut, key, std::move(value)});
      return true;
    }
    case WriterOp::kDelete: {
      absl::StatusOr<bool> removed = txn.del(key);
      if (!removed.ok()) return on_engine_error(removed.status(), "delete"), false;
      epoch_->runtime.record_op("delete", key.size(), *removed);
      if (*removed != visible.has_value()) {
        fail(Verdict::kSnapshotIsolation,
             absl::StrFormat("snapshot-isolation: delete of %s in txn %d %s, but the key %s", key,
                             txn.commit_id(), *removed ? "removed it" : "found nothing",
                             visible ? "exists" : "does not exist"));
        return false;
      }
      pending[key] = std::nullopt;
      if (*removed) ops.push_back({engine::LogOpType::kDelete, key, ""});
      return true;
    }
    case WriterOp::kGet: {
      absl::StatusOr<std::optional<std::string>> got = txn.get(key);
      if (!got.ok()) return on_engine_error(got.status(), "get in a write transaction"), false;
      epoch_->runtime.record_op("get", key.size(), got->has_value());
      if (*got != visible) {
        fail(Verdict::kSnapshotIsolation,
             absl::StrFormat("snapshot-isolation: read-your-writes: get of %s in txn %d saw %s, "
                             "expected %s",
                             key, txn.commit_id(), got->has_value() ? "a value" : "nothing",
                             visible ? "a value" : "nothing"));
        return false;
      }
      return true;
    }
  }
  return false;
}

void Run::reader(uint32_t index) {
  WorkloadGenerator& generator = readers_[index];
  while (reads_left_[index] > 0 && !failed()) {
    reads_left_[index]--;
    absl::StatusOr<std::unique_ptr<TargetReader>> read = target_->begin_read();
    if (!read.ok()) return on_engine_error(read.status(), "begin_read");
    result_.stats.ops++;
    if (!read_op(**read, generator)) return;
    result_.stats.reads++;
  }
}

bool Run::read_op(TargetReader& read, WorkloadGenerator& generator) {
  const std::string key = generator.key();
  switch (generator.reader_op()) {
    case ReaderOp::kGet: {
      absl::StatusOr<std::optional<std::string>> got = read.get(key);
      if (!got.ok()) return on_engine_error(got.status(), "get"), false;
      epoch_->runtime.record_op("read", read.commit_id(), got->has_value());
      check(CheckSnapshotRead(model_, read.commit_id(), key, *got));
      return !failed();
    }
    case ReaderOp::kRangeScan:
      return check_scan(read, key, /*reverse=*/false, "");
    case ReaderOp::kPrefixScan:
      return check_scan(read, key.substr(0, key.size() - 1), false, key.substr(0, key.size() - 1));
    case ReaderOp::kReverseScan:
      return check_scan(read, key, /*reverse=*/true, "");
    case ReaderOp::kAsOfRead:
      if (scenario_.workload.kind == WorkloadKind::kTimeTravel) {
        return time_travel_read(read.commit_id(), generator);
      }
      return as_of_read(read, generator, key);
  }
  return false;
}

bool Run::as_of_read(TargetReader& read, WorkloadGenerator& generator, const std::string& key) {
  const uint64_t back = generator.rng().Uniform(scenario_.engine.retained_snapshots + 1);
  if (read.commit_id() <= back) return true;
  const uint64_t txn_id = read.commit_id() - back;
  absl::StatusOr<std::unique_ptr<TargetReader>> past = target_->begin_read_at(txn_id);
  if (past.status().code() == absl::StatusCode::kNotFound) return true;  // Not retained.
  if (!past.ok()) return on_engine_error(past.status(), "begin_read_at"), false;
  absl::StatusOr<std::optional<std::string>> got = (*past)->get(key);
  if (!got.ok()) return on_engine_error(got.status(), "get as of a past commit"), false;
  epoch_->runtime.record_op("read-as-of", txn_id, got->has_value());
  check(CheckSnapshotRead(model_, txn_id, key, *got));
  return !failed();
}

bool Run::check_scan(TargetReader& read, const std::string& start, bool reverse,
                     const std::string& prefix) {
  absl::StatusOr<ScanEntries> got = read.scan(
      ScanRequest{.start = start, .reverse = reverse, .prefix = prefix, .limit = kScanEntriesMax});
  if (!got.ok()) return on_engine_error(got.status(), "scan"), false;
  const uint64_t txn_id = read.commit_id();
  ScanEntries want = reverse ? model_.reverse_range_at(txn_id, start, kScanEntriesMax)
                             : model_.range_at(txn_id, start, kScanEntriesMax);
  std::erase_if(want, [&](const auto& entry) { return !entry.first.starts_with(prefix); });
  epoch_->runtime.record_op(reverse ? "reverse-scan" : "scan", txn_id, got->size());
  if (*got != want) {
    fail(Verdict::kSnapshotIsolation,
         absl::StrFormat("snapshot-isolation: %s scan from %s in the snapshot of commit %d "
                         "returned %d entries, the model has %d%s",
                         reverse ? "reverse" : "forward", start, txn_id, got->size(), want.size(),
                         got->size() == want.size() ? " (a key or value differs)" : ""));
    return false;
  }
  return true;
}

}  // namespace northstar::sim::internal
