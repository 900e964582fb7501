// cartridge/*: the pending_tasks_by_type cartridge (cartridge/) against the scan of the
// base data it replaces, and what keeping it costs.
//
// The database: 1M tasks (scaled) in the task_keys layout, of 8 types drawn from the id; half of
// them pending, 30% claimed (a claim:{id}:{agent} key), 20% claimed and completed (a claim and a
// completed:{id} key): 1.7M keys. Loaded without syncs, checkpointed, and served hot (the page
// cache holds every page), so that the scan is as fast as a scan gets.
//
// - lookup_pending_by_type_1m: one op asks the keeper for the cartridge (which checks that the
//   database has not moved) and reads every pending id of one type (about 62,500 at scale 1).
//   Measured alongside in setup, and reported in "extra": the same query answered by a scan
//   (a few runs), the ratio, the full build and the catch-up of 1,000 commits, and how many
//   queries a full build takes to pay for itself.
// - scan_pending_by_type_1m: the scan alone as a benchmark of its own (the baseline to gate).
// - full_build_1m: one full rebuild per op: scan, encode, write, sync, rename, map, decode.
// - catch_up_1k_commits: 1,000 commits of queue activity (untimed, before_op), then one op
//   catches the cartridge up from the log (and writes it); the same file a full build would give.
#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "bench/stats.h"
#include "bench/workload.h"
#include "cartridge/keeper.h"
#include "cartridge/refresh.h"
#include "apps/task_keys.h"
#include "engine/db.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

namespace task_keys = apps::task_keys;

constexpr uint64_t kTasksFull = 1'000'000;
constexpr uint64_t kCatchUpCommitsFull = 1'000;
constexpr std::array<std::string_view, 8> kTypes = {"build", "test",   "lint",   "deploy",
                                                     "index", "backup", "report", "notify"};
constexpr uint64_t kLoadBatchPuts = 10'000;
// Load batches between checkpoints, so that the log stays small during the load.
constexpr uint64_t kLoadBatchesPerCheckpoint = 20;
// Scans the lookup benchmark runs in setup for its speedup figure.
constexpr uint64_t kReferenceScans = 3;

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string_view TypeOfTask(uint64_t id) { return kTypes[Scramble(id) % kTypes.size()]; }
// 0-4 pending, 5-7 claimed, 8-9 claimed and completed.
uint64_t StateOfTask(uint64_t id) { return (Scramble(id) >> 8) % 10; }

// Options for every open of the bench database: no syncs, every page cached, no checkpoint by
// log size (the catch-up needs its commits in the log; before_op checkpoints when it wants).
engine::DbOptions TaskDbOptions(uint64_t tasks) {
  engine::DbOptions options;
  options.durability = engine::Durability::kLogNoSync;
  options.cache_budget_bytes = HotCacheBudgetBytes(2 * tasks);
  options.checkpoint_log_bytes = uint64_t{1} << 30;
  options.error_if_exists = true;
  return options;
}

// Puts the keys of every task whose key starts with `prefix` (one of the layout's prefixes).
absl::Status LoadPrefix(engine::Db& db, uint64_t tasks, std::string_view prefix) {
  for (uint64_t first = 0, batch = 1; first < tasks; first += kLoadBatchPuts, batch++) {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db.begin_write());
    for (uint64_t id = first; id < std::min(tasks, first + kLoadBatchPuts); id++) {
      const uint64_t state = StateOfTask(id);
      if (prefix == task_keys::kTaskPrefix) {
        NS_RETURN_IF_ERROR(txn->put(task_keys::TaskKey(id),
                                    task_keys::TaskMetadata(TypeOfTask(id), id % 10, "payload")));
      } else if (prefix == task_keys::kClaimPrefix && state >= 5) {
        NS_RETURN_IF_ERROR(txn->put(task_keys::ClaimKey(id, id % 64), "1700000000000000000"));
      } else if (prefix == task_keys::kCompletedPrefix && state >= 8) {
        NS_RETURN_IF_ERROR(txn->put(task_keys::CompletedKey(id), "1700000000000000001"));
      }
    }
    NS_RETURN_IF_ERROR(txn->commit());
    if (batch % kLoadBatchesPerCheckpoint == 0) NS_RETURN_IF_ERROR(db.checkpoint());
  }
  return db.checkpoint();
}

