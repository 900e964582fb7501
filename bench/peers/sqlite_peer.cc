// peers/sqlite/*: our workloads on SQLite (libsqlite3): one database file per repeat in
// <scratch>/sqlite/kv.db, WAL journal, a WITHOUT ROWID table kv (k BLOB PRIMARY KEY, v BLOB),
// prepared statements bound with SQLITE_STATIC, SQLite's default 4 KiB pages, connections opened
// SQLITE_OPEN_NOMUTEX (each used by one thread, as ours are).
//
// How each matches ours:
// - Builds: synchronous=FULL (in WAL mode: the WAL is synced at every commit, as our log is),
//   a page cache that holds the tree, as ours has (BuildCacheBytes); BEGIN, 1,000 INSERT OR
//   REPLACE (a put: insert or overwrite), COMMIT per op. SQLite's automatic checkpoints (every
//   1,000 WAL pages) run inside the ops, as ours do.
// - Hot trees: built untimed with synchronous=OFF (as ours with kLogNoSync), then the WAL
//   checkpointed into the database file (as ours checkpoints), a page cache of our hot budget
//   (HotCacheBudgetBytes) filled by a full scan inside one read transaction, which every get and
//   scan then shares (as ours shares one snapshot). Scans step a reused SELECT ... WHERE k >= ?
//   ORDER BY k for 1,000 rows, copying each key and value.
// - Snapshots: on a second (read) connection, BEGIN, SELECT 1 FROM kv LIMIT 1, COMMIT: SQLite
//   starts a read snapshot lazily, at the first read, so the pair needs that one-row read
//   (ours opens its snapshot without reading anything: SQLite pays one b-tree descent more).
// - Durable put: synchronous=FULL, one INSERT OR REPLACE in autocommit mode per op.
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/peers/peer.h"
#include "bench/workload.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr std::string_view kEngine = "sqlite";
constexpr std::string_view kDurability = "sqlite WAL, synchronous=FULL";
constexpr uint32_t kPageSizeBytes = 4096;  // SQLite's default, kept.

struct Finalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

// One connection to <dir>/kv.db.
class Sqlite {
 public:
  ~Sqlite() { close(); }

  [[nodiscard]] absl::Status open(const std::string& dir, std::string_view synchronous,
                                  uint64_t cache_bytes) {
    path_ = absl::StrFormat("%s/kv.db", dir);
    const int rc =
        sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return error(rc, "open " + path_);
    NS_RETURN_IF_ERROR(exec(absl::StrFormat("PRAGMA page_size=%d", kPageSizeBytes)));
    NS_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL"));
    NS_RETURN_IF_ERROR(set_synchronous(synchronous));
    NS_RETURN_IF_ERROR(set_cache_bytes(cache_bytes));
    return exec("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
  }
  void close() {
    statements_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
  }
  [[nodiscard]] absl::Status set_synchronous(std::string_view mode) {
    return exec(absl::StrFormat("PRAGMA synchronous=%s", mode));
  }
  [[nodiscard]] absl::Status set_cache_bytes(uint64_t bytes) {
    // A negative cache_size is in KiB.
    return exec(absl::StrFormat("PRAGMA cache_size=-%d", bytes / 1024));
  }
  [[nodiscard]] absl::Status exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return error(rc, sql);
    return absl::OkStatus();
  }
  // A statement prepared once, owned by the connection.
  [[nodiscard]] absl::StatusOr<sqlite3_stmt*> prepare(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) return error(rc, "prepare " + sql);
    statements_.emplace_back(statement);
    return statement;
  }
  // Steps a statement that returns no row, then resets it.
  [[nodiscard]] absl::Status step_done(sqlite3_stmt* statement) {
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) return error(rc, sqlite3_sql(statement));
    return absl::OkStatus();
  }
  // Copies the WAL into the database file and truncates the WAL to 0 bytes.
  [[nodiscard]] absl::Status checkpoint() {
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc != SQLITE_OK) return error(rc, "wal_checkpoint(TRUNCATE)");
    return absl::OkStatus();
  }
  [[nodiscard]] absl::Status error(int rc, std::string_view what) const {
    return absl::InternalError(absl::StrFormat("sqlite %s: %s (%s)", what, sqlite3_errstr(rc),
                                               db_ != nullptr ? sqlite3_errmsg(db_) : "no db"));
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<Statement> statements_;
};

