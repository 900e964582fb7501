// SimRuntime: the engine's runtime hooks (engine/runtime.h) on a Scheduler.
//
// Locks are SimMutex / SimSharedMutex, yield(site) asks the scheduler whether to switch, and
// now_ns() reads the virtual clock; nothing reads a wall clock. Pass it as DbOptions::runtime.
// The Scheduler must outlive the runtime and every lock it made. Not thread-safe: one OS thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/runtime.h"
#include "sim/scheduler.h"

namespace northstar::sim {

class SimRuntime final : public engine::Runtime {
 public:
  explicit SimRuntime(Scheduler& scheduler) : scheduler_(scheduler) {}

  [[nodiscard]] std::unique_ptr<engine::Mutex> make_mutex(std::string_view name) override;
  [[nodiscard]] std::unique_ptr<engine::SharedMutex> make_shared_mutex(
      std::string_view name) override;
  void yield(engine::YieldSite site) override {
    scheduler_.yield(static_cast<uint16_t>(site));
  }
  [[nodiscard]] uint64_t now_ns() override { return scheduler_.now_ns(); }

  // A workload operation or its result, into the trace (kOp).
  void record_op(std::string_view description, uint64_t arg0 = 0, uint64_t arg1 = 0,
                 uint64_t arg2 = 0) {
    scheduler_.record_op(description, arg0, arg1, arg2);
  }
  [[nodiscard]] Scheduler& scheduler() { return scheduler_; }

 private:
  Scheduler& scheduler_;
};

}  // namespace northstar::sim
