// Db: open and recovery, snapshots and transaction handles. Commits and checkpoints are in
// db_commit.cc.
#include "engine/db.h"

#include <mutex>

#include "absl/strings/str_format.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

constexpr const char* kWriteBusyMessage = "WriteBusy: another write transaction is open";
constexpr uint64_t kLogZeroChunkBytes = 1 << 20;

// Reads the free-list chain of `meta`: the free page ids and the chain's own pages. Every id is
// checked against the page count, and the chain length is bounded, so a corrupt chain cannot
// loop or point outside the file.
absl::Status ReadFreeList(Pager& pager, const Meta& meta, std::set<PageId>& free_pages,
                          std::vector<PageId>& chain_pages) {
  std::vector<uint8_t> page(meta.page_size_bytes);
  for (PageId page_id = meta.freelist_head; page_id != kNoPage;) {
    if (page_id >= meta.page_count || chain_pages.size() >= meta.page_count) {
      return absl::DataLossError(absl::StrFormat(
          "%s: free-list page %d is beyond the %d pages of the file, or the chain loops",
          pager.path(), page_id, meta.page_count));
    }
    chain_pages.push_back(page_id);
    NS_RETURN_IF_ERROR(pager.read_page(page_id, page));
    NS_ASSIGN_OR_RETURN(const FreeListView view, ParseFreeList(page, page_id));
    for (size_t index = 0; index < view.size(); index++) {
      const PageId free_id = view.id(index);
      if (free_id >= meta.page_count || !free_pages.insert(free_id).second) {
        return absl::DataLossError(absl::StrFormat(
            "%s: free-list page %d lists page %d, which is beyond the file or listed twice",
            pager.path(), page_id, free_id));
      }
    }
    page_id = view.next;
  }
  return absl::OkStatus();
}

}  // namespace

std::string LogPathFor(std::string_view data_path) {
  if (data_path.ends_with(".ns")) {
    return std::string(data_path.substr(0, data_path.size() - 3)) + ".log";
  }
  return std::string(data_path) + ".log";
}

bool IsWriteBusy(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         absl::string_view(status.message()).substr(0, 9) == "WriteBusy";
}

absl::StatusOr<std::unique_ptr<Db>> Db::open(vfs::FileSystem& fs, std::string path,
                                             const DbOptions& options) {
  Runtime& runtime = options.runtime != nullptr ? *options.runtime : ProductionRuntime();
  NS_ASSIGN_OR_RETURN(const bool exists, fs.exists(path));
  std::unique_ptr<Pager> pager;
  if (exists) {
    if (options.error_if_exists) {
      return absl::AlreadyExistsError(absl::StrFormat("open %s: database exists", path));
    }
    NS_ASSIGN_OR_RETURN(pager, Pager::open(fs, path));
  } else {
    if (!options.create_if_missing) {
      return absl::NotFoundError(absl::StrFormat("open %s: no such database", path));
    }
    NS_ASSIGN_OR_RETURN(pager, Pager::create(fs, path, options.page_size_bytes));
  }
  std::set<PageId> free_pages;
  std::vector<PageId> chain_pages;
  NS_RETURN_IF_ERROR(ReadFreeList(*pager, pager->meta(), free_pages, chain_pages));
  std::unique_ptr<Db> db(
      new Db(runtime, options, std::move(pager), std::move(free_pages), std::move(chain_pages)));
  // A database written in a log mode may have commits in its log even when opened in kMetaFlip
  // mode: recover whenever the log exists.
  NS_ASSIGN_OR_RETURN(const bool log_exists, fs.exists(LogPathFor(db->path())));
  if (options.durability != Durability::kMetaFlip || log_exists) {
    NS_RETURN_IF_ERROR(db->open_log(fs));
    NS_RETURN_IF_ERROR(db->recover());
    if (options.durability == Durability::kMetaFlip) db->log_.reset();
  }
  return db;
}

