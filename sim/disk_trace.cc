#include "sim/disk_trace.h"

#include "util/assert.h"

namespace northstar::sim {

bool IsFaultEvent(vfs::SimDiskEventKind kind) {
  switch (kind) {
    case vfs::SimDiskEventKind::kRead:
    case vfs::SimDiskEventKind::kWrite:
    case vfs::SimDiskEventKind::kSync:
    case vfs::SimDiskEventKind::kTruncate:
    case vfs::SimDiskEventKind::kOpen:
    case vfs::SimDiskEventKind::kRemove:
    case vfs::SimDiskEventKind::kRename:
    case vfs::SimDiskEventKind::kSyncDir:
      return false;
    case vfs::SimDiskEventKind::kReadError:
    case vfs::SimDiskEventKind::kWriteError:
    case vfs::SimDiskEventKind::kSyncError:
    case vfs::SimDiskEventKind::kSyncDroppedDirtyData:
    case vfs::SimDiskEventKind::kNoSpace:
    case vfs::SimDiskEventKind::kBitRot:
    case vfs::SimDiskEventKind::kMisdirectedWrite:
    case vfs::SimDiskEventKind::kHalt:
    case vfs::SimDiskEventKind::kCrash:
    case vfs::SimDiskEventKind::kCrashSector:
    case vfs::SimDiskEventKind::kCrashCut:
    case vfs::SimDiskEventKind::kCrashDirOps:
      return true;
  }
  NS_ASSERT_MSG(false, "unknown SimDiskEventKind");
  return true;
}

DiskTrace::DiskTrace(vfs::SimDisk& disk, Scheduler& scheduler)
    : disk_(disk), scheduler_(scheduler) {
  disk_.set_event_callback([this](const vfs::SimDiskEvent& event) { on_event(event); });
}

DiskTrace::~DiskTrace() { disk_.set_event_callback(nullptr); }

void DiskTrace::on_event(const vfs::SimDiskEvent& event) {
  const TraceEventKind kind = IsFaultEvent(event.kind) ? TraceEventKind::kFault : TraceEventKind::kIo;
  scheduler_.record(kind, static_cast<uint16_t>(event.kind), event.offset, event.size,
                    event.detail, event.path);
  constexpr uint64_t kNanosecondsPerMicrosecond = 1000;
  if (event.kind == vfs::SimDiskEventKind::kRead && event.detail > 0) {
    scheduler_.advance_clock(event.detail * kNanosecondsPerMicrosecond);
  }
}

}  // namespace northstar::sim
