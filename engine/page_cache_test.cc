// PageCache: hits and misses, CLOCK eviction, pins, dirty pages and the budget, failed reads,
// yield sites (with a recording runtime), and a multi-threaded stress run on the production
// runtime.
#include "engine/page_cache.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "util/random.h"
#include "util/testing.h"

namespace northstar::engine {
namespace {

constexpr uint32_t kPageSizeBytes = kPageSizeMinBytes;
constexpr uint64_t kBudgetPages = 4;
constexpr uint64_t kBudgetBytes = kBudgetPages * kPageSizeBytes;
// The fake source holds pages [kFirstDataPage, kSourcePageIdEnd).
constexpr PageId kSourcePageIdEnd = 100;

// A page image unique to (page_id, version): the id in the first 8 bytes, a pattern after.
std::vector<uint8_t> PageImage(PageId page_id, uint8_t version) {
  std::vector<uint8_t> bytes(kPageSizeBytes);
  for (size_t index = 0; index < bytes.size(); index++) {
    bytes[index] = static_cast<uint8_t>(page_id * 131 + index * 7 + version * 29 + (index >> 8));
  }
  for (size_t index = 0; index < sizeof(PageId); index++) {
    bytes[index] = static_cast<uint8_t>(page_id >> (8 * index));
  }
  return bytes;
}

// Serves PageImage(page_id, 0) for every page it holds, counts reads, and fails a chosen one.
// Thread-safe.
class FakePageSource final : public PageSource {
 public:
  explicit FakePageSource(PageId page_id_end) {
    for (PageId page_id = kFirstDataPage; page_id < page_id_end; page_id++) {
      pages_.emplace(page_id, PageImage(page_id, 0));
    }
  }

  absl::Status read_page(PageId page_id, std::span<uint8_t> out) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      reads_by_page_[page_id]++;
      if (failing_page_id_ == page_id) {
        failing_page_id_.reset();
        return absl::InternalError(absl::StrFormat("injected EIO reading page %d", page_id));
      }
    }
    const auto found = pages_.find(page_id);
    if (found == pages_.end()) return absl::NotFoundError(absl::StrFormat("no page %d", page_id));
    if (out.size() != found->second.size()) return absl::InvalidArgumentError("bad buffer size");
    std::copy(found->second.begin(), found->second.end(), out.begin());
    return absl::OkStatus();
  }

  // The next read of page_id fails with Internal; reads after it succeed.
  void fail_next_read_of(PageId page_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    failing_page_id_ = page_id;
  }

  int reads_of(PageId page_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = reads_by_page_.find(page_id);
    return found == reads_by_page_.end() ? 0 : found->second;
  }

  const std::vector<uint8_t>& image(PageId page_id) const { return pages_.at(page_id); }

 private:
  // Written only by the constructor, so read without the lock.
  std::map<PageId, std::vector<uint8_t>> pages_;
  mutable std::mutex mutex_;
  std::map<PageId, int> reads_by_page_;
  std::optional<PageId> failing_page_id_;
};

// A runtime for one-thread tests: std:: locks that count how many are held, and a yield that
// records its site, notes whether any lock was held, then runs a one-shot hook (which stands in
// for another task running at that point).
class RecordingRuntime final : public Runtime {
 public:
  std::unique_ptr<Mutex> make_mutex(std::string_view name) override {
    mutex_names_.emplace_back(name);
    return std::make_unique<CountingMutex>(locks_held_);
  }
  std::unique_ptr<SharedMutex> make_shared_mutex(std::string_view name) override {
    mutex_names_.emplace_back(name);
    return std::make_unique<CountingSharedMutex>(locks_held_);
  }
  void yield(YieldSite site) override {
    sites_.push_back(site);
    if (locks_held_ > 0) yields_under_lock_++;
    if (hook_site_ == site && hook_) {
      std::function<void()> hook = std::exchange(hook_, nullptr);
      hook();
    }
  }
  uint64_t now_ns() override { return ++clock_ns_; }

  // Runs `hook` the next time the cache yields at `site`.
  void on_next_yield(YieldSite site, std::function<void()> hook) {
    hook_site_ = site;
    hook_ = std::move(hook);
  }
  // The names of the sites yielded at since the last call.
  std::vector<std::string> take_sites() {
    std::vector<std::string> names;
    for (YieldSite site : sites_) names.emplace_back(YieldSiteName(site));
    sites_.clear();
    return names;
  }
  int yields_under_lock() const { return yields_under_lock_; }
  const std::vector<std::string>& mutex_names() const { return mutex_names_; }

