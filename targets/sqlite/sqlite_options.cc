#include "targets/sqlite/sqlite_options.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::targets {
namespace {

constexpr std::array<std::pair<const char*, JournalMode>, 6> kJournalModes = {{
    {"delete", JournalMode::kDelete},
    {"truncate", JournalMode::kTruncate},
    {"persist", JournalMode::kPersist},
    {"wal", JournalMode::kWal},
    {"memory", JournalMode::kMemory},
    {"off", JournalMode::kOff},
}};
constexpr std::array<std::pair<const char*, Synchronous>, 4> kSynchronousLevels = {{
    {"off", Synchronous::kOff},
    {"normal", Synchronous::kNormal},
    {"full", Synchronous::kFull},
    {"extra", Synchronous::kExtra},
}};

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseName(const char* field, const std::string& value,
                               const std::array<std::pair<const char*, Enum>, N>& names) {
  for (const auto& [name, parsed] : names) {
    if (value == name) return parsed;
  }
  std::vector<std::string> accepted;
  for (const auto& [name, parsed] : names) accepted.emplace_back(name);
  return absl::InvalidArgumentError(absl::StrFormat("%s: \"%s\" is not one of %s", field,
                                                    absl::CHexEscape(value),
                                                    absl::StrJoin(accepted, ", ")));
}

template <typename Enum, size_t N>
const char* NameOf(Enum value, const std::array<std::pair<const char*, Enum>, N>& names) {
  for (const auto& [name, parsed] : names) {
    if (parsed == value) return name;
  }
  NS_ASSERT_MSG(false, "unnamed enum value");
  return "";
}

absl::Status CheckRange(const char* field, uint32_t value, uint32_t low, uint32_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %d is not in [%d, %d]", field, value, low, high));
}

bool RollbackJournal(JournalMode mode) {
  return mode == JournalMode::kDelete || mode == JournalMode::kTruncate ||
         mode == JournalMode::kPersist;
}

// SQ-1 .. SQ-6: the promise and the sentence of the documentation it rests on.
std::pair<sim::CrashLoss, const char*> CrashLossFor(const SqliteOptions& options) {
  const JournalMode mode = options.journal_mode;
  const Synchronous sync = options.synchronous;
  if (mode == JournalMode::kMemory || mode == JournalMode::kOff) {
    return {sim::CrashLoss::kAny,
            "SQ-5: https://www.sqlite.org/pragma.html#pragma_journal_mode (MEMORY and OFF: a "
            "crash in the middle of a transaction will very likely corrupt the database)"};
  }
  if (sync == Synchronous::kOff) {
    return {sim::CrashLoss::kAny,
            "SQ-6: https://www.sqlite.org/pragma.html#pragma_synchronous (OFF: the database "
            "might become corrupted if the computer loses power before data reaches the disk)"};
  }
  if (mode == JournalMode::kWal) {
    if (sync == Synchronous::kNormal) {
      return {sim::CrashLoss::kSuffix,
              "SQ-3: https://www.sqlite.org/pragma.html#pragma_synchronous and "
              "https://www.sqlite.org/wal.html#performance_considerations (WAL + NORMAL: durable "
              "against corruption; a commit may roll back after a power loss)"};
    }
    return {sim::CrashLoss::kNone,
            "SQ-2: https://www.sqlite.org/wal.html#performance_considerations (WAL + FULL or "
            "EXTRA: the WAL is synced at every commit)"};
  }
  NS_ASSERT(RollbackJournal(mode));
  if (sync == Synchronous::kNormal) {
    return {sim::CrashLoss::kAny,
            "SQ-4: https://www.sqlite.org/pragma.html#pragma_synchronous (NORMAL in rollback "
            "mode: a power failure at the wrong time could corrupt the database)"};
  }
  if (mode == JournalMode::kDelete && sync == Synchronous::kFull) {
    return {sim::CrashLoss::kSuffix,
            "SQ-1b: https://www.sqlite.org/pragma.html#pragma_synchronous (EXTRA syncs the "
            "directory after the journal is unlinked; under FULL the last commit may roll back "
            "after a power loss) and https://www.sqlite.org/atomiccommit.html#section_3_11"};
  }
  return {sim::CrashLoss::kNone,
          "SQ-1: https://www.sqlite.org/atomiccommit.html#section_3_11 and "
          "https://www.sqlite.org/pragma.html#pragma_synchronous (rollback journal + FULL or "
          "EXTRA: a commit is durable when the journal is deleted, truncated or zeroed and that "
          "change is synced)"};
}

}  // namespace

const char* JournalModeName(JournalMode mode) { return NameOf(mode, kJournalModes); }
const char* SynchronousName(Synchronous synchronous) {
  return NameOf(synchronous, kSynchronousLevels);
}

absl::StatusOr<SqliteOptions> ParseSqliteOptions(const sim::SqliteTargetConfig& config) {
  SqliteOptions options;
  NS_ASSIGN_OR_RETURN(options.journal_mode, ParseName("target.sqlite.journal_mode",
                                                      config.journal_mode, kJournalModes));
  NS_ASSIGN_OR_RETURN(options.synchronous, ParseName("target.sqlite.synchronous",
                                                     config.synchronous, kSynchronousLevels));
  const uint32_t page = config.page_size_bytes;
  if (page < 512 || page > 65536 || (page & (page - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "target.sqlite.page_size_bytes: %d is not a power of two in [512, 65536]", page));
  }
  options.page_size_bytes = page;
  NS_RETURN_IF_ERROR(
      CheckRange("target.sqlite.cache_size_pages", config.cache_size_pages, 1, kCacheSizePagesMax));
  options.cache_size_pages = config.cache_size_pages;
  NS_RETURN_IF_ERROR(
      CheckRange("target.sqlite.connections", config.connections, 1, kConnectionsMax));
  options.connections = config.connections;
  return options;
}

sim::Promise SqlitePromise(const SqliteOptions& options) {
  sim::Promise promise;
  promise.capabilities = {.snapshots = true,
                          .as_of = false,
                          .scans = true,
                          .reverse_scans = true,
                          .structure_check = true};
  const auto [loss, source] = CrashLossFor(options);
  promise.crash_loss = loss;
  promise.source = absl::StrFormat("spec/targets_sqlite.md %s; journal_mode = %s, synchronous = %s",
                                   source, JournalModeName(options.journal_mode),
                                   SynchronousName(options.synchronous));
  return promise;
}

}  // namespace northstar::targets
