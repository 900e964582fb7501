// PageCache (see page_cache.h): a ring of frames swept by a CLOCK hand, an ordered map from page
// id to frame, and counters, all behind one mutex from the runtime.
//
// Locking rule: nothing that may switch tasks runs while the cache mutex is held: neither
// runtime_.yield() nor the source's read_page(). In simulation a yield hands the thread to
// another fiber; with the cache mutex held, every fiber that touches the cache would park behind
// it, and a fiber (or test hook) that re-enters the cache from the yield would deadlock on the
// non-recursive mutex. So State's methods do the bookkeeping under the lock and return; the
// PageCache methods around them yield and read with the lock released.
//
// Frames: created on demand, kept in `ring` for the cache's lifetime (so Frame pointers held by
// PinnedPage stay valid) and reused through `free_frames`. A frame in use owns its page's bytes;
// a free frame owns none, so memory follows the number of cached pages, not its high-water mark.
//
// A PinnedPage reads its frame's page_id and bytes without the lock: while pinned, a frame is
// never evicted, forgotten or replaced, and the pin was taken under the lock after those fields
// were written.
//
// A miss reads with the lock released, so the page may change hands meanwhile: if another task
// installed it (a read or a put()), get() pins that copy and drops its own. A forget() that
// lands during the read cannot stop the read's copy from being installed after it; callers
// never read a page they are freeing (copy-on-write pages are immutable while reachable).
#include "engine/page_cache.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

// The smallest budget, in pages, that the constructor accepts.
constexpr uint64_t kFramesMin = 4;

uint64_t FramesMax(uint32_t page_size_bytes, uint64_t budget_bytes) {
  NS_ASSERT(IsValidPageSize(page_size_bytes));
  NS_ASSERT_MSG(budget_bytes / page_size_bytes >= kFramesMin,
                absl::StrFormat("page cache budget of %d bytes is under %d pages of %d bytes",
                                budget_bytes, kFramesMin, page_size_bytes));
  return budget_bytes / page_size_bytes;
}

void YieldEvictions(Runtime& runtime, uint64_t evicted_count) {
  for (uint64_t index = 0; index < evicted_count; index++) runtime.yield(YieldSite::kCacheEvict);
}

}  // namespace

class PageCache::Frame {
 public:
  PageId page_id = kNoPage;
  // page_size_bytes long while the frame holds a page; null while the frame is free.
  std::unique_ptr<uint8_t[]> bytes;
  uint32_t pin_count = 0;
  // CLOCK's second chance: set when the page is used again, cleared as the hand passes.
  bool referenced = false;
  bool dirty = false;
};

// Everything the mutex guards. Each public method takes the lock itself; the private ones
// expect it held.
struct PageCache::State {
  State(std::unique_ptr<Mutex> mutex_in, uint64_t frames_max_in)
      : mutex(std::move(mutex_in)), frames_max(frames_max_in) {
    NS_ASSERT(mutex != nullptr);
  }

  // The cached page, pinned, or null (a miss). Counts the hit or the miss.
  Frame* pin_if_cached(PageId page_id) {
    std::lock_guard<Mutex> lock(*mutex);
    Frame* frame = find(page_id);
    if (frame == nullptr) {
      counters.misses++;
      return nullptr;
    }
    counters.hits++;
    use_and_pin(*frame);
    return frame;
  }