absl::Status BindBlob(Sqlite& db, sqlite3_stmt* statement, int index, const std::string& bytes) {
  const int rc = sqlite3_bind_blob(statement, index, bytes.data(), static_cast<int>(bytes.size()),
                                   SQLITE_STATIC);
  if (rc != SQLITE_OK) return db.error(rc, "bind");
  return absl::OkStatus();
}

// A writer: BEGIN / INSERT OR REPLACE / COMMIT prepared.
class Writer {
 public:
  [[nodiscard]] absl::Status open(const std::string& dir, std::string_view synchronous,
                                  uint64_t cache_bytes) {
    NS_RETURN_IF_ERROR(db_.open(dir, synchronous, cache_bytes));
    NS_ASSIGN_OR_RETURN(begin_, db_.prepare("BEGIN"));
    NS_ASSIGN_OR_RETURN(commit_, db_.prepare("COMMIT"));
    NS_ASSIGN_OR_RETURN(put_, db_.prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)"));
    return absl::OkStatus();
  }
  // One put of key integer `key_n` with PooledValue(value_n), in the current transaction (or
  // its own, in autocommit mode).
  [[nodiscard]] absl::Status put(uint64_t key_n, uint64_t value_n) {
    FillKey(key_n, key_);
    NS_RETURN_IF_ERROR(BindBlob(db_, put_, 1, key_));
    NS_RETURN_IF_ERROR(BindBlob(db_, put_, 2, PooledValue(value_n)));
    return db_.step_done(put_);
  }
  // One transaction putting the keys of n in [first, end) (BuildKey order).
  [[nodiscard]] absl::Status put_batch(uint64_t first, uint64_t end, bool random) {
    NS_RETURN_IF_ERROR(db_.step_done(begin_));
    for (uint64_t n = first; n < end; n++) {
      if (absl::Status status = put(BuildKey(n, random), n); !status.ok()) {
        (void)db_.exec("ROLLBACK");
        return status;
      }
    }
    return db_.step_done(commit_);
  }
  // Keys 0..keys-1 in order, in batches of kBatchPuts, then a checkpoint.
  [[nodiscard]] absl::Status fill(uint64_t keys) {
    for (uint64_t first = 0; first < keys; first += kBatchPuts) {
      NS_RETURN_IF_ERROR(put_batch(first, std::min(keys, first + kBatchPuts), /*random=*/false));
    }
    return db_.checkpoint();
  }
  [[nodiscard]] Sqlite& db() { return db_; }

 private:
  Sqlite db_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  std::string key_;
};

class Build final : public PeerCase {
 public:
  explicit Build(bool random) : PeerCase(kEngine), random_(random) {}

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    ops_ = env.ops;
    cache_bytes_ = BuildCacheBytes((env.ops + env.warmup_ops) * kBatchPuts);
    return writer_.open(dir, "FULL", cache_bytes_);
  }
  absl::Status op(uint64_t index) override {
    keys_ += kBatchPuts;
    return writer_.put_batch(index * kBatchPuts, (index + 1) * kBatchPuts, random_);
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = BuildParameters(ops_, random_, kDurability, cache_bytes_);
    parameters["page_size_bytes"] = kPageSizeBytes;
    return parameters;
  }
  // At rest: the WAL checkpointed into kv.db and truncated.
  nlohmann::json extra_metrics() const override {
    nlohmann::json extra = PeerCase::extra_metrics();
    Writer& writer = const_cast<Writer&>(writer_);  // Untimed, after the measured ops.
    if (!writer.db().checkpoint().ok() || keys_ == 0) return extra;
    const absl::StatusOr<uint64_t> bytes = DirectoryBytes(dir());
    const absl::StatusOr<uint64_t> wal =
        DirectoryBytes(dir(), [](std::string_view name) { return !name.ends_with("-wal"); });
    if (bytes.ok() && wal.ok()) extra.update(AtRestMetrics(*bytes, *wal, keys_));
    return extra;
  }

 private:
  const bool random_;
  uint64_t ops_ = 0;
  uint64_t cache_bytes_ = 0;
  uint64_t keys_ = 0;
  Writer writer_;
};

// Copies a row's columns out; an error unless they have our sizes.
class RowCopy {
 public:
  [[nodiscard]] absl::Status take(sqlite3_stmt* statement, int key_column, int value_column) {
    if (key_column >= 0) {
      NS_RETURN_IF_ERROR(copy(statement, key_column, kKeyBytes, key_));
    }
    return copy(statement, value_column, kValueBytes, value_);
  }
  [[nodiscard]] uint64_t bytes() const { return key_.size() + value_.size(); }

