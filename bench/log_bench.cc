// log/*: the commit log alone: appending a durable record, and replaying a log into a map.
#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/workload.h"
#include "engine/log/record.h"
#include "engine/log/replay.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

using engine::LogOp;

// kBatchPuts puts of keys first .. first + kBatchPuts - 1.
std::vector<LogOp> BatchOps(uint64_t first) {
  std::vector<LogOp> ops;
  ops.reserve(kBatchPuts);
  for (uint64_t n = first; n < first + kBatchPuts; n++) {
    ops.push_back(LogOp{.type = engine::LogOpType::kPut, .key = KeyOf(n), .value = ValueOf(n)});
  }
  return ops;
}

// Writes `bytes` zeros to a new file and syncs it and its directory: a preallocated log, as the
// engine keeps, so that fdatasync need not journal a size change.
absl::StatusOr<std::unique_ptr<vfs::File>> PreallocatedFile(vfs::FileSystem& fs,
                                                            const std::string& dir,
                                                            const std::string& name,
                                                            uint64_t bytes) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file,
                      fs.open(PathIn(dir, name), {.create = true, .exclusive = true}));
  const std::vector<uint8_t> zeros(uint64_t{1} << 20, 0);
  for (uint64_t offset = 0; offset < bytes; offset += zeros.size()) {
    const uint64_t chunk = std::min<uint64_t>(zeros.size(), bytes - offset);
    NS_RETURN_IF_ERROR(file->pwrite(offset, std::span(zeros).first(chunk)));
  }
  NS_RETURN_IF_ERROR(file->sync());
  NS_RETURN_IF_ERROR(fs.sync_dir(dir));
  return file;
}

// One op: encode a commit record of kBatchPuts puts (txn id index + 1), write it at the log's
// end, fdatasync. The log is preallocated and wraps around, as a recycled log does.
class AppendCommitRecord final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    ops_ = BatchOps(0);
    record_bytes_ = engine::LogRecordBytes(ops_);
    const uint64_t records =
        std::min<uint64_t>(env.ops + env.warmup_ops + 1, kLogBytesMax / record_bytes_);
    log_bytes_ = std::max<uint64_t>(1, records) * record_bytes_;
    NS_ASSIGN_OR_RETURN(log_, PreallocatedFile(*env.fs, env.dir, "append.log", log_bytes_));
    buffer_.reserve(record_bytes_);
    return absl::OkStatus();
  }
  absl::Status op(uint64_t index) override {
    buffer_.clear();
    engine::EncodeLogRecord(index + 1, ops_, buffer_);
    if (offset_ + buffer_.size() > log_bytes_) offset_ = 0;
    NS_RETURN_IF_ERROR(log_->pwrite(offset_, buffer_));
    offset_ += buffer_.size();
    return log_->sync();
  }
  void teardown() override { log_.reset(); }
  nlohmann::json parameters() const override {
    return {{"puts_per_record", kBatchPuts},
            {"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"record_bytes", record_bytes_},
            {"log_bytes", log_bytes_}};
  }

 private:
  static constexpr uint64_t kLogBytesMax = uint64_t{64} << 20;

  std::vector<LogOp> ops_;
  uint64_t record_bytes_ = 0;
  uint64_t log_bytes_ = 0;
  std::unique_ptr<vfs::File> log_;
  std::vector<uint8_t> buffer_;
  uint64_t offset_ = 0;
};

// Setup writes a synced log of `records` commit records of kBatchPuts distinct puts each; one op
// replays the whole log (engine::ReplayLog: read, verify, decode) into an empty std::map.
class ReplayIntoMemtable final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    records_ = ScaledCount(kRecordsFull, env.scale, 1);
    std::vector<uint8_t> log;
    for (uint64_t record = 0; record < records_; record++) {
      engine::EncodeLogRecord(record + 1, BatchOps(record * kBatchPuts), log);
    }
    NS_ASSIGN_OR_RETURN(log_, env.fs->open(PathIn(env.dir, "replay.log"), {.create = true}));
    NS_RETURN_IF_ERROR(log_->pwrite(0, log));
    NS_RETURN_IF_ERROR(log_->sync());
    log_bytes_ = log.size();
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    engine::KeyValueMap memtable;
    NS_ASSIGN_OR_RETURN(const engine::LogScanResult result,
                        engine::ReplayLog(*log_, 0, 1, UINT64_MAX, engine::LogLimits{}, memtable));
    if (result.records != records_ || memtable.size() != records_ * kBatchPuts) {
      return absl::InternalError(absl::StrFormat("replayed %d records, %d keys; expected %d",
                                                 result.records, memtable.size(), records_));
    }
    return absl::OkStatus();
  }
  void teardown() override { log_.reset(); }
  uint64_t items_per_op() const override { return records_ * kBatchPuts; }
  nlohmann::json parameters() const override {
    return {{"records", records_},
            {"puts_per_record", kBatchPuts},
            {"key_bytes", kKeyBytes},
            {"value_bytes", kValueBytes},
            {"log_bytes", log_bytes_}};
  }

 private:
  static constexpr uint64_t kRecordsFull = 100;

  uint64_t records_ = 0;
  uint64_t log_bytes_ = 0;
  std::unique_ptr<vfs::File> log_;
};

const BenchRegistrar kAppend({
    .name = "log/append_commit_record",
    .description = "Encode a commit record of 1,000 puts (16-byte keys, 100-byte values), write "
                   "it at the end of a preallocated log and fdatasync",
    .unit = "records",
    .ops_default = 1000,
    .warmup_ops_default = 20,
    .make = [] { return std::make_unique<AppendCommitRecord>(); },
});

const BenchRegistrar kReplay({
    .name = "log/replay_into_memtable",
    .description = "engine::ReplayLog of a synced, cached log of 100 records x 1,000 puts "
                   "(100k distinct keys, about 12 MB) into an empty std::map",
    .unit = "puts",
    .items_per_op = 100 * kBatchPuts,
    .ops_default = 30,
    .warmup_ops_default = 2,
    .make = [] { return std::make_unique<ReplayIntoMemtable>(); },
});

}  // namespace
}  // namespace northstar::bench
