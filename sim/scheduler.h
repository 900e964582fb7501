// Scheduler: fibers on one OS thread, switched only at yield sites by a seeded strategy.
//
// The scheduler owns its fibers (Boost.Context, fixed-size stacks; index 1..N, 0 is the main
// context that calls run()). A fiber runs until it yields; yield() counts a step, advances the
// virtual clock by step_duration_ns, asks the strategy which runnable fiber runs next (drawing
// only from the "schedule" stream of the seed) and switches to it. A fiber that blocks on a
// simulated lock parks (block()) until the holder wakes it (wake()). Every decision, lock
// event, clock advance and operation goes to the trace with the step, the fiber and the virtual
// time. The runnable set is a sorted vector: no order here depends on addresses.
//
// Liveness failures end a run; run() returns them and the message names every live fiber, the
// site where it stopped and, when blocked, the lock it waits for and who holds that lock:
// - deadlock, every live fiber blocked: absl::AbortedError("seed S: deadlock at step N ...");
// - runaway, more than steps_max steps: absl::DeadlineExceededError("seed S: runaway ...").
// The stopped fibers are then never resumed nor unwound: ~Scheduler abandons them (see
// fiber_stack.h), so objects their frames own or would release are never destroyed, and the
// owner must not expect them to be (e.g. leak a Db whose transactions such a fiber holds).
//
// Outside run() (the main context before or after a run) yield() does nothing, and a simulated
// lock may be taken only if it is free. A fiber body must not throw.
//
// Limits: fibers_max fibers per Scheduler, asserted; stacks of stack_size_bytes each.
// Not thread-safe: one OS thread.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sim/fiber_stack.h"
#include "sim/schedule_options.h"
#include "sim/strategy.h"
#include "sim/trace.h"
#include "util/assert.h"

namespace northstar::sim {

class SimLock;

class Scheduler {
 public:
  // Precondition: ValidateScheduleOptions(options) is OK.
  Scheduler(const ScheduleOptions& options, uint64_t seed, TraceOptions trace_options = {});
  ~Scheduler();  // Asserts every lock is gone; abandons fibers a liveness failure stopped.
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds a runnable fiber (not started); from the main context or from a fiber. Returns its
  // index (1, 2, ...).
  uint32_t spawn(std::string name, std::function<void()> body);
  // Runs the fibers until every one has ended (OK) or a liveness failure (see above). Not
  // again after a failure.
  [[nodiscard]] absl::Status run();

  // A point where the strategy may switch fibers; `site` as in sites.h. Inline (below), with
  // the switch itself: after a stack switch every pending return mispredicts (Boost's
  // jump_fcontext leaves the return-stack buffer one entry off), so the fewer frames between
  // the caller and the switch, the faster a scheduled switch.
  void yield(uint16_t site);
  // A yield of a fiber that waits for another to act (a busy lock of a foreign engine, retried
  // rather than parked on): another runnable fiber runs if there is one, as a sleeping thread
  // would let it. A plain yield() could pick the waiter again and again (PCT always runs the
  // highest priority), a livelock no real scheduler has.
  void yield_waiting(uint16_t site);
  // Time passes (simulated I/O latency, ...): recorded as a kClock event.
  void advance_clock(uint64_t duration_ns);
  // Records an event stamped with the current step, fiber and virtual time.
  void record(TraceEventKind kind, uint16_t site, uint64_t arg0 = 0, uint64_t arg1 = 0,
              uint64_t arg2 = 0, std::string_view text = {});
  // A workload operation or result (kOp).
  void record_op(std::string_view description, uint64_t arg0 = 0, uint64_t arg1 = 0,
                 uint64_t arg2 = 0);

  // For simulated locks: ids in creation order; counts live locks.
  [[nodiscard]] uint64_t register_lock();
  void unregister_lock();
  // Parks the current fiber (not the main context) on `lock` until wake(). A liveness failure
  // may mean it never returns.
  void block(const SimLock& lock, uint16_t site);
  // Makes a fiber parked by block() runnable again.
  void wake(uint32_t fiber);

