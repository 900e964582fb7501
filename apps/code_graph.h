// A synthetic code repository as key-value records with secondary-index keys: what the
// macro/code_graph benchmark ingests and queries, and what the code-graph simulation scenario
// writes. Everything here is a pure function of a CodeGraphConfig (a seed and sizes): the same
// config gives the same records in the same order on every build, and the query helpers compute
// the expected answers from the config alone, without a database.
//
// The repository. `modules` modules, module m the directory src/m{m:04}/ holding
// `files_per_module` files f{f:04}.cc, each defining `functions_per_file` functions. Function ids
// are dense and global: id = (m * files_per_module + f) * functions_per_file + index, so that
// id order is path order. Each file imports min(imports_per_file, m) distinct modules numbered
// below its own (module 0 imports nothing: module imports form a DAG, as layered code does).
// Each function calls up to `calls_per_function` distinct other functions: half of the calls
// stay in its own module, a third go to a module its file imports, the rest anywhere (a call
// whose draw repeats a callee or hits the caller itself is dropped, so some functions make
// fewer calls). Every draw comes from a stream seeded by (seed, what, id), so one function's
// calls or one file's imports are computed without generating the others.
//
// Keys ({id} is 10 zero-padded decimal digits, {path} a file path; key order is id and path
// order):
//   file:{path}               -> {"module":"m0003","functions":20,"imports":2}
//   fn:{id}                   -> {"file":"src/m0003/f0012.cc","name":"parse_header_0000000123"}
//   path:{path}:{id}          -> the function's name. The path index: a range scan from
//                                path:src/m0003/ lists a directory's functions in path order.
//   calls:{caller}:{callee}   -> call sites, "1".."3"
//   callers:{callee}:{caller} -> the same count; a prefix scan of callers:{X}: finds X's callers
//   imports:{module}:{dep}    -> how many of the module's files import module dep, decimal;
//                                a prefix scan of imports:m0003: gives the module's dependencies
// ({module} is m{m:04}.) Record order: module by module; in a module, file by file: the file
// record, then per function its fn, path, calls (by callee) and callers records; after the
// module's files, its imports records (by dep). Every key is emitted exactly once.
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace northstar::apps {

inline constexpr uint32_t kCodeGraphModulesMax = 9'999;
inline constexpr uint32_t kCodeGraphFilesPerModuleMax = 9'999;
inline constexpr uint32_t kCodeGraphFunctionsPerFileMax = 1'000;
inline constexpr uint32_t kCodeGraphCallsPerFunctionMax = 64;
inline constexpr uint32_t kCodeGraphImportsPerFileMax = 64;
// {id} has 10 digits.
inline constexpr uint64_t kCodeGraphFunctionsMax = 9'999'999'999;
// Call sites per call edge: 1..kCallSitesMax.
inline constexpr uint32_t kCallSitesMax = 3;

struct CodeGraphConfig {
  uint64_t seed = 1;
  uint32_t modules = 10;
  uint32_t files_per_module = 10;
  uint32_t functions_per_file = 20;
  uint32_t calls_per_function = 5;
  uint32_t imports_per_file = 3;
};

// InvalidArgument naming the field and its limit: each size within 1..its max (calls and
// imports may be 0), and at most kCodeGraphFunctionsMax functions in all.
[[nodiscard]] absl::Status ValidateCodeGraphConfig(const CodeGraphConfig& config);

[[nodiscard]] uint64_t FileCount(const CodeGraphConfig& config);
[[nodiscard]] uint64_t FunctionCount(const CodeGraphConfig& config);

// "m0003".
[[nodiscard]] std::string ModuleName(uint32_t module);
// "src/m0003/" (ends with '/').
[[nodiscard]] std::string ModuleDirectory(uint32_t module);
// "src/m0003/f0012.cc".
[[nodiscard]] std::string FilePath(uint32_t module, uint32_t file);
// The file path of function `id`. Precondition: id < FunctionCount(config).
[[nodiscard]] std::string FilePathOfFunction(const CodeGraphConfig& config, uint64_t id);
// The name of function `id`: a verb, a noun and the id ("parse_header_0000000123").
[[nodiscard]] std::string FunctionName(const CodeGraphConfig& config, uint64_t id);

// Keys of the layout above.
[[nodiscard]] std::string FileKey(std::string_view path);
[[nodiscard]] std::string FunctionKey(uint64_t id);
[[nodiscard]] std::string PathKey(std::string_view path, uint64_t id);
// "path:{path_prefix}": a range scan from it walks the path index from that path on.
[[nodiscard]] std::string PathScanStart(std::string_view path_prefix);
[[nodiscard]] std::string CallsKey(uint64_t caller, uint64_t callee);
[[nodiscard]] std::string CallersKey(uint64_t callee, uint64_t caller);
// "callers:{callee}:".
[[nodiscard]] std::string CallersPrefix(uint64_t callee);
[[nodiscard]] std::string ImportsKey(uint32_t module, uint32_t dep);
// "imports:{module}:".
[[nodiscard]] std::string ImportsPrefix(uint32_t module);

// The last component of a key: the caller of a callers: key, the dep of an imports: key, the
// function of a path: key. nullopt for a key of another kind or a malformed number.
[[nodiscard]] std::optional<uint64_t> CallerOfCallersKey(std::string_view key);
[[nodiscard]] std::optional<uint32_t> DependencyOfImportsKey(std::string_view key);
[[nodiscard]] std::optional<uint64_t> FunctionOfPathKey(std::string_view key);

// The modules file (module, file) imports, ascending.
[[nodiscard]] std::vector<uint32_t> FileImports(const CodeGraphConfig& config, uint32_t module,
                                                uint32_t file);

struct Call {
  uint64_t callee = 0;
  uint32_t sites = 1;  // 1..kCallSitesMax
  friend bool operator==(const Call&, const Call&) = default;
};
// The calls function `caller` makes, by callee.
[[nodiscard]] std::vector<Call> CallsOf(const CodeGraphConfig& config, uint64_t caller);

struct CodeGraphTotals {
  uint64_t records = 0;
  uint64_t key_bytes = 0;
  uint64_t value_bytes = 0;
  uint64_t files = 0;
  uint64_t functions = 0;
  uint64_t call_edges = 0;
  uint64_t import_edges = 0;  // imports: records (module-level, deduplicated)
};

using RecordCallback = std::function<absl::Status(std::string_view key, std::string_view value)>;

// Calls `callback` with every record, in the order above; stops at (and returns) the first error
// it returns, or an invalid config's error. Totals of what was emitted.
[[nodiscard]] absl::StatusOr<CodeGraphTotals> ForEachRecord(const CodeGraphConfig& config,
                                                            const RecordCallback& callback);

// Expected answers, computed from the config alone.
// Every function calling `callee`, ascending (generates every function's calls: O(functions)).
[[nodiscard]] std::vector<uint64_t> CallersOf(const CodeGraphConfig& config, uint64_t callee);
// The callers of each of `callees` at once (one pass), in the order of `callees`.
[[nodiscard]] std::vector<std::vector<uint64_t>> CallersOfEach(const CodeGraphConfig& config,
                                                               const std::vector<uint64_t>& callees);
// The modules `module`'s files import, ascending, each once.
[[nodiscard]] std::vector<uint32_t> DependenciesOf(const CodeGraphConfig& config, uint32_t module);
// The functions of the first `limit` path: records at or after PathScanStart(path_prefix), in key
// order (a paginated listing of the repository from a path on).
[[nodiscard]] std::vector<uint64_t> FunctionsFromPath(const CodeGraphConfig& config,
                                                      std::string_view path_prefix, size_t limit);

}  // namespace northstar::apps
