#include "bench/results.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "bench/json_schema.h"
#include "util/assert.h"

namespace northstar::bench {

// bench/results_schema.cc.in, generated from bench/results.schema.json.
extern const char kResultSchemaText[];

namespace {

using nlohmann::json;

const JsonSchema& ResultSchema() {
  static const JsonSchema* schema = [] {
    absl::StatusOr<JsonSchema> parsed = JsonSchema::Parse(kResultSchemaText);
    NS_ASSERT_MSG(parsed.ok(), std::string(parsed.status().message()));
    return new JsonSchema(*std::move(parsed));
  }();
  return *schema;
}

json OptionalJson(const std::optional<uint64_t>& value) {
  return value ? json(*value) : json(nullptr);
}
json OptionalJson(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

json ConfigJson(const RepeatConfig& config) {
  return {{"backend", config.backend},
          {"dir", config.dir},
          {"scale", config.scale},
          {"repeats", config.repeats},
          {"ops", config.ops},
          {"warmup_ops", config.warmup_ops},
          {"warmup_ns", config.warmup_ns},
          {"items_per_op", config.items_per_op},
          {"seed", config.seed},
          {"plant_slowdown", config.plant_slowdown},
          {"profile", config.profile}};
}

json MeasurementJson(const Measurement& m) {
  return {{"ops", m.ops},
          {"items", m.items},
          {"seconds", m.seconds},
          {"ops_per_second", m.ops_per_second},
          {"items_per_second", m.items_per_second},
          {"latency_ns_mean", m.latency_ns_mean},
          {"latency_ns_p50", m.latency_ns_p50},
          {"latency_ns_p95", m.latency_ns_p95},
          {"latency_ns_p99", m.latency_ns_p99},
          {"latency_ns_max", m.latency_ns_max},
          {"bytes_read", m.bytes_read},
          {"bytes_written", m.bytes_written},
          {"syncs", m.syncs},
          {"syncs_per_op", m.syncs_per_op},
          {"io_counters", m.io_counters},
          {"allocations", OptionalJson(m.allocations)},
          {"allocations_per_op", OptionalJson(m.allocations_per_op)},
          {"peak_rss_bytes", m.peak_rss_bytes},
          {"peak_rss_reset", m.peak_rss_reset}};
}

json SystemJson(const SystemInfo& s) {
  return {{"cpu_model", s.cpu_model},
          {"cores", s.cores},
          {"ram_bytes", s.ram_bytes},
          {"kernel", s.kernel},
          {"dir_file_system", s.dir_file_system},
          {"dir_device", s.dir_device},
          {"compiler", s.compiler},
          {"build_type", s.build_type},
          {"git_commit", s.git_commit},
          {"northstar_version", s.northstar_version},
          {"hostname", s.hostname},
          {"timestamp_utc", s.timestamp_utc}};
}

RepeatConfig ConfigFrom(const json& j) {
  RepeatConfig config;
  config.backend = j.at("backend").get<std::string>();
  config.dir = j.at("dir").get<std::string>();
  config.scale = j.at("scale").get<double>();
  config.repeats = j.at("repeats").get<uint32_t>();
  config.ops = j.at("ops").get<uint64_t>();
  config.warmup_ops = j.at("warmup_ops").get<uint64_t>();
  config.warmup_ns = j.at("warmup_ns").get<uint64_t>();
  config.items_per_op = j.at("items_per_op").get<uint64_t>();
  config.seed = j.at("seed").get<uint64_t>();
  config.plant_slowdown = j.at("plant_slowdown").get<double>();
  config.profile = j.at("profile").get<std::string>();
  return config;
}

Measurement MeasurementFrom(const json& j) {
  Measurement m;
  m.ops = j.at("ops").get<uint64_t>();
  m.items = j.at("items").get<uint64_t>();
  m.seconds = j.at("seconds").get<double>();
  m.ops_per_second = j.at("ops_per_second").get<double>();
  m.items_per_second = j.at("items_per_second").get<double>();
  m.latency_ns_mean = j.at("latency_ns_mean").get<double>();
  m.latency_ns_p50 = j.at("latency_ns_p50").get<uint64_t>();
  m.latency_ns_p95 = j.at("latency_ns_p95").get<uint64_t>();
  m.latency_ns_p99 = j.at("latency_ns_p99").get<uint64_t>();
  m.latency_ns_max = j.at("latency_ns_max").get<uint64_t>();
  m.bytes_read = j.at("bytes_read").get<uint64_t>();
  m.bytes_written = j.at("bytes_written").get<uint64_t>();
  m.syncs = j.at("syncs").get<uint64_t>();
  m.syncs_per_op = j.at("syncs_per_op").get<double>();
  m.io_counters = j.at("io_counters").get<std::string>();
  if (!j.at("allocations").is_null()) m.allocations = j.at("allocations").get<uint64_t>();
  if (!j.at("allocations_per_op").is_null()) {
    m.allocations_per_op = j.at("allocations_per_op").get<double>();
  }
  m.peak_rss_bytes = j.at("peak_rss_bytes").get<uint64_t>();
  m.peak_rss_reset = j.at("peak_rss_reset").get<bool>();
  return m;
}

SystemInfo SystemFrom(const json& j) {
  SystemInfo s;
  s.cpu_model = j.at("cpu_model").get<std::string>();
  s.cores = j.at("cores").get<uint64_t>();
  s.ram_bytes = j.at("ram_bytes").get<uint64_t>();
  s.kernel = j.at("kernel").get<std::string>();
  s.dir_file_system = j.at("dir_file_system").get<std::string>();
  s.dir_device = j.at("dir_device").get<std::string>();
  s.compiler = j.at("compiler").get<std::string>();
  s.build_type = j.at("build_type").get<std::string>();
  s.git_commit = j.at("git_commit").get<std::string>();
  s.northstar_version = j.at("northstar_version").get<std::string>();
  s.hostname = j.at("hostname").get<std::string>();
  s.timestamp_utc = j.at("timestamp_utc").get<std::string>();
  return s;
}

// "name_r012.json" -> 12; nullopt for any other file name.
std::optional<uint32_t> RepeatOfFileName(const std::string& file_name, std::string* stem) {
  constexpr std::string_view kSuffix = ".json";
  if (file_name.size() < 5 + 5 + 1 || !file_name.ends_with(kSuffix)) return std::nullopt;
  const std::string base = file_name.substr(0, file_name.size() - kSuffix.size());
  const size_t marker = base.size() - 5;  // "_rNNN"
  if (base.compare(marker, 2, "_r") != 0) return std::nullopt;
  uint32_t repeat = 0;
  for (size_t index = marker + 2; index < base.size(); index++) {
    if (base[index] < '0' || base[index] > '9') return std::nullopt;
    repeat = repeat * 10 + static_cast<uint32_t>(base[index] - '0');
  }
  if (stem != nullptr) *stem = base.substr(0, marker);
  return repeat;
}

}  // namespace

std::string_view ResultSchemaText() { return kResultSchemaText; }

std::string ResultFileStem(std::string_view benchmark) {
  std::string stem;
  for (char c : benchmark) {
    if (c == '/') {
      stem += "__";
    } else {
      stem += c;
    }
  }
  return stem;
}

std::string ResultFileName(std::string_view benchmark, uint32_t repeat) {
  NS_ASSERT(repeat <= kRepeatsMax);
  return absl::StrFormat("%s_r%03d.json", ResultFileStem(benchmark), repeat);
}

json ToJson(const RepeatResult& result) {
  return {{"schema_version", kResultSchemaVersion},
          {"benchmark", result.benchmark},
          {"description", result.description},
          {"unit", result.unit},
          {"repeat", result.repeat},
          {"config", ConfigJson(result.config)},
          {"parameters", result.parameters},
          {"results", MeasurementJson(result.results)},
          {"extra", result.extra},
          {"system", SystemJson(result.system)}};
}

absl::Status ValidateResultJson(const json& document, std::string_view what) {
  return ResultSchema().validate(document, what);
}

absl::StatusOr<RepeatResult> FromJson(const json& document, std::string_view what) {
  if (absl::Status status = ValidateResultJson(document, what); !status.ok()) return status;
  try {
    RepeatResult result;
    result.benchmark = document.at("benchmark").get<std::string>();
    result.description = document.at("description").get<std::string>();
    result.unit = document.at("unit").get<std::string>();
    result.repeat = document.at("repeat").get<uint32_t>();
    result.config = ConfigFrom(document.at("config"));
    result.parameters = document.at("parameters");
    result.results = MeasurementFrom(document.at("results"));
    result.extra = document.at("extra");
    result.system = SystemFrom(document.at("system"));
    return result;
  } catch (const json::exception& error) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", what, error.what()));
  }
}

absl::StatusOr<std::string> WriteResultFile(const RepeatResult& result, const std::string& dir) {
  const json document = ToJson(result);
  const std::string path =
      (std::filesystem::path(dir) / ResultFileName(result.benchmark, result.repeat)).string();
  if (absl::Status status = ValidateResultJson(document, path); !status.ok()) return status;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << document.dump(2) << "\n";
    out.close();
    if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", temporary));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", path, error.message()));
  }
  return path;
}

