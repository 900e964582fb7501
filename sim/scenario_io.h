// Scenario files: TOML in, canonical TOML out (spec/scenario_format.md).
//
// ParseScenario accepts exactly the documented keys, each with its documented type; a missing
// key keeps its default. It returns only valid scenarios (ValidateScenario passed), with
// scheduler.fibers_max derived from the workload (FibersMaxFor). Every error is InvalidArgument
// and names where it is: "<source>:<line>:<column>: <field>: <problem>", or "<source>: <field>:
// <problem>" when the field is not in the file (a default, or a rule spanning several fields).
//
// FormatScenario writes the canonical form: every key in a fixed order, defaults included, no
// comments. Parsing and formatting a canonical file gives back the same bytes.
//
// No exception leaves these functions (toml++'s parse errors are caught). Thread-safe: no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/scenario.h"
#include "sim/schedule_options.h"

namespace northstar::sim {

// Scenario files larger than this are refused: a scenario is a page of text.
inline constexpr uint64_t kScenarioFileBytesMax = uint64_t{1} << 20;

// `toml_text` read as a scenario; `source_name` (a file name) starts every error message.
[[nodiscard]] absl::StatusOr<Scenario> ParseScenario(std::string_view toml_text,
                                                     std::string_view source_name);

// The bytes of the file at `path`: NotFound or InvalidArgument, naming the path, when it cannot
// be read or is larger than kScenarioFileBytesMax.
[[nodiscard]] absl::StatusOr<std::string> ReadScenarioText(const std::string& path);

// ParseScenario(ReadScenarioText(path), path).
[[nodiscard]] absl::StatusOr<Scenario> ReadScenarioFile(const std::string& path);

// The canonical TOML text of `scenario` (which should be valid: an invalid one is written as
// is, and reading it back fails).
[[nodiscard]] std::string FormatScenario(const Scenario& scenario);

// The fibers a run of `workload` spawns: one per writer and reader, and one that drives the run.
[[nodiscard]] uint32_t FibersMaxFor(const WorkloadConfig& workload);

// The inverses of the *Name functions; nullopt for a name that is not one of them.
[[nodiscard]] std::optional<DurabilityMode> DurabilityModeFromName(std::string_view name);
[[nodiscard]] std::optional<KeyDistribution> KeyDistributionFromName(std::string_view name);
[[nodiscard]] std::optional<CrashPointMode> CrashPointModeFromName(std::string_view name);
[[nodiscard]] std::optional<Verdict> VerdictFromName(std::string_view name);
[[nodiscard]] std::optional<StrategyKind> StrategyKindFromName(std::string_view name);
[[nodiscard]] std::optional<WorkloadKind> WorkloadKindFromName(std::string_view name);

}  // namespace northstar::sim
