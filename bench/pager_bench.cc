// pager/*: the data file below the tree: open, verified page reads (hot and cold), meta commits.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/workload.h"
#include "engine/pager.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

using engine::Pager;

constexpr uint32_t kPageSizeBytes = engine::kPageSizeDefaultBytes;

class OpenCloseEmpty final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    fs_ = env.fs;
    path_ = PathIn(env.dir, "empty.ns");
    NS_ASSIGN_OR_RETURN(std::unique_ptr<Pager> pager, Pager::create(*fs_, path_, kPageSizeBytes));
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<Pager> pager, Pager::open(*fs_, path_));
    return absl::OkStatus();  // Closed by its destructor, inside the timed op.
  }
  nlohmann::json parameters() const override { return {{"page_size_bytes", kPageSizeBytes}}; }

 private:
  vfs::FileSystem* fs_ = nullptr;
  std::string path_;
};

// Fraction of `path`'s pages resident in the OS page cache (mincore), or -1 if unknown.
double ResidentFraction(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const off_t size = ::lseek(fd, 0, SEEK_END);
  double fraction = -1;
  if (size > 0) {
    void* map = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      const long page = ::sysconf(_SC_PAGESIZE);
      std::vector<unsigned char> resident((static_cast<size_t>(size) + page - 1) / page);
      if (::mincore(map, static_cast<size_t>(size), resident.data()) == 0) {
        size_t count = 0;
        for (unsigned char flags : resident) count += flags & 1;
        fraction = static_cast<double>(count) / static_cast<double>(resident.size());
      }
      ::munmap(map, static_cast<size_t>(size));
    }
  }
  ::close(fd);
  return fraction;
}

// Random verified reads of one 16 KiB page of a database of `keys_full` keys at scale 1.
class ReadPageRandom final : public BenchCase {
 public:
  explicit ReadPageRandom(bool cold) : cold_(cold) {}
  ~ReadPageRandom() override {
    if (drop_fd_ >= 0) ::close(drop_fd_);
  }

  absl::Status setup(const BenchEnv& env) override {
    keys_ = ScaledCount(kKeysFull, env.scale, kBatchPuts);
    path_ = PathIn(env.dir, "read.ns");
    {
      engine::DbOptions options;
      options.page_size_bytes = kPageSizeBytes;
      options.durability = engine::Durability::kLogNoSync;
      NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Db> db,
                          BuildDatabase(*env.fs, path_, keys_, options));
    }
    NS_ASSIGN_OR_RETURN(pager_, Pager::open(*env.fs, path_));
    // Every page that reads back verified: the tree and free-list pages (hot after this).
    page_.resize(kPageSizeBytes);
    for (engine::PageId id = engine::kFirstDataPage; id < pager_->meta().page_count; id++) {
      if (pager_->read_page(id, page_).ok()) pages_.push_back(id);
    }
    if (pages_.empty()) return absl::InternalError("no readable page in the database");
    rng_ = std::make_unique<Rng>(env.seed);
    if (!cold_) return absl::OkStatus();
    drop_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (drop_fd_ < 0) {
      return absl::InternalError(absl::StrFormat("open %s: %s", path_, std::strerror(errno)));
    }
    NS_RETURN_IF_ERROR(before_op(0));
    resident_after_drop_ = ResidentFraction(path_);
    return absl::OkStatus();
  }

  // Cold: asks the kernel to drop the file's cached pages (best effort: posix_fadvise
  // DONTNEED; clean pages go, which all are after the build's sync).
  absl::Status before_op(uint64_t) override {
    if (!cold_) return absl::OkStatus();
    const int error = ::posix_fadvise(drop_fd_, 0, 0, POSIX_FADV_DONTNEED);
    if (error != 0) {
      return absl::InternalError(
          absl::StrFormat("posix_fadvise(DONTNEED) %s: %s", path_, std::strerror(error)));
    }
    return absl::OkStatus();
  }

  absl::Status op(uint64_t) override {
    return pager_->read_page(pages_[rng_->Uniform(pages_.size())], page_);
  }

  nlohmann::json parameters() const override {
    return {{"page_size_bytes", kPageSizeBytes},
            {"keys", keys_},
            {"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"pages", pages_.size()},
            {"cache_drop", cold_ ? "posix_fadvise_dontneed" : "none"}};
  }
  nlohmann::json extra_metrics() const override {
    if (!cold_) return nlohmann::json::object();
    // Measured once in setup, right after a drop: near 0 when the drop works.
    return {{"resident_fraction_after_drop", resident_after_drop_}};
  }

 private:
  static constexpr uint64_t kKeysFull = 200'000;  // About 30 MB of pages.

  const bool cold_;
  uint64_t keys_ = 0;
  std::string path_;
  std::unique_ptr<Pager> pager_;
  std::vector<engine::PageId> pages_;
  std::vector<uint8_t> page_;
  std::unique_ptr<Rng> rng_;
  int drop_fd_ = -1;
  double resident_after_drop_ = -1;
};

class CommitMetaFsync final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    NS_ASSIGN_OR_RETURN(pager_, Pager::create(*env.fs, PathIn(env.dir, "meta.ns"), kPageSizeBytes));
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    engine::Meta meta = pager_->meta();
    meta.txn_id++;
    return pager_->write_meta(meta);
  }
  nlohmann::json parameters() const override { return {{"page_size_bytes", kPageSizeBytes}}; }

 private:
  std::unique_ptr<Pager> pager_;
};

const BenchRegistrar kOpenCloseEmpty({
    .name = "pager/open_close_empty",
    .description = "Pager::open of an empty database file (both metas read and verified), then "
                   "close; 16 KiB pages",
    .unit = "opens",
    .ops_default = 20'000,
    .warmup_ops_default = 200,
    .make = [] { return std::make_unique<OpenCloseEmpty>(); },
});

const BenchRegistrar kReadHot({
    .name = "pager/read_page_random_16k_hot",
    .description = "Pager::read_page (pread and full verification) of a random page of a "
                   "200k-key database (16 KiB pages, about 30 MB) already in the OS page cache",
    .unit = "pages",
    .ops_default = 100'000,
    .warmup_ops_default = 1000,
    .make = [] { return std::make_unique<ReadPageRandom>(/*cold=*/false); },
});

const BenchRegistrar kReadCold({
    .name = "pager/read_page_random_16k_cold",
    .description = "Pager::read_page of a random page of a 200k-key database, the file's OS "
                   "cache dropped before each read (best effort: posix_fadvise DONTNEED, "
                   "untimed)",
    .unit = "pages",
    .ops_default = 2000,
    .warmup_ops_default = 20,
    .make = [] { return std::make_unique<ReadPageRandom>(/*cold=*/true); },
});

const BenchRegistrar kCommitMeta({
    .name = "pager/commit_meta_fsync",
    .description = "Pager::write_meta: write the next meta page (16 KiB) into the other slot and "
                   "fdatasync the data file",
    .unit = "metas",
    .ops_default = 1000,
    .warmup_ops_default = 20,
    .make = [] { return std::make_unique<CommitMetaFsync>(); },
});

}  // namespace
}  // namespace northstar::bench
