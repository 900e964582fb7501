// peers/rocksdb/*: our workloads on RocksDB (librocksdb 7.8): one database per repeat in
// <scratch>/rocksdb, default options (leveled compaction, 64 MiB memtable, the default
// compression: snappy where the library has it) plus what a point-read workload is configured
// with: an LRU block cache and a 10-bit-per-key Bloom filter.
//
// How each matches ours:
// - Builds: WriteOptions.sync = true (the WAL fdatasynced at every write, as our log is), one
//   WriteBatch of 1,000 puts per op, a block cache that holds the data, as ours has
//   (BuildCacheBytes).
//   Memtable flushes and compactions run in RocksDB's background threads during the ops; their
//   syncs are counted (the counter is process-wide).
// - Hot trees: built untimed without the WAL (as ours with kLogNoSync), flushed, compactions
//   left to finish (as ours checkpoints), a block cache of our hot budget (HotCacheBudgetBytes)
//   filled by a full scan, one snapshot that every get and scan reads (as ours). Gets read into
//   a reused PinnableSlice and copy the value out; scans Seek one reused iterator and step it
//   1,000 rows, copying each key and value.
// - Snapshots: DB::GetSnapshot then DB::ReleaseSnapshot.
// - Durable put: DB::Put with WriteOptions.sync = true.
// Builds report their files at rest: after a flush and once compactions are done; the info log
// files (LOG, LOG.old.*: text diagnostics) are not counted, the WAL files (*.log) are, as a log.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_format.h"
#include "bench/peers/peer.h"
#include "bench/workload.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr std::string_view kEngine = "rocksdb";
constexpr std::string_view kDurability = "rocksdb WriteOptions.sync=true";
constexpr int kBloomBitsPerKey = 10;
// How long settle() waits for flushes and compactions: polls of kSettlePollMs, at most.
constexpr int kSettlePollMs = 10;
constexpr int kSettlePollsMax = 60'000;

absl::Status Check(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrFormat("rocksdb %s: %s", what, status.ToString()));
}

std::string_view CompressionName(rocksdb::CompressionType type) {
  switch (type) {
    case rocksdb::kNoCompression:
      return "none";
    case rocksdb::kSnappyCompression:
      return "snappy";
    case rocksdb::kLZ4Compression:
      return "lz4";
    case rocksdb::kZSTD:
      return "zstd";
    default:
      return "other";
  }
}

bool IsInfoLog(std::string_view name) { return name == "LOG" || name.starts_with("LOG.old"); }

class Rocks {
 public:
  ~Rocks() { close(); }

  [[nodiscard]] absl::Status open(const std::string& dir, uint64_t block_cache_bytes) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    compression_ = CompressionName(options.compression);
    rocksdb::DB* db = nullptr;
    NS_RETURN_IF_ERROR(Check(rocksdb::DB::Open(options, dir, &db), "open " + dir));
    db_.reset(db);
    return absl::OkStatus();
  }
  void close() {
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
    snapshot_ = nullptr;
    db_.reset();
  }
  // One write of a batch putting the keys of n in [first, end) (BuildKey order).
  [[nodiscard]] absl::Status put_batch(uint64_t first, uint64_t end, bool random,
                                       const rocksdb::WriteOptions& write_options) {
    batch_.Clear();
    for (uint64_t n = first; n < end; n++) {
      FillKey(BuildKey(n, random), key_);
      NS_RETURN_IF_ERROR(Check(batch_.Put(key_, PooledValue(n)), "batch put"));
    }
    return Check(db_->Write(write_options, &batch_), "write");
  }
  // Keys 0..keys-1 in order, in batches of kBatchPuts, without the WAL; then settle().
  [[nodiscard]] absl::Status fill(uint64_t keys) {
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;
    for (uint64_t first = 0; first < keys; first += kBatchPuts) {
      NS_RETURN_IF_ERROR(put_batch(first, std::min(keys, first + kBatchPuts), false, no_wal));
    }
    return settle();
  }
  // Flushes the memtable and waits until no flush or compaction is pending or running.
  [[nodiscard]] absl::Status settle() {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    NS_RETURN_IF_ERROR(Check(db_->Flush(flush), "flush"));
    for (int poll = 0; poll < kSettlePollsMax; poll++) {
      uint64_t busy = 0;
      for (const std::string* property : {&rocksdb::DB::Properties::kCompactionPending,
                                          &rocksdb::DB::Properties::kNumRunningCompactions,
                                          &rocksdb::DB::Properties::kMemTableFlushPending,
                                          &rocksdb::DB::Properties::kNumRunningFlushes}) {
        uint64_t value = 0;
        if (!db_->GetIntProperty(*property, &value)) {
          return absl::InternalError(absl::StrFormat("rocksdb: no property %s", *property));
        }
        busy += value;
      }
      if (busy == 0) return absl::OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(kSettlePollMs));
    }
    return absl::DeadlineExceededError(
        absl::StrFormat("rocksdb: flushes or compactions still running after %d ms",
                        kSettlePollMs * kSettlePollsMax));
  }
  // Takes the snapshot that read_options() reads.
  void take_snapshot() {
    NS_ASSERT(snapshot_ == nullptr);
    snapshot_ = db_->GetSnapshot();
    read_options_.snapshot = snapshot_;
  }
  [[nodiscard]] rocksdb::DB& db() const { return *db_; }
  [[nodiscard]] const rocksdb::ReadOptions& read_options() const { return read_options_; }
  [[nodiscard]] std::string_view compression() const { return compression_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteBatch batch_;
  std::string key_;
  std::string_view compression_ = "none";
};