absl::StatusOr<std::unique_ptr<engine::Db>> BuildTaskDatabase(const BenchEnv& env,
                                                              uint64_t tasks) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Db> db,
                      engine::Db::open(*env.fs, PathIn(env.dir, "tasks.ns"), TaskDbOptions(tasks)));
  for (std::string_view prefix :
       {task_keys::kTaskPrefix, task_keys::kClaimPrefix, task_keys::kCompletedPrefix}) {
    NS_RETURN_IF_ERROR(LoadPrefix(*db, tasks, prefix));
  }
  NS_RETURN_IF_ERROR(WarmCache(*db));
  return db;
}

// The ids of the well-formed keys under `prefix`, ascending (key order is id order).
absl::StatusOr<std::vector<uint64_t>> IdsUnder(engine::ReadTxn& txn, std::string_view prefix) {
  std::vector<uint64_t> ids;
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  NS_RETURN_IF_ERROR(cursor->seek(prefix));
  while (cursor->valid() && cursor->key().starts_with(prefix)) {
    if (const std::optional<uint64_t> id = task_keys::TaskIdOfKey(cursor->key())) {
      if (ids.empty() || ids.back() != *id) ids.push_back(*id);
    }
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return ids;
}

// The query without the cartridge: the pending ids of `type`, from one pass over each prefix
// (claims and completions first, then the tasks, merged by id: the cheapest scan there is).
absl::StatusOr<std::vector<uint64_t>> ScanPendingOfType(engine::ReadTxn& txn,
                                                        std::string_view type) {
  NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> claimed, IdsUnder(txn, task_keys::kClaimPrefix));
  NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> completed,
                      IdsUnder(txn, task_keys::kCompletedPrefix));
  std::vector<uint64_t> pending;
  size_t claimed_at = 0, completed_at = 0;
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  NS_RETURN_IF_ERROR(cursor->seek(task_keys::kTaskPrefix));
  while (cursor->valid() && cursor->key().starts_with(task_keys::kTaskPrefix)) {
    const std::optional<uint64_t> id = task_keys::TaskIdOfKey(cursor->key());
    while (id && claimed_at < claimed.size() && claimed[claimed_at] < *id) claimed_at++;
    while (id && completed_at < completed.size() && completed[completed_at] < *id) completed_at++;
    const bool taken = id && ((claimed_at < claimed.size() && claimed[claimed_at] == *id) ||
                              (completed_at < completed.size() && completed[completed_at] == *id));
    if (id && !taken) {
      NS_ASSIGN_OR_RETURN(const std::string metadata, cursor->value());
      NS_ASSIGN_OR_RETURN(const std::string_view task_type, task_keys::TaskTypeOf(metadata));
      if (task_type == type) pending.push_back(*id);
    }
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return pending;
}

// Queue activity after the load: each commit claims a task, completes another and adds a new
// one (three tasks touched), as agents and producers would.
class QueueActivity {
 public:
  QueueActivity(uint64_t tasks, uint64_t seed) : tasks_(tasks), next_new_id_(tasks), rng_(seed) {}

  absl::Status Commit(engine::Db& db) {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db.begin_write());
    const uint64_t claimed = rng_.Uniform(tasks_);
    const uint32_t agent = static_cast<uint32_t>(rng_.Uniform(64));
    NS_RETURN_IF_ERROR(txn->put(task_keys::ClaimKey(claimed, agent), "1700000000000000002"));
    NS_RETURN_IF_ERROR(txn->put(task_keys::AgentActiveKey(agent), task_keys::FormatId(claimed)));
    NS_RETURN_IF_ERROR(
        txn->put(task_keys::CompletedKey(rng_.Uniform(tasks_)), "1700000000000000003"));
    const uint64_t added = next_new_id_++;
    NS_RETURN_IF_ERROR(txn->put(task_keys::TaskKey(added),
                                task_keys::TaskMetadata(TypeOfTask(added), 1, "payload")));
    return txn->commit();
  }

 private:
  const uint64_t tasks_;
  uint64_t next_new_id_;
  Rng rng_;
};

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

