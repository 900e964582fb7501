// The canonical form of scenario files (spec/scenario_format.md, SF-80..SF-86): its exact text,
// its round trip on random scenarios, and the scenario library in scenarios/.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/scenario_io.h"
#include "util/random.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kDefaultCanonical[] = R"(name = "example"
description = "Defaults."
seed = "0x1"
expect = "pass"

[engine]
page_size_bytes = 4096
cache_bytes = 1048576
durability = "log"
checkpoint_log_bytes = 65536
log_preallocate_bytes = 262144
retained_snapshots = 4
recycle_log = true

[workload]
kind = "kv"
writers = 1
readers = 2
transactions = 200
ops_per_transaction_min = 1
ops_per_transaction_max = 20
key_space = 1000
key_distribution = "uniform"
zipf_theta = 0.99
value_size_min_bytes = 0
value_size_max_bytes = 200
big_value_probability = 0.01
big_value_size_bytes = 20000
abort_probability = 0.05
reads_per_reader = 200

[workload.mix]
put = 50
del = 15
get = 20
range_scan = 5
prefix_scan = 3
reverse_scan = 3
as_of_read = 2

[workload.code_graph]
modules = 4
files_per_module = 4
functions_per_file = 8
calls_per_function = 4
imports_per_file = 2

[faults]
crash_points = "random"
crashes = 2
crash_at_io = []
crash_last_write_variant = -1
sector_size_bytes = 512
torn_writes = true
lose_unsynced_dir_ops = false
atomic_truncate = false
read_error_probability = 0.0
write_error_probability = 0.0
sync_error_probability = 0.0
failed_sync_drops_dirty_data = true
capacity_bytes = 0
bit_rot_probability = 0.0
misdirected_write_probability = 0.0
read_latency_us_max = 0

[scheduler]
strategy = "random_walk"
switch_probability = 0.25
pct_depth = 3
pct_steps_estimate = 10000
steps_max = 10000000
step_duration_ns = 100
)";

// SF-80: every key, in a fixed order, defaults included.
TEST(FormatScenarioTest, DefaultsInCanonicalForm) {
  Scenario scenario;
  scenario.name = "example";
  scenario.description = "Defaults.";
  EXPECT_EQ(FormatScenario(scenario), kDefaultCanonical);
  ASSERT_OK_AND_ASSIGN(const Scenario parsed, ParseScenario(kDefaultCanonical, "example.toml"));
  EXPECT_EQ(FormatScenario(parsed), kDefaultCanonical);
}

// SF-87: [target] is written only when the scenario names a target other than our engine or a
// promise other than the declared one; [target.sqlite] only for target "sqlite". A file without
// [target] means our engine (every scenario written before targets existed).
TEST(FormatScenarioTest, TargetSectionsOnlyWhenTheyMatter) {
  Scenario scenario;
  scenario.name = "example";
  EXPECT_THAT(FormatScenario(scenario), ::testing::Not(HasSubstr("[target")));
  scenario.target.promise = kPromiseNoneLost;
  EXPECT_THAT(FormatScenario(scenario), HasSubstr("\n[target]\nkind = \"northstar\"\n"
                                                  "promise = \"none-lost\"\n\n[engine]\n"));
  scenario.target.kind = kTargetSqlite;
  scenario.workload.mix.as_of_read = 0;
  scenario.target.sqlite.journal_mode = "delete";
  scenario.target.sqlite.connections = 5;
  const std::string text = FormatScenario(scenario);
  EXPECT_THAT(text, HasSubstr("\n[target.sqlite]\njournal_mode = \"delete\"\n"
                              "synchronous = \"full\"\npage_size_bytes = 4096\n"
                              "cache_size_pages = 64\nconnections = 5\n"));
  ASSERT_OK_AND_ASSIGN(const Scenario parsed, ParseScenario(text, "sqlite.toml"));
  EXPECT_EQ(parsed.target.kind, kTargetSqlite);
  EXPECT_EQ(parsed.target.sqlite.journal_mode, "delete");
  EXPECT_EQ(parsed.target.sqlite.connections, 5u);
  EXPECT_EQ(FormatScenario(parsed), text);
}

