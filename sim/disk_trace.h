// DiskTrace: a SimDisk's events into a Scheduler's trace, and its read latency into the clock.
//
// While a DiskTrace lives, every SimDisk event becomes a trace event stamped with the current
// step and fiber: kIo for plain operations, kFault for injected faults and crash decisions;
// site = the SimDiskEventKind, args = offset, size, detail; text = the path. A kRead's detail
// (its simulated latency in microseconds) advances the virtual clock. Destroying the DiskTrace
// unsubscribes. The disk and the scheduler must outlive it; one subscriber per disk.
#pragma once

#include "sim/scheduler.h"
#include "vfs/sim_disk.h"

namespace northstar::sim {

[[nodiscard]] bool IsFaultEvent(vfs::SimDiskEventKind kind);

class DiskTrace {
 public:
  DiskTrace(vfs::SimDisk& disk, Scheduler& scheduler);
  ~DiskTrace();
  DiskTrace(const DiskTrace&) = delete;
  DiskTrace& operator=(const DiskTrace&) = delete;

 private:
  void on_event(const vfs::SimDiskEvent& event);

  vfs::SimDisk& disk_;
  Scheduler& scheduler_;
};

}  // namespace northstar::sim
