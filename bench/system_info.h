// What a result file records about the machine and the build: CPU model and cores, RAM, kernel,
// the file system of the scratch directory, compiler, build type, git commit (stamped at build
// time: util/build_stamp.h), hostname and time. Linux only (/proc, uname); a field that cannot be read is "unknown".
#pragma once

#include <cstdint>
#include <string>

#include "bench/results.h"

namespace northstar::bench {

// `dir`: the scratch directory whose file system is recorded ("" for none).
[[nodiscard]] SystemInfo CollectSystemInfo(const std::string& dir);

// The file system type and device of the mount that holds `path` (the longest mount point that
// prefixes its canonical path, from /proc/self/mountinfo): {"ext4", "/dev/nvme0n1p2"}.
struct MountInfo {
  std::string file_system = "unknown";
  std::string device = "unknown";
};
[[nodiscard]] MountInfo MountOf(const std::string& path);

// Peak resident set of this process (VmHWM), in bytes; 0 if unreadable.
[[nodiscard]] uint64_t PeakRssBytes();
// Resets the peak resident set to the current one (writes "5" to /proc/self/clear_refs);
// false where the kernel refuses.
[[nodiscard]] bool ResetPeakRss();

}  // namespace northstar::bench