  // Installs a page read from the source and pins it; if another thread installed the page
  // meanwhile, pins theirs and drops `bytes`. Adds the pages evicted to make room to
  // `evicted_count`.
  absl::StatusOr<Frame*> install_read(PageId page_id, std::unique_ptr<uint8_t[]> bytes,
                                      uint64_t& evicted_count) {
    std::lock_guard<Mutex> lock(*mutex);
    if (Frame* frame = find(page_id)) {
      use_and_pin(*frame);
      return frame;
    }
    evicted_count += evict_down_to(frames_max - 1);
    if (counters.pages_cached >= frames_max) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "page cache: no frame for page %d: all %d cached pages are pinned or dirty (budget %d "
          "pages)",
          page_id, counters.pages_cached, frames_max));
    }
    Frame& frame = install(page_id, std::move(bytes), /*dirty=*/false);
    pin(frame);
    return &frame;
  }

  // Returns the number of pages evicted.
  uint64_t put(PageId page_id, std::unique_ptr<uint8_t[]> bytes, bool dirty) {
    std::lock_guard<Mutex> lock(*mutex);
    if (Frame* frame = find(page_id)) {
      NS_ASSERT_MSG(frame->pin_count == 0, absl::StrFormat("put() of pinned page %d", page_id));
      frame->bytes = std::move(bytes);
      frame->referenced = true;
      set_dirty(*frame, dirty);
      // A dirty page that turned clean may free the cache to shrink back to its budget.
      return evict_down_to(frames_max);
    }
    const uint64_t evicted_count = evict_down_to(frames_max - 1);
    // A dirty page is always kept. A clean one without room is not cached at all: the source
    // has it, and dropping it now is what evicting it next would do.
    if (dirty || counters.pages_cached < frames_max) install(page_id, std::move(bytes), dirty);
    return evicted_count;
  }

  // Returns the number of pages evicted.
  uint64_t mark_clean(PageId page_id) {
    std::lock_guard<Mutex> lock(*mutex);
    Frame* frame = find(page_id);
    NS_ASSERT_MSG(frame != nullptr, absl::StrFormat("mark_clean() of uncached page %d", page_id));
    NS_ASSERT_MSG(frame->dirty, absl::StrFormat("mark_clean() of clean page %d", page_id));
    set_dirty(*frame, false);
    return evict_down_to(frames_max);
  }

  void forget(PageId page_id) {
    std::lock_guard<Mutex> lock(*mutex);
    Frame* frame = find(page_id);
    if (frame == nullptr) return;
    NS_ASSERT_MSG(frame->pin_count == 0, absl::StrFormat("forget() of pinned page %d", page_id));
    NS_ASSERT_MSG(!frame->dirty, absl::StrFormat("forget() of dirty page %d", page_id));
    drop(*frame);
  }

  void discard(PageId page_id) {
    std::lock_guard<Mutex> lock(*mutex);
    Frame* frame = find(page_id);
    if (frame == nullptr) return;
    NS_ASSERT_MSG(frame->pin_count == 0, absl::StrFormat("discard() of pinned page %d", page_id));
    set_dirty(*frame, false);
    drop(*frame);
  }

  void unpin(Frame& frame) {
    std::lock_guard<Mutex> lock(*mutex);
    NS_ASSERT(frame.bytes != nullptr);
    NS_ASSERT(frame.pin_count > 0);
    frame.pin_count--;
    if (frame.pin_count == 0) counters.pages_pinned--;
  }

  std::vector<PageId> dirty_pages() {
    std::lock_guard<Mutex> lock(*mutex);
    std::vector<PageId> page_ids;
    page_ids.reserve(counters.pages_dirty);
    for (const auto& [page_id, frame] : frame_by_page) {
      if (frame->dirty) page_ids.push_back(page_id);
    }
    NS_ASSERT(page_ids.size() == counters.pages_dirty);
    // Sorted: the hash map's order is salted per process, and callers write pages in this order.
    std::sort(page_ids.begin(), page_ids.end());
    return page_ids;
  }

  bool over_budget() {
    std::lock_guard<Mutex> lock(*mutex);
    return counters.pages_cached > frames_max;
  }

  PageCacheCounters counters_copy() {
    std::lock_guard<Mutex> lock(*mutex);
    return counters;
  }

  const std::unique_ptr<Mutex> mutex;
  const uint64_t frames_max;

 private:
  Frame* find(PageId page_id) const {
    const auto found = frame_by_page.find(page_id);
    return found == frame_by_page.end() ? nullptr : found->second;
  }

  void use_and_pin(Frame& frame) {
    frame.referenced = true;
    pin(frame);
  }

  void pin(Frame& frame) {
    NS_ASSERT(frame.bytes != nullptr);
    if (frame.pin_count == 0) counters.pages_pinned++;
    frame.pin_count++;
  }

  void set_dirty(Frame& frame, bool dirty) {
    if (frame.dirty == dirty) return;
    frame.dirty = dirty;
    if (dirty) {
      counters.pages_dirty++;
    } else {
      counters.pages_dirty--;
    }
  }

  // A new page starts without a second chance: only a later use earns one.
  Frame& install(PageId page_id, std::unique_ptr<uint8_t[]> bytes, bool dirty) {
    NS_ASSERT(bytes != nullptr);
    Frame& frame = take_free_frame();
    frame.page_id = page_id;
    frame.bytes = std::move(bytes);
    frame.referenced = false;
    set_dirty(frame, dirty);
    const bool inserted = frame_by_page.emplace(page_id, &frame).second;
    NS_ASSERT(inserted);
    counters.pages_cached++;
    return frame;
  }

  Frame& take_free_frame() {
    if (free_frames.empty()) {
      ring.push_back(std::make_unique<Frame>());
      return *ring.back();
    }
    Frame& frame = *free_frames.back();
    free_frames.pop_back();
    NS_ASSERT(frame.bytes == nullptr);
    return frame;
  }

  // Removes an unpinned clean page and frees its frame.
  void drop(Frame& frame) {
    NS_ASSERT(frame.pin_count == 0);
    NS_ASSERT(!frame.dirty);
    const size_t erased_count = frame_by_page.erase(frame.page_id);
    NS_ASSERT(erased_count == 1);
    frame = Frame{};
    free_frames.push_back(&frame);
    counters.pages_cached--;
  }

  // Evicts unpinned clean pages, in CLOCK order, until at most `pages_max` are cached or none is
  // evictable. Returns the number evicted.
  uint64_t evict_down_to(uint64_t pages_max) {
    uint64_t evicted_count = 0;
    while (counters.pages_cached > pages_max && evict_one()) evicted_count++;
    return evicted_count;
  }

  // Moves the hand to the first unpinned clean frame whose second chance is spent, clearing the
  // second chances it passes, and evicts that page. False if no frame is evictable.
  bool evict_one() {
    // Two turns of the hand: the first may only clear second chances.
    const size_t steps_max = 2 * ring.size();
    for (size_t step = 0; step < steps_max; step++) {
      Frame& frame = *ring[hand];
      hand = (hand + 1) % ring.size();
      if (frame.bytes == nullptr || frame.pin_count > 0 || frame.dirty) continue;
      if (frame.referenced) {
        frame.referenced = false;
        continue;
      }
      drop(frame);
      counters.evictions++;
      return true;
    }
    return false;
  }

  // Hashed, because every page access of every reader looks a page up here (an ordered map
  // cost a chain of cache misses per lookup). Nothing depends on its order: dirty_pages()
  // sorts what it collects.
  absl::flat_hash_map<PageId, Frame*> frame_by_page;
  // Every frame ever made, in the order the CLOCK hand visits them; never shrinks.
  std::vector<std::unique_ptr<Frame>> ring;
  std::vector<Frame*> free_frames;
  size_t hand = 0;
  PageCacheCounters counters;
};

