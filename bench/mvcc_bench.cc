// mvcc/*: snapshots: opening and closing them, many concurrent readers, and a writer committing
// while readers hold snapshots.
#include <atomic>
#include <barrier>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/workload.h"
#include "engine/db.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr uint64_t kSnapshotsPerOp = 1000;

class SnapshotOpenClose final : public BenchCase {
 public:
  ~SnapshotOpenClose() override { teardown(); }
  absl::Status setup(const BenchEnv& env) override {
    engine::DbOptions options;
    options.durability = engine::Durability::kLogNoSync;
    NS_ASSIGN_OR_RETURN(db_, BuildDatabase(*env.fs, PathIn(env.dir, "snap.ns"), kKeys, options));
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    for (uint64_t index = 0; index < kSnapshotsPerOp; index++) {
      NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    }
    return absl::OkStatus();
  }
  void teardown() override { db_.reset(); }
  nlohmann::json parameters() const override {
    return {{"keys", kKeys}, {"snapshots_per_op", kSnapshotsPerOp}};
  }

 private:
  static constexpr uint64_t kKeys = 1000;
  std::unique_ptr<engine::Db> db_;
};

// The first error any reader thread met.
class FirstError {
 public:
  void record(const absl::Status& status) {
    std::lock_guard lock(mu_);
    if (error_.ok()) error_ = status;
  }
  absl::Status get() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  absl::Status error_;
};

absl::Status GetExisting(engine::ReadTxn& txn, uint64_t n, std::string& key) {
  FillKey(n, key);
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> value, txn.get(key));
  if (!value || value->size() != kValueBytes) {
    return absl::InternalError(absl::StrFormat("key %d: missing or wrong value", n));
  }
  return absl::OkStatus();
}

// 256 reader threads, each on its own snapshot of a hot database; one op releases every reader
// for kGetsPerReader gets and waits until all are done.
class ReadersPointGet final : public BenchCase {
 public:
  static constexpr uint32_t kReaders = 256;
  static constexpr uint64_t kGetsPerReader = 100;

  ~ReadersPointGet() override { teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    keys_ = ScaledCount(kKeysFull, env.scale, kBatchPuts);
    engine::DbOptions options;
    options.durability = engine::Durability::kLogNoSync;
    options.cache_budget_bytes = HotCacheBudgetBytes(keys_);
    NS_ASSIGN_OR_RETURN(db_, BuildDatabase(*env.fs, PathIn(env.dir, "readers.ns"), keys_, options));
    NS_RETURN_IF_ERROR(WarmCache(*db_));
    for (uint32_t reader = 0; reader < kReaders; reader++) {
      NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
      txns_.push_back(std::move(txn));
    }
    const Rng root(env.seed);
    for (uint32_t reader = 0; reader < kReaders; reader++) {
      threads_.emplace_back(
          [this, reader, seed = root.Derive(absl::StrFormat("reader%d", reader)).seed()] {
            Read(reader, seed);
          });
    }
    return absl::OkStatus();
  }

  absl::Status op(uint64_t) override {
    start_.arrive_and_wait();
    end_.arrive_and_wait();
    return errors_.get();
  }

  void teardown() override {
    if (!threads_.empty()) {
      stop_.store(true, std::memory_order_relaxed);
      start_.arrive_and_wait();
      for (std::thread& thread : threads_) thread.join();
      threads_.clear();
    }
    txns_.clear();
    db_.reset();
  }

  nlohmann::json parameters() const override {
    return {{"keys", keys_},
            {"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"readers", kReaders},
            {"gets_per_reader_per_op", kGetsPerReader}};
  }

 private:
  static constexpr uint64_t kKeysFull = 1'000'000;

  void Read(uint32_t reader, uint64_t seed) {
    Rng rng(seed);
    std::string key;
    while (true) {
      start_.arrive_and_wait();
      if (stop_.load(std::memory_order_relaxed)) return;
      for (uint64_t get = 0; get < kGetsPerReader; get++) {
        if (absl::Status status = GetExisting(*txns_[reader], rng.Uniform(keys_), key);
            !status.ok()) {
          errors_.record(status);
          break;
        }
      }
      end_.arrive_and_wait();
    }
  }

  uint64_t keys_ = 0;
  std::unique_ptr<engine::Db> db_;
  std::vector<std::unique_ptr<engine::ReadTxn>> txns_;
  std::vector<std::thread> threads_;
  std::barrier<> start_{kReaders + 1};
  std::barrier<> end_{kReaders + 1};
  std::atomic<bool> stop_{false};
  FirstError errors_;
};

// One writer committing batches of 1,000 overwrites (kLog: one log fdatasync each) while 128
// reader threads run flat out: each opens a snapshot, does kGetsPerSnapshot gets, closes it.
class WriterWithReaders final : public BenchCase {
 public:
  static constexpr uint32_t kReaders = 128;
  static constexpr uint64_t kGetsPerSnapshot = 100;