Db::Db(Runtime& runtime, const DbOptions& options, std::unique_ptr<Pager> pager,
       std::set<PageId> free_pages, std::vector<PageId> freelist_pages)
    : runtime_(runtime),
      options_(options),
      pager_(std::move(pager)),
      cache_budget_bytes_(
          std::max<uint64_t>(options.cache_budget_bytes, 8 * uint64_t{pager_->page_size_bytes()})),
      cache_(runtime, *pager_, pager_->page_size_bytes(), cache_budget_bytes_),
      reader_(cache_, *pager_, pager_->page_size_bytes()),
      writer_mutex_(runtime.make_mutex("db.writer")),
      state_mutex_(runtime.make_mutex("db.state")),
      meta_(pager_->meta()),
      latest_txn_(meta_.txn_id),
      allocator_(pager_->meta().page_count, std::move(free_pages)),
      freelist_pages_(std::move(freelist_pages)) {
  snapshots_[meta_.txn_id] = TreeState{meta_.root, meta_.tree_height, meta_.entry_count};
}

Db::~Db() {
  NS_ASSERT_MSG(!write_open_, "Db destroyed with a write transaction open");
  NS_ASSERT_MSG(open_reads_ == 0, "Db destroyed with read transactions open");
}

absl::Status Db::open_log(vfs::FileSystem& fs) {
  const std::string log_path = LogPathFor(path());
  NS_ASSIGN_OR_RETURN(const bool exists, fs.exists(log_path));
  if (exists) {
    NS_ASSIGN_OR_RETURN(log_, fs.open(log_path, {}));
    return absl::OkStatus();
  }
  // Preallocate with real zeros (not a hole), so that appends overwrite allocated blocks.
  NS_ASSIGN_OR_RETURN(log_, fs.open(log_path, {.create = true, .exclusive = true}));
  const std::vector<uint8_t> zeros(kLogZeroChunkBytes, 0);
  for (uint64_t offset = 0; offset < options_.log_preallocate_bytes; offset += zeros.size()) {
    const uint64_t chunk =
        std::min<uint64_t>(zeros.size(), options_.log_preallocate_bytes - offset);
    NS_RETURN_IF_ERROR(log_->pwrite(offset, std::span(zeros).first(chunk)));
  }
  NS_RETURN_IF_ERROR(log_->sync());
  return fs.sync_dir(vfs::DirectoryOf(log_path));
}

absl::Status Db::recover() {
  std::lock_guard writer(*writer_mutex_);
  // Decode with the format's own limits: this session's limits may be stricter than the
  // writer's were.
  NS_ASSIGN_OR_RETURN(recovery_,
                      ScanLog(*log_, meta_.log_position, meta_.txn_id + 1, LogLimits{},
                              [this](const LogRecord& record) { return apply_record(record); }));
  log_offset_ = recovery_.end_offset;
  if (recovery_.records == 0 && !recovery_.dropped_tail) return absl::OkStatus();
  // Make the replayed state the checkpoint, so the log (and its torn tail) can be recycled.
  return checkpoint_locked();
}

absl::Status Db::apply_record(const LogRecord& record) {
  allocator_.begin(record.txn_id);
  WriteTree tree(reader_, allocator_, latest_tree(), record.txn_id);
  for (const LogOp& op : record.ops) {
    const absl::Status status =
        op.type == LogOpType::kPut ? tree.put(op.key, op.value) : tree.remove(op.key).status();
    if (!status.ok()) {
      allocator_.rollback();
      return absl::DataLossError(absl::StrFormat("%s: log record of txn %d at offset %d: %s",
                                                 log_->path(), record.txn_id, record.offset,
                                                 status.message()));
    }
  }
  NS_RETURN_IF_ERROR(tree.for_each_page([&](PageId page_id, std::span<const uint8_t> page) {
    cache_.put(page_id, page, /*dirty=*/true);
    return absl::OkStatus();
  }));
  allocator_.commit();
  publish(record.txn_id, tree.state());
  // As a commit does: the replay must not hold more dirty pages than the run it repeats did
  // (that run checkpointed before they crowded the cache; the replay cannot checkpoint midway,
  // because a recycled log still holds the records it has not applied yet).
  release_volatile_pages();
  return absl::OkStatus();
}

TreeState Db::latest_tree() const {
  std::lock_guard lock(*state_mutex_);
  return snapshots_.rbegin()->second;
}