 private:
  class CountingMutex final : public Mutex {
   public:
    explicit CountingMutex(std::atomic<int>& held) : held_(held) {}
    void lock() override {
      mutex_.lock();
      held_++;
    }
    void unlock() override {
      held_--;
      mutex_.unlock();
    }
    bool try_lock() override {
      if (!mutex_.try_lock()) return false;
      held_++;
      return true;
    }

   private:
    std::atomic<int>& held_;
    std::mutex mutex_;
  };

  class CountingSharedMutex final : public SharedMutex {
   public:
    explicit CountingSharedMutex(std::atomic<int>& held) : held_(held) {}
    void lock() override {
      mutex_.lock();
      held_++;
    }
    void unlock() override {
      held_--;
      mutex_.unlock();
    }
    bool try_lock() override {
      if (!mutex_.try_lock()) return false;
      held_++;
      return true;
    }
    void lock_shared() override {
      mutex_.lock_shared();
      held_++;
    }
    void unlock_shared() override {
      held_--;
      mutex_.unlock_shared();
    }
    bool try_lock_shared() override {
      if (!mutex_.try_lock_shared()) return false;
      held_++;
      return true;
    }

   private:
    std::atomic<int>& held_;
    std::shared_mutex mutex_;
  };

  std::atomic<int> locks_held_ = 0;
  int yields_under_lock_ = 0;
  std::vector<YieldSite> sites_;
  std::vector<std::string> mutex_names_;
  std::optional<YieldSite> hook_site_;
  std::function<void()> hook_;
  uint64_t clock_ns_ = 0;
};

testing::AssertionResult PageMatches(const PageCache::PinnedPage& page, PageId page_id,
                                     const std::vector<uint8_t>& expected) {
  if (!page.valid()) return testing::AssertionFailure() << "page " << page_id << " not pinned";
  if (page.page_id() != page_id) {
    return testing::AssertionFailure() << "page " << page.page_id() << " for " << page_id;
  }
  if (!std::ranges::equal(page.bytes(), expected)) {
    return testing::AssertionFailure() << "page " << page_id << " bytes differ";
  }
  return testing::AssertionSuccess();
}

// get(page_id) succeeds with `expected`; the pin is released before returning.
testing::AssertionResult GetMatches(PageCache& cache, PageId page_id,
                                    const std::vector<uint8_t>& expected) {
  absl::StatusOr<PageCache::PinnedPage> page = cache.get(page_id);
  if (!page.ok()) return testing::AssertionFailure() << "get(" << page_id << "): " << page.status();
  return PageMatches(*page, page_id, expected);
}

class PageCacheTest : public testing::Test {
 protected:
  testing::AssertionResult GetMatchesSource(PageId page_id) {
    return GetMatches(cache_, page_id, source_.image(page_id));
  }
  PageCache::PinnedPage Pin(PageId page_id) {
    absl::StatusOr<PageCache::PinnedPage> page = cache_.get(page_id);
    if (!page.ok()) {
      ADD_FAILURE() << "get(" << page_id << "): " << page.status();
      return PageCache::PinnedPage();
    }
    return std::move(page).value();
  }
  void PutImage(PageId page_id, uint8_t version, bool dirty) {
    cache_.put(page_id, PageImage(page_id, version), dirty);
  }

  RecordingRuntime runtime_;
  FakePageSource source_{kSourcePageIdEnd};
  PageCache cache_{runtime_, source_, kPageSizeBytes, kBudgetBytes};
};

using PageCacheDeathTest = PageCacheTest;

TEST_F(PageCacheTest, MissReadsThroughTheSourceAndTheNextGetHits) {
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(source_.reads_of(2), 1);
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(source_.reads_of(2), 1);

  const PageCacheCounters counters = cache_.counters();
  EXPECT_EQ(counters.hits, 1u);
  EXPECT_EQ(counters.misses, 1u);
  EXPECT_EQ(counters.evictions, 0u);
  EXPECT_EQ(counters.pages_cached, 1u);
  EXPECT_EQ(counters.pages_dirty, 0u);
  EXPECT_EQ(counters.pages_pinned, 0u);
  EXPECT_EQ(cache_.page_size_bytes(), kPageSizeBytes);
}

