// Benchmark results: one repeat of one benchmark (RepeatResult), its JSON form and its file.
//
// Files. `northstar bench run --out DIR` writes one file per repeat:
//   DIR/<name, each '/' as "__">_r<repeat as 3 digits>.json
// e.g. DIR/btree__point_get_hot_1m_r000.json. Names never contain "__" (harness.h), so the file
// name maps back to the benchmark. Files hold no aggregation; medians and the coefficient of
// variation are computed when results are read (bench/stats.h).
//
// Every file is validated against bench/results.schema.json (embedded in the binary at build
// time) before it is written and whenever it is read; a file that fails is an InvalidArgument
// naming the file and the JSON Pointer of the offending field.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace northstar::bench {

inline constexpr int kResultSchemaVersion = 1;
// Repeats of one benchmark in one run (the file name has three digits).
inline constexpr uint32_t kRepeatsMax = 999;

// Where and how the machine ran (bench/system_info.h fills it).
struct SystemInfo {
  std::string cpu_model;
  uint64_t cores = 1;
  uint64_t ram_bytes = 0;
  std::string kernel;
  std::string dir_file_system;
  std::string dir_device;
  std::string compiler;
  std::string build_type;
  std::string git_commit;
  std::string northstar_version;
  std::string hostname;
  std::string timestamp_utc;
};

// How the harness ran a repeat.
struct RepeatConfig {
  std::string backend;  // "posix", "uring", or "none" for benchmarks that touch no disk.
  std::string dir;
  double scale = 1;
  uint32_t repeats = 1;
  uint64_t ops = 1;
  uint64_t warmup_ops = 0;
  uint64_t warmup_ns = 0;
  uint64_t items_per_op = 1;
  uint64_t seed = 1;
  double plant_slowdown = 0;
  std::string profile;
};

struct Measurement {
  uint64_t ops = 0;
  uint64_t items = 0;
  double seconds = 0;
  double ops_per_second = 0;
  double items_per_second = 0;
  double latency_ns_mean = 0;
  uint64_t latency_ns_p50 = 0;
  uint64_t latency_ns_p95 = 0;
  uint64_t latency_ns_p99 = 0;
  uint64_t latency_ns_max = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t syncs = 0;
  double syncs_per_op = 0;
  std::string io_counters = "vfs";  // "vfs", "external" or "none".
  std::optional<uint64_t> allocations;
  std::optional<double> allocations_per_op;
  uint64_t peak_rss_bytes = 0;
  bool peak_rss_reset = false;
};

struct RepeatResult {
  std::string benchmark;
  std::string description;
  std::string unit;
  uint32_t repeat = 0;
  RepeatConfig config;
  nlohmann::json parameters = nlohmann::json::object();
  Measurement results;
  nlohmann::json extra = nlohmann::json::object();
  SystemInfo system;
};

// "btree/point_get_hot_1m", 0 -> "btree__point_get_hot_1m_r000.json".
[[nodiscard]] std::string ResultFileName(std::string_view benchmark, uint32_t repeat);
// "btree/point_get_hot_1m" -> "btree__point_get_hot_1m".
[[nodiscard]] std::string ResultFileStem(std::string_view benchmark);

[[nodiscard]] nlohmann::json ToJson(const RepeatResult& result);
// Validates against the schema first; InvalidArgument "<what>: <pointer>: <problem>".
[[nodiscard]] absl::StatusOr<RepeatResult> FromJson(const nlohmann::json& document,
                                                    std::string_view what);
// The problems of `document` against the results schema (empty when valid).
[[nodiscard]] absl::Status ValidateResultJson(const nlohmann::json& document,
                                              std::string_view what);
// The schema text, as embedded at build time.
[[nodiscard]] std::string_view ResultSchemaText();

// Validates, then writes DIR/ResultFileName(...) (through a temporary file and a rename).
// Returns the path written.
[[nodiscard]] absl::StatusOr<std::string> WriteResultFile(const RepeatResult& result,
                                                          const std::string& dir);
// Reads and validates one file; checks that its name matches its benchmark and repeat.
[[nodiscard]] absl::StatusOr<RepeatResult> ReadResultFile(const std::string& path);
// Removes DIR/<stem>_r*.json of `benchmark` (left by an earlier run with more repeats).
[[nodiscard]] absl::Status RemoveResultFiles(const std::string& dir, std::string_view benchmark);

// Every result file (*_rNNN.json) of a directory, grouped by benchmark (ordered by name), each
// group ordered by repeat. Other files are ignored. InvalidArgument for a file that does not
// validate; NotFound when the directory does not exist or holds no result file.
using ResultSet = std::map<std::string, std::vector<RepeatResult>>;
[[nodiscard]] absl::StatusOr<ResultSet> ReadResultDir(const std::string& dir);

}  // namespace northstar::bench
