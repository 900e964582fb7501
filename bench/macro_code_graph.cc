// macro/code_graph: a synthetic repository ingested as key-value records with secondary-index
// keys, then queried the way a code-intelligence tool does.
//
// Setup (timed by the benchmark itself, reported in extra): every record of apps/code_graph.h
// for a repository of 100 modules x 100 files x 20 functions at scale 1 (200,000 functions,
// about 1M call edges, 2.4M records; the module and file counts are each multiplied by
// sqrt(scale), so the record count scales linearly), put in record order (the order an indexer
// produces them: the callers: keys land all over the key space) in write transactions of 1,000
// puts, with the default options but no syncs (a bulk load), then a checkpoint. The database is
// then reopened with a page cache that holds all of it and warmed, so the queries run hot; extra
// reports the cache bytes in use, the file bytes per record and the build rates.
//
// An op is one query; the three kinds take turns (op index mod 3), each on a target drawn from a
// pool of 256 per kind, in a fresh snapshot:
//   callers  - the callers of a function: a prefix scan of callers:{X}:
//   deps     - the dependencies of a module: a prefix scan of imports:{m}:
//   path     - a listing of 100 functions from a file's path on: a range scan of path:
// Every answer is compared with the one apps/code_graph computes from the config (precomputed in
// setup; the comparison of a few ids is inside the op) and a difference fails the benchmark.
// extra: p50/p99 per kind, measured around the query alone.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "apps/code_graph.h"
#include "bench/harness.h"
#include "bench/macro_common.h"
#include "bench/workload.h"
#include "engine/db.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

constexpr uint32_t kModulesFull = 100;
constexpr uint32_t kFilesPerModuleFull = 100;
constexpr uint64_t kQueryPool = 256;
constexpr size_t kPathRangeRows = 100;
enum QueryKind : uint32_t { kCallers = 0, kDependencies = 1, kPathRange = 2, kQueryKinds = 3 };
constexpr const char* kQueryNames[kQueryKinds] = {"callers", "deps", "path_range"};

