// macro/time_travel: reads AS OF past transactions of a long history, checked against a model.
//
// Setup (not timed; its rates are reported in extra): the history of apps/history.h, 1,000,000
// transactions at scale 1 of 1-4 writes each (puts, and 10% deletes after the first write) over
// 100,000 keys, values of 8-48 bytes, committed one transaction per commit with kLogNoSync (a
// durable commit costs an fdatasync, about 4 ms on the dev VM: 70 minutes for the history; the
// log records and the AS OF answers are the same either way) and recycle_log = false, so that the
// log keeps every record. The last 1,000 commits stay readable with begin_read_at
// (retained_snapshots): the history is committed in two sessions, the second one reopening the
// database with retained_snapshots set, because the engine walks every retained snapshot on each
// commit, which over a million commits would cost more than the history itself. Setup then checks
// the whole latest state, read through a snapshot and rebuilt by replaying the whole log, against
// the model.
//
// An op is one AS OF query of a random txn T: even ops pick T among the retained commits, odd ops
// among the older ones. The op asks begin_read_at(T); where T is not retained (NotFound) it
// rebuilds the state as of T by replaying the log from its start up to T (ScanLog and
// ApplyLogRecord, as engine/log/replay.h does, stopping at T instead of reading the rest of the
// log). Either way it then reads 16 random keys and a 32-row range from a random key and compares
// them with the model (apps::HistoryModel: the model of sim/model.h keeps every value and commit
// key list, too heavy for a million transactions), byte for byte; any difference fails the
// benchmark. extra: begin_read_at time, replay time and speed (records/s, MB/s of log).
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "apps/history.h"
#include "bench/harness.h"
#include "bench/macro_common.h"
#include "bench/workload.h"
#include "engine/db.h"
#include "engine/log/replay.h"
#include "engine/log/scan.h"
#include "util/assert.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr uint64_t kTxnsFull = 1'000'000;
constexpr uint64_t kKeysFull = 100'000;
constexpr uint64_t kRetainedFull = 1'000;
constexpr uint64_t kGetsPerQuery = 16;
constexpr size_t kRangeRows = 32;

// One query's reads, from a snapshot or from a replayed state.
struct QueryReads {
  apps::HistoryEntries gets;   // (key, value) of the keys found; absent keys are left out.
  apps::HistoryEntries range;  // kRangeRows entries from a key on.
};

class TimeTravel final : public BenchCase {
 public:
  ~TimeTravel() override { teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    config_ = {.seed = env.seed,
               .txns = ScaledCount(kTxnsFull, env.scale, 100),
               .keys = ScaledCount(kKeysFull, env.scale, 100),
               .writes_per_txn_max = 4,
               .delete_percent = 10,
               .value_bytes_min = 8,
               .value_bytes_max = 48};
    NS_RETURN_IF_ERROR(apps::ValidateHistoryConfig(config_));
    retained_ = std::min(ScaledCount(kRetainedFull, env.scale, 10), config_.txns - 2);
    measured_ops_ = env.ops;
    rng_.emplace(Rng(env.seed).Derive("time_travel"));
    uint64_t start_ns = SteadyNanoseconds();
    model_ = std::make_unique<apps::HistoryModel>(config_);
    model_build_ns_ = SteadyNanoseconds() - start_ns;
    path_ = PathIn(env.dir, "history.ns");
    start_ns = SteadyNanoseconds();
    NS_RETURN_IF_ERROR(Commit(*env.fs, 1, config_.txns - retained_, 0, /*create=*/true));
    NS_RETURN_IF_ERROR(Commit(*env.fs, config_.txns - retained_ + 1, config_.txns,
                              static_cast<uint32_t>(retained_), /*create=*/false));
    history_build_ns_ = SteadyNanoseconds() - start_ns;
    NS_ASSIGN_OR_RETURN(log_, env.fs->open(engine::LogPathFor(path_), {}));
    samples_.reserve(env.ops + env.warmup_ops);
    return CheckLatestState();
  }

  absl::Status op(uint64_t index) override;

  void teardown() override {
    log_.reset();
    db_.reset();
  }

