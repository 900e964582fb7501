// workload.kind = "kv": writers put, delete and get random keys in write transactions (some
// aborted); readers get, scan (forward, by prefix, in reverse) and read AS OF a retained commit,
// every result checked against the model. Runs on any target.
#include "sim/workloads/kv.h"

#include "sim/checkers_ops.h"

#include "absl/strings/str_format.h"
#include "util/assert.h"

namespace northstar::sim {

void KvWorkload::spawn(Scheduler& scheduler) {
  for (uint32_t index = 0; index < writers_.size(); index++) {
    scheduler.spawn(absl::StrFormat("writer-%d", index), [this, index] { writer(index); });
  }
  for (uint32_t index = 0; index < readers_.size(); index++) {
    scheduler.spawn(absl::StrFormat("reader-%d", index), [this, index] { reader(index); });
  }
}

void KvWorkload::writer(uint32_t index) {
  WorkloadGenerator& generator = writers_[index];
  while (transactions_left_[index] > 0 && !failed()) {
    absl::StatusOr<std::unique_ptr<TargetWriter>> txn = run_.target().begin_write();
    if (!txn.ok()) return on_engine_error(txn.status(), "begin_write");
    stats().transactions++;
    std::vector<engine::LogOp> ops;
    std::map<std::string, std::optional<std::string>> pending;
    const uint32_t op_count = generator.ops_in_transaction();
    for (uint32_t op = 0; op < op_count; op++) {
      stats().ops++;
      if (!write_op(**txn, generator, ops, pending)) return;
    }
    transactions_left_[index]--;
    if (generator.abort_transaction()) {
      (*txn)->abort();
      stats().aborts++;
      continue;
    }
    TargetWriter& writer = **txn;
    if (!run_.commit_tracked(writer.commit_id(), ops, [&writer] { return writer.commit(); })) {
      return;
    }
  }
}

bool KvWorkload::write_op(TargetWriter& txn, WorkloadGenerator& generator,
                   std::vector<engine::LogOp>& ops,
                   std::map<std::string, std::optional<std::string>>& pending) {
  const std::string key = generator.key();
  // What this transaction sees: its own writes over the last commit (CO-3).
  auto own = pending.find(key);
  const std::optional<std::string> visible =
      own != pending.end() ? own->second : model().get_at(model().last_attempted(), key);
  switch (generator.writer_op()) {
    case WriterOp::kPut: {
      std::string value = generator.value();
      runtime().record_op("put", key.size(), value.size());
      const absl::Status status = txn.put(key, value);
      if (!status.ok()) return on_engine_error(status, "put"), false;
      pending[key] = value;
      ops.push_back({engine::LogOpType::kPut, key, std::move(value)});
      return true;
    }
    case WriterOp::kDelete: {
      absl::StatusOr<bool> removed = txn.del(key);
      if (!removed.ok()) return on_engine_error(removed.status(), "delete"), false;
      runtime().record_op("delete", key.size(), *removed);
      check(CheckDelete(key, txn.commit_id(), *removed, visible.has_value()));
      if (failed()) return false;
      pending[key] = std::nullopt;
      if (*removed) ops.push_back({engine::LogOpType::kDelete, key, ""});
      return true;
    }
    case WriterOp::kGet: {
      absl::StatusOr<std::optional<std::string>> got = txn.get(key);
      if (!got.ok()) return on_engine_error(got.status(), "get in a write transaction"), false;
      runtime().record_op("get", key.size(), got->has_value());
      check(CheckReadYourWrites(key, txn.commit_id(), *got, visible));
      return !failed();
    }
  }
  return false;
}

void KvWorkload::reader(uint32_t index) {
  WorkloadGenerator& generator = readers_[index];
  while (reads_left_[index] > 0 && !failed()) {
    reads_left_[index]--;
    absl::StatusOr<std::unique_ptr<TargetReader>> read = run_.target().begin_read();
    if (!read.ok()) return on_engine_error(read.status(), "begin_read");
    stats().ops++;
    if (!read_op(**read, generator)) return;
    stats().reads++;
  }
}

bool KvWorkload::read_op(TargetReader& read, WorkloadGenerator& generator) {
  const std::string key = generator.key();
  switch (generator.reader_op()) {
    case ReaderOp::kGet: {
      absl::StatusOr<std::optional<std::string>> got = read.get(key);
      if (!got.ok()) return on_engine_error(got.status(), "get"), false;
      runtime().record_op("read", read.commit_id(), got->has_value());
      check(CheckSnapshotRead(model(), read.commit_id(), key, *got));
      return !failed();
    }
    case ReaderOp::kRangeScan:
      return check_scan(read, key, /*reverse=*/false, "");
    case ReaderOp::kPrefixScan:
      return check_scan(read, key.substr(0, key.size() - 1), false, key.substr(0, key.size() - 1));
    case ReaderOp::kReverseScan:
      return check_scan(read, key, /*reverse=*/true, "");
    case ReaderOp::kAsOfRead:
      return as_of_read(read, generator, key);
  }
  return false;
}

bool KvWorkload::as_of_read(TargetReader& read, WorkloadGenerator& generator, const std::string& key) {
  const uint64_t back = generator.rng().Uniform(scenario_.engine.retained_snapshots + 1);
  if (read.commit_id() <= back) return true;
  const uint64_t txn_id = read.commit_id() - back;
  absl::StatusOr<std::unique_ptr<TargetReader>> past = run_.target().begin_read_at(txn_id);
  if (past.status().code() == absl::StatusCode::kNotFound) return true;  // Not retained.
  if (!past.ok()) return on_engine_error(past.status(), "begin_read_at"), false;
  absl::StatusOr<std::optional<std::string>> got = (*past)->get(key);
  if (!got.ok()) return on_engine_error(got.status(), "get as of a past commit"), false;
  runtime().record_op("read-as-of", txn_id, got->has_value());
  check(CheckSnapshotRead(model(), txn_id, key, *got));
  return !failed();
}

bool KvWorkload::check_scan(TargetReader& read, const std::string& start, bool reverse,
                     const std::string& prefix) {
  absl::StatusOr<ScanEntries> got = read.scan(
      ScanRequest{.start = start, .reverse = reverse, .prefix = prefix, .limit = kScanEntriesMax});
  if (!got.ok()) return on_engine_error(got.status(), "scan"), false;
  const uint64_t txn_id = read.commit_id();
  ScanEntries want = reverse ? model().reverse_range_at(txn_id, start, kScanEntriesMax)
                             : model().range_at(txn_id, start, kScanEntriesMax);
  std::erase_if(want, [&](const auto& entry) { return !entry.first.starts_with(prefix); });
  runtime().record_op(reverse ? "reverse-scan" : "scan", txn_id, got->size());
  check(CheckScan(reverse, start, txn_id, *got, want));
  return !failed();
}

}  // namespace northstar::sim
