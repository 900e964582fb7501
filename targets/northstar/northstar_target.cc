#include "targets/northstar/northstar_target.h"

#include "absl/strings/str_format.h"
#include "engine/validate.h"
#include "util/assert.h"

namespace northstar::targets {
namespace {

engine::Durability ToEngine(sim::DurabilityMode mode) {
  switch (mode) {
    case sim::DurabilityMode::kLog:
      return engine::Durability::kLog;
    case sim::DurabilityMode::kLogNoSync:
      return engine::Durability::kLogNoSync;
    case sim::DurabilityMode::kMetaFlip:
      return engine::Durability::kMetaFlip;
  }
  NS_ASSERT_MSG(false, "unknown durability mode");
  return engine::Durability::kLog;
}

sim::Promise PromiseFor(const sim::EngineConfig& config) {
  sim::Promise promise;
  promise.capabilities = {.snapshots = true,
                          .as_of = true,
                          .scans = true,
                          .reverse_scans = true,
                          .structure_check = true};
  const bool synced = config.durability != sim::DurabilityMode::kLogNoSync;
  promise.crash_loss = synced ? sim::CrashLoss::kNone : sim::CrashLoss::kSuffix;
  promise.source = absl::StrFormat("spec/correctness.md CO-5, engine.durability = \"%s\"",
                                   sim::DurabilityModeName(config.durability));
  return promise;
}

// A cursor walk: forward from `start` (the first entry when empty), or backward from the last
// entry before `start` (the last entry when empty), while keys carry the prefix.
absl::StatusOr<sim::ScanEntries> Scan(engine::Cursor* cursor, const sim::ScanRequest& request) {
  sim::ScanEntries entries;
  absl::Status status;
  if (request.start.empty()) {
    status = request.reverse ? cursor->seek_last() : cursor->seek_first();
  } else {
    status = cursor->seek(request.start);
    if (status.ok() && request.reverse) {
      status = cursor->valid() ? cursor->prev() : cursor->seek_last();
    }
  }
  while (status.ok() && cursor->valid() && entries.size() < request.limit &&
         cursor->key().starts_with(request.prefix)) {
    absl::StatusOr<std::string> value = cursor->value();
    if (!value.ok()) return value.status();
    entries.emplace_back(cursor->key(), std::move(*value));
    status = request.reverse ? cursor->prev() : cursor->next();
  }
  if (!status.ok()) return status;
  return entries;
}

class Reader final : public sim::TargetReader {
 public:
  explicit Reader(std::unique_ptr<engine::ReadTxn> read) : read_(std::move(read)) {}
  [[nodiscard]] uint64_t commit_id() const override { return read_->txn_id(); }
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(const std::string& key) override {
    return read_->get(key);
  }
  [[nodiscard]] absl::StatusOr<sim::ScanEntries> scan(const sim::ScanRequest& request) override {
    cursor_ = read_->cursor();
    return Scan(cursor_.get(), request);
  }

 private:
  std::unique_ptr<engine::ReadTxn> read_;
  // The last scan's cursor stays open (its leaf pinned) until the next scan or the end of the
  // reader, as a caller's cursor would: closing it inside scan() would move its unpin yields
  // ahead of the caller's next step, and with them every trace hash recorded before targets.
  std::unique_ptr<engine::Cursor> cursor_;
};

class Writer final : public sim::TargetWriter {
 public:
  explicit Writer(std::unique_ptr<engine::WriteTxn> txn) : txn_(std::move(txn)) {}
  [[nodiscard]] uint64_t commit_id() const override { return txn_->txn_id(); }
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(const std::string& key) override {
    return txn_->get(key);
  }
  [[nodiscard]] absl::Status put(const std::string& key, const std::string& value) override {
    return txn_->put(key, value);
  }
  [[nodiscard]] absl::StatusOr<bool> del(const std::string& key) override { return txn_->del(key); }
  [[nodiscard]] absl::Status commit() override { return txn_->commit(); }
  void abort() override { txn_->abort(); }

 private:
  std::unique_ptr<engine::WriteTxn> txn_;
};

}  // namespace

NorthstarTarget::NorthstarTarget(const sim::Scenario& scenario, sim::PlantedBug planted_bug)
    : config_(scenario.engine), planted_bug_(planted_bug), promise_(PromiseFor(config_)) {}

absl::Status NorthstarTarget::open(const sim::TargetEnvironment& environment) {
  NS_ASSERT(environment.fs != nullptr && environment.runtime != nullptr);
  environment_ = environment;
  engine::DbOptions options;
  options.page_size_bytes = config_.page_size_bytes;
  options.cache_budget_bytes = config_.cache_bytes;
  options.durability = ToEngine(config_.durability);
  options.log_preallocate_bytes = config_.log_preallocate_bytes;
  options.checkpoint_log_bytes = config_.checkpoint_log_bytes;
  options.retained_snapshots = config_.retained_snapshots;
  options.recycle_log = config_.recycle_log;
  options.runtime = environment.runtime;
  if (planted_bug_ == sim::PlantedBug::kAckWithoutSync) {
    options.durability = engine::Durability::kLogNoSync;
  }
  absl::StatusOr<std::unique_ptr<engine::Db>> db =
      engine::Db::open(*environment.fs, environment.path, options);
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<sim::TargetWriter>> NorthstarTarget::begin_write() {
  absl::StatusOr<std::unique_ptr<engine::WriteTxn>> txn = db_->begin_write(/*wait=*/true);
  if (!txn.ok()) return txn.status();
  return std::make_unique<Writer>(std::move(*txn));
}

absl::StatusOr<std::unique_ptr<sim::TargetReader>> NorthstarTarget::begin_read() {
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> read = db_->begin_read();
  if (!read.ok()) return read.status();
  return std::make_unique<Reader>(std::move(*read));
}

absl::StatusOr<std::unique_ptr<sim::TargetReader>> NorthstarTarget::begin_read_at(
    uint64_t commit_id) {
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> read = db_->begin_read_at(commit_id);
  if (!read.ok()) return read.status();
  return std::make_unique<Reader>(std::move(*read));
}

absl::StatusOr<std::vector<sim::StructureProblem>> NorthstarTarget::check_structure() {
  std::vector<sim::StructureProblem> problems;
  if (!environment_.corruption_injected) {
    absl::StatusOr<engine::ValidationReport> report =
        engine::Validate(*environment_.fs, environment_.path);
    if (!report.ok() || !report->ok()) {
      problems.push_back(
          {sim::Verdict::kStructure,
           absl::StrFormat("validate after recovery: %s",
                           report.ok() ? engine::FormatProblems(*report)
                                       : std::string(report.status().message()))});
      return problems;
    }
  }
  // An audit that cannot run (a crash point fired inside it) finds nothing.
  absl::StatusOr<std::vector<std::string>> audit = db_->audit();
  if (audit.ok() && !audit->empty()) {
    problems.push_back({sim::Verdict::kPageAccounting, audit->front()});
  }
  return problems;
}

uint64_t NorthstarTarget::durable_commit_id() const { return db_->stats().checkpoint_txn_id; }

}  // namespace northstar::targets
