// CountingFileSystem: a FileSystem wrapper that counts the I/O issued through it, per path and
// in total, and otherwise forwards every call unchanged (results and errors included).
//
// What counts. A call counts when it is issued, whether it fails or not; bytes count only what
// succeeded (the bytes a pread returned, the whole of a pwrite that returned OK). A file's calls
// count under the path it was opened with, even after a rename; sync_dir counts under the
// directory string. remove, rename, list, exists, size, close and map_read_only are forwarded,
// not counted.
//
// Ownership: the wrapped FileSystem is not owned and must outlive this wrapper; files opened
// through the wrapper report to it and must not outlive it either.
//
// Thread safety: as FileSystem; the counters are guarded by one mutex, so calls from several
// threads (and through several files) may update them at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "vfs/file_system.h"

namespace northstar::vfs {

class CountingFileSystem final : public FileSystem {
 public:
  explicit CountingFileSystem(FileSystem* base);

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> open(std::string_view path,
                                                           OpenOptions options) override;
  [[nodiscard]] absl::Status remove(std::string_view path) override;
  [[nodiscard]] absl::Status rename(std::string_view from, std::string_view to) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> list(std::string_view dir) override;
  [[nodiscard]] absl::StatusOr<bool> exists(std::string_view path) override;
  [[nodiscard]] absl::Status sync_dir(std::string_view dir) override;

  // The sum over every path.
  [[nodiscard]] IoCounters total() const;
  // The counters of one path; all zero if nothing was ever issued on it.
  [[nodiscard]] IoCounters for_path(std::string_view path) const;
  // Sets every counter back to zero (open files keep counting from there).
  void reset();

 private:
  class CountingFile;

  void add(std::string_view path, const IoCounters& delta);

  FileSystem* const base_;
  mutable absl::Mutex mu_;
  // Ordered so that iteration (and so total()) never depends on hashing.
  std::map<std::string, IoCounters, std::less<>> per_path_ ABSL_GUARDED_BY(mu_);
};

}  // namespace northstar::vfs
