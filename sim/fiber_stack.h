// Fiber stacks and the AddressSanitizer bookkeeping of stack switches.
//
// FiberStackAllocator meets Boost.Context's StackAllocator concept: fixed-size stacks mapped
// with mmap, with one PROT_NONE guard page below each, so that an overflow faults instead of
// corrupting a neighbour. It reports each stack's bounds to its owner (ASan needs them).
//
// AddressSanitizer is not told about Boost.Context's fcontext switches (Boost 1.74 annotates only
// its ucontext back end, under BOOST_USE_ASAN), so the scheduler annotates every switch itself
// with StartSwitch / FinishSwitch, which compile to nothing without ASan. Fake stacks (ASan's
// detect_stack_use_after_return) are handled as well: HideFakeStack around a fiber's creation,
// DestroyFakeStack after its end.
//
// A fiber that never ends (a liveness failure stopped it mid-stack) cannot be destroyed safely:
// unwinding it would run its destructors, which may lock, yield or sit in a noexcept frame.
// AbandonFiber keeps such a fiber suspended forever: its stack stays mapped (at most
// kAbandonedFibersMax per process, asserted) and LeakSanitizer scans it as a root, so that what
// its frames own is not reported as leaked.
//
// Not thread-safe: a simulated run is one OS thread.
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define NORTHSTAR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NORTHSTAR_ASAN 1
#endif
#endif

#if defined(NORTHSTAR_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

namespace northstar::sim {

struct StackBounds {
  const void* bottom = nullptr;  // Lowest usable address.
  size_t size_bytes = 0;
};

inline constexpr size_t kStackSizeMinBytes = size_t{64} << 10;
inline constexpr size_t kStackSizeMaxBytes = size_t{64} << 20;
inline constexpr size_t kAbandonedFibersMax = 4096;

class FiberStackAllocator {
 public:
  // `bounds_out` receives the bounds of the stack allocate() maps; it must outlive allocate().
  FiberStackAllocator(size_t stack_size_bytes, StackBounds* bounds_out);

  [[nodiscard]] boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& context) noexcept;

 private:
  size_t stack_size_bytes_;
  StackBounds* bounds_out_;
};

// Called by the context that leaves: `fake_stack_save` receives its ASan fake stack (an ending
// fiber saves it too, see DestroyFakeStack); `target` is the stack about to run.
inline void StartSwitch(void** fake_stack_save, const StackBounds& target) {
#if defined(NORTHSTAR_ASAN)
  __sanitizer_start_switch_fiber(fake_stack_save, target.bottom, target.size_bytes);
#else
  (void)fake_stack_save;
  (void)target;
#endif
}

// Called first thing by the context that arrives; `from_out` receives the bounds of the context
// it came from (how the scheduler learns the main stack's bounds; untouched without ASan).
inline void FinishSwitch(void* fake_stack_save, StackBounds* from_out) {
#if defined(NORTHSTAR_ASAN)
  const void* from_bottom = nullptr;
  size_t from_size_bytes = 0;
  __sanitizer_finish_switch_fiber(fake_stack_save, &from_bottom, &from_size_bytes);
  *from_out = StackBounds{from_bottom, from_size_bytes};
#else
  (void)fake_stack_save;
  (void)from_out;
#endif
}

// The bounds ASan has for the running stack (empty without ASan): asked by switching to a dummy
// stack and straight back, without leaving the running stack. How the scheduler learns the main
// stack's bounds before its first switch.
inline StackBounds CurrentStackBounds() {
  StackBounds bounds;
#if defined(NORTHSTAR_ASAN)
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, nullptr, 0);
  __sanitizer_finish_switch_fiber(fake_stack, &bounds.bottom, &bounds.size_bytes);
  __sanitizer_start_switch_fiber(&fake_stack, bounds.bottom, bounds.size_bytes);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
  return bounds;
}

// Creating a Boost fiber runs its entry frame on the new stack once (a round trip before the
// first resume). Between HideFakeStack and RestoreFakeStack the running context's ASan fake
// stack is out of reach, so that frame lands on the new fiber's own stack, not on a fake stack
// that may die before the new fiber does. `running` = the running stack's bounds.
[[nodiscard]] inline void* HideFakeStack(const StackBounds& running) {
  void* fake_stack = nullptr;
  StartSwitch(&fake_stack, running);
  return fake_stack;
}
inline void RestoreFakeStack(void* fake_stack) {
  StackBounds ignored;
  FinishSwitch(fake_stack, &ignored);
}

// Frees the ASan fake stack (detect_stack_use_after_return) of a fiber that has ended, from the
// context that runs next, on `current_stack`. An ending fiber cannot free its own: Boost runs
// code on it (with frames on that fake stack) after the fiber's function returns. So its last
// StartSwitch saves the fake stack, and the next context adopts it and drops it, without
// leaving its own stack: switch to it, then leave it for good, then switch back.
inline void DestroyFakeStack(void* fake_stack, const StackBounds& current_stack) {
#if defined(NORTHSTAR_ASAN)
  if (fake_stack == nullptr) return;
  void* current_fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&current_fake_stack, current_stack.bottom,
                                 current_stack.size_bytes);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
  __sanitizer_start_switch_fiber(nullptr, current_stack.bottom, current_stack.size_bytes);
  __sanitizer_finish_switch_fiber(current_fake_stack, nullptr, nullptr);
#else
  (void)fake_stack;
  (void)current_stack;
#endif
}

// Keeps `context` (a suspended fiber whose stack is `stack`) suspended for the rest of the
// process, as the header comment describes.
void AbandonFiber(boost::context::fiber&& context, const StackBounds& stack);
[[nodiscard]] size_t AbandonedFiberCount();

}  // namespace northstar::sim