TEST_F(PageCacheTest, PinsCountPerPageAndMoveWithThePinnedPage) {
  PageCache::PinnedPage first = Pin(2);
  PageCache::PinnedPage second = Pin(2);
  EXPECT_EQ(first.bytes().data(), second.bytes().data());
  EXPECT_EQ(cache_.counters().pages_pinned, 1u);

  PageCache::PinnedPage moved = std::move(first);
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from is documented empty.
  EXPECT_TRUE(PageMatches(moved, 2, source_.image(2)));
  second = Pin(3);  // Releases second's pin on page 2.
  EXPECT_EQ(cache_.counters().pages_pinned, 2u);
  moved = PageCache::PinnedPage();
  EXPECT_EQ(cache_.counters().pages_pinned, 1u);
  second = PageCache::PinnedPage();
  EXPECT_EQ(cache_.counters().pages_pinned, 0u);
}

TEST_F(PageCacheTest, ClockEvictsInRingOrderWhenNothingWasReused) {
  for (PageId page_id = 2; page_id <= 5; page_id++) EXPECT_TRUE(GetMatchesSource(page_id));
  EXPECT_TRUE(GetMatchesSource(6));  // Budget spent: the hand evicts page 2, the oldest.
  EXPECT_EQ(cache_.counters().evictions, 1u);
  // Hits first (they evict nothing), then the one expected miss.
  for (PageId page_id = 3; page_id <= 6; page_id++) {
    EXPECT_TRUE(GetMatchesSource(page_id));
    EXPECT_EQ(source_.reads_of(page_id), 1) << "page " << page_id;
  }
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(source_.reads_of(2), 2);
}

TEST_F(PageCacheTest, ClockGivesARecentlyUsedPageASecondChance) {
  for (PageId page_id = 2; page_id <= 5; page_id++) EXPECT_TRUE(GetMatchesSource(page_id));
  EXPECT_TRUE(GetMatchesSource(2));  // A hit: page 2 earns a second chance.
  EXPECT_TRUE(GetMatchesSource(6));  // The hand spares page 2 and evicts page 3.
  EXPECT_EQ(cache_.counters().evictions, 1u);
  for (PageId page_id : {2, 4, 5, 6}) {
    EXPECT_TRUE(GetMatchesSource(page_id));
    EXPECT_EQ(source_.reads_of(page_id), 1) << "page " << page_id;
  }
  EXPECT_TRUE(GetMatchesSource(3));
  EXPECT_EQ(source_.reads_of(3), 2);
}

TEST_F(PageCacheTest, PinnedPagesAreNeverEvicted) {
  PageCache::PinnedPage page_2 = Pin(2);
  PageCache::PinnedPage page_3 = Pin(3);
  for (PageId page_id = 4; page_id < 40; page_id++) EXPECT_TRUE(GetMatchesSource(page_id));
  EXPECT_GT(cache_.counters().evictions, 30u);
  EXPECT_TRUE(PageMatches(page_2, 2, source_.image(2)));
  EXPECT_TRUE(PageMatches(page_3, 3, source_.image(3)));
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_TRUE(GetMatchesSource(3));
  EXPECT_EQ(source_.reads_of(2), 1);
  EXPECT_EQ(source_.reads_of(3), 1);
  EXPECT_EQ(cache_.counters().pages_pinned, 2u);
}

TEST_F(PageCacheTest, GetFailsWithResourceExhaustedWhenEveryFrameIsPinned) {
  std::vector<PageCache::PinnedPage> pins;
  for (PageId page_id = 2; page_id <= 5; page_id++) pins.push_back(Pin(page_id));
  absl::StatusOr<PageCache::PinnedPage> page = cache_.get(6);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kResourceExhausted) << page.status();
  EXPECT_EQ(cache_.counters().pages_cached, 4u);
  EXPECT_EQ(cache_.counters().pages_pinned, 4u);
  for (size_t index = 0; index < pins.size(); index++) {
    EXPECT_TRUE(PageMatches(pins[index], 2 + index, source_.image(2 + index)));
  }

  pins.erase(pins.begin() + 1);  // Unpins page 3.
  EXPECT_TRUE(GetMatchesSource(6));
  EXPECT_EQ(cache_.counters().evictions, 1u);
}