  ~WriterWithReaders() override { teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    keys_ = ScaledCount(kKeysFull, env.scale, kBatchPuts);
    engine::DbOptions options;
    options.durability = engine::Durability::kLog;
    options.cache_budget_bytes = HotCacheBudgetBytes(keys_);
    NS_ASSIGN_OR_RETURN(db_, BuildDatabase(*env.fs, PathIn(env.dir, "writer.ns"), keys_, options));
    NS_RETURN_IF_ERROR(WarmCache(*db_));
    rng_.emplace(Rng(env.seed).Derive("writer"));
    counters_ = std::vector<ReaderCounter>(kReaders);
    const Rng root(env.seed);
    for (uint32_t reader = 0; reader < kReaders; reader++) {
      threads_.emplace_back(
          [this, reader, seed = root.Derive(absl::StrFormat("reader%d", reader)).seed()] {
            Read(reader, seed);
          });
    }
    return absl::OkStatus();
  }

  absl::Status op(uint64_t index) override {
    const auto start = std::chrono::steady_clock::now();
    if (!first_op_start_) {
      first_op_start_ = start;
      reader_gets_at_first_op_ = ReaderGets();
    }
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db_->begin_write());
    for (uint64_t put = 0; put < kBatchPuts; put++) {
      const uint64_t n = rng_->Uniform(keys_);
      FillKey(n, key_);
      NS_RETURN_IF_ERROR(txn->put(key_, PooledValue(n + index + 1)));
    }
    NS_RETURN_IF_ERROR(txn->commit());
    last_op_end_ = std::chrono::steady_clock::now();
    reader_gets_at_last_op_ = ReaderGets();
    return errors_.get();
  }

  void teardown() override {
    stop_.store(true, std::memory_order_relaxed);
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
    db_.reset();
  }

  nlohmann::json parameters() const override {
    return {
        {"keys", keys_},       {"key_bytes", kKeyBytes}, {"value_bytes", kValueBytes},
        {"batch", kBatchPuts}, {"readers", kReaders},    {"gets_per_snapshot", kGetsPerSnapshot},
        {"durability", "log"}};
  }
  nlohmann::json extra_metrics() const override {
    if (!first_op_start_) return nlohmann::json::object();
    const double seconds = std::chrono::duration<double>(last_op_end_ - *first_op_start_).count();
    if (seconds <= 0) return nlohmann::json::object();
    return {{"reader_gets_per_second",
             static_cast<double>(reader_gets_at_last_op_ - reader_gets_at_first_op_) / seconds}};
  }

 private:
  static constexpr uint64_t kKeysFull = 1'000'000;
  struct alignas(64) ReaderCounter {
    std::atomic<uint64_t> gets{0};
  };

  uint64_t ReaderGets() const {
    uint64_t total = 0;
    for (const ReaderCounter& counter : counters_)
      total += counter.gets.load(std::memory_order_relaxed);
    return total;
  }

  void Read(uint32_t reader, uint64_t seed) {
    Rng rng(seed);
    std::string key;
    while (!stop_.load(std::memory_order_relaxed)) {
      absl::StatusOr<std::unique_ptr<engine::ReadTxn>> txn = db_->begin_read();
      if (!txn.ok()) {
        errors_.record(txn.status());
        return;
      }
      for (uint64_t get = 0; get < kGetsPerSnapshot; get++) {
        if (absl::Status status = GetExisting(**txn, rng.Uniform(keys_), key); !status.ok()) {
          errors_.record(status);
          return;
        }
      }
      counters_[reader].gets.fetch_add(kGetsPerSnapshot, std::memory_order_relaxed);
    }
  }

  uint64_t keys_ = 0;
  std::unique_ptr<engine::Db> db_;
  std::optional<Rng> rng_;
  std::string key_;
  std::vector<ReaderCounter> counters_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  FirstError errors_;
  std::optional<std::chrono::steady_clock::time_point> first_op_start_;
  std::chrono::steady_clock::time_point last_op_end_;
  uint64_t reader_gets_at_first_op_ = 0;
  uint64_t reader_gets_at_last_op_ = 0;
};

const BenchRegistrar kSnapshotOpenClose({
    .name = "mvcc/snapshot_open_close",
    .description = "Db::begin_read then close of the read transaction, 1,000 pairs per op, on "
                   "a 1,000-key database",
    .unit = "snapshots",
    .items_per_op = kSnapshotsPerOp,
    .ops_default = 2000,
    .warmup_ops_default = 100,
    .make = [] { return std::make_unique<SnapshotOpenClose>(); },
});

const BenchRegistrar kReaders256({
    .name = "mvcc/readers_256_point_get_hot",
    .description = "256 reader threads, each on its own snapshot of a hot 1M-key database, each "
                   "doing 100 random point gets per op (25,600 gets per op, all threads at once)",
    .unit = "gets",
    .items_per_op = ReadersPointGet::kReaders * ReadersPointGet::kGetsPerReader,
    .ops_default = 200,
    .warmup_ops_default = 10,
    .make = [] { return std::make_unique<ReadersPointGet>(); },
});

const BenchRegistrar kWriterWithReaders({
    .name = "mvcc/writer_commits_with_readers_128",
    .description = "A writer committing batches of 1,000 random overwrites (kLog, one fdatasync "
                   "each) to a 1M-key database while 128 reader threads run flat out (a fresh "
                   "snapshot per 100 gets); extra: the readers' gets per second",
    .unit = "puts",
    .items_per_op = kBatchPuts,
    .ops_default = 30,
    .warmup_ops_default = 3,
    .make = [] { return std::make_unique<WriterWithReaders>(); },
});

}  // namespace
}  // namespace northstar::bench
