#include "bench/alloc_counter.h"

// Defined by bench/alloc_counter.cc in the binaries that count allocations; null elsewhere.
extern "C" uint64_t northstar_bench_allocation_count() __attribute__((weak));

namespace northstar::bench {

std::optional<uint64_t> AllocationCount() {
  if (northstar_bench_allocation_count == nullptr) return std::nullopt;
  return northstar_bench_allocation_count();
}

}  // namespace northstar::bench