PageCache::PinnedPage::PinnedPage(PinnedPage&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)), frame_(std::exchange(other.frame_, nullptr)) {}

PageCache::PinnedPage& PageCache::PinnedPage::operator=(PinnedPage&& other) noexcept {
  if (this != &other) {
    release();
    cache_ = std::exchange(other.cache_, nullptr);
    frame_ = std::exchange(other.frame_, nullptr);
  }
  return *this;
}

PageCache::PinnedPage::~PinnedPage() { release(); }

PageId PageCache::PinnedPage::page_id() const {
  NS_ASSERT(valid());
  return frame_->page_id;
}

std::span<const uint8_t> PageCache::PinnedPage::bytes() const {
  NS_ASSERT(valid());
  return {frame_->bytes.get(), cache_->page_size_bytes_};
}

void PageCache::PinnedPage::release() {
  if (frame_ == nullptr) return;
  cache_->unpin(frame_);
  cache_ = nullptr;
  frame_ = nullptr;
}

PageCache::PageCache(Runtime& runtime, PageSource& source, uint32_t page_size_bytes,
                     uint64_t budget_bytes)
    : runtime_(runtime),
      source_(source),
      page_size_bytes_(page_size_bytes),
      state_(std::make_unique<State>(runtime.make_mutex("page_cache"),
                                     FramesMax(page_size_bytes, budget_bytes))) {}