TEST_F(PageCacheTest, DirtyPagesSurviveEvictionPressureAndMayGoOverBudget) {
  PutImage(2, 1, /*dirty=*/true);
  PutImage(3, 1, /*dirty=*/true);
  for (PageId page_id = 10; page_id < 40; page_id++) EXPECT_TRUE(GetMatchesSource(page_id));
  EXPECT_TRUE(GetMatches(cache_, 2, PageImage(2, 1)));
  EXPECT_TRUE(GetMatches(cache_, 3, PageImage(3, 1)));
  EXPECT_EQ(source_.reads_of(2), 0);
  EXPECT_FALSE(cache_.over_budget());

  for (PageId page_id = 4; page_id <= 6; page_id++) PutImage(page_id, 1, /*dirty=*/true);
  EXPECT_TRUE(cache_.over_budget());
  EXPECT_EQ(cache_.dirty_pages(), (std::vector<PageId>{2, 3, 4, 5, 6}));
  EXPECT_EQ(cache_.counters().pages_dirty, 5u);
  EXPECT_EQ(cache_.counters().pages_cached, 5u);
  EXPECT_EQ(cache_.get(7).status().code(), absl::StatusCode::kResourceExhausted);

  // Written back: the cache shrinks to its budget as pages turn clean.
  for (PageId page_id = 2; page_id <= 6; page_id++) cache_.mark_clean(page_id);
  EXPECT_FALSE(cache_.over_budget());
  EXPECT_EQ(cache_.counters().pages_cached, kBudgetPages);
  EXPECT_EQ(cache_.counters().pages_dirty, 0u);
  EXPECT_TRUE(cache_.dirty_pages().empty());
  EXPECT_TRUE(GetMatchesSource(7));
}

TEST_F(PageCacheTest, MarkCleanMakesADirtyPageEvictable) {
  for (PageId page_id = 2; page_id <= 5; page_id++) PutImage(page_id, 1, /*dirty=*/true);
  EXPECT_EQ(cache_.get(6).status().code(), absl::StatusCode::kResourceExhausted);
  cache_.mark_clean(2);
  EXPECT_EQ(cache_.dirty_pages(), (std::vector<PageId>{3, 4, 5}));
  EXPECT_TRUE(GetMatchesSource(6));
  EXPECT_EQ(cache_.counters().evictions, 1u);
  // Page 2's cached copy is gone: the source's copy comes back.
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(source_.reads_of(2), 1);
}

TEST_F(PageCacheTest, PutReplacesContentsAndInstallsNewPages) {
  EXPECT_TRUE(GetMatchesSource(2));
  PutImage(2, 1, /*dirty=*/false);
  EXPECT_TRUE(GetMatches(cache_, 2, PageImage(2, 1)));
  PutImage(7, 1, /*dirty=*/false);
  EXPECT_TRUE(GetMatches(cache_, 7, PageImage(7, 1)));
  PutImage(7, 2, /*dirty=*/true);
  EXPECT_EQ(cache_.dirty_pages(), std::vector<PageId>{7});
  PutImage(7, 3, /*dirty=*/false);  // Replacing a dirty page with a clean image cleans it.
  EXPECT_TRUE(cache_.dirty_pages().empty());
  EXPECT_TRUE(GetMatches(cache_, 7, PageImage(7, 3)));
  EXPECT_EQ(source_.reads_of(2), 1);
  EXPECT_EQ(source_.reads_of(7), 0);
  EXPECT_EQ(cache_.counters().pages_cached, 2u);
}

TEST_F(PageCacheTest, CleanPutWithoutRoomIsNotCached) {
  std::vector<PageCache::PinnedPage> pins;
  for (PageId page_id = 2; page_id <= 5; page_id++) pins.push_back(Pin(page_id));
  PutImage(7, 1, /*dirty=*/false);
  EXPECT_EQ(cache_.counters().pages_cached, 4u);
  pins.clear();
  EXPECT_TRUE(GetMatchesSource(7));
  EXPECT_EQ(source_.reads_of(7), 1);
}

TEST_F(PageCacheTest, ForgetDropsACachedCopy) {
  EXPECT_TRUE(GetMatchesSource(2));
  cache_.forget(2);
  EXPECT_EQ(cache_.counters().pages_cached, 0u);
  cache_.forget(2);   // Not cached: nothing to do.
  cache_.forget(99);  // Never cached.
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(source_.reads_of(2), 2);
  EXPECT_EQ(cache_.counters().evictions, 0u);
}

TEST_F(PageCacheTest, FailedReadReturnsItsErrorAndCachesNothing) {
  source_.fail_next_read_of(2);
  absl::StatusOr<PageCache::PinnedPage> page = cache_.get(2);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(page.status().message().find("injected EIO reading page 2"), std::string_view::npos)
      << page.status();
  EXPECT_EQ(cache_.counters().pages_cached, 0u);
  EXPECT_EQ(cache_.counters().pages_pinned, 0u);

  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(source_.reads_of(2), 2);
  EXPECT_EQ(cache_.get(kSourcePageIdEnd).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cache_.counters().pages_cached, 1u);
}

