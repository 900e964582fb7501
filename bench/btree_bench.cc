// btree/*: building a tree through write transactions, point lookups and range scans on a hot
// tree, all through engine::Db.
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/workload.h"
#include "engine/db.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr uint64_t kKeysFull = 1'000'000;

// Inserts batch `index` (kBatchPuts keys) per op into a fresh database with default options
// (kLog durability: one log sync per commit; checkpoints as the log fills), except a page cache
// that holds the tree being built, as the hot benchmarks have: LMDB's pages sit in the OS page
// cache, however large. With the 64 MiB default, a random build of 1M keys (about 130 MiB of
// leaves) checkpointed every other commit and wrote 11 KB per put.
class Build final : public BenchCase {
 public:
  explicit Build(bool random) : random_(random) {}
  ~Build() override { teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    ops_ = env.ops;
    options_.cache_budget_bytes = HotCacheBudgetBytes((env.ops + env.warmup_ops) * kBatchPuts);
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(*env.fs, PathIn(env.dir, "build.ns"), options_));
    return absl::OkStatus();
  }
  absl::Status op(uint64_t index) override {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db_->begin_write());
    for (uint64_t n = index * kBatchPuts; n < (index + 1) * kBatchPuts; n++) {
      FillKey(random_ ? Scramble(n) : n, key_);
      NS_RETURN_IF_ERROR(txn->put(key_, PooledValue(n)));
    }
    keys_ += kBatchPuts;
    return txn->commit();
  }
  void teardown() override { db_.reset(); }
  // The files at rest, measured after the ops (untimed): a checkpoint puts every page in the
  // data file; the log keeps its preallocated size. Bytes per key over every key put, warmup
  // included; the same figures as the peers' builds (bench/peers/peer.h, AtRestMetrics).
  nlohmann::json extra_metrics() const override {
    if (db_ == nullptr || keys_ == 0 || !db_->checkpoint().ok()) return nlohmann::json::object();
    std::error_code error;
    const uint64_t data_bytes = std::filesystem::file_size(db_->path(), error);
    if (error) return nlohmann::json::object();
    const uint64_t log_bytes = std::filesystem::file_size(engine::LogPathFor(db_->path()), error);
    if (error) return nlohmann::json::object();
    const double keys = static_cast<double>(keys_);
    return {{"bytes_at_rest", static_cast<double>(data_bytes + log_bytes)},
            {"log_bytes_at_rest", static_cast<double>(log_bytes)},
            {"bytes_per_key", static_cast<double>(data_bytes + log_bytes) / keys},
            {"bytes_per_key_without_log", static_cast<double>(data_bytes) / keys}};
  }
  nlohmann::json parameters() const override {
    return {{"keys_measured", ops_ * kBatchPuts},
            {"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"batch", kBatchPuts},
            {"order", random_ ? "random" : "sequential"},
            {"durability", "log"},
            {"cache_budget_bytes", options_.cache_budget_bytes}};
  }

 private:
  const bool random_;
  engine::DbOptions options_;
  uint64_t ops_ = 0;
  uint64_t keys_ = 0;
  std::unique_ptr<engine::Db> db_;
  std::string key_;
};

