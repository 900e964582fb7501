#include "sim/sim_runtime.h"

#include "sim/sim_mutex.h"

namespace northstar::sim {

std::unique_ptr<engine::Mutex> SimRuntime::make_mutex(std::string_view name) {
  return std::make_unique<SimMutex>(scheduler_, name);
}

std::unique_ptr<engine::SharedMutex> SimRuntime::make_shared_mutex(std::string_view name) {
  return std::make_unique<SimSharedMutex>(scheduler_, name);
}

}  // namespace northstar::sim
