// Fiber switches per second: scheduled (the simulator's yield) against bare Boost.Context.
//
// Scheduled: two fibers yield through engine::Runtime (SimRuntime) under a random walk with
// switch_probability 1, so every yield counts a step, advances the virtual clock, draws from the
// schedule RNG, feeds one event to the trace hash and switches to the other fiber. Bare: a
// Boost.Context fiber and the main context resume each other, nothing else. Each measurement
// is the best of a few repetitions. Prints one JSON object; run it from a release build.
//
// Usage: northstar_bench_fiber_switch [switches_per_repetition]
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/runtime.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "util/assert.h"

namespace northstar {
namespace {

constexpr int kRepetitions = 5;
constexpr uint64_t kSwitchesDefault = 20'000'000;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Switches per second of `switches` bare switches (main -> fiber -> main counts two).
double BareSwitchesPerSecond(uint64_t switches) {
  const uint64_t round_trips = switches / 2;
  boost::context::fiber other{[round_trips](boost::context::fiber&& main) {
    for (uint64_t index = 0; index < round_trips; index++) main = std::move(main).resume();
    return std::move(main);
  }};
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t index = 0; index <= round_trips; index++) other = std::move(other).resume();
  const double seconds = SecondsSince(start);
  NS_ASSERT(!other);  // The fiber ended.
  return static_cast<double>(2 * round_trips) / seconds;
}

struct ScheduledResult {
  double switches_per_second = 0;
  uint64_t trace_hash = 0;
};

ScheduledResult ScheduledSwitchesPerSecond(uint64_t switches) {
  const uint64_t yields_per_fiber = switches / 2;
  sim::Scheduler scheduler({.strategy = sim::StrategyKind::kRandomWalk,
                            .switch_probability = 1.0,
                            .steps_max = switches + 16,
                            .fibers_max = 2},
                           /*seed=*/1);
  sim::SimRuntime sim_runtime(scheduler);
  engine::Runtime& runtime = sim_runtime;
  for (const char* name : {"ping", "pong"}) {
    scheduler.spawn(name, [&runtime, yields_per_fiber] {
      for (uint64_t index = 0; index < yields_per_fiber; index++) {
        runtime.yield(engine::YieldSite::kCacheHit);
      }
    });
  }
  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = scheduler.run();
  const double seconds = SecondsSince(start);
  NS_ASSERT_MSG(status.ok(), std::string(status.message()));
  NS_ASSERT(scheduler.switch_count() >= 2 * yields_per_fiber);
  return {static_cast<double>(scheduler.switch_count()) / seconds, scheduler.trace().hash()};
}

int Main(int argc, char** argv) {
  const uint64_t switches = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kSwitchesDefault;
  NS_ASSERT_MSG(switches >= 2, "switches_per_repetition must be at least 2");
  double bare_best = 0, scheduled_best = 0;
  uint64_t trace_hash = 0;
  for (int repetition = 0; repetition < kRepetitions; repetition++) {
    bare_best = std::max(bare_best, BareSwitchesPerSecond(switches));
    const ScheduledResult scheduled = ScheduledSwitchesPerSecond(switches);
    NS_ASSERT(repetition == 0 || scheduled.trace_hash == trace_hash);  // Deterministic.
    trace_hash = scheduled.trace_hash;
    scheduled_best = std::max(scheduled_best, scheduled.switches_per_second);
  }
  std::printf(
      "{\"scheduled_switches_per_sec\":%.0f,\"bare_switches_per_sec\":%.0f,\"ratio\":%.3f,"
      "\"scheduled_ns_per_switch\":%.2f,\"bare_ns_per_switch\":%.2f,\"switches\":%llu,"
      "\"trace_hash\":\"%016llx\"}\n",
      scheduled_best, bare_best, scheduled_best / bare_best, 1e9 / scheduled_best,
      1e9 / bare_best, static_cast<unsigned long long>(switches),
      static_cast<unsigned long long>(trace_hash));
  return 0;
}

}  // namespace
}  // namespace northstar

int main(int argc, char** argv) { return northstar::Main(argc, argv); }
