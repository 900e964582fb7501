#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "bench/harness.h"
#include "util/assert.h"

namespace northstar::bench {
namespace {

// Function-local so that registrars in other translation units may run first.
std::vector<BenchSpec>& Registry() {
  static std::vector<BenchSpec> registry;
  return registry;
}

bool IsNamePart(std::string_view part) {
  if (part.empty()) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsUnit(std::string_view unit) {
  return !unit.empty() && std::all_of(unit.begin(), unit.end(),
                                      [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

bool IsValidBenchmarkName(std::string_view name) {
  if (name.find("__") != std::string_view::npos) return false;
  int parts = 0;
  size_t begin = 0;
  while (true) {
    const size_t slash = name.find('/', begin);
    const std::string_view part = name.substr(
        begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin);
    if (!IsNamePart(part)) return false;
    parts++;
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  return parts >= 2;
}

uint64_t ScaledCount(uint64_t count, double scale, uint64_t minimum) {
  NS_ASSERT(scale > 0);
  const double scaled = std::round(static_cast<double>(count) * scale);
  if (scaled < static_cast<double>(minimum)) return minimum;
  NS_ASSERT(scaled < 1e18);
  return static_cast<uint64_t>(scaled);
}

const std::vector<BenchSpec>& Benchmarks() { return Registry(); }

BenchRegistrar::BenchRegistrar(BenchSpec spec) {
  NS_ASSERT_MSG(IsValidBenchmarkName(spec.name), "bad benchmark name: " + spec.name);
  NS_ASSERT_MSG(IsUnit(spec.unit), "bad unit of " + spec.name);
  NS_ASSERT(spec.items_per_op >= 1);
  NS_ASSERT(spec.ops_default >= 1);
  NS_ASSERT(spec.ops_default <= kOpsMax);
  NS_ASSERT(spec.warmup_ops_default <= kWarmupOpsMax);
  NS_ASSERT(spec.make != nullptr);
  std::vector<BenchSpec>& registry = Registry();
  const auto at = std::lower_bound(
      registry.begin(), registry.end(), spec.name,
      [](const BenchSpec& entry, const std::string& name) { return entry.name < name; });
  NS_ASSERT_MSG(at == registry.end() || at->name != spec.name,
                "benchmark registered twice: " + spec.name);
  registry.insert(at, std::move(spec));
}

}  // namespace northstar::bench