TEST_F(PageCacheTest, DirtyPagesAreAscending) {
  for (PageId page_id : {9, 3, 7, 5}) PutImage(page_id, 1, /*dirty=*/true);
  PutImage(4, 1, /*dirty=*/false);
  EXPECT_EQ(cache_.dirty_pages(), (std::vector<PageId>{3, 5, 7, 9}));
  cache_.mark_clean(5);
  EXPECT_EQ(cache_.dirty_pages(), (std::vector<PageId>{3, 7, 9}));
}

TEST_F(PageCacheTest, YieldsAtTheDocumentedSitesAndNeverUnderTheLock) {
  EXPECT_EQ(runtime_.mutex_names(), std::vector<std::string>{"page_cache"});
  using Sites = std::vector<std::string>;
  {
    PageCache::PinnedPage page = Pin(2);
    EXPECT_EQ(runtime_.take_sites(),
              (Sites{"cache_miss", "io_submit", "io_complete", "cache_pin"}));
  }
  EXPECT_EQ(runtime_.take_sites(), Sites{"cache_unpin"});
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_EQ(runtime_.take_sites(), (Sites{"cache_hit", "cache_pin", "cache_unpin"}));

  for (PageId page_id = 3; page_id <= 5; page_id++) EXPECT_TRUE(GetMatchesSource(page_id));
  runtime_.take_sites();
  EXPECT_TRUE(GetMatchesSource(6));
  EXPECT_EQ(runtime_.take_sites(), (Sites{"cache_miss", "io_submit", "io_complete", "cache_evict",
                                          "cache_pin", "cache_unpin"}));

  source_.fail_next_read_of(7);
  EXPECT_FALSE(cache_.get(7).ok());
  EXPECT_EQ(runtime_.take_sites(), (Sites{"cache_miss", "io_submit", "io_complete"}));

  PutImage(8, 1, /*dirty=*/true);
  EXPECT_EQ(runtime_.take_sites(), Sites{"cache_evict"});
  for (PageId page_id = 9; page_id <= 12; page_id++) PutImage(page_id, 1, /*dirty=*/true);
  runtime_.take_sites();
  cache_.mark_clean(8);  // Over budget: the page turned clean is evicted at once.
  EXPECT_EQ(runtime_.take_sites(), Sites{"cache_evict"});
  cache_.forget(2);
  (void)cache_.dirty_pages();
  (void)cache_.over_budget();
  (void)cache_.counters();
  EXPECT_TRUE(runtime_.take_sites().empty());

  EXPECT_EQ(runtime_.yields_under_lock(), 0);
}

// Another task installs the page while this get() reads it: get() keeps the installed copy.
TEST_F(PageCacheTest, ReadRacingWithAnotherReadOfThePageKeepsOneCopy) {
  PageCache::PinnedPage inner;
  runtime_.on_next_yield(YieldSite::kIoSubmit, [&] { inner = Pin(2); });
  PageCache::PinnedPage outer = Pin(2);
  EXPECT_TRUE(PageMatches(inner, 2, source_.image(2)));
  EXPECT_TRUE(PageMatches(outer, 2, source_.image(2)));
  EXPECT_EQ(inner.bytes().data(), outer.bytes().data());
  EXPECT_EQ(source_.reads_of(2), 2);
  EXPECT_EQ(cache_.counters().misses, 2u);
  EXPECT_EQ(cache_.counters().pages_cached, 1u);
  EXPECT_EQ(cache_.counters().pages_pinned, 1u);
  EXPECT_EQ(runtime_.yields_under_lock(), 0);
}

TEST_F(PageCacheTest, ReadRacingWithPutReturnsThePutImage) {
  runtime_.on_next_yield(YieldSite::kIoComplete, [&] { PutImage(2, 1, /*dirty=*/true); });
  EXPECT_TRUE(GetMatches(cache_, 2, PageImage(2, 1)));
  EXPECT_EQ(cache_.dirty_pages(), std::vector<PageId>{2});
  EXPECT_EQ(cache_.counters().pages_cached, 1u);
}

TEST_F(PageCacheDeathTest, PutOfAPinnedPageAsserts) {
  PageCache::PinnedPage page = Pin(2);
  EXPECT_DEATH(PutImage(2, 1, /*dirty=*/false), "put\\(\\) of pinned page 2");
}

