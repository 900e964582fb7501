// Liveness reports: what every live fiber was doing when a run deadlocked or ran away.
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/scheduler.h"
#include "sim/sim_lock.h"
#include "sim/sites.h"
#include "util/assert.h"

namespace northstar::sim {

std::string SiteName(uint16_t site) {
  if (site < engine::kYieldSiteCount) {
    return engine::YieldSiteName(static_cast<engine::YieldSite>(site));
  }
  switch (site) {
    case kSiteRunStart:
      return "run_start";
    case kSiteFiberEnd:
      return "fiber_end";
    case kSiteNotStarted:
      return "not_started";
    default:
      break;
  }
  if (site >= kUserSiteBase) return absl::StrFormat("user_site_%d", site - kUserSiteBase);
  return absl::StrFormat("site_%d", site);
}

absl::Status Scheduler::deadlock_failure() const {
  return absl::AbortedError(
      absl::StrFormat("seed %d: deadlock at step %d (t=%dns): every live fiber is blocked\n%s",
                      seed_, step_, now_ns_, describe_fibers()));
}

absl::Status Scheduler::runaway_failure() const {
  return absl::DeadlineExceededError(absl::StrFormat(
      "seed %d: runaway: the run needs more than steps_max = %d steps (t=%dns)\n%s", seed_,
      options_.steps_max, now_ns_, describe_fibers()));
}

std::string Scheduler::describe_fibers() const {
  std::string lines;
  for (uint32_t index = 1; index < fibers_.size(); index++) {
    if (fibers_[index].state == FiberState::kEnded) continue;
    lines += "  " + describe_fiber(index) + "\n";
  }
  return lines;
}

std::string Scheduler::describe_fiber(uint32_t index) const {
  const Fiber& fiber = fibers_[index];
  if (fiber.state == FiberState::kRunnable) {
    if (fiber.last_site == kSiteNotStarted) return fiber_label(index) + ": runnable, not started";
    return absl::StrFormat("%s: %s at %s", fiber_label(index),
                           index == current_ ? "running" : "runnable", SiteName(fiber.last_site));
  }
  NS_ASSERT(fiber.state == FiberState::kBlocked);
  NS_ASSERT(fiber.waiting_on != nullptr);
  const SimLock& lock = *fiber.waiting_on;
  std::vector<std::string> holders;
  for (const uint32_t holder : lock.holders()) holders.push_back(fiber_label(holder));
  return absl::StrFormat("%s: blocked at %s waiting for lock \"%s\" (id %d) held by %s",
                         fiber_label(index), SiteName(fiber.last_site), lock.name(), lock.id(),
                         holders.empty() ? "nobody" : absl::StrJoin(holders, ", "));
}

std::string Scheduler::fiber_label(uint32_t index) const {
  if (index == 0) return "the main context";
  NS_ASSERT(index < fibers_.size());
  const Fiber& fiber = fibers_[index];
  return absl::StrFormat("fiber %d \"%s\"%s", index, fiber.name,
                         fiber.state == FiberState::kEnded ? " (ended)" : "");
}

}  // namespace northstar::sim
