// CartridgeKeeper: keeps one database's pending_tasks_by_type cartridge for lookups, refreshing
// it on demand (a lookup never sees a stale cartridge) and ahead of demand by trigger, so that a
// burst of commits is folded in before the next query has to wait for it.
//
// Trigger (RefreshTrigger, spec/cartridge_format.md CF-12): poll() refreshes once the cartridge
// is commits_behind_max commits behind the database's latest commit (default 1,000), or once it
// has been behind for stale_ns_max (default 1 s) by the clock the caller passes (the Runtime's
// now_ns(): virtual in simulation, so that the trigger is deterministic there).
//
// Thread safety: none; one thread uses a keeper. The cartridges it hands out are immutable and
// may be read from any thread while the keeper moves on to newer ones.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "cartridge/refresh.h"

namespace northstar::cartridge {

struct RefreshTrigger {
  uint64_t commits_behind_max = 1000;
  uint64_t stale_ns_max = 1'000'000'000;
};

class CartridgeKeeper {
 public:
  // `fs` and `db` must outlive the keeper.
  CartridgeKeeper(vfs::FileSystem& fs, engine::Db& db, RefreshPolicy policy = {},
                  RefreshTrigger trigger = {});

  // A cartridge reflecting the database's latest commit: the one held when the database has not
  // moved since, otherwise refreshed now (AcquireFresh).
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const MappedCartridge>> current();

  // Refreshes when the trigger fires; true if it refreshed. Call after commits, or periodically.
  [[nodiscard]] absl::StatusOr<bool> poll(uint64_t now_ns);

  // The last refresh (what it found, what it did); nullopt before the first.
  [[nodiscard]] const std::optional<Refreshed>& last_refresh() const { return last_refresh_; }
  [[nodiscard]] uint64_t refreshes() const { return refreshes_; }

 private:
  [[nodiscard]] absl::Status refresh();
  // The database's latest commit.
  [[nodiscard]] absl::StatusOr<engine::TxnId> latest_txn();

  vfs::FileSystem& fs_;
  engine::Db& db_;
  const RefreshPolicy policy_;
  const RefreshTrigger trigger_;
  std::shared_ptr<const MappedCartridge> held_;
  std::optional<Refreshed> last_refresh_;
  uint64_t refreshes_ = 0;
  // When poll() first saw the held cartridge behind the database; nullopt while it is not.
  std::optional<uint64_t> behind_since_ns_;
};

}  // namespace northstar::cartridge
