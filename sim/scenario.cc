#include "sim/scenario.h"

#include <span>
#include <type_traits>
#include <variant>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_cat.h"
#include "apps/code_graph.h"
#include "engine/format/types.h"
#include "engine/log/record.h"
#include "sim/scenario_fields.h"
#include "util/assert.h"
#include "util/status.h"

// Every message starts with the field's path ("workload.readers: ..."): sim/scenario_io.cc maps
// that path back to the field's position in the file. The ranges are spec/scenario_format.md's.
namespace northstar::sim {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr size_t kNameLengthMax = 64;
constexpr size_t kDescriptionBytesMax = 4096;
constexpr uint32_t kWeightMax = 1000;
constexpr size_t kCrashAtIoCountMax = 1000;
// The largest operation of a workload, key and value: kv and time-travel write "k" and ten
// digits (sim/workload.h, KeyName) and the values as drawn; task-queue writes up to
// "claim:{id}:{agent}" and wraps a payload of the drawn size in JSON metadata (sim/task_queue.h);
// code-graph writes the records of apps/code_graph.h, whose keys and values are short.
constexpr uint64_t kKvKeyBytesMax = 16;
constexpr uint64_t kTaskKeyBytesMax = 40;
constexpr uint64_t kTaskMetadataOverheadBytes = 64;
constexpr uint64_t kCodeGraphRecordBytesMax = 256;
constexpr uint64_t kTasksMax = 1'000'000;
// A code-graph run keeps the repository's records in memory: a page of text's worth of sizes.
constexpr uint64_t kCodeGraphFunctionsMax = 1'000'000;

uint64_t OpBytesMax(const WorkloadConfig& workload) {
  const uint64_t value_max_bytes =
      std::max(workload.value_size_max_bytes, workload.big_value_size_bytes);
  switch (workload.kind) {
    case WorkloadKind::kKv:
    case WorkloadKind::kTimeTravel:
      return engine::kLogOpHeaderBytes + kKvKeyBytesMax + value_max_bytes;
    case WorkloadKind::kTaskQueue:
      return engine::kLogOpHeaderBytes + kTaskKeyBytesMax + kTaskMetadataOverheadBytes +
             value_max_bytes;
    case WorkloadKind::kCodeGraph:
      return engine::kLogOpHeaderBytes + kCodeGraphRecordBytesMax;
  }
  NS_ASSERT_MSG(false, "unknown WorkloadKind");
  return 0;
}

absl::Status CheckRange(std::string_view path, uint64_t value, uint64_t low, uint64_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %d is not in [%d, %d]", path, value, low, high));
}

absl::Status CheckSignedRange(std::string_view path, int64_t value, int64_t low, int64_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %d is not in [%d, %d]", path, value, low, high));
}

absl::Status CheckClosed(std::string_view path, double value, double low, double high) {
  if (value >= low && value <= high) return absl::OkStatus();  // False for NaN.
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %g is not in [%g, %g]", path, value, low, high));
}

absl::Status CheckOpen(std::string_view path, double value, double low, double high) {
  if (value > low && value < high) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %g is not in (%g, %g)", path, value, low, high));
}

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// The length of the UTF-8 sequence `lead` starts, or 0 if no sequence starts with it.
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;  // A continuation byte, or an overlong two-byte form.
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 0;
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): what a TOML
// string may hold.
bool IsValidUtf8(std::string_view text) {
  constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t index = 0;
  while (index < text.size()) {
    const auto lead = static_cast<unsigned char>(text[index]);
    const size_t length = Utf8SequenceLength(lead);
    if (length == 0 || index + length > text.size()) return false;
    uint32_t code_point = length == 1 ? lead : lead & (0x7fu >> length);
    for (size_t next = 1; next < length; next++) {
      const auto byte = static_cast<unsigned char>(text[index + next]);
      if ((byte & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (byte & 0x3f);
    }
    if (code_point < kSmallest[length] || code_point > 0x10ffff) return false;
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
    index += length;
  }
  return true;
}

absl::Status ValidateTopLevel(const Scenario& scenario) {
  const std::string& name = scenario.name;
  bool name_ok = !name.empty() && name.size() <= kNameLengthMax;
  for (char c : name) name_ok = name_ok && IsNameCharacter(c);
  if (!name_ok) {
    return absl::InvalidArgumentError(
        absl::StrFormat("name: \"%s\" is not 1..%d characters of [a-z0-9-]", absl::CHexEscape(name),
                        kNameLengthMax));
  }
  if (scenario.description.size() > kDescriptionBytesMax) {
    return absl::InvalidArgumentError(absl::StrFormat("description: %d bytes is more than %d",
                                                      scenario.description.size(),
                                                      kDescriptionBytesMax));
  }
  if (!IsValidUtf8(scenario.description)) {
    return absl::InvalidArgumentError("description: not valid UTF-8");
  }
  return absl::OkStatus();
}

absl::Status CheckOneOf(std::string_view field, const std::string& value,
                        std::initializer_list<std::string_view> allowed) {
  for (std::string_view name : allowed) {
    if (value == name) return absl::OkStatus();
  }
  std::string names;
  for (std::string_view name : allowed) (names += names.empty() ? "" : ", ") += name;
  return absl::InvalidArgumentError(absl::StrFormat("%s: \"%s\" is not one of %s", field,
                                                    absl::CHexEscape(value), names));
}

absl::Status ValidateSqlite(const SqliteTargetConfig& sqlite) {
  NS_RETURN_IF_ERROR(CheckOneOf("target.sqlite.journal_mode", sqlite.journal_mode,
                                {"delete", "truncate", "persist", "wal", "memory", "off"}));
  NS_RETURN_IF_ERROR(CheckOneOf("target.sqlite.synchronous", sqlite.synchronous,
                                {"off", "normal", "full", "extra"}));
  const uint32_t page = sqlite.page_size_bytes;
  if (page < 512 || page > 65536 || (page & (page - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "target.sqlite.page_size_bytes: %d is not a power of two in [512, 65536]", page));
  }
  NS_RETURN_IF_ERROR(
      CheckRange("target.sqlite.cache_size_pages", sqlite.cache_size_pages, 1, 100'000));
  return CheckRange("target.sqlite.connections", sqlite.connections, 1, 16);
}

// The target and what the workload asks of it: a foreign target runs the kv workload, whose
// operations it has (SQLite has no AS OF reads).
absl::Status ValidateTarget(const Scenario& scenario) {
  const TargetConfig& target = scenario.target;
  NS_RETURN_IF_ERROR(CheckOneOf("target.kind", target.kind, {kTargetNorthstar, kTargetSqlite}));
  NS_RETURN_IF_ERROR(CheckOneOf(
      "target.promise", target.promise,
      {kPromiseDeclared, kPromiseNoneLost, kPromiseSuffixLost, kPromiseAnything}));
  if (target.kind == kTargetNorthstar) return absl::OkStatus();
  NS_RETURN_IF_ERROR(ValidateSqlite(target.sqlite));
  if (scenario.workload.kind != WorkloadKind::kKv) {
    return absl::InvalidArgumentError(
        absl::StrFormat("workload.kind: \"%s\" runs on target \"northstar\" only; target \"%s\" "
                        "runs \"kv\"",
                        WorkloadKindName(scenario.workload.kind), target.kind));
  }
  if (scenario.workload.mix.as_of_read != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "workload.mix.as_of_read: target \"%s\" has no AS OF reads; set it to 0", target.kind));
  }
  return absl::OkStatus();
}

absl::Status ValidateEngine(const EngineConfig& engine) {
  if (!engine::IsValidPageSize(engine.page_size_bytes)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "engine.page_size_bytes: %d is not a power of two in [%d, %d]", engine.page_size_bytes,
        engine::kPageSizeMinBytes, engine::kPageSizeMaxBytes));
  }
  NS_RETURN_IF_ERROR(CheckRange("engine.cache_bytes", engine.cache_bytes,
                                8 * uint64_t{engine.page_size_bytes}, kGiB));
  NS_RETURN_IF_ERROR(
      CheckRange("engine.checkpoint_log_bytes", engine.checkpoint_log_bytes, 1, kGiB));
  NS_RETURN_IF_ERROR(
      CheckRange("engine.log_preallocate_bytes", engine.log_preallocate_bytes, 0, kGiB));
  return CheckRange("engine.retained_snapshots", engine.retained_snapshots, 0, 1000);
}

