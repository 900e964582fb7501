// macro/task_queue_claims: agents claiming tasks from a queue in durable write transactions.
//
// Setup (not timed) loads 1M tasks of 4 types (apps/task_queue.h on the task_keys layout),
// without syncs, checkpoints, and reopens the database with kLog: every claim is durable (one
// log fdatasync per commit). 1M tasks because that is the backlog the pending_tasks_by_type
// cartridge is specified against, and loading it takes seconds (about 5 on the 2-core dev VM);
// a claim's cost does not depend on the backlog behind the queue's head, so more would only make
// setup longer. If the run would claim more than a quarter of the tasks (--ops), setup loads more.
//
// 8 agent threads (2 per type) each keep a cursor and claim the oldest pending task of their type
// (ClaimNextTask: begin_write, which waits for the writer, a scan of task: records from the
// cursor in a snapshot of the writer's base, the claim and agent keys, commit). One op releases
// every agent for a round of claims (16 each at scale 1) and waits for all of them: items are
// claims, so the harness's items per second is claims per second, and its latency is a round's.
// Each agent times its own claims (from begin_write to the end of commit, the wait for the writer
// included): extra claim_ns_p50/p99. Rounds, not single claims, are the ops because the agents
// run concurrently; a harness op of one claim by one agent would serialize them.
//
// No task may be claimed twice, and the count of duplicates comes from the database. Each op ends
// by checking, in a fresh snapshot, that every task claimed in its round holds exactly one claim,
// by the agent that claimed it, and fails the benchmark otherwise (the message adds a scan of
// every claim: apps::AuditClaims). This check is timed with the op and costs one short seek per
// claim (extra verify_ns_per_claim), against a commit with an fdatasync. After the measured ops,
// verify() (untimed) scans every claim: key in a read transaction and fails the run when a task
// holds more than one claim (two agents hold it), a claim names no task, or the database holds
// another number of claims than the agents made; extra: claims_in_database, duplicate_claims
// (claims beyond a task's first) and duplicate_rate (duplicate_claims / claims_in_database).
// bench/macro_task_queue.h plants a double claim to prove the count can come out above zero.
#include "bench/macro_task_queue.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/task_queue.h"
#include "bench/harness.h"
#include "bench/macro_common.h"
#include "bench/workload.h"
#include "engine/db.h"
#include "util/assert.h"
#include "util/status.h"
#include "vfs/counting.h"

namespace northstar::bench {
namespace {

constexpr uint64_t kTasksFull = 1'000'000;
constexpr uint32_t kAgents = 8;
constexpr uint32_t kTypes = 4;
constexpr uint64_t kClaimsPerAgentFull = 16;
constexpr uint64_t kOpsDefault = 40;

// Claims beyond each task's first, over all claims: 0 when there are none.
double DuplicateRate(const apps::ClaimAudit& audit) {
  if (audit.claims == 0) return 0;
  return static_cast<double>(audit.claims - audit.claimed_tasks) /
         static_cast<double>(audit.claims);
}

std::string DescribeAudit(const apps::ClaimAudit& audit) {
  std::string text = absl::StrFormat(
      "the database holds %d claims of %d tasks: %d duplicate claims on %d tasks (duplicate rate "
      "%.6f), %d claims of missing tasks",
      audit.claims, audit.claimed_tasks, audit.claims - audit.claimed_tasks, audit.duplicated_tasks,
      DuplicateRate(audit), audit.claims_of_missing_tasks);
  if (audit.first_duplicate) {
    absl::StrAppend(&text, ", first duplicated task ", *audit.first_duplicate);
  }
  return text;
}

class TaskQueueClaims final : public BenchCase {
 public:
  explicit TaskQueueClaims(std::optional<PlantedDoubleClaim> plant) : plant_(plant) {}
  ~TaskQueueClaims() override { teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    counting_ = dynamic_cast<const vfs::CountingFileSystem*>(env.fs);
    measured_ops_ = env.ops;
    claims_per_agent_ = ScaledCount(kClaimsPerAgentFull, env.scale, 1);
    const uint64_t claims_planned = (env.ops + env.warmup_ops) * kAgents * claims_per_agent_;
    config_ = {.seed = env.seed,
               .tasks = std::max(ScaledCount(kTasksFull, env.scale, 1000), 4 * claims_planned),
               .types = kTypes,
               .payload_bytes = 32};
    const uint64_t start_ns = SteadyNanoseconds();
    NS_RETURN_IF_ERROR(Load(env));
    setup_seconds_ = static_cast<double>(SteadyNanoseconds() - start_ns) / 1e9;
    agents_.resize(kAgents);
    for (uint32_t agent = 0; agent < kAgents; agent++) {
      agents_[agent].state = {.agent = agent,
                              .type = std::string(apps::TaskTypeName(agent % kTypes))};
      agents_[agent].claims.reserve(claims_planned / kAgents);
    }
    verify_ns_.reserve(env.ops + env.warmup_ops);
    for (uint32_t agent = 0; agent < kAgents; agent++) {
      threads_.emplace_back([this, agent] { Run(agents_[agent]); });
    }
    return absl::OkStatus();
  }

