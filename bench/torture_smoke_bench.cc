// Smoke seeds per second: the throughput of the product's main job, `northstar torture` of
// scenarios/smoke.toml, measured the way users run it (forked worker processes, --jobs at a
// time), and what an average seed did, so that "seeds per hour" means real work.
//
// Prints one JSON object; run it from a release build.
//
// Usage: northstar_bench_torture_smoke [--seeds N] [--jobs J] [--scenario FILE]
//   defaults: 2,000 seeds, 2 jobs, the source tree's scenarios/smoke.toml.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/scenario_io.h"
#include "tools/torture.h"
#include "util/assert.h"

namespace northstar {
namespace {

struct Flags {
  uint64_t seeds = 2000;
  uint32_t jobs = 2;
  std::string scenario = NORTHSTAR_SOURCE_DIR "/scenarios/smoke.toml";
};

[[noreturn]] void Usage(const char* problem) {
  std::fprintf(stderr,
               "northstar_bench_torture_smoke: %s\n"
               "usage: northstar_bench_torture_smoke [--seeds N] [--jobs J] [--scenario FILE]\n",
               problem);
  std::exit(2);
}

uint64_t ParseCount(const char* text, uint64_t max) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0 || value > max) Usage("bad number");
  return value;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int index = 1; index < argc; index++) {
    const char* flag = argv[index];
    if (index + 1 >= argc) Usage("a flag is missing its value");
    const char* value = argv[++index];
    if (std::strcmp(flag, "--seeds") == 0) {
      flags.seeds = ParseCount(value, 100'000'000);
    } else if (std::strcmp(flag, "--jobs") == 0) {
      flags.jobs = static_cast<uint32_t>(ParseCount(value, tools::kJobsMax));
    } else if (std::strcmp(flag, "--scenario") == 0) {
      flags.scenario = value;
    } else {
      Usage("unknown flag");
    }
  }
  return flags;
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  absl::StatusOr<sim::Scenario> scenario = sim::ReadScenarioFile(flags.scenario);
  if (!scenario.ok()) {
    std::fprintf(stderr, "northstar_bench_torture_smoke: %s\n",
                 std::string(scenario.status().message()).c_str());
    return 2;
  }
  const tools::SeedPlan plan({scenario->seed}, 0, 1, flags.seeds);
  tools::WorkerOptions options;
  options.jobs = flags.jobs;
  uint64_t seeds = 0;
  uint64_t failures = 0;
  sim::RunStats total;
  const auto start = std::chrono::steady_clock::now();
  tools::RunWorkers(
      {*scenario}, plan, options,
      [&](const tools::SeedOutcome& outcome) {
        seeds++;
        if (outcome.verdict != scenario->expect) failures++;
        total.transactions += outcome.stats.transactions;
        total.commits += outcome.stats.commits;
        total.reads += outcome.stats.reads;
        total.crashes += outcome.stats.crashes;
        total.faults += outcome.stats.faults;
        total.steps += outcome.stats.steps;
        total.ios += outcome.stats.ios;
      },
      [] {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  NS_ASSERT(seeds == flags.seeds);
  const double n = static_cast<double>(seeds);
  const sim::WorkloadConfig& workload = scenario->workload;
  std::printf(
      "{\"benchmark\": \"sim/torture_smoke_seeds\", \"scenario\": \"%s\", \"jobs\": %u, "
      "\"seeds\": %llu, \"failures\": %llu, \"seconds\": %.3f, \"seeds_per_second\": %.1f, "
      "\"seeds_per_hour\": %.0f, \"fibers_per_seed\": %u, "
      "\"per_seed\": {\"write_transactions\": %.1f, \"commits\": %.1f, \"read_ops\": %.1f, "
      "\"crashes\": %.2f, \"faults\": %.1f, \"scheduler_steps\": %.0f, \"ios\": %.0f}}\n",
      scenario->name.c_str(), flags.jobs, static_cast<unsigned long long>(seeds),
      static_cast<unsigned long long>(failures), seconds, n / seconds, n / seconds * 3600,
      workload.writers + workload.readers, total.transactions / n, total.commits / n,
      total.reads / n, total.crashes / n, total.faults / n, total.steps / n, total.ios / n);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace northstar

int main(int argc, char** argv) { return northstar::Main(argc, argv); }
