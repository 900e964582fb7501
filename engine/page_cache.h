// PageCache: verified page images in memory, under a byte budget.
//
// Frames hold whole pages (page_size_bytes each) keyed by page id. get() returns a pinned page;
// a pinned frame is never evicted or replaced until its last PinnedPage goes away. On a miss the
// cache asks its PageSource to fill a frame (the source reads and verifies the page; a failure
// is returned and nothing is cached). Eviction is CLOCK (second chance) over unpinned clean
// frames. Dirty frames (put with dirty = true) are never evicted until mark_clean(); they may
// push the cache over its budget, which over_budget() reports so the owner can write them back.
// A get() that needs a frame while every frame is pinned and the budget is spent fails with
// ResourceExhausted (a limit, not a crash).
//
// Yields: kCacheHit, kCacheMiss, kCacheEvict, kCachePin, kCacheUnpin; kIoSubmit / kIoComplete
// around the source's read. Thread-safe: one mutex from the runtime; the source's read runs
// without it held.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/format/types.h"
#include "engine/runtime.h"

namespace northstar::engine {

class PageSource {
 public:
  virtual ~PageSource() = default;
  // Reads page `page_id` into `out` (page_size_bytes) and verifies it.
  [[nodiscard]] virtual absl::Status read_page(PageId page_id, std::span<uint8_t> out) = 0;
};

struct PageCacheCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t pages_cached = 0;
  uint64_t pages_dirty = 0;
  uint64_t pages_pinned = 0;
};

class PageCache {
 public:
  class Frame;

  // A pinned page. Movable, not copyable; unpins on destruction.
  class PinnedPage {
   public:
    PinnedPage() = default;
    PinnedPage(PinnedPage&& other) noexcept;
    PinnedPage& operator=(PinnedPage&& other) noexcept;
    ~PinnedPage();

    [[nodiscard]] PageId page_id() const;
    [[nodiscard]] std::span<const uint8_t> bytes() const;
    [[nodiscard]] bool valid() const { return frame_ != nullptr; }

   private:
    friend class PageCache;
    PinnedPage(PageCache* cache, Frame* frame) : cache_(cache), frame_(frame) {}
    void release();

    PageCache* cache_ = nullptr;
    Frame* frame_ = nullptr;
  };

  // budget_bytes >= 4 pages.
  PageCache(Runtime& runtime, PageSource& source, uint32_t page_size_bytes, uint64_t budget_bytes);
  ~PageCache();  // Asserts nothing is pinned.
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;

  // The page, pinned: from a frame on a hit, read through the source on a miss.
  [[nodiscard]] absl::StatusOr<PinnedPage> get(PageId page_id);
  // The page, pinned, only if it is cached: a miss reads nothing and installs nothing (for large
  // values, which must not flush the cache, but whose newest pages may exist only in it).
  [[nodiscard]] std::optional<PinnedPage> get_if_cached(PageId page_id);
  // Installs `bytes` (a whole, sealed page) as page_id's content, replacing any cached copy
  // (which must not be pinned). dirty = true keeps it from eviction until mark_clean().
  void put(PageId page_id, std::span<const uint8_t> bytes, bool dirty);
  void mark_clean(PageId page_id);
  // Drops a cached copy (not pinned, not dirty) if there is one: the page was freed or rewritten.
  void forget(PageId page_id);
  // Drops a cached copy (not pinned) if there is one, dirty or not: the page was freed before
  // it ever had to reach the disk (PageAllocator::release_volatile), so its content is garbage.
  void discard(PageId page_id);
  // Dirty page ids, ascending.
  [[nodiscard]] std::vector<PageId> dirty_pages() const;
  [[nodiscard]] bool over_budget() const;
  [[nodiscard]] PageCacheCounters counters() const;
  [[nodiscard]] uint32_t page_size_bytes() const { return page_size_bytes_; }

 private:
  // Implementation-defined; see page_cache.cc.
  struct State;
  void unpin(Frame* frame);

  Runtime& runtime_;
  PageSource& source_;
  const uint32_t page_size_bytes_;
  std::unique_ptr<State> state_;
};

}  // namespace northstar::engine
