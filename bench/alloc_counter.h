// Allocation counting for the benchmark harness.
//
// The count comes from a replacement of the global operator new (bench/alloc_counter.cc), which
// only the binary that runs benchmarks links (the `northstar` command). Binaries without it, and
// sanitizer builds (whose own operator new must stay in place), have no count: AllocationCount()
// is then nullopt and result files record allocations as null.
#pragma once

#include <cstdint>
#include <optional>

namespace northstar::bench {

// Calls of the global operator new (every form) in this process so far, from every thread.
[[nodiscard]] std::optional<uint64_t> AllocationCount();

}  // namespace northstar::bench
