// The lock tables of SqliteSimVfs: what os_unix.c's POSIX advisory locks and its shared-memory
// locks give the connections of one process, kept in memory (spec/targets_sqlite.md SQ-12, SQ-13).
//
// FileLocks: per database path, each handle's level (NONE < SHARED < RESERVED < PENDING <
// EXCLUSIVE, SQLite's constants). As in os_unix.c:
// - SHARED is refused while another handle holds PENDING or more (a writer waiting for readers
//   to leave is not starved by new readers);
// - RESERVED needs SHARED and is refused while another handle holds RESERVED or more;
// - EXCLUSIVE first takes PENDING (refused if another handle holds PENDING or more), then is
//   refused while any other handle holds SHARED or more; a refused EXCLUSIVE keeps PENDING;
// - unlock goes down to SHARED or NONE; "reserved" means any handle holds RESERVED or more.
// A refusal is SQLITE_BUSY; callers retry through SQLite's busy handler.
//
// ShmLocks: per database path, SQLITE_SHM_NLOCK slots, each with a count of shared holders and
// at most one exclusive holder, as unixShmLock: shared is refused while another holds the slot
// exclusively; exclusive is refused while anyone else holds the slot at all.
//
// Owners are ids the VFS hands out in open order (never pointers: determinism rules). Not
// thread-safe: one OS thread (fibers).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace northstar::targets {

class FileLocks {
 public:
  // SQLITE_OK or SQLITE_BUSY. `level` is SQLITE_LOCK_SHARED, _RESERVED or _EXCLUSIVE.
  [[nodiscard]] int lock(const std::string& path, uint64_t owner, int level);
  // `level` is SQLITE_LOCK_SHARED or SQLITE_LOCK_NONE.
  void unlock(const std::string& path, uint64_t owner, int level);
  [[nodiscard]] bool reserved(const std::string& path) const;
  [[nodiscard]] int level(const std::string& path, uint64_t owner) const;

 private:
  // The highest level any handle but `owner` holds on `path`.
  [[nodiscard]] int others_max(const std::string& path, uint64_t owner) const;

  // path -> owner -> level (absent: NONE).
  std::map<std::string, std::map<uint64_t, int>> levels_;
};

class ShmLocks {
 public:
  static constexpr int kSlots = 8;  // SQLITE_SHM_NLOCK.

  // `flags` as xShmLock's: SQLITE_SHM_LOCK or _UNLOCK with _SHARED or _EXCLUSIVE. SQLITE_OK or
  // SQLITE_BUSY.
  [[nodiscard]] int apply(const std::string& path, uint64_t owner, int offset, int count,
                          int flags);
  // Releases everything `owner` holds on `path` (xShmUnmap).
  void release_all(const std::string& path, uint64_t owner);

 private:
  struct Slot {
    std::map<uint64_t, bool> shared_holders;  // owner -> true
    uint64_t exclusive_holder = 0;            // 0: none
  };
  [[nodiscard]] int lock_shared(Slot& slot, uint64_t owner);
  [[nodiscard]] int lock_exclusive(std::array<Slot, kSlots>& slots, uint64_t owner, int offset, int count);

  std::map<std::string, std::array<Slot, kSlots>> slots_;
};

}  // namespace northstar::targets
