// sim/fiber_switch: scheduled fiber switches per second (the simulator's yield), with a bare
// Boost.Context switch as the reference.
//
// Scheduled: two fibers yield through engine::Runtime (SimRuntime) under a random walk with
// switch_probability 1, so every yield counts a step, advances the virtual clock, draws from the
// schedule RNG, feeds one event to the trace hash and switches to the other fiber. One op is a
// whole scheduler run of kSwitchesPerOp switches (fiber start-up included, a small share); every
// op must end with the same trace hash (a determinism check). Bare: a Boost.Context fiber and
// the main context resume each other, nothing else; measured in setup, reported under "extra".
#include <boost/context/fiber.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "engine/runtime.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "util/assert.h"

namespace northstar::bench {
namespace {

constexpr uint64_t kSwitchesPerOp = 100'000;
constexpr uint64_t kYieldsPerFiber = kSwitchesPerOp / 2;
constexpr uint64_t kBareSwitches = 4'000'000;

// Switches per second of `switches` bare switches (main -> fiber -> main counts two).
double BareSwitchesPerSecond(uint64_t switches) {
  const uint64_t round_trips = switches / 2;
  boost::context::fiber other{[round_trips](boost::context::fiber&& main) {
    for (uint64_t index = 0; index < round_trips; index++) main = std::move(main).resume();
    return std::move(main);
  }};
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t index = 0; index <= round_trips; index++) other = std::move(other).resume();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  NS_ASSERT(!other);  // The fiber ended.
  return static_cast<double>(2 * round_trips) / seconds;
}

class FiberSwitch final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv&) override {
    bare_switches_per_second_ = BareSwitchesPerSecond(kBareSwitches);
    return absl::OkStatus();
  }

  absl::Status op(uint64_t) override {
    sim::Scheduler scheduler({.strategy = sim::StrategyKind::kRandomWalk,
                              .switch_probability = 1.0,
                              .steps_max = kSwitchesPerOp + 16,
                              .fibers_max = 2},
                             /*seed=*/1);
    sim::SimRuntime sim_runtime(scheduler);
    engine::Runtime& runtime = sim_runtime;
    for (const char* name : {"ping", "pong"}) {
      scheduler.spawn(name, [&runtime] {
        for (uint64_t index = 0; index < kYieldsPerFiber; index++) {
          runtime.yield(engine::YieldSite::kCacheHit);
        }
      });
    }
    const auto start = std::chrono::steady_clock::now();
    if (absl::Status status = scheduler.run(); !status.ok()) return status;
    scheduled_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    scheduled_switches_ += scheduler.switch_count();
    if (scheduler.switch_count() < kSwitchesPerOp) {
      return absl::InternalError(absl::StrFormat("only %d switches", scheduler.switch_count()));
    }
    const uint64_t trace_hash = scheduler.trace().hash();
    if (trace_hash_ && *trace_hash_ != trace_hash) {
      return absl::InternalError(absl::StrFormat("nondeterministic: trace hash %016x after %016x",
                                                 trace_hash, *trace_hash_));
    }
    trace_hash_ = trace_hash;
    return absl::OkStatus();
  }

  nlohmann::json parameters() const override {
    return {{"switches_per_op", kSwitchesPerOp}, {"fibers", 2}, {"strategy", "random-walk"}};
  }
  nlohmann::json extra_metrics() const override {
    nlohmann::json extra = {{"bare_switches_per_second", bare_switches_per_second_}};
    if (scheduled_seconds_ > 0) {
      const double scheduled = static_cast<double>(scheduled_switches_) / scheduled_seconds_;
      extra["scheduled_to_bare_ratio"] = scheduled / bare_switches_per_second_;
    }
    return extra;
  }

 private:
  double bare_switches_per_second_ = 0;
  double scheduled_seconds_ = 0;
  uint64_t scheduled_switches_ = 0;
  std::optional<uint64_t> trace_hash_;
};

const BenchRegistrar kFiberSwitch({
    .name = "sim/fiber_switch",
    .description = "Scheduled fiber switches: two fibers yielding through the simulated runtime "
                   "(random walk, switch probability 1), 100,000 switches per op; extra: a bare "
                   "Boost.Context switch rate and the ratio",
    .unit = "switches",
    .items_per_op = kSwitchesPerOp,
    .ops_default = 50,
    .warmup_ops_default = 2,
    .needs_disk = false,
    .make = [] { return std::make_unique<FiberSwitch>(); },
});

}  // namespace
}  // namespace northstar::bench
