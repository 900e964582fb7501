#include "vfs/sim_disk.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"
#include "vfs/sim_disk_internal.h"

namespace northstar::vfs {

// A handle: the inode it names and the epoch (crash count) it was opened in.
class SimDisk::SimFile final : public File {
 public:
  SimFile(SimDisk* disk, uint64_t inode_id, std::string path, uint64_t epoch)
      : disk_(disk), inode_id_(inode_id), path_(std::move(path)), epoch_(epoch) {}

  ~SimFile() override {
    std::lock_guard lock(disk_->mu_);
    release();
  }

  absl::StatusOr<size_t> pread(uint64_t offset_bytes, std::span<uint8_t> out) override {
    std::lock_guard lock(disk_->mu_);
    NS_ASSIGN_OR_RETURN(Inode * inode, checked_inode("pread", offset_bytes, out.size()));
    return disk_->read(*inode, path_, offset_bytes, out);
  }

  absl::Status pwrite(uint64_t offset_bytes, std::span<const uint8_t> data) override {
    std::lock_guard lock(disk_->mu_);
    NS_ASSIGN_OR_RETURN(Inode * inode, checked_inode("pwrite", offset_bytes, data.size()));
    return disk_->write(*inode, inode_id_, path_, offset_bytes, data);
  }

  absl::StatusOr<uint64_t> size() override {
    std::lock_guard lock(disk_->mu_);
    NS_ASSIGN_OR_RETURN(Inode * inode, checked_inode("size", 0, 0));
    return inode->live.size();
  }

  absl::Status truncate(uint64_t size_bytes) override {
    std::lock_guard lock(disk_->mu_);
    NS_ASSIGN_OR_RETURN(Inode * inode, checked_inode("truncate", size_bytes, 0));
    return disk_->truncate_file(*inode, path_, size_bytes);
  }

  absl::Status sync() override {
    std::lock_guard lock(disk_->mu_);
    NS_ASSIGN_OR_RETURN(Inode * inode, checked_inode("sync", 0, 0));
    return disk_->sync_file(*inode, path_);
  }

  absl::Status close() override {
    std::lock_guard lock(disk_->mu_);
    if (closed_)
      return absl::FailedPreconditionError(absl::StrFormat("close %s: file is closed", path_));
    release();
    return absl::OkStatus();
  }

  const std::string& path() const override { return path_; }

 private:
  // The inode behind this handle, after the checks every call shares: not closed, not from
  // before a crash, disk not halted, range within limits.
  absl::StatusOr<Inode*> checked_inode(std::string_view operation, uint64_t offset_bytes,
                                       uint64_t size_bytes) {
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s %s: file is closed", operation, path_));
    }
    if (epoch_ != disk_->epoch_) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s %s: handle was opened before a crash; reopen it", operation, path_));
    }
    NS_RETURN_IF_ERROR(CheckRange(operation, path_, offset_bytes, size_bytes));
    auto found = disk_->inodes_.find(inode_id_);
    NS_ASSERT(found != disk_->inodes_.end());  // Open handles keep their inode alive.
    return found->second.get();
  }

  void release() {
    if (closed_) return;
    closed_ = true;
    if (epoch_ != disk_->epoch_) return;  // crash() already dropped every handle's count.
    auto found = disk_->inodes_.find(inode_id_);
    NS_ASSERT(found != disk_->inodes_.end());
    NS_ASSERT(found->second->open_handles > 0);
    found->second->open_handles--;
    disk_->collect_garbage();
  }

  SimDisk* const disk_;
  const uint64_t inode_id_;
  const std::string path_;
  const uint64_t epoch_;
  bool closed_ = false;
};

