#include "bench/profiles.h"

#include <array>

namespace northstar::bench {
namespace {

constexpr std::array<BenchProfile, 2> kProfiles = {{
    {"ci", 0.01, 5,
     "shared CI machines: every benchmark at 1% of its size (10k-key trees), 5 repeats; about "
     "20 seconds"},
    {"dev_nvme", 1, 5,
     "a developer machine with an NVMe disk: the sizes in the names (1M-key trees), 5 repeats"},
}};

}  // namespace

std::span<const BenchProfile> Profiles() { return kProfiles; }

const BenchProfile* FindProfile(std::string_view name) {
  for (const BenchProfile& profile : kProfiles) {
    if (profile.name == name) return &profile;
  }
  return nullptr;
}

}  // namespace northstar::bench