absl::StatusOr<RepeatResult> ReadResultFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: cannot open", path));
  std::stringstream text;
  text << in.rdbuf();
  const json document = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: not valid JSON", path));
  }
  absl::StatusOr<RepeatResult> result = FromJson(document, path);
  if (!result.ok()) return result.status();
  const std::string file_name = std::filesystem::path(path).filename().string();
  if (file_name != ResultFileName(result->benchmark, result->repeat)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: holds repeat %d of %s, which belongs in %s", path, result->repeat,
                        result->benchmark, ResultFileName(result->benchmark, result->repeat)));
  }
  return result;
}

absl::Status RemoveResultFiles(const std::string& dir, std::string_view benchmark) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return absl::OkStatus();
  const std::string stem = ResultFileStem(benchmark);
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string file_stem;
    const std::string name = entry.path().filename().string();
    if (RepeatOfFileName(name, &file_stem) && file_stem == stem) {
      std::filesystem::remove(entry.path(), error);
      if (error) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: cannot remove: %s", entry.path().string(), error.message()));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ResultSet> ReadResultDir(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrFormat("%s: no such directory", dir));
  }
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && RepeatOfFileName(entry.path().filename().string(), nullptr)) {
      paths.push_back(entry.path().string());
    }
  }
  if (paths.empty()) {
    return absl::NotFoundError(absl::StrFormat("%s: no result files (*_rNNN.json)", dir));
  }
  std::sort(paths.begin(), paths.end());
  ResultSet results;
  for (const std::string& path : paths) {
    absl::StatusOr<RepeatResult> result = ReadResultFile(path);
    if (!result.ok()) return result.status();
    results[result->benchmark].push_back(*std::move(result));
  }
  for (auto& [name, repeats] : results) {
    std::sort(repeats.begin(), repeats.end(),
              [](const RepeatResult& a, const RepeatResult& b) { return a.repeat < b.repeat; });
  }
  return results;
}

}  // namespace northstar::bench
