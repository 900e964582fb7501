#include "targets/sqlite/sqlite_connection.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::targets {
namespace {

// Resets a statement (and its bindings) when a use of it ends, however it ends.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetOnExit() {
    (void)sqlite3_reset(statement_);  // Repeats the last step's error, already reported.
    (void)sqlite3_clear_bindings(statement_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
};

std::string ColumnBytes(sqlite3_stmt* statement, int column) {
  const void* bytes = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  NS_ASSERT(size >= 0);
  if (size == 0) return {};
  return std::string(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

absl::StatusCode CodeFor(int rc, const absl::Status& vfs_status) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return vfs_status.ok() ? absl::StatusCode::kUnavailable : vfs_status.code();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

const std::array<const char*, SqliteConnection::kStatementCount> SqliteConnection::kSql = {
    "BEGIN",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT v FROM kv WHERE k = ?1",
    "INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)",
    "DELETE FROM kv WHERE k = ?1",
    "SELECT commit_id FROM ns_commit WHERE id = 0",
    "INSERT OR REPLACE INTO ns_commit(id, commit_id) VALUES (0, ?1)",
    "SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2",
    "SELECT k, v FROM kv WHERE k < ?1 ORDER BY k DESC LIMIT ?2",
    "SELECT k, v FROM kv ORDER BY k DESC LIMIT ?2",
    "PRAGMA integrity_check",
};

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, SqliteSimVfs& vfs, sim::SimRuntime& runtime,
    const SqliteOptions& options, bool create_schema) {
  sqlite3* db = nullptr;
  vfs.clear_last_error();
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs.name());
  // Even a failed open returns a handle (for its message) unless memory ran out.
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db, vfs, runtime));
  if (db == nullptr) return absl::ResourceExhaustedError("sqlite3_open_v2: out of memory");
  if (rc != SQLITE_OK) return connection->error(rc, "sqlite3_open_v2");
  (void)sqlite3_extended_result_codes(db, 1);
  (void)sqlite3_busy_handler(db, BusyHandler, connection.get());
  NS_RETURN_IF_ERROR(connection->configure(options, create_schema));
  NS_RETURN_IF_ERROR(connection->prepare_all());
  return connection;
}

SqliteConnection::~SqliteConnection() {
  if (db_ == nullptr) return;
  for (sqlite3_stmt* statement : statements_) (void)sqlite3_finalize(statement);
  (void)sqlite3_close_v2(db_);  // A failed close (a halted disk) still frees the handle.
}

int SqliteConnection::BusyHandler(void* connection, int retries) {
  auto& self = *static_cast<SqliteConnection*>(connection);
  sim::Scheduler& scheduler = self.runtime_.scheduler();
  if (!scheduler.running() || retries >= kBusyRetriesMax) return 0;
  scheduler.advance_clock(kBusyWaitNs);
  scheduler.yield_waiting(static_cast<uint16_t>(engine::YieldSite::kLockAcquire));
  return 1;
}

absl::Status SqliteConnection::configure(const SqliteOptions& options, bool create_schema) {
  // page_size only takes effect before the first table; later it is a no-op.
  NS_RETURN_IF_ERROR(exec(absl::StrFormat("PRAGMA page_size = %d", options.page_size_bytes)));
  const std::string wanted = JournalModeName(options.journal_mode);
  NS_ASSIGN_OR_RETURN(const std::string mode,
                      query_text(absl::StrFormat("PRAGMA journal_mode = %s", wanted)));
  if (mode != wanted) {
    return absl::FailedPreconditionError(
        absl::StrFormat("PRAGMA journal_mode = %s: the database stays in \"%s\"", wanted, mode));
  }
  NS_RETURN_IF_ERROR(exec(
      absl::StrFormat("PRAGMA synchronous = %s", SynchronousName(options.synchronous))));
  NS_RETURN_IF_ERROR(exec(absl::StrFormat("PRAGMA cache_size = %d", options.cache_size_pages)));
  if (!create_schema) return absl::OkStatus();
  return exec(
      "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS ns_commit("
      "id INTEGER PRIMARY KEY CHECK (id = 0), commit_id INTEGER NOT NULL)");
}

absl::Status SqliteConnection::exec(const std::string& sql) {
  vfs_.clear_last_error();
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, sql.c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteConnection::query_text(const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr);
  if (rc != SQLITE_OK) return error(rc, sql.c_str());
  vfs_.clear_last_error();
  rc = sqlite3_step(statement);
  std::string text;
  if (rc == SQLITE_ROW) text = ColumnBytes(statement, 0);
  const absl::Status status =
      rc == SQLITE_ROW || rc == SQLITE_DONE ? absl::OkStatus() : error(rc, sql.c_str());
  (void)sqlite3_finalize(statement);
  NS_RETURN_IF_ERROR(status);
  return text;
}

absl::Status SqliteConnection::prepare_all() {
  for (int index = 0; index < kStatementCount; index++) {
    const int rc = sqlite3_prepare_v3(db_, kSql[index], -1, SQLITE_PREPARE_PERSISTENT,
                                      &statements_[index], nullptr);
    if (rc != SQLITE_OK) return error(rc, kSql[index]);
  }
  return absl::OkStatus();
}

int SqliteConnection::step(Statement statement) {
  vfs_.clear_last_error();
  return sqlite3_step(statements_[statement]);
}

