// SimDisk: an in-memory FileSystem that injects the faults of DESIGN.md's fault model.
//
// Model. Each file (inode) holds a durable image (what survives a crash for sure) and a live
// image (what reads see). Writes and truncates change the live image and mark the touched
// sectors dirty; File::sync() copies the live image to the durable one. Names work the same way
// one level up: create/rename/remove change the live namespace and queue a pending operation on
// the directory; sync_dir() makes the directory's pending operations durable.
//
// crash() models power loss, drawing every decision from the "crash" RNG stream:
// - each pending directory operation list keeps a random prefix (a journaling file system
//   commits metadata in order), or none with `lose_all_unsynced_dir_ops`;
// - unsynced growth is cut at a random sector boundary (short logs); an unsynced shrink happens
//   or not;
// - each dirty sector independently comes back old, new, or (with `torn_writes`) torn: a prefix
//   of the new bytes over the rest of the old ones, cut at a random byte inside the sector.
// Every handle opened before crash() fails afterwards; the caller reopens, like a restarted
// process.
//
// Faults (SimDiskFaults), each from its own RNG stream derived from the seed: EIO on read,
// write or sync by probability or at exactly the Nth call; ENOSPC past a capacity; a failed sync
// that drops the file's dirty data; latent bit rot in durable sectors; misdirected writes (right
// data, wrong sector); read latency (reported in events, for the virtual clock); and a crash
// point: after the Nth I/O, or with a probability per I/O, the disk halts: that I/O and every
// later call fail with Unavailable until the owner calls crash().
//
// I/O calls, the clock of crash points: open, pread, pwrite, sync, truncate, remove, rename and
// sync_dir, failed or not; size, list and exists are answered from memory and do not count.
//
// Crash-point enumeration (ALICE, CrashMonkey) walks every crash state of a short workload: it
// needs to know which I/Os were writes (the write log, set_keep_write_log) and to choose how the
// last write before a crash point comes back (SimDiskFaults::crash_last_write_variant): not at
// all, its first k sectors, all of it, or torn inside its first sector.
//
// Every decision goes to the event callback, so a trace can record it. Thread-safe (one mutex;
// the simulator runs on one OS thread anyway); the callback runs under that mutex and must not
// call back into the disk.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/random.h"
#include "vfs/file_system.h"

