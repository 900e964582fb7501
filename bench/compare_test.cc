#include "bench/compare.h"

#include <sstream>

#include "bench/report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

BenchSummary Summary(std::string name, double throughput, double p99 = 1000, double allocations = 2,
                     double syncs = 1) {
  BenchSummary summary;
  summary.benchmark = std::move(name);
  summary.unit = "ops";
  summary.repeats = 3;
  summary.parameters = {{"keys", 1000}};
  summary.backend = "posix";
  summary.items_per_second = throughput;
  summary.latency_ns_p50 = p99 / 2;
  summary.latency_ns_p99 = p99;
  summary.allocations_per_op = allocations;
  summary.syncs_per_op = syncs;
  return summary;
}

RepeatResult Repeat(uint32_t repeat, double throughput, uint64_t p99) {
  RepeatResult result;
  result.benchmark = "a/b";
  result.unit = "ops";
  result.repeat = repeat;
  result.config.backend = "posix";
  result.parameters = {{"keys", 10}};
  result.results.ops = 10;
  result.results.items_per_second = throughput;
  result.results.latency_ns_p99 = p99;
  result.results.allocations_per_op = 1.0 * repeat;
  return result;
}

TEST(ReportTest, SummarizeTakesMediansAndCv) {
  ASSERT_OK_AND_ASSIGN(const BenchSummary summary,
                       Summarize({Repeat(0, 100, 50), Repeat(1, 300, 10), Repeat(2, 110, 30)}));
  EXPECT_EQ(summary.repeats, 3u);
  EXPECT_EQ(summary.items_per_second, 110);
  EXPECT_EQ(summary.latency_ns_p99, 30);
  EXPECT_EQ(*summary.allocations_per_op, 1);
  ASSERT_TRUE(summary.cv.has_value());
  EXPECT_EQ(summary.stability, Stability::kUnstable);
}

TEST(ReportTest, SummarizeRefusesRepeatsThatDisagree) {
  RepeatResult other = Repeat(1, 100, 50);
  other.parameters["keys"] = 20;
  const absl::StatusOr<BenchSummary> summary = Summarize({Repeat(0, 100, 50), other});
  EXPECT_THAT(summary.status().message(), HasSubstr("repeat 1 ran with a different parameters"));
}

TEST(ReportTest, SuiteSummaryCountsAndFloorRatio) {
  BenchSummary commit = Summary("commit/durable_single_put", 500, 4000);
  BenchSummary floor = Summary("floor/overwrite_4k_fdatasync", 1000, 2000);
  std::ostringstream out;
  PrintSuiteSummary({commit, floor}, {{"pager/x", "disk full"}}, out);
  EXPECT_THAT(out.str(), HasSubstr("pager/x"));
  EXPECT_THAT(out.str(), HasSubstr("FAILED: disk full"));
  EXPECT_THAT(out.str(), HasSubstr("suite: 3 benchmarks, 2 passed, 1 failed"));
  EXPECT_THAT(out.str(), HasSubstr("p50 latency 2.00x"));
  EXPECT_THAT(out.str(), HasSubstr("throughput 0.50x"));
}

TEST(CompareTest, RatiosAndMismatches) {
  BenchSummary other_size = Summary("b/y", 100);
  other_size.parameters = {{"keys", 10}};
  const std::vector<ComparisonRow> rows =
      Compare({Summary("a/x", 100), Summary("b/y", 100), Summary("c/only_a", 1)},
              {Summary("a/x", 150, 500), other_size, Summary("d/only_b", 1)});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_DOUBLE_EQ(*rows[0].throughput_ratio(), 1.5);
  EXPECT_DOUBLE_EQ(*rows[0].p99_ratio(), 0.5);
  EXPECT_TRUE(rows[0].comparable());
  EXPECT_THAT(rows[1].mismatches, ElementsAre(HasSubstr("parameters differ")));
  EXPECT_FALSE(rows[2].b.has_value());
  EXPECT_FALSE(rows[3].a.has_value());

  std::ostringstream table;
  PrintComparison(rows, "A", "B", table);
  EXPECT_THAT(table.str(), HasSubstr("1.500x"));
  EXPECT_THAT(table.str(), HasSubstr("! b/y: parameters differ"));
  EXPECT_THAT(table.str(), HasSubstr("c/only_a"));

  std::ostringstream csv;
  WriteComparisonCsv(rows, csv);
  EXPECT_THAT(csv.str(), HasSubstr("benchmark,unit,a_items_per_second"));
  EXPECT_THAT(csv.str(), HasSubstr("a/x,ops,100,150,1.5,"));

  std::ostringstream svg;
  WriteComparisonSvg(rows, "base<1>", "new&2", svg);
  EXPECT_THAT(svg.str(), HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg.str(), HasSubstr("base&lt;1&gt;"));
  EXPECT_THAT(svg.str(), HasSubstr("new&amp;2"));
  EXPECT_THAT(svg.str(), HasSubstr(">a/x</text>"));
  EXPECT_THAT(svg.str(), HasSubstr(">b/y !</text>"));  // Drawn, marked: parameters differ.
  EXPECT_THAT(svg.str(), Not(HasSubstr("c/only_a")));  // One side only: no ratio to draw.
  EXPECT_THAT(svg.str(), HasSubstr("</svg>"));
}

