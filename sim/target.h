// Target: the system under test, as the runner sees it.
//
// The runner knows no engine. A Target opens (creating, or recovering after a crash) a database
// on a vfs::FileSystem with the simulated runtime, and exposes write transactions, read
// transactions on snapshots, and an optional structure check run after every recovery. It
// declares a Promise for its configuration: what it can do (capabilities) and what a crash may
// do to acknowledged commits. The checkers judge against the promise, so a weak configuration is
// still held to what it promises, and a strong one that breaks it is a finding.
//
// Commit ids. The model identifies every state by the id of the commit that made it. A Target
// numbers its write transactions 1, 2, ... in commit order (an aborted transaction's id is used
// again by the next one) and reports, for any snapshot, the id of the last commit it shows: our
// engine has txn ids; a foreign target stores the id inside each transaction (SQLite: a row of
// its own table), so that after a crash the recovered id says which prefix of the history
// survived.
//
// Errors: any method may fail with the engine's error; a DataLoss status is a corruption the
// runner judges (a failure unless corruption was injected), any other error stops the fiber.
// Thread safety: one OS thread (fibers); a Target and its transactions are used by the fibers of
// one epoch, one transaction by one fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/scenario.h"
#include "sim/sim_runtime.h"
#include "vfs/file_system.h"

namespace northstar::engine {
class Db;
}  // namespace northstar::engine

namespace northstar::sim {

// What a crash may do to acknowledged commits (spec/targets.md TG-2).
enum class CrashLoss {
  // Every acknowledged commit survives: the recovered state is that of a commit between the last
  // acknowledged and the last attempted.
  kNone,
  // A suffix of the acknowledged commits may be lost, never a commit in the middle (a hole) and
  // never part of one (a torn transaction): the recovered state is that of some commit at or
  // after the last one known durable (durable_commit_id()).
  kSuffix,
  // Anything: the recovered database may be damaged or hold any state. Only what the target
  // still does (open without crashing, answer reads consistently afterwards) is checked.
  kAny,
};

[[nodiscard]] const char* CrashLossName(CrashLoss loss);

struct Capabilities {
  bool snapshots = true;       // Read transactions see one commit while writers go on.
  bool as_of = false;          // begin_read_at(a past commit id).
  bool scans = true;           // Range and prefix scans in key order.
  bool reverse_scans = true;   // Scans in descending key order.
  bool structure_check = true; // check_structure() inspects something.
};

struct Promise {
  Capabilities capabilities;
  CrashLoss crash_loss = CrashLoss::kNone;
  // Where the promise comes from (a document and its section), for the report.
  std::string source;
};

struct ScanRequest {
  std::string start;     // Forward: keys >= start; reverse: keys < start ("" = from the end).
  bool reverse = false;
  std::string prefix;    // Only keys that start with it; the scan ends at the first other key.
  size_t limit = 0;      // At most this many entries.
};

using ScanEntries = std::vector<std::pair<std::string, std::string>>;

struct StructureProblem {
  Verdict verdict = Verdict::kStructure;
  std::string message;  // "validate after recovery: page 7: ..."
};

class TargetReader {
 public:
  virtual ~TargetReader() = default;
  // The commit this snapshot shows (0: the empty database).
  [[nodiscard]] virtual uint64_t commit_id() const = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> get(const std::string& key) = 0;
  // Requires capabilities.scans (and reverse_scans for a reverse request).
  [[nodiscard]] virtual absl::StatusOr<ScanEntries> scan(const ScanRequest& request) = 0;
};

class TargetWriter {
 public:
  virtual ~TargetWriter() = default;  // Aborts if neither committed nor aborted.
  // The id this transaction commits as.
  [[nodiscard]] virtual uint64_t commit_id() const = 0;
  // Sees this transaction's own writes.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> get(const std::string& key) = 0;
  [[nodiscard]] virtual absl::Status put(const std::string& key, const std::string& value) = 0;
  // Whether the key existed (in this transaction's view).
  [[nodiscard]] virtual absl::StatusOr<bool> del(const std::string& key) = 0;
  // OK: acknowledged (durable as the promise says). Either way the transaction is finished.
  [[nodiscard]] virtual absl::Status commit() = 0;
  virtual void abort() = 0;
};

// What a target is opened with, for one epoch (a process lifetime between crashes).
struct TargetEnvironment {
  vfs::FileSystem* fs = nullptr;
  SimRuntime* runtime = nullptr;
  // Where the database lives on `fs` ("/db/sim.ns"); a target may add files beside it.
  std::string path;
  // A seed for the target's own randomness (derived from the scenario seed, per epoch).
  uint64_t seed = 0;
  // Bit rot or misdirected writes are injected: damage the target finds is expected, and its
  // structure check may skip what such damage would fail.
  bool corruption_injected = false;
};

class Target {
 public:
  virtual ~Target() = default;
  [[nodiscard]] virtual const Promise& promise() const = 0;
  // Creates the database, or recovers it after a crash.
  [[nodiscard]] virtual absl::Status open(const TargetEnvironment& environment) = 0;
  // Waits (yielding to the scheduler) while another writer is active.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<TargetWriter>> begin_write() = 0;
  // A snapshot of the latest commit.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<TargetReader>> begin_read() = 0;
  // A snapshot of past commit `commit_id`; NotFound when it is no longer retained. Requires
  // capabilities.as_of.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<TargetReader>> begin_read_at(
      uint64_t commit_id) = 0;
  // Problems the target's own structure check finds in the database (empty: none), each with
  // the verdict it earns (kStructure, kPageAccounting). Runs after every recovery, with no
  // transaction open. An error status is a check that could not run (a halted disk).
  [[nodiscard]] virtual absl::StatusOr<std::vector<StructureProblem>> check_structure() = 0;
  // The latest commit (what begin_read() would show), with no transaction open: after recovery,
  // the commit the recovered state belongs to.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> last_commit_id() = 0;
  // Every commit up to this id is durable whatever the promise (a checkpoint wrote it); 0 if
  // the target cannot tell.
  [[nodiscard]] virtual uint64_t durable_commit_id() const = 0;
  // The run stopped with fibers parked inside transactions (a liveness failure): drop the
  // database without running its destructors' waits.
  virtual void abandon() = 0;
  // Our engine, for the application workloads (task queue, time travel, code graph) that still
  // drive engine::Db directly; nullptr for every other target. Scenario validation keeps those
  // workloads on target "northstar" until they move onto this interface.
  [[nodiscard]] virtual engine::Db* engine_db() { return nullptr; }
};

}  // namespace northstar::sim
