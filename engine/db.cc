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
  const uint64_t budget_bytes =
      std::max<uint64_t>(options.cache_budget_bytes, 8 * uint64_t{pager->page_size_bytes()});
  std::set<PageId> free_pages;
  std::vector<PageId> chain_pages;
  NS_RETURN_IF_ERROR(ReadFreeList(*pager, pager->meta(), free_pages, chain_pages));
  return std::unique_ptr<Db>(new Db(runtime, std::move(pager), budget_bytes, std::move(free_pages),
                                    std::move(chain_pages)));
}

Db::Db(Runtime& runtime, std::unique_ptr<Pager> pager, uint64_t cache_budget_bytes,
       std::set<PageId> free_pages, std::vector<PageId> freelist_pages)
    : runtime_(runtime),
      pager_(std::move(pager)),
      cache_(runtime, *pager_, pager_->page_size_bytes(), cache_budget_bytes),
      reader_(cache_, *pager_, pager_->page_size_bytes()),
      writer_mutex_(runtime.make_mutex("db.writer")),
      state_mutex_(runtime.make_mutex("db.state")),
      meta_(pager_->meta()),
      allocator_(pager_->meta().page_count, std::move(free_pages)),
      freelist_pages_(std::move(freelist_pages)) {}

Db::~Db() {
  NS_ASSERT_MSG(!write_open_, "Db destroyed with a write transaction open");
  NS_ASSERT_MSG(open_reads_ == 0, "Db destroyed with read transactions open");
}

absl::StatusOr<std::unique_ptr<ReadTxn>> Db::begin_read() {
  std::lock_guard lock(*state_mutex_);
  readers_.insert(meta_.txn_id);
  open_reads_++;
  return std::unique_ptr<ReadTxn>(new ReadTxn(
      *this, meta_.txn_id, TreeState{meta_.root, meta_.tree_height, meta_.entry_count}));
}

void Db::end_read(TxnId txn_id) {
  std::lock_guard lock(*state_mutex_);
  auto found = readers_.find(txn_id);
  NS_ASSERT(found != readers_.end());
  readers_.erase(found);
  open_reads_--;
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
  const TxnId txn_id = meta_.txn_id + 1;
  const TreeState tree{meta_.root, meta_.tree_height, meta_.entry_count};
  release_pages();
  allocator_.begin(txn_id);
  return std::unique_ptr<WriteTxn>(new WriteTxn(*this, txn_id, tree));
}

void Db::release_pages() {
  // Pages freed by txn t are invisible to snapshots >= t; the oldest reader bounds reuse.
  const TxnId oldest_visible = readers_.empty() ? meta_.txn_id : *readers_.begin();
  allocator_.release_pending(oldest_visible);
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

absl::Status Db::commit(WriteTxn& txn) {
  runtime_.yield(YieldSite::kCommitBegin);
  const TreeState& tree = txn.tree_.state();
  if (!txn.tree_.changed()) return absl::OkStatus();
  for (PageId page_id : freelist_pages_) allocator_.free_committed(page_id);
  runtime_.yield(YieldSite::kCommitWritePages);
  NS_RETURN_IF_ERROR(txn.tree_.for_each_page([&](PageId page_id, std::span<const uint8_t> page) {
    cache_.put(page_id, page, /*dirty=*/false);
    return pager_->write_page(page_id, page);
  }));
  NS_ASSIGN_OR_RETURN(const PageId freelist_head, write_free_list(txn.txn_id_));
  NS_RETURN_IF_ERROR(pager_->ensure_page_count(allocator_.page_count()));
  runtime_.yield(YieldSite::kCommitSyncData);
  NS_RETURN_IF_ERROR(pager_->sync());
  Meta meta = meta_;
  meta.txn_id = txn.txn_id_;
  meta.root = tree.root;
  meta.tree_height = tree.height;
  meta.entry_count = tree.entry_count;
  meta.freelist_head = freelist_head;
  meta.page_count = allocator_.page_count();
  runtime_.yield(YieldSite::kCommitWriteMeta);
  NS_RETURN_IF_ERROR(pager_->write_meta(meta));
  runtime_.yield(YieldSite::kCommitEnd);
  std::lock_guard lock(*state_mutex_);
  meta_ = meta;
  return absl::OkStatus();
}

absl::StatusOr<PageId> Db::write_free_list(TxnId txn_id) {
  // The chain's own pages come out of the free set, which shrinks the list they hold: allocate
  // until the chain is long enough for what is left (at most one page holds nothing).
  const size_t capacity = FreeListCapacity(page_size_bytes());
  std::vector<PageId> chain;
  while (chain.size() * capacity < allocator_.persistent_free_pages().size()) {
    chain.push_back(allocator_.allocate());
  }
  const std::vector<PageId> free_pages = allocator_.persistent_free_pages();
  std::vector<uint8_t> page(page_size_bytes());
  for (size_t index = 0; index < chain.size(); index++) {
    const size_t begin = std::min(free_pages.size(), index * capacity);
    const size_t end = std::min(free_pages.size(), begin + capacity);
    const PageId next = index + 1 < chain.size() ? chain[index + 1] : kNoPage;
    EncodeFreeList(std::span(free_pages).subspan(begin, end - begin), next,
                   PageHeader{PageType::kFreeList, chain[index], txn_id}, page);
    cache_.forget(chain[index]);
    NS_RETURN_IF_ERROR(pager_->write_page(chain[index], page));
  }
  freelist_pages_ = chain;
  return chain.empty() ? kNoPage : chain.front();
}

DbStats Db::stats() const {
  std::lock_guard lock(*state_mutex_);
  return DbStats{meta_.txn_id,
                 TreeState{meta_.root, meta_.tree_height, meta_.entry_count},
                 meta_.page_count,
                 allocator_.free_count(),
                 allocator_.pending_count(),
                 readers_.size(),
                 cache_.counters()};
}

ReadTxn::~ReadTxn() { db_.end_read(txn_id_); }

absl::StatusOr<std::optional<std::string>> ReadTxn::get(std::string_view key) {
  return TreeGet(db_.reader_, tree_, key);
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
  return tree_.put(key, value);
}

absl::StatusOr<bool> WriteTxn::del(std::string_view key) {
  NS_RETURN_IF_ERROR(check_open());
  return tree_.remove(key);
}

absl::Status WriteTxn::commit() {
  NS_RETURN_IF_ERROR(check_open());
  finished_ = true;
  const absl::Status status = db_.commit(*this);
  if (!status.ok()) {
    std::lock_guard lock(*db_.state_mutex_);
    db_.poisoned_ =
        absl::Status(status.code(), absl::StrFormat("%s: a commit failed, reopen the database: %s",
                                                    db_.path(), status.message()));
  }
  db_.end_write(status.ok());
  return status;
}

void WriteTxn::abort() {
  if (finished_) return;
  finished_ = true;
  db_.end_write(/*committed=*/false);
}

}  // namespace northstar::engine
