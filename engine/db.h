// Db: the embedded key-value store: a data file `<name>.ns` and a commit log `<name>.log`.
//
// Transactions: any number of read transactions, each on an immutable snapshot (the latest
// commit, or a retained past one with begin_read_at); one write transaction at a time
// (begin_write gives WriteBusy, an Aborted status, while another is open, or waits when asked
// to). The writer reads its own writes; abort (or dropping the WriteTxn) leaves no trace.
//
// Durability (DbOptions::durability):
// - kLog (default): a commit appends one record (its puts and deletes) to the log and syncs the
//   log: one sync per commit. The commit's new pages stay dirty in the page cache; a checkpoint
//   (automatic by log size or cache pressure, or checkpoint()) writes them, syncs the data file,
//   flips the meta (which records where replay starts) and recycles the log. Open replays the
//   records after the meta's checkpoint, drops a torn tail, and reports what it did
//   (recovery()).
// - kLogNoSync: as kLog without the sync: NOT durable; for bulk loads and benchmarks.
// - kMetaFlip: no log; every commit writes its pages, syncs, writes the other meta slot
//   and syncs again. Kept for comparison.
// A failed commit or checkpoint poisons the Db: every later begin_write returns the failure,
// because the files' unsynced state is unknown (a failed fsync may have dropped data); reopen
// to recover. Readers keep working on their snapshots.
//
// Page reuse: pages freed by commit t are reused only once no reader or retained snapshot is
// older than t and a checkpoint covers t (the checkpoint's tree must stay intact on disk until
// the next meta is durable). A page that was allocated after the last checkpoint needs only
// the first: nothing durable refers to it, so it is freed (and its dirty cache frame dropped,
// never written) as soon as no snapshot can see it.
//
// Thread safety: Db, ReadTxn and cursors may be used from many threads (one ReadTxn per thread
// at a time); a WriteTxn belongs to one thread. All locks come from the Runtime.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/allocator.h"
#include "engine/btree.h"
#include "engine/btree_write.h"
#include "engine/format/meta.h"
#include "engine/log/record.h"
#include "engine/log/scan.h"
#include "engine/page_cache.h"
#include "engine/pager.h"
#include "engine/runtime.h"
#include "vfs/file_system.h"

namespace northstar::engine {

enum class Durability { kLog, kLogNoSync, kMetaFlip };

struct DbOptions {
  // Used when the database is created; an existing database keeps its own page size.
  uint32_t page_size_bytes = kPageSizeDefaultBytes;
  uint64_t cache_budget_bytes = uint64_t{64} << 20;
  bool create_if_missing = true;
  bool error_if_exists = false;
  Durability durability = Durability::kLog;
  // The log is preallocated (written with zeros once) and overwritten in place, so that a
  // commit's fdatasync does not also have to journal a new file size.
  uint64_t log_preallocate_bytes = uint64_t{16} << 20;
  // Checkpoint once the log holds this much since the last checkpoint.
  uint64_t checkpoint_log_bytes = uint64_t{12} << 20;
  // false keeps every record (the log only grows), so that ReplayLog can rebuild any past state.
  bool recycle_log = true;
  // How many past commits stay readable with begin_read_at (besides those readers hold).
  uint32_t retained_snapshots = 0;
  LogLimits limits;
  // nullptr: ProductionRuntime().
  Runtime* runtime = nullptr;
};

// The log of the database at `data_path`: "x.ns" -> "x.log" (otherwise data_path + ".log").
[[nodiscard]] std::string LogPathFor(std::string_view data_path);

// True for the status begin_write returns while another write transaction is open.
[[nodiscard]] bool IsWriteBusy(const absl::Status& status);

class Db;

class ReadTxn {
 public:
  ~ReadTxn();
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(std::string_view key);
  // The value of `key` into `value`, reusing its buffer; false (value untouched) when absent.
  [[nodiscard]] absl::StatusOr<bool> get(std::string_view key, std::string& value);
  // A cursor over this snapshot; must not outlive the ReadTxn.
  [[nodiscard]] std::unique_ptr<Cursor> cursor();
  [[nodiscard]] TxnId txn_id() const { return txn_id_; }
  [[nodiscard]] uint64_t entry_count() const { return tree_.entry_count; }

 private:
  friend class Db;
  ReadTxn(Db& db, TxnId txn_id, const TreeState& tree) : db_(db), txn_id_(txn_id), tree_(tree) {}

  Db& db_;
  const TxnId txn_id_;
  const TreeState tree_;
};

class WriteTxn {
 public:
  ~WriteTxn();  // Aborts if neither committed nor aborted.
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(std::string_view key);
  [[nodiscard]] absl::Status put(std::string_view key, std::string_view value);
  // False if the key was not there.
  [[nodiscard]] absl::StatusOr<bool> del(std::string_view key);
  // Makes the changes durable and visible. After it returns (either way) the txn is finished.
  [[nodiscard]] absl::Status commit();
  void abort();
  [[nodiscard]] TxnId txn_id() const { return txn_id_; }

 private:
  friend class Db;
  WriteTxn(Db& db, TxnId txn_id, const TreeState& tree);
  [[nodiscard]] absl::Status check_open() const;
  [[nodiscard]] absl::Status check_op(const LogOp& op) const;