namespace northstar::vfs {

struct SimDiskFaults {
  // Probability that a call fails with EIO (Internal). For writes the failed call may still
  // have written a prefix of its sectors.
  double read_error_probability = 0.0;
  double write_error_probability = 0.0;
  double sync_error_probability = 0.0;
  // Fail exactly the Nth call of that kind (1-based; 0 = never).
  uint64_t read_error_at_call = 0;
  uint64_t write_error_at_call = 0;
  uint64_t sync_error_at_call = 0;
  // A failed sync drops the file's dirty data (live image reverts to the durable one), as
  // Linux does after an fsync error. When false, the dirty data stays dirty.
  bool failed_sync_drops_dirty_data = true;
  // Live bytes over all files above which a growing write fails with ENOSPC (0 = unlimited).
  uint64_t capacity_bytes = 0;
  // Probability, per read call, that one random bit of a random clean durable sector of the
  // file flips (latent sector corruption; the CRC must catch it).
  double bit_rot_probability = 0.0;
  // Probability that a write lands its data at a different sector-aligned offset.
  double misdirected_write_probability = 0.0;
  // Read latency drawn uniformly in [0, read_latency_us_max] and reported in the event.
  uint64_t read_latency_us_max = 0;
  // Halt the disk right after the Nth I/O call (reads, writes, syncs, truncates; 1-based;
  // 0 = never), or with this probability per I/O call.
  uint64_t crash_after_io_count = 0;
  double crash_probability_per_io = 0.0;
  // When >= 0, and crash() comes at the crash point (the I/O count is crash_after_io_count, the
  // disk halted there or nothing followed), and that last I/O was a successful pwrite: its
  // sectors come back as this variant instead of by the crash RNG (SimDiskWriteVariantName).
  // For a write touching S sectors: 0 none of them; k in 1..S-1 the first k (a tear at a sector
  // boundary); S all of them; S + 1 on a disk with torn_writes the first sector torn inside
  // (new bytes up to the middle of the part of it the write covers, old bytes after) and the
  // rest old; anything larger means S. The file keeps at least the bytes the variant persists
  // (its size is drawn as usual and raised to cover them). Every other dirty sector, size and
  // name resolves as usual; the RNG draws are the same for every variant. -1: no variant.
  int64_t crash_last_write_variant = -1;
};

struct SimDiskOptions {
  // 512 or 4096: the unit of durability, tearing and growth cuts.
  uint32_t sector_size_bytes = 4096;
  // Whether crash() may tear a dirty sector inside (otherwise sectors are atomic).
  bool torn_writes = true;
  // Outcome weights for a dirty sector at crash (relative; the torn weight counts only with
  // torn_writes).
  uint32_t crash_keep_new_weight = 1;
  uint32_t crash_keep_old_weight = 1;
  uint32_t crash_torn_weight = 1;
  // When true, crash() loses every unsynced directory operation instead of keeping a prefix.
  bool lose_all_unsynced_dir_ops = false;
  // When true, an unsynced shrink that did not reach the disk (the old size survives) leaves the
  // bytes it cut as they were: truncation is atomic metadata, as on ext4 or XFS, and SQLite's
  // rollback journal in TRUNCATE mode relies on it. When false (the default, FM-2), each sector
  // the shrink cut is dirty like a written one and may come back zeroed inside the old size.
  bool atomic_truncate = false;
  SimDiskFaults faults;
};

enum class SimDiskEventKind {
  kRead,
  kWrite,
  kSync,
  kTruncate,
  kOpen,
  kRemove,
  kRename,
  kSyncDir,
  kReadError,
  kWriteError,
  kSyncError,
  kSyncDroppedDirtyData,
  kNoSpace,
  kBitRot,
  kMisdirectedWrite,
  kHalt,
  kCrash,
  kCrashSector,  // detail: 0 old, 1 new, 2 torn at byte `size`
  kCrashCut,     // a file's size after crash: offset = old live size, size = new size
  kCrashDirOps,  // offset = pending ops, size = ops kept
};

[[nodiscard]] const char* SimDiskEventKindName(SimDiskEventKind kind);

struct SimDiskEvent {
  SimDiskEventKind kind;
  std::string path;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t detail = 0;
};

// A successful pwrite as it landed (a misdirected write at its actual offset).
struct SimDiskWrite {
  uint64_t io_index = 0;  // Its place on the I/O clock (1-based, see SimDisk::io_count()).
  std::string path;
  uint64_t offset_bytes = 0;
  uint64_t size_bytes = 0;
  uint64_t first_sector = 0;  // The sectors it touched: [first_sector, first_sector + sectors).
  uint64_t sectors = 0;
};

// The sectors of `sector_size_bytes` that the byte range [offset, offset + size) touches
// (0 for an empty range).
[[nodiscard]] uint64_t SectorsTouched(uint64_t offset_bytes, uint64_t size_bytes,
                                      uint64_t sector_size_bytes);
// How many variants (SimDiskFaults::crash_last_write_variant) a write touching `sectors` sectors
// has: none, the first k for k = 1..S-1, all, and (torn_writes) torn: S + 1, or S + 2.
[[nodiscard]] uint64_t SimDiskWriteVariantCount(uint64_t sectors, bool torn_writes);
// "none of its 8 sectors persisted", "its first 3 of 8 sectors persisted", "all of its 8
// sectors persisted", "its first sector torn inside, the other 7 not persisted".
[[nodiscard]] std::string SimDiskWriteVariantName(int64_t variant, uint64_t sectors,
                                                  bool torn_writes);

struct SimDiskCounters {
  IoCounters io;
  uint64_t crashes = 0;
  uint64_t faults_injected = 0;
  uint64_t read_latency_us_total = 0;
};

class SimDisk final : public FileSystem {
 public:
  SimDisk(SimDiskOptions options, uint64_t seed);
  ~SimDisk() override;

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> open(std::string_view path,
                                                           OpenOptions options) override;
  [[nodiscard]] absl::Status remove(std::string_view path) override;
  [[nodiscard]] absl::Status rename(std::string_view from, std::string_view to) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> list(std::string_view dir) override;
  [[nodiscard]] absl::StatusOr<bool> exists(std::string_view path) override;
  [[nodiscard]] absl::Status sync_dir(std::string_view dir) override;

