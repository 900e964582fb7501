// Reading and writing scenario files (spec/scenario_format.md): the accepted syntax, the error
// messages and their positions, and the canonical form.
#include "sim/scenario_io.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The message ParseScenario gives for `text` (which must be refused).
std::string ErrorFor(std::string_view text) {
  const absl::StatusOr<Scenario> scenario = ParseScenario(text, "t.toml");
  EXPECT_EQ(scenario.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(scenario.status().message());
}

TEST(ParseScenarioTest, MissingKeysTakeTheirDefaults) {
  ASSERT_OK_AND_ASSIGN(const Scenario scenario, ParseScenario("name = \"x\"\n", "t.toml"));
  EXPECT_EQ(scenario.name, "x");
  EXPECT_EQ(scenario.seed, 1u);
  EXPECT_EQ(scenario.engine.page_size_bytes, 4096u);
  EXPECT_EQ(scenario.workload.mix.put, 50u);
  EXPECT_EQ(scenario.scheduler.strategy, StrategyKind::kRandomWalk);
  EXPECT_EQ(scenario.expect, Verdict::kPass);
}

// SF-4: fibers_max is not in the file; it follows from the workload.
TEST(ParseScenarioTest, FibersMaxFollowsTheWorkload) {
  ASSERT_OK_AND_ASSIGN(const Scenario scenario,
                       ParseScenario("name = \"x\"\n[workload]\nwriters = 3\nreaders = 64\n", "t"));
  EXPECT_EQ(scenario.scheduler.fibers_max, 68u);
  EXPECT_THAT(ErrorFor("name = \"x\"\n[scheduler]\nfibers_max = 9\n"),
              HasSubstr("scheduler.fibers_max: unknown key"));
}

TEST(ParseScenarioTest, ReadsEveryKindOfValue) {
  ASSERT_OK_AND_ASSIGN(const Scenario scenario, ParseScenario(R"(name = "x"
seed = "0xFFFFFFFFFFFFFFFF"
expect = "snapshot-isolation"
engine.durability = "meta-flip"
[workload]
key_distribution = "zipf"
zipf_theta = 1.25
abort_probability = 0
[faults]
crash_at_io = [3, 70, 9000000000]
torn_writes = false
[scheduler]
strategy = "pct"
steps_max = 0x100
)",
                                                              "t.toml"));
  EXPECT_EQ(scenario.seed, ~uint64_t{0});
  EXPECT_EQ(scenario.expect, Verdict::kSnapshotIsolation);
  EXPECT_EQ(scenario.engine.durability, DurabilityMode::kMetaFlip);
  EXPECT_EQ(scenario.workload.key_distribution, KeyDistribution::kZipf);
  EXPECT_EQ(scenario.workload.zipf_theta, 1.25);
  EXPECT_EQ(scenario.workload.abort_probability, 0.0);  // SF-3: an integer where a float goes.
  EXPECT_EQ(scenario.faults.crash_at_io, (std::vector<uint64_t>{3, 70, 9000000000}));
  EXPECT_FALSE(scenario.faults.torn_writes);
  EXPECT_EQ(scenario.scheduler.strategy, StrategyKind::kPct);
  EXPECT_EQ(scenario.scheduler.steps_max, 256u);
}

// SF-5: unknown keys and sections are errors at the key.
TEST(ParseScenarioTest, UnknownKeysNameTheKeyAndItsPosition) {
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload]\nreaders = 2\nreaderz = 3\n"),
            "t.toml:4:1: workload.readerz: unknown key");
  EXPECT_EQ(ErrorFor("name = \"x\"\n\n[engin]\n"), "t.toml:3:2: engin: unknown key");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload.mix]\n  putt = 1\n"),
            "t.toml:3:3: workload.mix.putt: unknown key");
  EXPECT_EQ(ErrorFor("[engine.mix]\nput = 1\n"), "t.toml:1:9: engine.mix: unknown key");
  EXPECT_EQ(ErrorFor("engine = 5\n"), "t.toml:1:10: engine: expected a table, got an integer");
}

