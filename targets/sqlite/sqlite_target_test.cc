// SqliteTarget on the simulated disk, every call inside fibers of a seeded scheduler
// (spec/targets_sqlite.md; each test names the rules it checks).
#include "targets/sqlite/sqlite_target.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "util/random.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::targets {
namespace {

using ::testing::HasSubstr;
using KeyValues = std::map<std::string, std::string>;

constexpr char kPath[] = "/db/sim.sqlite";
constexpr sim::ScheduleOptions kSchedule{.switch_probability = 0.3};

SqliteOptions Options(JournalMode mode, Synchronous synchronous, uint32_t connections = 3) {
  return {.journal_mode = mode,
          .synchronous = synchronous,
          .page_size_bytes = 4096,
          .cache_size_pages = 64,
          .connections = connections};
}

// One simulated process: a scheduler, its runtime and a target on `disk`. The target is declared
// last, so it is destroyed first (it needs the scheduler while it closes).
struct Process {
  Process(vfs::SimDisk& disk, const SqliteOptions& options, uint64_t seed)
      : disk(disk), seed(seed), scheduler(kSchedule, seed), runtime(scheduler), target(options) {}

  [[nodiscard]] absl::Status open() {
    return target.open({.fs = &disk,
                        .runtime = &runtime,
                        .path = kPath,
                        .seed = DeriveSeed(seed, "target")});
  }
  // Runs `bodies` as fibers until they end; the scheduler's verdict.
  [[nodiscard]] absl::Status run(std::vector<std::function<void()>> bodies) {
    for (size_t index = 0; index < bodies.size(); index++) {
      scheduler.spawn(absl::StrFormat("fiber-%d", index), std::move(bodies[index]));
    }
    const absl::Status status = scheduler.run();
    if (!status.ok()) target.abandon();  // Fibers are parked inside it (scheduler.h).
    return status;
  }

  vfs::SimDisk& disk;
  const uint64_t seed;
  sim::Scheduler scheduler;
  sim::SimRuntime runtime;
  SqliteTarget target;
};

// Reads the whole state and its commit id through one reader.
absl::Status ReadAll(sim::Target& target, KeyValues& state, uint64_t& commit_id) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<sim::TargetReader> reader, target.begin_read());
  NS_ASSIGN_OR_RETURN(sim::ScanEntries entries, reader->scan({.limit = 1'000'000}));
  state = KeyValues(entries.begin(), entries.end());
  commit_id = reader->commit_id();
  return absl::OkStatus();
}