void Db::publish(TxnId txn_id, const TreeState& tree) {
  std::lock_guard lock(*state_mutex_);
  latest_txn_ = txn_id;
  snapshots_[txn_id] = tree;
  trim_snapshots_locked();
}

void Db::trim_snapshots_locked() {
  // Keep the newest retained_snapshots + 1, and any snapshot a reader holds.
  const size_t keep_newest = size_t{options_.retained_snapshots} + 1;
  size_t remaining = snapshots_.size();
  for (auto it = snapshots_.begin(); it != snapshots_.end(); remaining--) {
    if (remaining <= keep_newest || readers_.contains(it->first)) {
      ++it;
    } else {
      it = snapshots_.erase(it);
    }
  }
}

absl::StatusOr<std::unique_ptr<ReadTxn>> Db::begin_read() {
  std::lock_guard lock(*state_mutex_);
  const auto& [txn_id, tree] = *snapshots_.rbegin();
  readers_.insert(txn_id);
  open_reads_++;
  return std::unique_ptr<ReadTxn>(new ReadTxn(*this, txn_id, tree));
}

absl::StatusOr<std::unique_ptr<ReadTxn>> Db::begin_read_at(TxnId txn_id) {
  std::lock_guard lock(*state_mutex_);
  auto found = snapshots_.find(txn_id);
  if (found == snapshots_.end()) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: txn %d is not retained (retained: txn %d..%d; DbOptions::retained_snapshots = %d)",
        path(), txn_id, snapshots_.begin()->first, snapshots_.rbegin()->first,
        options_.retained_snapshots));
  }
  readers_.insert(txn_id);
  open_reads_++;
  return std::unique_ptr<ReadTxn>(new ReadTxn(*this, txn_id, found->second));
}

void Db::end_read(TxnId txn_id) {
  std::lock_guard lock(*state_mutex_);
  auto found = readers_.find(txn_id);
  NS_ASSERT(found != readers_.end());
  readers_.erase(found);
  open_reads_--;
  trim_snapshots_locked();  // A snapshot kept only for this reader goes now.
}

absl::StatusOr<std::unique_ptr<WriteTxn>> Db::begin_write(bool wait) {
  if (wait) {
    writer_mutex_->lock();
  } else if (!writer_mutex_->try_lock()) {
    return absl::AbortedError(kWriteBusyMessage);
  }
  std::lock_guard lock(*state_mutex_);
  if (!poisoned_.ok()) {
    writer_mutex_->unlock();
    return poisoned_;
  }
  write_open_ = true;
  const TxnId txn_id = latest_txn_ + 1;
  allocator_.begin(txn_id);
  return std::unique_ptr<WriteTxn>(new WriteTxn(*this, txn_id, snapshots_.rbegin()->second));
}

void Db::release_pages() {
  // Pages freed by txn t are invisible to snapshots >= t, and must stay intact on disk until a
  // checkpoint >= t is durable.
  TxnId oldest_visible = meta_.txn_id;
  {
    std::lock_guard lock(*state_mutex_);
    oldest_visible = std::min(oldest_visible, snapshots_.begin()->first);
  }
  allocator_.release_pending(oldest_visible);
}

void Db::release_volatile_pages() {
  // Pages allocated and freed again since the last checkpoint were never written and nothing
  // durable refers to them: only an open snapshot between the txn that allocated one and the
  // txn that freed it can still see it.
  std::vector<TxnId> snapshots;
  {
    std::lock_guard lock(*state_mutex_);
    snapshots.reserve(snapshots_.size());
    for (const auto& [txn_id, tree] : snapshots_) snapshots.push_back(txn_id);
  }
  for (PageId page_id : allocator_.release_volatile(snapshots)) cache_.discard(page_id);
}

void Db::end_write(bool committed) {
  if (committed) {
    allocator_.commit();
  } else {
    allocator_.rollback();
  }
  {
    std::lock_guard lock(*state_mutex_);
    write_open_ = false;
  }
  writer_mutex_->unlock();
}