// The ids a prefix or range scan finds, parsed by `parse` from each key.
template <typename Id, typename Parse>
absl::StatusOr<std::vector<Id>> ScanIds(engine::ReadTxn& txn, const std::string& start,
                                        std::string_view prefix, size_t limit, Parse parse) {
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  std::vector<Id> ids;
  NS_RETURN_IF_ERROR(cursor->seek(start));
  while (cursor->valid() && cursor->key().starts_with(prefix) && ids.size() < limit) {
    const std::optional<Id> id = parse(cursor->key());
    if (!id) {
      return absl::DataLossError(absl::StrFormat("malformed key \"%s\"", cursor->key()));
    }
    ids.push_back(*id);
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return ids;
}

template <typename Id>
absl::Status Compare(const char* kind, const std::string& target, const std::vector<Id>& expected,
                     const std::vector<Id>& found) {
  if (expected == found) return absl::OkStatus();
  return absl::InternalError(absl::StrFormat("%s query of %s: expected [%s], found [%s]", kind,
                                             target, absl::StrJoin(expected, ","),
                                             absl::StrJoin(found, ",")));
}

class CodeGraph final : public BenchCase {
 public:
  ~CodeGraph() override { teardown(); }

  absl::Status setup(const BenchEnv& env) override {
    const double side = std::sqrt(env.scale);
    config_ = {.seed = env.seed,
               .modules = static_cast<uint32_t>(ScaledCount(kModulesFull, side, 1)),
               .files_per_module = static_cast<uint32_t>(ScaledCount(kFilesPerModuleFull, side, 1)),
               .functions_per_file = 20,
               .calls_per_function = 5,
               .imports_per_file = 4};
    measured_ops_ = env.ops;
    NS_RETURN_IF_ERROR(apps::ValidateCodeGraphConfig(config_));
    NS_RETURN_IF_ERROR(Ingest(env));
    PickQueries(env.seed);
    samples_.reserve(env.ops + env.warmup_ops);
    return absl::OkStatus();
  }

  absl::Status op(uint64_t index) override {
    const QueryKind kind = static_cast<QueryKind>(index % kQueryKinds);
    const size_t pick = static_cast<size_t>(Scramble(index / kQueryKinds) % kQueryPool);
    const uint64_t start_ns = SteadyNanoseconds();
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    absl::Status status;
    switch (kind) {
      case kCallers:
        status = Callers(*txn, pick);
        break;
      case kDependencies:
        status = Dependencies(*txn, pick);
        break;
      default:
        status = PathRange(*txn, pick);
        break;
    }
    NS_RETURN_IF_ERROR(status);
    samples_.push_back({.kind = kind, .ns = SteadyNanoseconds() - start_ns});
    return absl::OkStatus();
  }

  void teardown() override { db_.reset(); }

  nlohmann::json parameters() const override {
    return {{"modules", config_.modules},
            {"files_per_module", config_.files_per_module},
            {"functions_per_file", config_.functions_per_file},
            {"calls_per_function", config_.calls_per_function},
            {"imports_per_file", config_.imports_per_file},
            {"files", totals_.files},
            {"functions", totals_.functions},
            {"call_edges", totals_.call_edges},
            {"records", totals_.records},
            {"query_pool_per_kind", kQueryPool},
            {"path_range_rows", kPathRangeRows}};
  }

  nlohmann::json extra_metrics() const override;

 private:
  struct Sample {
    QueryKind kind;
    uint64_t ns;
  };

  // Ingests with the default options (but no syncs), checkpoints, and reopens the database
  // with a cache that holds all of it, warmed: the queries run hot.
  absl::Status Ingest(const BenchEnv& env) {
    const std::string path = PathIn(env.dir, "graph.ns");
    engine::DbOptions options;
    options.durability = engine::Durability::kLogNoSync;
    options.error_if_exists = true;
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(*env.fs, path, options));
    std::unique_ptr<engine::WriteTxn> txn;
    uint64_t in_batch = 0;
    const uint64_t start_ns = SteadyNanoseconds();
    NS_ASSIGN_OR_RETURN(
        totals_, apps::ForEachRecord(config_, [&](std::string_view key, std::string_view value) {
          if (txn == nullptr) {
            NS_ASSIGN_OR_RETURN(txn, db_->begin_write());
          }
          NS_RETURN_IF_ERROR(txn->put(key, value));
          if (++in_batch < kBatchPuts) return absl::OkStatus();
          in_batch = 0;
          const absl::Status committed = txn->commit();
          txn.reset();
          return committed;
        }));
    if (txn != nullptr) NS_RETURN_IF_ERROR(txn->commit());
    const uint64_t checkpoint_start_ns = SteadyNanoseconds();
    NS_RETURN_IF_ERROR(db_->checkpoint());
    ingest_ns_ = checkpoint_start_ns - start_ns;
    checkpoint_ns_ = SteadyNanoseconds() - checkpoint_start_ns;
    const engine::DbStats stats = db_->stats();
    file_bytes_ = stats.page_count * db_->page_size_bytes();
    db_.reset();
    options.error_if_exists = false;
    options.create_if_missing = false;
    options.cache_budget_bytes = std::max(options.cache_budget_bytes, file_bytes_ + file_bytes_ / 4);
    NS_ASSIGN_OR_RETURN(db_, engine::Db::open(*env.fs, path, options));
    return WarmCache(*db_);
  }

  void PickQueries(uint64_t seed) {
    Rng rng = Rng(seed).Derive("code_graph_queries");
    std::vector<uint64_t> callees;
    for (uint64_t pick = 0; pick < kQueryPool; pick++) {
      callees.push_back(rng.Uniform(apps::FunctionCount(config_)));
      modules_.push_back(static_cast<uint32_t>(rng.Uniform(config_.modules)));
      paths_.push_back(apps::FilePath(static_cast<uint32_t>(rng.Uniform(config_.modules)),
                                      static_cast<uint32_t>(rng.Uniform(config_.files_per_module))));
    }
    expected_callers_ = apps::CallersOfEach(config_, callees);
    callees_ = std::move(callees);
    for (uint64_t pick = 0; pick < kQueryPool; pick++) {
      expected_deps_.push_back(apps::DependenciesOf(config_, modules_[pick]));
      expected_paths_.push_back(apps::FunctionsFromPath(config_, paths_[pick], kPathRangeRows));
    }
  }

  absl::Status Callers(engine::ReadTxn& txn, size_t pick) {
    NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> callers,
                        ScanIds<uint64_t>(txn, apps::CallersPrefix(callees_[pick]),
                                          apps::CallersPrefix(callees_[pick]), SIZE_MAX,
                                          apps::CallerOfCallersKey));
    rows_[kCallers] += callers.size();
    return Compare("callers", apps::FunctionKey(callees_[pick]), expected_callers_[pick], callers);
  }

  absl::Status Dependencies(engine::ReadTxn& txn, size_t pick) {
    const std::string prefix = apps::ImportsPrefix(modules_[pick]);
    NS_ASSIGN_OR_RETURN(
        const std::vector<uint32_t> deps,
        ScanIds<uint32_t>(txn, prefix, prefix, SIZE_MAX, apps::DependencyOfImportsKey));
    rows_[kDependencies] += deps.size();
    return Compare("dependencies", apps::ModuleName(modules_[pick]), expected_deps_[pick], deps);
  }

  absl::Status PathRange(engine::ReadTxn& txn, size_t pick) {
    NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> functions,
                        ScanIds<uint64_t>(txn, apps::PathScanStart(paths_[pick]), "path:",
                                          kPathRangeRows, apps::FunctionOfPathKey));
    rows_[kPathRange] += functions.size();
    return Compare("path range", paths_[pick], expected_paths_[pick], functions);
  }

  apps::CodeGraphConfig config_;
  apps::CodeGraphTotals totals_;
  uint64_t measured_ops_ = 0;
  std::unique_ptr<engine::Db> db_;
  uint64_t file_bytes_ = 0;
  uint64_t ingest_ns_ = 0;
  uint64_t checkpoint_ns_ = 0;
  std::vector<uint64_t> callees_;
  std::vector<uint32_t> modules_;
  std::vector<std::string> paths_;
  std::vector<std::vector<uint64_t>> expected_callers_;
  std::vector<std::vector<uint32_t>> expected_deps_;
  std::vector<std::vector<uint64_t>> expected_paths_;
  std::vector<Sample> samples_;  // Per op, warmup ops first.
  uint64_t rows_[kQueryKinds] = {};
};