  absl::Status op(uint64_t index) override {
    start_.arrive_and_wait();
    end_.arrive_and_wait();
    NS_RETURN_IF_ERROR(errors_.get());
    if (plant_ && plant_->at_op == index) NS_RETURN_IF_ERROR(PlantDoubleClaim());
    const uint64_t verify_start_ns = SteadyNanoseconds();
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> snapshot, db_->begin_read());
    for (const Agent& agent : agents_) {
      for (const Claim& claim : LastSamples(agent.claims, claims_per_agent_)) {
        absl::Status status = apps::CheckSingleClaim(*snapshot, claim.task, agent.state.agent);
        if (!status.ok()) return WithAudit(status, *snapshot);
      }
    }
    verify_ns_.push_back(SteadyNanoseconds() - verify_start_ns);
    return absl::OkStatus();
  }

  absl::Status verify() override {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> snapshot, db_->begin_read());
    NS_ASSIGN_OR_RETURN(audit_, apps::AuditClaims(*snapshot));
    uint64_t claims_made = 0;
    for (const Agent& agent : agents_) claims_made += agent.claims.size();
    if (audit_->duplicated_tasks == 0 && audit_->claims_of_missing_tasks == 0 &&
        audit_->claims == claims_made) {
      return absl::OkStatus();
    }
    return absl::InternalError(absl::StrFormat("%s, where the agents made %d claims",
                                               DescribeAudit(*audit_), claims_made));
  }

  void teardown() override {
    if (!threads_.empty()) {
      stop_.store(true, std::memory_order_relaxed);
      start_.arrive_and_wait();
      for (std::thread& thread : threads_) thread.join();
      threads_.clear();
    }
    db_.reset();
  }

  uint64_t items_per_op() const override { return kAgents * claims_per_agent_; }

  nlohmann::json parameters() const override {
    return {{"tasks", config_.tasks},
            {"task_types", kTypes},
            {"agents", kAgents},
            {"claims_per_agent_per_op", claims_per_agent_},
            {"payload_bytes", config_.payload_bytes},
            {"durability", "log"}};
  }

  nlohmann::json extra_metrics() const override;

 private:
  struct Claim {
    uint64_t task = 0;
    uint64_t latency_ns = 0;
    uint64_t examined = 0;
    uint64_t skipped_taken = 0;
    bool waited_for_writer = false;
  };
  struct Agent {
    apps::AgentState state;
    std::vector<Claim> claims;  // Every claim made, in order; the last ones are the measured.
  };

