#include "sim/checkers_ops.h"

#include "absl/strings/str_format.h"

namespace northstar::sim {

std::optional<CheckFailure> CheckEngineError(const absl::Status& status, std::string_view what,
                                             bool damage_allowed, bool disk_halted) {
  if (status.code() != absl::StatusCode::kDataLoss || damage_allowed || disk_halted) {
    return std::nullopt;
  }
  return CheckFailure{Verdict::kCorruption,
                      absl::StrFormat("corruption: %s failed with Corruption though no bit rot or "
                                      "misdirected write was injected: %s",
                                      what, status.message())};
}

std::optional<CheckFailure> CheckRecoveryOpen(const absl::Status& opened) {
  if (opened.ok()) return std::nullopt;
  return CheckFailure{
      opened.code() == absl::StatusCode::kDataLoss ? Verdict::kCorruption : Verdict::kCrashState,
      absl::StrFormat("recovery: open failed: %s", opened.message())};
}

std::optional<CheckFailure> CheckStructure(const std::vector<StructureProblem>& problems) {
  if (problems.empty()) return std::nullopt;
  const StructureProblem& first = problems.front();
  return CheckFailure{first.verdict,
                      absl::StrFormat("%s: %s", VerdictName(first.verdict), first.message)};
}

std::optional<CheckFailure> CheckLiveness(const absl::Status& scheduler_status) {
  if (scheduler_status.ok()) return std::nullopt;
  return CheckFailure{Verdict::kLiveness,
                      absl::StrFormat("liveness: %s", scheduler_status.message())};
}

std::optional<CheckFailure> CheckReadYourWrites(std::string_view key, uint64_t txn_id,
                                                const std::optional<std::string>& got,
                                                const std::optional<std::string>& want) {
  if (got == want) return std::nullopt;
  return CheckFailure{
      Verdict::kSnapshotIsolation,
      absl::StrFormat("snapshot-isolation: read-your-writes: get of %s in txn %d saw %s, "
                      "expected %s",
                      key, txn_id, got.has_value() ? "a value" : "nothing",
                      want ? "a value" : "nothing")};
}

std::optional<CheckFailure> CheckDelete(std::string_view key, uint64_t txn_id, bool removed,
                                        bool existed) {
  if (removed == existed) return std::nullopt;
  return CheckFailure{
      Verdict::kSnapshotIsolation,
      absl::StrFormat("snapshot-isolation: delete of %s in txn %d %s, but the key %s", key,
                      txn_id, removed ? "removed it" : "found nothing",
                      existed ? "exists" : "does not exist")};
}

std::optional<CheckFailure> CheckScan(bool reverse, std::string_view start, uint64_t txn_id,
                                      const ScanEntries& got, const ScanEntries& want) {
  if (got == want) return std::nullopt;
  return CheckFailure{
      Verdict::kSnapshotIsolation,
      absl::StrFormat("snapshot-isolation: %s scan from %s in the snapshot of commit %d "
                      "returned %d entries, the model has %d%s",
                      reverse ? "reverse" : "forward", start, txn_id, got.size(), want.size(),
                      got.size() == want.size() ? " (a key or value differs)" : "")};
}

std::optional<CheckFailure> CheckPrefixScan(std::string_view what, std::string_view prefix,
                                            uint64_t txn_id, const ScanEntries& got,
                                            const ScanEntries& want) {
  if (got == want) return std::nullopt;
  return CheckFailure{
      Verdict::kSnapshotIsolation,
      absl::StrFormat("snapshot-isolation: %s (a scan of \"%s\") in the snapshot of commit %d "
                      "returned %d entries that differ from the model's",
                      what, prefix, txn_id, got.size())};
}

std::optional<CheckFailure> CheckWriteBase(uint64_t write_txn, uint64_t base_txn) {
  if (base_txn + 1 == write_txn) return std::nullopt;
  return CheckFailure{Verdict::kSnapshotIsolation,
                      absl::StrFormat("snapshot-isolation: write transaction %d began, but the "
                                      "latest snapshot is of commit %d, not %d",
                                      write_txn, base_txn, write_txn - 1)};
}

}  // namespace northstar::sim
