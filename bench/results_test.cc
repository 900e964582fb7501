#include "bench/results.h"

#include <filesystem>
#include <fstream>

#include "bench/harness.h"
#include "bench/json_schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::bench {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

RepeatResult Sample(std::string benchmark = "btree/point_get_hot_1m", uint32_t repeat = 0) {
  RepeatResult result;
  result.benchmark = std::move(benchmark);
  result.description = "gets";
  result.unit = "gets";
  result.repeat = repeat;
  result.config = {.backend = "posix",
                   .dir = "/tmp",
                   .scale = 0.01,
                   .repeats = 3,
                   .ops = 100,
                   .warmup_ops = 10,
                   .items_per_op = 1};
  result.parameters = {{"keys", 10000}, {"order", "random"}};
  Measurement& m = result.results;
  m.ops = 100;
  m.items = 100;
  m.seconds = 0.001;
  m.ops_per_second = m.items_per_second = 100000;
  m.latency_ns_mean = 10000;
  m.latency_ns_p50 = 9000;
  m.latency_ns_p95 = 15000;
  m.latency_ns_p99 = 20000;
  m.latency_ns_max = 30000;
  m.allocations = 200;
  m.allocations_per_op = 2;
  m.peak_rss_bytes = 1 << 20;
  result.extra = {{"ratio", 0.5}};
  result.system = {.cpu_model = "cpu",
                   .cores = 2,
                   .ram_bytes = 1 << 30,
                   .kernel = "Linux",
                   .dir_file_system = "ext4",
                   .dir_device = "/dev/vda",
                   .compiler = "gcc 12.2.0",
                   .build_type = "RelWithDebInfo",
                   .git_commit = "abc1234",
                   .northstar_version = "0.1.0",
                   .hostname = "host",
                   .timestamp_utc = "2025-01-02T03:04:05Z"};
  return result;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ResultsTest, FileNamesReplaceSlashesAndNumberRepeats) {
  EXPECT_EQ(ResultFileName("btree/point_get_hot_1m", 0), "btree__point_get_hot_1m_r000.json");
  EXPECT_EQ(ResultFileName("peers/lmdb/point_get_hot_1m", 12),
            "peers__lmdb__point_get_hot_1m_r012.json");
  EXPECT_TRUE(IsValidBenchmarkName("peers/lmdb/point_get_hot_1m"));
  EXPECT_FALSE(IsValidBenchmarkName("btree"));
  EXPECT_FALSE(IsValidBenchmarkName("btree/a__b"));
  EXPECT_FALSE(IsValidBenchmarkName("btree/Get"));
  EXPECT_FALSE(IsValidBenchmarkName("btree//get"));
}

TEST(ResultsTest, EmbeddedSchemaParses) {
  ASSERT_OK(JsonSchema::Parse(ResultSchemaText()).status());
}

TEST(ResultsTest, JsonRoundTrip) {
  const RepeatResult sample = Sample();
  const json document = ToJson(sample);
  EXPECT_OK(ValidateResultJson(document, "sample"));
  ASSERT_OK_AND_ASSIGN(const RepeatResult back, FromJson(document, "sample"));
  EXPECT_EQ(ToJson(back), document);
}

TEST(ResultsTest, NullAllocationsAreValid) {
  RepeatResult sample = Sample();
  sample.results.allocations.reset();
  sample.results.allocations_per_op.reset();
  ASSERT_OK_AND_ASSIGN(const RepeatResult back, FromJson(ToJson(sample), "sample"));
  EXPECT_FALSE(back.results.allocations_per_op.has_value());
}

TEST(ResultsTest, InvalidResultIsNotWritten) {
  ScopedTempDir dir;
  RepeatResult sample = Sample();
  sample.results.ops = 0;
  const absl::StatusOr<std::string> written = WriteResultFile(sample, dir.path());
  ASSERT_FALSE(written.ok());
  EXPECT_THAT(written.status().message(), HasSubstr("/results/ops: 0 is below the minimum 1"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ResultsTest, WrongFileIsRejectedNamingTheField) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(const std::string path, WriteResultFile(Sample(), dir.path()));
  json document = ToJson(Sample());
  document["results"]["latency_ns_p99"] = "20 us";
  WriteText(path, document.dump());
  const absl::StatusOr<RepeatResult> read = ReadResultFile(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message(),
            path + ": /results/latency_ns_p99: expected integer, found string");

  document = ToJson(Sample());
  document["system"].erase("git_commit");
  WriteText(path, document.dump());
  EXPECT_THAT(ReadResultFile(path).status().message(),
              HasSubstr("/system/git_commit: required property is missing"));

  WriteText(path, "{\"truncated\": ");
  EXPECT_THAT(ReadResultFile(path).status().message(), HasSubstr("not valid JSON"));
}

TEST(ResultsTest, FileNameMustMatchItsContent) {
  ScopedTempDir dir;
  const std::string path = dir.path() + "/btree__other_r000.json";
  WriteText(path, ToJson(Sample()).dump());
  EXPECT_THAT(ReadResultFile(path).status().message(),
              HasSubstr("belongs in btree__point_get_hot_1m_r000.json"));
}

TEST(ResultsTest, ReadDirGroupsByBenchmarkAndOrdersRepeats) {
  ScopedTempDir dir;
  for (uint32_t repeat : {2u, 0u, 1u})
    ASSERT_OK(WriteResultFile(Sample("a/x", repeat), dir.path()).status());
  ASSERT_OK(WriteResultFile(Sample("b/y", 0), dir.path()).status());
  WriteText(dir.path() + "/notes.txt", "ignored");
  ASSERT_OK_AND_ASSIGN(const ResultSet results, ReadResultDir(dir.path()));
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results.at("a/x").size(), 3u);
  EXPECT_EQ(results.at("a/x")[2].repeat, 2u);

  ASSERT_OK(RemoveResultFiles(dir.path(), "a/x"));
  ASSERT_OK_AND_ASSIGN(const ResultSet left, ReadResultDir(dir.path()));
  EXPECT_EQ(left.size(), 1u);
  EXPECT_EQ(ReadResultDir(dir.path() + "/missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(ResultsTest, ScaledCount) {
  EXPECT_EQ(ScaledCount(1'000'000, 0.001), 1000u);
  EXPECT_EQ(ScaledCount(1000, 0.0001), 1u);
  EXPECT_EQ(ScaledCount(100, 0.001, 0), 0u);
  EXPECT_EQ(ScaledCount(1'000'000, 0.0001, 2000), 2000u);
}

}  // namespace
}  // namespace northstar::bench
