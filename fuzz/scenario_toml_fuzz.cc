// Fuzz target: the scenario file parser, ParseScenario and FormatScenario (sim/scenario_io.h,
// spec/scenario_format.md).
//
// Input: the bytes of a scenario file. Checks: a rejection is InvalidArgument whose message
// starts with the source name (every error says where it is); an accepted scenario formats to a
// canonical text that parses again, and formatting that gives the same bytes (the canonical form
// is a fixed point). toml++ exceptions must never escape.
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "fuzz/fuzz_target.h"
#include "sim/scenario_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar;
  if (size > sim::kScenarioFileBytesMax) return 0;  // ReadScenarioText refuses these first.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<sim::Scenario> scenario = sim::ParseScenario(text, "fuzz.toml");
  if (!scenario.ok()) {
    NS_ASSERT_MSG(scenario.status().code() == absl::StatusCode::kInvalidArgument,
                  scenario.status().ToString());
    NS_ASSERT_MSG(absl::string_view(scenario.status().message()).substr(0, 9) == "fuzz.toml",
                  scenario.status().ToString());
    return 0;
  }
  const std::string canonical = sim::FormatScenario(*scenario);
  const absl::StatusOr<sim::Scenario> again = sim::ParseScenario(canonical, "canonical.toml");
  NS_ASSERT_MSG(again.ok(), again.status().ToString());
  NS_ASSERT_MSG(sim::FormatScenario(*again) == canonical,
                "formatting a parsed canonical scenario changed its bytes");
  return 0;
}