PageCache::~PageCache() {
  const uint64_t pages_pinned = state_->counters_copy().pages_pinned;
  NS_ASSERT_MSG(pages_pinned == 0,
                absl::StrFormat("page cache destroyed with %d pages pinned", pages_pinned));
}

absl::StatusOr<PageCache::PinnedPage> PageCache::get(PageId page_id) {
  if (Frame* frame = state_->pin_if_cached(page_id)) {
    runtime_.yield(YieldSite::kCacheHit);
    runtime_.yield(YieldSite::kCachePin);
    return PinnedPage(this, frame);
  }
  runtime_.yield(YieldSite::kCacheMiss);

  // The read fills a buffer of its own, with the lock released.
  auto bytes = std::make_unique<uint8_t[]>(page_size_bytes_);
  runtime_.yield(YieldSite::kIoSubmit);
  const absl::Status read_status = source_.read_page(page_id, {bytes.get(), page_size_bytes_});
  runtime_.yield(YieldSite::kIoComplete);
  NS_RETURN_IF_ERROR(read_status);

  uint64_t evicted_count = 0;
  absl::StatusOr<Frame*> frame = state_->install_read(page_id, std::move(bytes), evicted_count);
  YieldEvictions(runtime_, evicted_count);
  NS_RETURN_IF_ERROR(frame.status());
  runtime_.yield(YieldSite::kCachePin);
  return PinnedPage(this, *frame);
}

std::optional<PageCache::PinnedPage> PageCache::get_if_cached(PageId page_id) {
  Frame* frame = state_->pin_if_cached(page_id);
  if (frame == nullptr) return std::nullopt;
  runtime_.yield(YieldSite::kCacheHit);
  runtime_.yield(YieldSite::kCachePin);
  return PinnedPage(this, frame);
}

void PageCache::put(PageId page_id, std::span<const uint8_t> bytes, bool dirty) {
  NS_ASSERT(bytes.size() == page_size_bytes_);
  auto copy = std::make_unique<uint8_t[]>(page_size_bytes_);
  std::copy(bytes.begin(), bytes.end(), copy.get());
  YieldEvictions(runtime_, state_->put(page_id, std::move(copy), dirty));
}

void PageCache::mark_clean(PageId page_id) {
  YieldEvictions(runtime_, state_->mark_clean(page_id));
}

void PageCache::forget(PageId page_id) { state_->forget(page_id); }

void PageCache::discard(PageId page_id) { state_->discard(page_id); }

std::vector<PageId> PageCache::dirty_pages() const { return state_->dirty_pages(); }

bool PageCache::over_budget() const { return state_->over_budget(); }

PageCacheCounters PageCache::counters() const { return state_->counters_copy(); }

void PageCache::unpin(Frame* frame) {
  NS_ASSERT(frame != nullptr);
  state_->unpin(*frame);
  runtime_.yield(YieldSite::kCacheUnpin);
}

}  // namespace northstar::engine