SimDisk::SimDisk(SimDiskOptions options, uint64_t seed)
    : options_(options),
      crash_rng_(DeriveSeed(seed, "sim_disk.crash")),
      read_fault_rng_(DeriveSeed(seed, "sim_disk.read_fault")),
      write_fault_rng_(DeriveSeed(seed, "sim_disk.write_fault")),
      sync_fault_rng_(DeriveSeed(seed, "sim_disk.sync_fault")),
      bit_rot_rng_(DeriveSeed(seed, "sim_disk.bit_rot")),
      misdirect_rng_(DeriveSeed(seed, "sim_disk.misdirect")),
      latency_rng_(DeriveSeed(seed, "sim_disk.latency")),
      halt_rng_(DeriveSeed(seed, "sim_disk.halt")) {
  NS_ASSERT(options_.sector_size_bytes == 512 || options_.sector_size_bytes == 4096);
  NS_ASSERT(options_.crash_keep_new_weight + options_.crash_keep_old_weight +
                options_.crash_torn_weight >
            0);
}

SimDisk::~SimDisk() = default;

absl::StatusOr<std::unique_ptr<File>> SimDisk::open(std::string_view path, OpenOptions options) {
  std::lock_guard lock(mu_);
  NS_RETURN_IF_ERROR(check_path("open", path));
  NS_RETURN_IF_ERROR(CheckOpenOptions(path, options));
  NS_RETURN_IF_ERROR(begin_io("open", path));
  const std::string name(path);
  auto found = live_names_.find(name);
  uint64_t inode_id = 0;
  if (found != live_names_.end()) {
    if (options.create && options.exclusive) {
      return absl::AlreadyExistsError(absl::StrFormat("open %s: file exists", path));
    }
    inode_id = found->second;
  } else {
    if (!options.create) {
      return absl::NotFoundError(absl::StrFormat("open %s: no such file", path));
    }
    inode_id = next_inode_id_++;
    inodes_.emplace(inode_id, std::make_unique<Inode>());
    live_names_[name] = inode_id;
    pending_dir_ops_.push_back(DirOp{DirOp::Kind::kCreate, "", name, inode_id});
  }
  inodes_.at(inode_id)->open_handles++;
  counters_.io.opens++;
  emit(SimDiskEventKind::kOpen, path, 0, 0, inode_id);
  return std::make_unique<SimFile>(this, inode_id, name, epoch_);
}

absl::Status SimDisk::remove(std::string_view path) {
  std::lock_guard lock(mu_);
  NS_RETURN_IF_ERROR(check_path("remove", path));
  NS_RETURN_IF_ERROR(begin_io("remove", path));
  auto found = live_names_.find(std::string(path));
  if (found == live_names_.end()) {
    return absl::NotFoundError(absl::StrFormat("remove %s: no such file", path));
  }
  pending_dir_ops_.push_back(DirOp{DirOp::Kind::kRemove, found->first, "", found->second});
  live_names_.erase(found);
  emit(SimDiskEventKind::kRemove, path);
  collect_garbage();
  return absl::OkStatus();
}

