#include "bench/peers/peer.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_format.h"
#include "bench/workload.h"
#include "util/assert.h"

namespace northstar::bench {

const PeerWorkload& FindPeerWorkload(std::string_view workload) {
  for (const PeerWorkload& entry : kPeerWorkloads) {
    if (entry.name == workload) return entry;
  }
  NS_ASSERT_MSG(false, absl::StrFormat("not a peer workload: %s", workload));
  __builtin_unreachable();
}

PeerRegistrar::PeerRegistrar(std::string_view engine, std::string_view workload,
                             std::string description,
                             std::function<std::unique_ptr<BenchCase>()> make) {
  const PeerWorkload& shape = FindPeerWorkload(workload);
  const BenchRegistrar registrar({.name = PeerBenchmarkName(engine, workload),
                                  .description = std::move(description),
                                  .unit = std::string(shape.unit),
                                  .items_per_op = shape.items_per_op,
                                  .ops_default = shape.ops_default,
                                  .warmup_ops_default = shape.warmup_ops_default,
                                  .make = std::move(make)});
}

absl::StatusOr<uint64_t> DirectoryBytes(const std::string& dir,
                                        const std::function<bool(std::string_view)>& skip) {
  std::error_code error;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error) || error) continue;
    if (skip && skip(it->path().filename().string())) continue;
    const uint64_t size = it->file_size(error);
    if (error) break;
    total += size;
  }
  if (error) {
    return absl::InternalError(
        absl::StrFormat("%s: cannot sum file sizes: %s", dir, error.message()));
  }
  return total;
}

absl::Status PeerCase::setup(const BenchEnv& env) {
  NS_ASSERT(env.ops >= 1);
  if (!ProcessIoCounts()) {
    return absl::FailedPreconditionError(
        "this binary does not count I/O at the libc entry points (bench/peers/io_interpose.cc "
        "is linked into the northstar executable only): peers cannot report syncs");
  }
  dir_ = absl::StrFormat("%s/%s", env.dir, engine_);
  std::error_code error;
  if (!std::filesystem::create_directory(dir_, error) || error) {
    return absl::InternalError(absl::StrFormat("%s: cannot create: %s", dir_, error.message()));
  }
  ops_ = env.ops;
  warmup_ops_ = env.warmup_ops;
  if (warmup_ops_ == 0) ring_.assign(ops_, IoCounts{});
  return setup_engine(env, dir_);
}

absl::Status PeerCase::before_op(uint64_t index) {
  NS_ASSERT(!any_op_ || index == last_index_ + 1);
  any_op_ = true;
  last_index_ = index;
  if (warmup_ops_ > 0) {
    if (index == warmup_ops_) at_first_measured_ = *ProcessIoCounts();
  } else {
    ring_[index % ops_] = *ProcessIoCounts();
  }
  return absl::OkStatus();
}

IoCounts PeerCase::measured_io() const {
  NS_ASSERT(any_op_);
  NS_ASSERT(last_index_ + 1 >= ops_);
  if (!at_end_) at_end_ = *ProcessIoCounts();
  // The measured ops are the last ops_ ones: first index last_index_ + 1 - ops_.
  const IoCounts& start =
      warmup_ops_ > 0 ? at_first_measured_ : ring_[(last_index_ + 1 - ops_) % ops_];
  NS_ASSERT(warmup_ops_ == 0 || last_index_ + 1 == warmup_ops_ + ops_);
  return *at_end_ - start;
}

ExternalCounters PeerCase::external_counters() const {
  const IoCounts io = measured_io();
  return {.syncs = io.syncs(),
          .bytes_read = io.bytes_read,
          .bytes_written = io.bytes_written,
          .valid = true};
}

nlohmann::json PeerCase::extra_metrics() const {
  const IoCounts io = measured_io();
  const double ops = static_cast<double>(ops_);
  return {{"fsync_per_op", static_cast<double>(io.fsync_calls + io.syncfs_calls) / ops},
          {"fdatasync_per_op", static_cast<double>(io.fdatasync_calls) / ops},
          {"dsync_writes_per_op", static_cast<double>(io.dsync_writes) / ops},
          {"msync_per_op", static_cast<double>(io.msync_sync_calls) / ops},
          {"sync_file_range_per_op", static_cast<double>(io.sync_file_range_waits) / ops},
          {"writeback_starts_per_op", static_cast<double>(io.sync_file_range_starts) / ops}};
}

nlohmann::json BuildParameters(uint64_t ops, bool random, std::string_view durability,
                               uint64_t cache_budget_bytes) {
  return {{"keys_measured", ops * kBatchPuts},
          {"key_bytes", kKeyBytes},
          {"value_bytes", kValueBytes},
          {"batch", kBatchPuts},
          {"order", random ? "random" : "sequential"},
          {"durability", durability},
          {"cache_budget_bytes", cache_budget_bytes}};
}

nlohmann::json HotParameters(uint64_t keys, uint64_t cache_budget_bytes) {
  return {{"keys", keys},
          {"key_bytes", kKeyBytes},
          {"value_bytes", kValueBytes},
          {"cache_budget_bytes", cache_budget_bytes}};
}

nlohmann::json SnapshotParameters() {
  return {{"keys", kPeerSnapshotKeys}, {"snapshots_per_op", kPeerSnapshotsPerOp}};
}

nlohmann::json DurablePutParameters(std::string_view durability) {
  return {{"key_bytes", kKeyBytes},
          {"value_bytes", kValueBytes},
          {"puts_per_commit", 1},
          {"durability", durability}};
}

uint64_t BuildCacheBytes(uint64_t keys) { return HotCacheBudgetBytes(keys); }

uint64_t BuildKey(uint64_t n, bool random) { return random ? Scramble(n) : n; }

nlohmann::json AtRestMetrics(uint64_t bytes_at_rest, uint64_t log_bytes_at_rest, uint64_t keys) {
  NS_ASSERT(keys > 0);
  NS_ASSERT(log_bytes_at_rest <= bytes_at_rest);
  const double count = static_cast<double>(keys);
  return {{"bytes_at_rest", static_cast<double>(bytes_at_rest)},
          {"log_bytes_at_rest", static_cast<double>(log_bytes_at_rest)},
          {"bytes_per_key", static_cast<double>(bytes_at_rest) / count},
          {"bytes_per_key_without_log",
           static_cast<double>(bytes_at_rest - log_bytes_at_rest) / count}};
}

}  // namespace northstar::bench
