// The keys of a scenario file, in canonical order: one table that the reader
// (sim/scenario_io.cc) and the canonical writer (sim/scenario_format.cc) both walk, so that a key
// is added, renamed or reordered in one place. Internal to those two files.
//
// A field is a key and a function from a Scenario to the member it names; the member's type says
// how the value is read and written, and the style covers the two members written specially.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/strings/str_format.h"
#include "sim/scenario.h"
#include "sim/schedule_options.h"

namespace northstar::sim {

template <typename T>
using FieldRef = T& (*)(Scenario&);

enum class FieldStyle {
  kPlain,
  kHex,        // The seed: a string "0x1f", because TOML integers are signed 64-bit.
  kParagraph,  // The description: wrapped over several lines when long.
};

// The closed range a numeric field must lie in, checked by ValidateScenario for the fields that
// carry one (the others are checked by hand there, where their limits depend on each other).
struct FieldRange {
  double min = 0;
  double max = -1;  // max < min: no range in the table.
  [[nodiscard]] bool declared() const { return max >= min; }
};

// How the shrinker (sim/shrink.cc) lowers a field that carries a rule: kOff sets it to its zero
// value (a probability, a capacity, a flag: on or off); kCount walks it down to its range's min.
enum class ShrinkRule { kNone, kOff, kCount };

struct Field {
  std::string_view key;
  std::variant<FieldRef<uint32_t>, FieldRef<uint64_t>, FieldRef<int64_t>, FieldRef<double>,
               FieldRef<bool>, FieldRef<std::string>, FieldRef<std::vector<uint64_t>>,
               FieldRef<DurabilityMode>, FieldRef<KeyDistribution>, FieldRef<CrashPointMode>,
               FieldRef<Verdict>, FieldRef<StrategyKind>, FieldRef<WorkloadKind>>
      ref;
  FieldStyle style = FieldStyle::kPlain;
  FieldRange range;
  ShrinkRule shrink = ShrinkRule::kNone;
};

inline constexpr FieldRange kProbability{0, 1};

// A TOML table: its dotted path ("" for the top level) and its keys; `written` says whether the
// canonical writer writes it for a scenario (nullptr: always), so that a section that only
// matters for some scenarios (a target's options) does not change the others' files.
struct Section {
  std::string_view path;
  std::span<const Field> fields;
  bool (*written)(const Scenario&) = nullptr;
};

#define NS_SCENARIO_FIELD(member, key, ...)                   \
  Field {                                                     \
#key, +[](Scenario & s) -> auto& { return s.member key; } \
    , __VA_ARGS__                                             \
  }

inline constexpr Field kTopLevelFields[] = {
    NS_SCENARIO_FIELD(, name),
    NS_SCENARIO_FIELD(, description, FieldStyle::kParagraph),
    NS_SCENARIO_FIELD(, seed, FieldStyle::kHex),
    NS_SCENARIO_FIELD(, expect),
};

inline constexpr Field kTargetFields[] = {
    NS_SCENARIO_FIELD(target., kind),
    NS_SCENARIO_FIELD(target., promise),
};

inline constexpr Field kSqliteFields[] = {
    NS_SCENARIO_FIELD(target.sqlite., journal_mode),
    NS_SCENARIO_FIELD(target.sqlite., synchronous),
    NS_SCENARIO_FIELD(target.sqlite., page_size_bytes),
    NS_SCENARIO_FIELD(target.sqlite., cache_size_pages),
    NS_SCENARIO_FIELD(target.sqlite., connections),
};

inline constexpr Field kEngineFields[] = {
    NS_SCENARIO_FIELD(engine., page_size_bytes),
    NS_SCENARIO_FIELD(engine., cache_bytes),
    NS_SCENARIO_FIELD(engine., durability),
    NS_SCENARIO_FIELD(engine., checkpoint_log_bytes),
    NS_SCENARIO_FIELD(engine., log_preallocate_bytes),
    NS_SCENARIO_FIELD(engine., retained_snapshots),
    NS_SCENARIO_FIELD(engine., recycle_log),
};

inline constexpr Field kWorkloadFields[] = {
    NS_SCENARIO_FIELD(workload., kind),
    NS_SCENARIO_FIELD(workload., writers),
    NS_SCENARIO_FIELD(workload., readers),
    NS_SCENARIO_FIELD(workload., transactions),
    NS_SCENARIO_FIELD(workload., ops_per_transaction_min),
    NS_SCENARIO_FIELD(workload., ops_per_transaction_max),
    NS_SCENARIO_FIELD(workload., key_space),
    NS_SCENARIO_FIELD(workload., key_distribution),
    NS_SCENARIO_FIELD(workload., zipf_theta),
    NS_SCENARIO_FIELD(workload., value_size_min_bytes),
    NS_SCENARIO_FIELD(workload., value_size_max_bytes),
    NS_SCENARIO_FIELD(workload., big_value_probability),
    NS_SCENARIO_FIELD(workload., big_value_size_bytes),
    NS_SCENARIO_FIELD(workload., abort_probability),
    NS_SCENARIO_FIELD(workload., reads_per_reader),
};

inline constexpr Field kMixFields[] = {
    NS_SCENARIO_FIELD(workload.mix., put),         NS_SCENARIO_FIELD(workload.mix., del),
    NS_SCENARIO_FIELD(workload.mix., get),         NS_SCENARIO_FIELD(workload.mix., range_scan),
    NS_SCENARIO_FIELD(workload.mix., prefix_scan), NS_SCENARIO_FIELD(workload.mix., reverse_scan),
    NS_SCENARIO_FIELD(workload.mix., as_of_read),
};

inline constexpr Field kCodeGraphFields[] = {
    NS_SCENARIO_FIELD(workload.code_graph., modules),
    NS_SCENARIO_FIELD(workload.code_graph., files_per_module),
    NS_SCENARIO_FIELD(workload.code_graph., functions_per_file),
    NS_SCENARIO_FIELD(workload.code_graph., calls_per_function),
    NS_SCENARIO_FIELD(workload.code_graph., imports_per_file),
};

inline constexpr Field kFaultFields[] = {
    NS_SCENARIO_FIELD(faults., crash_points),
    NS_SCENARIO_FIELD(faults., crashes),
    NS_SCENARIO_FIELD(faults., crash_at_io),
    NS_SCENARIO_FIELD(faults., crash_last_write_variant),
    NS_SCENARIO_FIELD(faults., sector_size_bytes),
    NS_SCENARIO_FIELD(faults., torn_writes, FieldStyle::kPlain, {}, ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults., lose_unsynced_dir_ops, FieldStyle::kPlain, {}, ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults., atomic_truncate),
    // The simulated disk's fault settings (vfs::SimDiskFaults), under their own names.
    NS_SCENARIO_FIELD(faults.disk., read_error_probability, FieldStyle::kPlain, kProbability,
                      ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults.disk., write_error_probability, FieldStyle::kPlain, kProbability,
                      ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults.disk., sync_error_probability, FieldStyle::kPlain, kProbability,
                      ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults.disk., failed_sync_drops_dirty_data),
    NS_SCENARIO_FIELD(faults.disk., capacity_bytes, FieldStyle::kPlain, {0, 0x1p40},
                      ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults.disk., bit_rot_probability, FieldStyle::kPlain, kProbability,
                      ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults.disk., misdirected_write_probability, FieldStyle::kPlain,
                      kProbability, ShrinkRule::kOff),
    NS_SCENARIO_FIELD(faults.disk., read_latency_us_max, FieldStyle::kPlain, {0, 1'000'000},
                      ShrinkRule::kCount),
};

// fibers_max and stack_size_bytes are not in the file: the reader derives fibers_max.
inline constexpr Field kSchedulerFields[] = {
    NS_SCENARIO_FIELD(scheduler., strategy),  NS_SCENARIO_FIELD(scheduler., switch_probability),
    NS_SCENARIO_FIELD(scheduler., pct_depth), NS_SCENARIO_FIELD(scheduler., pct_steps_estimate),
    NS_SCENARIO_FIELD(scheduler., steps_max), NS_SCENARIO_FIELD(scheduler., step_duration_ns),
};

#undef NS_SCENARIO_FIELD

// In canonical order; a section's parent comes before it.
inline constexpr Section kSections[] = {
    {"", kTopLevelFields},
    {"target", kTargetFields,
     +[](const Scenario& s) {
       return s.target.kind != kTargetNorthstar || s.target.promise != kPromiseDeclared;
     }},
    {"target.sqlite", kSqliteFields,
     +[](const Scenario& s) { return s.target.kind == kTargetSqlite; }},
    {"engine", kEngineFields},
    {"workload", kWorkloadFields},
    {"workload.mix", kMixFields},
    {"workload.code_graph", kCodeGraphFields},
    {"faults", kFaultFields},
    {"scheduler", kSchedulerFields},
};

inline const Section* FindSection(std::string_view path) {
  for (const Section& section : kSections) {
    if (section.path == path) return &section;
  }
  return nullptr;
}

inline const Field* FindField(std::string_view section_path, std::string_view key) {
  const Section* section = FindSection(section_path);
  if (section == nullptr) return nullptr;
  for (const Field& field : section->fields) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

// Every value of each enum a scenario names, and the name of one (the *Name functions).
inline constexpr DurabilityMode kAllDurabilityModes[] = {
    DurabilityMode::kLog, DurabilityMode::kLogNoSync, DurabilityMode::kMetaFlip};
inline constexpr KeyDistribution kAllDistributions[] = {
    KeyDistribution::kUniform, KeyDistribution::kZipf, KeyDistribution::kSequential};
inline constexpr CrashPointMode kAllCrashPointModes[] = {CrashPointMode::kRandom,
                                                         CrashPointMode::kEveryIo};
inline constexpr Verdict kAllVerdicts[] = {Verdict::kPass,           Verdict::kDurability,
                                           Verdict::kAtomicity,      Verdict::kSnapshotIsolation,
                                           Verdict::kCrashState,     Verdict::kStructure,
                                           Verdict::kPageAccounting, Verdict::kCorruption,
                                           Verdict::kTaskQueue,      Verdict::kCodeGraph,
                                           Verdict::kLiveness,       Verdict::kWorkerCrash};
inline constexpr WorkloadKind kAllWorkloadKinds[] = {
    WorkloadKind::kKv, WorkloadKind::kTaskQueue, WorkloadKind::kTimeTravel,
    WorkloadKind::kCodeGraph};
inline constexpr StrategyKind kAllStrategies[] = {StrategyKind::kRandomWalk, StrategyKind::kPct,
                                                  StrategyKind::kRoundRobin};

inline std::span<const DurabilityMode> AllValues(DurabilityMode) { return kAllDurabilityModes; }
inline std::span<const KeyDistribution> AllValues(KeyDistribution) { return kAllDistributions; }
inline std::span<const CrashPointMode> AllValues(CrashPointMode) { return kAllCrashPointModes; }
inline std::span<const Verdict> AllValues(Verdict) { return kAllVerdicts; }
inline std::span<const StrategyKind> AllValues(StrategyKind) { return kAllStrategies; }
inline std::span<const WorkloadKind> AllValues(WorkloadKind) { return kAllWorkloadKinds; }

inline const char* EnumName(DurabilityMode value) { return DurabilityModeName(value); }
inline const char* EnumName(KeyDistribution value) { return KeyDistributionName(value); }
inline const char* EnumName(CrashPointMode value) { return CrashPointModeName(value); }
inline const char* EnumName(Verdict value) { return VerdictName(value); }
inline const char* EnumName(StrategyKind value) { return StrategyKindName(value); }
inline const char* EnumName(WorkloadKind value) { return WorkloadKindName(value); }

template <typename Enum>
std::optional<Enum> EnumFromName(std::string_view name) {
  for (Enum value : AllValues(Enum{})) {
    if (name == EnumName(value)) return value;
  }
  return std::nullopt;
}

// "\"log\", \"log-no-sync\" or \"meta-flip\"": for messages.
template <typename Enum>
std::string EnumNameList() {
  const std::span<const Enum> values = AllValues(Enum{});
  std::string list;
  for (size_t index = 0; index < values.size(); index++) {
    if (index > 0) list += index + 1 == values.size() ? " or " : ", ";
    list += absl::StrFormat("\"%s\"", EnumName(values[index]));
  }
  return list;
}

}  // namespace northstar::sim