  // Power loss: resolves every volatile write and name as the header describes, invalidates
  // every open handle and clears the halt. Leaves only the durable state.
  void crash();
  // True after a crash point fired and before crash() was called.
  [[nodiscard]] bool halted() const {
    std::lock_guard lock(mu_);
    return halted_;
  }
  // Flips `count` random bits in random durable sectors of any file (bit rot on demand).
  void rot_bits(uint64_t count);

  // Fault knobs can change between phases of a run (e.g. faults off during recovery checks).
  void set_faults(const SimDiskFaults& faults) {
    std::lock_guard lock(mu_);
    options_.faults = faults;
  }
  [[nodiscard]] SimDiskOptions options() const {
    std::lock_guard lock(mu_);
    return options_;
  }
  void set_event_callback(std::function<void(const SimDiskEvent&)> callback) {
    std::lock_guard lock(mu_);
    event_callback_ = std::move(callback);
  }
  [[nodiscard]] SimDiskCounters counters() const {
    std::lock_guard lock(mu_);
    return counters_;
  }
  // I/O calls so far (see the header comment): the clock of crash_after_io_count.
  [[nodiscard]] uint64_t io_count() const {
    std::lock_guard lock(mu_);
    return io_count_;
  }

  // Whether to keep the write log (off by default: it grows with every write). Turning it off
  // clears it.
  void set_keep_write_log(bool keep) {
    std::lock_guard lock(mu_);
    keep_write_log_ = keep;
    if (!keep) write_log_.clear();
  }
  // Every successful pwrite since set_keep_write_log(true), oldest first.
  [[nodiscard]] std::vector<SimDiskWrite> write_log() const {
    std::lock_guard lock(mu_);
    return write_log_;
  }

  // XXH3-64 of the durable state: the durable names (sorted) with their durable contents.
  [[nodiscard]] uint64_t durable_image_hash() const;
  // The durable content of `path` as crash() would leave it if nothing were pending; for tests.
  [[nodiscard]] absl::StatusOr<std::string> durable_content(std::string_view path) const;

 private:
  class SimFile;
  struct Inode;
  struct DirOp;

  static constexpr uint64_t kPathLengthMaxBytes = 4096;
  // How far a misdirected write may land from its target.
  static constexpr uint64_t kMisdirectSectorsMax = 8;

  // Every I/O call starts here: counts it and fires the crash point. Unavailable once halted.
  [[nodiscard]] absl::Status begin_io(std::string_view operation, std::string_view path);
  [[nodiscard]] absl::Status check_halted(std::string_view operation, std::string_view path) const;
  [[nodiscard]] absl::Status check_path(std::string_view operation, std::string_view path) const;
  [[nodiscard]] bool injected(double probability, uint64_t at_call, uint64_t call_count,
                              Rng& stream);

