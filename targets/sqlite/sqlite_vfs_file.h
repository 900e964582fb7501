// The sqlite3_file of SqliteSimVfs and its io methods (version 2: files, locks, WAL shared
// memory). Internal to targets/sqlite (sqlite_vfs.h describes the behaviour).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "targets/sqlite/sqlite_vfs.h"
#include "vfs/file_system.h"

namespace northstar::targets {

// Lives in the sqlite3_file block SQLite allocates (szOsFile bytes): constructed by xOpen with
// placement new, destroyed by xClose.
struct SimFile {
  sqlite3_file base;  // First: SQLite sees a SimFile* as a sqlite3_file*.
  SqliteSimVfs* vfs = nullptr;
  std::unique_ptr<vfs::File> file;
  std::string path;
  uint64_t owner = 0;  // Lock owner id (FileLocks, ShmLocks).
  bool delete_on_close = false;
  // A newly created journal or WAL: its first sync also syncs the directory (as os_unix.c's
  // UNIXFILE_DIRSYNC), so that the name is durable before SQLite relies on it.
  bool sync_dir_on_first_sync = false;
  bool shm_attached = false;
};

// xOpen's work once the path is known: opens `path`, constructs the SimFile in `file`.
int OpenSimFile(SqliteSimVfs& vfs, const std::string& path, sqlite3_file* file, int flags);

}  // namespace northstar::targets
