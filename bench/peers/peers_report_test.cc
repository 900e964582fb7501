// The side-by-side table and the targets, on made-up results: ratios, met and NOT MET
// (each target shown to fail on a planted shortfall), n/a when an engine did not run, and rows
// whose parameters differ are not judged.
#include "bench/peers/peers_report.h"

#include <functional>
#include <sstream>

#include "absl/strings/str_format.h"
#include "bench/peers/peer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::bench {
namespace {

using ::testing::HasSubstr;

RepeatResult Result(const std::string& benchmark, double items_per_second, double syncs_per_op,
                    nlohmann::json parameters, nlohmann::json extra = nlohmann::json::object()) {
  RepeatResult result{.benchmark = benchmark, .unit = "ops"};
  result.config.backend = "posix";
  result.config.scale = 0.01;
  result.config.repeats = 1;
  result.parameters = std::move(parameters);
  result.extra = std::move(extra);
  result.results.ops = 100;
  result.results.items_per_second = items_per_second;
  result.results.syncs_per_op = syncs_per_op;
  result.system.cpu_model = "Test CPU";
  result.system.cores = 2;
  return result;
}

// Ours and the peers on every workload, every target met; `change` plants a shortfall.
ResultSet Results(const std::function<void(ResultSet&)>& change = nullptr) {
  ResultSet results;
  const auto add = [&](const std::string& name, double rate, double syncs,
                       nlohmann::json extra = nlohmann::json::object()) {
    results[name].push_back(Result(name, rate, syncs, {{"keys", 1000}}, std::move(extra)));
  };
  for (const PeerWorkload& workload : kPeerWorkloads) {
    const std::string name(workload.name);
    const bool build = name.starts_with("btree/build");
    add(name, 300, name == "commit/durable_single_put" ? 1 : 0,
        build ? nlohmann::json{{"bytes_per_key", 120.0}, {"bytes_per_key_without_log", 110.0}}
              : nlohmann::json::object());
    add(PeerBenchmarkName("lmdb", name), 100, 2,
        build ? nlohmann::json{{"bytes_per_key", 150.0}, {"bytes_per_key_without_log", 150.0}}
              : nlohmann::json::object());
    add(PeerBenchmarkName("rocksdb", name), 250, 1);
  }
  add(std::string(kFloorBenchmark), 310, 1);
  if (change) change(results);
  return results;
}

std::map<std::string, std::optional<bool>> Verdicts(const ResultSet& results) {
  absl::StatusOr<PeersTable> table = BuildPeersTable(results, {"lmdb", "sqlite", "rocksdb"});
  NS_ASSERT(table.ok());
  std::map<std::string, std::optional<bool>> verdicts;
  for (const TargetCheck& check : CheckTargets(*table)) verdicts[check.target] = check.met;
  return verdicts;
}

void SetRate(ResultSet& results, const std::string& name, double rate) {
  results[name].front().results.items_per_second = rate;
}

TEST(PeersReportTest, EveryTargetMetWhenOursIsAhead) {
  const auto verdicts = Verdicts(Results());
  ASSERT_EQ(verdicts.size(), 10u);
  for (const auto& [target, met] : verdicts) EXPECT_EQ(met, true) << target;
}

TEST(PeersReportTest, EachTargetFailsOnAPlantedShortfall) {
  struct Plant {
    std::string target;
    std::function<void(ResultSet&)> change;
  };
  const std::vector<Plant> plants = {
      {"btree/point_get_hot_1m: Northstar/LMDB >= 1",
       [](ResultSet& r) { SetRate(r, "btree/point_get_hot_1m", 99); }},
      {"btree/range_scan_1k_rows_hot: Northstar/LMDB >= 1",
       [](ResultSet& r) { SetRate(r, "btree/range_scan_1k_rows_hot", 99); }},
      {"mvcc/snapshot_open_close: Northstar/LMDB >= 0.8",
       [](ResultSet& r) { SetRate(r, "mvcc/snapshot_open_close", 79); }},
      {"btree/build_sequential_insert_1m: Northstar/LMDB >= 1.2",
       [](ResultSet& r) { SetRate(r, "btree/build_sequential_insert_1m", 119); }},
      {"btree/build_random_insert_1m: Northstar/LMDB >= 2",
       [](ResultSet& r) { SetRate(r, "btree/build_random_insert_1m", 199); }},
      {"btree/build_random_insert_1m: bytes/key Northstar <= LMDB",
       [](ResultSet& r) {
         r["btree/build_random_insert_1m"].front().extra["bytes_per_key"] = 151.0;
       }},
      {"commit/durable_single_put: Northstar/RocksDB >= 1",
       [](ResultSet& r) {
         SetRate(r, PeerBenchmarkName("rocksdb", "commit/durable_single_put"), 301);
       }},
      {"commit/durable_single_put: Northstar >= 0.9 x floor/overwrite_4k_fdatasync",
       [](ResultSet& r) { SetRate(r, std::string(kFloorBenchmark), 400); }},
      {"commit/durable_single_put: Northstar syncs/op == 1",
       [](ResultSet& r) { r["commit/durable_single_put"].front().results.syncs_per_op = 2; }},
  };
  for (const Plant& plant : plants) {
    const auto verdicts = Verdicts(Results(plant.change));
    ASSERT_TRUE(verdicts.contains(plant.target)) << plant.target;
    EXPECT_EQ(verdicts.at(plant.target), false) << plant.target;
    int missed = 0;
    for (const auto& [target, met] : verdicts) missed += met == false ? 1 : 0;
    EXPECT_EQ(missed, 1) << plant.target;
  }
}

TEST(PeersReportTest, MissingEnginesAndMismatchedParametersAreNotJudged) {
  const ResultSet results = Results([](ResultSet& r) {
    r.erase(PeerBenchmarkName("rocksdb", "commit/durable_single_put"));
    r[PeerBenchmarkName("lmdb", "btree/point_get_hot_1m")].front().parameters["keys"] = 2000;
  });
  ASSERT_OK_AND_ASSIGN(const PeersTable table,
                       BuildPeersTable(results, {"lmdb", "sqlite", "rocksdb"}));
  const auto verdicts = Verdicts(results);
  EXPECT_EQ(verdicts.at("commit/durable_single_put: Northstar/RocksDB >= 1"), std::nullopt);
  EXPECT_EQ(verdicts.at("btree/point_get_hot_1m: Northstar/LMDB >= 1"), std::nullopt);
  std::ostringstream text;
  PrintPeersTable(table, CheckTargets(table), text);
  EXPECT_THAT(text.str(), HasSubstr("! lmdb: not like for like: keys 2000 vs ours 1000"));
  EXPECT_THAT(text.str(), HasSubstr("n/a      commit/durable_single_put: Northstar/RocksDB >= 1: "
                                    "rocksdb not run"));
  EXPECT_THAT(text.str(), HasSubstr("targets: 8 met, 0 not met, 2 not measured"));
}

TEST(PeersReportTest, TableAndMarkdownShowRatiosSyncsAndBytes) {
  ASSERT_OK_AND_ASSIGN(const PeersTable table, BuildPeersTable(Results(), {"lmdb", "rocksdb"}));
  std::ostringstream text;
  PrintPeersTable(table, CheckTargets(table), text);
  EXPECT_THAT(text.str(),
              HasSubstr(absl::StrFormat("%-34s %-10s", "btree/point_get_hot_1m", "northstar")));
  EXPECT_THAT(text.str(), HasSubstr("3.00x"));  // 300 / 100.
  EXPECT_THAT(text.str(), HasSubstr("150.0"));  // LMDB's bytes/key.
  EXPECT_THAT(text.str(), HasSubstr("floor/overwrite_4k_fdatasync: 310 ops/s"));
  EXPECT_THAT(text.str(), HasSubstr("targets: 10 met, 0 not met, 0 not measured"));
  std::ostringstream markdown;
  PrintPeersMarkdown(table, CheckTargets(table), markdown);
  EXPECT_THAT(markdown.str(), HasSubstr("Machine: Test CPU, 2 cores"));
  EXPECT_THAT(markdown.str(), HasSubstr("| workload | Northstar | LMDB | RocksDB |"));
  EXPECT_THAT(markdown.str(), HasSubstr("100/s (N/peer 3.00x)"));
  EXPECT_THAT(markdown.str(),
              HasSubstr("- met: commit/durable_single_put: Northstar syncs/op == 1"));
}

}  // namespace
}  // namespace northstar::bench
