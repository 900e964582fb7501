#include "vfs/counting.h"

#include <utility>

#include "util/assert.h"

namespace northstar::vfs {

class CountingFileSystem::CountingFile final : public File {
 public:
  CountingFile(CountingFileSystem& owner, std::unique_ptr<File> base, std::string counted_path)
      : owner_(owner), base_(std::move(base)), counted_path_(std::move(counted_path)) {
    NS_ASSERT(base_ != nullptr);
  }

  absl::StatusOr<size_t> pread(uint64_t offset_bytes, std::span<uint8_t> out) override {
    absl::StatusOr<size_t> read_bytes = base_->pread(offset_bytes, out);
    owner_.add(counted_path_, {.reads = 1, .bytes_read = read_bytes.ok() ? *read_bytes : 0});
    return read_bytes;
  }

  absl::Status pwrite(uint64_t offset_bytes, std::span<const uint8_t> data) override {
    absl::Status status = base_->pwrite(offset_bytes, data);
    // A failed write may have changed a prefix, but no backend says how long; count none.
    owner_.add(counted_path_, {.writes = 1, .bytes_written = status.ok() ? data.size() : 0});
    return status;
  }

  absl::StatusOr<uint64_t> size() override { return base_->size(); }

  absl::Status truncate(uint64_t size_bytes) override {
    owner_.add(counted_path_, {.truncates = 1});
    return base_->truncate(size_bytes);
  }

  absl::Status sync() override {
    owner_.add(counted_path_, {.syncs = 1});
    return base_->sync();
  }

  absl::Status close() override { return base_->close(); }

  // The base's own mapping (an mmap stays an mmap): its reads happen later, as page faults or
  // inside the base, where this wrapper cannot see them.
  absl::StatusOr<std::unique_ptr<FileMapping>> map_read_only() override {
    return base_->map_read_only();
  }

  const std::string& path() const override { return base_->path(); }

 private:
  CountingFileSystem& owner_;
  const std::unique_ptr<File> base_;
  // The path given to open(): where this file's counts go, even after a rename.
  const std::string counted_path_;
};

CountingFileSystem::CountingFileSystem(FileSystem* base) : base_(base) {
  NS_ASSERT(base_ != nullptr);
}

absl::StatusOr<std::unique_ptr<File>> CountingFileSystem::open(std::string_view path,
                                                               OpenOptions options) {
  add(path, {.opens = 1});
  absl::StatusOr<std::unique_ptr<File>> base_file = base_->open(path, options);
  if (!base_file.ok()) return base_file.status();
  std::unique_ptr<File> file =
      std::make_unique<CountingFile>(*this, std::move(base_file).value(), std::string(path));
  return file;
}

absl::Status CountingFileSystem::remove(std::string_view path) { return base_->remove(path); }

absl::Status CountingFileSystem::rename(std::string_view from, std::string_view to) {
  return base_->rename(from, to);
}

absl::StatusOr<std::vector<std::string>> CountingFileSystem::list(std::string_view dir) {
  return base_->list(dir);
}

absl::StatusOr<bool> CountingFileSystem::exists(std::string_view path) {
  return base_->exists(path);
}

absl::Status CountingFileSystem::sync_dir(std::string_view dir) {
  add(dir, {.dir_syncs = 1});
  return base_->sync_dir(dir);
}

IoCounters CountingFileSystem::total() const {
  absl::MutexLock lock(&mu_);
  IoCounters sum;
  for (const auto& [path, counters] : per_path_) sum += counters;
  return sum;
}

IoCounters CountingFileSystem::for_path(std::string_view path) const {
  absl::MutexLock lock(&mu_);
  const auto found = per_path_.find(path);
  return found == per_path_.end() ? IoCounters{} : found->second;
}

void CountingFileSystem::reset() {
  absl::MutexLock lock(&mu_);
  per_path_.clear();
}

void CountingFileSystem::add(std::string_view path, const IoCounters& delta) {
  absl::MutexLock lock(&mu_);
  const auto found = per_path_.find(path);
  if (found != per_path_.end()) {
    found->second += delta;
  } else {
    per_path_.emplace(std::string(path), delta);
  }
}

}  // namespace northstar::vfs
