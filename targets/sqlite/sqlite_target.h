// SqliteTarget: SQLite (the system library) as the runner's system under test, through its own
// seams: a sqlite3_vfs over the simulated disk (sqlite_vfs.h) and mutex methods that run as
// fibers (sqlite_runtime_seam.h). spec/targets_sqlite.md has the rules (SQ-*).
//
// Data lives in kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID; every write transaction also
// writes its commit id (sim/target.h) into the one-row table ns_commit, so a snapshot's commit id
// is read from the snapshot itself and recovery tells which prefix of the history survived.
//
// A failed commit poisons the target, as it does our engine: its outcome is unknown (the disk
// may have taken it or not) until recovery, so its commit id must not be given to the next
// writer; every later begin_write returns that failure. Readers go on.
//
// Connections: a pool of up to options.connections handles, opened lazily; a writer or reader
// holds one for its lifetime, and a fiber that finds none free waits by yielding. Writers run
// BEGIN IMMEDIATE (SQLite lets one writer in; the others wait in the busy handler); readers run
// BEGIN and read the commit id, which starts their snapshot.
//
// Lifetime: one target per epoch (TG-5). open() installs the runtime seam, registers the VFS as
// SQLite's default and makes the runtime's scheduler the thread's active one until the target is
// destroyed; the scheduler, the runtime and the file system outlive the target, and every
// reader and writer ends before it. Not thread-safe: one OS thread (fibers).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/target.h"
#include "targets/sqlite/sqlite_connection.h"
#include "targets/sqlite/sqlite_options.h"
#include "targets/sqlite/sqlite_runtime_seam.h"
#include "targets/sqlite/sqlite_vfs.h"

namespace northstar::targets {

class SqliteTarget final : public sim::Target {
 public:
  explicit SqliteTarget(const SqliteOptions& options);
  ~SqliteTarget() override;

  [[nodiscard]] const sim::Promise& promise() const override { return promise_; }
  [[nodiscard]] absl::Status open(const sim::TargetEnvironment& environment) override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sim::TargetWriter>> begin_write() override;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sim::TargetReader>> begin_read() override;
  // Unimplemented: SQLite keeps no past snapshots (capabilities.as_of = false).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<sim::TargetReader>> begin_read_at(
      uint64_t commit_id) override;
  [[nodiscard]] absl::StatusOr<std::vector<sim::StructureProblem>> check_structure() override;
  [[nodiscard]] absl::StatusOr<uint64_t> last_commit_id() override;
  // SQLite cannot tell which commits a checkpoint made durable.
  [[nodiscard]] uint64_t durable_commit_id() const override { return 0; }
  void abandon() override;

  [[nodiscard]] const SqliteOptions& options() const { return options_; }

  // Commits of this epoch's writers (they hold a reference).
  struct Commits {
    uint32_t in_flight = 0;  // Writers inside commit().
    absl::Status poisoned;   // The first failed commit.
  };

  // A connection of the pool, held by one writer or reader; returned when the lease ends.
  class Lease {
   public:
    Lease(SqliteTarget* target, size_t slot) : target_(target), slot_(slot) {}
    Lease(Lease&& other) noexcept : target_(other.target_), slot_(other.slot_) {
      other.target_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    [[nodiscard]] SqliteConnection& connection() const;

   private:
    SqliteTarget* target_;
    size_t slot_;
  };

 private:
  struct Slot {
    std::unique_ptr<SqliteConnection> connection;  // nullptr: not opened (yet, or any more).
    bool in_use = false;
  };

  // Waits (yielding) for a free connection, opening one while the pool is below its size.
  [[nodiscard]] absl::StatusOr<Lease> acquire();
  void release(size_t slot);
  // begin_write's error once a commit failed.
  [[nodiscard]] absl::Status poisoned() const;
  // Yields until no writer is inside commit().
  [[nodiscard]] absl::Status wait_for_commits_in_flight();

  const SqliteOptions options_;
  const sim::Promise promise_;
  sim::TargetEnvironment environment_;
  // Declared in the order they are set up; the destructor tears down in reverse.
  std::unique_ptr<ScopedSqliteScheduler> scheduler_scope_;
  std::unique_ptr<SqliteSimVfs> vfs_;
  std::vector<Slot> slots_;
  Commits commits_;
};

// The registry's factory (sim/target_registry.h): InvalidArgument for bad [target.sqlite].
[[nodiscard]] absl::StatusOr<std::unique_ptr<sim::Target>> MakeSqliteTarget(
    const sim::Scenario& scenario, sim::PlantedBug planted_bug);

}  // namespace northstar::targets
