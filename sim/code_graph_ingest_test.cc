// The code-graph ingest plan: the repository split between writers by module, and where each
// writer resumes after a recovery.
#include "sim/code_graph_ingest.h"

#include "gtest/gtest.h"

namespace northstar::sim {
namespace {

CodeGraphSizes Small() {
  return {.modules = 5, .files_per_module = 2, .functions_per_file = 3, .calls_per_function = 2,
          .imports_per_file = 1};
}

TEST(GraphIngestTest, TheWritersSharesAreTheRepositoryByModule) {
  const GraphIngest ingest(Small(), 9, /*writers=*/2);
  size_t records = 0;
  for (uint32_t writer = 0; writer < 2; writer++) {
    records += ingest.records(writer).size();
    for (const auto& [key, value] : ingest.records(writer)) {
      EXPECT_EQ(ingest.all_records().at(key), value);
      // Modules 0, 2, 4 to writer 0; 1, 3 to writer 1.
      if (key.starts_with("file:")) {
        EXPECT_EQ(static_cast<uint32_t>(key[13] - '0') % 2, writer) << key;
      }
    }
  }
  EXPECT_EQ(records, ingest.all_records().size());
  EXPECT_GT(ingest.records(0).size(), ingest.records(1).size());
  EXPECT_EQ(ingest.config().seed, 9u);
  EXPECT_EQ(apps::FunctionCount(ingest.config()), 30u);
}

TEST(GraphIngestTest, TheSameSeedGivesTheSameRepository) {
  EXPECT_EQ(GraphIngest(Small(), 9, 1).all_records(), GraphIngest(Small(), 9, 3).all_records());
  EXPECT_NE(GraphIngest(Small(), 9, 1).all_records(), GraphIngest(Small(), 10, 1).all_records());
}

TEST(GraphIngestTest, WritersResumeAfterTheirLastRecoveredCommit) {
  GraphIngest ingest(Small(), 9, 2);
  const size_t size0 = ingest.records(0).size();
  const size_t size1 = ingest.records(1).size();
  ingest.attempted(1, 0, 5);
  ingest.attempted(2, 1, 4);
  ingest.attempted(3, 0, 9);
  EXPECT_EQ(ingest.position(0), 9u);
  ingest.recovered(2, /*skip_one=*/false);
  EXPECT_EQ(ingest.position(0), 5u);
  EXPECT_EQ(ingest.position(1), 4u);
  ingest.recovered(0, false);
  EXPECT_EQ(ingest.position(0), 0u);
  EXPECT_EQ(ingest.records_left(1), size1);
  ingest.attempted(1, 0, size0);
  EXPECT_EQ(ingest.complete_txn(), 0u);
  ingest.attempted(2, 1, size1);
  EXPECT_EQ(ingest.complete_txn(), 2u);
  ingest.recovered(1, false);
  EXPECT_EQ(ingest.complete_txn(), 0u);
  // PlantedBug::kIngestResumeSkips: writers with records left skip one.
  ingest.recovered(1, true);
  EXPECT_EQ(ingest.position(0), size0);
  EXPECT_EQ(ingest.position(1), 1u);
}

}  // namespace
}  // namespace northstar::sim