// A hot database of 1M keys (scaled) and one read snapshot on it.
class HotTree : public BenchCase {
 public:
  ~HotTree() override { HotTree::teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    keys_ = ScaledCount(kKeysFull, env.scale, 2 * kBatchPuts);
    engine::DbOptions options;
    options.durability = engine::Durability::kLogNoSync;
    options.cache_budget_bytes = HotCacheBudgetBytes(keys_);
    cache_budget_bytes_ = options.cache_budget_bytes;
    NS_ASSIGN_OR_RETURN(db_, BuildDatabase(*env.fs, PathIn(env.dir, "tree.ns"), keys_, options));
    NS_RETURN_IF_ERROR(WarmCache(*db_));
    NS_ASSIGN_OR_RETURN(txn_, db_->begin_read());
    rng_.emplace(env.seed);
    return absl::OkStatus();
  }
  void teardown() override {
    txn_.reset();
    db_.reset();
  }
  nlohmann::json parameters() const override {
    return {{"keys", keys_},
            {"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"cache_budget_bytes", cache_budget_bytes_}};
  }

 protected:
  uint64_t keys_ = 0;
  uint64_t cache_budget_bytes_ = 0;
  std::unique_ptr<engine::Db> db_;
  std::unique_ptr<engine::ReadTxn> txn_;
  std::optional<Rng> rng_;
  std::string key_;
};

// The value is copied into a buffer the op reuses (ReadTxn::get into a string), as an LMDB user
// reads through the pointer mdb_get gives: no allocation per lookup.
class PointGet final : public HotTree {
 public:
  absl::Status op(uint64_t) override {
    const uint64_t n = rng_->Uniform(keys_);
    FillKey(n, key_);
    NS_ASSIGN_OR_RETURN(const bool found, txn_->get(key_, value_));
    if (!found || value_.size() != kValueBytes) {
      return absl::InternalError(absl::StrFormat("key %d: missing or wrong value", n));
    }
    return absl::OkStatus();
  }

 private:
  std::string value_;
};

class RangeScan final : public HotTree {
 public:
  static constexpr uint64_t kRows = 1000;

  absl::Status op(uint64_t) override {
    const uint64_t first = rng_->Uniform(keys_ - kRows + 1);
    FillKey(first, key_);
    std::unique_ptr<engine::Cursor> cursor = txn_->cursor();
    NS_RETURN_IF_ERROR(cursor->seek(key_));
    uint64_t bytes = 0;
    for (uint64_t row = 0; row < kRows; row++) {
      if (!cursor->valid()) return absl::InternalError("scan ended early");
      NS_ASSIGN_OR_RETURN(const std::string_view value, cursor->value_view(overflow_value_));
      bytes += cursor->key().size() + value.size();
      NS_RETURN_IF_ERROR(cursor->next());
    }
    if (bytes != kRows * (kKeyBytes + kValueBytes)) return absl::InternalError("short rows");
    return absl::OkStatus();
  }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = HotTree::parameters();
    parameters["rows_per_scan"] = kRows;
    return parameters;
  }

 private:
  std::string overflow_value_;  // For values on overflow pages (none here).
};

const BenchRegistrar kBuildSequential({
    .name = "btree/build_sequential_insert_1m",
    .description = "Insert 1M keys in ascending order, one write transaction of 1,000 puts per "
                   "op, each committed durably (kLog: one log fdatasync), default options but a "
                   "page cache that holds the tree",
    .unit = "puts",
    .items_per_op = kBatchPuts,
    .ops_default = kKeysFull / kBatchPuts,
    .warmup_ops_default = 0,
    .make = [] { return std::make_unique<Build>(/*random=*/false); },
});

const BenchRegistrar kBuildRandom({
    .name = "btree/build_random_insert_1m",
    .description = "Insert 1M keys in random order (a bijective scramble of 0..1M-1), one write "
                   "transaction of 1,000 puts per op, each committed durably, default options but "
                   "a page cache that holds the tree",
    .unit = "puts",
    .items_per_op = kBatchPuts,
    .ops_default = kKeysFull / kBatchPuts,
    .warmup_ops_default = 0,
    .make = [] { return std::make_unique<Build>(/*random=*/true); },
});

const BenchRegistrar kPointGet({
    .name = "btree/point_get_hot_1m",
    .description = "ReadTxn::get of a uniformly random existing key in a 1M-key database whose "
                   "every page is in the page cache; one snapshot for all gets",
    .unit = "gets",
    .ops_default = 200'000,
    .warmup_ops_default = 10'000,
    .make = [] { return std::make_unique<PointGet>(); },
});

const BenchRegistrar kRangeScan({
    .name = "btree/range_scan_1k_rows_hot",
    .description = "Cursor seek to a uniformly random key of a hot 1M-key database, then 1,000 "
                   "rows forward, reading each key and value",
    .unit = "rows",
    .items_per_op = RangeScan::kRows,
    .ops_default = 5000,
    .warmup_ops_default = 200,
    .make = [] { return std::make_unique<RangeScan>(); },
});

}  // namespace
}  // namespace northstar::bench