// SF-6: values of the wrong type, or out of their type's range.
TEST(ParseScenarioTest, WrongTypesNameTheFieldAndTheValuePosition) {
  EXPECT_EQ(ErrorFor("[engine]\npage_size_bytes = \"4096\"\n"),
            "t.toml:2:19: engine.page_size_bytes: expected an integer, got a string");
  EXPECT_EQ(ErrorFor("[engine]\npage_size_bytes = -1\n"),
            "t.toml:2:19: engine.page_size_bytes: -1 is not in [0, 4294967295]");
  EXPECT_EQ(ErrorFor("[workload]\nwriters = 4294967296\n"),
            "t.toml:2:11: workload.writers: 4294967296 is not in [0, 4294967295]");
  EXPECT_EQ(ErrorFor("[faults]\ncapacity_bytes = -5\n"),
            "t.toml:2:18: faults.capacity_bytes: -5 is not in [0, 9223372036854775807]");
  EXPECT_EQ(ErrorFor("[faults]\ntorn_writes = 1\n"),
            "t.toml:2:15: faults.torn_writes: expected a boolean, got an integer");
  EXPECT_EQ(ErrorFor("[workload]\nzipf_theta = \"high\"\n"),
            "t.toml:2:14: workload.zipf_theta: expected a float, got a string");
  EXPECT_EQ(ErrorFor("name = 5\n"), "t.toml:1:8: name: expected a string, got an integer");
  EXPECT_EQ(ErrorFor("[faults]\ncrash_at_io = [1, \"x\"]\n"),
            "t.toml:2:19: faults.crash_at_io: element 1: expected an integer, got a string");
  EXPECT_EQ(ErrorFor("[engine]\ndurability = \"fsync\"\n"),
            "t.toml:2:14: engine.durability: \"fsync\" is not one of \"log\", \"log-no-sync\" "
            "or \"meta-flip\"");
}

// SF-49, SF-51, SF-51a: the crash-point keys; a single crash state as a scenario, in canonical
// form.
TEST(ParseScenarioTest, CrashPointKeys) {
  ASSERT_OK_AND_ASSIGN(const Scenario defaults, ParseScenario("name = \"x\"\n", "t.toml"));
  EXPECT_EQ(defaults.faults.crash_points, CrashPointMode::kRandom);
  EXPECT_EQ(defaults.faults.crash_last_write_variant, -1);
  ASSERT_OK_AND_ASSIGN(const Scenario every,
                       ParseScenario("name = \"x\"\n[faults]\ncrash_points = \"every-io\"\n", "t"));
  EXPECT_EQ(every.faults.crash_points, CrashPointMode::kEveryIo);

  Scenario point;
  point.name = "one-crash-state";
  point.faults.crashes = 0;
  point.faults.crash_at_io = {812};
  point.faults.crash_last_write_variant = 3;
  const std::string text = FormatScenario(point);
  EXPECT_THAT(text, HasSubstr("\n[faults]\ncrash_points = \"random\"\ncrashes = 0\n"
                              "crash_at_io = [812]\ncrash_last_write_variant = 3\n"));
  ASSERT_OK_AND_ASSIGN(const Scenario parsed, ParseScenario(text, "t.toml"));
  EXPECT_EQ(parsed.faults.crash_at_io, std::vector<uint64_t>{812});
  EXPECT_EQ(parsed.faults.crash_last_write_variant, 3);
  EXPECT_EQ(FormatScenario(parsed), text);  // SF-81: the same bytes.
}

TEST(ParseScenarioTest, BadCrashPointValuesNameTheFieldAndPosition) {
  EXPECT_EQ(ErrorFor("name = \"x\"\n[faults]\ncrash_points = \"every-write\"\n"),
            "t.toml:3:16: faults.crash_points: \"every-write\" is not one of \"random\" or "
            "\"every-io\"");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[faults]\ncrash_points = true\n"),
            "t.toml:3:16: faults.crash_points: expected a string, got a boolean");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[faults]\ncrash_last_write_variant = \"torn\"\n"),
            "t.toml:3:28: faults.crash_last_write_variant: expected an integer, got a string");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[faults]\ncrash_last_write_variant = -2\n"),
            "t.toml:3:28: faults.crash_last_write_variant: -2 is not in [-1, 16777216]");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[faults]\ncrash_last_write_variant = 16777217\n"),
            "t.toml:3:28: faults.crash_last_write_variant: 16777217 is not in [-1, 16777216]");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[faults]\ncrash_last_write_variant = 1.5\n"),
            "t.toml:3:28: faults.crash_last_write_variant: expected an integer, got a float");
}

