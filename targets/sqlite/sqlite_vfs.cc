#include "targets/sqlite/sqlite_vfs.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "absl/strings/str_format.h"
#include "targets/sqlite/sqlite_vfs_file.h"
#include "util/assert.h"
#include "vfs/sim_disk.h"

namespace northstar::targets {
namespace {

// xCurrentTime: 2024-01-01T00:00:00Z plus the virtual clock, in Julian-day milliseconds.
constexpr int64_t kUnixEpochJulianMs = 210'866'760'000'000;
constexpr int64_t kFixedDateUnixMs = 1'704'067'200'000;
constexpr int kPathnameMaxBytes = 512;
constexpr uint64_t kNanosecondsPerMicrosecond = 1000;

// Names only need to be unique in the process; they are never written to the disk.
std::atomic<uint64_t> g_vfs_count{0};

using engine::YieldSite;

}  // namespace

SqliteDevice DeviceOf(vfs::FileSystem& fs) {
  if (auto* disk = dynamic_cast<vfs::SimDisk*>(&fs)) {
    const vfs::SimDiskOptions options = disk->options();
    return {.sector_size_bytes = options.sector_size_bytes, .torn_writes = options.torn_writes};
  }
  return {};
}

// SQ-11. A device that may tear a sector claims nothing. One that cannot (SimDisk without
// torn_writes: each dirty sector comes back whole, old or new) claims POWERSAFE_OVERWRITE: a
// crash then changes no byte outside the ranges written since the last sync
// (https://www.sqlite.org/psow.html), which lets SQLite skip journaling a page's sector
// neighbours and padding WAL frames to a sector. No ATOMIC flag: a multi-sector write may land
// in part, and SAFE_APPEND does not hold either (unsynced growth may keep any prefix).
int DeviceCharacteristics(const SqliteDevice& device) {
  return device.torn_writes ? 0 : SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

SqliteSimVfs::SqliteSimVfs(vfs::FileSystem& fs, sim::SimRuntime& runtime, SqliteDevice device,
                           uint64_t seed)
    : fs_(fs),
      runtime_(runtime),
      device_(device),
      rng_(seed),
      name_(absl::StrFormat("northstar-sim-%d", g_vfs_count.fetch_add(1) + 1)) {
  NS_ASSERT(device.sector_size_bytes >= 512 && device.sector_size_bytes <= 65536);
  vfs_.iVersion = 2;
  vfs_.szOsFile = static_cast<int>(sizeof(SimFile));
  vfs_.mxPathname = kPathnameMaxBytes;
  vfs_.zName = name_.c_str();
  vfs_.pAppData = this;
  vfs_.xOpen = Open;
  vfs_.xDelete = Delete;
  vfs_.xAccess = Access;
  vfs_.xFullPathname = FullPathname;
  vfs_.xRandomness = Randomness;
  vfs_.xSleep = Sleep;
  vfs_.xCurrentTime = CurrentTime;
  vfs_.xGetLastError = GetLastError;
  vfs_.xCurrentTimeInt64 = CurrentTimeInt64;
}

SqliteSimVfs::~SqliteSimVfs() {
  if (!registered_) return;
  const int rc = sqlite3_vfs_unregister(&vfs_);
  NS_ASSERT(rc == SQLITE_OK);
}

absl::Status SqliteSimVfs::register_default() {
  NS_ASSERT(!registered_);
  const int rc = sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  if (rc != SQLITE_OK) {
    return absl::InternalError(
        absl::StrFormat("sqlite3_vfs_register(%s): %s", name_, sqlite3_errstr(rc)));
  }
  registered_ = true;
  return absl::OkStatus();
}

void SqliteSimVfs::clear_last_error() {
  last_status_ = absl::OkStatus();
  last_error_.clear();
}

int SqliteSimVfs::fail(int code, const char* operation, const std::string& path,
                       const absl::Status& status) {
  NS_ASSERT(!status.ok());
  last_status_ = status;
  last_error_ = absl::StrFormat("%s %s: %s", operation, path, status.ToString());
  return code;
}

void SqliteSimVfs::shm_attach(const std::string& path) { shm_[path].connections++; }

void* SqliteSimVfs::shm_region(const std::string& path, uint32_t index, uint32_t size_bytes,
                               bool extend) {
  Shm& shm = shm_[path];
  NS_ASSERT(shm.connections > 0);
  NS_ASSERT(size_bytes > 0);
  if (shm.region_size_bytes == 0) shm.region_size_bytes = size_bytes;
  NS_ASSERT_MSG(shm.region_size_bytes == size_bytes, "shm regions of different sizes");
  if (index < shm.regions.size()) return shm.regions[index].get();
  if (!extend) return nullptr;
  NS_ASSERT(index < kShmRegionsMax);
  while (shm.regions.size() <= index) {
    shm.regions.push_back(std::make_unique<char[]>(size_bytes));  // Zero-filled.
  }
  return shm.regions[index].get();
}

void SqliteSimVfs::shm_detach(const std::string& path, uint64_t owner) {
  shm_locks_.release_all(path, owner);
  auto entry = shm_.find(path);
  NS_ASSERT(entry != shm_.end() && entry->second.connections > 0);
  if (--entry->second.connections == 0) shm_.erase(entry);
}

std::string SqliteSimVfs::temp_path() {
  return absl::StrFormat("/sqlite-temp/%s-%d", name_, ++temp_files_);
}

int SqliteSimVfs::Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                       int* out_flags) {
  SqliteSimVfs& self = From(vfs);
  file->pMethods = nullptr;  // Not opened: SQLite will not call xClose.
  const std::string path = name != nullptr ? std::string(name) : self.temp_path();
  if (name == nullptr) flags |= SQLITE_OPEN_DELETEONCLOSE | SQLITE_OPEN_CREATE;
  const int rc = OpenSimFile(self, path, file, flags);
  if (rc == SQLITE_OK && out_flags != nullptr) *out_flags = flags;
  return rc;
}

int SqliteSimVfs::Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  SqliteSimVfs& self = From(vfs);
  const std::string path(name);
  self.yield(YieldSite::kIoSubmit);
  absl::Status status = self.fs_.remove(path);
  if (status.ok() && sync_dir != 0) status = self.fs_.sync_dir(vfs::DirectoryOf(path));
  self.yield(YieldSite::kIoComplete);
  if (absl::IsNotFound(status)) return SQLITE_IOERR_DELETE_NOENT;
  if (!status.ok()) return self.fail(SQLITE_IOERR_DELETE, "xDelete", path, status);
  return SQLITE_OK;
}

