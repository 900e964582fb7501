// SQLite's configuration as a target, parsed from the scenario's [target.sqlite], and the promise
// SQLite's documentation makes for it (spec/targets_sqlite.md SQ-1 .. SQ-6).
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/scenario.h"
#include "sim/target.h"

namespace northstar::targets {

enum class JournalMode : uint8_t { kDelete, kTruncate, kPersist, kWal, kMemory, kOff };
enum class Synchronous : uint8_t { kOff, kNormal, kFull, kExtra };

[[nodiscard]] const char* JournalModeName(JournalMode mode);
[[nodiscard]] const char* SynchronousName(Synchronous synchronous);

struct SqliteOptions {
  JournalMode journal_mode = JournalMode::kWal;
  Synchronous synchronous = Synchronous::kFull;
  uint32_t page_size_bytes = 4096;  // Power of two, 512..65536.
  uint32_t cache_size_pages = 64;   // 1..100,000.
  uint32_t connections = 3;         // 1..kConnectionsMax.
};

inline constexpr uint32_t kConnectionsMax = 16;
inline constexpr uint32_t kCacheSizePagesMax = 100'000;

// InvalidArgument naming the field and the accepted values, e.g. `target.sqlite.journal_mode:
// "walx" is not one of delete, truncate, persist, wal, memory, off`.
[[nodiscard]] absl::StatusOr<SqliteOptions> ParseSqliteOptions(
    const sim::SqliteTargetConfig& config);

// What a crash may do to acknowledged commits under `options`, with the documentation it rests on.
[[nodiscard]] sim::Promise SqlitePromise(const SqliteOptions& options);

}  // namespace northstar::targets
