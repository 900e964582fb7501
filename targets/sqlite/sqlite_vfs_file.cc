// The io methods of SqliteSimVfs (sqlite_vfs.h): each call yields before and after its I/O, maps
// vfs errors to SQLite's codes, and records them on the VFS.
#include <cstring>
#include <new>

#include "targets/sqlite/sqlite_vfs_file.h"
#include "util/assert.h"

namespace northstar::targets {
namespace {

using engine::YieldSite;

SimFile& From(sqlite3_file* file) { return *reinterpret_cast<SimFile*>(file); }

int Close(sqlite3_file* base) {
  SimFile& file = From(base);
  SqliteSimVfs& vfs = *file.vfs;
  NS_ASSERT_MSG(!file.shm_attached, "xClose before xShmUnmap");
  vfs.file_locks().unlock(file.path, file.owner, SQLITE_LOCK_NONE);
  vfs.yield(YieldSite::kIoSubmit);
  absl::Status status = file.file->close();
  if (file.delete_on_close) {
    const absl::Status removed = vfs.fs().remove(file.path);
    if (status.ok()) status = removed;
  }
  vfs.yield(YieldSite::kIoComplete);
  const std::string path = file.path;
  file.~SimFile();
  if (!status.ok()) return vfs.fail(SQLITE_IOERR_CLOSE, "xClose", path, status);
  return SQLITE_OK;
}

int Read(sqlite3_file* base, void* out, int size, sqlite3_int64 offset) {
  SimFile& file = From(base);
  NS_ASSERT(size >= 0 && offset >= 0);
  file.vfs->yield(YieldSite::kIoSubmit);
  absl::StatusOr<size_t> read =
      file.file->pread(static_cast<uint64_t>(offset),
                       std::span<uint8_t>(static_cast<uint8_t*>(out), static_cast<size_t>(size)));
  file.vfs->yield(YieldSite::kIoComplete);
  if (!read.ok()) return file.vfs->fail(SQLITE_IOERR_READ, "xRead", file.path, read.status());
  NS_ASSERT(*read <= static_cast<size_t>(size));
  if (*read == static_cast<size_t>(size)) return SQLITE_OK;
  // SQLite requires the unread tail zero-filled on a short read.
  std::memset(static_cast<uint8_t*>(out) + *read, 0, static_cast<size_t>(size) - *read);
  return SQLITE_IOERR_SHORT_READ;
}

int Write(sqlite3_file* base, const void* data, int size, sqlite3_int64 offset) {
  SimFile& file = From(base);
  NS_ASSERT(size >= 0 && offset >= 0);
  file.vfs->yield(YieldSite::kIoSubmit);
  const absl::Status status = file.file->pwrite(
      static_cast<uint64_t>(offset),
      std::span<const uint8_t>(static_cast<const uint8_t*>(data), static_cast<size_t>(size)));
  file.vfs->yield(YieldSite::kIoComplete);
  if (absl::IsResourceExhausted(status)) {
    return file.vfs->fail(SQLITE_FULL, "xWrite", file.path, status);
  }
  if (!status.ok()) return file.vfs->fail(SQLITE_IOERR_WRITE, "xWrite", file.path, status);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* base, sqlite3_int64 size) {
  SimFile& file = From(base);
  NS_ASSERT(size >= 0);
  file.vfs->yield(YieldSite::kIoSubmit);
  const absl::Status status = file.file->truncate(static_cast<uint64_t>(size));
  file.vfs->yield(YieldSite::kIoComplete);
  if (!status.ok()) return file.vfs->fail(SQLITE_IOERR_TRUNCATE, "xTruncate", file.path, status);
  return SQLITE_OK;
}

// SQLITE_SYNC_FULL and _DATAONLY both become File::sync (fdatasync); the size is part of it.
int Sync(sqlite3_file* base, int flags) {
  SimFile& file = From(base);
  file.vfs->yield(YieldSite::kIoSubmit);
  const absl::Status status = file.file->sync();
  file.vfs->yield(YieldSite::kIoComplete);
  if (!status.ok()) return file.vfs->fail(SQLITE_IOERR_FSYNC, "xSync", file.path, status);
  if (!file.sync_dir_on_first_sync) return SQLITE_OK;
  const std::string directory = vfs::DirectoryOf(file.path);
  file.vfs->yield(YieldSite::kIoSubmit);
  const absl::Status synced = file.vfs->fs().sync_dir(directory);
  file.vfs->yield(YieldSite::kIoComplete);
  if (!synced.ok()) return file.vfs->fail(SQLITE_IOERR_DIR_FSYNC, "xSync", directory, synced);
  file.sync_dir_on_first_sync = false;
  return SQLITE_OK;
}

int FileSize(sqlite3_file* base, sqlite3_int64* size) {
  SimFile& file = From(base);
  file.vfs->yield(YieldSite::kIoSubmit);
  absl::StatusOr<uint64_t> bytes = file.file->size();
  file.vfs->yield(YieldSite::kIoComplete);
  if (!bytes.ok()) return file.vfs->fail(SQLITE_IOERR_FSTAT, "xFileSize", file.path, bytes.status());
  *size = static_cast<sqlite3_int64>(*bytes);
  return SQLITE_OK;
}

int Lock(sqlite3_file* base, int level) {
  SimFile& file = From(base);
  file.vfs->yield(YieldSite::kLockAcquire);
  return file.vfs->file_locks().lock(file.path, file.owner, level);
}

int Unlock(sqlite3_file* base, int level) {
  SimFile& file = From(base);
  file.vfs->file_locks().unlock(file.path, file.owner, level);
  file.vfs->yield(YieldSite::kLockRelease);
  return SQLITE_OK;
}

int CheckReservedLock(sqlite3_file* base, int* result) {
  SimFile& file = From(base);
  file.vfs->yield(YieldSite::kLockAcquire);
  *result = file.vfs->file_locks().reserved(file.path) ? 1 : 0;
  return SQLITE_OK;
}

int FileControl(sqlite3_file* base, int op, void* argument) {
  if (op == SQLITE_FCNTL_VFSNAME) {
    *static_cast<char**>(argument) = sqlite3_mprintf("%s", From(base).vfs->name());
    return SQLITE_OK;
  }
  return SQLITE_NOTFOUND;
}

int SectorSize(sqlite3_file* base) {
  return static_cast<int>(From(base).vfs->device().sector_size_bytes);
}

int DeviceCharacteristicsOf(sqlite3_file* base) {
  return DeviceCharacteristics(From(base).vfs->device());
}

int ShmMap(sqlite3_file* base, int region, int size_bytes, int extend, void volatile** out) {
  SimFile& file = From(base);
  NS_ASSERT(region >= 0 && size_bytes > 0);
  if (!file.shm_attached) {
    file.vfs->shm_attach(file.path);
    file.shm_attached = true;
  }
  *out = file.vfs->shm_region(file.path, static_cast<uint32_t>(region),
                              static_cast<uint32_t>(size_bytes), extend != 0);
  return SQLITE_OK;
}

int ShmLock(sqlite3_file* base, int offset, int count, int flags) {
  SimFile& file = From(base);
  NS_ASSERT(file.shm_attached);
  const bool unlock = (flags & SQLITE_SHM_UNLOCK) != 0;
  if (!unlock) file.vfs->yield(YieldSite::kLockAcquire);
  const int rc = file.vfs->shm_locks().apply(file.path, file.owner, offset, count, flags);
  if (unlock) file.vfs->yield(YieldSite::kLockRelease);
  return rc;
}

// One OS thread: the scheduler's switches order every access already.
void ShmBarrier(sqlite3_file*) {}

int ShmUnmap(sqlite3_file* base, int delete_flag) {
  SimFile& file = From(base);
  if (!file.shm_attached) return SQLITE_OK;
  file.vfs->shm_detach(file.path, file.owner);
  file.shm_attached = false;
  return SQLITE_OK;
}

const sqlite3_io_methods kIoMethods = {
    .iVersion = 2,
    .xClose = Close,
    .xRead = Read,
    .xWrite = Write,
    .xTruncate = Truncate,
    .xSync = Sync,
    .xFileSize = FileSize,
    .xLock = Lock,
    .xUnlock = Unlock,
    .xCheckReservedLock = CheckReservedLock,
    .xFileControl = FileControl,
    .xSectorSize = SectorSize,
    .xDeviceCharacteristics = DeviceCharacteristicsOf,
    .xShmMap = ShmMap,
    .xShmLock = ShmLock,
    .xShmBarrier = ShmBarrier,
    .xShmUnmap = ShmUnmap,
    .xFetch = nullptr,
    .xUnfetch = nullptr,
};

bool IsNewJournal(int flags) {
  const int type = flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL);
  return (flags & SQLITE_OPEN_CREATE) != 0 && type != 0;
}

}  // namespace

int OpenSimFile(SqliteSimVfs& vfs, const std::string& path, sqlite3_file* base, int flags) {
  const vfs::OpenOptions options{.create = (flags & SQLITE_OPEN_CREATE) != 0,
                                 .exclusive = (flags & SQLITE_OPEN_EXCLUSIVE) != 0 &&
                                              (flags & SQLITE_OPEN_CREATE) != 0};
  vfs.yield(YieldSite::kIoSubmit);
  absl::StatusOr<std::unique_ptr<vfs::File>> opened = vfs.fs().open(path, options);
  vfs.yield(YieldSite::kIoComplete);
  if (!opened.ok()) return vfs.fail(SQLITE_CANTOPEN, "xOpen", path, opened.status());
  SimFile* file = new (base) SimFile();
  file->base.pMethods = &kIoMethods;
  file->vfs = &vfs;
  file->file = std::move(*opened);
  file->path = path;
  file->owner = vfs.next_owner_id();
  file->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  file->sync_dir_on_first_sync = IsNewJournal(flags);
  return SQLITE_OK;
}

}  // namespace northstar::targets
