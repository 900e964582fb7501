#include "bench/peers/io_counter.h"
#include "util/assert.h"

// Null in binaries that do not link bench/peers/io_interpose.cc.
extern "C" void northstar_bench_io_counts(northstar::bench::IoCounts* counts) __attribute__((weak));

namespace northstar::bench {

IoCounts operator-(const IoCounts& later, const IoCounts& earlier) {
  const auto minus = [](uint64_t a, uint64_t b) {
    NS_ASSERT(a >= b);
    return a - b;
  };
  return {
      .fsync_calls = minus(later.fsync_calls, earlier.fsync_calls),
      .fdatasync_calls = minus(later.fdatasync_calls, earlier.fdatasync_calls),
      .syncfs_calls = minus(later.syncfs_calls, earlier.syncfs_calls),
      .msync_sync_calls = minus(later.msync_sync_calls, earlier.msync_sync_calls),
      .sync_file_range_waits = minus(later.sync_file_range_waits, earlier.sync_file_range_waits),
      .sync_file_range_starts = minus(later.sync_file_range_starts, earlier.sync_file_range_starts),
      .dsync_writes = minus(later.dsync_writes, earlier.dsync_writes),
      .write_calls = minus(later.write_calls, earlier.write_calls),
      .bytes_written = minus(later.bytes_written, earlier.bytes_written),
      .read_calls = minus(later.read_calls, earlier.read_calls),
      .bytes_read = minus(later.bytes_read, earlier.bytes_read)};
}

std::optional<IoCounts> ProcessIoCounts() {
  if (northstar_bench_io_counts == nullptr) return std::nullopt;
  IoCounts counts;
  northstar_bench_io_counts(&counts);
  return counts;
}

}  // namespace northstar::bench