  // The op's check failed: `status` with the scan of every claim in `snapshot` (kept for
  // extra_metrics()).
  absl::Status WithAudit(const absl::Status& status, engine::ReadTxn& snapshot) {
    absl::StatusOr<apps::ClaimAudit> audit = apps::AuditClaims(snapshot);
    if (!audit.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), "; the scan of every claim failed: ",
                                       audit.status().message()));
    }
    audit_ = *audit;
    return absl::Status(status.code(), absl::StrCat(status.message(), "; ", DescribeAudit(*audit)));
  }

  // The planted fault (tests only): a second claim, by agent 1, for the first task agent 0
  // claimed in op plant_->task_of_op, committed in a write transaction of its own (the agents
  // wait at the start barrier meanwhile).
  absl::Status PlantDoubleClaim() {
    NS_ASSERT(plant_->task_of_op <= plant_->at_op);
    const uint64_t claim_index = plant_->task_of_op * claims_per_agent_;
    NS_ASSERT(claim_index < agents_[0].claims.size());
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db_->begin_write(/*wait=*/true));
    NS_RETURN_IF_ERROR(apps::WriteClaim(*txn, agents_[0].claims[claim_index].task, /*agent=*/1,
                                        WallNanoseconds()));
    return txn->commit();
  }

  absl::Status Load(const BenchEnv& env) {
    const std::string path = PathIn(env.dir, "tasks.ns");
    engine::DbOptions options;
    options.durability = engine::Durability::kLogNoSync;
    options.error_if_exists = true;
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(*env.fs, path, options));
    NS_RETURN_IF_ERROR(apps::LoadTasks(*db_, config_, kBatchPuts));
    NS_RETURN_IF_ERROR(db_->checkpoint());
    db_.reset();
    options = {};
    options.durability = engine::Durability::kLog;
    options.create_if_missing = false;
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(*env.fs, path, options));
    return absl::OkStatus();
  }

  void Run(Agent& agent) {
    while (true) {
      start_.arrive_and_wait();
      if (stop_.load(std::memory_order_relaxed)) return;
      for (uint64_t claim = 0; claim < claims_per_agent_; claim++) {
        if (absl::Status status = ClaimOne(agent); !status.ok()) {
          errors_.record(status);
          break;
        }
      }
      end_.arrive_and_wait();
    }
  }

  absl::Status ClaimOne(Agent& agent) {
    const uint64_t start_ns = SteadyNanoseconds();
    NS_ASSIGN_OR_RETURN(const apps::ClaimOutcome outcome,
                        apps::ClaimNextTask(*db_, agent.state, WallNanoseconds(), config_.tasks));
    const uint64_t latency_ns = SteadyNanoseconds() - start_ns;
    if (!outcome.task) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "agent %d: no pending task of type %s left after %d claims (of %d tasks): run fewer "
          "ops or a larger --scale",
          agent.state.agent, agent.state.type, agent.claims.size(), config_.tasks));
    }
    agent.claims.push_back({.task = *outcome.task,
                            .latency_ns = latency_ns,
                            .examined = outcome.examined,
                            .skipped_taken = outcome.skipped_taken,
                            .waited_for_writer = outcome.waited_for_writer});
    return absl::OkStatus();
  }

  const std::optional<PlantedDoubleClaim> plant_;
  // The last scan of every claim (verify() or a failed op).
  std::optional<apps::ClaimAudit> audit_;
  apps::TaskQueueConfig config_;
  uint64_t claims_per_agent_ = 1;
  uint64_t measured_ops_ = 0;
  double setup_seconds_ = 0;
  const vfs::CountingFileSystem* counting_ = nullptr;
  std::unique_ptr<engine::Db> db_;
  std::vector<Agent> agents_;
  std::vector<std::thread> threads_;
  std::barrier<> start_{kAgents + 1};
  std::barrier<> end_{kAgents + 1};
  std::atomic<bool> stop_{false};
  FirstError errors_;
  std::vector<uint64_t> verify_ns_;  // Per op.
};

nlohmann::json TaskQueueClaims::extra_metrics() const {
  std::vector<uint64_t> latencies;
  uint64_t claims = 0, examined = 0, skipped = 0, waits = 0;
  for (const Agent& agent : agents_) {
    for (const Claim& claim : LastSamples(agent.claims, measured_ops_ * claims_per_agent_)) {
      latencies.push_back(claim.latency_ns);
      claims++;
      examined += claim.examined;
      skipped += claim.skipped_taken;
      waits += claim.waited_for_writer;
    }
  }
  nlohmann::json metrics = nlohmann::json::object();
  if (claims == 0) return metrics;
  const double per_claim = 1.0 / static_cast<double>(claims);
  AddLatencySummary("claim", std::move(latencies), metrics);
  uint64_t verify_ns = 0;
  for (uint64_t ns : LastSamples(verify_ns_, measured_ops_)) verify_ns += ns;
  if (audit_) {
    metrics["claims_in_database"] = audit_->claims;
    metrics["duplicate_claims"] = audit_->claims - audit_->claimed_tasks;
    metrics["duplicate_rate"] = DuplicateRate(*audit_);
  }
  metrics["writer_busy_waits_per_claim"] = static_cast<double>(waits) * per_claim;
  metrics["tasks_examined_per_claim"] = static_cast<double>(examined) * per_claim;
  metrics["tasks_found_taken_per_claim"] = static_cast<double>(skipped) * per_claim;
  metrics["verify_ns_per_claim"] = static_cast<double>(verify_ns) * per_claim;
  metrics["setup_seconds"] = setup_seconds_;
  if (counting_ != nullptr) {
    const vfs::IoCounters io = counting_->total();
    metrics["syncs_per_claim"] = static_cast<double>(io.syncs + io.dir_syncs) * per_claim;
  }
  return metrics;
}

const BenchRegistrar kTaskQueueClaims({
    .name = "macro/task_queue_claims",
    .description = "8 agent threads (2 per task type) claiming the oldest pending task of their "
                   "type from a 1M-task queue, one durable write transaction (kLog) per claim; "
                   "an op is a round of 16 claims per agent; every claimed task is checked to "
                   "hold exactly one claim, and a scan of every claim after the run counts "
                   "duplicates; extra: per-claim latency, writer waits, syncs per claim, "
                   "duplicate rate",
    .unit = "claims",
    .items_per_op = kAgents * kClaimsPerAgentFull,
    .ops_default = kOpsDefault,
    .warmup_ops_default = 4,
    .make = [] { return MakeTaskQueueClaims(); },
});

}  // namespace

std::unique_ptr<BenchCase> MakeTaskQueueClaims(std::optional<PlantedDoubleClaim> plant) {
  return std::make_unique<TaskQueueClaims>(plant);
}
}  // namespace northstar::bench
