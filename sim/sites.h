// Sites: where a fiber stopped, as recorded in trace events (TraceEvent::site) and named in
// liveness reports. Values below engine::kYieldSiteCount are the engine's YieldSites; the
// simulator adds its own above kSimSiteBase; tests and workloads may use kUserSiteBase + n.
#pragma once

#include <cstdint>
#include <string>

#include "engine/runtime.h"

namespace northstar::sim {

inline constexpr uint16_t kSimSiteBase = 0x100;
inline constexpr uint16_t kSiteRunStart = kSimSiteBase + 0;   // The main context starts a run.
inline constexpr uint16_t kSiteFiberEnd = kSimSiteBase + 1;   // A fiber returned.
inline constexpr uint16_t kSiteNotStarted = kSimSiteBase + 2; // Spawned, never ran.
inline constexpr uint16_t kUserSiteBase = 0x200;
static_assert(engine::kYieldSiteCount <= kSimSiteBase);

[[nodiscard]] inline uint16_t SiteOf(engine::YieldSite site) { return static_cast<uint16_t>(site); }

// "lock_acquire", "fiber_end", "user_site_3", ...
[[nodiscard]] std::string SiteName(uint16_t site);

}  // namespace northstar::sim
