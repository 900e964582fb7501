#include "apps/code_graph.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/hash.h"

namespace northstar::apps {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The records as an ordered map: a database without a database.
std::map<std::string, std::string> Ingest(const CodeGraphConfig& config,
                                          CodeGraphTotals* totals = nullptr) {
  std::map<std::string, std::string> records;
  absl::StatusOr<CodeGraphTotals> result =
      ForEachRecord(config, [&](std::string_view key, std::string_view value) {
        const bool inserted = records.emplace(std::string(key), std::string(value)).second;
        EXPECT_TRUE(inserted) << "key emitted twice: " << key;
        return absl::OkStatus();
      });
  EXPECT_TRUE(result.ok()) << result.status();
  if (totals != nullptr && result.ok()) *totals = *result;
  return records;
}

uint64_t RecordStreamHash(const CodeGraphConfig& config) {
  Xxh3Stream hash;
  absl::StatusOr<CodeGraphTotals> totals =
      ForEachRecord(config, [&](std::string_view key, std::string_view value) {
        hash.Update(key);
        hash.Update("\0", 1);
        hash.Update(value);
        hash.Update("\0", 1);
        return absl::OkStatus();
      });
  EXPECT_TRUE(totals.ok());
  return hash.Digest();
}

const CodeGraphConfig kSmall{.seed = 7,
                             .modules = 6,
                             .files_per_module = 5,
                             .functions_per_file = 4,
                             .calls_per_function = 3,
                             .imports_per_file = 2};

TEST(CodeGraphTest, KeysAreFixedWidthSoKeyOrderIsIdAndPathOrder) {
  EXPECT_EQ(FilePath(3, 12), "src/m0003/f0012.cc");
  EXPECT_EQ(ModuleDirectory(3), "src/m0003/");
  EXPECT_EQ(FileKey("src/m0003/f0012.cc"), "file:src/m0003/f0012.cc");
  EXPECT_EQ(FunctionKey(123), "fn:0000000123");
  EXPECT_EQ(PathKey("src/m0003/f0012.cc", 123), "path:src/m0003/f0012.cc:0000000123");
  EXPECT_EQ(CallsKey(1, 2), "calls:0000000001:0000000002");
  EXPECT_EQ(CallersKey(2, 1), "callers:0000000002:0000000001");
  EXPECT_EQ(CallersPrefix(2), "callers:0000000002:");
  EXPECT_EQ(ImportsKey(3, 1), "imports:m0003:m0001");
  EXPECT_EQ(ImportsPrefix(3), "imports:m0003:");
  EXPECT_LT(FunctionKey(9), FunctionKey(10));
  EXPECT_LT(FilePath(0, 9), FilePath(0, 10));
  EXPECT_LT(FilePath(9, 0), FilePath(10, 0));
}

TEST(CodeGraphTest, KeysParseBackAndMalformedOnesDoNot) {
  EXPECT_EQ(CallerOfCallersKey(CallersKey(2, 17)), 17u);
  EXPECT_EQ(DependencyOfImportsKey(ImportsKey(3, 12)), 12u);
  EXPECT_EQ(FunctionOfPathKey(PathKey("src/m0003/f0012.cc", 99)), 99u);
  EXPECT_EQ(CallerOfCallersKey(CallsKey(2, 17)), std::nullopt);
  EXPECT_EQ(CallerOfCallersKey("callers:0000000002:000000001x"), std::nullopt);
  EXPECT_EQ(CallerOfCallersKey("callers:0000000002:00000000017"), std::nullopt);
  EXPECT_EQ(DependencyOfImportsKey("imports:m0003:x0012"), std::nullopt);
  EXPECT_EQ(DependencyOfImportsKey("imports:m0003-m0012"), std::nullopt);
  EXPECT_EQ(FunctionOfPathKey("path:src/m0003/f0012.cc"), std::nullopt);
  EXPECT_EQ(FunctionOfPathKey(FunctionKey(5)), std::nullopt);
}

TEST(CodeGraphTest, SameConfigSameRecordsInTheSameOrder) {
  EXPECT_EQ(RecordStreamHash(kSmall), RecordStreamHash(kSmall));
  CodeGraphConfig other = kSmall;
  other.seed = 8;
  EXPECT_NE(RecordStreamHash(kSmall), RecordStreamHash(other));
}

// Pins the generator: the simulation scenario and the benchmark results depend on the records
// being the same on every build. A deliberate change of the generator updates this hash.
TEST(CodeGraphTest, RecordsArePinned) {
  EXPECT_EQ(RecordStreamHash(kSmall), 0xb2c50f9022037a29u);
}

TEST(CodeGraphTest, TotalsCountWhatWasEmitted) {
  CodeGraphTotals totals;
  const std::map<std::string, std::string> records = Ingest(kSmall, &totals);
  EXPECT_EQ(totals.records, records.size());
  EXPECT_EQ(totals.files, FileCount(kSmall));
  EXPECT_EQ(totals.functions, FunctionCount(kSmall));
  uint64_t key_bytes = 0, value_bytes = 0, calls = 0, imports = 0;
  for (const auto& [key, value] : records) {
    key_bytes += key.size();
    value_bytes += value.size();
    calls += key.starts_with("calls:");
    imports += key.starts_with("imports:");
  }
  EXPECT_EQ(totals.key_bytes, key_bytes);
  EXPECT_EQ(totals.value_bytes, value_bytes);
  EXPECT_EQ(totals.call_edges, calls);
  EXPECT_EQ(totals.import_edges, imports);
  EXPECT_EQ(records.size(), totals.files + 2 * totals.functions + 2 * calls + imports);
  EXPECT_GT(calls, FunctionCount(kSmall));  // Most of the 3 draws per function stay.
}

TEST(CodeGraphTest, RecordsDescribeTheRepository) {
  const std::map<std::string, std::string> records = Ingest(kSmall);
  const uint64_t id = 2 * 5 * 4 + 3 * 4 + 1;  // module 2, file 3, function 1
  EXPECT_EQ(FilePathOfFunction(kSmall, id), "src/m0002/f0003.cc");
  EXPECT_EQ(records.at(FunctionKey(id)),
            R"({"file":"src/m0002/f0003.cc","name":")" + FunctionName(kSmall, id) + R"("})");
  EXPECT_EQ(records.at(PathKey("src/m0002/f0003.cc", id)), FunctionName(kSmall, id));
  EXPECT_THAT(FunctionName(kSmall, id), HasSubstr("_0000000053"));
  EXPECT_EQ(records.at(FileKey("src/m0002/f0003.cc")),
            R"({"module":"m0002","functions":4,"imports":2})");
  EXPECT_EQ(records.at(FileKey("src/m0000/f0000.cc")),
            R"({"module":"m0000","functions":4,"imports":0})");
  for (const Call& call : CallsOf(kSmall, id)) {
    EXPECT_EQ(records.at(CallsKey(id, call.callee)), std::to_string(call.sites));
    EXPECT_EQ(records.at(CallersKey(call.callee, id)), std::to_string(call.sites));
  }
}

TEST(CodeGraphTest, ImportsFormADagOfDistinctLowerModules) {
  for (uint32_t module = 0; module < kSmall.modules; module++) {
    for (uint32_t file = 0; file < kSmall.files_per_module; file++) {
      const std::vector<uint32_t> imports = FileImports(kSmall, module, file);
      EXPECT_EQ(imports.size(), std::min(module, kSmall.imports_per_file));
      EXPECT_EQ(std::set<uint32_t>(imports.begin(), imports.end()).size(), imports.size());
      for (uint32_t dep : imports) EXPECT_LT(dep, module);
    }
  }
  EXPECT_THAT(DependenciesOf(kSmall, 0), ElementsAre());
  EXPECT_THAT(DependenciesOf(kSmall, 1), ElementsAre(0u));
}

TEST(CodeGraphTest, CallsAreDistinctNotSelfAndMostlyLocal) {
  uint64_t local = 0, total = 0;
  for (uint64_t caller = 0; caller < FunctionCount(kSmall); caller++) {
    const std::vector<Call> calls = CallsOf(kSmall, caller);
    EXPECT_LE(calls.size(), kSmall.calls_per_function);
    for (size_t index = 0; index < calls.size(); index++) {
      EXPECT_NE(calls[index].callee, caller);
      EXPECT_LT(calls[index].callee, FunctionCount(kSmall));
      EXPECT_GE(calls[index].sites, 1u);
      EXPECT_LE(calls[index].sites, kCallSitesMax);
      if (index > 0) {
        EXPECT_LT(calls[index - 1].callee, calls[index].callee);
      }
      local += calls[index].callee / 20 == caller / 20;
      total++;
    }
  }
  EXPECT_GT(local * 3, total);  // About half of the calls stay in the module.
}

// The expected-answer helpers agree with prefix and range scans over the emitted records: the
// checks the benchmark and the simulation scenario rely on.
std::vector<uint64_t> ScanCallers(const std::map<std::string, std::string>& records,
                                  uint64_t callee) {
  std::vector<uint64_t> callers;
  const std::string prefix = CallersPrefix(callee);
  for (auto it = records.lower_bound(prefix); it != records.end() && it->first.starts_with(prefix);
       ++it) {
    callers.push_back(*CallerOfCallersKey(it->first));
  }
  return callers;
}

TEST(CodeGraphTest, CallersOfMatchesThePrefixScan) {
  const std::map<std::string, std::string> records = Ingest(kSmall);
  std::vector<uint64_t> everyone;
  for (uint64_t id = 0; id < FunctionCount(kSmall); id++) everyone.push_back(id);
  const std::vector<std::vector<uint64_t>> expected = CallersOfEach(kSmall, everyone);
  uint64_t with_callers = 0;
  for (uint64_t id = 0; id < FunctionCount(kSmall); id++) {
    EXPECT_EQ(ScanCallers(records, id), expected[id]) << id;
    with_callers += !expected[id].empty();
  }
  EXPECT_GT(with_callers, FunctionCount(kSmall) / 2);
  EXPECT_EQ(CallersOf(kSmall, 5), expected[5]);
  EXPECT_EQ(CallersOfEach(kSmall, {5, 5})[1], expected[5]);
}

TEST(CodeGraphTest, DependenciesOfMatchesThePrefixScan) {
  const std::map<std::string, std::string> records = Ingest(kSmall);
  for (uint32_t module = 0; module < kSmall.modules; module++) {
    std::vector<uint32_t> scanned;
    const std::string prefix = ImportsPrefix(module);
    for (auto it = records.lower_bound(prefix);
         it != records.end() && it->first.starts_with(prefix); ++it) {
      scanned.push_back(*DependencyOfImportsKey(it->first));
    }
    EXPECT_EQ(scanned, DependenciesOf(kSmall, module)) << module;
  }
}

TEST(CodeGraphTest, FunctionsFromPathMatchesTheRangeScan) {
  const std::map<std::string, std::string> records = Ingest(kSmall);
  auto scan = [&](std::string_view path_prefix, size_t limit) {
    std::vector<uint64_t> functions;
    for (auto it = records.lower_bound(PathScanStart(path_prefix));
         it != records.end() && it->first.starts_with("path:") && functions.size() < limit; ++it) {
      functions.push_back(*FunctionOfPathKey(it->first));
    }
    return functions;
  };
  const std::string starts[] = {"",
                                "src/",
                                ModuleDirectory(2),
                                FilePath(2, 3),
                                FilePath(2, 3) + ":0000000050",
                                "src/m0002/f0003.cd",
                                FilePath(5, 4),
                                "src/m0005/f0004.cc:9",
                                "src/z"};
  for (const std::string& start : starts) {
    for (size_t limit : {1, 7, 100, 1000}) {
      EXPECT_EQ(FunctionsFromPath(kSmall, start, limit), scan(start, limit)) << start << " " << limit;
    }
  }
  EXPECT_EQ(FunctionsFromPath(kSmall, ModuleDirectory(2), 3).front(), 2u * 5 * 4);
}

TEST(CodeGraphTest, BadSizesAreRefusedByName) {
  CodeGraphConfig config = kSmall;
  config.modules = 0;
  EXPECT_THAT(ValidateCodeGraphConfig(config).message(), HasSubstr("modules = 0"));
  config = kSmall;
  config.calls_per_function = kCodeGraphCallsPerFunctionMax + 1;
  EXPECT_THAT(ValidateCodeGraphConfig(config).message(), HasSubstr("calls_per_function"));
  config = kSmall;
  config.modules = kCodeGraphModulesMax;
  config.files_per_module = kCodeGraphFilesPerModuleMax;
  config.functions_per_file = kCodeGraphFunctionsPerFileMax;
  EXPECT_THAT(ValidateCodeGraphConfig(config).message(), HasSubstr("10-digit ids"));
  absl::StatusOr<CodeGraphTotals> totals =
      ForEachRecord(config, [](std::string_view, std::string_view) { return absl::OkStatus(); });
  EXPECT_FALSE(totals.ok());
  EXPECT_TRUE(ValidateCodeGraphConfig(kSmall).ok());
}

TEST(CodeGraphTest, ACallbackErrorStopsTheWalk) {
  int calls = 0;
  absl::StatusOr<CodeGraphTotals> totals =
      ForEachRecord(kSmall, [&](std::string_view, std::string_view) {
        return ++calls == 10 ? absl::CancelledError("enough") : absl::OkStatus();
      });
  EXPECT_EQ(totals.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 10);
}

}  // namespace
}  // namespace northstar::apps