TEST(FormatScenarioTest, BadTargetsAreNamedWhereTheyAre) {
  const std::string base = "name = \"x\"\n[workload.mix]\nas_of_read = 0\n";
  const auto error = [&](const std::string& extra) {
    const absl::StatusOr<Scenario> parsed = ParseScenario(base + extra, "t.toml");
    EXPECT_FALSE(parsed.ok());
    return std::string(parsed.status().message());
  };
  EXPECT_THAT(error("[target]\nkind = \"oracle\"\n"),
              HasSubstr("target.kind: \"oracle\" is not one of northstar, sqlite"));
  EXPECT_THAT(error("[target]\nkind = \"sqlite\"\n[target.sqlite]\njournal_mode = \"walx\"\n"),
              HasSubstr("target.sqlite.journal_mode: \"walx\" is not one of delete, truncate, "
                        "persist, wal, memory, off"));
  EXPECT_THAT(error("[target]\nkind = \"sqlite\"\n[target.sqlite]\npage_size_bytes = 1000\n"),
              HasSubstr("target.sqlite.page_size_bytes: 1000 is not a power of two"));
  EXPECT_THAT(error("[target]\nkind = \"sqlite\"\n[target.sqlite]\nconnections = 17\n"),
              HasSubstr("target.sqlite.connections"));
  EXPECT_THAT(error("[target]\npromise = \"most\"\n"), HasSubstr("target.promise: \"most\""));
  EXPECT_THAT(error("[target]\nkind = \"sqlite\"\n[workload]\nkind = \"task-queue\"\n"),
              HasSubstr("workload.kind: \"task-queue\" runs on target \"northstar\" only"));
  const absl::StatusOr<Scenario> as_of =
      ParseScenario("name = \"x\"\n[target]\nkind = \"sqlite\"\n", "t.toml");
  ASSERT_FALSE(as_of.ok());
  EXPECT_THAT(as_of.status().message(), HasSubstr("workload.mix.as_of_read: target \"sqlite\""));
}

// SF-82: floats in their shortest exact form, always with a '.' or an exponent.
TEST(FormatScenarioTest, FloatsAndSeeds) {
  Scenario scenario;
  scenario.name = "x";
  scenario.seed = 0xDEADBEEF0;
  scenario.workload.zipf_theta = 2;
  scenario.faults.disk.bit_rot_probability = 1e-7;
  scenario.faults.disk.read_error_probability = 0.1 + 0.2;
  const std::string text = FormatScenario(scenario);
  EXPECT_THAT(text, HasSubstr("\nseed = \"0xdeadbeef0\"\n"));
  EXPECT_THAT(text, HasSubstr("\nzipf_theta = 2.0\n"));
  EXPECT_THAT(text, HasSubstr("\nbit_rot_probability = 1e-07\n"));
  EXPECT_THAT(text, HasSubstr("\nread_error_probability = 0.30000000000000004\n"));
  ASSERT_OK_AND_ASSIGN(const Scenario parsed, ParseScenario(text, "x.toml"));
  EXPECT_EQ(parsed.faults.disk.read_error_probability, 0.1 + 0.2);
  EXPECT_EQ(parsed.faults.disk.bit_rot_probability, 1e-7);
  EXPECT_EQ(parsed.seed, 0xDEADBEEF0u);
}

// SF-83: a long description is wrapped at spaces with line-ending backslashes; its text is kept.
TEST(FormatScenarioTest, LongDescriptionsWrapAndReadBackUnchanged) {
  Scenario scenario;
  scenario.name = "x";
  for (int word = 0; word < 60; word++) scenario.description += absl::StrFormat("word%d ", word);
  scenario.description += "two  spaces \"quoted\" back\\slash\ttab\nnewline caf\xc3\xa9 end ";
  const std::string text = FormatScenario(scenario);
  EXPECT_THAT(text, HasSubstr("description = \"\"\"\nword0 word1 "));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;
  ASSERT_OK_AND_ASSIGN(const Scenario parsed, ParseScenario(text, "x.toml"));
  EXPECT_EQ(parsed.description, scenario.description);
  EXPECT_EQ(FormatScenario(parsed), text);
}

double RandomProbability(Rng& rng) {
  switch (rng.Uniform(4)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return rng.NextDouble() * 1e-6;
    default:
      return rng.NextDouble();
  }
}

std::string RandomDescription(Rng& rng) {
  static const char* const kPieces[] = {"a",        "word",         " ",   "  ",    "\"",
                                        "\\",       "\n",           "\t",  "\x01",  "\x7f",
                                        "\xc3\xa9", "\xe2\x80\x94", "'''", "\"\"\""};
  std::string text;
  const uint64_t pieces = rng.Uniform(200);
  for (uint64_t index = 0; index < pieces; index++)
    text += kPieces[rng.Uniform(std::size(kPieces))];
  return text;
}