rocksdb::WriteOptions SyncWrites() {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return write_options;
}

class Build final : public PeerCase {
 public:
  explicit Build(bool random) : PeerCase(kEngine), random_(random) {}

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    ops_ = env.ops;
    cache_bytes_ = BuildCacheBytes((env.ops + env.warmup_ops) * kBatchPuts);
    return rocks_.open(dir, cache_bytes_);
  }
  absl::Status op(uint64_t index) override {
    keys_ += kBatchPuts;
    return rocks_.put_batch(index * kBatchPuts, (index + 1) * kBatchPuts, random_, sync_);
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = BuildParameters(ops_, random_, kDurability, cache_bytes_);
    parameters["compression"] = rocks_.compression();
    parameters["bloom_bits_per_key"] = kBloomBitsPerKey;
    return parameters;
  }
  // At rest: the memtable flushed and compactions done.
  nlohmann::json extra_metrics() const override {
    nlohmann::json extra = PeerCase::extra_metrics();
    Rocks& rocks = const_cast<Rocks&>(rocks_);  // Untimed, after the measured ops.
    if (!rocks.settle().ok() || keys_ == 0) return extra;
    const absl::StatusOr<uint64_t> bytes = DirectoryBytes(dir(), IsInfoLog);
    const absl::StatusOr<uint64_t> wal =
        DirectoryBytes(dir(), [](std::string_view name) { return !name.ends_with(".log"); });
    if (bytes.ok() && wal.ok()) extra.update(AtRestMetrics(*bytes, *wal, keys_));
    return extra;
  }

 private:
  const bool random_;
  const rocksdb::WriteOptions sync_ = SyncWrites();
  uint64_t ops_ = 0;
  uint64_t cache_bytes_ = 0;
  uint64_t keys_ = 0;
  Rocks rocks_;
};

// A database of `keys` keys at rest, its block cache filled, one snapshot.
class HotTree : public PeerCase {
 public:
  HotTree() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv& env, const std::string& dir) override {
    keys_ = ScaledCount(kPeerKeysFull, env.scale, kPeerHotKeysMin);
    cache_bytes_ = HotCacheBudgetBytes(keys_);
    rng_.emplace(env.seed);
    NS_RETURN_IF_ERROR(rocks_.open(dir, cache_bytes_));
    NS_RETURN_IF_ERROR(rocks_.fill(keys_));
    rocks_.take_snapshot();
    iterator_.reset(rocks_.db().NewIterator(rocks_.read_options()));
    return warm();
  }
  void teardown() override {
    iterator_.reset();
    rocks_.close();
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = HotParameters(keys_, cache_bytes_);
    parameters["compression"] = rocks_.compression();
    parameters["bloom_bits_per_key"] = kBloomBitsPerKey;
    return parameters;
  }

 protected:
  // Copies the iterator's row out; an error unless it has our sizes.
  absl::Status take_row() {
    const rocksdb::Slice key = iterator_->key();
    const rocksdb::Slice value = iterator_->value();
    if (key.size() != kKeyBytes || value.size() != kValueBytes) {
      return absl::InternalError("rocksdb: a row of the wrong size");
    }
    key_out_.assign(key.data(), key.size());
    value_out_.assign(value.data(), value.size());
    return absl::OkStatus();
  }

  uint64_t keys_ = 0;
  uint64_t cache_bytes_ = 0;
  std::optional<Rng> rng_;
  Rocks rocks_;
  std::unique_ptr<rocksdb::Iterator> iterator_;
  std::string key_, key_out_, value_out_;

 private:
  absl::Status warm() {
    uint64_t rows = 0;
    for (iterator_->SeekToFirst(); iterator_->Valid(); iterator_->Next()) {
      NS_RETURN_IF_ERROR(take_row());
      rows++;
    }
    NS_RETURN_IF_ERROR(Check(iterator_->status(), "warm-up scan"));
    if (rows != keys_) {
      return absl::InternalError(absl::StrFormat("rocksdb warm-up saw %d rows of %d", rows, keys_));
    }
    return absl::OkStatus();
  }
};

