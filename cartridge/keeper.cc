#include "cartridge/keeper.h"

#include <utility>

#include "util/assert.h"
#include "util/status.h"

namespace northstar::cartridge {

CartridgeKeeper::CartridgeKeeper(vfs::FileSystem& fs, engine::Db& db, RefreshPolicy policy,
                                 RefreshTrigger trigger)
    : fs_(fs), db_(db), policy_(std::move(policy)), trigger_(trigger) {
  NS_ASSERT(trigger_.commits_behind_max >= 1);
}

absl::Status CartridgeKeeper::refresh() {
  NS_ASSIGN_OR_RETURN(Refreshed refreshed, AcquireFresh(fs_, db_, policy_));
  NS_ASSERT(refreshed.cartridge != nullptr);
  NS_ASSERT(refreshed.cartridge->watermark_txn() == refreshed.txn);
  held_ = refreshed.cartridge;
  last_refresh_ = std::move(refreshed);
  refreshes_++;
  behind_since_ns_.reset();
  return absl::OkStatus();
}

absl::StatusOr<engine::TxnId> CartridgeKeeper::latest_txn() {
  // A read transaction, not engine::Db::stats(): stats() also sums the pending page lists, which grow
  // with the commits since the last checkpoint, and this runs on every lookup.
  NS_ASSIGN_OR_RETURN(const std::unique_ptr<engine::ReadTxn> txn, db_.begin_read());
  return txn->txn_id();
}

absl::StatusOr<std::shared_ptr<const MappedCartridge>> CartridgeKeeper::current() {
  NS_ASSIGN_OR_RETURN(const engine::TxnId latest, latest_txn());
  if (held_ == nullptr || held_->watermark_txn() != latest) NS_RETURN_IF_ERROR(refresh());
  return held_;
}

absl::StatusOr<bool> CartridgeKeeper::poll(uint64_t now_ns) {
  NS_ASSIGN_OR_RETURN(const engine::TxnId latest, latest_txn());
  if (held_ != nullptr && held_->watermark_txn() == latest) {
    behind_since_ns_.reset();
    return false;
  }
  // A held cartridge ahead of the database (replaced under us) or none at all: refresh now.
  const bool behind = held_ != nullptr && held_->watermark_txn() < latest;
  if (behind) {
    if (!behind_since_ns_) behind_since_ns_ = now_ns;
    const uint64_t commits_behind = latest - held_->watermark_txn();
    const uint64_t behind_ns = now_ns >= *behind_since_ns_ ? now_ns - *behind_since_ns_ : 0;
    if (commits_behind < trigger_.commits_behind_max && behind_ns < trigger_.stale_ns_max) {
      return false;
    }
  }
  NS_RETURN_IF_ERROR(refresh());
  return true;
}

}  // namespace northstar::cartridge