void RandomWorkload(Rng& rng, WorkloadConfig& workload) {
  workload.writers = static_cast<uint32_t>(rng.UniformInclusive(1, 16));
  workload.readers = static_cast<uint32_t>(rng.UniformInclusive(0, 64));
  workload.transactions = static_cast<uint32_t>(rng.UniformInclusive(1, 1'000'000));
  workload.ops_per_transaction_min = static_cast<uint32_t>(rng.UniformInclusive(1, 1000));
  workload.ops_per_transaction_max =
      static_cast<uint32_t>(rng.UniformInclusive(workload.ops_per_transaction_min, 1000));
  workload.key_space = rng.UniformInclusive(1, 1'000'000'000);
  workload.key_distribution = static_cast<KeyDistribution>(rng.Uniform(3));
  workload.zipf_theta = 10 * (1 - rng.NextDouble());  // (0, 10].
  if (workload.zipf_theta == 10) workload.zipf_theta = 0.5;
  workload.value_size_min_bytes = static_cast<uint32_t>(rng.Uniform(1000));
  workload.value_size_max_bytes =
      static_cast<uint32_t>(rng.UniformInclusive(workload.value_size_min_bytes, 1 << 20));
  workload.big_value_probability = RandomProbability(rng);
  workload.big_value_size_bytes = static_cast<uint32_t>(rng.UniformInclusive(1, 1 << 20));
  workload.abort_probability = RandomProbability(rng);
  workload.reads_per_reader = static_cast<uint32_t>(rng.UniformInclusive(0, 1'000'000));
  for (uint32_t* weight :
       {&workload.mix.put, &workload.mix.del, &workload.mix.get, &workload.mix.range_scan,
        &workload.mix.prefix_scan, &workload.mix.reverse_scan, &workload.mix.as_of_read}) {
    *weight = static_cast<uint32_t>(rng.OneIn(3) ? 0 : rng.UniformInclusive(0, 1000));
  }
  workload.mix.as_of_read += workload.mix.as_of_read == 0 ? 1 : 0;
  workload.kind = static_cast<WorkloadKind>(rng.Uniform(4));
  if (workload.kind == WorkloadKind::kTaskQueue) {
    workload.key_space = std::min<uint64_t>(workload.key_space, 1'000'000);
  }
  // At most 1,000,000 functions in all.
  CodeGraphSizes& graph = workload.code_graph;
  graph.functions_per_file = static_cast<uint32_t>(rng.UniformInclusive(1, 1000));
  graph.files_per_module = static_cast<uint32_t>(
      rng.UniformInclusive(1, std::min<uint64_t>(9999, 1'000'000 / graph.functions_per_file)));
  graph.modules = static_cast<uint32_t>(rng.UniformInclusive(
      1, std::min<uint64_t>(9999, 1'000'000 / (uint64_t{graph.functions_per_file} *
                                               graph.files_per_module))));
  graph.calls_per_function = static_cast<uint32_t>(rng.UniformInclusive(0, 64));
  graph.imports_per_file = static_cast<uint32_t>(rng.UniformInclusive(0, 64));
}

void RandomFaults(Rng& rng, FaultPlan& faults) {
  faults.crashes = static_cast<uint32_t>(rng.UniformInclusive(0, 1000));
  uint64_t io_index = 0;
  for (uint64_t count = rng.Uniform(6); count > 0; count--) {
    io_index += rng.UniformInclusive(1, uint64_t{1} << 40);
    faults.crash_at_io.push_back(io_index);
  }
  faults.crash_points = rng.OneIn(2) ? CrashPointMode::kRandom : CrashPointMode::kEveryIo;
  faults.crash_last_write_variant =
      static_cast<int64_t>(rng.UniformInclusive(0, kCrashLastWriteVariantMax + 1)) - 1;
  faults.sector_size_bytes = rng.OneIn(2) ? 512 : 4096;
  faults.torn_writes = rng.OneIn(2);
  faults.lose_unsynced_dir_ops = rng.OneIn(2);
  faults.disk.failed_sync_drops_dirty_data = rng.OneIn(2);
  for (double* probability : {&faults.disk.read_error_probability, &faults.disk.write_error_probability,
                              &faults.disk.sync_error_probability, &faults.disk.bit_rot_probability,
                              &faults.disk.misdirected_write_probability}) {
    *probability = RandomProbability(rng);
  }
  faults.disk.capacity_bytes = rng.UniformInclusive(0, uint64_t{1} << 40);
  faults.disk.read_latency_us_max = rng.UniformInclusive(0, 1'000'000);
}

// A valid scenario whose every field is drawn from its whole range.
Scenario RandomScenario(Rng& rng) {
  Scenario scenario;
  const char kNameCharacters[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  for (uint64_t length = rng.UniformInclusive(1, 64); length > 0; length--) {
    scenario.name += kNameCharacters[rng.Uniform(sizeof kNameCharacters - 1)];
  }
  scenario.description = RandomDescription(rng);
  scenario.seed = rng.Next();
  scenario.expect = static_cast<Verdict>(rng.Uniform(12));
  scenario.engine.page_size_bytes = 4096u << rng.Uniform(5);
  scenario.engine.cache_bytes =
      rng.UniformInclusive(8 * uint64_t{scenario.engine.page_size_bytes}, uint64_t{1} << 30);
  scenario.engine.durability = static_cast<DurabilityMode>(rng.Uniform(3));
  scenario.engine.checkpoint_log_bytes = rng.UniformInclusive(1, uint64_t{1} << 30);
  scenario.engine.log_preallocate_bytes = rng.UniformInclusive(0, uint64_t{1} << 30);
  scenario.engine.retained_snapshots = static_cast<uint32_t>(rng.UniformInclusive(0, 1000));
  RandomWorkload(rng, scenario.workload);
  // time-travel replays the log from its start: a log kept whole, and one there is.
  const bool time_travel = scenario.workload.kind == WorkloadKind::kTimeTravel;
  scenario.engine.recycle_log = !time_travel && rng.OneIn(2);
  if (time_travel && scenario.engine.durability == DurabilityMode::kMetaFlip) {
    scenario.engine.durability = DurabilityMode::kLog;
  }
  RandomFaults(rng, scenario.faults);
  ScheduleOptions& scheduler = scenario.scheduler;
  scheduler.strategy = static_cast<StrategyKind>(rng.Uniform(3));
  scheduler.switch_probability = RandomProbability(rng);
  scheduler.pct_depth = static_cast<uint32_t>(rng.UniformInclusive(1, 64));
  scheduler.pct_steps_estimate = rng.UniformInclusive(1, 1'000'000'000'000);
  scheduler.steps_max = rng.UniformInclusive(1, 1'000'000'000'000);
  scheduler.step_duration_ns = rng.UniformInclusive(1, 1'000'000'000);
  scheduler.fibers_max = FibersMaxFor(scenario.workload);
  return scenario;
}

// SF-81: Format(Parse(Format(s))) == Format(s), and the parse gives back s.
TEST(FormatScenarioTest, RandomScenariosRoundTrip) {
  for (uint64_t seed = 1; seed <= 300; seed++) {
    Rng rng(seed);
    const Scenario scenario = RandomScenario(rng);
    const absl::Status valid = ValidateScenario(scenario);
    ASSERT_TRUE(valid.ok()) << "seed " << seed << ": " << valid;
    const std::string text = FormatScenario(scenario);
    const absl::StatusOr<Scenario> parsed = ParseScenario(text, "random.toml");
    ASSERT_TRUE(parsed.ok()) << "seed " << seed << ": " << parsed.status() << "\n" << text;
    EXPECT_EQ(FormatScenario(*parsed), text) << "seed " << seed;
    EXPECT_EQ(parsed->description, scenario.description) << "seed " << seed;
    EXPECT_EQ(parsed->workload.zipf_theta, scenario.workload.zipf_theta) << "seed " << seed;
    EXPECT_EQ(parsed->scheduler.fibers_max, scenario.scheduler.fibers_max) << "seed " << seed;
    EXPECT_EQ(parsed->faults.crash_points, scenario.faults.crash_points) << "seed " << seed;
    EXPECT_EQ(parsed->faults.crash_last_write_variant, scenario.faults.crash_last_write_variant)
        << "seed " << seed;
    EXPECT_EQ(parsed->workload.kind, scenario.workload.kind) << "seed " << seed;
    EXPECT_EQ(parsed->engine.recycle_log, scenario.engine.recycle_log) << "seed " << seed;
    EXPECT_EQ(parsed->workload.code_graph.modules, scenario.workload.code_graph.modules)
        << "seed " << seed;
  }
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// SF-86: the library users start from is valid and canonical, each file named after itself.
TEST(ScenarioLibraryTest, EveryScenarioIsValidCanonicalAndDescribed) {
  const std::filesystem::path folder = std::filesystem::path(NORTHSTAR_SOURCE_DIR) / "scenarios";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".toml") continue;
    const std::string text = ReadWholeFile(entry.path());
    ASSERT_OK_AND_ASSIGN(const Scenario scenario, ParseScenario(text, entry.path().string()));
    EXPECT_EQ(FormatScenario(scenario), text) << entry.path() << " is not canonical";
    EXPECT_EQ(scenario.name, entry.path().stem().string());
    EXPECT_GE(scenario.description.size(), 40u) << entry.path() << ": say what it aims at";
    names.push_back(scenario.name);
  }
  for (const char* expected :
       {"smoke", "crash-heavy", "torn-and-short-logs", "io-errors", "enospc", "readers-heavy",
        "pct-deep", "big-values", "small-pages", "long-history", "crash-points", "task-queue",
        "time-travel", "code-graph"}) {
    EXPECT_THAT(names, Contains(expected));
  }
}

}  // namespace
}  // namespace northstar::sim
