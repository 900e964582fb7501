#include "targets/sqlite/sqlite_target.h"

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::targets {
namespace {

// A fiber waits for a free connection at most this many yields (the scheduler's step budget
// ends a run long before; this guards against a broken one).
constexpr uint64_t kConnectionWaitYieldsMax = uint64_t{1} << 40;

// Ends a transaction that failed half-way, so that the connection goes back to the pool clean.
void RollbackIfOpen(SqliteConnection& connection) {
  if (connection.in_transaction()) (void)connection.rollback();  // Reported by the caller.
}

class Reader final : public sim::TargetReader {
 public:
  Reader(SqliteTarget::Lease lease, uint64_t commit_id)
      : lease_(std::move(lease)), commit_id_(commit_id) {}
  // A read transaction has nothing to lose: COMMIT, or ROLLBACK if that failed.
  ~Reader() override {
    SqliteConnection& connection = lease_.connection();
    if (connection.in_transaction()) (void)connection.commit();  // Nothing to report to.
    RollbackIfOpen(connection);
  }
  [[nodiscard]] uint64_t commit_id() const override { return commit_id_; }
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(const std::string& key) override {
    return lease_.connection().get(key);
  }
  [[nodiscard]] absl::StatusOr<sim::ScanEntries> scan(const sim::ScanRequest& request) override {
    return lease_.connection().scan(request);
  }

 private:
  SqliteTarget::Lease lease_;
  const uint64_t commit_id_;
};

class Writer final : public sim::TargetWriter {
 public:
  // `commits` is the target's: in flight while COMMIT runs, poisoned when it fails.
  Writer(SqliteTarget::Lease lease, uint64_t commit_id, SqliteTarget::Commits& commits)
      : lease_(std::move(lease)), commit_id_(commit_id), commits_(commits) {}
  ~Writer() override {
    if (!finished_) abort();
  }
  [[nodiscard]] uint64_t commit_id() const override { return commit_id_; }
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(const std::string& key) override {
    return lease_.connection().get(key);
  }
  [[nodiscard]] absl::Status put(const std::string& key, const std::string& value) override {
    NS_ASSERT(!finished_);
    changed_ = true;
    return lease_.connection().put(key, value);
  }
  [[nodiscard]] absl::StatusOr<bool> del(const std::string& key) override {
    NS_ASSERT(!finished_);
    absl::StatusOr<bool> deleted = lease_.connection().del(key);
    if (deleted.ok() && *deleted) changed_ = true;
    return deleted;
  }
  [[nodiscard]] absl::Status commit() override {
    NS_ASSERT(!finished_);
    finished_ = true;
    SqliteConnection& connection = lease_.connection();
    // A transaction that changed nothing takes no commit id (TG-1, as our engine's).
    commits_.in_flight++;
    absl::Status status = changed_ ? connection.write_commit_id(commit_id_) : absl::OkStatus();
    if (status.ok()) status = connection.commit();
    if (!status.ok()) {
      RollbackIfOpen(connection);
      if (commits_.poisoned.ok()) commits_.poisoned = status;
    }
    NS_ASSERT(commits_.in_flight > 0);
    commits_.in_flight--;
    return status;
  }
  void abort() override {
    NS_ASSERT(!finished_);
    finished_ = true;
    RollbackIfOpen(lease_.connection());  // A failed ROLLBACK leaves nothing to report to.
  }

 private:
  SqliteTarget::Lease lease_;
  const uint64_t commit_id_;
  SqliteTarget::Commits& commits_;
  bool finished_ = false;
  bool changed_ = false;  // A put, or a del that removed a row.
};

}  // namespace

SqliteTarget::Lease::~Lease() {
  if (target_ != nullptr) target_->release(slot_);
}

SqliteConnection& SqliteTarget::Lease::connection() const {
  NS_ASSERT(target_ != nullptr);
  return *target_->slots_[slot_].connection;
}

SqliteTarget::SqliteTarget(const SqliteOptions& options)
    : options_(options), promise_(SqlitePromise(options)) {
  NS_ASSERT(options.connections >= 1 && options.connections <= kConnectionsMax);
}

SqliteTarget::~SqliteTarget() {
  for (const Slot& slot : slots_) NS_ASSERT_MSG(!slot.in_use, "a transaction outlives its target");
  slots_.clear();  // Closes the connections (the last WAL connection checkpoints).
  vfs_.reset();
  scheduler_scope_.reset();
}

absl::Status SqliteTarget::open(const sim::TargetEnvironment& environment) {
  NS_ASSERT(environment.fs != nullptr && environment.runtime != nullptr);
  NS_ASSERT_MSG(vfs_ == nullptr, "SqliteTarget::open called twice");
  environment_ = environment;
  NS_RETURN_IF_ERROR(InstallSqliteRuntimeSeam());
  scheduler_scope_ = std::make_unique<ScopedSqliteScheduler>(&environment.runtime->scheduler());
  vfs_ = std::make_unique<SqliteSimVfs>(*environment.fs, *environment.runtime,
                                        DeviceOf(*environment.fs), environment.seed);
  NS_RETURN_IF_ERROR(vfs_->register_default());
  ReseedSqliteRandomness();  // Draws from this VFS's seeded xRandomness from now on.
  slots_.resize(options_.connections);
  NS_ASSIGN_OR_RETURN(slots_[0].connection,
                      SqliteConnection::Open(environment.path, *vfs_, *environment.runtime,
                                             options_, /*create_schema=*/true));
  return absl::OkStatus();
}

absl::StatusOr<SqliteTarget::Lease> SqliteTarget::acquire() {
  NS_ASSERT_MSG(vfs_ != nullptr, "SqliteTarget used before open");
  sim::Scheduler& scheduler = environment_.runtime->scheduler();
  for (uint64_t waits = 0;; waits++) {
    for (size_t index = 0; index < slots_.size(); index++) {
      if (slots_[index].connection != nullptr && !slots_[index].in_use) {
        slots_[index].in_use = true;
        return Lease(this, index);
      }
    }
    for (size_t index = 0; index < slots_.size(); index++) {
      if (slots_[index].connection != nullptr || slots_[index].in_use) continue;
      slots_[index].in_use = true;  // Reserved while it opens (opening yields).
      absl::StatusOr<std::unique_ptr<SqliteConnection>> opened = SqliteConnection::Open(
          environment_.path, *vfs_, *environment_.runtime, options_, /*create_schema=*/false);
      if (!opened.ok()) {
        slots_[index].in_use = false;
        return opened.status();
      }
      slots_[index].connection = std::move(*opened);
      return Lease(this, index);
    }
    if (!scheduler.running()) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "sqlite: all %d connections are in use outside the simulation", slots_.size()));
    }
    NS_ASSERT(waits < kConnectionWaitYieldsMax);
    environment_.runtime->scheduler().yield_waiting(
        static_cast<uint16_t>(engine::YieldSite::kLockAcquire));
  }
}

