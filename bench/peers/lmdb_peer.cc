// peers/lmdb/*: our workloads on LMDB (liblmdb 0.9): one environment per repeat in
// <scratch>/lmdb (data.mdb, lock.mdb), the unnamed database, 4 KiB pages (the OS page size).
//
// How each matches ours:
// - Builds: default flags (no MDB_NOSYNC, no MDB_NOMETASYNC): each commit fdatasyncs data.mdb
//   and writes the meta page through an O_DSYNC descriptor, as durable as our kLog commit (one
//   log fdatasync). Plain mdb_put, no MDB_APPEND: ours gets no hint that keys ascend either.
// - Hot trees: built untimed with MDB_NOSYNC (as ours with kLogNoSync), then mdb_env_sync, then
//   read once through a cursor: LMDB reads through its memory map, so the OS page cache is its
//   cache and every page is then in it and mapped. One read transaction for all gets, as ours
//   holds one snapshot; the scans reuse one cursor (MDB_SET_RANGE, then MDB_NEXT), the way LMDB
//   code scans; each key and value is copied out, as our cursor hands back copies.
// - Snapshots: one MDB_RDONLY transaction handle, mdb_txn_renew then mdb_txn_reset per pair:
//   LMDB's documented way to run many read transactions (no allocation per snapshot), and how
//   the LMDB figure (35.5 M/s) can be reached; mdb_txn_begin/abort would allocate each
//   time, as our begin_read does.
// - Durable put: default flags, a write transaction of one put per op.
#include <lmdb.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_format.h"
#include "bench/peers/peer.h"
#include "bench/workload.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr std::string_view kEngine = "lmdb";
constexpr std::string_view kDurability = "lmdb default sync: fdatasync + O_DSYNC meta write";

absl::Status Check(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrFormat("lmdb %s: %s", what, mdb_strerror(rc)));
}

MDB_val ValOf(const std::string& bytes) {
  return MDB_val{.mv_size = bytes.size(), .mv_data = const_cast<char*>(bytes.data())};
}

// A map as large as `keys` keys could need, four times over (the map is address space only: the
// file grows as pages are written).
uint64_t MapBytesFor(uint64_t keys) {
  return std::max<uint64_t>(uint64_t{1} << 30, keys * 4 * (kKeyBytes + kValueBytes + 64));
}