absl::Status SimDisk::rename(std::string_view from, std::string_view to) {
  std::lock_guard lock(mu_);
  NS_RETURN_IF_ERROR(check_path("rename", from));
  NS_RETURN_IF_ERROR(check_path("rename", to));
  NS_RETURN_IF_ERROR(begin_io("rename", from));
  auto found = live_names_.find(std::string(from));
  if (found == live_names_.end()) {
    return absl::NotFoundError(absl::StrFormat("rename %s to %s: no such file", from, to));
  }
  const uint64_t inode_id = found->second;
  if (from == to) return absl::OkStatus();
  pending_dir_ops_.push_back(
      DirOp{DirOp::Kind::kRename, std::string(from), std::string(to), inode_id});
  live_names_.erase(found);
  live_names_[std::string(to)] = inode_id;
  emit(SimDiskEventKind::kRename, to, 0, 0, inode_id);
  collect_garbage();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SimDisk::list(std::string_view dir) {
  std::lock_guard lock(mu_);
  NS_RETURN_IF_ERROR(check_halted("list", dir));
  std::vector<std::string> names;
  for (const auto& [path, inode_id] : live_names_) {  // Sorted: live_names_ is ordered.
    if (DirectoryOf(path) == dir) names.push_back(path.substr(path.rfind('/') + 1));
  }
  return names;
}

absl::StatusOr<bool> SimDisk::exists(std::string_view path) {
  std::lock_guard lock(mu_);
  NS_RETURN_IF_ERROR(check_halted("exists", path));
  return live_names_.contains(std::string(path));
}

absl::Status SimDisk::sync_dir(std::string_view dir) {
  std::lock_guard lock(mu_);
  NS_RETURN_IF_ERROR(begin_io("sync_dir", dir));
  counters_.io.dir_syncs++;
  // The directory's pending operations become durable in order; the others stay pending.
  std::vector<DirOp> still_pending;
  for (const DirOp& op : pending_dir_ops_) {
    if (op.touches(dir)) {
      op.apply(durable_names_);
    } else {
      still_pending.push_back(op);
    }
  }
  pending_dir_ops_ = std::move(still_pending);
  emit(SimDiskEventKind::kSyncDir, dir);
  collect_garbage();
  return absl::OkStatus();
}

absl::Status SimDisk::check_path(std::string_view operation, std::string_view path) const {
  if (path.empty() || path.back() == '/' || path.size() > kPathLengthMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s \"%s\": not a valid file path", operation, path));
  }
  return absl::OkStatus();
}

absl::Status SimDisk::check_halted(std::string_view operation, std::string_view path) const {
  if (halted_) {
    return absl::UnavailableError(absl::StrFormat(
        "%s %s: sim_disk halted at a crash point after I/O #%d; call crash() to restart", operation,
        path, io_count_));
  }
  return absl::OkStatus();
}

absl::Status SimDisk::begin_io(std::string_view operation, std::string_view path) {
  NS_RETURN_IF_ERROR(check_halted(operation, path));
  const SimDiskFaults& faults = options_.faults;
  const bool at_crash_point =
      faults.crash_after_io_count != 0 && io_count_ >= faults.crash_after_io_count;
  // Draw on every call, so that the stream's position depends only on the I/O count.
  const bool random_crash = halt_rng_.Chance(faults.crash_probability_per_io);
  if (at_crash_point || random_crash) {
    halted_ = true;
    counters_.faults_injected++;
    emit(SimDiskEventKind::kHalt, path, io_count_);
    return check_halted(operation, path);
  }
  io_count_++;
  return absl::OkStatus();
}

bool SimDisk::injected(double probability, uint64_t at_call, uint64_t call_count, Rng& stream) {
  const bool by_chance = stream.Chance(probability);
  return by_chance || (at_call != 0 && call_count == at_call);
}

absl::StatusOr<size_t> SimDisk::read(Inode& inode, const std::string& path, uint64_t offset_bytes,
                                     std::span<uint8_t> out) {
  NS_RETURN_IF_ERROR(begin_io("pread", path));
  counters_.io.reads++;
  read_calls_++;
  const SimDiskFaults& faults = options_.faults;
  if (injected(faults.read_error_probability, faults.read_error_at_call, read_calls_,
               read_fault_rng_)) {
    counters_.faults_injected++;
    emit(SimDiskEventKind::kReadError, path, offset_bytes, out.size());
    return absl::InternalError(absl::StrFormat(
        "pread %s at offset %d: Input/output error (injected)", path, offset_bytes));
  }
  if (faults.read_latency_us_max > 0) {
    const uint64_t latency_us = latency_rng_.UniformInclusive(0, faults.read_latency_us_max);
    counters_.read_latency_us_total += latency_us;
    emit(SimDiskEventKind::kRead, path, offset_bytes, out.size(), latency_us);
  } else {
    emit(SimDiskEventKind::kRead, path, offset_bytes, out.size());
  }
  if (bit_rot_rng_.Chance(faults.bit_rot_probability)) rot_one_bit(inode, path);
  if (offset_bytes >= inode.live.size()) return 0;
  const size_t count =
      static_cast<size_t>(std::min<uint64_t>(out.size(), inode.live.size() - offset_bytes));
  std::memcpy(out.data(), inode.live.data() + offset_bytes, count);
  counters_.io.bytes_read += count;
  return count;
}