uint64_t PercentileOf(std::vector<uint64_t> samples, double fraction) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return Percentile(samples, fraction);
}

// The last `count` samples: those of the measured ops (warmup ops come first).
std::vector<uint64_t> Measured(const std::vector<uint64_t>& samples, uint64_t count) {
  const size_t take = std::min<size_t>(samples.size(), count);
  return std::vector<uint64_t>(samples.end() - static_cast<ptrdiff_t>(take), samples.end());
}

// What every cartridge benchmark starts from: the task database.
class TaskDatabaseCase : public BenchCase {
 public:
  ~TaskDatabaseCase() override { TaskDatabaseCase::teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    env_ = env;
    tasks_ = ScaledCount(kTasksFull, env.scale, 1000);
    NS_ASSIGN_OR_RETURN(db_, BuildTaskDatabase(env, tasks_));
    rng_.emplace(env.seed);
    return absl::OkStatus();
  }
  void teardown() override {
    keeper_.reset();
    db_.reset();
  }
  nlohmann::json parameters() const override {
    return {{"tasks", tasks_},
            {"types", kTypes.size()},
            {"pending_percent", 50},
            {"claimed_percent", 30},
            {"completed_percent", 20},
            {"durability", "log_no_sync"},
            {"cache", "hot"}};
  }

 protected:
  std::string_view RandomType() { return kTypes[rng_->Uniform(kTypes.size())]; }

  BenchEnv env_;
  uint64_t tasks_ = 0;
  std::unique_ptr<engine::Db> db_;
  std::unique_ptr<cartridge::CartridgeKeeper> keeper_;
  std::optional<Rng> rng_;
};

class Lookup final : public TaskDatabaseCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    NS_RETURN_IF_ERROR(TaskDatabaseCase::setup(env));
    NS_RETURN_IF_ERROR(MeasureRefreshes());
    keeper_ = std::make_unique<cartridge::CartridgeKeeper>(*env.fs, *db_);
    NS_ASSIGN_OR_RETURN(const std::shared_ptr<const cartridge::MappedCartridge> held,
                        keeper_->current());
    file_bytes_ = held->file_bytes();
    pending_ = held->view().id_count();
    return MeasureScans(*held);
  }

  absl::Status op(uint64_t) override {
    const std::string_view type = RandomType();
    const uint64_t start_ns = NowNs();
    NS_ASSIGN_OR_RETURN(const std::shared_ptr<const cartridge::MappedCartridge> held,
                        keeper_->current());
    const cartridge::PendingIds ids = held->view().pending(type);
    const uint64_t view_ns = NowNs();
    uint64_t sum = 0;
    for (uint64_t index = 0; index < ids.size(); index++) sum += ids[index];
    const uint64_t end_ns = NowNs();
    view_ns_.push_back(view_ns - start_ns);
    with_ids_ns_.push_back(end_ns - start_ns);
    if (ids.empty() || sum == 0) {
      return absl::InternalError(absl::StrFormat("type %s: no pending ids", type));
    }
    return absl::OkStatus();
  }

  nlohmann::json parameters() const override {
    nlohmann::json parameters = TaskDatabaseCase::parameters();
    parameters["catch_up_commits"] = catch_up_commits_;
    parameters["reference_scans"] = kReferenceScans;
    return parameters;
  }

  nlohmann::json extra_metrics() const override;

 private:
  // A full build, then catch_up_commits_ commits and a catch-up: their costs, for the extra.
  absl::Status MeasureRefreshes() {
    uint64_t start_ns = NowNs();
    NS_ASSIGN_OR_RETURN(const cartridge::Refreshed built, cartridge::AcquireFresh(*env_.fs, *db_));
    full_build_ns_ = NowNs() - start_ns;
    if (built.action != cartridge::RefreshAction::kRebuilt) {
      return absl::InternalError("the first refresh was not a full build");
    }
    catch_up_commits_ = ScaledCount(kCatchUpCommitsFull, env_.scale, 10);
    QueueActivity activity(tasks_, env_.seed);
    for (uint64_t commit = 0; commit < catch_up_commits_; commit++) {
      NS_RETURN_IF_ERROR(activity.Commit(*db_));
    }
    start_ns = NowNs();
    NS_ASSIGN_OR_RETURN(const cartridge::Refreshed caught_up,
                        cartridge::AcquireFresh(*env_.fs, *db_));
    catch_up_ns_ = NowNs() - start_ns;
    if (caught_up.action != cartridge::RefreshAction::kCaughtUp) {
      return absl::InternalError("the second refresh did not catch up: " + caught_up.reason);
    }
    return absl::OkStatus();
  }

  // The same query by scan, a few times, each checked against the cartridge.
  absl::Status MeasureScans(const cartridge::MappedCartridge& held) {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    for (uint64_t scan = 0; scan < kReferenceScans; scan++) {
      const std::string_view type = kTypes[scan % kTypes.size()];
      const uint64_t start_ns = NowNs();
      NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> scanned, ScanPendingOfType(*txn, type));
      scan_ns_.push_back(NowNs() - start_ns);
      if (scanned != held.view().pending(type).ToVector()) {
        return absl::InternalError(
            absl::StrFormat("type %s: the scan and the cartridge disagree", type));
      }
    }
    return absl::OkStatus();
  }

  uint64_t full_build_ns_ = 0;
  uint64_t catch_up_ns_ = 0;
  uint64_t catch_up_commits_ = 0;
  uint64_t file_bytes_ = 0;
  uint64_t pending_ = 0;
  std::vector<uint64_t> scan_ns_;
  std::vector<uint64_t> view_ns_;
  std::vector<uint64_t> with_ids_ns_;
};