// An environment and its unnamed database.
class Lmdb {
 public:
  ~Lmdb() {
    if (env_ != nullptr) mdb_env_close(env_);
  }
  [[nodiscard]] absl::Status open(const std::string& dir, unsigned int flags, uint64_t map_bytes) {
    NS_RETURN_IF_ERROR(Check(mdb_env_create(&env_), "env_create"));
    NS_RETURN_IF_ERROR(Check(mdb_env_set_mapsize(env_, map_bytes), "env_set_mapsize"));
    NS_RETURN_IF_ERROR(Check(mdb_env_open(env_, dir.c_str(), flags, 0644), "env_open " + dir));
    MDB_txn* txn = nullptr;
    NS_RETURN_IF_ERROR(Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin"));
    if (absl::Status status = Check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
        !status.ok()) {
      mdb_txn_abort(txn);
      return status;
    }
    return Check(mdb_txn_commit(txn), "commit");
  }
  // One write transaction putting the keys of n in [first, end) (BuildKey order), committed.
  [[nodiscard]] absl::Status put_batch(uint64_t first, uint64_t end, bool random) {
    MDB_txn* txn = nullptr;
    NS_RETURN_IF_ERROR(Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin"));
    for (uint64_t n = first; n < end; n++) {
      FillKey(BuildKey(n, random), key_);
      MDB_val key = ValOf(key_);
      MDB_val value = ValOf(PooledValue(n));
      if (const int rc = mdb_put(txn, dbi_, &key, &value, 0); rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return Check(rc, "put");
      }
    }
    return Check(mdb_txn_commit(txn), "commit");
  }
  // Puts keys 0..keys-1 in order, in batches of kBatchPuts.
  [[nodiscard]] absl::Status fill(uint64_t keys) {
    for (uint64_t first = 0; first < keys; first += kBatchPuts) {
      NS_RETURN_IF_ERROR(put_batch(first, std::min(keys, first + kBatchPuts), /*random=*/false));
    }
    return Check(mdb_env_sync(env_, 1), "env_sync");
  }
  [[nodiscard]] MDB_env* env() const { return env_; }
  [[nodiscard]] MDB_dbi dbi() const { return dbi_; }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  std::string key_;
};

class Build final : public PeerCase {
 public:
  explicit Build(bool random) : PeerCase(kEngine), random_(random) {}

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    ops_ = env.ops;
    return lmdb_.open(dir, 0, MapBytesFor((env.ops + env.warmup_ops) * kBatchPuts));
  }
  absl::Status op(uint64_t index) override {
    keys_ += kBatchPuts;
    return lmdb_.put_batch(index * kBatchPuts, (index + 1) * kBatchPuts, random_);
  }
  nlohmann::json parameters() const override {
    // LMDB has no cache of its own: the OS page cache.
    return BuildParameters(ops_, random_, kDurability, 0);
  }
  // Every commit was synced: the files are at rest as they stand.
  nlohmann::json extra_metrics() const override {
    nlohmann::json extra = PeerCase::extra_metrics();
    if (absl::StatusOr<uint64_t> bytes = DirectoryBytes(dir()); bytes.ok() && keys_ > 0) {
      extra.update(AtRestMetrics(*bytes, 0, keys_));
    }
    return extra;
  }

 private:
  const bool random_;
  uint64_t ops_ = 0;
  uint64_t keys_ = 0;
  Lmdb lmdb_;
};

// A database of `keys` keys built untimed, every page mapped, one read transaction.
class HotTree : public PeerCase {
 public:
  HotTree() : PeerCase(kEngine) {}
  ~HotTree() override { HotTree::teardown(); }

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    keys_ = ScaledCount(kPeerKeysFull, env.scale, kPeerHotKeysMin);
    NS_RETURN_IF_ERROR(lmdb_.open(dir, MDB_NOSYNC, MapBytesFor(keys_)));
    NS_RETURN_IF_ERROR(lmdb_.fill(keys_));
    NS_RETURN_IF_ERROR(Check(mdb_txn_begin(lmdb_.env(), nullptr, MDB_RDONLY, &txn_), "txn_begin"));
    NS_RETURN_IF_ERROR(Check(mdb_cursor_open(txn_, lmdb_.dbi(), &cursor_), "cursor_open"));
    return warm();
  }
  void teardown() override {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
    cursor_ = nullptr;
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  nlohmann::json parameters() const override { return HotParameters(keys_, 0); }

 protected:
  // Copies row (key, value) out; an error unless both have our sizes.
  absl::Status take(const MDB_val& key, const MDB_val& value) {
    if (key.mv_size != kKeyBytes || value.mv_size != kValueBytes) {
      return absl::InternalError("lmdb: a row of the wrong size");
    }
    key_out_.assign(static_cast<const char*>(key.mv_data), key.mv_size);
    value_out_.assign(static_cast<const char*>(value.mv_data), value.mv_size);
    return absl::OkStatus();
  }

  uint64_t keys_ = 0;
  Lmdb lmdb_;
  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  std::string key_, key_out_, value_out_;

 private:
  absl::Status warm() {
    MDB_val key, value;
    uint64_t rows = 0;
    for (int rc = mdb_cursor_get(cursor_, &key, &value, MDB_FIRST); rc != MDB_NOTFOUND;
         rc = mdb_cursor_get(cursor_, &key, &value, MDB_NEXT)) {
      NS_RETURN_IF_ERROR(Check(rc, "cursor_get"));
      NS_RETURN_IF_ERROR(take(key, value));
      rows++;
    }
    if (rows != keys_) {
      return absl::InternalError(absl::StrFormat("lmdb warm-up saw %d rows of %d", rows, keys_));
    }
    return absl::OkStatus();
  }
};

class PointGet final : public HotTree {
 public:
  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    rng_.emplace(env.seed);
    return HotTree::setup_engine(env, dir);
  }
  absl::Status op(uint64_t) override {
    const uint64_t n = rng_->Uniform(keys_);
    FillKey(n, key_);
    MDB_val key = ValOf(key_), value;
    if (const int rc = mdb_get(txn_, lmdb_.dbi(), &key, &value); rc != MDB_SUCCESS) {
      return Check(rc, absl::StrFormat("get of key %d", n));
    }
    if (value.mv_size != kValueBytes) return absl::InternalError("lmdb: wrong value size");
    value_out_.assign(static_cast<const char*>(value.mv_data), value.mv_size);
    return absl::OkStatus();
  }

 private:
  std::optional<Rng> rng_;
};

