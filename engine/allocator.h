// PageAllocator: which pages a write transaction may write.
//
// Three kinds of unused pages:
// - free: reusable now; allocate() takes the smallest (keeps files compact), else grows the file;
// - pending: freed by a commit but maybe still visible to a reader's snapshot or to the previous
//   meta; each is tagged with the txn that freed it and becomes free once every reader's
//   snapshot is at least that txn (release_pending) and that txn is durable;
// - pending volatile: freed by a commit, but allocated after the last checkpoint, so no durable
//   state (meta, tree, free list) refers to it and recovery never reads it: allocated by txn a
//   and freed by txn t, it is visible only to snapshots in [a, t), and it becomes free as soon
//   as none is open (release_volatile), without waiting for a checkpoint, and even while an
//   older reader stays open (which keeps LMDB from reusing anything newer than that reader). Such a page never reached the data file; its only copy is
//   a dirty frame in the page cache, which the owner drops. Without this, every version of a
//   leaf rewritten by commit after commit stayed dirty until a checkpoint, and a random build
//   checkpointed every other commit to make room for them;
// - scratch: pages allocated by the open transaction and freed again before it commits: nobody
//   else ever saw them, so they are free at once.
// Runs of consecutive pages (overflow values) come from the free set when a run is there, else
// from the end of the file.
//
// Accounting invariant (checked by validate): pages reachable from the meta, the free-list
// chain pages, and the free and pending pages together are exactly [kFirstDataPage, page_count),
// each once. Not thread-safe: the single writer owns it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "engine/format/types.h"

namespace northstar::engine {

class PageAllocator {
 public:
  PageAllocator(uint64_t page_count, std::set<PageId> free_pages);

  // Starts a transaction `txn_id`: pages it frees from older snapshots go pending under it.
  void begin(TxnId txn_id);
  [[nodiscard]] PageId allocate();
  // `count` consecutive pages; returns the first.
  [[nodiscard]] PageId allocate_run(uint64_t count);
  // A page of the last committed state that this transaction no longer references.
  void free_committed(PageId page_id);
  // A page this transaction allocated and no longer needs.
  void free_scratch(PageId page_id);
  // Forgets the open transaction: its allocations return to the free set, its frees are undone.
  void rollback();
  // The transaction committed durably: its allocations stay, its frees become pending.
  void commit();
  // Pending pages freed by txns <= oldest_visible_txn become free. Call with the smallest
  // snapshot txn id any reader holds (or the last committed txn when there is none).
  void release_pending(TxnId oldest_visible_txn);
  // Pending volatile pages that none of `snapshots` (the txn ids of every snapshot still
  // readable, ascending) can see become free; returns them, so that their dirty cache frames can
  // be dropped. Between transactions only.
  [[nodiscard]] std::vector<PageId> release_volatile(std::span<const TxnId> snapshots);
  // A checkpoint is durable: every page allocated so far is part of it or free in it.
  void checkpointed() { volatile_.clear(); }

  // What the next meta persists as free: free + pending + this transaction's frees. Every page
  // not reachable from the new meta, so that a reopened database (no readers) reuses them all.
  [[nodiscard]] std::vector<PageId> persistent_free_pages() const;
  [[nodiscard]] uint64_t page_count() const { return page_count_; }
  [[nodiscard]] uint64_t free_count() const { return free_.size(); }
  [[nodiscard]] uint64_t pending_count() const;
  [[nodiscard]] const std::set<PageId>& free_pages() const { return free_; }
  [[nodiscard]] std::vector<PageId> pending_pages() const;
  [[nodiscard]] bool allocated_in_txn(PageId page_id) const { return allocated_.contains(page_id); }

 private:
  std::set<PageId> free_;
  std::map<TxnId, std::vector<PageId>> pending_;
  // Allocated by committed transactions since the last checkpoint, with the allocating txn.
  std::map<PageId, TxnId> volatile_;
  struct VolatileFree {
    PageId page_id;
    TxnId allocated_by;
  };
  // By the txn that freed them.
  std::map<TxnId, std::vector<VolatileFree>> pending_volatile_;
  uint64_t page_count_;
  // The open transaction.
  TxnId txn_id_ = 0;
  uint64_t page_count_at_begin_ = 0;
  std::set<PageId> allocated_;
  std::vector<PageId> freed_;
  std::vector<VolatileFree> freed_volatile_;  // Taken out of volatile_; rollback puts them back.
  std::set<PageId> free_at_begin_;  // For rollback.
  bool in_txn_ = false;
};

}  // namespace northstar::engine