void Db::poison(const absl::Status& status) {
  std::lock_guard lock(*state_mutex_);
  poisoned_ =
      absl::Status(status.code(), absl::StrFormat("%s: a commit or checkpoint failed, reopen the "
                                                  "database: %s",
                                                  path(), status.message()));
}

DbStats Db::stats() const {
  std::lock_guard lock(*state_mutex_);
  return DbStats{latest_txn_,
                 meta_.txn_id,
                 log_bytes_since_checkpoint(),
                 snapshots_.rbegin()->second,
                 allocator_.page_count(),
                 allocator_.free_count(),
                 allocator_.pending_count(),
                 readers_.size(),
                 cache_.counters()};
}

ReadTxn::~ReadTxn() { db_.end_read(txn_id_); }

absl::StatusOr<std::optional<std::string>> ReadTxn::get(std::string_view key) {
  return TreeGet(db_.reader_, tree_, key);
}

absl::StatusOr<bool> ReadTxn::get(std::string_view key, std::string& value) {
  return TreeGetInto(db_.reader_, tree_, key, value);
}

std::unique_ptr<Cursor> ReadTxn::cursor() { return std::make_unique<Cursor>(db_.reader_, tree_); }

WriteTxn::WriteTxn(Db& db, TxnId txn_id, const TreeState& tree)
    : db_(db), txn_id_(txn_id), tree_(db.reader_, db.allocator_, tree, txn_id) {}

WriteTxn::~WriteTxn() {
  if (!finished_) abort();
}

absl::Status WriteTxn::check_open() const {
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrFormat("write transaction %d already committed or aborted", txn_id_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> WriteTxn::get(std::string_view key) {
  NS_RETURN_IF_ERROR(check_open());
  return tree_.get(key);
}

absl::Status WriteTxn::put(std::string_view key, std::string_view value) {
  NS_RETURN_IF_ERROR(check_open());
  LogOp op{LogOpType::kPut, std::string(key), std::string(value)};
  NS_RETURN_IF_ERROR(check_op(op));
  NS_RETURN_IF_ERROR(tree_.put(key, value));
  payload_bytes_ += LogRecordBytes(std::span(&op, 1)) - kLogHeaderBytes - kLogTrailerBytes;
  ops_.push_back(std::move(op));
  return absl::OkStatus();
}

absl::StatusOr<bool> WriteTxn::del(std::string_view key) {
  NS_RETURN_IF_ERROR(check_open());
  LogOp op{LogOpType::kDelete, std::string(key), ""};
  NS_RETURN_IF_ERROR(check_op(op));
  NS_ASSIGN_OR_RETURN(const bool removed, tree_.remove(key));
  if (removed) {
    payload_bytes_ += LogRecordBytes(std::span(&op, 1)) - kLogHeaderBytes - kLogTrailerBytes;
    ops_.push_back(std::move(op));
  }
  return removed;
}

absl::Status WriteTxn::check_op(const LogOp& op) const {
  if (ops_.size() >= db_.options_.limits.ops_per_commit_max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("write transaction %d: more than %d operations in one commit "
                        "(LogLimits::ops_per_commit_max)",
                        txn_id_, db_.options_.limits.ops_per_commit_max));
  }
  NS_RETURN_IF_ERROR(CheckLogOps(std::span(&op, 1), db_.options_.limits));
  const uint64_t payload_bytes =
      payload_bytes_ + LogRecordBytes(std::span(&op, 1)) - kLogHeaderBytes - kLogTrailerBytes;
  if (payload_bytes > db_.options_.limits.payload_bytes_max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("write transaction %d: its commit record would exceed %d payload bytes "
                        "(LogLimits::payload_bytes_max)",
                        txn_id_, db_.options_.limits.payload_bytes_max));
  }
  return absl::OkStatus();
}

absl::Status WriteTxn::commit() {
  NS_RETURN_IF_ERROR(check_open());
  finished_ = true;
  const absl::Status status = db_.commit(*this);
  if (!status.ok()) db_.poison(status);
  db_.end_write(status.ok());
  return status;
}

void WriteTxn::abort() {
  if (finished_) return;
  finished_ = true;
  db_.end_write(/*committed=*/false);
}

}  // namespace northstar::engine