// Existence only (SQLITE_ACCESS_EXISTS, _READWRITE and _READ alike): every simulated file is
// readable and writable. Unlike os_unix.c, an empty file counts as existing; SQLite's hot-journal
// check reads the size itself.
int SqliteSimVfs::Access(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  SqliteSimVfs& self = From(vfs);
  const std::string path(name);
  self.yield(YieldSite::kIoSubmit);
  absl::StatusOr<bool> exists = self.fs_.exists(path);
  self.yield(YieldSite::kIoComplete);
  if (!exists.ok()) return self.fail(SQLITE_IOERR_ACCESS, "xAccess", path, exists.status());
  *result = *exists ? 1 : 0;
  return SQLITE_OK;
}

// Paths on the simulated disk are absolute already; a relative one is taken from the root.
int SqliteSimVfs::FullPathname(sqlite3_vfs* vfs, const char* name, int out_size, char* out) {
  const std::string path = name[0] == '/' ? std::string(name) : "/" + std::string(name);
  if (static_cast<int>(path.size()) + 1 > out_size) return SQLITE_CANTOPEN;
  std::memcpy(out, path.c_str(), path.size() + 1);
  return SQLITE_OK;
}

int SqliteSimVfs::Randomness(sqlite3_vfs* vfs, int size, char* out) {
  SqliteSimVfs& self = From(vfs);
  NS_ASSERT(size >= 0);
  for (int index = 0; index < size; index++) out[index] = static_cast<char>(self.rng_.Next());
  return size;
}

int SqliteSimVfs::Sleep(sqlite3_vfs* vfs, int microseconds) {
  SqliteSimVfs& self = From(vfs);
  NS_ASSERT(microseconds >= 0);
  self.runtime_.scheduler().advance_clock(static_cast<uint64_t>(microseconds) *
                                          kNanosecondsPerMicrosecond);
  // A sleeping thread lets the others run (SQLite sleeps while it waits for a lock).
  self.runtime_.scheduler().yield_waiting(static_cast<uint16_t>(YieldSite::kLockAcquire));
  return microseconds;
}

int SqliteSimVfs::CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* julian_ms) {
  SqliteSimVfs& self = From(vfs);
  const auto virtual_ms = static_cast<int64_t>(self.runtime_.now_ns() / 1'000'000);
  *julian_ms = kUnixEpochJulianMs + kFixedDateUnixMs + virtual_ms;
  return SQLITE_OK;
}

int SqliteSimVfs::CurrentTime(sqlite3_vfs* vfs, double* julian_days) {
  sqlite3_int64 julian_ms = 0;
  (void)CurrentTimeInt64(vfs, &julian_ms);
  *julian_days = static_cast<double>(julian_ms) / 86'400'000.0;
  return SQLITE_OK;
}

int SqliteSimVfs::GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  const std::string& message = From(vfs).last_error_;
  if (size <= 0) return 0;
  const size_t copied = std::min(message.size(), static_cast<size_t>(size - 1));
  std::memcpy(out, message.data(), copied);
  out[copied] = '\0';
  return 0;
}

}  // namespace northstar::targets