class PointGet final : public HotTree {
 public:
  absl::Status op(uint64_t) override {
    const uint64_t n = rng_->Uniform(keys_);
    FillKey(n, key_);
    NS_RETURN_IF_ERROR(Check(
        rocks_.db().Get(rocks_.read_options(), rocks_.db().DefaultColumnFamily(), key_, &value_),
        absl::StrFormat("get of key %d", n)));
    const bool right_size = value_.size() == kValueBytes;
    value_out_.assign(value_.data(), value_.size());
    value_.Reset();  // Unpins the block: a pin must not outlive the database.
    if (!right_size) return absl::InternalError("rocksdb: wrong value size");
    return absl::OkStatus();
  }

 private:
  rocksdb::PinnableSlice value_;
};

class RangeScan final : public HotTree {
 public:
  absl::Status op(uint64_t) override {
    FillKey(rng_->Uniform(keys_ - kPeerScanRows + 1), key_);
    iterator_->Seek(key_);
    uint64_t bytes = 0;
    for (uint64_t row = 0; row < kPeerScanRows; row++) {
      if (!iterator_->Valid()) {
        NS_RETURN_IF_ERROR(Check(iterator_->status(), "scan"));
        return absl::InternalError("scan ended early");
      }
      NS_RETURN_IF_ERROR(take_row());
      bytes += key_out_.size() + value_out_.size();
      iterator_->Next();
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
};

class SnapshotOpenClose final : public PeerCase {
 public:
  SnapshotOpenClose() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv&, const std::string& dir) override {
    NS_RETURN_IF_ERROR(rocks_.open(dir, kPeerDefaultCacheBytes));
    return rocks_.fill(kPeerSnapshotKeys);
  }
  absl::Status op(uint64_t) override {
    rocksdb::DB& db = rocks_.db();
    for (uint64_t index = 0; index < kPeerSnapshotsPerOp; index++) {
      const rocksdb::Snapshot* snapshot = db.GetSnapshot();
      if (snapshot == nullptr) return absl::InternalError("rocksdb: GetSnapshot gave none");
      db.ReleaseSnapshot(snapshot);
    }
    return absl::OkStatus();
  }
  void teardown() override { rocks_.close(); }
  nlohmann::json parameters() const override { return SnapshotParameters(); }

 private:
  Rocks rocks_;
};

class DurableSinglePut final : public PeerCase {
 public:
  DurableSinglePut() : PeerCase(kEngine) {}

  absl::Status setup_engine(const BenchEnv&, const std::string& dir) override {
    return rocks_.open(dir, kPeerDefaultCacheBytes);
  }
  absl::Status op(uint64_t index) override {
    FillKey(index, key_);
    return Check(rocks_.db().Put(sync_, key_, PooledValue(index)), "put");
  }
  void teardown() override { rocks_.close(); }
  nlohmann::json parameters() const override { return DurablePutParameters(kDurability); }

 private:
  const rocksdb::WriteOptions sync_ = SyncWrites();
  Rocks rocks_;
  std::string key_;
};

const PeerRegistrar kBuildSequential(
    kEngine, "btree/build_sequential_insert_1m",
    "RocksDB: insert 1M keys in ascending order, one WriteBatch of 1,000 puts per op written "
    "with WriteOptions.sync=true, default options, a block cache that holds the data, Bloom filter",
    [] { return std::make_unique<Build>(/*random=*/false); });
const PeerRegistrar kBuildRandom(
    kEngine, "btree/build_random_insert_1m",
    "RocksDB: insert 1M keys in random order, one WriteBatch of 1,000 puts per op written with "
    "WriteOptions.sync=true, default options, a block cache that holds the data, Bloom filter",
    [] { return std::make_unique<Build>(/*random=*/true); });
const PeerRegistrar kPointGet(
    kEngine, "btree/point_get_hot_1m",
    "RocksDB: Get of a uniformly random existing key of a 1M-key database at rest whose every "
    "block is in the block cache; one snapshot for all gets",
    [] { return std::make_unique<PointGet>(); });
const PeerRegistrar kRangeScan(
    kEngine, "btree/range_scan_1k_rows_hot",
    "RocksDB: iterator Seek to a uniformly random key of a hot 1M-key database, then 1,000 rows "
    "forward (Next), copying each key and value",
    [] { return std::make_unique<RangeScan>(); });
const PeerRegistrar kSnapshot(
    kEngine, "mvcc/snapshot_open_close",
    "RocksDB: DB::GetSnapshot then DB::ReleaseSnapshot, 1,000 pairs per op, on a 1,000-key "
    "database",
    [] { return std::make_unique<SnapshotOpenClose>(); });
const PeerRegistrar kDurablePut(
    kEngine, "commit/durable_single_put",
    "RocksDB: DB::Put of one key (16-byte key, 100-byte value) with WriteOptions.sync=true (the "
    "WAL appended and fdatasynced)",
    [] { return std::make_unique<DurableSinglePut>(); });

}  // namespace
}  // namespace northstar::bench
