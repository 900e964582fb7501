#include "bench/stats.h"

#include <vector>

#include "gtest/gtest.h"

namespace northstar::bench {
namespace {

TEST(StatsTest, PercentileIsNearestRank) {
  std::vector<uint64_t> sorted;
  for (uint64_t value = 1; value <= 100; value++) sorted.push_back(value);
  EXPECT_EQ(Percentile(sorted, 0.50), 50u);
  EXPECT_EQ(Percentile(sorted, 0.95), 95u);
  EXPECT_EQ(Percentile(sorted, 0.99), 99u);
  EXPECT_EQ(Percentile(sorted, 1.0), 100u);
  const std::vector<uint64_t> one = {7};
  EXPECT_EQ(Percentile(one, 0.99), 7u);
  const std::vector<uint64_t> two = {1, 9};
  EXPECT_EQ(Percentile(two, 0.5), 1u);
  EXPECT_EQ(Percentile(two, 0.51), 9u);
}

TEST(StatsTest, Median) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 2, 3}), 2.5);
  EXPECT_EQ(Median({5}), 5);
}

TEST(StatsTest, CoefficientOfVariation) {
  EXPECT_FALSE(CoefficientOfVariation(std::vector<double>{100}).has_value());
  EXPECT_FALSE(CoefficientOfVariation(std::vector<double>{0, 0}).has_value());
  EXPECT_DOUBLE_EQ(*CoefficientOfVariation(std::vector<double>{100, 100, 100}), 0);
  // Sample standard deviation of {90, 110} is sqrt(200) = 14.14; mean 100.
  EXPECT_NEAR(*CoefficientOfVariation(std::vector<double>{90, 110}), 0.14142, 1e-4);
}

TEST(StatsTest, StabilityMarks) {
  EXPECT_EQ(StabilityOf(std::nullopt), Stability::kSingle);
  EXPECT_EQ(StabilityOf(0.01), Stability::kStable);
  EXPECT_EQ(StabilityOf(0.05), Stability::kNoisy);
  EXPECT_EQ(StabilityOf(0.5), Stability::kUnstable);
  EXPECT_STREQ(StabilityName(Stability::kUnstable), "UNSTABLE");
}

}  // namespace
}  // namespace northstar::bench
