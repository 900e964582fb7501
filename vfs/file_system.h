// The file-system interface the engine runs on (the VFS), in the spirit of leveldb::Env and
// sqlite3_vfs.
//
// Backends: posix (production, benchmarks), uring (the posix backend with its data path on
// io_uring), sim_disk (the simulated faulty disk), and wrappers such as counting. Paths are
// '/'-separated strings; a file's directory is everything before the last '/'.
//
// Durability semantics every backend honours, and the engine relies on no more than these:
// - A write is volatile until File::sync() returns OK for that file. After a crash, each
//   unsynced sector may hold its old content, its new content or (on devices that tear) a mix.
// - A size change (growth by write, truncate) is volatile until File::sync() returns OK.
// - A created, renamed or removed name is volatile until sync_dir() of its directory returns OK.
// - A failed sync() may have dropped the file's dirty data (Linux marks the pages clean after an
//   fsync error): the caller must treat the file's unsynced content as lost.
//
// Errors (see util/status.h): NotFound, AlreadyExists, Internal (EIO), ResourceExhausted
// (ENOSPC), InvalidArgument (offset overflow, bad path), FailedPrecondition (I/O on a closed
// file). Every message names the operation and the path.
//
// Directories: the interface neither creates nor removes them (the engine lives in one existing
// directory). sim_disk has no directory objects: a directory exists while it holds a file, and
// list() of any other directory is empty; posix gives NotFound for a missing one.
//
// Thread safety: every backend (posix, uring, sim_disk, counting) may be used from several
// threads at once. A File may be used from several threads at once for pread/pwrite at disjoint
// ranges; close() must not race other calls on the same handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace northstar::vfs {

// Largest offset + length any backend accepts: far above any real file, small enough that
// offset arithmetic never overflows.
inline constexpr uint64_t kFileSizeMaxBytes = uint64_t{1} << 48;

// A read-only view of a file's bytes, as File::map_read_only() took them. Owns what backs the
// view (a memory mapping, or a heap copy) and releases it on destruction.
class FileMapping {
 public:
  FileMapping() = default;
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  virtual ~FileMapping() = default;

  // Valid for the life of the mapping.
  [[nodiscard]] virtual std::span<const uint8_t> bytes() const = 0;
};

class File {
 public:
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // Closes the file if still open, ignoring errors (call close() to see them).
  virtual ~File() = default;

  // Reads up to out.size() bytes at `offset_bytes`. Returns the number of bytes read, which is
  // smaller than out.size() only when the end of the file is reached (0 at or past the end).
  [[nodiscard]] virtual absl::StatusOr<size_t> pread(uint64_t offset_bytes,
                                                     std::span<uint8_t> out) = 0;
  // Writes all of `data` at `offset_bytes`, growing the file as needed; a gap between the old
  // end and `offset_bytes` reads as zeros. An empty write changes nothing. On error, any prefix
  // of the range may have changed.
  [[nodiscard]] virtual absl::Status pwrite(uint64_t offset_bytes,
                                            std::span<const uint8_t> data) = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> size() = 0;
  // Sets the size; growth reads as zeros.
  [[nodiscard]] virtual absl::Status truncate(uint64_t size_bytes) = 0;
  // Makes every write and size change made so far through any handle of this file durable
  // (fdatasync). On error the unsynced data may be lost; see the header comment.
  [[nodiscard]] virtual absl::Status sync() = 0;
  // Releases the handle. Every later call on it fails with FailedPrecondition. Does not sync.
  [[nodiscard]] virtual absl::Status close() = 0;

  // A read-only view of bytes [0, size()) as of this call, for lookups that would otherwise pread
  // the same small file again and again. posix and uring map the file (mmap PROT_READ,
  // MAP_SHARED); every other backend gets this default: a heap copy read with pread, so that
  // sim_disk's faults and counters still apply. The view outlives close() of the handle and a
  // rename or remove of the name. The caller must not change the file while a view exists: a
  // write may then show through a mapping (not a copy), and a truncate below the mapped size
  // makes reading the mapping fault (SIGBUS). Map only files that are replaced by rename, never
  // changed in place. Errors: those of size() and pread(), or mmap's (through PosixError).
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<FileMapping>> map_read_only();

  // The path given to open(), even after a rename or remove of that name.
  [[nodiscard]] virtual const std::string& path() const = 0;
};

// I/O counts, kept by the counting wrapper and by sim_disk alike.
struct IoCounters {
  uint64_t opens = 0;
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t syncs = 0;
  uint64_t truncates = 0;
  uint64_t dir_syncs = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;

  IoCounters& operator+=(const IoCounters& other);
  friend bool operator==(const IoCounters&, const IoCounters&) = default;
};

struct OpenOptions {
  // Create the file if it does not exist.
  bool create = false;
  // With create: fail with AlreadyExists if the file exists. Without create: InvalidArgument.
  bool exclusive = false;
};

class FileSystem {
 public:
  FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;
  virtual ~FileSystem() = default;

  // Opens `path` for reading and writing. NotFound if it does not exist and !options.create.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<File>> open(std::string_view path,
                                                                   OpenOptions options) = 0;
  // Removes the name `path`; open handles stay usable. NotFound if it does not exist.
  [[nodiscard]] virtual absl::Status remove(std::string_view path) = 0;
  // Atomically renames `from` to `to`, replacing `to` if it exists.
  [[nodiscard]] virtual absl::Status rename(std::string_view from, std::string_view to) = 0;
  // The names (not paths) of the files in directory `dir`, sorted bytewise.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> list(std::string_view dir) = 0;
  [[nodiscard]] virtual absl::StatusOr<bool> exists(std::string_view path) = 0;
  // Makes every create, rename and remove of a name in directory `dir` durable.
  [[nodiscard]] virtual absl::Status sync_dir(std::string_view dir) = 0;
};

// Convenience for callers that hold text or byte vectors.
inline std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}
inline std::span<uint8_t> AsWritableBytes(std::string& buffer) {
  return {reinterpret_cast<uint8_t*>(buffer.data()), buffer.size()};
}

// The directory part of `path`: everything before the last '/', or "." if there is none.
[[nodiscard]] std::string DirectoryOf(std::string_view path);

// Reads exactly out.size() bytes at `offset_bytes`; DataLoss naming the path if the file ends
// first (a short file where the caller's format says there must be bytes).
[[nodiscard]] absl::Status ReadExact(File& file, uint64_t offset_bytes, std::span<uint8_t> out);

// InvalidArgument for option combinations no backend accepts (exclusive without create).
[[nodiscard]] absl::Status CheckOpenOptions(std::string_view path, OpenOptions options);

// InvalidArgument unless [offset_bytes, offset_bytes + size_bytes) lies within
// kFileSizeMaxBytes. Shared by every backend so that they reject the same calls.
[[nodiscard]] absl::Status CheckRange(std::string_view operation, std::string_view path,
                                      uint64_t offset_bytes, uint64_t size_bytes);

}  // namespace northstar::vfs
