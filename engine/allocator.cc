#include "engine/allocator.h"

#include "util/assert.h"

namespace northstar::engine {

PageAllocator::PageAllocator(uint64_t page_count, std::set<PageId> free_pages)
    : free_(std::move(free_pages)), page_count_(page_count) {
  NS_ASSERT(page_count_ >= kFirstDataPage && page_count_ <= kPageCountMax);
  NS_ASSERT(free_.empty() || (*free_.begin() >= kFirstDataPage && *free_.rbegin() < page_count_));
}

void PageAllocator::begin(TxnId txn_id) {
  NS_ASSERT(!in_txn_);
  NS_ASSERT(allocated_.empty() && freed_.empty() && freed_volatile_.empty());
  in_txn_ = true;
  txn_id_ = txn_id;
  page_count_at_begin_ = page_count_;
  free_at_begin_ = free_;
}

PageId PageAllocator::allocate() {
  PageId page_id;
  if (!free_.empty()) {
    page_id = *free_.begin();
    free_.erase(free_.begin());
  } else {
    NS_ASSERT_MSG(page_count_ < kPageCountMax, "database reached kPageCountMax pages");
    page_id = page_count_++;
  }
  allocated_.insert(page_id);
  return page_id;
}

PageId PageAllocator::allocate_run(uint64_t count) {
  NS_ASSERT(count >= 1);
  if (count == 1) return allocate();
  // First fit over the free set: look for `count` consecutive ids.
  PageId run_first = kNoPage;
  uint64_t run_length = 0;
  for (PageId page_id : free_) {
    if (run_length > 0 && page_id == run_first + run_length) {
      run_length++;
    } else {
      run_first = page_id;
      run_length = 1;
    }
    if (run_length == count) break;
  }
  if (run_length < count) {
    NS_ASSERT_MSG(page_count_ + count <= kPageCountMax, "database reached kPageCountMax pages");
    run_first = page_count_;
    page_count_ += count;
  } else {
    for (uint64_t index = 0; index < count; index++) free_.erase(run_first + index);
  }
  for (uint64_t index = 0; index < count; index++) allocated_.insert(run_first + index);
  return run_first;
}

void PageAllocator::free_committed(PageId page_id) {
  NS_ASSERT(page_id >= kFirstDataPage && page_id < page_count_);
  NS_ASSERT(!allocated_.contains(page_id));
  if (volatile_.erase(page_id) > 0) {
    freed_volatile_.push_back(page_id);
  } else {
    freed_.push_back(page_id);
  }
}

void PageAllocator::free_scratch(PageId page_id) {
  NS_ASSERT(allocated_.contains(page_id));
  allocated_.erase(page_id);
  free_.insert(page_id);
}

void PageAllocator::rollback() {
  if (!in_txn_) return;
  in_txn_ = false;
  free_ = std::move(free_at_begin_);
  free_at_begin_.clear();
  page_count_ = page_count_at_begin_;
  allocated_.clear();
  freed_.clear();
  volatile_.insert(freed_volatile_.begin(), freed_volatile_.end());
  freed_volatile_.clear();
}

void PageAllocator::commit() {
  if (!in_txn_) return;
  in_txn_ = false;
  if (!freed_.empty()) {
    std::vector<PageId>& pending = pending_[txn_id_];
    pending.insert(pending.end(), freed_.begin(), freed_.end());
  }
  if (!freed_volatile_.empty()) {
    std::vector<PageId>& pending = pending_volatile_[txn_id_];
    pending.insert(pending.end(), freed_volatile_.begin(), freed_volatile_.end());
  }
  volatile_.insert(allocated_.begin(), allocated_.end());
  allocated_.clear();
  freed_.clear();
  freed_volatile_.clear();
  free_at_begin_.clear();
}

void PageAllocator::release_pending(TxnId oldest_visible_txn) {
  NS_ASSERT(!in_txn_);  // Between transactions only.
  while (!pending_.empty() && pending_.begin()->first <= oldest_visible_txn) {
    for (PageId page_id : pending_.begin()->second) free_.insert(page_id);
    pending_.erase(pending_.begin());
  }
}

std::vector<PageId> PageAllocator::release_volatile(TxnId oldest_snapshot_txn) {
  NS_ASSERT(!in_txn_);  // Between transactions only.
  std::vector<PageId> released;
  while (!pending_volatile_.empty() && pending_volatile_.begin()->first <= oldest_snapshot_txn) {
    for (PageId page_id : pending_volatile_.begin()->second) {
      free_.insert(page_id);
      released.push_back(page_id);
    }
    pending_volatile_.erase(pending_volatile_.begin());
  }
  return released;
}

std::vector<PageId> PageAllocator::persistent_free_pages() const {
  std::set<PageId> pages = free_;
  for (const auto& [txn_id, freed] : pending_) pages.insert(freed.begin(), freed.end());
  for (const auto& [txn_id, freed] : pending_volatile_) pages.insert(freed.begin(), freed.end());
  pages.insert(freed_.begin(), freed_.end());
  pages.insert(freed_volatile_.begin(), freed_volatile_.end());
  return {pages.begin(), pages.end()};
}

std::vector<PageId> PageAllocator::pending_pages() const {
  std::vector<PageId> pages;
  for (const auto& [txn_id, freed] : pending_)
    pages.insert(pages.end(), freed.begin(), freed.end());
  for (const auto& [txn_id, freed] : pending_volatile_)
    pages.insert(pages.end(), freed.begin(), freed.end());
  return pages;
}

uint64_t PageAllocator::pending_count() const {
  uint64_t count = 0;
  for (const auto& [txn_id, freed] : pending_) count += freed.size();
  for (const auto& [txn_id, freed] : pending_volatile_) count += freed.size();
  return count;
}

}  // namespace northstar::engine