  nlohmann::json parameters() const override {
    return {{"txns", config_.txns},
            {"keys", config_.keys},
            {"writes_per_txn_max", config_.writes_per_txn_max},
            {"delete_percent", config_.delete_percent},
            {"value_bytes_min", config_.value_bytes_min},
            {"value_bytes_max", config_.value_bytes_max},
            {"retained_snapshots", retained_},
            {"gets_per_query", kGetsPerQuery},
            {"range_rows", kRangeRows},
            {"history_durability", "log_nosync"}};
  }

  nlohmann::json extra_metrics() const override;

 private:
  struct Sample {
    bool replayed = false;
    uint64_t open_ns = 0;  // begin_read_at, or the replay.
    uint64_t replay_records = 0;
    uint64_t replay_bytes = 0;
  };
  struct Replay {
    engine::KeyValueMap state;
    uint64_t records = 0;
    uint64_t bytes = 0;  // Log bytes read: the end of the last record applied.
  };

  // Commits txns first..last, one commit each, in a session opened with `retained` snapshots.
  absl::Status Commit(vfs::FileSystem& fs, uint64_t first, uint64_t last, uint32_t retained,
                      bool create) {
    engine::DbOptions options;
    options.durability = engine::Durability::kLogNoSync;
    options.recycle_log = false;
    options.retained_snapshots = retained;
    // The engine compares this with the log's absolute end, which with recycle_log = false only
    // grows: past it, every commit would checkpoint. Checkpoints come from cache pressure instead.
    options.checkpoint_log_bytes = UINT64_MAX;
    options.create_if_missing = create;
    options.error_if_exists = create;
    db_.reset();
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(fs, path_, options));
    for (uint64_t txn = first; txn <= last; txn++) {
      NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> write, db_->begin_write());
      if (write->txn_id() != txn) {
        return absl::InternalError(
            absl::StrFormat("history txn %d committed as txn %d", txn, write->txn_id()));
      }
      for (const engine::LogOp& op : apps::HistoryOps(config_, txn)) {
        if (op.type == engine::LogOpType::kPut) {
          NS_RETURN_IF_ERROR(write->put(op.key, op.value));
        } else {
          NS_RETURN_IF_ERROR(write->del(op.key).status());
        }
      }
      NS_RETURN_IF_ERROR(write->commit());
    }
    // The first session ends checkpointed, so that the second opens without a long replay.
    if (create) return db_->checkpoint();
    return absl::OkStatus();
  }

  // Replays the log from its start up to txn `txn`.
  absl::StatusOr<Replay> ReplayTo(uint64_t txn) {
    Replay replay;
    bool reached = false;
    const absl::StatusOr<engine::LogScanResult> scan = engine::ScanLog(
        *log_, 0, 1, engine::LogLimits{}, [&](const engine::LogRecord& record) {
          engine::ApplyLogRecord(record, replay.state);
          replay.records++;
          replay.bytes = record.offset + record.record_bytes;
          if (record.txn_id < txn) return absl::OkStatus();
          reached = true;
          return absl::CancelledError("reached the txn: stop");  // The rest is after `txn`.
        });
    if (!reached) {
      if (!scan.ok()) return scan.status();
      return absl::InternalError(absl::StrFormat(
          "replaying the log to txn %d: it ends after %d records", txn, replay.records));
    }
    NS_ASSERT(replay.records == txn);
    return replay;
  }

  absl::Status CheckLatestState() {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    apps::HistoryEntries scanned;
    std::unique_ptr<engine::Cursor> cursor = txn->cursor();
    NS_RETURN_IF_ERROR(cursor->seek_first());
    while (cursor->valid()) {
      NS_ASSIGN_OR_RETURN(std::string value, cursor->value());
      scanned.emplace_back(std::string(cursor->key()), std::move(value));
      NS_RETURN_IF_ERROR(cursor->next());
    }
    const std::map<std::string, std::string> expected_state = model_->state_at(config_.txns);
    const apps::HistoryEntries expected(expected_state.begin(), expected_state.end());
    if (std::optional<std::string> diff = apps::DiffEntries(expected, scanned)) {
      return absl::InternalError(absl::StrFormat("latest snapshot (txn %d): %s", txn->txn_id(), *diff));
    }
    const uint64_t start_ns = SteadyNanoseconds();
    NS_ASSIGN_OR_RETURN(Replay replay, ReplayTo(config_.txns));
    full_replay_ns_ = SteadyNanoseconds() - start_ns;
    full_replay_records_ = replay.records;
    log_bytes_ = replay.bytes;
    if (std::optional<std::string> diff = apps::DiffEntries(
            expected, apps::HistoryEntries(replay.state.begin(), replay.state.end()))) {
      return absl::InternalError(absl::StrFormat("replay of the whole log: %s", *diff));
    }
    return absl::OkStatus();
  }

  // The query's keys and range start, drawn for op `index`.
  void DrawReads(std::vector<uint64_t>& keys, uint64_t& range_from) {
    keys.clear();
    for (uint64_t get = 0; get < kGetsPerQuery; get++) keys.push_back(rng_->Uniform(config_.keys));
    range_from = rng_->Uniform(config_.keys);
  }

  absl::StatusOr<QueryReads> ReadSnapshot(engine::ReadTxn& txn, const std::vector<uint64_t>& keys,
                                          uint64_t range_from);
  absl::Status CheckReads(uint64_t txn, bool replayed, const std::vector<uint64_t>& keys,
                          uint64_t range_from, const QueryReads& reads) const;

  apps::HistoryConfig config_;
  uint64_t retained_ = 0;
  uint64_t measured_ops_ = 0;
  std::optional<Rng> rng_;
  std::unique_ptr<apps::HistoryModel> model_;
  std::string path_;
  std::unique_ptr<engine::Db> db_;
  std::unique_ptr<vfs::File> log_;
  uint64_t model_build_ns_ = 0;
  uint64_t history_build_ns_ = 0;
  uint64_t full_replay_ns_ = 0;
  uint64_t full_replay_records_ = 0;
  uint64_t log_bytes_ = 0;
  std::vector<Sample> samples_;  // Per op, warmup ops first.
};

