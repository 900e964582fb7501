// workload.kind = "code-graph": writers ingest a synthetic code repository (apps/code_graph.h)
// in write transactions, resuming after a crash right after what the recovered state holds;
// readers run the repository's queries (a function lookup, a range scan by path, the
// dependencies of a module, the callers of a function) on snapshots, checked against the model
// and, on a snapshot holding the whole ingest, against the generator's own answers (CO-15).
#include "absl/strings/str_format.h"
#include "sim/code_graph_ingest.h"
#include "sim/workloads/workload.h"
#include "util/assert.h"
#include "util/random.h"

namespace northstar::sim {
namespace {

// When a code-graph ingest completes, the callers of this many functions (evenly spread) are
// checked against the generator's answers, besides every module's dependencies and listing.
constexpr uint64_t kVerifiedCallersMax = 64;

}  // namespace

class CodeGraphWorkload final : public Workload {
 public:
  explicit CodeGraphWorkload(RunContext& run)
      : Workload(run),
        graph_(scenario_.workload.code_graph, DeriveSeed(scenario_.seed, "code-graph"),
               scenario_.workload.writers) {}

  void spawn(Scheduler& scheduler) override {
    for (uint32_t index = 0; index < writers_.size(); index++) {
      scheduler.spawn(absl::StrFormat("writer-%d", index), [this, index] { graph_writer(index); });
    }
    for (uint32_t index = 0; index < readers_.size(); index++) {
      scheduler.spawn(absl::StrFormat("reader-%d", index), [this, index] { graph_reader(index); });
    }
  }
  // A writer is also done once its share of the repository is in.
  [[nodiscard]] bool done() const override {
    for (uint32_t index = 0; index < transactions_left_.size(); index++) {
      if (transactions_left_[index] > 0 && graph_.records_left(index) != 0) return false;
    }
    return true;
  }
  // A writer needs about its records left over the mean records per transaction.
  [[nodiscard]] uint64_t transactions_ahead() const override {
    const WorkloadConfig& workload = scenario_.workload;
    const uint64_t mean_ops =
        (uint64_t{workload.ops_per_transaction_min} + workload.ops_per_transaction_max + 1) / 2;
    uint64_t ahead = 0;
    for (uint32_t index = 0; index < transactions_left_.size(); index++) {
      ahead += std::min<uint64_t>(transactions_left_[index],
                                  (graph_.records_left(index) + mean_ops - 1) / mean_ops);
    }
    return ahead;
  }
  void recovered(const KeyValues& recovered, uint64_t txn_id) override {
    graph_.recovered(txn_id, run_.planted_bug() == PlantedBug::kIngestResumeSkips);
    // CO-15: once the whole ingest is in, the state is exactly the repository.
    if (graph_complete_at(txn_id)) {
      check(CheckCodeGraphState(recovered, graph_.all_records(),
                                absl::StrFormat("the state recovered at commit %d", txn_id)));
    }
  }

 private:
  void graph_writer(uint32_t index);
  void graph_reader(uint32_t index);
  [[nodiscard]] bool graph_verify_complete();
  [[nodiscard]] bool graph_query(engine::ReadTxn& read, ReaderOp op, WorkloadGenerator& generator);
  [[nodiscard]] bool graph_lookup(engine::ReadTxn& read, uint64_t function);
  [[nodiscard]] bool graph_path_scan(engine::ReadTxn& read, const std::string& path_prefix);
  [[nodiscard]] bool graph_dependencies(engine::ReadTxn& read, uint32_t module);
  [[nodiscard]] bool graph_callers(engine::ReadTxn& read, uint64_t function);
  // Whether the snapshot of commit `txn_id` holds the whole ingest.
  [[nodiscard]] bool graph_complete_at(uint64_t txn_id) const;