absl::Status SimDisk::write(Inode& inode, uint64_t inode_id, const std::string& path,
                            uint64_t offset_bytes, std::span<const uint8_t> data) {
  NS_RETURN_IF_ERROR(begin_io("pwrite", path));
  counters_.io.writes++;
  write_calls_++;
  const SimDiskFaults& faults = options_.faults;
  const uint64_t end_bytes = offset_bytes + data.size();
  if (faults.capacity_bytes != 0 && end_bytes > inode.live.size() &&
      live_bytes_total() + (end_bytes - inode.live.size()) > faults.capacity_bytes) {
    counters_.faults_injected++;
    emit(SimDiskEventKind::kNoSpace, path, offset_bytes, data.size());
    return absl::ResourceExhaustedError(
        absl::StrFormat("pwrite %s at offset %d: No space left on device (capacity %d bytes)", path,
                        offset_bytes, faults.capacity_bytes));
  }
  if (injected(faults.write_error_probability, faults.write_error_at_call, write_calls_,
               write_fault_rng_)) {
    // The device may have written some leading sectors before it failed.
    const uint64_t sector = options_.sector_size_bytes;
    const uint64_t sectors = (data.size() + sector - 1) / sector;
    const uint64_t written_bytes =
        std::min<uint64_t>(data.size(), write_fault_rng_.UniformInclusive(0, sectors) * sector);
    write_live(inode, offset_bytes, data.first(static_cast<size_t>(written_bytes)));
    counters_.faults_injected++;
    emit(SimDiskEventKind::kWriteError, path, offset_bytes, data.size(), written_bytes);
    return absl::InternalError(absl::StrFormat(
        "pwrite %s at offset %d: Input/output error (injected)", path, offset_bytes));
  }
  uint64_t target_bytes = offset_bytes;
  if (misdirect_rng_.Chance(faults.misdirected_write_probability)) {
    target_bytes = misdirected_offset(offset_bytes);
    counters_.faults_injected++;
    emit(SimDiskEventKind::kMisdirectedWrite, path, offset_bytes, data.size(), target_bytes);
  }
  write_live(inode, target_bytes, data);
  counters_.io.bytes_written += data.size();
  last_write_ = LastWrite{io_count_, inode_id, target_bytes, data.size()};
  if (keep_write_log_) {
    const uint64_t sector = options_.sector_size_bytes;
    write_log_.push_back(SimDiskWrite{io_count_, path, target_bytes, data.size(),
                                      target_bytes / sector,
                                      SectorsTouched(target_bytes, data.size(), sector)});
  }
  emit(SimDiskEventKind::kWrite, path, offset_bytes, data.size());
  return absl::OkStatus();
}

uint64_t SimDisk::misdirected_offset(uint64_t offset_bytes) {
  // A few sectors before or after the intended place, keeping the offset within the sector.
  const uint64_t sector = options_.sector_size_bytes;
  const uint64_t distance_bytes = misdirect_rng_.UniformInclusive(1, kMisdirectSectorsMax) * sector;
  const bool backwards = misdirect_rng_.OneIn(2) && offset_bytes >= distance_bytes;
  return backwards ? offset_bytes - distance_bytes : offset_bytes + distance_bytes;
}