  [[nodiscard]] absl::StatusOr<size_t> read(Inode& inode, const std::string& path,
                                            uint64_t offset_bytes, std::span<uint8_t> out);
  [[nodiscard]] absl::Status write(Inode& inode, uint64_t inode_id, const std::string& path,
                                   uint64_t offset_bytes, std::span<const uint8_t> data);
  [[nodiscard]] absl::Status sync_file(Inode& inode, const std::string& path);
  [[nodiscard]] absl::Status truncate_file(Inode& inode, const std::string& path,
                                           uint64_t size_bytes);
  [[nodiscard]] uint64_t misdirected_offset(uint64_t offset_bytes);
  void write_live(Inode& inode, uint64_t offset_bytes, std::span<const uint8_t> data);
  void resize_live(Inode& inode, uint64_t size_bytes);
  void mark_dirty(Inode& inode, uint64_t begin_bytes, uint64_t end_bytes);
  // Makes `to` equal to `from` (both images of `inode`) and clears the dirty set.
  void copy_dirty_sectors(Inode& inode, const std::vector<uint8_t>& from, std::vector<uint8_t>& to);
  void rot_one_bit(Inode& inode, const std::string& path);
  [[nodiscard]] uint64_t live_bytes_total() const;

  // The last successful pwrite, for crash_last_write_variant.
  struct LastWrite {
    uint64_t io_index = 0;  // 0: none yet.
    uint64_t inode_id = 0;
    uint64_t offset_bytes = 0;
    uint64_t size_bytes = 0;
  };
  // What crash() does to the last write's sectors, when a variant applies.
  struct WriteVariant {
    uint64_t inode_id = 0;
    uint64_t first_sector = 0;
    uint64_t sectors = 0;
    uint64_t new_sectors = 0;        // Leading sectors that come back new.
    uint64_t torn_new_bytes = 0;     // > 0: the first sector is torn, this many bytes new.
    uint64_t covered_end_bytes = 0;  // The file keeps at least this many bytes.
  };

  void crash_directories();
  [[nodiscard]] uint64_t crash_size_bytes(const Inode& inode);
  // The variant crash() applies to the last write, if any applies (see SimDiskFaults).
  [[nodiscard]] std::optional<WriteVariant> last_write_variant() const;
  void crash_inode(Inode& inode, const std::string& path, const WriteVariant* variant);
  // One dirty sector's fate from the crash RNG: outcome 0 old, 1 new, 2 torn; new_bytes = how
  // many leading bytes of the sector take the new content.
  void draw_sector_outcome(uint64_t& outcome, uint64_t& new_bytes);
  // Drops inodes that no name (live, durable or pending) and no open handle refers to.
  void collect_garbage();
  void emit(SimDiskEventKind kind, std::string_view path, uint64_t offset = 0, uint64_t size = 0,
            uint64_t detail = 0);

  mutable std::mutex mu_;
  SimDiskOptions options_;
  // One stream per kind of decision, so that enabling one fault does not shift the others.
  Rng crash_rng_;
  Rng read_fault_rng_;
  Rng write_fault_rng_;
  Rng sync_fault_rng_;
  Rng bit_rot_rng_;
  Rng misdirect_rng_;
  Rng latency_rng_;
  Rng halt_rng_;

  // Inodes by id; names map to ids. Ordered containers: iteration order must not depend on
  // addresses or hash salts (determinism rules).
  std::map<uint64_t, std::unique_ptr<Inode>> inodes_;
  std::map<std::string, uint64_t> live_names_;
  std::map<std::string, uint64_t> durable_names_;
  // Unsynced name operations, oldest first, over all directories.
  std::vector<DirOp> pending_dir_ops_;
  uint64_t next_inode_id_ = 1;
  // Incremented by crash(); a handle remembers the epoch it was opened in.
  uint64_t epoch_ = 0;
  uint64_t io_count_ = 0;
  uint64_t read_calls_ = 0;
  uint64_t write_calls_ = 0;
  uint64_t sync_calls_ = 0;
  bool halted_ = false;
  LastWrite last_write_;
  bool keep_write_log_ = false;
  std::vector<SimDiskWrite> write_log_;
  SimDiskCounters counters_;
  std::function<void(const SimDiskEvent&)> event_callback_;
};

}  // namespace northstar::vfs
