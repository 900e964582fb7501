#include "cartridge/verify.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "cartridge/pending_tasks.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

// The snapshot at `watermark`, or nullopt when the database no longer retains it.
absl::StatusOr<std::unique_ptr<engine::ReadTxn>> SnapshotAt(engine::Db& db, engine::TxnId watermark) {
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> txn = db.begin_read_at(watermark);
  if (txn.ok() || !absl::IsNotFound(txn.status())) return txn;
  return std::unique_ptr<engine::ReadTxn>();
}

// Compares the cartridge with a scan at its watermark; the first difference, or "".
absl::StatusOr<std::string> CompareWithScan(engine::ReadTxn& txn, const MappedCartridge& cartridge) {
  NS_ASSIGN_OR_RETURN(const PendingTasks expected, ScanPendingTasks(txn));
  const PendingTasks actual = cartridge.view().ToContent();
  if (std::optional<std::string> difference = FirstDifference(expected, actual)) {
    return absl::StrFormat("content differs from the database at txn %d: %s", txn.txn_id(),
                           *difference);
  }
  // Equal content must mean equal bytes (one encoding per content); if not, the decoder
  // accepted a non-canonical file.
  const std::vector<uint8_t> encoded = EncodeCartridge(txn.txn_id(), expected);
  const std::span<const uint8_t> bytes = cartridge.view().bytes();
  const auto [at, unused] = std::mismatch(encoded.begin(), encoded.end(), bytes.begin(),
                                          bytes.end());
  if (at != encoded.end() || encoded.size() != bytes.size()) {
    return absl::StrFormat("content equal to the database's, but the bytes differ from its "
                           "encoding at offset %d",
                           at - encoded.begin());
  }
  return std::string();
}

}  // namespace

absl::StatusOr<VerifyResult> VerifyCartridge(vfs::FileSystem& fs, engine::Db& db) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> latest, db.begin_read());
  VerifyResult result{.database_txn = latest->txn_id()};
  NS_ASSIGN_OR_RETURN(CartridgeCheck check,
                      CheckCartridge(fs, CartridgePathFor(db.path()), result.database_txn));
  result.state = check.state;
  result.state_reason = check.reason;
  if (check.cartridge == nullptr) {
    result.finding = absl::StrFormat("%s: %s", CartridgeStateName(check.state), check.reason);
    return result;
  }
  const engine::TxnId watermark = check.cartridge->watermark_txn();
  result.watermark_txn = watermark;
  std::unique_ptr<engine::ReadTxn> at_watermark;
  if (watermark == result.database_txn) {
    at_watermark = std::move(latest);
  } else if (watermark < result.database_txn) {
    NS_ASSIGN_OR_RETURN(at_watermark, SnapshotAt(db, watermark));
  }
  if (at_watermark != nullptr) {
    NS_ASSIGN_OR_RETURN(result.finding, CompareWithScan(*at_watermark, *check.cartridge));
    result.compared = true;
  }
  if (result.finding.empty() && check.state != CartridgeState::kFresh) {
    result.finding = absl::StrFormat(
        "%s: %s%s", CartridgeStateName(check.state), check.reason,
        result.compared ? " (the content matches the database at the watermark)"
                        : "; the snapshot at the watermark is gone, so the content cannot be "
                          "compared");
  }
  return result;
}

}  // namespace northstar::cartridge