absl::Status SimDisk::sync_file(Inode& inode, const std::string& path) {
  NS_RETURN_IF_ERROR(begin_io("sync", path));
  counters_.io.syncs++;
  sync_calls_++;
  const SimDiskFaults& faults = options_.faults;
  if (injected(faults.sync_error_probability, faults.sync_error_at_call, sync_calls_,
               sync_fault_rng_)) {
    counters_.faults_injected++;
    emit(SimDiskEventKind::kSyncError, path);
    if (faults.failed_sync_drops_dirty_data) {
      emit(SimDiskEventKind::kSyncDroppedDirtyData, path, 0, inode.dirty_sectors.size());
      copy_dirty_sectors(inode, inode.durable, inode.live);
    }
    return absl::InternalError(
        absl::StrFormat("sync %s: Input/output error (injected); unsynced data may be lost", path));
  }
  copy_dirty_sectors(inode, inode.live, inode.durable);
  emit(SimDiskEventKind::kSync, path);
  return absl::OkStatus();
}

absl::Status SimDisk::truncate_file(Inode& inode, const std::string& path, uint64_t size_bytes) {
  NS_RETURN_IF_ERROR(begin_io("truncate", path));
  counters_.io.truncates++;
  const SimDiskFaults& faults = options_.faults;
  if (faults.capacity_bytes != 0 && size_bytes > inode.live.size() &&
      live_bytes_total() + (size_bytes - inode.live.size()) > faults.capacity_bytes) {
    counters_.faults_injected++;
    emit(SimDiskEventKind::kNoSpace, path, size_bytes);
    return absl::ResourceExhaustedError(
        absl::StrFormat("truncate %s to %d: No space left on device", path, size_bytes));
  }
  resize_live(inode, size_bytes);
  emit(SimDiskEventKind::kTruncate, path, size_bytes);
  return absl::OkStatus();
}

void SimDisk::copy_dirty_sectors(Inode& inode, const std::vector<uint8_t>& from,
                                 std::vector<uint8_t>& to) {
  // Outside the dirty sectors both images are equal: copy only those (a sync of a large file
  // with a few changed sectors must not copy the whole file).
  to.resize(from.size(), 0);
  const uint64_t sector = options_.sector_size_bytes;
  for (uint64_t index : inode.dirty_sectors) {
    const uint64_t begin_bytes = index * sector;
    if (begin_bytes >= to.size()) break;
    const uint64_t end_bytes = std::min<uint64_t>(begin_bytes + sector, to.size());
    std::memcpy(to.data() + begin_bytes, from.data() + begin_bytes, end_bytes - begin_bytes);
  }
  inode.dirty_sectors.clear();
}

void SimDisk::mark_dirty(Inode& inode, uint64_t begin_bytes, uint64_t end_bytes) {
  if (begin_bytes >= end_bytes) return;
  const uint64_t sector = options_.sector_size_bytes;
  for (uint64_t index = begin_bytes / sector; index <= (end_bytes - 1) / sector; index++) {
    inode.dirty_sectors.insert(index);
  }
}

void SimDisk::write_live(Inode& inode, uint64_t offset_bytes, std::span<const uint8_t> data) {
  if (data.empty()) return;
  const uint64_t end_bytes = offset_bytes + data.size();
  if (end_bytes > inode.live.size()) resize_live(inode, end_bytes);
  std::memcpy(inode.live.data() + offset_bytes, data.data(), data.size());
  mark_dirty(inode, offset_bytes, end_bytes);
}

void SimDisk::resize_live(Inode& inode, uint64_t size_bytes) {
  const uint64_t old_size_bytes = inode.live.size();
  // Both growth (new zeros) and shrink (bytes gone) change the sectors in between.
  mark_dirty(inode, std::min(old_size_bytes, size_bytes), std::max(old_size_bytes, size_bytes));
  inode.live.resize(static_cast<size_t>(size_bytes), 0);
}

uint64_t SimDisk::live_bytes_total() const {
  uint64_t total_bytes = 0;
  for (const auto& [id, inode] : inodes_) total_bytes += inode->live.size();
  return total_bytes;
}

void SimDisk::emit(SimDiskEventKind kind, std::string_view path, uint64_t offset, uint64_t size,
                   uint64_t detail) {
  if (!event_callback_) return;
  event_callback_(SimDiskEvent{kind, std::string(path), offset, size, detail});
}

}  // namespace northstar::vfs