TEST(GateTest, PassesWithinThresholds) {
  const GateReport report = Gate({Summary("a/x", 100, 1000, 2, 1)},
                                 {Summary("a/x", 96, 1090, 2.09, 1)}, GateThresholds{});
  ASSERT_EQ(report.verdicts.size(), 1u);
  EXPECT_THAT(report.verdicts[0].failures, IsEmpty());
  EXPECT_EQ(report.passed(), 1u);
}

TEST(GateTest, FailsEachRegression) {
  const GateThresholds defaults;
  EXPECT_THAT(Gate({Summary("a/x", 100)}, {Summary("a/x", 80)}, defaults).verdicts[0].failures,
              ElementsAre(HasSubstr("throughput 0.800x < 0.950x")));
  EXPECT_THAT(
      Gate({Summary("a/x", 100, 1000)}, {Summary("a/x", 100, 1200)}, defaults).verdicts[0].failures,
      ElementsAre(HasSubstr("p99 1.200x > 1.100x")));
  EXPECT_THAT(Gate({Summary("a/x", 100, 1000, 2)}, {Summary("a/x", 100, 1000, 2.2)}, defaults)
                  .verdicts[0]
                  .failures,
              ElementsAre(HasSubstr("allocations/op 2 -> 2.2")));
  EXPECT_THAT(
      Gate({Summary("a/x", 100, 1000, 2, 1)}, {Summary("a/x", 100, 1000, 2, 1.001)}, defaults)
          .verdicts[0]
          .failures,
      ElementsAre(HasSubstr("syncs/op 1 -> 1.001")));
}

TEST(GateTest, AllocationsNeedAnAbsoluteRiseToo) {
  EXPECT_THAT(
      Gate({Summary("a/x", 100, 1000, 0)}, {Summary("a/x", 100, 1000, 0.005)}, GateThresholds{})
          .verdicts[0]
          .failures,
      IsEmpty());
}

TEST(GateTest, ThresholdsAreConfigurable) {
  GateThresholds loose;
  loose.throughput_drop = 0.25;
  EXPECT_THAT(Gate({Summary("a/x", 100)}, {Summary("a/x", 80)}, loose).verdicts[0].failures,
              IsEmpty());
  EXPECT_EQ(DescribeThresholds(GateThresholds{}),
            "throughput -5%, p99 +10%, allocations/op +5% (and more than +0.01), syncs/op any "
            "increase");
}

TEST(GateTest, MissingFailsAndMismatchIsRefused) {
  BenchSummary small = Summary("b/y", 100);
  small.parameters = {{"keys", 10}};
  const GateReport report = Gate({Summary("a/x", 100), Summary("b/y", 100)},
                                 {small, Summary("c/new", 1)}, GateThresholds{});
  ASSERT_EQ(report.verdicts.size(), 1u);
  EXPECT_THAT(report.verdicts[0].failures, ElementsAre("missing from the candidate"));
  EXPECT_THAT(report.refused, ElementsAre(HasSubstr("b/y: parameters differ")));
  std::ostringstream out;
  PrintGateReport(report, GateThresholds{}, out);
  EXPECT_THAT(out.str(), HasSubstr("gate: 1 benchmarks, 0 passed, 1 failed, 1 not comparable"));
  EXPECT_THAT(out.str(), HasSubstr("throughput -5%"));
}

}  // namespace
}  // namespace northstar::bench
