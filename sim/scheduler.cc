#include "sim/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "sim/sim_lock.h"
#include "sim/sites.h"
#include "util/assert.h"

namespace northstar::sim {

Scheduler::Scheduler(const ScheduleOptions& options, uint64_t seed, TraceOptions trace_options)
    : options_(options),
      seed_(seed),
      strategy_(MakeStrategy(options, Rng(DeriveSeed(seed, "schedule")))),
      trace_(trace_options) {
  fibers_.reserve(size_t{options_.fibers_max} + 1);
  runnable_.reserve(options_.fibers_max);
  Fiber& main = fibers_.emplace_back();
  main.name = "main";
}

Scheduler::~Scheduler() {
  NS_ASSERT(!running_);
  // After a liveness failure the stopped fibers' frames may still refer to locks their owner
  // has leaked or destroyed; they never run again.
  NS_ASSERT_MSG(live_locks_ == 0 || !failure_.ok(), "a simulated lock outlives its Scheduler");
  for (size_t index = 1; index < fibers_.size(); index++) {
    Fiber& fiber = fibers_[index];
    if (fiber.context) AbandonFiber(std::move(fiber.context), fiber.stack);
  }
}

uint32_t Scheduler::spawn(std::string name, std::function<void()> body) {
  NS_ASSERT_MSG(fibers_.size() <= options_.fibers_max,
                absl::StrFormat("more than fibers_max = %d fibers", options_.fibers_max));
  NS_ASSERT(body != nullptr);
  NS_ASSERT(failure_.ok());
  const auto index = static_cast<uint32_t>(fibers_.size());
  Fiber& fiber = fibers_.emplace_back();
  fiber.name = std::move(name);
  fiber.body = std::move(body);
  fiber.last_site = kSiteNotStarted;
  runnable_.push_back(index);  // The largest index so far: the vector stays sorted.
  live_count_++;
  strategy_->on_spawn(index);
  trace_event(index, TraceEventKind::kFiberStart, kSiteNotStarted, current_, 0, 0, fiber.name);
  return index;
}

absl::Status Scheduler::run() {
  NS_ASSERT_MSG(failure_.ok(), "Scheduler::run() after a liveness failure");
  NS_ASSERT(!running_);
  NS_ASSERT(current_ == 0);
  if (live_count_ == 0) return absl::OkStatus();
  running_ = true;
  fibers_[0].stack = CurrentStackBounds();  // For ASan, before the first switch.
  const uint32_t first = decide(TraceEventKind::kSchedule, kSiteRunStart);
  if (first != 0) switch_to(first);
  running_ = false;
  NS_ASSERT(current_ == 0);
  NS_ASSERT(live_count_ == 0 || !failure_.ok());
  return failure_;
}

void Scheduler::advance_clock(uint64_t duration_ns) {
  now_ns_ += duration_ns;
  record(TraceEventKind::kClock, 0, now_ns_);
}

void Scheduler::record(TraceEventKind kind, uint16_t site, uint64_t arg0, uint64_t arg1,
                       uint64_t arg2, std::string_view text) {
  trace_event(current_, kind, site, arg0, arg1, arg2, text);
}

void Scheduler::record_op(std::string_view description, uint64_t arg0, uint64_t arg1,
                          uint64_t arg2) {
  record(TraceEventKind::kOp, 0, arg0, arg1, arg2, description);
}

uint64_t Scheduler::register_lock() {
  live_locks_++;
  return next_lock_id_++;
}

void Scheduler::unregister_lock() {
  NS_ASSERT(live_locks_ > 0);
  live_locks_--;
}

void Scheduler::block(const SimLock& lock, uint16_t site) {
  NS_ASSERT_MSG(running_ && current_ != 0,
                absl::StrFormat("the main context would block on lock \"%s\"", lock.name()));
  Fiber& fiber = fibers_[current_];
  NS_ASSERT(fiber.state == FiberState::kRunnable);
  fiber.state = FiberState::kBlocked;
  fiber.waiting_on = &lock;
  fiber.last_site = site;
  remove_runnable(current_);
  record(TraceEventKind::kLockBlock, site, lock.id(), 0, 0, lock.name());
  switch_to(decide(TraceEventKind::kSchedule, site));
  NS_ASSERT(fiber.state == FiberState::kRunnable);  // Woken, then chosen.
}

void Scheduler::wake(uint32_t index) {
  NS_ASSERT(index != 0 && index < fibers_.size());
  Fiber& fiber = fibers_[index];
  NS_ASSERT(fiber.state == FiberState::kBlocked);
  fiber.state = FiberState::kRunnable;
  fiber.waiting_on = nullptr;
  runnable_.insert(std::lower_bound(runnable_.begin(), runnable_.end(), index), index);
}

std::vector<std::string> Scheduler::fiber_names() const {
  std::vector<std::string> names;
  names.reserve(fibers_.size());
  for (const Fiber& fiber : fibers_) names.push_back(fiber.name);
  return names;
}

uint32_t Scheduler::decide(TraceEventKind kind, uint16_t site) {
  step_++;
  now_ns_ += options_.step_duration_ns;
  if (step_ > options_.steps_max) {
    fail(runaway_failure());
    return 0;
  }
  if (runnable_.empty()) {
    if (live_count_ > 0) {
      fail(deadlock_failure());
    } else {
      record(kind, site, 0, 0);  // Every fiber ended: back to the main context.
    }
    return 0;
  }
  const bool current_runnable =
      current_ != 0 && fibers_[current_].state == FiberState::kRunnable;
  const uint32_t next = strategy_->pick(Decision{step_, current_, current_runnable, runnable_});
  NS_ASSERT(next != 0 && next < fibers_.size());
  NS_ASSERT(fibers_[next].state == FiberState::kRunnable);
  record(kind, site, next, runnable_.size());
  return next;
}

void Scheduler::yield_waiting(uint16_t site) {
  if (!running_) return;
  fibers_[current_].last_site = site;
  const uint32_t next = decide_others(site);
  if (next != current_) switch_to(next);  // 0: the run failed; back to the main context.
}

uint32_t Scheduler::decide_others(uint16_t site) {
  others_.clear();
  for (uint32_t fiber : runnable_) {
    if (fiber != current_) others_.push_back(fiber);
  }
  if (others_.empty()) return decide(TraceEventKind::kYield, site);
  step_++;
  now_ns_ += options_.step_duration_ns;
  if (step_ > options_.steps_max) {
    fail(runaway_failure());
    return 0;
  }
  const uint32_t next = strategy_->pick(Decision{step_, current_, false, others_});
  NS_ASSERT(next != 0 && next != current_ && fibers_[next].state == FiberState::kRunnable);
  record(TraceEventKind::kYield, site, next, runnable_.size());
  return next;
}

void Scheduler::start_context(uint32_t index) {
  Fiber& fiber = fibers_[index];
  NS_ASSERT(fiber.last_site == kSiteNotStarted);
  NS_ASSERT(!fiber.context);
  void* fake_stack = HideFakeStack(fibers_[current_].stack);
  fiber.context = boost::context::fiber(
      std::allocator_arg, FiberStackAllocator(options_.stack_size_bytes, &fiber.stack),
      [this, index](boost::context::fiber&& from) { return fiber_main(index, std::move(from)); });
  RestoreFakeStack(fake_stack);
}

boost::context::fiber Scheduler::fiber_main(uint32_t index, boost::context::fiber&& from) {
  arrive(std::move(from));
  NS_ASSERT(current_ == index);
  {
    std::function<void()> body = std::move(fibers_[index].body);
    body();
  }
  return end_fiber(index);
}

boost::context::fiber Scheduler::end_fiber(uint32_t index) {
  Fiber& fiber = fibers_[index];
  fiber.state = FiberState::kEnded;
  fiber.last_site = kSiteFiberEnd;
  remove_runnable(index);
  live_count_--;
  record(TraceEventKind::kFiberEnd, kSiteFiberEnd);
  const uint32_t next = decide(TraceEventKind::kSchedule, kSiteFiberEnd);
  Fiber& target = fibers_[next];
  if (!target.context) start_context(next);
  switching_from_ = index;
  current_ = next;
  switch_count_++;
  // Saves this fiber's ASan fake stack: Boost still runs on it; the next context frees it.
  StartSwitch(&fiber.asan_fake_stack, target.stack);
  return std::move(target.context);
}

void Scheduler::remove_runnable(uint32_t index) {
  const auto found = std::lower_bound(runnable_.begin(), runnable_.end(), index);
  NS_ASSERT(found != runnable_.end() && *found == index);
  runnable_.erase(found);
}

void Scheduler::trace_event(uint32_t fiber, TraceEventKind kind, uint16_t site, uint64_t arg0,
                            uint64_t arg1, uint64_t arg2, std::string_view text) {
  trace_.record(step_, fiber, kind, site, arg0, arg1, arg2, now_ns_, text);
}

void Scheduler::fail(absl::Status failure) {
  NS_ASSERT(!failure.ok());
  NS_ASSERT(failure_.ok());
  failure_ = std::move(failure);
  record(TraceEventKind::kCheck, 0, 0, 0, 0, std::string(failure_.message()));
}

}  // namespace northstar::sim
