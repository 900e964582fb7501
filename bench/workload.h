// What the engine benchmarks share: keys, values, and databases built for them.
//
// Keys are 16-byte big-endian integers (the high 8 bytes zero), so that byte order is numeric
// order; values are 100 bytes derived from the key's integer; writes go in batches of 1,000 puts
// per write transaction unless a benchmark's name says otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/db.h"
#include "vfs/file_system.h"

namespace northstar::bench {

inline constexpr uint32_t kKeyBytes = 16;
inline constexpr uint32_t kValueBytes = 100;
inline constexpr uint64_t kBatchPuts = 1000;

// The key of integer `n`.
[[nodiscard]] std::string KeyOf(uint64_t n);
// Writes the key of `n` into `key` (kKeyBytes long), without allocating.
void FillKey(uint64_t n, std::string& key);
// kValueBytes printable bytes derived from `n` (and `version`, for overwrites).
[[nodiscard]] std::string ValueOf(uint64_t n, uint64_t version = 0);
// ValueOf(n % kValuePoolSize), built once: for timed code, which must not allocate its inputs.
inline constexpr uint64_t kValuePoolSize = 4096;
[[nodiscard]] const std::string& PooledValue(uint64_t n);
// A bijection on 64-bit integers that looks random (the splitmix64 finalizer): keys in random
// order without repeats.
[[nodiscard]] uint64_t Scramble(uint64_t n);

// `dir`/`name`.
[[nodiscard]] std::string PathIn(std::string_view dir, std::string_view name);

// A page-cache budget that holds every page of a database of `keys` keys (for "hot" benchmarks).
[[nodiscard]] uint64_t HotCacheBudgetBytes(uint64_t keys);

// Creates the database `path` holding KeyOf(0..keys-1) with PooledValue(n), put in key order in
// batches of kBatchPuts, without syncs (kLogNoSync), then checkpoints; returns it opened with
// `options` (reopened when options.durability is not kLogNoSync, so the cache is then cold).
[[nodiscard]] absl::StatusOr<std::unique_ptr<engine::Db>> BuildDatabase(vfs::FileSystem& fs,
                                                                        const std::string& path,
                                                                        uint64_t keys,
                                                                        engine::DbOptions options);

// Reads every entry of the latest snapshot once, so that every tree page is in the cache.
[[nodiscard]] absl::Status WarmCache(engine::Db& db);

}  // namespace northstar::bench
