#include "bench/system_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "util/build_stamp.h"

#ifndef NORTHSTAR_BUILD_TYPE
#define NORTHSTAR_BUILD_TYPE "unknown"
#endif
#ifndef NORTHSTAR_VERSION
#define NORTHSTAR_VERSION "unknown"
#endif

namespace northstar::bench {
namespace {

// The value after "<key>\t: " of the first line starting with `key` in /proc/cpuinfo.
std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string Kernel() {
  struct utsname names;
  if (uname(&names) != 0) return "unknown";
  return absl::StrFormat("%s %s %s", names.sysname, names.release, names.machine);
}

std::string Compiler() {
#if defined(__clang__)
  return absl::StrFormat("clang %d.%d.%d", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return absl::StrFormat("gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string TimestampUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t index = 0; index < text.size(); index++) {
    if (text[index] == '\\' && index + 3 < text.size()) {
      const std::string_view digits = text.substr(index + 1, 3);
      if (digits.size() == 3 && digits.find_first_not_of("01234567") == std::string_view::npos) {
        out +=
            static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        index += 3;
        continue;
      }
    }
    out += text[index];
  }
  return out;
}

// "<kB> kB" of the line starting with `key` in /proc/self/status, in bytes.
uint64_t StatusKilobytes(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      std::istringstream fields(line.substr(key.size()));
      uint64_t kilobytes = 0;
      fields >> kilobytes;
      return kilobytes * 1024;
    }
  }
  return 0;
}

}  // namespace

MountInfo MountOf(const std::string& path) {
  std::error_code error;
  const std::filesystem::path canonical = std::filesystem::canonical(path, error);
  if (error) return {};
  const std::string target = canonical.string();
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  MountInfo best;
  size_t best_length = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream words(line);
    for (std::string word; words >> word;) fields.push_back(word);
    if (fields.size() < 10) continue;
    const std::string mount_point = Unescape(fields[4]);
    const bool prefixes = target == mount_point || mount_point == "/" ||
                          (target.rfind(mount_point, 0) == 0 && target[mount_point.size()] == '/');
    if (!prefixes || mount_point.size() < best_length) continue;
    size_t separator = 6;  // Optional fields end at "-".
    while (separator < fields.size() && fields[separator] != "-") separator++;
    if (separator + 2 >= fields.size()) continue;
    best.file_system = fields[separator + 1];
    best.device = Unescape(fields[separator + 2]);
    best_length = mount_point.size();
  }
  return best;
}

uint64_t PeakRssBytes() { return StatusKilobytes("VmHWM:"); }

bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.close();
  return static_cast<bool>(out);
}

SystemInfo CollectSystemInfo(const std::string& dir) {
  SystemInfo info;
  info.cpu_model = CpuModel();
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  info.cores = cores > 0 ? static_cast<uint64_t>(cores) : 1;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  info.ram_bytes = pages > 0 && page_size > 0
                       ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size)
                       : 0;
  info.kernel = Kernel();
  if (dir.empty()) {
    info.dir_file_system = "none";
    info.dir_device = "none";
  } else {
    const MountInfo mount = MountOf(dir);
    info.dir_file_system = mount.file_system;
    info.dir_device = mount.device;
  }
  info.compiler = Compiler();
  info.build_type = NORTHSTAR_BUILD_TYPE;
  info.git_commit = std::string(BuildGitCommit());
  info.northstar_version = NORTHSTAR_VERSION;
  info.hostname = Hostname();
  info.timestamp_utc = TimestampUtc();
  return info;
}

}  // namespace northstar::bench