absl::Status ValidateSizes(const WorkloadConfig& workload) {
  NS_RETURN_IF_ERROR(
      CheckRange("workload.ops_per_transaction_min", workload.ops_per_transaction_min, 1, 100'000));
  NS_RETURN_IF_ERROR(CheckRange("workload.ops_per_transaction_max",
                                workload.ops_per_transaction_max, workload.ops_per_transaction_min,
                                100'000));
  NS_RETURN_IF_ERROR(CheckRange("workload.value_size_min_bytes", workload.value_size_min_bytes, 0,
                                engine::kValueSizeMaxBytes));
  NS_RETURN_IF_ERROR(CheckRange("workload.value_size_max_bytes", workload.value_size_max_bytes,
                                workload.value_size_min_bytes, engine::kValueSizeMaxBytes));
  NS_RETURN_IF_ERROR(CheckRange("workload.big_value_size_bytes", workload.big_value_size_bytes, 1,
                                engine::kValueSizeMaxBytes));
  // The largest transaction must fit one commit record.
  const uint64_t op_max_bytes = OpBytesMax(workload);
  if (workload.ops_per_transaction_max * op_max_bytes > engine::kLogPayloadBytesMax) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "workload.ops_per_transaction_max: %d operations of up to %d bytes exceed a commit "
        "record's %d bytes",
        workload.ops_per_transaction_max, op_max_bytes, engine::kLogPayloadBytesMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateMix(const OpMix& mix) {
  const std::pair<const char*, uint32_t> weights[] = {
      {"workload.mix.put", mix.put},
      {"workload.mix.del", mix.del},
      {"workload.mix.get", mix.get},
      {"workload.mix.range_scan", mix.range_scan},
      {"workload.mix.prefix_scan", mix.prefix_scan},
      {"workload.mix.reverse_scan", mix.reverse_scan},
      {"workload.mix.as_of_read", mix.as_of_read},
  };
  uint64_t total = 0;
  for (const auto& [path, weight] : weights) {
    NS_RETURN_IF_ERROR(CheckRange(path, weight, 0, kWeightMax));
    total += weight;
  }
  if (total == 0) return absl::InvalidArgumentError("workload.mix: every weight is 0");
  return absl::OkStatus();
}

// Checked whatever the kind, like zipf_theta: switching the kind never makes a file invalid.
absl::Status ValidateCodeGraph(const CodeGraphSizes& sizes) {
  NS_RETURN_IF_ERROR(CheckRange("workload.code_graph.modules", sizes.modules, 1,
                                apps::kCodeGraphModulesMax));
  NS_RETURN_IF_ERROR(CheckRange("workload.code_graph.files_per_module", sizes.files_per_module, 1,
                                apps::kCodeGraphFilesPerModuleMax));
  NS_RETURN_IF_ERROR(CheckRange("workload.code_graph.functions_per_file",
                                sizes.functions_per_file, 1, apps::kCodeGraphFunctionsPerFileMax));
  NS_RETURN_IF_ERROR(CheckRange("workload.code_graph.calls_per_function",
                                sizes.calls_per_function, 0, apps::kCodeGraphCallsPerFunctionMax));
  NS_RETURN_IF_ERROR(CheckRange("workload.code_graph.imports_per_file", sizes.imports_per_file, 0,
                                apps::kCodeGraphImportsPerFileMax));
  const uint64_t functions =
      uint64_t{sizes.modules} * sizes.files_per_module * sizes.functions_per_file;
  if (functions > kCodeGraphFunctionsMax) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "workload.code_graph.functions_per_file: modules x files_per_module x "
        "functions_per_file = %d functions, more than %d",
        functions, kCodeGraphFunctionsMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateWorkload(const WorkloadConfig& workload) {
  NS_RETURN_IF_ERROR(CheckRange("workload.writers", workload.writers, 1, 16));
  NS_RETURN_IF_ERROR(CheckRange("workload.readers", workload.readers, 0, 64));
  NS_RETURN_IF_ERROR(CheckRange("workload.transactions", workload.transactions, 1, 1'000'000));
  NS_RETURN_IF_ERROR(CheckRange("workload.key_space", workload.key_space, 1, 1'000'000'000));
  NS_RETURN_IF_ERROR(CheckOpen("workload.zipf_theta", workload.zipf_theta, 0, 10));
  NS_RETURN_IF_ERROR(ValidateSizes(workload));
  NS_RETURN_IF_ERROR(
      CheckClosed("workload.big_value_probability", workload.big_value_probability, 0, 1));
  NS_RETURN_IF_ERROR(CheckClosed("workload.abort_probability", workload.abort_probability, 0, 1));
  NS_RETURN_IF_ERROR(
      CheckRange("workload.reads_per_reader", workload.reads_per_reader, 0, 1'000'000));
  NS_RETURN_IF_ERROR(ValidateMix(workload.mix));
  return ValidateCodeGraph(workload.code_graph);
}

// The rules a workload kind adds (spec/scenario_format.md, SF-29).
absl::Status ValidateKind(const Scenario& scenario) {
  const WorkloadConfig& workload = scenario.workload;
  switch (workload.kind) {
    case WorkloadKind::kKv:
      return absl::OkStatus();
    case WorkloadKind::kTaskQueue:
      if (workload.key_space > kTasksMax) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "workload.key_space: %d tasks is more than %d (workload.kind = \"task-queue\")",
            workload.key_space, kTasksMax));
      }
      return absl::OkStatus();
    case WorkloadKind::kTimeTravel:
      if (scenario.engine.durability == DurabilityMode::kMetaFlip) {
        return absl::InvalidArgumentError(
            "engine.durability: \"meta-flip\" keeps no log to replay (workload.kind = "
            "\"time-travel\")");
      }
      if (scenario.engine.recycle_log) {
        return absl::InvalidArgumentError(
            "engine.recycle_log: must be false for workload.kind = \"time-travel\" (its readers "
            "replay the log from its start)");
      }
      return absl::OkStatus();
    case WorkloadKind::kCodeGraph:
      return absl::OkStatus();
  }
  NS_ASSERT_MSG(false, "unknown WorkloadKind");
  return absl::OkStatus();
}

absl::Status ValidateCrashes(const FaultPlan& faults) {
  NS_RETURN_IF_ERROR(CheckRange("faults.crashes", faults.crashes, 0, 1000));
  if (faults.crash_at_io.size() > kCrashAtIoCountMax) {
    return absl::InvalidArgumentError(
        absl::StrFormat("faults.crash_at_io: %d entries, more than %d", faults.crash_at_io.size(),
                        kCrashAtIoCountMax));
  }
  for (size_t index = 1; index < faults.crash_at_io.size(); index++) {
    if (faults.crash_at_io[index - 1] >= faults.crash_at_io[index]) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "faults.crash_at_io: %d after %d: the I/O indexes must be strictly ascending",
          faults.crash_at_io[index], faults.crash_at_io[index - 1]));
    }
  }
  return CheckSignedRange("faults.crash_last_write_variant", faults.crash_last_write_variant, -1,
                          kCrashLastWriteVariantMax);
}

// Every field of `fields` (section `section`) that declares its range in the field table.
absl::Status ValidateRanges(std::string_view section, std::span<const Field> fields,
                            const FaultPlan& faults) {
  Scenario scenario;  // The table's accessors take a Scenario.
  scenario.faults = faults;
  for (const Field& field : fields) {
    if (!field.range.declared()) continue;
    const std::string path = absl::StrFormat("%s.%s", section, field.key);
    const absl::Status status = std::visit(
        [&](auto ref) -> absl::Status {
          using T = std::remove_cvref_t<decltype(ref(scenario))>;
          if constexpr (std::is_same_v<T, double>) {
            return CheckClosed(path, ref(scenario), field.range.min, field.range.max);
          } else if constexpr (std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>) {
            return CheckRange(path, ref(scenario), static_cast<uint64_t>(field.range.min),
                              static_cast<uint64_t>(field.range.max));
          } else {
            NS_ASSERT_MSG(false, "a range on a field that is not a number");
            return absl::OkStatus();
          }
        },
        field.ref);
    NS_RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

absl::Status ValidateFaults(const FaultPlan& faults) {
  NS_RETURN_IF_ERROR(ValidateCrashes(faults));
  if (faults.sector_size_bytes != 512 && faults.sector_size_bytes != 4096) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "faults.sector_size_bytes: %d is not 512 or 4096", faults.sector_size_bytes));
  }
  return ValidateRanges("faults", kFaultFields, faults);
}

absl::Status ValidateScheduler(const ScheduleOptions& scheduler, const WorkloadConfig& workload) {
  constexpr uint64_t kStepsLimit = uint64_t{1'000'000'000'000};
  NS_RETURN_IF_ERROR(
      CheckClosed("scheduler.switch_probability", scheduler.switch_probability, 0, 1));
  NS_RETURN_IF_ERROR(CheckRange("scheduler.pct_depth", scheduler.pct_depth, 1, kPctDepthMax));
  NS_RETURN_IF_ERROR(
      CheckRange("scheduler.pct_steps_estimate", scheduler.pct_steps_estimate, 1, kStepsLimit));
  NS_RETURN_IF_ERROR(CheckRange("scheduler.steps_max", scheduler.steps_max, 1, kStepsLimit));
  NS_RETURN_IF_ERROR(
      CheckRange("scheduler.step_duration_ns", scheduler.step_duration_ns, 1, 1'000'000'000));
  // Not in the file: one fiber per writer and reader, and one that drives the run.
  const uint64_t fibers_needed = uint64_t{workload.writers} + workload.readers + 1;
  if (scheduler.fibers_max < fibers_needed) {
    return absl::InvalidArgumentError(
        absl::StrFormat("scheduler.fibers_max: %d is less than writers + readers + 1 = %d",
                        scheduler.fibers_max, fibers_needed));
  }
  const absl::Status status = ValidateScheduleOptions(scheduler);
  if (status.ok()) return status;
  return absl::InvalidArgumentError(absl::StrFormat("scheduler.%s", status.message()));
}

}  // namespace

absl::Status ValidateScenario(const Scenario& scenario) {
  NS_RETURN_IF_ERROR(ValidateTopLevel(scenario));
  NS_RETURN_IF_ERROR(ValidateTarget(scenario));
  NS_RETURN_IF_ERROR(ValidateEngine(scenario.engine));
  NS_RETURN_IF_ERROR(ValidateWorkload(scenario.workload));
  NS_RETURN_IF_ERROR(ValidateKind(scenario));
  NS_RETURN_IF_ERROR(ValidateFaults(scenario.faults));
  return ValidateScheduler(scenario.scheduler, scenario.workload);
}

const char* DurabilityModeName(DurabilityMode mode) {
  switch (mode) {
    case DurabilityMode::kLog:
      return "log";
    case DurabilityMode::kLogNoSync:
      return "log-no-sync";
    case DurabilityMode::kMetaFlip:
      return "meta-flip";
  }
  NS_ASSERT_MSG(false, "unknown DurabilityMode");
  return "unknown";
}

const char* KeyDistributionName(KeyDistribution distribution) {
  switch (distribution) {
    case KeyDistribution::kUniform:
      return "uniform";
    case KeyDistribution::kZipf:
      return "zipf";
    case KeyDistribution::kSequential:
      return "sequential";
  }
  NS_ASSERT_MSG(false, "unknown KeyDistribution");
  return "unknown";
}

const char* CrashPointModeName(CrashPointMode mode) {
  switch (mode) {
    case CrashPointMode::kRandom:
      return "random";
    case CrashPointMode::kEveryIo:
      return "every-io";
  }
  NS_ASSERT_MSG(false, "unknown CrashPointMode");
  return "unknown";
}

const char* WorkloadKindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kKv:
      return "kv";
    case WorkloadKind::kTaskQueue:
      return "task-queue";
    case WorkloadKind::kTimeTravel:
      return "time-travel";
    case WorkloadKind::kCodeGraph:
      return "code-graph";
  }
  NS_ASSERT_MSG(false, "unknown WorkloadKind");
  return "unknown";
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kDurability:
      return "durability";
    case Verdict::kAtomicity:
      return "atomicity";
    case Verdict::kSnapshotIsolation:
      return "snapshot-isolation";
    case Verdict::kCrashState:
      return "crash-state";
    case Verdict::kStructure:
      return "structure";
    case Verdict::kPageAccounting:
      return "page-accounting";
    case Verdict::kCorruption:
      return "corruption";
    case Verdict::kTaskQueue:
      return "task-queue";
    case Verdict::kCodeGraph:
      return "code-graph";
    case Verdict::kLiveness:
      return "liveness";
    case Verdict::kWorkerCrash:
      return "worker-crash";
  }
  NS_ASSERT_MSG(false, "unknown Verdict");
  return "unknown";
}

}  // namespace northstar::sim
