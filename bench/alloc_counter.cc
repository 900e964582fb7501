// The replaced global operator new of the `northstar` binary: every form counts one allocation
// and then does what the standard library's does (malloc, or posix_memalign for over-aligned
// types; the new-handler loop; std::bad_alloc). Deletes call free().
//
// Linked into the `northstar` executable only (tools/CMakeLists.txt), so that the harness can
// report allocations per op; the library northstar_bench reads the count through a weak symbol
// (bench/alloc_counter.h) and reports none where this file is absent.
//
// Cost: one relaxed fetch_add on a per-thread shard of 64 cache-line-sized counters (threads
// take shards round robin), so that 256 reader threads do not all bounce one cache line. That is
// a few nanoseconds per allocation in every northstar command (torture included), next to
// malloc's own tens of nanoseconds. Not built under AddressSanitizer, whose own operator new
// checks new/delete pairing.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define NORTHSTAR_ALLOC_COUNTER 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NORTHSTAR_ALLOC_COUNTER 0
#endif
#endif
#ifndef NORTHSTAR_ALLOC_COUNTER
#define NORTHSTAR_ALLOC_COUNTER 1
#endif

#if NORTHSTAR_ALLOC_COUNTER
namespace {

constexpr uint32_t kShardCount = 64;
constexpr uint32_t kNoShard = UINT32_MAX;

struct alignas(64) Shard {
  std::atomic<uint64_t> allocations{0};
};

// Constant-initialized: usable by allocations made before any dynamic initialization.
Shard g_shards[kShardCount];
std::atomic<uint32_t> g_next_shard{0};
thread_local uint32_t t_shard = kNoShard;

inline void CountAllocation() {
  uint32_t shard = t_shard;
  if (shard == kNoShard) [[unlikely]] {
    shard = g_next_shard.fetch_add(1, std::memory_order_relaxed) % kShardCount;
    t_shard = shard;
  }
  g_shards[shard].allocations.fetch_add(1, std::memory_order_relaxed);
}

void* Allocate(std::size_t size_bytes) {
  CountAllocation();
  if (size_bytes == 0) size_bytes = 1;
  while (true) {
    if (void* memory = std::malloc(size_bytes)) return memory;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AllocateAligned(std::size_t size_bytes, std::align_val_t alignment) {
  CountAllocation();
  if (size_bytes == 0) size_bytes = 1;
  std::size_t alignment_bytes = static_cast<std::size_t>(alignment);
  if (alignment_bytes < sizeof(void*)) alignment_bytes = sizeof(void*);
  while (true) {
    void* memory = nullptr;
    if (posix_memalign(&memory, alignment_bytes, size_bytes) == 0) return memory;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

// Read by northstar::bench::AllocationCount() (bench/alloc_counter_read.cc) through a weak
// reference.
extern "C" uint64_t northstar_bench_allocation_count() {
  uint64_t total = 0;
  for (const Shard& shard : g_shards) total += shard.allocations.load(std::memory_order_relaxed);
  return total;
}

void* operator new(std::size_t size_bytes) { return Allocate(size_bytes); }
void* operator new[](std::size_t size_bytes) { return Allocate(size_bytes); }
void* operator new(std::size_t size_bytes, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size_bytes);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size_bytes, const std::nothrow_t&) noexcept {
  return operator new(size_bytes, std::nothrow);
}
void* operator new(std::size_t size_bytes, std::align_val_t alignment) {
  return AllocateAligned(size_bytes, alignment);
}
void* operator new[](std::size_t size_bytes, std::align_val_t alignment) {
  return AllocateAligned(size_bytes, alignment);
}
void* operator new(std::size_t size_bytes, std::align_val_t alignment,
                   const std::nothrow_t&) noexcept {
  try {
    return AllocateAligned(size_bytes, alignment);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size_bytes, std::align_val_t alignment,
                     const std::nothrow_t&) noexcept {
  return operator new(size_bytes, alignment, std::nothrow);
}

void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(memory);
}
void operator delete[](void* memory, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(memory);
}
#endif  // NORTHSTAR_ALLOC_COUNTER