 private:
  static absl::Status copy(sqlite3_stmt* statement, int column, uint32_t size_bytes,
                           std::string& out) {
    const void* blob = sqlite3_column_blob(statement, column);
    const int bytes = sqlite3_column_bytes(statement, column);
    if (blob == nullptr || bytes != static_cast<int>(size_bytes)) {
      return absl::InternalError("sqlite: a row of the wrong size");
    }
    out.assign(static_cast<const char*>(blob), static_cast<size_t>(bytes));
    return absl::OkStatus();
  }

  std::string key_, value_;
};

// A hot database of `keys` keys; one read transaction, begun by the warm-up scan.
class HotTree : public PeerCase {
 public:
  HotTree() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    keys_ = ScaledCount(kPeerKeysFull, env.scale, kPeerHotKeysMin);
    cache_bytes_ = HotCacheBudgetBytes(keys_);
    rng_.emplace(env.seed);
    NS_RETURN_IF_ERROR(writer_.open(dir, "OFF", cache_bytes_));
    NS_RETURN_IF_ERROR(writer_.fill(keys_));
    Sqlite& db = writer_.db();
    NS_RETURN_IF_ERROR(db.set_synchronous("FULL"));
    NS_ASSIGN_OR_RETURN(sqlite3_stmt * begin, db.prepare("BEGIN"));
    NS_RETURN_IF_ERROR(db.step_done(begin));
    NS_ASSIGN_OR_RETURN(get_, db.prepare("SELECT v FROM kv WHERE k = ?1"));
    NS_ASSIGN_OR_RETURN(scan_, db.prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k"));
    return warm();
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = HotParameters(keys_, cache_bytes_);
    parameters["page_size_bytes"] = kPageSizeBytes;
    return parameters;
  }

 protected:
  uint64_t keys_ = 0;
  uint64_t cache_bytes_ = 0;
  std::optional<Rng> rng_;
  Writer writer_;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  std::string key_;
  RowCopy row_;

 private:
  absl::Status warm() {
    FillKey(0, key_);
    NS_RETURN_IF_ERROR(BindBlob(writer_.db(), scan_, 1, key_));
    uint64_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(scan_)) == SQLITE_ROW) {
      NS_RETURN_IF_ERROR(row_.take(scan_, 0, 1));
      rows++;
    }
    sqlite3_reset(scan_);
    if (rc != SQLITE_DONE) return writer_.db().error(rc, "warm-up scan");
    if (rows != keys_) {
      return absl::InternalError(absl::StrFormat("sqlite warm-up saw %d rows of %d", rows, keys_));
    }
    return absl::OkStatus();
  }
};

class PointGet final : public HotTree {
 public:
  absl::Status op(uint64_t) override {
    const uint64_t n = rng_->Uniform(keys_);
    FillKey(n, key_);
    NS_RETURN_IF_ERROR(BindBlob(writer_.db(), get_, 1, key_));
    const int rc = sqlite3_step(get_);
    absl::Status status = rc == SQLITE_ROW
                              ? row_.take(get_, -1, 0)
                              : writer_.db().error(rc, absl::StrFormat("get of key %d", n));
    sqlite3_reset(get_);
    return status;
  }
};

class RangeScan final : public HotTree {
 public:
  absl::Status op(uint64_t) override {
    FillKey(rng_->Uniform(keys_ - kPeerScanRows + 1), key_);
    NS_RETURN_IF_ERROR(BindBlob(writer_.db(), scan_, 1, key_));
    uint64_t bytes = 0;
    absl::Status status;
    for (uint64_t row = 0; row < kPeerScanRows && status.ok(); row++) {
      const int rc = sqlite3_step(scan_);
      if (rc != SQLITE_ROW) {
        status = rc == SQLITE_DONE ? absl::InternalError("scan ended early")
                                   : writer_.db().error(rc, "scan");
        break;
      }
      status = row_.take(scan_, 0, 1);
      bytes += row_.bytes();
    }
    sqlite3_reset(scan_);
    NS_RETURN_IF_ERROR(status);
    if (bytes != kPeerScanRows * (kKeyBytes + kValueBytes)) {
      return absl::InternalError("short rows");
    }
    return absl::OkStatus();
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = HotTree::parameters();
    parameters["rows_per_scan"] = kPeerScanRows;
    return parameters;
  }
};

