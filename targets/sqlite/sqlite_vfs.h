// SqliteSimVfs: a sqlite3_vfs (io methods version 2, with WAL shared memory) over
// vfs::FileSystem and the simulated runtime (spec/targets_sqlite.md SQ-10 .. SQ-16).
//
// One object per Target epoch (a simulated process lifetime). register_default() registers it
// under a unique name as SQLite's default VFS; the destructor unregisters it. What it keeps in
// memory dies with it, as a process's state dies at a crash: the lock tables and the WAL shared
// memory regions (SQLite rebuilds the wal-index from the WAL when it finds it empty).
//
// Determinism: xRandomness draws from an Rng seeded with TargetEnvironment::seed; xCurrentTime
// is a fixed date plus the runtime's virtual clock; xSleep advances the virtual clock and yields;
// temporary files are named from a counter. Every I/O yields (kIoSubmit before, kIoComplete
// after) and every lock attempt yields (kLockAcquire), so that connections interleave there.
//
// Errors: a failed vfs call becomes SQLite's code for it (SQLITE_IOERR_READ, _WRITE, _FSYNC,
// _TRUNCATE, _FSTAT, _DELETE, SQLITE_FULL for ResourceExhausted, SQLITE_CANTOPEN), and the VFS
// keeps the last one as a status and a message naming the operation, the file and the vfs error.
//
// Lifetime: the FileSystem and the runtime outlive the VFS; so does every connection using it
// (or the connections are leaked with it, see SqliteTarget::abandon). Not thread-safe: one OS
// thread (fibers).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/runtime.h"
#include "sim/sim_runtime.h"
#include "targets/sqlite/sqlite_locks.h"
#include "util/random.h"
#include "vfs/file_system.h"

namespace northstar::targets {

// What the device under the VFS guarantees, for xSectorSize and xDeviceCharacteristics.
struct SqliteDevice {
  uint32_t sector_size_bytes = 4096;
  // Whether a crash may tear a sector inside (SimDiskOptions::torn_writes).
  bool torn_writes = true;
};

// The device of `fs`: a SimDisk's sector size and tearing; any other file system is assumed to
// tear 4096-byte sectors (claiming less is always honest).
[[nodiscard]] SqliteDevice DeviceOf(vfs::FileSystem& fs);

// SQLITE_IOCAP_* flags that `device` truly has (SQ-11).
[[nodiscard]] int DeviceCharacteristics(const SqliteDevice& device);

class SqliteSimVfs {
 public:
  // Regions of WAL shared memory per database, at most (32 KiB each: 128 MiB).
  static constexpr uint32_t kShmRegionsMax = 4096;

  SqliteSimVfs(vfs::FileSystem& fs, sim::SimRuntime& runtime, SqliteDevice device, uint64_t seed);
  ~SqliteSimVfs();
  SqliteSimVfs(const SqliteSimVfs&) = delete;
  SqliteSimVfs& operator=(const SqliteSimVfs&) = delete;

  // Registers this VFS as SQLite's default (sqlite3_vfs_register(vfs, 1)).
  [[nodiscard]] absl::Status register_default();
  [[nodiscard]] const char* name() const { return name_.c_str(); }

  // The last failed vfs call: its status (OK if none since clear_last_error) and message.
  [[nodiscard]] const absl::Status& last_status() const { return last_status_; }
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  void clear_last_error();

  // For the io methods (sqlite_vfs_file.cc).
  [[nodiscard]] vfs::FileSystem& fs() { return fs_; }
  [[nodiscard]] const SqliteDevice& device() const { return device_; }
  void yield(engine::YieldSite site) { runtime_.yield(site); }
  [[nodiscard]] FileLocks& file_locks() { return file_locks_; }
  [[nodiscard]] ShmLocks& shm_locks() { return shm_locks_; }
  [[nodiscard]] uint64_t next_owner_id() { return next_owner_id_++; }
  // Records `status` of `operation` on `path`; returns `code`.
  int fail(int code, const char* operation, const std::string& path, const absl::Status& status);
  // Shared memory of database `path`: region `index` of `size_bytes` (created zero-filled when
  // `extend`), or nullptr when absent and !extend. attach/detach count the connections using it;
  // the last detach frees it.
  void shm_attach(const std::string& path);
  [[nodiscard]] void* shm_region(const std::string& path, uint32_t index, uint32_t size_bytes,
                                 bool extend);
  void shm_detach(const std::string& path, uint64_t owner);

  // sqlite3_vfs methods (static: SQLite passes the sqlite3_vfs*).
  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                  int* out_flags);
  static int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir);
  static int Access(sqlite3_vfs* vfs, const char* name, int flags, int* result);
  static int FullPathname(sqlite3_vfs* vfs, const char* name, int out_size, char* out);
  static int Randomness(sqlite3_vfs* vfs, int size, char* out);
  static int Sleep(sqlite3_vfs* vfs, int microseconds);
  static int CurrentTime(sqlite3_vfs* vfs, double* julian_days);
  static int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* julian_ms);
  static int GetLastError(sqlite3_vfs* vfs, int size, char* out);

 private:
  struct Shm {
    std::vector<std::unique_ptr<char[]>> regions;
    uint32_t region_size_bytes = 0;
    uint32_t connections = 0;
  };

  static SqliteSimVfs& From(sqlite3_vfs* vfs) { return *static_cast<SqliteSimVfs*>(vfs->pAppData); }
  [[nodiscard]] std::string temp_path();

  vfs::FileSystem& fs_;
  sim::SimRuntime& runtime_;
  const SqliteDevice device_;
  Rng rng_;
  std::string name_;
  sqlite3_vfs vfs_{};
  bool registered_ = false;
  FileLocks file_locks_;
  ShmLocks shm_locks_;
  std::map<std::string, Shm> shm_;
  uint64_t next_owner_id_ = 1;
  uint64_t temp_files_ = 0;
  absl::Status last_status_;
  std::string last_error_;
};

}  // namespace northstar::targets
