// sim/torture_smoke_seeds: the throughput of the product's main job, `northstar torture` of
// scenarios/smoke.toml, run the way users run it: forked worker processes (torture::RunWorkers),
// kJobs at a time. One op is a batch of seeds (200 at scale 1); each op takes the next seeds
// after the previous op's, so a repeat never runs a seed twice and every repeat runs the same
// ones. Extra: what an average seed did, so that "seeds per hour" means real work.
//
// Allocations and peak RSS cover the parent only (the workers are separate processes). A seed
// that does not end in the scenario's `expect` is counted under extra.failures, not an error:
// the torture run itself reports such seeds.
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/harness.h"
#include "sim/scenario_io.h"
#include "torture/torture.h"

#ifndef NORTHSTAR_SOURCE_DIR
#error "NORTHSTAR_SOURCE_DIR must name the source tree (for scenarios/smoke.toml)"
#endif

namespace northstar::bench {
namespace {

constexpr uint32_t kJobs = 2;
constexpr uint64_t kSeedsPerOpFull = 200;

class TortureSmokeSeeds final : public BenchCase {
 public:
  absl::Status setup(const BenchEnv& env) override {
    seeds_per_op_ = ScaledCount(kSeedsPerOpFull, env.scale, kJobs);
    absl::StatusOr<sim::Scenario> scenario = sim::ReadScenarioFile(kScenarioPath);
    if (!scenario.ok()) return scenario.status();
    scenarios_ = {*std::move(scenario)};
    return absl::OkStatus();
  }

  absl::Status op(uint64_t index) override {
    const sim::Scenario& scenario = scenarios_.front();
    const torture::SeedPlan plan({scenario.seed + index * seeds_per_op_}, 0, 1, seeds_per_op_);
    torture::WorkerOptions options;
    options.jobs = kJobs;
    uint64_t seeds = 0;
    torture::RunWorkers(
        scenarios_, plan, options,
        [&](const torture::SeedOutcome& outcome) {
          seeds++;
          if (outcome.verdict != scenario.expect) failures_++;
          total_.transactions += outcome.stats.transactions;
          total_.commits += outcome.stats.commits;
          total_.reads += outcome.stats.reads;
          total_.crashes += outcome.stats.crashes;
          total_.faults += outcome.stats.faults;
          total_.steps += outcome.stats.steps;
          total_.ios += outcome.stats.ios;
        },
        [] {});
    seeds_ += seeds;
    if (seeds != seeds_per_op_) {
      return absl::InternalError(absl::StrFormat("%d of %d seeds ran", seeds, seeds_per_op_));
    }
    return absl::OkStatus();
  }

  uint64_t items_per_op() const override { return seeds_per_op_; }
  nlohmann::json parameters() const override {
    return {{"scenario", "smoke"}, {"jobs", kJobs}, {"seeds_per_op", seeds_per_op_}};
  }
  nlohmann::json extra_metrics() const override {
    if (seeds_ == 0) return nlohmann::json::object();
    const double n = static_cast<double>(seeds_);
    return {{"failures", failures_},
            {"per_seed_write_transactions", static_cast<double>(total_.transactions) / n},
            {"per_seed_commits", static_cast<double>(total_.commits) / n},
            {"per_seed_read_ops", static_cast<double>(total_.reads) / n},
            {"per_seed_crashes", static_cast<double>(total_.crashes) / n},
            {"per_seed_faults", static_cast<double>(total_.faults) / n},
            {"per_seed_scheduler_steps", static_cast<double>(total_.steps) / n},
            {"per_seed_ios", static_cast<double>(total_.ios) / n}};
  }

 private:
  static constexpr const char* kScenarioPath = NORTHSTAR_SOURCE_DIR "/scenarios/smoke.toml";

  uint64_t seeds_per_op_ = 0;
  std::vector<sim::Scenario> scenarios_;
  uint64_t seeds_ = 0;
  uint64_t failures_ = 0;
  sim::RunStats total_;
};

const BenchRegistrar kTortureSmoke({
    .name = "sim/torture_smoke_seeds",
    .description = "Seeds of scenarios/smoke.toml run as `northstar torture` runs them (forked "
                   "workers, 2 jobs), 200 seeds per op; extra: what an average seed did",
    .unit = "seeds",
    .items_per_op = kSeedsPerOpFull,
    .ops_default = 5,
    .warmup_ops_default = 1,
    .needs_disk = false,
    .make = [] { return std::make_unique<TortureSmokeSeeds>(); },
});

}  // namespace
}  // namespace northstar::bench