nlohmann::json Lookup::extra_metrics() const {
  const std::vector<uint64_t> view = Measured(view_ns_, env_.ops);
  const std::vector<uint64_t> with_ids = Measured(with_ids_ns_, env_.ops);
  const double scan_p50_ns = static_cast<double>(PercentileOf(scan_ns_, 0.5));
  const double lookup_p50_ns = static_cast<double>(std::max<uint64_t>(1, PercentileOf(with_ids, 0.5)));
  const double lookup_p99_ns = static_cast<double>(std::max<uint64_t>(1, PercentileOf(with_ids, 0.99)));
  const double saved_per_query_ns = scan_p50_ns - lookup_p50_ns;
  return {
      {"lookup_view_ns_p50", PercentileOf(view, 0.5)},
      {"lookup_view_ns_p99", PercentileOf(view, 0.99)},
      {"lookup_with_ids_ns_p50", PercentileOf(with_ids, 0.5)},
      {"lookup_with_ids_ns_p99", PercentileOf(with_ids, 0.99)},
      {"scan_ms_p50", scan_p50_ns / 1e6},
      {"scan_ms_min", Ms(PercentileOf(scan_ns_, 1e-9))},
      {"scan_ms_max", Ms(PercentileOf(scan_ns_, 1.0))},
      {"speedup_p50", scan_p50_ns / lookup_p50_ns},
      {"speedup_scan_p50_over_lookup_p99", scan_p50_ns / lookup_p99_ns},
      {"full_build_ms", Ms(full_build_ns_)},
      {"catch_up_ms", Ms(catch_up_ns_)},
      {"catch_up_commits", catch_up_commits_},
      {"queries_to_repay_full_build",
       saved_per_query_ns > 0 ? static_cast<double>(full_build_ns_) / saved_per_query_ns : -1.0},
      {"file_bytes", file_bytes_},
      {"pending_tasks", pending_},
  };
}

class Scan final : public TaskDatabaseCase {
 public:
  absl::Status op(uint64_t) override {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> pending, ScanPendingOfType(*txn, RandomType()));
    if (pending.empty()) return absl::InternalError("the scan found no pending task");
    return absl::OkStatus();
  }
};