// SF-29, SF-26, SF-45: the workload kind, and the rules it adds, name the field and where it is.
TEST(ParseScenarioTest, WorkloadKindsAndTheirRules) {
  ASSERT_OK_AND_ASSIGN(const Scenario queue,
                       ParseScenario("name = \"x\"\n[workload]\nkind = \"task-queue\"\n", "t"));
  EXPECT_EQ(queue.workload.kind, WorkloadKind::kTaskQueue);
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload]\nkind = \"queue\"\n"),
            "t.toml:3:8: workload.kind: \"queue\" is not one of \"kv\", \"task-queue\", "
            "\"time-travel\" or \"code-graph\"");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload]\nkind = 2\n"),
            "t.toml:3:8: workload.kind: expected a string, got an integer");
  // The rule is broken by a default: no position.
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload]\nkind = \"time-travel\"\n"),
            "t.toml: engine.recycle_log: must be false for workload.kind = \"time-travel\" (its "
            "readers replay the log from its start)");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[engine]\nrecycle_log = true\n[workload]\n"
                     "kind = \"time-travel\"\n"),
            "t.toml:3:15: engine.recycle_log: must be false for workload.kind = \"time-travel\" "
            "(its readers replay the log from its start)");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[engine]\nrecycle_log = \"no\"\n"),
            "t.toml:3:15: engine.recycle_log: expected a boolean, got a string");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[engine]\ndurability = \"meta-flip\"\nrecycle_log = false\n"
                     "[workload]\nkind = \"time-travel\"\n"),
            "t.toml:3:14: engine.durability: \"meta-flip\" keeps no log to replay "
            "(workload.kind = \"time-travel\")");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload.code_graph]\nmodules = 0\n"),
            "t.toml:3:11: workload.code_graph.modules: 0 is not in [1, 9999]");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload.code_graph]\nmodulez = 3\n"),
            "t.toml:3:1: workload.code_graph.modulez: unknown key");
}

// SF-2: the seed is a hex string.
TEST(ParseScenarioTest, SeedIsAHexString) {
  EXPECT_EQ(ErrorFor("name = \"x\"\nseed = 31\n"),
            "t.toml:2:8: seed: expected a hex string such as \"0x1f\", got an integer");
  for (const char* bad : {"\"1f\"", "\"0x\"", "\"0x1g\"", "\"0X1f\"", "\"0x10000000000000000\""}) {
    EXPECT_THAT(
        ErrorFor(absl::StrFormat("name = \"x\"\nseed = %s\n", bad)),
        AllOf(StartsWith("t.toml:2:8: seed: "), HasSubstr("is not \"0x\" and 1 to 16 hex digits")));
  }
  ASSERT_OK_AND_ASSIGN(const Scenario scenario, ParseScenario("name = \"x\"\nseed = \"0x1F\"", ""));
  EXPECT_EQ(scenario.seed, 31u);
}

// SF-7: range errors found after reading point at the field when the file has it.
TEST(ParseScenarioTest, RangeErrorsPointAtTheField) {
  EXPECT_EQ(ErrorFor("name = \"x\"\n[engine]\npage_size_bytes = 5000\n"),
            "t.toml:3:19: engine.page_size_bytes: 5000 is not a power of two in [4096, 65536]");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload.mix]\nput = 0\ndel = 0\nget = 0\nrange_scan = 0\n"
                     "prefix_scan = 0\nreverse_scan = 0\nas_of_read = 0\n"),
            "t.toml:2:1: workload.mix: every weight is 0");
  // The field at fault is a default: no position.
  EXPECT_EQ(ErrorFor("seed = \"0x2\"\n"),
            "t.toml: name: \"\" is not 1..64 characters of [a-z0-9-]");
  EXPECT_EQ(ErrorFor("name = \"x\"\n[workload]\nvalue_size_min_bytes = 300\n"),
            "t.toml: workload.value_size_max_bytes: 200 is not in [300, 16777216]");
}

// SF-1: TOML syntax errors carry toml++'s position.
TEST(ParseScenarioTest, SyntaxErrorsHaveAPosition) {
  EXPECT_THAT(ErrorFor("name = \"x\"\n[engine]\npage_size_bytes = = 3\n"),
              StartsWith("t.toml:3:19: "));
  EXPECT_THAT(ErrorFor("name = \"x\"\nname = \"y\"\n"), StartsWith("t.toml:2:"));
  EXPECT_THAT(ErrorFor("name = \"unterminated\n"), StartsWith("t.toml:1:"));
}

TEST(ReadScenarioFileTest, MissingAndOversizedFiles) {
  ScopedTempDir dir("scenario_io_test");
  const absl::StatusOr<Scenario> missing = ReadScenarioFile(dir.path() + "/nope.toml");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.toml: cannot open: No such file"));

  const std::string big = dir.path() + "/big.toml";
  std::ofstream(big) << "name = \"x\"\n" << std::string(kScenarioFileBytesMax, '#');
  EXPECT_THAT(ReadScenarioFile(big).status().message(),
              HasSubstr("big.toml: larger than a scenario may be (1048576 bytes)"));

  const std::string good = dir.path() + "/good.toml";
  std::ofstream(good) << "name = \"good\"\n";
  ASSERT_OK_AND_ASSIGN(const Scenario scenario, ReadScenarioFile(good));
  EXPECT_EQ(scenario.name, "good");
}

}  // namespace
}  // namespace northstar::sim