void SqliteTarget::release(size_t slot) {
  NS_ASSERT(slot < slots_.size() && slots_[slot].in_use);
  slots_[slot].in_use = false;
  // A connection still inside a transaction (its ROLLBACK failed) is not reused.
  if (slots_[slot].connection->in_transaction()) slots_[slot].connection.reset();
}

absl::StatusOr<std::unique_ptr<sim::TargetWriter>> SqliteTarget::begin_write() {
  if (!commits_.poisoned.ok()) return poisoned();
  NS_ASSIGN_OR_RETURN(Lease lease, acquire());
  SqliteConnection& connection = lease.connection();
  absl::Status status = connection.begin_immediate();
  // With the write lock held, wait for a commit that released it but has not returned yet: a
  // failed one releases the lock (yielding) before its writer can poison the target.
  status.Update(wait_for_commits_in_flight());
  if (status.ok() && !commits_.poisoned.ok()) status = poisoned();
  absl::StatusOr<uint64_t> last = status.ok() ? connection.read_commit_id() : status;
  if (!last.ok()) {
    RollbackIfOpen(connection);
    return last.status();
  }
  return std::make_unique<Writer>(std::move(lease), *last + 1, commits_);
}

absl::Status SqliteTarget::wait_for_commits_in_flight() {
  sim::Scheduler& scheduler = environment_.runtime->scheduler();
  for (uint64_t waits = 0; commits_.in_flight > 0; waits++) {
    if (!scheduler.running()) {
      return absl::FailedPreconditionError("sqlite: a commit is in flight outside the simulation");
    }
    NS_ASSERT(waits < kConnectionWaitYieldsMax);
    environment_.runtime->scheduler().yield_waiting(
        static_cast<uint16_t>(engine::YieldSite::kLockAcquire));
  }
  return absl::OkStatus();
}

absl::Status SqliteTarget::poisoned() const {
  return absl::Status(commits_.poisoned.code(),
                      absl::StrFormat("sqlite: an earlier commit failed and its outcome is "
                                      "unknown until recovery: %s",
                                      commits_.poisoned.message()));
}

absl::StatusOr<std::unique_ptr<sim::TargetReader>> SqliteTarget::begin_read() {
  NS_ASSIGN_OR_RETURN(Lease lease, acquire());
  SqliteConnection& connection = lease.connection();
  absl::Status status = connection.begin();
  // The first read starts the snapshot (in WAL mode, the read mark; otherwise the SHARED lock).
  absl::StatusOr<uint64_t> commit_id = status.ok() ? connection.read_commit_id() : status;
  if (!commit_id.ok()) {
    RollbackIfOpen(connection);
    return commit_id.status();
  }
  return std::make_unique<Reader>(std::move(lease), *commit_id);
}

absl::StatusOr<std::unique_ptr<sim::TargetReader>> SqliteTarget::begin_read_at(uint64_t) {
  return absl::UnimplementedError("sqlite: no reads AS OF a past commit (capabilities.as_of)");
}

absl::StatusOr<std::vector<sim::StructureProblem>> SqliteTarget::check_structure() {
  std::vector<sim::StructureProblem> problems;
  // Injected bit rot or misdirected writes make damage expected (TG-4), as for our engine.
  if (environment_.corruption_injected) return problems;
  NS_ASSIGN_OR_RETURN(Lease lease, acquire());
  NS_ASSIGN_OR_RETURN(std::vector<std::string> rows, lease.connection().integrity_problems());
  for (std::string& row : rows) {
    problems.push_back({sim::Verdict::kStructure,
                        absl::StrFormat("PRAGMA integrity_check after recovery: %s", row)});
  }
  return problems;
}

absl::StatusOr<uint64_t> SqliteTarget::last_commit_id() {
  NS_ASSIGN_OR_RETURN(Lease lease, acquire());
  return lease.connection().read_commit_id();
}

void SqliteTarget::abandon() {
  for (Slot& slot : slots_) {
    if (slot.connection != nullptr) slot.connection->leak();
    (void)slot.connection.release();
    slot.in_use = false;
  }
  (void)vfs_.release();  // Leaked connections still point at it.
  scheduler_scope_.reset();
}

absl::StatusOr<std::unique_ptr<sim::Target>> MakeSqliteTarget(const sim::Scenario& scenario,
                                                              sim::PlantedBug) {
  NS_ASSIGN_OR_RETURN(const SqliteOptions options, ParseSqliteOptions(scenario.target.sqlite));
  return std::make_unique<SqliteTarget>(options);
}

}  // namespace northstar::targets
