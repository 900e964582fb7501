// SqliteConnection: one sqlite3* on SqliteSimVfs with its statements prepared once, and every
// SQLite error turned into an absl::Status (spec/targets_sqlite.md SQ-20).
//
// Errors name the statement and sqlite3_errmsg, plus the VFS's last error for I/O failures.
// Codes: SQLITE_CORRUPT and SQLITE_NOTADB -> DataLoss; SQLITE_IOERR*, SQLITE_FULL and
// SQLITE_CANTOPEN -> the code of the vfs status that caused them when the VFS recorded one,
// else Unavailable; SQLITE_BUSY and SQLITE_LOCKED -> Unavailable; anything else -> Internal.
//
// The busy handler yields to the scheduler (kLockAcquire) and advances the virtual clock instead
// of sleeping; outside the scheduler's run (the main context) nothing could release a lock, so it
// gives up at once. Not thread-safe: one fiber at a time (the Target's pool hands it out).
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/sim_runtime.h"
#include "sim/target.h"
#include "targets/sqlite/sqlite_options.h"
#include "targets/sqlite/sqlite_vfs.h"

namespace northstar::targets {

class SqliteConnection {
 public:
  // Busy-handler retries of one wait, at most; then the statement fails with SQLITE_BUSY.
  static constexpr int kBusyRetriesMax = 1'000'000;
  // Virtual time one busy-handler retry takes.
  static constexpr uint64_t kBusyWaitNs = 10'000;

  // Opens `path` on `vfs`, sets the busy handler and the PRAGMAs of `options` (page_size first,
  // then journal_mode, synchronous, cache_size); with `create_schema`, creates the tables if
  // absent (kv and ns_commit, sim/target.h's commit ids); then prepares the statements.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, SqliteSimVfs& vfs, sim::SimRuntime& runtime,
      const SqliteOptions& options, bool create_schema);
  ~SqliteConnection();  // Finalizes the statements and closes (errors ignored).
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Never closes: fibers are parked inside (SqliteTarget::abandon).
  void leak() { db_ = nullptr; }

  [[nodiscard]] absl::Status begin_immediate() { return run(kBeginImmediate, "BEGIN IMMEDIATE"); }
  [[nodiscard]] absl::Status begin() { return run(kBegin, "BEGIN"); }
  [[nodiscard]] absl::Status commit() { return run(kCommit, "COMMIT"); }
  [[nodiscard]] absl::Status rollback() { return run(kRollback, "ROLLBACK"); }
  [[nodiscard]] bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(const std::string& key);
  [[nodiscard]] absl::Status put(const std::string& key, const std::string& value);
  // Whether a row was deleted.
  [[nodiscard]] absl::StatusOr<bool> del(const std::string& key);
  // The stored commit id (0 before the first commit).
  [[nodiscard]] absl::StatusOr<uint64_t> read_commit_id();
  [[nodiscard]] absl::Status write_commit_id(uint64_t commit_id);
  [[nodiscard]] absl::StatusOr<sim::ScanEntries> scan(const sim::ScanRequest& request);
  // PRAGMA integrity_check's rows other than "ok".
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> integrity_problems();

 private:
  enum Statement {
    kBegin,
    kBeginImmediate,
    kCommit,
    kRollback,
    kGet,
    kPut,
    kDel,
    kReadCommitId,
    kWriteCommitId,
    kScanForward,
    kScanReverse,
    kScanReverseFromEnd,
    kIntegrityCheck,
    kStatementCount,
  };
  static const std::array<const char*, kStatementCount> kSql;

  SqliteConnection(sqlite3* db, SqliteSimVfs& vfs, sim::SimRuntime& runtime)
      : db_(db), vfs_(vfs), runtime_(runtime) {}
  static int BusyHandler(void* connection, int retries);

  [[nodiscard]] absl::Status configure(const SqliteOptions& options, bool create_schema);
  [[nodiscard]] absl::Status exec(const std::string& sql);
  [[nodiscard]] absl::StatusOr<std::string> query_text(const std::string& sql);
  [[nodiscard]] absl::Status prepare_all();
  // Starts a step of `statement` (its bindings set): clears the VFS's last error first.
  [[nodiscard]] int step(Statement statement);
  // Runs a statement without bindings or rows to completion.
  [[nodiscard]] absl::Status run(Statement statement, const char* what);
  void bind_blob(Statement statement, int index, const std::string& bytes);
  [[nodiscard]] absl::Status error(int rc, const char* what) const;

  sqlite3* db_;
  SqliteSimVfs& vfs_;
  sim::SimRuntime& runtime_;
  std::array<sqlite3_stmt*, kStatementCount> statements_{};
};

}  // namespace northstar::targets