  [[nodiscard]] bool running() const { return running_; }
  [[nodiscard]] uint32_t current_fiber() const { return current_; }
  [[nodiscard]] uint64_t step() const { return step_; }
  [[nodiscard]] uint64_t now_ns() const { return now_ns_; }
  [[nodiscard]] uint64_t seed() const { return seed_; }
  [[nodiscard]] uint64_t switch_count() const { return switch_count_; }
  [[nodiscard]] const Trace& trace() const { return trace_; }
  // Index = fiber; [0] is "main".
  [[nodiscard]] std::vector<std::string> fiber_names() const;

 private:
  enum class FiberState : uint8_t { kRunnable, kBlocked, kEnded };

  struct Fiber {
    std::string name;
    std::function<void()> body;
    // Set while suspended; empty while running, ended or not started.
    boost::context::fiber context;
    FiberState state = FiberState::kRunnable;
    uint16_t last_site = 0;
    const SimLock* waiting_on = nullptr;
    StackBounds stack;
    void* asan_fake_stack = nullptr;
  };

  // Creates the fiber's context (and maps its stack) when it first runs.
  void start_context(uint32_t index);
  boost::context::fiber fiber_main(uint32_t index, boost::context::fiber&& from);
  boost::context::fiber end_fiber(uint32_t index);
  // Counts a step and picks the next fiber; 0 when the run is over (done or failed).
  uint32_t decide(TraceEventKind kind, uint16_t site);
  // As decide(), choosing among the runnable fibers other than the current one, if any.
  uint32_t decide_others(uint16_t site);
  void switch_to(uint32_t next);
  void arrive(boost::context::fiber&& from);
  void remove_runnable(uint32_t fiber);
  void trace_event(uint32_t fiber, TraceEventKind kind, uint16_t site, uint64_t arg0,
                   uint64_t arg1, uint64_t arg2, std::string_view text);
  void fail(absl::Status failure);
  [[nodiscard]] absl::Status deadlock_failure() const;
  [[nodiscard]] absl::Status runaway_failure() const;
  [[nodiscard]] std::string describe_fibers() const;
  [[nodiscard]] std::string describe_fiber(uint32_t index) const;
  [[nodiscard]] std::string fiber_label(uint32_t index) const;

  const ScheduleOptions options_;
  const uint64_t seed_;
  std::unique_ptr<Strategy> strategy_;
  Trace trace_;
  std::vector<Fiber> fibers_;      // Reserved up front (fibers_max + 1): never reallocates.
  std::vector<uint32_t> runnable_; // Sorted.
  std::vector<uint32_t> others_;    // decide_others()' runnable_ without the current fiber.
  uint32_t live_count_ = 0;        // Spawned and not ended.
  uint32_t current_ = 0;
  uint32_t switching_from_ = 0;    // The fiber that switched to current_.
  uint64_t step_ = 0;
  uint64_t now_ns_ = 0;
  uint64_t switch_count_ = 0;
  uint64_t next_lock_id_ = 1;
  uint64_t live_locks_ = 0;
  bool running_ = false;
  absl::Status failure_;
};

inline void Scheduler::yield(uint16_t site) {
  if (!running_) return;
  fibers_[current_].last_site = site;
  const uint32_t next = decide(TraceEventKind::kYield, site);
  if (next != current_) switch_to(next);
}

inline void Scheduler::switch_to(uint32_t next) {
  NS_ASSERT(next != current_);
  Fiber& from = fibers_[current_];
  Fiber& target = fibers_[next];
  if (!target.context) [[unlikely]] start_context(next);
  switching_from_ = current_;
  current_ = next;
  switch_count_++;
  StartSwitch(&from.asan_fake_stack, target.stack);
  arrive(std::move(target.context).resume());
}

inline void Scheduler::arrive(boost::context::fiber&& from) {
  StackBounds from_stack;
  FinishSwitch(fibers_[current_].asan_fake_stack, &from_stack);
  Fiber& previous = fibers_[switching_from_];
  if (switching_from_ == 0) previous.stack = from_stack;  // The main stack, as ASan knows it.
  previous.context = std::move(from);  // Empty if `previous` has ended.
  if (previous.asan_fake_stack != nullptr && previous.state == FiberState::kEnded) [[unlikely]] {
    DestroyFakeStack(previous.asan_fake_stack, fibers_[current_].stack);
    previous.asan_fake_stack = nullptr;
  }
}

}  // namespace northstar::sim