class SnapshotOpenClose final : public PeerCase {
 public:
  SnapshotOpenClose() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv&, const std::string& dir) override {
    NS_RETURN_IF_ERROR(writer_.open(dir, "OFF", kPeerDefaultCacheBytes));
    NS_RETURN_IF_ERROR(writer_.fill(kPeerSnapshotKeys));
    NS_RETURN_IF_ERROR(writer_.db().set_synchronous("FULL"));
    NS_RETURN_IF_ERROR(reader_.open(dir, "FULL", kPeerDefaultCacheBytes));
    NS_ASSIGN_OR_RETURN(begin_, reader_.prepare("BEGIN"));
    NS_ASSIGN_OR_RETURN(read_, reader_.prepare("SELECT 1 FROM kv LIMIT 1"));
    NS_ASSIGN_OR_RETURN(commit_, reader_.prepare("COMMIT"));
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    for (uint64_t index = 0; index < kPeerSnapshotsPerOp; index++) {
      NS_RETURN_IF_ERROR(reader_.step_done(begin_));
      const int rc = sqlite3_step(read_);
      sqlite3_reset(read_);
      if (rc != SQLITE_ROW) return reader_.error(rc, "snapshot read");
      NS_RETURN_IF_ERROR(reader_.step_done(commit_));
    }
    return absl::OkStatus();
  }
  void teardown() override {
    reader_.close();
    writer_.db().close();
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = SnapshotParameters();
    parameters["read_txn"] = "BEGIN; SELECT 1 FROM kv LIMIT 1; COMMIT";
    return parameters;
  }

 private:
  Writer writer_;
  Sqlite reader_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* read_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

class DurableSinglePut final : public PeerCase {
 public:
  DurableSinglePut() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv&, const std::string& dir) override {
    return writer_.open(dir, "FULL", kPeerDefaultCacheBytes);
  }
  absl::Status op(uint64_t index) override { return writer_.put(index, index); }
  nlohmann::json parameters() const override { return DurablePutParameters(kDurability); }

 private:
  Writer writer_;
};

const PeerRegistrar kBuildSequential(
    kEngine, "btree/build_sequential_insert_1m",
    "SQLite: insert 1M keys in ascending order into a WITHOUT ROWID table, BEGIN + 1,000 INSERT "
    "OR REPLACE + COMMIT per op, WAL with synchronous=FULL, a page cache that holds the tree",
    [] { return std::make_unique<Build>(/*random=*/false); });
const PeerRegistrar kBuildRandom(
    kEngine, "btree/build_random_insert_1m",
    "SQLite: insert 1M keys in random order into a WITHOUT ROWID table, BEGIN + 1,000 INSERT OR "
    "REPLACE + COMMIT per op, WAL with synchronous=FULL, a page cache that holds the tree",
    [] { return std::make_unique<Build>(/*random=*/true); });
const PeerRegistrar kPointGet(
    kEngine, "btree/point_get_hot_1m",
    "SQLite: SELECT v WHERE k = ? of a uniformly random existing key of a 1M-key WITHOUT ROWID "
    "table whose every page is in SQLite's page cache; one read transaction for all gets",
    [] { return std::make_unique<PointGet>(); });
const PeerRegistrar kRangeScan(
    kEngine, "btree/range_scan_1k_rows_hot",
    "SQLite: SELECT k, v WHERE k >= ? ORDER BY k from a uniformly random key of a hot 1M-key "
    "WITHOUT ROWID table, 1,000 rows stepped, copying each key and value",
    [] { return std::make_unique<RangeScan>(); });
const PeerRegistrar kSnapshot(
    kEngine, "mvcc/snapshot_open_close",
    "SQLite: BEGIN, SELECT 1 FROM kv LIMIT 1 (SQLite opens its snapshot at the first read), "
    "COMMIT on a read connection, 1,000 per op, on a 1,000-key WAL database",
    [] { return std::make_unique<SnapshotOpenClose>(); });
const PeerRegistrar kDurablePut(
    kEngine, "commit/durable_single_put",
    "SQLite: one INSERT OR REPLACE (16-byte key, 100-byte value) in autocommit mode, WAL with "
    "synchronous=FULL (the WAL synced at every commit)",
    [] { return std::make_unique<DurableSinglePut>(); });

}  // namespace
}  // namespace northstar::bench
