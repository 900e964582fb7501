// Registers every target built into this binary (linked as an object library, so that this
// initializer runs before main() in every executable that runs scenarios).
#include <memory>

#include "sim/target_registry.h"
#include "targets/northstar/northstar_target.h"
#if NORTHSTAR_HAVE_SQLITE_TARGET
#include "targets/sqlite/sqlite_target.h"
#endif

namespace northstar::targets {
namespace {

const bool kRegistered = [] {
  sim::RegisterTarget(sim::kTargetNorthstar,
                      [](const sim::Scenario& scenario, sim::PlantedBug planted_bug)
                          -> absl::StatusOr<std::unique_ptr<sim::Target>> {
                        return std::make_unique<NorthstarTarget>(scenario, planted_bug);
                      });
#if NORTHSTAR_HAVE_SQLITE_TARGET
  sim::RegisterTarget(sim::kTargetSqlite, MakeSqliteTarget);
#endif
  return true;
}();

}  // namespace
}  // namespace northstar::targets
