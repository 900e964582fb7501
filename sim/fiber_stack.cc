#include "sim/fiber_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_format.h"
#include "util/assert.h"

#if defined(NORTHSTAR_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

namespace northstar::sim {
namespace {

size_t PageSizeBytes() {
  static const size_t page_size_bytes = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page_size_bytes;
}

// Never destroyed: abandoned fibers stay suspended until the process exits.
std::vector<boost::context::fiber>& Graveyard() {
  static auto* const graveyard = new std::vector<boost::context::fiber>();
  return *graveyard;
}

}  // namespace

FiberStackAllocator::FiberStackAllocator(size_t stack_size_bytes, StackBounds* bounds_out)
    : stack_size_bytes_(stack_size_bytes), bounds_out_(bounds_out) {
  NS_ASSERT(stack_size_bytes_ >= kStackSizeMinBytes);
  NS_ASSERT(stack_size_bytes_ <= kStackSizeMaxBytes);
  NS_ASSERT(stack_size_bytes_ % PageSizeBytes() == 0);
  NS_ASSERT(bounds_out_ != nullptr);
}

boost::context::stack_context FiberStackAllocator::allocate() {
  const size_t guard_bytes = PageSizeBytes();
  const size_t mapped_bytes = stack_size_bytes_ + guard_bytes;
  void* base = mmap(nullptr, mapped_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  NS_ASSERT_MSG(base != MAP_FAILED,
                absl::StrFormat("mmap of a %d-byte fiber stack failed", mapped_bytes));
  const int protect_result = mprotect(base, guard_bytes, PROT_NONE);
  NS_ASSERT(protect_result == 0);
  char* bottom = static_cast<char*>(base) + guard_bytes;
  *bounds_out_ = StackBounds{bottom, stack_size_bytes_};
  boost::context::stack_context context;
  context.size = stack_size_bytes_;
  context.sp = bottom + stack_size_bytes_;  // Stacks grow down: sp starts at the top.
  return context;
}

void FiberStackAllocator::deallocate(boost::context::stack_context& context) noexcept {
  NS_ASSERT(context.size == stack_size_bytes_);
  char* bottom = static_cast<char*>(context.sp) - context.size;
#if defined(NORTHSTAR_ASAN)
  // Frames that never returned (the entry frame) leave poisoned shadow behind; a later mapping
  // at the same address must not inherit it.
  ASAN_UNPOISON_MEMORY_REGION(bottom, context.size);
#endif
  const int unmap_result = munmap(bottom - PageSizeBytes(), context.size + PageSizeBytes());
  NS_ASSERT(unmap_result == 0);
}

void AbandonFiber(boost::context::fiber&& context, const StackBounds& stack) {
  NS_ASSERT(context);
  std::vector<boost::context::fiber>& graveyard = Graveyard();
  NS_ASSERT_MSG(graveyard.size() < kAbandonedFibersMax,
                "too many fibers abandoned by liveness failures in one process");
  graveyard.push_back(std::move(context));
#if defined(NORTHSTAR_ASAN)
  __lsan_register_root_region(stack.bottom, stack.size_bytes);
#else
  (void)stack;
#endif
}

size_t AbandonedFiberCount() { return Graveyard().size(); }

}  // namespace northstar::sim