absl::Status SqliteConnection::run(Statement statement, const char* what) {
  ResetOnExit reset(statements_[statement]);
  const int rc = step(statement);
  if (rc != SQLITE_DONE) return error(rc, what);
  return absl::OkStatus();
}

void SqliteConnection::bind_blob(Statement statement, int index, const std::string& bytes) {
  // A non-null pointer with length 0 binds an empty BLOB, not NULL.
  const int rc = sqlite3_bind_blob64(statements_[statement], index, bytes.data(), bytes.size(),
                                     SQLITE_STATIC);
  NS_ASSERT_MSG(rc == SQLITE_OK, sqlite3_errstr(rc));
}

absl::Status SqliteConnection::error(int rc, const char* what) const {
  const absl::Status& vfs_status = vfs_.last_status();
  std::string message = absl::StrFormat("sqlite: %s: %s (%s)", what,
                                        db_ != nullptr ? sqlite3_errmsg(db_) : "no handle",
                                        sqlite3_errstr(rc));
  if (!vfs_status.ok()) message += absl::StrFormat("; vfs: %s", vfs_.last_error());
  return absl::Status(CodeFor(rc, vfs_status), message);
}

absl::StatusOr<std::optional<std::string>> SqliteConnection::get(const std::string& key) {
  ResetOnExit reset(statements_[kGet]);
  bind_blob(kGet, 1, key);
  const int rc = step(kGet);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return error(rc, kSql[kGet]);
  return ColumnBytes(statements_[kGet], 0);
}

absl::Status SqliteConnection::put(const std::string& key, const std::string& value) {
  ResetOnExit reset(statements_[kPut]);
  bind_blob(kPut, 1, key);
  bind_blob(kPut, 2, value);
  const int rc = step(kPut);
  if (rc != SQLITE_DONE) return error(rc, kSql[kPut]);
  return absl::OkStatus();
}

absl::StatusOr<bool> SqliteConnection::del(const std::string& key) {
  ResetOnExit reset(statements_[kDel]);
  bind_blob(kDel, 1, key);
  const int rc = step(kDel);
  if (rc != SQLITE_DONE) return error(rc, kSql[kDel]);
  return sqlite3_changes64(db_) > 0;
}

absl::StatusOr<uint64_t> SqliteConnection::read_commit_id() {
  ResetOnExit reset(statements_[kReadCommitId]);
  const int rc = step(kReadCommitId);
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return error(rc, kSql[kReadCommitId]);
  const sqlite3_int64 commit_id = sqlite3_column_int64(statements_[kReadCommitId], 0);
  if (commit_id < 0) {
    return absl::DataLossError(absl::StrFormat("ns_commit.commit_id is %d", commit_id));
  }
  return static_cast<uint64_t>(commit_id);
}

absl::Status SqliteConnection::write_commit_id(uint64_t commit_id) {
  NS_ASSERT(commit_id > 0 && commit_id <= static_cast<uint64_t>(
                                              std::numeric_limits<sqlite3_int64>::max()));
  ResetOnExit reset(statements_[kWriteCommitId]);
  const int bound = sqlite3_bind_int64(statements_[kWriteCommitId], 1,
                                       static_cast<sqlite3_int64>(commit_id));
  NS_ASSERT(bound == SQLITE_OK);
  const int rc = step(kWriteCommitId);
  if (rc != SQLITE_DONE) return error(rc, kSql[kWriteCommitId]);
  return absl::OkStatus();
}

absl::StatusOr<sim::ScanEntries> SqliteConnection::scan(const sim::ScanRequest& request) {
  const Statement which = !request.reverse        ? kScanForward
                          : request.start.empty() ? kScanReverseFromEnd
                                                  : kScanReverse;
  ResetOnExit reset(statements_[which]);
  if (which != kScanReverseFromEnd) bind_blob(which, 1, request.start);
  const auto limit = static_cast<sqlite3_int64>(
      std::min<size_t>(request.limit, std::numeric_limits<sqlite3_int64>::max()));
  const int bound = sqlite3_bind_int64(statements_[which], 2, limit);
  NS_ASSERT(bound == SQLITE_OK);
  sim::ScanEntries entries;
  for (int rc = step(which); rc != SQLITE_DONE; rc = step(which)) {
    if (rc != SQLITE_ROW) return error(rc, kSql[which]);
    NS_ASSERT(entries.size() < request.limit);
    std::string key = ColumnBytes(statements_[which], 0);
    if (!key.starts_with(request.prefix)) break;  // The scan ends at the first other key.
    entries.emplace_back(std::move(key), ColumnBytes(statements_[which], 1));
  }
  return entries;
}

absl::StatusOr<std::vector<std::string>> SqliteConnection::integrity_problems() {
  ResetOnExit reset(statements_[kIntegrityCheck]);
  std::vector<std::string> problems;
  for (int rc = step(kIntegrityCheck); rc != SQLITE_DONE; rc = step(kIntegrityCheck)) {
    if (rc != SQLITE_ROW) return error(rc, kSql[kIntegrityCheck]);
    std::string row = ColumnBytes(statements_[kIntegrityCheck], 0);
    if (row != "ok") problems.push_back(std::move(row));
  }
  return problems;
}

}  // namespace northstar::targets
