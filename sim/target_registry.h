// The targets a run can name ([target] kind), each a factory that builds one for a scenario.
//
// The runner knows no engine: it asks the registry for the scenario's target. Each target library
// (targets/) registers its factory; linking `northstar_targets_init` (targets/CMakeLists.txt)
// into an executable registers every built-in target before main().
//
// Thread safety: registration happens before main(); lookups only read.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/target.h"

namespace northstar::sim {

// A new target for one epoch of a run of `scenario` (each epoch is a fresh process: the target is
// built, opened on the disk as the crash left it, used, and dropped). `planted_bug` is for the
// targets that can plant one (our engine's kAckWithoutSync).
using TargetFactory =
    std::function<absl::StatusOr<std::unique_ptr<Target>>(const Scenario&, PlantedBug)>;

// Registers `kind`; a second registration of one kind is a programming error (asserted).
void RegisterTarget(std::string kind, TargetFactory factory);

// The scenario's target; NotFound naming the kind when no such target was linked in.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Target>> MakeTarget(const Scenario& scenario,
                                                                 PlantedBug planted_bug);

// The kinds registered, in name order.
[[nodiscard]] std::vector<std::string> RegisteredTargets();

// The promise a run holds the target to: the declared one, or the one [target] promise names
// (with the declared capabilities).
[[nodiscard]] Promise HeldPromise(const Promise& declared, std::string_view promise_name);

}  // namespace northstar::sim