TEST_F(PageCacheDeathTest, ForgetOfAPinnedPageAsserts) {
  PageCache::PinnedPage page = Pin(2);
  EXPECT_DEATH(cache_.forget(2), "forget\\(\\) of pinned page 2");
}

TEST_F(PageCacheDeathTest, ForgetOfADirtyPageAsserts) {
  PutImage(2, 1, /*dirty=*/true);
  EXPECT_DEATH(cache_.forget(2), "forget\\(\\) of dirty page 2");
}

TEST_F(PageCacheDeathTest, MarkCleanOfAPageNotDirtyAsserts) {
  EXPECT_DEATH(cache_.mark_clean(2), "mark_clean\\(\\) of uncached page 2");
  EXPECT_TRUE(GetMatchesSource(2));
  EXPECT_DEATH(cache_.mark_clean(2), "mark_clean\\(\\) of clean page 2");
}

TEST_F(PageCacheDeathTest, DestroyingWithAPinnedPageAsserts) {
  EXPECT_DEATH(
      {
        auto cache = std::make_unique<PageCache>(runtime_, source_, kPageSizeBytes, kBudgetBytes);
        absl::StatusOr<PageCache::PinnedPage> page = cache->get(2);
        NS_ASSERT(page.ok());
        cache.reset();
      },
      "destroyed with 1 pages pinned");
}

TEST(PageCacheConstructionDeathTest, BudgetUnderFourPagesAsserts) {
  FakePageSource source(kSourcePageIdEnd);
  EXPECT_DEATH(PageCache(ProductionRuntime(), source, kPageSizeBytes, 3 * kPageSizeBytes),
               "under 4 pages");
}

// Four threads get and release random pages, over more pages than the budget holds, on the
// production runtime; every page they see must be the source's image of that page. Each thread
// holds at most kPinsPerThreadMax pins, so a frame is always free: every get() must succeed.
TEST(PageCacheStressTest, ConcurrentGetsSeeTheSourceImages) {
  constexpr int kThreadCount = 4;
  constexpr int kOperationsPerThread = 20000;
  constexpr size_t kPinsPerThreadMax = 3;
  constexpr uint64_t kStressBudgetPages = 16;
  constexpr PageId kPageIdEnd = kFirstDataPage + 64;
  constexpr uint64_t kSeed = 0x5eed'cace;
  static_assert(kThreadCount * kPinsPerThreadMax < kStressBudgetPages);

  FakePageSource source(kPageIdEnd);
  PageCache cache(ProductionRuntime(), source, kPageSizeBytes, kStressBudgetPages * kPageSizeBytes);
  std::atomic<uint64_t> gets_total = 0;
  std::atomic<uint64_t> failures_total = 0;

  auto run = [&](int thread_index) {
    Rng rng = Rng(kSeed).Derive(absl::StrFormat("thread_%d", thread_index));
    std::vector<PageCache::PinnedPage> pins;
    for (int operation = 0; operation < kOperationsPerThread; operation++) {
      if (pins.size() == kPinsPerThreadMax || (!pins.empty() && rng.OneIn(2))) {
        const size_t index = rng.Uniform(pins.size());
        std::swap(pins[index], pins.back());
        pins.pop_back();
        continue;
      }
      const PageId page_id = rng.UniformInclusive(kFirstDataPage, kPageIdEnd - 1);
      absl::StatusOr<PageCache::PinnedPage> page = cache.get(page_id);
      gets_total++;
      if (!page.ok() || !PageMatches(*page, page_id, source.image(page_id))) {
        failures_total++;
        continue;
      }
      pins.push_back(std::move(page).value());
    }
    for (const PageCache::PinnedPage& page : pins) {
      if (!PageMatches(page, page.page_id(), source.image(page.page_id()))) failures_total++;
    }
  };
  std::vector<std::thread> threads;
  for (int index = 0; index < kThreadCount; index++) threads.emplace_back(run, index);
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(failures_total.load(), 0u) << "seed " << kSeed;
  const PageCacheCounters counters = cache.counters();
  EXPECT_EQ(counters.hits + counters.misses, gets_total.load());
  EXPECT_GT(counters.evictions, 0u);
  EXPECT_LE(counters.pages_cached, kStressBudgetPages);
  EXPECT_EQ(counters.pages_pinned, 0u);
  EXPECT_FALSE(cache.over_budget());
}

}  // namespace
}  // namespace northstar::engine
