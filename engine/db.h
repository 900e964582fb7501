// Db: the embedded key-value store. One data file `<path>` (conventionally `<name>.ns`).
//
// Transactions: any number of read transactions, each on an immutable snapshot of the last
// commit at its start; one write transaction at a time (begin_write gives WriteBusy, an Aborted
// status, while another is open, or waits when asked to). The writer reads its own writes;
// abort (or dropping the WriteTxn) leaves no trace.
//
// Durability (until the commit log arrives, and kept as a mode after): a commit writes its new
// pages, syncs the data file, writes the meta page of slot txn % 2, and syncs again. A crash at
// any point leaves the previous commit or this one. A failed commit poisons the Db: every later
// begin_write returns the failure, because the file's unsynced state is unknown (a failed fsync
// may have dropped data); reopen to recover. Readers keep working on their snapshots.
//
// Page reuse: pages freed by commit t are reused only after every reader's snapshot is >= t.
//
// Thread safety: Db, ReadTxn and cursors may be used from many threads (one ReadTxn per thread
// at a time); a WriteTxn belongs to one thread. All locks come from the Runtime.
#pragma once

#include <cstdint>
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
#include "engine/page_cache.h"
#include "engine/pager.h"
#include "engine/runtime.h"
#include "vfs/file_system.h"

namespace northstar::engine {

struct DbOptions {
  // Used when the database is created; an existing database keeps its own page size.
  uint32_t page_size_bytes = kPageSizeDefaultBytes;
  uint64_t cache_budget_bytes = uint64_t{64} << 20;
  bool create_if_missing = true;
  bool error_if_exists = false;
  // nullptr: ProductionRuntime().
  Runtime* runtime = nullptr;
};

// True for the status begin_write returns while another write transaction is open.
[[nodiscard]] bool IsWriteBusy(const absl::Status& status);

class Db;

class ReadTxn {
 public:
  ~ReadTxn();
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(std::string_view key);
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

  Db& db_;
  const TxnId txn_id_;
  WriteTree tree_;
  bool finished_ = false;
};

struct DbStats {
  TxnId txn_id = 0;
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
  // WriteBusy while another write transaction is open, unless `wait`.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<WriteTxn>> begin_write(bool wait = false);

  [[nodiscard]] DbStats stats() const;
  [[nodiscard]] uint32_t page_size_bytes() const { return pager_->page_size_bytes(); }
  [[nodiscard]] const std::string& path() const { return pager_->path(); }

 private:
  friend class ReadTxn;
  friend class WriteTxn;

  Db(Runtime& runtime, std::unique_ptr<Pager> pager, uint64_t cache_budget_bytes,
     std::set<PageId> free_pages, std::vector<PageId> freelist_pages);

  [[nodiscard]] absl::Status commit(WriteTxn& txn);
  [[nodiscard]] absl::StatusOr<PageId> write_free_list(TxnId txn_id);
  void end_write(bool committed);
  void end_read(TxnId txn_id);
  void release_pages();

  Runtime& runtime_;
  std::unique_ptr<Pager> pager_;
  PageCache cache_;
  PageReader reader_;
  // Held by the open write transaction for its whole life.
  std::unique_ptr<Mutex> writer_mutex_;
  // Guards everything below that readers touch.
  std::unique_ptr<Mutex> state_mutex_;
  Meta meta_;                     // The last commit.
  std::multiset<TxnId> readers_;  // Snapshot txn ids of open read transactions.
  int open_reads_ = 0;
  bool write_open_ = false;
  absl::Status poisoned_;  // Set by a failed commit.
  // Writer-owned.
  PageAllocator allocator_;
  std::vector<PageId> freelist_pages_;  // The chain persisted by the last commit.
};

}  // namespace northstar::engine
