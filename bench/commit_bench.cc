// commit/durable_single_put and its floor, floor/overwrite_4k_fdatasync: the cost of one durable
// commit against the cheapest durable write the same backend and disk can do, measured in the
// same run (`bench report` prints the ratio).
#include <memory>
#include <vector>

#include "bench/harness.h"
#include "bench/workload.h"
#include "engine/db.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

// A write transaction of one put (a new key each op), committed with kLog durability (one log
// append and fdatasync), default options.
class DurableSinglePut final : public BenchCase {
 public:
  ~DurableSinglePut() override { teardown(); }
  absl::Status setup(const BenchEnv& env) override {
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(*env.fs, PathIn(env.dir, "commit.ns"), options_));
    return absl::OkStatus();
  }
  absl::Status op(uint64_t index) override {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db_->begin_write());
    FillKey(index, key_);
    NS_RETURN_IF_ERROR(txn->put(key_, PooledValue(index)));
    return txn->commit();
  }
  void teardown() override { db_.reset(); }
  nlohmann::json parameters() const override {
    return {{"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"puts_per_commit", 1},
            {"durability", "log"},
            {"log_preallocate_bytes", options_.log_preallocate_bytes}};
  }

 private:
  engine::DbOptions options_;
  std::unique_ptr<engine::Db> db_;
  std::string key_;
};

// The floor: a 4 KiB pwrite at offset 0 of an allocated, synced file, then fdatasync, through
// the VFS backend.
class OverwriteFdatasync final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    NS_ASSIGN_OR_RETURN(
        file_, env.fs->open(PathIn(env.dir, "floor.dat"), {.create = true, .exclusive = true}));
    NS_RETURN_IF_ERROR(file_->pwrite(0, block_));
    NS_RETURN_IF_ERROR(file_->sync());
    return env.fs->sync_dir(env.dir);
  }
  absl::Status op(uint64_t index) override {
    block_[index % block_.size()]++;  // New content each time.
    NS_RETURN_IF_ERROR(file_->pwrite(0, block_));
    return file_->sync();
  }
  void teardown() override { file_.reset(); }
  nlohmann::json parameters() const override { return {{"write_bytes", kBlockBytes}}; }

 private:
  static constexpr size_t kBlockBytes = 4096;
  std::vector<uint8_t> block_ = std::vector<uint8_t>(kBlockBytes, 0);
  std::unique_ptr<vfs::File> file_;
};

const BenchRegistrar kDurableSinglePut({
    .name = "commit/durable_single_put",
    .description = "A write transaction of one put (16-byte key, 100-byte value) committed "
                   "durably (kLog: one log append and fdatasync), default options",
    .unit = "commits",
    .ops_default = 2000,
    .warmup_ops_default = 50,
    .make = [] { return std::make_unique<DurableSinglePut>(); },
});

const BenchRegistrar kFloor({
    .name = "floor/overwrite_4k_fdatasync",
    .description = "The durable-write floor: pwrite 4 KiB at offset 0 of an allocated file, "
                   "then fdatasync, through the VFS backend",
    .unit = "writes",
    .ops_default = 2000,
    .warmup_ops_default = 50,
    .make = [] { return std::make_unique<OverwriteFdatasync>(); },
});

}  // namespace
}  // namespace northstar::bench
