#include "cartridge/refresh.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "cartridge/catch_up.h"
#include "cartridge/pending_tasks.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

// The state of a cartridge that decoded.
CartridgeCheck Classify(std::unique_ptr<MappedCartridge> cartridge, engine::TxnId database_txn) {
  const engine::TxnId watermark = cartridge->watermark_txn();
  CartridgeCheck check;
  if (watermark == database_txn) {
    check.state = CartridgeState::kFresh;
    check.reason = absl::StrFormat("watermark %d is the database's latest commit", watermark);
  } else if (watermark > database_txn) {
    check.state = CartridgeState::kAhead;
    check.reason = absl::StrFormat(
        "watermark %d is ahead of the database's latest commit %d: the database was replaced "
        "or restored",
        watermark, database_txn);
  } else {
    check.state = CartridgeState::kStale;
    check.reason = absl::StrFormat("watermark %d, database at %d: %d commits behind", watermark,
                                   database_txn, database_txn - watermark);
  }
  check.cartridge = std::move(cartridge);
  return check;
}

// Why a file that exists does not decode: an unsupported version, or corruption.
absl::StatusOr<CartridgeCheck> ClassifyUndecodable(vfs::FileSystem& fs, const std::string& path,
                                                   const absl::Status& decode_error) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file, fs.open(path, {}));
  std::vector<uint8_t> start(8);
  NS_ASSIGN_OR_RETURN(const size_t read_bytes, file->pread(0, start));
  start.resize(read_bytes);
  const std::optional<uint16_t> version = PeekCartridgeFormatVersion(start);
  if (version && *version != kCartridgeFormatVersion) {
    return CartridgeCheck{
        .state = CartridgeState::kUnsupportedVersion,
        .reason = absl::StrFormat("%s: format version %d, this build reads version %d", path,
                                  *version, kCartridgeFormatVersion)};
  }
  return CartridgeCheck{.state = CartridgeState::kCorrupt,
                        .reason = std::string(decode_error.message())};
}

// Writes `content` as the cartridge at `txn`'s snapshot and opens what was written.
absl::StatusOr<std::shared_ptr<const MappedCartridge>> WriteAndOpen(vfs::FileSystem& fs,
                                                                    const std::string& path,
                                                                    engine::TxnId txn,
                                                                    const PendingTasks& content) {
  NS_RETURN_IF_ERROR(CheckCartridgeLimits(content));
  const std::vector<uint8_t> bytes = EncodeCartridge(txn, content);
  NS_RETURN_IF_ERROR(WriteCartridgeFile(fs, path, bytes));
  NS_ASSIGN_OR_RETURN(std::unique_ptr<MappedCartridge> written, MappedCartridge::Open(fs, path));
  if (written->watermark_txn() != txn || written->file_bytes() != bytes.size()) {
    return absl::AbortedError(absl::StrFormat(
        "%s: another writer replaced the cartridge just written (watermark %d, expected %d)", path,
        written->watermark_txn(), txn));
  }
  return std::shared_ptr<const MappedCartridge>(std::move(written));
}

// Catches the stale cartridge in `check` up to `txn`'s snapshot; an error when the log cannot.
absl::Status CatchUp(vfs::FileSystem& fs, engine::Db& db, engine::ReadTxn& txn, const RefreshPolicy& policy,
                     const MappedCartridge& stale, Refreshed& result) {
  const engine::TxnId watermark = stale.watermark_txn();
  const uint64_t behind = txn.txn_id() - watermark;
  if (behind > policy.catch_up_commits_max) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%d commits behind, more than catch_up_commits_max %d", behind,
        policy.catch_up_commits_max));
  }
  NS_ASSIGN_OR_RETURN(
      const TouchedIds touched,
      TouchedIdsFromLog(fs, engine::LogPathFor(db.path()), watermark, txn.txn_id(), policy.log_limits,
                        policy.catch_up_log_records_max));
  PendingTasks content = stale.view().ToContent();
  NS_RETURN_IF_ERROR(ApplyTouchedIds(txn, touched.ids, content));
  NS_ASSIGN_OR_RETURN(result.cartridge, WriteAndOpen(fs, stale.path(), txn.txn_id(), content));
  result.action = RefreshAction::kCaughtUp;
  result.log_records_read = touched.records_read;
  result.touched_ids = touched.ids.size();
  return absl::OkStatus();
}