class FullBuild final : public TaskDatabaseCase {
 public:
  absl::Status op(uint64_t) override {
    NS_ASSIGN_OR_RETURN(const cartridge::Refreshed built,
                        cartridge::RebuildCartridge(*env_.fs, *db_));
    file_bytes_ = built.cartridge->file_bytes();
    return absl::OkStatus();
  }
  nlohmann::json extra_metrics() const override { return {{"file_bytes", file_bytes_}}; }

 private:
  uint64_t file_bytes_ = 0;
};

class CatchUp final : public TaskDatabaseCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    NS_RETURN_IF_ERROR(TaskDatabaseCase::setup(env));
    commits_ = ScaledCount(kCatchUpCommitsFull, env.scale, 10);
    activity_.emplace(tasks_, env.seed);
    return cartridge::AcquireFresh(*env.fs, *db_).status();
  }
  // A checkpoint first, so that the log starts right after the watermark and holds exactly the
  // commits to catch up; then the commits.
  absl::Status before_op(uint64_t) override {
    NS_RETURN_IF_ERROR(db_->checkpoint());
    for (uint64_t commit = 0; commit < commits_; commit++) {
      NS_RETURN_IF_ERROR(activity_->Commit(*db_));
    }
    return absl::OkStatus();
  }
  absl::Status op(uint64_t) override {
    NS_ASSIGN_OR_RETURN(const cartridge::Refreshed refreshed,
                        cartridge::AcquireFresh(*env_.fs, *db_));
    if (refreshed.action != cartridge::RefreshAction::kCaughtUp) {
      return absl::InternalError("not caught up: " + refreshed.reason);
    }
    touched_ids_ = refreshed.touched_ids;
    return absl::OkStatus();
  }
  uint64_t items_per_op() const override { return commits_; }
  nlohmann::json parameters() const override {
    nlohmann::json parameters = TaskDatabaseCase::parameters();
    parameters["commits_per_catch_up"] = commits_;
    parameters["tasks_touched_per_commit"] = 3;
    return parameters;
  }
  nlohmann::json extra_metrics() const override { return {{"touched_ids", touched_ids_}}; }

 private:
  uint64_t commits_ = 0;
  uint64_t touched_ids_ = 0;
  std::optional<QueueActivity> activity_;
};

const BenchRegistrar kLookup({
    .name = "cartridge/lookup_pending_by_type_1m",
    .description = "Pending tasks of one type (of 8) among 1M tasks through the cartridge: the "
                   "keeper's freshness check, the directory lookup and a read of every id "
                   "(~62,500); extra: the same query by scan, the speedup, full build and "
                   "catch-up costs",
    .unit = "queries",
    .ops_default = 10'000,
    .warmup_ops_default = 100,
    .make = [] { return std::make_unique<Lookup>(); },
});

const BenchRegistrar kScan({
    .name = "cartridge/scan_pending_by_type_1m",
    .description = "Pending tasks of one type (of 8) among 1M tasks by scanning the base data "
                   "(claim:, completed: and task: prefixes, hot cache): what the cartridge "
                   "replaces",
    .unit = "queries",
    .ops_default = 10,
    .warmup_ops_default = 1,
    .make = [] { return std::make_unique<Scan>(); },
});

const BenchRegistrar kFullBuild({
    .name = "cartridge/full_build_1m",
    .description = "Full rebuild of the cartridge over 1M tasks: scan at one snapshot, encode, "
                   "write, fsync, rename, map and decode",
    .unit = "builds",
    .ops_default = 5,
    .warmup_ops_default = 1,
    .make = [] { return std::make_unique<FullBuild>(); },
});

const BenchRegistrar kCatchUp({
    .name = "cartridge/catch_up_1k_commits",
    .description = "Catch-up of the cartridge over 1M tasks after 1,000 commits (each claims, "
                   "completes and adds a task) from the log: read the records, look the touched "
                   "tasks up again, write the file",
    .unit = "commits",
    .ops_default = 10,
    .warmup_ops_default = 1,
    .make = [] { return std::make_unique<CatchUp>(); },
});

}  // namespace
}  // namespace northstar::bench
