// SimLock: what the scheduler knows of a simulated lock, for blocking and liveness reports.
//
// Implemented by SimMutex and SimSharedMutex (sim_mutex.h). A lock belongs to one Scheduler and
// must not outlive it. Not thread-safe: a simulated run is one OS thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace northstar::sim {

class SimLock {
 public:
  SimLock(uint64_t id, std::string name) : id_(id), name_(std::move(name)) {}
  virtual ~SimLock() = default;
  SimLock(const SimLock&) = delete;
  SimLock& operator=(const SimLock&) = delete;

  // Deterministic: assigned in creation order by the Scheduler.
  [[nodiscard]] uint64_t id() const { return id_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  // The fibers holding the lock (0: the main context), in acquisition order.
  [[nodiscard]] virtual std::vector<uint32_t> holders() const = 0;

 private:
  const uint64_t id_;
  const std::string name_;
};

}  // namespace northstar::sim