absl::Status Rebuild(vfs::FileSystem& fs, const std::string& path, engine::ReadTxn& txn,
                     Refreshed& result) {
  NS_ASSIGN_OR_RETURN(const PendingTasks content, ScanPendingTasks(txn));
  NS_ASSIGN_OR_RETURN(result.cartridge, WriteAndOpen(fs, path, txn.txn_id(), content));
  result.action = RefreshAction::kRebuilt;
  return absl::OkStatus();
}

}  // namespace

const char* CartridgeStateName(CartridgeState state) {
  switch (state) {
    case CartridgeState::kAbsent:
      return "absent";
    case CartridgeState::kUnsupportedVersion:
      return "unsupported-version";
    case CartridgeState::kCorrupt:
      return "corrupt";
    case CartridgeState::kAhead:
      return "ahead";
    case CartridgeState::kStale:
      return "stale";
    case CartridgeState::kFresh:
      return "fresh";
  }
  NS_ASSERT(false);
  return "";
}

const char* RefreshActionName(RefreshAction action) {
  switch (action) {
    case RefreshAction::kServed:
      return "served";
    case RefreshAction::kCaughtUp:
      return "caught-up";
    case RefreshAction::kRebuilt:
      return "rebuilt";
  }
  NS_ASSERT(false);
  return "";
}

absl::StatusOr<CartridgeCheck> CheckCartridge(vfs::FileSystem& fs, const std::string& path,
                                              engine::TxnId database_txn) {
  absl::StatusOr<std::unique_ptr<MappedCartridge>> opened = MappedCartridge::Open(fs, path);
  if (opened.ok()) return Classify(*std::move(opened), database_txn);
  if (absl::IsNotFound(opened.status())) {
    return CartridgeCheck{.state = CartridgeState::kAbsent,
                          .reason = absl::StrFormat("%s does not exist", path)};
  }
  if (absl::IsDataLoss(opened.status())) return ClassifyUndecodable(fs, path, opened.status());
  return opened.status();
}

absl::StatusOr<Refreshed> AcquireFresh(vfs::FileSystem& fs, engine::Db& db, const RefreshPolicy& policy) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db.begin_read());
  const std::string path = CartridgePathFor(db.path());
  NS_ASSIGN_OR_RETURN(CartridgeCheck check, CheckCartridge(fs, path, txn->txn_id()));
  Refreshed result{.txn = txn->txn_id(), .found = check.state, .reason = check.reason};
  if (check.state == CartridgeState::kFresh) {
    result.cartridge = std::move(check.cartridge);
    return result;
  }
  if (check.state == CartridgeState::kStale) {
    const absl::Status caught_up = CatchUp(fs, db, *txn, policy, *check.cartridge, result);
    if (caught_up.ok()) return result;
    // Catch-up is an optimization: whatever stopped it, a rebuild gives the same file.
    result.reason += absl::StrFormat("; no catch-up: %s", caught_up.message());
  }
  NS_RETURN_IF_ERROR(Rebuild(fs, path, *txn, result));
  NS_ASSERT(result.cartridge->watermark_txn() == result.txn);
  return result;
}

absl::StatusOr<Refreshed> RebuildCartridge(vfs::FileSystem& fs, engine::Db& db) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db.begin_read());
  const std::string path = CartridgePathFor(db.path());
  NS_ASSIGN_OR_RETURN(CartridgeCheck check, CheckCartridge(fs, path, txn->txn_id()));
  Refreshed result{.txn = txn->txn_id(), .found = check.state, .reason = check.reason};
  check.cartridge.reset();  // Let go of the old file's mapping before replacing it.
  NS_RETURN_IF_ERROR(Rebuild(fs, path, *txn, result));
  return result;
}

absl::StatusOr<std::vector<uint8_t>> BuildCartridgeBytes(engine::ReadTxn& txn) {
  NS_ASSIGN_OR_RETURN(const PendingTasks content, ScanPendingTasks(txn));
  NS_RETURN_IF_ERROR(CheckCartridgeLimits(content));
  return EncodeCartridge(txn.txn_id(), content);
}

}  // namespace northstar::cartridge