absl::StatusOr<QueryReads> TimeTravel::ReadSnapshot(engine::ReadTxn& txn,
                                                    const std::vector<uint64_t>& keys,
                                                    uint64_t range_from) {
  QueryReads reads;
  for (uint64_t key_index : keys) {
    const std::string key = apps::HistoryKey(key_index);
    NS_ASSIGN_OR_RETURN(std::optional<std::string> value, txn.get(key));
    if (value) reads.gets.emplace_back(key, std::move(*value));
  }
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  NS_RETURN_IF_ERROR(cursor->seek(apps::HistoryKey(range_from)));
  while (cursor->valid() && reads.range.size() < kRangeRows) {
    NS_ASSIGN_OR_RETURN(std::string value, cursor->value());
    reads.range.emplace_back(std::string(cursor->key()), std::move(value));
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return reads;
}

QueryReads ReadReplayed(const engine::KeyValueMap& state, const std::vector<uint64_t>& keys,
                        uint64_t range_from) {
  QueryReads reads;
  for (uint64_t key_index : keys) {
    const std::string key = apps::HistoryKey(key_index);
    auto found = state.find(key);
    if (found != state.end()) reads.gets.emplace_back(key, found->second);
  }
  for (auto it = state.lower_bound(apps::HistoryKey(range_from));
       it != state.end() && reads.range.size() < kRangeRows; ++it) {
    reads.range.emplace_back(it->first, it->second);
  }
  return reads;
}

absl::Status TimeTravel::CheckReads(uint64_t txn, bool replayed, const std::vector<uint64_t>& keys,
                                    uint64_t range_from, const QueryReads& reads) const {
  apps::HistoryEntries expected_gets;
  for (uint64_t key_index : keys) {
    if (std::optional<std::string> value = model_->value_at(key_index, txn)) {
      expected_gets.emplace_back(apps::HistoryKey(key_index), std::move(*value));
    }
  }
  std::optional<std::string> diff = apps::DiffEntries(expected_gets, reads.gets);
  if (!diff) diff = apps::DiffEntries(model_->range_at(txn, range_from, kRangeRows), reads.range);
  if (!diff) return absl::OkStatus();
  return absl::InternalError(absl::StrFormat("AS OF txn %d (%s): %s", txn,
                                             replayed ? "log replay" : "retained snapshot", *diff));
}

absl::Status TimeTravel::op(uint64_t index) {
  const uint64_t older = config_.txns - retained_;  // Txns 1..older are not retained.
  const bool want_retained = index % 2 == 0;
  const uint64_t txn = want_retained ? config_.txns - rng_->Uniform(retained_)
                                     : 1 + rng_->Uniform(older - 1);
  std::vector<uint64_t> keys;
  uint64_t range_from = 0;
  DrawReads(keys, range_from);
  Sample sample;
  uint64_t start_ns = SteadyNanoseconds();
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> snapshot = db_->begin_read_at(txn);
  sample.open_ns = SteadyNanoseconds() - start_ns;
  QueryReads reads;
  if (snapshot.ok()) {
    NS_ASSIGN_OR_RETURN(reads, ReadSnapshot(**snapshot, keys, range_from));
  } else if (absl::IsNotFound(snapshot.status()) && !want_retained) {
    start_ns = SteadyNanoseconds();
    NS_ASSIGN_OR_RETURN(Replay replay, ReplayTo(txn));
    sample = {.replayed = true,
              .open_ns = SteadyNanoseconds() - start_ns,
              .replay_records = replay.records,
              .replay_bytes = replay.bytes};
    reads = ReadReplayed(replay.state, keys, range_from);
  } else {
    return snapshot.status();  // Among them: a commit that should be retained and is not.
  }
  NS_RETURN_IF_ERROR(CheckReads(txn, sample.replayed, keys, range_from, reads));
  samples_.push_back(sample);
  return absl::OkStatus();
}

nlohmann::json TimeTravel::extra_metrics() const {
  nlohmann::json metrics = nlohmann::json::object();
  std::vector<uint64_t> open_ns, replay_ns;
  uint64_t records = 0, bytes = 0, replay_total_ns = 0;
  for (const Sample& sample : LastSamples(samples_, measured_ops_)) {
    if (!sample.replayed) {
      open_ns.push_back(sample.open_ns);
      continue;
    }
    replay_ns.push_back(sample.open_ns);
    replay_total_ns += sample.open_ns;
    records += sample.replay_records;
    bytes += sample.replay_bytes;
  }
  metrics["snapshot_queries"] = open_ns.size();
  metrics["replay_queries"] = replay_ns.size();
  AddLatencySummary("snapshot_open", std::move(open_ns), metrics);
  AddLatencySummary("replay", std::move(replay_ns), metrics);
  if (replay_total_ns > 0) {
    const double seconds = static_cast<double>(replay_total_ns) / 1e9;
    metrics["replay_records_per_second"] = static_cast<double>(records) / seconds;
    metrics["replay_megabytes_per_second"] = static_cast<double>(bytes) / 1e6 / seconds;
  }
  if (full_replay_ns_ > 0) {
    metrics["full_replay_records_per_second"] =
        static_cast<double>(full_replay_records_) / (static_cast<double>(full_replay_ns_) / 1e9);
  }
  metrics["log_bytes"] = log_bytes_;
  metrics["history_commits_per_second"] =
      static_cast<double>(config_.txns) / (static_cast<double>(history_build_ns_) / 1e9);
  metrics["model_build_seconds"] = static_cast<double>(model_build_ns_) / 1e9;
  metrics["model_writes"] = model_ == nullptr ? 0 : model_->writes();
  return metrics;
}

const BenchRegistrar kTimeTravel({
    .name = "macro/time_travel",
    .description = "A history of 1M small transactions (1-4 writes over 100k keys, kLogNoSync, "
                   "the whole log kept, the last 1,000 commits retained); an op is one AS OF "
                   "query of a random txn, half among the retained commits (begin_read_at), half "
                   "older (replay of the log up to it): 16 gets and a 32-row range, compared byte "
                   "for byte with a model; extra: snapshot open time, replay time and speed",
    .unit = "queries",
    .items_per_op = 1,
    .ops_default = 40,
    .warmup_ops_default = 2,
    .make = [] { return std::make_unique<TimeTravel>(); },
});

}  // namespace
}  // namespace northstar::bench