// TG-1: put/get/del/scans, commit ids 1, 2, 3, and an abort that leaves no trace.
TEST(SqliteTargetTest, RoundTripAndCommitIds) {
  vfs::SimDisk disk({}, 1);
  Process process(disk, Options(JournalMode::kWal, Synchronous::kFull), 1);
  ASSERT_OK(process.open());
  sim::Target& target = process.target;
  auto body = [&]() -> absl::Status {
    NS_ASSIGN_OR_RETURN(auto first, target.begin_write());
    EXPECT_EQ(first->commit_id(), 1u);
    for (const char* key : {"apple", "apricot", "banana", "cherry", ""}) {
      NS_RETURN_IF_ERROR(first->put(key, absl::StrCat("v-", key)));
    }
    NS_ASSIGN_OR_RETURN(std::optional<std::string> own, first->get("banana"));
    EXPECT_EQ(own, "v-banana");  // Read-your-writes.
    NS_RETURN_IF_ERROR(first->commit());
    first.reset();  // Each transaction holds a connection of the pool (3) until it ends.
    NS_ASSIGN_OR_RETURN(auto second, target.begin_write());
    EXPECT_EQ(second->commit_id(), 2u);
    NS_ASSIGN_OR_RETURN(const bool deleted, second->del("banana"));
    NS_ASSIGN_OR_RETURN(const bool absent, second->del("durian"));
    EXPECT_TRUE(deleted);
    EXPECT_FALSE(absent);
    NS_RETURN_IF_ERROR(second->commit());
    second.reset();
    {
      NS_ASSIGN_OR_RETURN(auto aborted, target.begin_write());
      EXPECT_EQ(aborted->commit_id(), 3u);
      NS_RETURN_IF_ERROR(aborted->put("zebra", "z"));
      aborted->abort();
    }
    NS_ASSIGN_OR_RETURN(auto third, target.begin_write());
    EXPECT_EQ(third->commit_id(), 3u);  // The aborted id is used again.
    NS_RETURN_IF_ERROR(third->put("date", "v-date"));
    NS_RETURN_IF_ERROR(third->commit());
    third.reset();

    NS_ASSIGN_OR_RETURN(auto reader, target.begin_read());
    EXPECT_EQ(reader->commit_id(), 3u);
    NS_ASSIGN_OR_RETURN(std::optional<std::string> zebra, reader->get("zebra"));
    EXPECT_EQ(zebra, std::nullopt);
    NS_ASSIGN_OR_RETURN(std::optional<std::string> empty_key, reader->get(""));
    EXPECT_EQ(empty_key, "v-");
    using Entries = sim::ScanEntries;
    NS_ASSIGN_OR_RETURN(Entries forward, reader->scan({.start = "apricot", .limit = 2}));
    EXPECT_EQ(forward, (Entries{{"apricot", "v-apricot"}, {"cherry", "v-cherry"}}));
    NS_ASSIGN_OR_RETURN(Entries reverse, reader->scan({.reverse = true, .limit = 10}));
    EXPECT_EQ(reverse, (Entries{{"date", "v-date"},
                                {"cherry", "v-cherry"},
                                {"apricot", "v-apricot"},
                                {"apple", "v-apple"},
                                {"", "v-"}}));
    NS_ASSIGN_OR_RETURN(Entries before, reader->scan({.start = "b", .reverse = true, .limit = 1}));
    EXPECT_EQ(before, (Entries{{"apricot", "v-apricot"}}));
    NS_ASSIGN_OR_RETURN(Entries prefix, reader->scan({.start = "ap", .prefix = "ap", .limit = 9}));
    EXPECT_EQ(prefix, (Entries{{"apple", "v-apple"}, {"apricot", "v-apricot"}}));
    NS_ASSIGN_OR_RETURN(Entries none, reader->scan({.start = "", .prefix = "ap", .limit = 9}));
    EXPECT_TRUE(none.empty());  // The scan ends at the first key without the prefix.
    return absl::OkStatus();
  };
  absl::Status result;
  ASSERT_OK(process.run({[&] { result = body(); }}));
  ASSERT_OK(result);
  ASSERT_OK_AND_ASSIGN(const uint64_t last, target.last_commit_id());
  EXPECT_EQ(last, 3u);
  ASSERT_OK_AND_ASSIGN(const std::vector<sim::StructureProblem> problems, target.check_structure());
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(target.begin_read_at(1).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(target.durable_commit_id(), 0u);
}

// SQ-2, snapshots: a reader keeps its commit while a writer commits on another connection (WAL).
TEST(SqliteTargetTest, WalReaderKeepsItsSnapshotWhileWriterCommits) {
  for (uint64_t seed = 1; seed <= 20; seed++) {
    vfs::SimDisk disk({}, seed);
    Process process(disk, Options(JournalMode::kWal, Synchronous::kFull, 2), seed);
    ASSERT_OK(process.open());
    bool reader_started = false;
    bool writer_committed = false;
    absl::Status reader_result, writer_result;
    auto reader = [&]() -> absl::Status {
      NS_ASSIGN_OR_RETURN(auto snapshot, process.target.begin_read());
      reader_started = true;
      for (int yields = 0; !writer_committed && yields < 100'000; yields++) {
        process.runtime.yield(engine::YieldSite::kLockAcquire);
      }
      EXPECT_TRUE(writer_committed) << "seed " << seed;
      EXPECT_EQ(snapshot->commit_id(), 0u);
      NS_ASSIGN_OR_RETURN(std::optional<std::string> value, snapshot->get("k"));
      EXPECT_EQ(value, std::nullopt) << "seed " << seed;
      return absl::OkStatus();
    };
    auto writer = [&]() -> absl::Status {
      for (int yields = 0; !reader_started && yields < 100'000; yields++) {
        process.runtime.yield(engine::YieldSite::kLockAcquire);
      }
      NS_ASSIGN_OR_RETURN(auto txn, process.target.begin_write());
      NS_RETURN_IF_ERROR(txn->put("k", "v"));
      NS_RETURN_IF_ERROR(txn->commit());
      writer_committed = true;
      return absl::OkStatus();
    };
    ASSERT_OK(process.run({[&] { reader_result = reader(); }, [&] { writer_result = writer(); }}));
    ASSERT_OK(reader_result);
    ASSERT_OK(writer_result);
    ASSERT_OK_AND_ASSIGN(const uint64_t last, process.target.last_commit_id());
    EXPECT_EQ(last, 1u);
  }
}

// SQ-12: in rollback-journal mode a committing writer waits (busy handler, yielding) for the
// readers that hold SHARED, and the run ends without deadlock.
TEST(SqliteTargetTest, RollbackJournalWriterWaitsForReadersWithoutDeadlock) {
  for (uint64_t seed = 1; seed <= 20; seed++) {
    vfs::SimDisk disk({}, seed);
    Process process(disk, Options(JournalMode::kDelete, Synchronous::kFull, 3), seed);
    ASSERT_OK(process.open());
    int readers_in = 0;
    bool writer_wrote = false;
    bool writer_committed = false;
    std::vector<absl::Status> results(3);
    auto reader = [&]() -> absl::Status {
      NS_ASSIGN_OR_RETURN(auto snapshot, process.target.begin_read());
      readers_in++;
      for (int yields = 0; !writer_wrote && yields < 100'000; yields++) {
        process.runtime.yield(engine::YieldSite::kLockAcquire);
      }
      for (int yields = 0; yields < 50; yields++) {
        process.runtime.yield(engine::YieldSite::kLockAcquire);
      }
      EXPECT_FALSE(writer_committed) << "seed " << seed << ": committed over a reader";
      NS_ASSIGN_OR_RETURN(std::optional<std::string> value, snapshot->get("k"));
      EXPECT_EQ(value, std::nullopt);
      return absl::OkStatus();
    };
    auto writer = [&]() -> absl::Status {
      for (int yields = 0; readers_in < 2 && yields < 100'000; yields++) {
        process.runtime.yield(engine::YieldSite::kLockAcquire);
      }
      NS_ASSIGN_OR_RETURN(auto txn, process.target.begin_write());
      NS_RETURN_IF_ERROR(txn->put("k", "v"));
      writer_wrote = true;
      NS_RETURN_IF_ERROR(txn->commit());
      writer_committed = true;
      return absl::OkStatus();
    };
    ASSERT_OK(process.run({[&] { results[0] = reader(); }, [&] { results[1] = reader(); },
                           [&] { results[2] = writer(); }}));
    for (const absl::Status& result : results) ASSERT_OK(result);
    EXPECT_TRUE(writer_committed);
  }
}

// --- Crash recovery -------------------------------------------------------------------------

constexpr int kTransactions = 12;
constexpr int kKeySpace = 24;

// What one crash run saw: the model's states by commit id, what was acknowledged, what recovery
// found.
struct CrashRun {
  std::vector<KeyValues> states{KeyValues{}};  // states[id]: the state commit `id` made.
  uint64_t acknowledged = 0;
  uint64_t attempted = 0;
  absl::Status open_status;
  std::vector<sim::StructureProblem> problems;
  absl::Status read_status;
  uint64_t recovered_id = 0;
  KeyValues recovered;
  uint64_t image_hash = 0;
  uint64_t trace_hash = 0;
  uint64_t workload_ios = 0;  // I/Os of epoch 1 after open.
};

// One writer commits kTransactions random transactions while a reader checks snapshots against
// the model; the disk halts at a random I/O.
void RunWorkload(Process& process, CrashRun& run, Rng& rng) {
  auto writer = [&] {
    for (int index = 0; index < kTransactions; index++) {
      absl::StatusOr<std::unique_ptr<sim::TargetWriter>> txn = process.target.begin_write();
      if (!txn.ok()) return;
      KeyValues next = run.states.back();
      bool changed = false;  // A transaction that changes nothing takes no commit id (TG-1).
      const uint64_t ops = 1 + rng.Uniform(6);
      for (uint64_t op = 0; op < ops; op++) {
        const std::string key = absl::StrFormat("key-%02d", rng.Uniform(kKeySpace));
        if (rng.OneIn(4)) {
          absl::StatusOr<bool> deleted = (*txn)->del(key);
          if (!deleted.ok()) return;
          EXPECT_EQ(*deleted, next.erase(key) == 1);
          changed = changed || *deleted;
        } else {
          std::string value = absl::StrFormat("%s@%d-", key, index);
          value.resize(20 + rng.Uniform(400), static_cast<char>('a' + index % 26));
          if (!(*txn)->put(key, value).ok()) return;
          next[key] = value;
          changed = true;
        }
      }
      EXPECT_EQ((*txn)->commit_id(), run.states.size());
      if (changed) {
        run.states.push_back(std::move(next));
        run.attempted = run.states.size() - 1;
      }
      if (!(*txn)->commit().ok()) return;
      run.acknowledged = run.attempted;
    }
  };
  auto reader = [&] {
    for (int index = 0; index < kTransactions; index++) {
      absl::StatusOr<std::unique_ptr<sim::TargetReader>> snapshot = process.target.begin_read();
      if (!snapshot.ok()) return;
      absl::StatusOr<sim::ScanEntries> entries = (*snapshot)->scan({.limit = 1'000});
      if (!entries.ok()) return;
      const uint64_t id = (*snapshot)->commit_id();
      ASSERT_LT(id, run.states.size());
      EXPECT_EQ(KeyValues(entries->begin(), entries->end()), run.states[id]) << "snapshot " << id;
    }
  };
  ASSERT_OK(process.run({writer, reader}));
}

// Epoch 1 runs the workload until the crash point (if it comes: a uniformly drawn I/O among the
// next `crash_io_span`; 0 = no crash point), the disk crashes, epoch 2 recovers as a new process
// and reads what survived.
CrashRun RunCrash(const SqliteOptions& options, bool torn_writes, uint64_t seed,
                  uint64_t crash_io_span) {
  CrashRun run;
  vfs::SimDisk disk({.sector_size_bytes = 4096, .torn_writes = torn_writes}, seed);
  Rng rng(DeriveSeed(seed, "workload"));
  {
    Process process(disk, options, DeriveSeed(seed, "epoch-0"));
    EXPECT_OK(process.open());
    const uint64_t ios_before = disk.io_count();
    if (crash_io_span > 0) {
      disk.set_faults({.crash_after_io_count = ios_before + 1 + rng.Uniform(crash_io_span)});
    }
    RunWorkload(process, run, rng);
    run.trace_hash = process.scheduler.trace().hash();
    run.workload_ios = disk.io_count() - ios_before;
  }
  disk.crash();
  disk.set_faults({});
  Process process(disk, options, DeriveSeed(seed, "epoch-1"));
  run.open_status = process.open();
  if (!run.open_status.ok()) return run;
  absl::StatusOr<std::vector<sim::StructureProblem>> problems = process.target.check_structure();
  if (problems.ok()) run.problems = *problems;
  if (!problems.ok()) run.problems.push_back({sim::Verdict::kStructure, problems.status().ToString()});
  run.read_status = ReadAll(process.target, run.recovered, run.recovered_id);
  run.image_hash = disk.durable_image_hash();
  return run;
}

// The promise "none lost" (TG-2): empty when the recovered state keeps it.
std::string NoneLostViolation(const CrashRun& run) {
  if (!run.open_status.ok()) return absl::StrCat("open: ", run.open_status.ToString());
  if (!run.problems.empty()) return absl::StrCat("integrity_check: ", run.problems[0].message);
  if (!run.read_status.ok()) return absl::StrCat("read: ", run.read_status.ToString());
  if (run.recovered_id < run.acknowledged || run.recovered_id > run.attempted) {
    return absl::StrFormat("recovered commit %d, acknowledged %d, attempted %d", run.recovered_id,
                           run.acknowledged, run.attempted);
  }
  if (run.recovered != run.states[run.recovered_id]) {
    return absl::StrFormat("the state differs from commit %d's", run.recovered_id);
  }
  return "";
}

constexpr uint64_t kCrashSeeds = 200;

// The I/Os of the workload run without a crash (seed 0): crash points are drawn among them.
uint64_t WorkloadIos(const SqliteOptions& options) {
  const CrashRun run = RunCrash(options, /*torn_writes=*/true, /*seed=*/0, /*crash_io_span=*/0);
  EXPECT_GT(run.acknowledged, 0u);
  return run.workload_ios;
}

// At most this many commits per run (a transaction that changes nothing takes none): a run that
// attempted fewer, or acknowledged less than it attempted, was stopped by its crash point.
uint64_t WorkloadCommits(const SqliteOptions&) { return kTransactions; }

void ExpectNoAcknowledgedCommitLost(const SqliteOptions& options, const char* name) {
  const uint64_t span = WorkloadIos(options);
  const auto start = std::chrono::steady_clock::now();  // Test timing only, outside the sim.
  uint64_t crashed = 0;
  uint64_t acknowledged_total = 0;
  uint64_t in_flight_survived = 0;
  for (uint64_t seed = 1; seed <= kCrashSeeds; seed++) {
    const CrashRun run = RunCrash(options, /*torn_writes=*/true, seed, span);
    if (run.attempted < WorkloadCommits(options) || run.acknowledged < run.attempted) crashed++;
    acknowledged_total += run.acknowledged;
    if (run.recovered_id > run.acknowledged) in_flight_survived++;
    const std::string violation = NoneLostViolation(run);
    ASSERT_EQ(violation, "") << name << " seed " << seed;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ crash    ] %s: %d seeds in %.2f s = %.1f seeds/s; crash among %d workload I/Os, "
      "%d crashed before the last ack, %.1f commits acknowledged on average, in-flight commit "
      "survived in %d\n",
      name, static_cast<int>(kCrashSeeds), seconds, kCrashSeeds / seconds,
      static_cast<int>(span), static_cast<int>(crashed),
      static_cast<double>(acknowledged_total) / kCrashSeeds, static_cast<int>(in_flight_survived));
  EXPECT_GT(crashed, kCrashSeeds / 2) << "the crash points should mostly land in the workload";
}

// SQ-1: journal_mode=delete, synchronous=extra loses no acknowledged commit, torn sectors and all.
TEST(SqliteTargetCrashTest, DeleteExtraLosesNoAcknowledgedCommit) {
  ExpectNoAcknowledgedCommitLost(Options(JournalMode::kDelete, Synchronous::kExtra),
                                 "delete+extra");
}

// SQ-2: journal_mode=wal, synchronous=full loses no acknowledged commit.
TEST(SqliteTargetCrashTest, WalFullLosesNoAcknowledgedCommit) {
  ExpectNoAcknowledgedCommitLost(Options(JournalMode::kWal, Synchronous::kFull), "wal+full");
}

// SQ-6, the canary: synchronous=off on a tearing disk does lose acknowledged commits or damage
// the database on some seeds, so the check above can fail.
TEST(SqliteTargetCrashTest, SynchronousOffLosesCommitsOnSomeSeeds) {
  const SqliteOptions options = Options(JournalMode::kDelete, Synchronous::kOff);
  EXPECT_EQ(SqlitePromise(options).crash_loss, sim::CrashLoss::kAny);
  constexpr uint64_t kSeeds = 50;
  const uint64_t span = WorkloadIos(options);
  uint64_t violations = 0;
  std::string example;
  for (uint64_t seed = 1; seed <= kSeeds; seed++) {
    const std::string violation = NoneLostViolation(RunCrash(options, true, seed, span));
    if (violation.empty()) continue;
    if (violations++ == 0) example = absl::StrFormat("seed %d: %s", seed, violation);
  }
  std::printf("[ canary   ] synchronous=off: %d of %d seeds lose or damage (first: %s)\n",
              static_cast<int>(violations), static_cast<int>(kSeeds), example.c_str());
  EXPECT_GE(violations, 1u);
}

// Determinism: one seed run twice gives the same disk image, trace and recovered state.
TEST(SqliteTargetCrashTest, SameSeedSameImageAndResult) {
  for (const JournalMode mode : {JournalMode::kWal, JournalMode::kDelete}) {
    for (const uint64_t seed : {3u, 17u}) {
      const SqliteOptions options = Options(mode, Synchronous::kFull);
      const CrashRun first = RunCrash(options, true, seed, 100);
      const CrashRun second = RunCrash(options, true, seed, 100);
      EXPECT_NE(first.image_hash, 0u);
      EXPECT_EQ(first.image_hash, second.image_hash) << JournalModeName(mode) << " seed " << seed;
      EXPECT_EQ(first.trace_hash, second.trace_hash) << JournalModeName(mode) << " seed " << seed;
      EXPECT_EQ(first.recovered_id, second.recovered_id);
      EXPECT_EQ(first.recovered, second.recovered);
      EXPECT_EQ(first.acknowledged, second.acknowledged);
    }
  }
}

// --- Options and promises -------------------------------------------------------------------

TEST(SqliteOptionsTest, ErrorsNameTheField) {
  sim::SqliteTargetConfig config;
  config.journal_mode = "walx";
  EXPECT_THAT(ParseSqliteOptions(config).status().message(),
              HasSubstr("target.sqlite.journal_mode: \"walx\" is not one of delete, truncate, "
                        "persist, wal, memory, off"));
  config = {};
  config.synchronous = "fullest";
  EXPECT_THAT(ParseSqliteOptions(config).status().message(),
              HasSubstr("target.sqlite.synchronous: \"fullest\" is not one of off, normal, full, "
                        "extra"));
  config = {};
  config.page_size_bytes = 1000;
  EXPECT_THAT(ParseSqliteOptions(config).status().message(),
              HasSubstr("target.sqlite.page_size_bytes: 1000 is not a power of two"));
  config = {};
  config.cache_size_pages = 0;
  EXPECT_THAT(ParseSqliteOptions(config).status().message(),
              HasSubstr("target.sqlite.cache_size_pages: 0 is not in [1, 100000]"));
  config = {};
  config.connections = 17;
  EXPECT_THAT(ParseSqliteOptions(config).status().message(),
              HasSubstr("target.sqlite.connections: 17 is not in [1, 16]"));
  config = {};
  ASSERT_OK_AND_ASSIGN(const SqliteOptions options, ParseSqliteOptions(config));
  EXPECT_EQ(options.journal_mode, JournalMode::kWal);
  EXPECT_EQ(options.synchronous, Synchronous::kFull);
}

// SQ-1 .. SQ-6: the promise of each configuration.
TEST(SqliteOptionsTest, PromisePerConfiguration) {
  using enum sim::CrashLoss;
  const auto loss = [](JournalMode mode, Synchronous sync) {
    return SqlitePromise(Options(mode, sync)).crash_loss;
  };
  for (JournalMode mode : {JournalMode::kTruncate, JournalMode::kPersist, JournalMode::kWal}) {
    EXPECT_EQ(loss(mode, Synchronous::kFull), kNone) << JournalModeName(mode);
    EXPECT_EQ(loss(mode, Synchronous::kExtra), kNone) << JournalModeName(mode);
    EXPECT_EQ(loss(mode, Synchronous::kOff), kAny) << JournalModeName(mode);
  }
  EXPECT_EQ(loss(JournalMode::kDelete, Synchronous::kExtra), kNone);
  EXPECT_EQ(loss(JournalMode::kDelete, Synchronous::kFull), kSuffix);
  EXPECT_EQ(loss(JournalMode::kWal, Synchronous::kNormal), kSuffix);
  EXPECT_EQ(loss(JournalMode::kDelete, Synchronous::kNormal), kAny);
  EXPECT_EQ(loss(JournalMode::kMemory, Synchronous::kExtra), kAny);
  EXPECT_EQ(loss(JournalMode::kOff, Synchronous::kFull), kAny);
  const sim::Promise promise = SqlitePromise(Options(JournalMode::kWal, Synchronous::kFull));
  EXPECT_THAT(promise.source, HasSubstr("https://www.sqlite.org/wal.html"));
  EXPECT_FALSE(promise.capabilities.as_of);
  EXPECT_TRUE(promise.capabilities.reverse_scans);
}

// SQ-11: device characteristics tell the truth about tearing.
TEST(SqliteVfsTest, DeviceCharacteristicsFollowTearing) {
  EXPECT_EQ(DeviceCharacteristics({.sector_size_bytes = 4096, .torn_writes = true}), 0);
  EXPECT_EQ(DeviceCharacteristics({.sector_size_bytes = 512, .torn_writes = false}),
            SQLITE_IOCAP_POWERSAFE_OVERWRITE);
  vfs::SimDisk disk({.sector_size_bytes = 512, .torn_writes = false}, 1);
  const SqliteDevice device = DeviceOf(disk);
  EXPECT_EQ(device.sector_size_bytes, 512u);
  EXPECT_FALSE(device.torn_writes);
}

}  // namespace
}  // namespace northstar::targets
