// The invalidation policy of the pending_tasks_by_type cartridge (spec/cartridge_format.md,
// CF-11, CF-12): what state a cartridge file is in against its database, and how it is brought
// back to the database's latest commit. A cartridge is served only when it decodes and its
// watermark equals the txn id of the snapshot the caller reads: never stale, ahead or corrupt.
//
//   absent               no file                                      -> full rebuild
//   unsupported-version  magic right, format version not this build's -> full rebuild
//   corrupt              any other decode failure (CRC, field, size)  -> full rebuild
//   ahead                watermark > database's latest commit: the     -> full rebuild
//                        database was replaced or restored
//   stale                watermark < database's latest commit          -> catch-up from the log
//                                                                          if it holds the
//                                                                          commits and they are
//                                                                          few enough, else full
//                                                                          rebuild
//   fresh                watermark == database's latest commit        -> served as it is
//
// Thread safety: the functions take a snapshot of the engine::Db (begin_read) and may run beside its
// writer and readers. At most one of them may write a database's cartridge at a time (one
// refresher per database; cartridge_file.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cartridge/cartridge_file.h"
#include "engine/db.h"
#include "engine/log/record.h"
#include "vfs/file_system.h"

namespace northstar::cartridge {

enum class CartridgeState { kAbsent, kUnsupportedVersion, kCorrupt, kAhead, kStale, kFresh };

// "absent", "unsupported-version", "corrupt", "ahead", "stale", "fresh".
[[nodiscard]] const char* CartridgeStateName(CartridgeState state);

struct CartridgeCheck {
  CartridgeState state = CartridgeState::kAbsent;
  // One line: why this state ("watermark 12, database at 15: 3 commits behind", the DataLoss
  // message naming the field and offset, ...).
  std::string reason;
  // The decoded file: set for ahead, stale and fresh (it decoded), null otherwise.
  std::unique_ptr<MappedCartridge> cartridge;
};

// Classifies the cartridge file `path` against a database whose latest commit is
// `database_txn`. Errors only for I/O failures (a file that cannot be read), not for bad bytes.
[[nodiscard]] absl::StatusOr<CartridgeCheck> CheckCartridge(vfs::FileSystem& fs,
                                                            const std::string& path,
                                                            engine::TxnId database_txn);

struct RefreshPolicy {
  // Catch up only when at most this many commits behind; more, and a full rebuild (which reads
  // every task once) is as cheap and simpler.
  uint64_t catch_up_commits_max = 100'000;
  // Catch-up reads the log from its start; when that is more than this many records (a log kept
  // whole: recycle_log = false), rebuild instead.
  uint64_t catch_up_log_records_max = 1'000'000;
  // Must be at least the writer's (engine/log/record.h); the defaults are the format's own.
  engine::LogLimits log_limits;
};

enum class RefreshAction { kServed, kCaughtUp, kRebuilt };

// "served", "caught-up", "rebuilt".
[[nodiscard]] const char* RefreshActionName(RefreshAction action);

struct Refreshed {
  std::shared_ptr<const MappedCartridge> cartridge;  // Its watermark is `txn`.
  engine::TxnId txn = 0;                                     // The snapshot it reflects.
  CartridgeState found = CartridgeState::kAbsent;    // The file's state before.
  RefreshAction action = RefreshAction::kServed;
  // The check's reason (why the file was in state `found`), and why there was no catch-up when
  // a stale file was rebuilt.
  std::string reason;
  uint64_t log_records_read = 0;
  uint64_t touched_ids = 0;
};

// The cartridge for the database's latest commit (a snapshot taken by this call), refreshing the
// file first as the policy above says. The file written is the same, byte for byte, whether it
// was caught up or rebuilt.
[[nodiscard]] absl::StatusOr<Refreshed> AcquireFresh(vfs::FileSystem& fs, engine::Db& db,
                                                     const RefreshPolicy& policy = {});

// A full rebuild at the latest commit, whatever the file holds (`northstar cartridge build`).
[[nodiscard]] absl::StatusOr<Refreshed> RebuildCartridge(vfs::FileSystem& fs, engine::Db& db);

// The file bytes for `txn`'s snapshot, from a full scan: what a rebuild writes.
[[nodiscard]] absl::StatusOr<std::vector<uint8_t>> BuildCartridgeBytes(engine::ReadTxn& txn);

}  // namespace northstar::cartridge
