// The process's own I/O, counted at the libc entry points: how the peer engines (LMDB, SQLite,
// RocksDB), which do not go through our VFS, report syncs and bytes.
//
// bench/peers/io_interpose.cc replaces fsync, fdatasync, msync, sync_file_range, syncfs, the
// write family (write, pwrite, pwrite64, writev, pwritev, pwritev64, pwritev2, pwritev64v2), the
// read family (read, pread, pread64, readv, preadv, preadv64, preadv2, preadv64v2) and the
// open/close family (to know which descriptors were opened with O_DSYNC or O_SYNC) in the
// `northstar` executable; the executable's definitions come first in symbol lookup, so they
// also take the calls that shared libraries (liblmdb, libsqlite3, librocksdb) make, and forward
// them to libc through dlsym(RTLD_NEXT). Only that executable and the tests that prove the
// counting link the file: ProcessIoCounts() is nullopt in any other binary.
//
// What counts as a sync: fsync, fdatasync, syncfs, msync with MS_SYNC, sync_file_range with
// SYNC_FILE_RANGE_WAIT_AFTER (it waits for the data to be written; it is still not a barrier for
// metadata or the device cache), and every write-family call on a descriptor opened with
// O_DSYNC or O_SYNC (LMDB writes its meta page that way: a synchronous write is a sync). A
// sync_file_range without WAIT_AFTER only starts writeback: counted apart, not as a sync.
//
// Bytes: what the write-family and read-family calls returned, on any descriptor. Not seen:
// stdio's and iostreams' own writes (glibc calls its internal write), memory-mapped reads and
// writes (LMDB reads through its map), io_uring.
//
// Thread safety: the counters are process-wide atomics, counted from every thread (background
// flushes and compactions included); read them while one benchmark runs at a time.
#pragma once

#include <cstdint>
#include <optional>

namespace northstar::bench {

struct IoCounts {
  uint64_t fsync_calls = 0;
  uint64_t fdatasync_calls = 0;
  uint64_t syncfs_calls = 0;
  uint64_t msync_sync_calls = 0;        // msync with MS_SYNC.
  uint64_t sync_file_range_waits = 0;   // sync_file_range with SYNC_FILE_RANGE_WAIT_AFTER.
  uint64_t sync_file_range_starts = 0;  // Without it: writeback started, not waited for.
  uint64_t dsync_writes = 0;            // Write-family calls on O_DSYNC / O_SYNC descriptors.
  uint64_t write_calls = 0;
  uint64_t bytes_written = 0;
  uint64_t read_calls = 0;
  uint64_t bytes_read = 0;

  // Every call that makes data durable (see the header comment).
  [[nodiscard]] uint64_t syncs() const {
    return fsync_calls + fdatasync_calls + syncfs_calls + msync_sync_calls + sync_file_range_waits +
           dsync_writes;
  }
};

// Field by field `later - earlier`; asserts that no counter went down.
[[nodiscard]] IoCounts operator-(const IoCounts& later, const IoCounts& earlier);

// The counts so far, or nullopt when this binary does not link bench/peers/io_interpose.cc.
[[nodiscard]] std::optional<IoCounts> ProcessIoCounts();

}  // namespace northstar::bench

// Defined by bench/peers/io_interpose.cc.
extern "C" void northstar_bench_io_counts(northstar::bench::IoCounts* counts);
