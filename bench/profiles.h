// capture-baseline profiles: the scale and repeats a baseline is measured with, per machine
// class. A baseline directory records them in every file (config.scale, config.repeats,
// config.profile), and `northstar bench gate` reruns with what the baseline recorded.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace northstar::bench {

struct BenchProfile {
  std::string_view name;
  double scale = 1;
  uint32_t repeats = 3;
  std::string_view description;
};

[[nodiscard]] std::span<const BenchProfile> Profiles();
// nullptr for an unknown name.
[[nodiscard]] const BenchProfile* FindProfile(std::string_view name);

}  // namespace northstar::bench
