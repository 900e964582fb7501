// Db: commits (to the log, or by meta flip), checkpoints, the free list, and the page audit.
#include <mutex>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::engine {

absl::Status Db::commit(WriteTxn& txn) {
  runtime_.yield(YieldSite::kCommitBegin);
  if (txn.ops_.empty()) return absl::OkStatus();  // Nothing changed: no record, no txn id.
  const TreeState tree = txn.tree_.state();
  // The new pages live in the cache, dirty, until a checkpoint writes them.
  NS_RETURN_IF_ERROR(txn.tree_.for_each_page([&](PageId page_id, std::span<const uint8_t> page) {
    cache_.put(page_id, page, /*dirty=*/true);
    return absl::OkStatus();
  }));
  if (options_.durability == Durability::kMetaFlip) {
    allocator_.commit();
    NS_RETURN_IF_ERROR(write_pages_and_meta(txn.txn_id_, tree, /*log_position=*/0));
    publish(txn.txn_id_, tree);
    runtime_.yield(YieldSite::kCommitEnd);
    return absl::OkStatus();
  }
  std::vector<uint8_t> record;
  EncodeLogRecord(txn.txn_id_, txn.ops_, record,
                  options_.durability == Durability::kLogNoSync ? kLogFlagUnsynced : 0);
  runtime_.yield(YieldSite::kLogAppend);
  NS_RETURN_IF_ERROR(log_->pwrite(log_offset_, record));
  if (options_.durability == Durability::kLog) {
    runtime_.yield(YieldSite::kCommitSyncData);
    NS_RETURN_IF_ERROR(log_->sync());
  }
  log_offset_ += record.size();
  allocator_.commit();
  publish(txn.txn_id_, tree);
  release_volatile_pages();
  runtime_.yield(YieldSite::kCommitEnd);
  // Dirty pages cannot be evicted: checkpoint before they crowd out the pages readers need.
  const uint64_t dirty_bytes = cache_.counters().pages_dirty * uint64_t{page_size_bytes()};
  if (log_bytes_since_checkpoint() >= options_.checkpoint_log_bytes ||
      dirty_bytes >= cache_budget_bytes_ / 2) {
    return checkpoint_locked();
  }
  return absl::OkStatus();
}

absl::Status Db::checkpoint() {
  std::lock_guard writer(*writer_mutex_);
  {
    std::lock_guard lock(*state_mutex_);
    if (!poisoned_.ok()) return poisoned_;
  }
  const absl::Status status = checkpoint_locked();
  if (!status.ok()) poison(status);
  return status;
}

absl::Status Db::checkpoint_locked() {
  runtime_.yield(YieldSite::kCheckpoint);
  if (latest_txn_ != meta_.txn_id) {
    const uint64_t log_position = options_.recycle_log ? 0 : log_offset_;
    NS_RETURN_IF_ERROR(write_pages_and_meta(latest_txn_, latest_tree(), log_position));
  }
  // Every record in the log is now covered by the meta: overwrite from the start.
  if (options_.recycle_log) log_offset_ = 0;
  return absl::OkStatus();
}

absl::Status Db::write_pages_and_meta(TxnId txn_id, const TreeState& tree, uint64_t log_position) {
  allocator_.begin(txn_id);  // For the free-list chain, which this checkpoint rewrites.
  for (PageId page_id : freelist_pages_) allocator_.free_committed(page_id);
  runtime_.yield(YieldSite::kCommitWritePages);
  const std::vector<PageId> dirty = cache_.dirty_pages();
  for (PageId page_id : dirty) {
    NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page, cache_.get(page_id));
    NS_RETURN_IF_ERROR(pager_->write_page(page_id, page.bytes()));
  }
  NS_ASSIGN_OR_RETURN(const PageId freelist_head, write_free_list(txn_id));
  allocator_.commit();
  NS_RETURN_IF_ERROR(pager_->ensure_page_count(allocator_.page_count()));
  runtime_.yield(YieldSite::kCommitSyncData);
  NS_RETURN_IF_ERROR(pager_->sync());
  Meta meta = meta_;
  meta.txn_id = txn_id;
  meta.root = tree.root;
  meta.tree_height = tree.height;
  meta.entry_count = tree.entry_count;
  meta.freelist_head = freelist_head;
  meta.page_count = allocator_.page_count();
  meta.log_position = log_position;
  meta.options = options_.durability == Durability::kMetaFlip ? 0 : kMetaOptionLogDurability;
  runtime_.yield(YieldSite::kCommitWriteMeta);
  NS_RETURN_IF_ERROR(pager_->write_meta(meta));
  runtime_.yield(YieldSite::kCommitSyncMeta);
  for (PageId page_id : dirty) cache_.mark_clean(page_id);
  {
    std::lock_guard lock(*state_mutex_);
    meta_ = meta;
  }
  allocator_.checkpointed();
  release_pages();
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

absl::StatusOr<std::vector<std::string>> Db::audit() {
  std::lock_guard writer(*writer_mutex_);
  std::vector<std::string> problems;
  std::vector<const char*> owner(allocator_.page_count(), nullptr);
  auto claim = [&](PageId page_id, const char* role) {
    if (page_id < kFirstDataPage || page_id >= owner.size()) {
      problems.push_back(absl::StrFormat("page %d (%s) outside the file", page_id, role));
    } else if (owner[page_id] != nullptr) {
      problems.push_back(
          absl::StrFormat("page %d is both %s and %s", page_id, owner[page_id], role));
    } else {
      owner[page_id] = role;
    }
  };
  std::vector<PageId> reachable;
  NS_RETURN_IF_ERROR(CollectTreePages(reader_, latest_tree(), reachable));
  for (PageId page_id : reachable) claim(page_id, "reachable");
  for (PageId page_id : freelist_pages_) claim(page_id, "free-list page");
  for (PageId page_id : allocator_.free_pages()) claim(page_id, "free");
  for (PageId page_id : allocator_.pending_pages()) claim(page_id, "pending");
  for (PageId page_id = kFirstDataPage; page_id < owner.size(); page_id++) {
    if (owner[page_id] == nullptr) problems.push_back(absl::StrFormat("page %d leaked", page_id));
  }
  // Every page a live snapshot can reach must be kept: reachable now, or pending.
  std::map<TxnId, TreeState> snapshots;
  {
    std::lock_guard lock(*state_mutex_);
    snapshots = snapshots_;
  }
  for (const auto& [txn_id, tree] : snapshots) {
    std::vector<PageId> pages;
    NS_RETURN_IF_ERROR(CollectTreePages(reader_, tree, pages));
    for (PageId page_id : pages) {
      const char* role = page_id < owner.size() ? owner[page_id] : nullptr;
      if (role == nullptr ||
          (std::string_view(role) != "reachable" && std::string_view(role) != "pending")) {
        problems.push_back(absl::StrFormat("page %d of snapshot txn %d is %s", page_id, txn_id,
                                           role == nullptr ? "unaccounted" : role));
      }
    }
  }
  return problems;
}

}  // namespace northstar::engine
