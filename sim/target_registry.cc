#include "sim/target_registry.h"

#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "util/assert.h"

namespace northstar::sim {
namespace {

// Ordered: RegisteredTargets() lists kinds in a stable order.
std::map<std::string, TargetFactory, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, TargetFactory, std::less<>>();
  return *registry;
}

}  // namespace

const char* CrashLossName(CrashLoss loss) {
  switch (loss) {
    case CrashLoss::kNone:
      return "none-lost";
    case CrashLoss::kSuffix:
      return "suffix-lost";
    case CrashLoss::kAny:
      return "anything";
  }
  NS_ASSERT_MSG(false, "unknown CrashLoss");
  return "unknown";
}

void RegisterTarget(std::string kind, TargetFactory factory) {
  const bool inserted = Registry().emplace(std::move(kind), std::move(factory)).second;
  NS_ASSERT_MSG(inserted, "a target kind registered twice");
}

absl::StatusOr<std::unique_ptr<Target>> MakeTarget(const Scenario& scenario,
                                                   PlantedBug planted_bug) {
  const auto found = Registry().find(scenario.target.kind);
  if (found == Registry().end()) {
    return absl::NotFoundError(absl::StrFormat(
        "target.kind: \"%s\" is not linked into this binary (targets: %s)", scenario.target.kind,
        absl::StrJoin(RegisteredTargets(), ", ")));
  }
  return found->second(scenario, planted_bug);
}

std::vector<std::string> RegisteredTargets() {
  std::vector<std::string> kinds;
  for (const auto& [kind, factory] : Registry()) kinds.push_back(kind);
  return kinds;
}

Promise HeldPromise(const Promise& declared, std::string_view promise_name) {
  Promise held = declared;
  for (CrashLoss loss : {CrashLoss::kNone, CrashLoss::kSuffix, CrashLoss::kAny}) {
    if (promise_name == CrashLossName(loss)) {
      held.crash_loss = loss;
      held.source = absl::StrFormat("the scenario's [target] promise = \"%s\" (declared: %s)",
                                    promise_name, CrashLossName(declared.crash_loss));
    }
  }
  return held;
}

}  // namespace northstar::sim