  // The repository and how far each writer's ingest got.
  GraphIngest graph_;
};

void CodeGraphWorkload::graph_writer(uint32_t index) {
  WorkloadGenerator& generator = writers_[index];
  const GraphIngest::Records& records = graph_.records(index);
  while (transactions_left_[index] > 0 && graph_.records_left(index) > 0 && !failed()) {
    absl::StatusOr<std::unique_ptr<engine::WriteTxn>> begun = db()->begin_write(/*wait=*/true);
    if (!begun.ok()) return on_engine_error(begun.status(), "begin_write");
    stats().transactions++;
    TrackedTxn txn(**begun);
    const size_t begin = graph_.position(index);
    const size_t end = std::min(records.size(), begin + generator.ops_in_transaction());
    runtime().record_op("ingest", index, begin, end);
    for (size_t position = begin; position < end; position++) {
      if (!tracked_put(txn, records[position].first, records[position].second)) return;
    }
    transactions_left_[index]--;
    if (generator.abort_transaction()) {
      (*begun)->abort();
      stats().aborts++;
      continue;
    }
    const uint64_t txn_id = txn.txn.txn_id();
    graph_.attempted(txn_id, index, end);
    if (!commit_tracked(**begun, txn.ops)) return;
    if (graph_.complete_txn() == txn_id && !graph_verify_complete()) return;
  }
}

// The writer whose commit completed the ingest queries the whole repository once, on a snapshot
// of that commit or later: readers may have spent their reads before the ingest completes.
bool CodeGraphWorkload::graph_verify_complete() {
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> read = db()->begin_read();
  if (!read.ok()) return on_engine_error(read.status(), "begin_read"), false;
  const apps::CodeGraphConfig& config = graph_.config();
  runtime().record_op("verify-ingest", (*read)->txn_id());
  for (uint32_t module = 0; module < config.modules; module++) {
    if (!graph_dependencies(**read, module)) return false;
    if (!graph_path_scan(**read, apps::ModuleDirectory(module))) return false;
  }
  const uint64_t functions = apps::FunctionCount(config);
  const uint64_t stride = (functions + kVerifiedCallersMax - 1) / kVerifiedCallersMax;
  for (uint64_t function = 0; function < functions; function += stride) {
    if (!graph_callers(**read, function)) return false;
  }
  return true;
}

void CodeGraphWorkload::graph_reader(uint32_t index) {
  WorkloadGenerator& generator = readers_[index];
  while (reads_left_[index] > 0 && !failed()) {
    reads_left_[index]--;
    absl::StatusOr<std::unique_ptr<engine::ReadTxn>> read = db()->begin_read();
    if (!read.ok()) return on_engine_error(read.status(), "begin_read");
    stats().ops++;
    if (!graph_query(**read, generator.reader_op(), generator)) return;
    stats().reads++;
  }
}

bool CodeGraphWorkload::graph_complete_at(uint64_t txn_id) const {
  return graph_.complete_txn() != 0 && txn_id >= graph_.complete_txn();
}

bool CodeGraphWorkload::graph_query(engine::ReadTxn& read, ReaderOp op, WorkloadGenerator& generator) {
  const apps::CodeGraphConfig& config = graph_.config();
  Rng& rng = generator.rng();
  const uint64_t function = rng.Uniform(apps::FunctionCount(config));
  const auto module = static_cast<uint32_t>(rng.Uniform(config.modules));
  switch (op) {
    case ReaderOp::kGet:
      return graph_lookup(read, function);
    case ReaderOp::kRangeScan: {
      // A directory's listing, or a file's, continued past it as a paginated listing is.
      const std::string prefix =
          rng.Chance(0.5)
              ? apps::ModuleDirectory(module)
              : apps::FilePath(module, static_cast<uint32_t>(rng.Uniform(config.files_per_module)));
      return graph_path_scan(read, prefix);
    }
    case ReaderOp::kPrefixScan:
      return graph_dependencies(read, module);
    case ReaderOp::kReverseScan:
      return graph_callers(read, function);
    case ReaderOp::kAsOfRead: {
      const uint64_t back = rng.Uniform(scenario_.engine.retained_snapshots + 1);
      if (read.txn_id() <= back) return true;
      absl::StatusOr<std::unique_ptr<engine::ReadTxn>> past =
          db()->begin_read_at(read.txn_id() - back);
      if (past.status().code() == absl::StatusCode::kNotFound) return true;  // Not retained.
      if (!past.ok()) return on_engine_error(past.status(), "begin_read_at"), false;
      return graph_callers(**past, function);
    }
  }
  return false;
}

// The function's record and its file's.
bool CodeGraphWorkload::graph_lookup(engine::ReadTxn& read, uint64_t function) {
  const apps::CodeGraphConfig& config = graph_.config();
  for (const std::string& key : {apps::FunctionKey(function),
                                 apps::FileKey(apps::FilePathOfFunction(config, function))}) {
    absl::StatusOr<std::optional<std::string>> got = read.get(key);
    if (!got.ok()) return on_engine_error(got.status(), "get"), false;
    runtime().record_op("lookup", read.txn_id(), got->has_value());
    check(CheckSnapshotRead(model(), read.txn_id(), key, *got));
    if (failed()) return false;
  }
  return true;
}

bool CodeGraphWorkload::graph_path_scan(engine::ReadTxn& read, const std::string& path_prefix) {
  const std::string start = apps::PathScanStart(path_prefix);
  const std::string path_keys = apps::PathScanStart("");
  std::unique_ptr<engine::Cursor> cursor = read.cursor();
  Entries got;
  absl::Status status = cursor->seek(start);
  while (status.ok() && cursor->valid() && got.size() < kScanEntriesMax &&
         cursor->key().starts_with(path_keys)) {
    absl::StatusOr<std::string> value = cursor->value();
    if (!value.ok()) {
      status = value.status();
      break;
    }
    got.emplace_back(cursor->key(), std::move(*value));
    status = cursor->next();
  }
  if (!status.ok()) return on_engine_error(status, "path scan"), false;
  runtime().record_op("path-scan", read.txn_id(), got.size());
  Entries want = model().prefix_at(read.txn_id(), path_keys);
  std::erase_if(want, [&](const auto& entry) { return entry.first < start; });
  if (want.size() > kScanEntriesMax) want.resize(kScanEntriesMax);
  if (got != want) {
    fail(Verdict::kSnapshotIsolation,
         absl::StrFormat("snapshot-isolation: the path scan from %s in the snapshot of commit %d "
                         "returned %d entries that differ from the model's %d",
                         start, read.txn_id(), got.size(), want.size()));
    return false;
  }
  if (!graph_complete_at(read.txn_id())) return true;
  runtime().record_op("answer-checked", read.txn_id());
  std::vector<uint64_t> functions;
  for (const auto& [key, value] : got) {
    functions.push_back(apps::FunctionOfPathKey(key).value_or(UINT64_MAX));
  }
  check(CheckCodeGraphAnswer(absl::StrFormat("the path scan from %s", path_prefix), read.txn_id(),
                             functions,
                             apps::FunctionsFromPath(graph_.config(), path_prefix,
                                                     kScanEntriesMax)));
  return !failed();
}

bool CodeGraphWorkload::graph_dependencies(engine::ReadTxn& read, uint32_t module) {
  Entries got;
  if (!check_prefix(read, apps::ImportsPrefix(module), "the dependencies of a module", got)) {
    return false;
  }
  runtime().record_op("dependencies", read.txn_id(), module, got.size());
  if (!graph_complete_at(read.txn_id())) return true;
  runtime().record_op("answer-checked", read.txn_id());
  std::vector<uint64_t> deps;
  for (const auto& [key, value] : got) {
    deps.push_back(apps::DependencyOfImportsKey(key).value_or(UINT32_MAX));
  }
  const std::vector<uint32_t> want = apps::DependenciesOf(graph_.config(), module);
  check(CheckCodeGraphAnswer(absl::StrFormat("the dependencies of module %d", module),
                             read.txn_id(), deps, std::vector<uint64_t>(want.begin(), want.end())));
  return !failed();
}

bool CodeGraphWorkload::graph_callers(engine::ReadTxn& read, uint64_t function) {
  Entries got;
  if (!check_prefix(read, apps::CallersPrefix(function), "the callers of a function", got)) {
    return false;
  }
  runtime().record_op("callers", read.txn_id(), function, got.size());
  if (!graph_complete_at(read.txn_id())) return true;
  runtime().record_op("answer-checked", read.txn_id());
  std::vector<uint64_t> callers;
  for (const auto& [key, value] : got) {
    callers.push_back(apps::CallerOfCallersKey(key).value_or(UINT64_MAX));
  }
  check(CheckCodeGraphAnswer(absl::StrFormat("the callers of function %d", function),
                             read.txn_id(), callers, apps::CallersOf(graph_.config(), function)));
  return !failed();
}


std::unique_ptr<Workload> MakeCodeGraphWorkload(RunContext& run) {
  return std::make_unique<CodeGraphWorkload>(run);
}

}  // namespace northstar::sim