  Db& db_;
  const TxnId txn_id_;
  WriteTree tree_;
  std::vector<LogOp> ops_;      // In order, for the commit record.
  uint64_t payload_bytes_ = 0;  // Of the commit record so far.
  bool finished_ = false;
};

struct DbStats {
  TxnId txn_id = 0;             // The last commit.
  TxnId checkpoint_txn_id = 0;  // The last checkpoint (== txn_id in kMetaFlip mode).
  uint64_t log_bytes = 0;       // Log bytes since the last checkpoint.
  TreeState tree;
  uint64_t page_count = 0;
  uint64_t free_pages = 0;
  uint64_t pending_pages = 0;
  uint64_t readers = 0;
  PageCacheCounters cache;
};

class Db {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Db>> open(vfs::FileSystem& fs,
                                                                std::string path,
                                                                const DbOptions& options);
  ~Db();  // Asserts no transaction is open.
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  [[nodiscard]] absl::StatusOr<std::unique_ptr<ReadTxn>> begin_read();
  // A snapshot as of commit `txn_id`, if it is still retained (the latest commit, one of the
  // last retained_snapshots commits, or one a reader holds); NotFound otherwise.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ReadTxn>> begin_read_at(TxnId txn_id);
  // WriteBusy while another write transaction is open, unless `wait`.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<WriteTxn>> begin_write(bool wait = false);

  // Writes every dirty page, flips the meta and recycles the log (no-op in kMetaFlip mode, or
  // when nothing was committed since the last checkpoint). Waits for the open write txn.
  [[nodiscard]] absl::Status checkpoint();
  // What open() replayed from the log and what it dropped.
  [[nodiscard]] const LogScanResult& recovery() const { return recovery_; }
  // Checks the in-memory page accounting: pages reachable from the latest tree, the free-list
  // chain, free pages and pending pages are exactly all pages, disjoint; and every page of every
  // live snapshot is reachable or pending, never free. One line per problem; empty when sound.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> audit();

  [[nodiscard]] DbStats stats() const;
  [[nodiscard]] uint32_t page_size_bytes() const { return pager_->page_size_bytes(); }
  [[nodiscard]] const std::string& path() const { return pager_->path(); }

 private:
  friend class ReadTxn;
  friend class WriteTxn;

  Db(Runtime& runtime, const DbOptions& options, std::unique_ptr<Pager> pager,
     std::set<PageId> free_pages, std::vector<PageId> freelist_pages);

  [[nodiscard]] absl::Status open_log(vfs::FileSystem& fs);
  [[nodiscard]] absl::Status recover();
  [[nodiscard]] absl::Status apply_record(const LogRecord& record);
  [[nodiscard]] absl::Status commit(WriteTxn& txn);
  [[nodiscard]] absl::Status commit_meta_flip(WriteTxn& txn);
  [[nodiscard]] absl::Status commit_to_log(WriteTxn& txn);
  // Publishes a commit to readers and retains its snapshot.
  void publish(TxnId txn_id, const TreeState& tree);
  void trim_snapshots_locked();
  [[nodiscard]] absl::Status checkpoint_locked();
  [[nodiscard]] absl::Status write_pages_and_meta(TxnId txn_id, const TreeState& tree,
                                                  uint64_t log_position);
  [[nodiscard]] absl::StatusOr<PageId> write_free_list(TxnId txn_id);
  void poison(const absl::Status& status);
  void end_write(bool committed);
  void end_read(TxnId txn_id);
  void release_pages();
  // Frees the pages allocated and freed again since the last checkpoint that no snapshot can
  // see any more, and drops their dirty cache frames.
  void release_volatile_pages();
  [[nodiscard]] TreeState latest_tree() const;
  // Where replay starts is meta_.log_position: 0 once a checkpoint recycles the log, where the
  // checkpoint left off when the log keeps every record (recycle_log = false).
  [[nodiscard]] uint64_t log_bytes_since_checkpoint() const {
    return log_offset_ - meta_.log_position;
  }

  Runtime& runtime_;
  const DbOptions options_;
  std::unique_ptr<Pager> pager_;
  const uint64_t cache_budget_bytes_;
  PageCache cache_;
  PageReader reader_;
  // Held by the open write transaction for its whole life.
  std::unique_ptr<Mutex> writer_mutex_;
  // Guards everything below that readers touch.
  std::unique_ptr<Mutex> state_mutex_;
  Meta meta_;                             // The last checkpoint (every commit in kMetaFlip).
  TxnId latest_txn_ = 0;                  // The last commit.
  std::map<TxnId, TreeState> snapshots_;  // The latest commit, the retained and the held ones.
  std::multiset<TxnId> readers_;          // Snapshot txn ids of open read transactions.
  int open_reads_ = 0;
  bool write_open_ = false;
  absl::Status poisoned_;  // Set by a failed commit.
  // Writer-owned.
  PageAllocator allocator_;
  std::vector<PageId> freelist_pages_;  // The chain persisted by the last checkpoint.
  std::unique_ptr<vfs::File> log_;      // kLog and kLogNoSync only.
  uint64_t log_offset_ = 0;             // Where the next record goes.
  LogScanResult recovery_;
};

}  // namespace northstar::engine