nlohmann::json CodeGraph::extra_metrics() const {
  nlohmann::json metrics = nlohmann::json::object();
  std::vector<uint64_t> by_kind[kQueryKinds];
  for (const Sample& sample : LastSamples(samples_, measured_ops_)) {
    by_kind[sample.kind].push_back(sample.ns);
  }
  for (uint32_t kind = 0; kind < kQueryKinds; kind++) {
    AddLatencySummary(kQueryNames[kind], std::move(by_kind[kind]), metrics);
  }
  const double ingest_seconds = static_cast<double>(ingest_ns_) / 1e9;
  const double build_seconds = static_cast<double>(ingest_ns_ + checkpoint_ns_) / 1e9;
  const double records = static_cast<double>(totals_.records);
  metrics["ingest_seconds"] = ingest_seconds;
  metrics["checkpoint_seconds"] = static_cast<double>(checkpoint_ns_) / 1e9;
  metrics["build_seconds"] = build_seconds;
  metrics["ingest_records_per_second"] = records / std::max(ingest_seconds, 1e-9);
  metrics["file_bytes_per_record"] = static_cast<double>(file_bytes_) / records;
  metrics["record_bytes_mean"] =
      static_cast<double>(totals_.key_bytes + totals_.value_bytes) / records;
  if (db_ != nullptr) {
    const engine::DbStats stats = db_->stats();
    const double page_bytes = static_cast<double>(db_->page_size_bytes());
    metrics["cache_bytes_used"] = static_cast<double>(stats.cache.pages_cached) * page_bytes;
  }
  return metrics;
}

const BenchRegistrar kCodeGraph({
    .name = "macro/code_graph",
    .description = "A synthetic repository (100 modules x 100 files x 20 functions, 5 calls per "
                   "function, 4 imports per file: 2.4M records with callers:, imports: and path: "
                   "index keys) ingested in batches of 1,000 puts; an op is one hot query, in "
                   "turn: callers of a function (prefix scan), dependencies of a module (prefix "
                   "scan), 100 functions from a path on (range scan), each checked against the "
                   "generator's answer; extra: build time and rate, bytes per record, cache bytes, "
                   "p50/p99 per query kind",
    .unit = "queries",
    .items_per_op = 1,
    .ops_default = 30'000,
    .warmup_ops_default = 3'000,
    .make = [] { return std::make_unique<CodeGraph>(); },
});

}  // namespace
}  // namespace northstar::bench