class RangeScan final : public HotTree {
 public:
  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    rng_.emplace(env.seed);
    return HotTree::setup_engine(env, dir);
  }
  absl::Status op(uint64_t) override {
    FillKey(rng_->Uniform(keys_ - kPeerScanRows + 1), key_);
    MDB_val key = ValOf(key_), value;
    int rc = mdb_cursor_get(cursor_, &key, &value, MDB_SET_RANGE);
    uint64_t bytes = 0;
    for (uint64_t row = 0; row < kPeerScanRows; row++) {
      if (rc == MDB_NOTFOUND) return absl::InternalError("scan ended early");
      NS_RETURN_IF_ERROR(Check(rc, "cursor_get"));
      NS_RETURN_IF_ERROR(take(key, value));
      bytes += key_out_.size() + value_out_.size();
      rc = mdb_cursor_get(cursor_, &key, &value, MDB_NEXT);
    }
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

 private:
  std::optional<Rng> rng_;
};

class SnapshotOpenClose final : public PeerCase {
 public:
  SnapshotOpenClose() : PeerCase(kEngine) {}
  ~SnapshotOpenClose() override { teardown(); }

  absl::Status setup_engine(const BenchEnv&, const std::string& dir) override {
    NS_RETURN_IF_ERROR(lmdb_.open(dir, MDB_NOSYNC, MapBytesFor(kPeerSnapshotKeys)));
    NS_RETURN_IF_ERROR(lmdb_.fill(kPeerSnapshotKeys));
    NS_RETURN_IF_ERROR(Check(mdb_txn_begin(lmdb_.env(), nullptr, MDB_RDONLY, &txn_), "txn_begin"));
    mdb_txn_reset(txn_);
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    for (uint64_t index = 0; index < kPeerSnapshotsPerOp; index++) {
      NS_RETURN_IF_ERROR(Check(mdb_txn_renew(txn_), "txn_renew"));
      mdb_txn_reset(txn_);
    }
    return absl::OkStatus();
  }
  void teardown() override {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = SnapshotParameters();
    parameters["read_txn"] = "renew/reset";
    return parameters;
  }

 private:
  Lmdb lmdb_;
  MDB_txn* txn_ = nullptr;
};

class DurableSinglePut final : public PeerCase {
 public:
  DurableSinglePut() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    return lmdb_.open(dir, 0, MapBytesFor(env.ops + env.warmup_ops));
  }
  absl::Status op(uint64_t index) override {
    MDB_txn* txn = nullptr;
    NS_RETURN_IF_ERROR(Check(mdb_txn_begin(lmdb_.env(), nullptr, 0, &txn), "txn_begin"));
    FillKey(index, key_);
    MDB_val key = ValOf(key_);
    MDB_val value = ValOf(PooledValue(index));
    if (const int rc = mdb_put(txn, lmdb_.dbi(), &key, &value, 0); rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return Check(rc, "put");
    }
    return Check(mdb_txn_commit(txn), "commit");
  }
  nlohmann::json parameters() const override { return DurablePutParameters(kDurability); }

 private:
  Lmdb lmdb_;
  std::string key_;
};

const PeerRegistrar kBuildSequential(
    kEngine, "btree/build_sequential_insert_1m",
    "LMDB: insert 1M keys in ascending order, one write transaction of 1,000 mdb_put per op, "
    "each committed with LMDB's default sync (fdatasync + O_DSYNC meta write)",
    [] { return std::make_unique<Build>(/*random=*/false); });
const PeerRegistrar kBuildRandom(
    kEngine, "btree/build_random_insert_1m",
    "LMDB: insert 1M keys in random order, one write transaction of 1,000 mdb_put per op, each "
    "committed with LMDB's default sync",
    [] { return std::make_unique<Build>(/*random=*/true); });
const PeerRegistrar kPointGet(
    kEngine, "btree/point_get_hot_1m",
    "LMDB: mdb_get of a uniformly random existing key in a 1M-key environment, every page mapped "
    "and in the OS page cache; one read transaction for all gets",
    [] { return std::make_unique<PointGet>(); });
const PeerRegistrar kRangeScan(
    kEngine, "btree/range_scan_1k_rows_hot",
    "LMDB: cursor MDB_SET_RANGE to a uniformly random key of a hot 1M-key environment, then "
    "1,000 rows forward (MDB_NEXT), copying each key and value",
    [] { return std::make_unique<RangeScan>(); });
const PeerRegistrar kSnapshot(
    kEngine, "mvcc/snapshot_open_close",
    "LMDB: mdb_txn_renew then mdb_txn_reset of one read-only transaction handle, 1,000 pairs "
    "per op, on a 1,000-key environment",
    [] { return std::make_unique<SnapshotOpenClose>(); });
const PeerRegistrar kDurablePut(
    kEngine, "commit/durable_single_put",
    "LMDB: a write transaction of one mdb_put (16-byte key, 100-byte value) committed with "
    "LMDB's default sync (fdatasync of data.mdb, then the meta page written O_DSYNC)",
    [] { return std::make_unique<DurableSinglePut>(); });

}  // namespace
}  // namespace northstar::bench
