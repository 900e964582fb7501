// SimDisk's power-loss model (crash), bit rot and the durable image hash.
#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/hash.h"
#include "vfs/sim_disk.h"
#include "vfs/sim_disk_internal.h"

namespace northstar::vfs {

const char* SimDiskEventKindName(SimDiskEventKind kind) {
  switch (kind) {
    case SimDiskEventKind::kRead:
      return "read";
    case SimDiskEventKind::kWrite:
      return "write";
    case SimDiskEventKind::kSync:
      return "sync";
    case SimDiskEventKind::kTruncate:
      return "truncate";
    case SimDiskEventKind::kOpen:
      return "open";
    case SimDiskEventKind::kRemove:
      return "remove";
    case SimDiskEventKind::kRename:
      return "rename";
    case SimDiskEventKind::kSyncDir:
      return "sync_dir";
    case SimDiskEventKind::kReadError:
      return "read_error";
    case SimDiskEventKind::kWriteError:
      return "write_error";
    case SimDiskEventKind::kSyncError:
      return "sync_error";
    case SimDiskEventKind::kSyncDroppedDirtyData:
      return "sync_dropped_dirty_data";
    case SimDiskEventKind::kNoSpace:
      return "no_space";
    case SimDiskEventKind::kBitRot:
      return "bit_rot";
    case SimDiskEventKind::kMisdirectedWrite:
      return "misdirected_write";
    case SimDiskEventKind::kHalt:
      return "halt";
    case SimDiskEventKind::kCrash:
      return "crash";
    case SimDiskEventKind::kCrashSector:
      return "crash_sector";
    case SimDiskEventKind::kCrashCut:
      return "crash_cut";
    case SimDiskEventKind::kCrashDirOps:
      return "crash_dir_ops";
  }
  NS_ASSERT_MSG(false, "unknown SimDiskEventKind");
}

uint64_t SectorsTouched(uint64_t offset_bytes, uint64_t size_bytes, uint64_t sector_size_bytes) {
  NS_ASSERT(sector_size_bytes > 0);
  if (size_bytes == 0) return 0;
  return (offset_bytes + size_bytes - 1) / sector_size_bytes - offset_bytes / sector_size_bytes + 1;
}

uint64_t SimDiskWriteVariantCount(uint64_t sectors, bool torn_writes) {
  if (sectors == 0) return 1;  // Nothing to persist: one state.
  return sectors + 1 + (torn_writes ? 1 : 0);
}

std::string SimDiskWriteVariantName(int64_t variant, uint64_t sectors, bool torn_writes) {
  if (variant < 0) return "its sectors resolved at random";
  const uint64_t value = static_cast<uint64_t>(variant);
  if (value == sectors + 1 && torn_writes) {
    if (sectors == 1) return "its only sector torn inside";
    return absl::StrFormat("its first sector torn inside, the other %d not persisted", sectors - 1);
  }
  if (value == 0) {
    return sectors == 1 ? "its sector not persisted"
                        : absl::StrFormat("none of its %d sectors persisted", sectors);
  }
  if (value >= sectors) {
    return sectors == 1 ? "its sector persisted"
                        : absl::StrFormat("all of its %d sectors persisted", sectors);
  }
  return absl::StrFormat("its first %d of %d sectors persisted", value, sectors);
}

std::optional<SimDisk::WriteVariant> SimDisk::last_write_variant() const {
  const SimDiskFaults& faults = options_.faults;
  if (faults.crash_last_write_variant < 0 || faults.crash_after_io_count == 0) return std::nullopt;
  // Only the crash at the crash point, right after the write: not a later one.
  if (io_count_ != faults.crash_after_io_count || last_write_.io_index != io_count_) {
    return std::nullopt;
  }
  const uint64_t sector = options_.sector_size_bytes;
  const uint64_t begin_bytes = last_write_.offset_bytes;
  const uint64_t end_bytes = begin_bytes + last_write_.size_bytes;
  WriteVariant variant;
  variant.inode_id = last_write_.inode_id;
  variant.first_sector = begin_bytes / sector;
  variant.sectors = SectorsTouched(begin_bytes, last_write_.size_bytes, sector);
  if (variant.sectors == 0) return std::nullopt;
  const uint64_t chosen = static_cast<uint64_t>(faults.crash_last_write_variant);
  if (chosen == variant.sectors + 1 && options_.torn_writes) {
    // Torn in the middle of the part of the first sector that the write covers, so that the
    // tear splits the write's own bytes; never at a sector edge.
    const uint64_t sector_begin_bytes = variant.first_sector * sector;
    const uint64_t sector_end_bytes = sector_begin_bytes + sector;
    const uint64_t covered_end_bytes = std::min(end_bytes, sector_end_bytes);
    const uint64_t cut_bytes = std::clamp(begin_bytes + (covered_end_bytes - begin_bytes) / 2,
                                          sector_begin_bytes + 1, sector_end_bytes - 1);
    variant.torn_new_bytes = cut_bytes - sector_begin_bytes;
    variant.covered_end_bytes = covered_end_bytes;
    return variant;
  }
  variant.new_sectors = std::min(chosen, variant.sectors);
  variant.covered_end_bytes =
      variant.new_sectors == 0
          ? 0
          : std::min(end_bytes, (variant.first_sector + variant.new_sectors) * sector);
  return variant;
}

void SimDisk::crash() {
  std::lock_guard lock(mu_);
  counters_.crashes++;
  const std::optional<WriteVariant> variant = last_write_variant();
  // detail: the last write's variant + 1 when one applies, else 0.
  emit(SimDiskEventKind::kCrash, "", io_count_, 0,
       variant ? static_cast<uint64_t>(options_.faults.crash_last_write_variant) + 1 : 0);
  crash_directories();
  // Resolve each surviving inode once, in name order (an inode may have two durable names).
  std::set<uint64_t> resolved;
  for (const auto& [path, inode_id] : durable_names_) {
    if (!resolved.insert(inode_id).second) continue;
    const bool written_last = variant && variant->inode_id == inode_id;
    crash_inode(*inodes_.at(inode_id), path, written_last ? &*variant : nullptr);
  }
  last_write_ = LastWrite{};
  live_names_ = durable_names_;
  for (auto& [id, inode] : inodes_) inode->open_handles = 0;
  epoch_++;  // Every handle from before the crash is now stale.
  halted_ = false;
  collect_garbage();
}

void SimDisk::crash_directories() {
  const uint64_t pending = pending_dir_ops_.size();
  // A journaling file system commits metadata in order: some prefix of the pending operations
  // reached the journal.
  const uint64_t kept =
      options_.lose_all_unsynced_dir_ops ? 0 : crash_rng_.UniformInclusive(0, pending);
  for (uint64_t index = 0; index < kept; index++) pending_dir_ops_[index].apply(durable_names_);
  pending_dir_ops_.clear();
  emit(SimDiskEventKind::kCrashDirOps, "", pending, kept);
}

uint64_t SimDisk::crash_size_bytes(const Inode& inode) {
  const uint64_t sector = options_.sector_size_bytes;
  const uint64_t old_size_bytes = inode.durable.size();
  const uint64_t new_size_bytes = inode.live.size();
  if (new_size_bytes < old_size_bytes) {
    // The shrink reached the disk, or not.
    return crash_rng_.OneIn(2) ? new_size_bytes : old_size_bytes;
  }
  if (new_size_bytes == old_size_bytes) return new_size_bytes;
  // Growth is cut at any sector boundary strictly inside (old, new), or not cut at all, or
  // entirely lost: choices 0 (old size), 1..boundaries, boundaries + 1 (new size).
  const uint64_t first_boundary_bytes = (old_size_bytes / sector + 1) * sector;
  const uint64_t boundaries = first_boundary_bytes < new_size_bytes
                                  ? (new_size_bytes - 1 - first_boundary_bytes) / sector + 1
                                  : 0;
  const uint64_t choice = crash_rng_.UniformInclusive(0, boundaries + 1);
  if (choice == 0) return old_size_bytes;
  if (choice == boundaries + 1) return new_size_bytes;
  return first_boundary_bytes + (choice - 1) * sector;
}

void SimDisk::crash_inode(Inode& inode, const std::string& path, const WriteVariant* variant) {
  const uint64_t sector = options_.sector_size_bytes;
  const uint64_t drawn_size_bytes = crash_size_bytes(inode);
  // The last write's variant keeps the bytes it persists, whatever the size drawn.
  const uint64_t final_size_bytes = variant == nullptr
                                        ? drawn_size_bytes
                                        : std::max(drawn_size_bytes, variant->covered_end_bytes);
  if (final_size_bytes != inode.live.size()) {
    emit(SimDiskEventKind::kCrashCut, path, inode.live.size(), final_size_bytes);
  }
  // Start from the durable image (zeros past its end), then resolve each dirty sector.
  std::vector<uint8_t> result = inode.durable;
  result.resize(static_cast<size_t>(final_size_bytes), 0);
  for (uint64_t index : inode.dirty_sectors) {
    const uint64_t begin_bytes = index * sector;
    if (begin_bytes >= final_size_bytes) break;  // dirty_sectors is ordered.
    const uint64_t end_bytes = std::min(begin_bytes + sector, final_size_bytes);
    // How many leading bytes of the sector take the new content; outcome 0 old, 1 new, 2 torn.
    uint64_t new_bytes = 0;
    uint64_t outcome = 0;
    // The same draws whatever the variant: the sectors within the drawn size draw.
    if (begin_bytes < drawn_size_bytes) draw_sector_outcome(outcome, new_bytes);
    // An atomic shrink that did not happen cut nothing: past the live end the old bytes stay.
    if (options_.atomic_truncate && begin_bytes >= inode.live.size()) new_bytes = 0;
    if (variant != nullptr && index >= variant->first_sector &&
        index < variant->first_sector + variant->sectors) {
      const uint64_t position = index - variant->first_sector;
      if (variant->torn_new_bytes > 0 && position == 0) {
        outcome = 2;
        new_bytes = variant->torn_new_bytes;
      } else if (position < variant->new_sectors) {
        outcome = 1;
        new_bytes = sector;
      } else {
        outcome = 0;
        new_bytes = 0;
      }
    }
    emit(SimDiskEventKind::kCrashSector, path, begin_bytes, new_bytes, outcome);
    for (uint64_t offset = begin_bytes; offset < std::min(end_bytes, begin_bytes + new_bytes);
         offset++) {
      result[offset] = offset < inode.live.size() ? inode.live[offset] : 0;
    }
  }
  inode.durable = result;
  inode.live = std::move(result);
  inode.dirty_sectors.clear();
}

void SimDisk::draw_sector_outcome(uint64_t& outcome, uint64_t& new_bytes) {
  const uint64_t sector = options_.sector_size_bytes;
  const uint64_t torn_weight = options_.torn_writes ? options_.crash_torn_weight : 0;
  const uint64_t weight_total =
      options_.crash_keep_new_weight + options_.crash_keep_old_weight + torn_weight;
  const uint64_t draw = crash_rng_.Uniform(weight_total);
  if (draw < options_.crash_keep_old_weight) {
    outcome = 0;
    new_bytes = 0;
  } else if (draw < options_.crash_keep_old_weight + options_.crash_keep_new_weight) {
    outcome = 1;
    new_bytes = sector;
  } else {
    outcome = 2;
    new_bytes = crash_rng_.UniformInclusive(1, sector - 1);
  }
}

void SimDisk::collect_garbage() {
  std::set<uint64_t> referenced;
  for (const auto& [path, inode_id] : live_names_) referenced.insert(inode_id);
  for (const auto& [path, inode_id] : durable_names_) referenced.insert(inode_id);
  for (const DirOp& op : pending_dir_ops_) referenced.insert(op.inode_id);
  std::erase_if(inodes_, [&](const auto& entry) {
    return entry.second->open_handles == 0 && !referenced.contains(entry.first);
  });
}

void SimDisk::rot_bits(uint64_t count) {
  std::lock_guard lock(mu_);
  std::vector<const std::string*> candidates;
  for (const auto& [path, inode_id] : durable_names_) {
    if (!inodes_.at(inode_id)->durable.empty()) candidates.push_back(&path);
  }
  if (candidates.empty()) return;
  for (uint64_t rotted = 0; rotted < count; rotted++) {
    const std::string& path = *candidates[bit_rot_rng_.Uniform(candidates.size())];
    rot_one_bit(*inodes_.at(durable_names_.at(path)), path);
  }
}

void SimDisk::rot_one_bit(Inode& inode, const std::string& path) {
  if (inode.durable.empty()) return;
  const uint64_t offset_bytes = bit_rot_rng_.Uniform(inode.durable.size());
  const uint8_t mask = static_cast<uint8_t>(1u << bit_rot_rng_.Uniform(8));
  inode.durable[offset_bytes] ^= mask;
  // A clean sector is what reads see too; a dirty one still shows its new content.
  const uint64_t sector_index = offset_bytes / options_.sector_size_bytes;
  if (!inode.dirty_sectors.contains(sector_index) && offset_bytes < inode.live.size()) {
    inode.live[offset_bytes] ^= mask;
  }
  counters_.faults_injected++;
  emit(SimDiskEventKind::kBitRot, path, offset_bytes, 1, mask);
}

uint64_t SimDisk::durable_image_hash() const {
  std::lock_guard lock(mu_);
  Xxh3Stream stream;
  for (const auto& [path, inode_id] : durable_names_) {
    const Inode& inode = *inodes_.at(inode_id);
    stream.UpdateU64(path.size());
    stream.Update(path);
    stream.UpdateU64(inode.durable.size());
    stream.Update(inode.durable.data(), inode.durable.size());
  }
  return stream.Digest();
}

absl::StatusOr<std::string> SimDisk::durable_content(std::string_view path) const {
  std::lock_guard lock(mu_);
  auto found = durable_names_.find(std::string(path));
  if (found == durable_names_.end()) {
    return absl::NotFoundError(absl::StrFormat("durable_content %s: no durable name", path));
  }
  const Inode& inode = *inodes_.at(found->second);
  return std::string(inode.durable.begin(), inode.durable.end());
}

}  // namespace northstar::vfs
