#include "apps/code_graph.h"

#include <algorithm>
#include <array>
#include <map>

#include "absl/strings/str_format.h"
#include "apps/streams.h"
#include "util/assert.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::apps {
namespace {

// Stream names of the draws (see StreamSeed).
constexpr uint64_t kImportsStream = 1;
constexpr uint64_t kCallsStream = 2;
constexpr uint64_t kNamesStream = 3;

constexpr std::array<std::string_view, 16> kVerbs = {
    "parse", "build", "load",  "store", "merge", "split", "check",  "apply",
    "emit",  "scan",  "visit", "flush", "open",  "close", "encode", "decode"};
constexpr std::array<std::string_view, 16> kNouns = {
    "header", "page",  "node",  "record", "token", "block", "index",  "cache",
    "table",  "batch", "frame", "entry",  "graph", "scope", "symbol", "buffer"};

uint64_t FunctionsPerModule(const CodeGraphConfig& config) {
  return uint64_t{config.files_per_module} * config.functions_per_file;
}

uint32_t ModuleOfFunction(const CodeGraphConfig& config, uint64_t id) {
  return static_cast<uint32_t>(id / FunctionsPerModule(config));
}

uint32_t FileOfFunction(const CodeGraphConfig& config, uint64_t id) {
  return static_cast<uint32_t>((id / config.functions_per_file) % config.files_per_module);
}

uint64_t FirstFunctionOfFile(const CodeGraphConfig& config, uint64_t file_index) {
  return file_index * config.functions_per_file;
}

// Exactly `digits` decimal digits.
std::optional<uint64_t> ParseDigits(std::string_view text, size_t digits) {
  if (text.size() != digits) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// The last component of a key of `size` bytes starting with `prefix`: the `digits` bytes after
// its last ':', which must be decimal digits after `lead` (if any).
std::optional<uint64_t> LastNumber(std::string_view key, std::string_view prefix, size_t size,
                                   std::string_view lead, size_t digits) {
  if (key.size() != size || !key.starts_with(prefix)) return std::nullopt;
  const std::string_view last = key.substr(key.size() - lead.size() - digits);
  if (key[key.size() - last.size() - 1] != ':' || !last.starts_with(lead)) return std::nullopt;
  return ParseDigits(last.substr(lead.size()), digits);
}

// One call draw of `caller` (in a file importing `imports`): half stay in the module, a third go
// to an imported module, the rest anywhere.
uint64_t DrawCallee(const CodeGraphConfig& config, uint64_t caller,
                    const std::vector<uint32_t>& imports, Rng& rng) {
  const uint64_t kind = rng.Uniform(6);
  uint32_t module = ModuleOfFunction(config, caller);
  if (kind == 5 || (kind >= 3 && imports.empty())) {
    if (kind == 5) module = static_cast<uint32_t>(rng.Uniform(config.modules));
  } else if (kind >= 3) {
    module = imports[rng.Uniform(imports.size())];
  }
  return module * FunctionsPerModule(config) + rng.Uniform(FunctionsPerModule(config));
}

std::vector<Call> CallsWithImports(const CodeGraphConfig& config, uint64_t caller,
                                   const std::vector<uint32_t>& imports) {
  Rng rng(StreamSeed(config.seed, kCallsStream, caller));
  std::vector<Call> calls;
  for (uint32_t slot = 0; slot < config.calls_per_function; slot++) {
    const uint64_t callee = DrawCallee(config, caller, imports, rng);
    const uint32_t sites = static_cast<uint32_t>(1 + rng.Uniform(kCallSitesMax));
    if (callee == caller) continue;
    if (std::any_of(calls.begin(), calls.end(), [&](const Call& c) { return c.callee == callee; }))
      continue;
    calls.push_back(Call{.callee = callee, .sites = sites});
  }
  std::sort(calls.begin(), calls.end(),
            [](const Call& a, const Call& b) { return a.callee < b.callee; });
  NS_ASSERT(calls.size() <= config.calls_per_function);
  return calls;
}

absl::Status EmitFunction(const CodeGraphConfig& config, uint64_t id, const std::string& path,
                          const std::vector<uint32_t>& imports, const RecordCallback& callback,
                          CodeGraphTotals& totals) {
  auto emit = [&](const std::string& key, const std::string& value) {
    totals.records++;
    totals.key_bytes += key.size();
    totals.value_bytes += value.size();
    return callback(key, value);
  };
  const std::string name = FunctionName(config, id);
  NS_RETURN_IF_ERROR(
      emit(FunctionKey(id), absl::StrFormat(R"({"file":"%s","name":"%s"})", path, name)));
  NS_RETURN_IF_ERROR(emit(PathKey(path, id), name));
  const std::vector<Call> calls = CallsWithImports(config, id, imports);
  for (const Call& call : calls) {
    NS_RETURN_IF_ERROR(emit(CallsKey(id, call.callee), absl::StrFormat("%d", call.sites)));
  }
  for (const Call& call : calls) {
    NS_RETURN_IF_ERROR(emit(CallersKey(call.callee, id), absl::StrFormat("%d", call.sites)));
  }
  totals.call_edges += calls.size();
  return absl::OkStatus();
}

absl::Status EmitModule(const CodeGraphConfig& config, uint32_t module,
                        const RecordCallback& callback, CodeGraphTotals& totals) {
  std::map<uint32_t, uint32_t> files_importing;  // dep -> files of this module importing it
  for (uint32_t file = 0; file < config.files_per_module; file++) {
    const std::string path = FilePath(module, file);
    const std::vector<uint32_t> imports = FileImports(config, module, file);
    for (uint32_t dep : imports) files_importing[dep]++;
    const std::string key = FileKey(path);
    const std::string value =
        absl::StrFormat(R"({"module":"%s","functions":%d,"imports":%d})", ModuleName(module),
                        config.functions_per_file, imports.size());
    totals.records++;
    totals.files++;
    totals.key_bytes += key.size();
    totals.value_bytes += value.size();
    NS_RETURN_IF_ERROR(callback(key, value));
    const uint64_t first = FirstFunctionOfFile(
        config, uint64_t{module} * config.files_per_module + file);
    for (uint64_t id = first; id < first + config.functions_per_file; id++) {
      NS_RETURN_IF_ERROR(EmitFunction(config, id, path, imports, callback, totals));
      totals.functions++;
    }
  }
  for (const auto& [dep, files] : files_importing) {
    const std::string key = ImportsKey(module, dep);
    const std::string value = absl::StrFormat("%d", files);
    totals.records++;
    totals.import_edges++;
    totals.key_bytes += key.size();
    totals.value_bytes += value.size();
    NS_RETURN_IF_ERROR(callback(key, value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCodeGraphConfig(const CodeGraphConfig& config) {
  struct Limit {
    const char* name;
    uint64_t value, min, max;
  };
  const Limit limits[] = {
      {"modules", config.modules, 1, kCodeGraphModulesMax},
      {"files_per_module", config.files_per_module, 1, kCodeGraphFilesPerModuleMax},
      {"functions_per_file", config.functions_per_file, 1, kCodeGraphFunctionsPerFileMax},
      {"calls_per_function", config.calls_per_function, 0, kCodeGraphCallsPerFunctionMax},
      {"imports_per_file", config.imports_per_file, 0, kCodeGraphImportsPerFileMax},
  };
  for (const Limit& limit : limits) {
    if (limit.value < limit.min || limit.value > limit.max) {
      return absl::InvalidArgumentError(absl::StrFormat("code graph: %s = %d is outside [%d, %d]",
                                                        limit.name, limit.value, limit.min,
                                                        limit.max));
    }
  }
  if (FunctionCount(config) > kCodeGraphFunctionsMax) {
    return absl::InvalidArgumentError(
        absl::StrFormat("code graph: %d functions in all, more than the %d that 10-digit ids hold",
                        FunctionCount(config), kCodeGraphFunctionsMax));
  }
  return absl::OkStatus();
}

uint64_t FileCount(const CodeGraphConfig& config) {
  return uint64_t{config.modules} * config.files_per_module;
}

uint64_t FunctionCount(const CodeGraphConfig& config) {
  return FileCount(config) * config.functions_per_file;
}

std::string ModuleName(uint32_t module) {
  NS_ASSERT(module <= kCodeGraphModulesMax);
  return absl::StrFormat("m%04d", module);
}

std::string ModuleDirectory(uint32_t module) { return absl::StrFormat("src/%s/", ModuleName(module)); }

std::string FilePath(uint32_t module, uint32_t file) {
  NS_ASSERT(file <= kCodeGraphFilesPerModuleMax);
  return absl::StrFormat("src/%s/f%04d.cc", ModuleName(module), file);
}

std::string FilePathOfFunction(const CodeGraphConfig& config, uint64_t id) {
  NS_ASSERT(id < FunctionCount(config));
  return FilePath(ModuleOfFunction(config, id), FileOfFunction(config, id));
}

std::string FunctionName(const CodeGraphConfig& config, uint64_t id) {
  const uint64_t bits = StreamSeed(config.seed, kNamesStream, id);
  return absl::StrFormat("%s_%s_%010d", kVerbs[bits % kVerbs.size()],
                         kNouns[(bits >> 8) % kNouns.size()], id);
}

std::string FileKey(std::string_view path) { return absl::StrFormat("file:%s", path); }

std::string FunctionKey(uint64_t id) {
  NS_ASSERT(id <= kCodeGraphFunctionsMax);
  return absl::StrFormat("fn:%010d", id);
}

std::string PathKey(std::string_view path, uint64_t id) {
  NS_ASSERT(id <= kCodeGraphFunctionsMax);
  return absl::StrFormat("path:%s:%010d", path, id);
}

std::string PathScanStart(std::string_view path_prefix) {
  return absl::StrFormat("path:%s", path_prefix);
}

std::string CallsKey(uint64_t caller, uint64_t callee) {
  NS_ASSERT(caller <= kCodeGraphFunctionsMax && callee <= kCodeGraphFunctionsMax);
  return absl::StrFormat("calls:%010d:%010d", caller, callee);
}

std::string CallersKey(uint64_t callee, uint64_t caller) {
  NS_ASSERT(caller <= kCodeGraphFunctionsMax && callee <= kCodeGraphFunctionsMax);
  return absl::StrFormat("callers:%010d:%010d", callee, caller);
}

std::string CallersPrefix(uint64_t callee) {
  NS_ASSERT(callee <= kCodeGraphFunctionsMax);
  return absl::StrFormat("callers:%010d:", callee);
}

std::string ImportsKey(uint32_t module, uint32_t dep) {
  return absl::StrFormat("imports:%s:%s", ModuleName(module), ModuleName(dep));
}

std::string ImportsPrefix(uint32_t module) {
  return absl::StrFormat("imports:%s:", ModuleName(module));
}

std::optional<uint64_t> CallerOfCallersKey(std::string_view key) {
  return LastNumber(key, "callers:", std::string_view("callers:0000000000:0000000000").size(), "",
                    10);
}

std::optional<uint32_t> DependencyOfImportsKey(std::string_view key) {
  const std::optional<uint64_t> dep =
      LastNumber(key, "imports:", std::string_view("imports:m0000:m0000").size(), "m", 4);
  if (!dep) return std::nullopt;
  return static_cast<uint32_t>(*dep);
}

std::optional<uint64_t> FunctionOfPathKey(std::string_view key) {
  if (key.size() < std::string_view("path::0000000000").size()) return std::nullopt;
  return LastNumber(key, "path:", key.size(), "", 10);
}

std::vector<uint32_t> FileImports(const CodeGraphConfig& config, uint32_t module, uint32_t file) {
  NS_ASSERT(module < config.modules && file < config.files_per_module);
  const uint32_t count = std::min(config.imports_per_file, module);
  Rng rng(StreamSeed(config.seed, kImportsStream, uint64_t{module} * config.files_per_module + file));
  // Floyd's sampling: `count` distinct modules of [0, module), each draw used once.
  std::vector<uint32_t> chosen;
  for (uint32_t candidate = module - count; candidate < module; candidate++) {
    const uint32_t draw = static_cast<uint32_t>(rng.Uniform(uint64_t{candidate} + 1));
    const bool taken = std::find(chosen.begin(), chosen.end(), draw) != chosen.end();
    chosen.push_back(taken ? candidate : draw);
  }
  std::sort(chosen.begin(), chosen.end());
  NS_ASSERT(chosen.size() == count);
  return chosen;
}

std::vector<Call> CallsOf(const CodeGraphConfig& config, uint64_t caller) {
  NS_ASSERT(caller < FunctionCount(config));
  return CallsWithImports(
      config, caller,
      FileImports(config, ModuleOfFunction(config, caller), FileOfFunction(config, caller)));
}

absl::StatusOr<CodeGraphTotals> ForEachRecord(const CodeGraphConfig& config,
                                              const RecordCallback& callback) {
  NS_RETURN_IF_ERROR(ValidateCodeGraphConfig(config));
  CodeGraphTotals totals;
  for (uint32_t module = 0; module < config.modules; module++) {
    NS_RETURN_IF_ERROR(EmitModule(config, module, callback, totals));
  }
  return totals;
}

std::vector<uint64_t> CallersOf(const CodeGraphConfig& config, uint64_t callee) {
  return CallersOfEach(config, {callee})[0];
}

std::vector<std::vector<uint64_t>> CallersOfEach(const CodeGraphConfig& config,
                                                 const std::vector<uint64_t>& callees) {
  std::map<uint64_t, std::vector<size_t>> wanted;  // callee -> its indexes in `callees`
  for (size_t index = 0; index < callees.size(); index++) wanted[callees[index]].push_back(index);
  std::vector<std::vector<uint64_t>> callers(callees.size());
  for (uint32_t module = 0; module < config.modules; module++) {
    for (uint32_t file = 0; file < config.files_per_module; file++) {
      const std::vector<uint32_t> imports = FileImports(config, module, file);
      const uint64_t first = FirstFunctionOfFile(
          config, uint64_t{module} * config.files_per_module + file);
      for (uint64_t caller = first; caller < first + config.functions_per_file; caller++) {
        for (const Call& call : CallsWithImports(config, caller, imports)) {
          auto found = wanted.find(call.callee);
          if (found == wanted.end()) continue;
          for (size_t index : found->second) callers[index].push_back(caller);
        }
      }
    }
  }
  return callers;
}

std::vector<uint32_t> DependenciesOf(const CodeGraphConfig& config, uint32_t module) {
  NS_ASSERT(module < config.modules);
  std::vector<uint32_t> deps;
  for (uint32_t file = 0; file < config.files_per_module; file++) {
    for (uint32_t dep : FileImports(config, module, file)) deps.push_back(dep);
  }
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  return deps;
}

std::vector<uint64_t> FunctionsFromPath(const CodeGraphConfig& config,
                                        std::string_view path_prefix, size_t limit) {
  const std::string start = PathScanStart(path_prefix);
  const uint64_t files = FileCount(config);
  auto file_path = [&](uint64_t file_index) {
    return FilePath(static_cast<uint32_t>(file_index / config.files_per_module),
                    static_cast<uint32_t>(file_index % config.files_per_module));
  };
  // The first file whose last path: key is >= start (path keys ascend with the file index).
  uint64_t low = 0, high = files;
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    const uint64_t last = FirstFunctionOfFile(config, middle + 1) - 1;
    if (PathKey(file_path(middle), last) >= start) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  std::vector<uint64_t> functions;
  for (uint64_t file_index = low; file_index < files && functions.size() < limit; file_index++) {
    const std::string path = file_path(file_index);
    const uint64_t first = FirstFunctionOfFile(config, file_index);
    for (uint64_t id = first; id < first + config.functions_per_file && functions.size() < limit;
         id++) {
      if (PathKey(path, id) >= start) functions.push_back(id);
    }
  }
  return functions;
}

}  // namespace northstar::apps
