#include "sim/shrink.h"

#include <algorithm>
#include <concepts>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/scenario_fields.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::sim {
namespace {

using Clock = std::chrono::steady_clock;

// crash_at_io lists longer than this are shown by their length in progress steps.
constexpr size_t kCrashPointsShownMax = 8;

// A field the shrinker lowers along an integer ladder, from its value down to `floor` (the
// simplest value). A field that is not a count maps onto one: a probability, a capacity or a
// flag is 1 when on and 0 when off; the strategy is 0 round_robin, 1 random_walk, 2 pct.
struct Knob {
  std::string name;
  std::function<uint64_t(const Scenario&)> get;
  std::function<void(Scenario&, uint64_t)> set;
  std::function<uint64_t(const Scenario&)> floor;
  std::function<std::string(const Scenario&)> show;
  std::function<bool(const Scenario&)> applies;  // Null: always.
};

std::string ShowValue(bool value) { return value ? "true" : "false"; }
std::string ShowValue(double value) { return absl::StrFormat("%g", value); }
template <std::integral T>
std::string ShowValue(T value) {
  return absl::StrFormat("%d", value);
}

// `access` is a generic lambda returning a reference to the field: [](auto& s) -> auto& {...}.
template <typename Access, typename Floor>
Knob CountAbove(std::string name, Access access, Floor floor) {
  return {std::move(name),
          [access](const Scenario& s) -> uint64_t { return access(s); },
          [access](Scenario& s, uint64_t value) {
            using T = std::remove_cvref_t<decltype(access(s))>;
            access(s) = static_cast<T>(value);
          },
          floor,
          [access](const Scenario& s) { return ShowValue(access(s)); },
          nullptr};
}

template <typename Access>
Knob Count(std::string name, Access access, uint64_t floor) {
  return CountAbove(std::move(name), access, [floor](const Scenario&) { return floor; });
}

// A probability, flag or capacity: on (1) or off (0, its zero value).
template <typename Access>
Knob Switch(std::string name, Access access) {
  return {std::move(name),
          [access](const Scenario& s) -> uint64_t {
            using T = std::remove_cvref_t<decltype(access(s))>;
            return access(s) != T{} ? 1 : 0;
          },
          [access](Scenario& s, uint64_t value) {
            NS_ASSERT(value == 0);
            using T = std::remove_cvref_t<decltype(access(s))>;
            access(s) = T{};
          },
          [](const Scenario&) -> uint64_t { return 0; },
          [access](const Scenario& s) { return ShowValue(access(s)); },
          nullptr};
}

uint64_t StrategyRank(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kRoundRobin:
      return 0;
    case StrategyKind::kRandomWalk:
      return 1;
    case StrategyKind::kPct:
      return 2;
  }
  NS_ASSERT_MSG(false, "unknown StrategyKind");
  return 0;
}

Knob Strategy() {
  return {"scheduler.strategy",
          [](const Scenario& s) { return StrategyRank(s.scheduler.strategy); },
          [](Scenario& s, uint64_t rank) {
            NS_ASSERT(rank <= 1);
            s.scheduler.strategy =
                rank == 0 ? StrategyKind::kRoundRobin : StrategyKind::kRandomWalk;
          },
          [](const Scenario&) -> uint64_t { return 0; },
          [](const Scenario& s) -> std::string { return StrategyKindName(s.scheduler.strategy); },
          nullptr};
}

Knob KeyDistributionKnob() {
  return {"workload.key_distribution",
          [](const Scenario& s) -> uint64_t {
            return s.workload.key_distribution == KeyDistribution::kZipf ? 1 : 0;
          },
          [](Scenario& s, uint64_t) { s.workload.key_distribution = KeyDistribution::kUniform; },
          [](const Scenario&) -> uint64_t { return 0; },
          [](const Scenario& s) -> std::string {
            return KeyDistributionName(s.workload.key_distribution);
          },
          nullptr};
}

Knob OnlyWith(StrategyKind strategy, Knob knob) {
  knob.applies = [strategy](const Scenario& s) { return s.scheduler.strategy == strategy; };
  return knob;
}

// A knob for a field of the table that carries a shrink rule: off (its zero value), or counted
// down to its range's min.
Knob FieldKnob(std::string_view section, const Field& field) {
  const std::string name = absl::StrFormat("%s.%s", section, field.key);
  return std::visit(
      [&](auto ref) -> Knob {
        // The table's accessors take a mutable Scenario; reading through them changes nothing.
        const auto access = [ref](auto& s) -> auto& { return ref(const_cast<Scenario&>(s)); };
        using T = std::remove_cvref_t<decltype(ref(std::declval<Scenario&>()))>;
        if constexpr (std::is_arithmetic_v<T>) {
          if (field.shrink == ShrinkRule::kOff) return Switch(name, access);
          return Count(name, access, static_cast<uint64_t>(field.range.min));
        } else {
          NS_ASSERT_MSG(false, "a shrink rule on a field that is not a number or a flag");
          return Knob{};
        }
      },
      field.ref);
}

// A field of a Scenario as two arguments: its name as the file spells it ("workload.writers"), and
// an accessor that returns a reference to it. One spelling, so the name cannot drift.
#define NS_SHRINK_FIELD(path) \
#path, [](auto& s) -> auto& { return s.path; }

// Every knob, in the order a pass lowers them: what makes runs long first (fibers,
// transactions, crashes), then faults, keys and values, the op mix, and the schedule.
std::vector<Knob> Knobs() {
  const auto ops_min = [](const Scenario& s) -> uint64_t {
    return s.workload.ops_per_transaction_min;
  };
  const auto value_min = [](const Scenario& s) -> uint64_t {
    return s.workload.value_size_min_bytes;
  };
  std::vector<Knob> knobs = {
      Count(NS_SHRINK_FIELD(workload.writers), 1),
      Count(NS_SHRINK_FIELD(workload.readers), 0),
      Count(NS_SHRINK_FIELD(workload.transactions), 1),
      Count(NS_SHRINK_FIELD(workload.reads_per_reader), 0),
      CountAbove(NS_SHRINK_FIELD(workload.ops_per_transaction_max), ops_min),
      Count(NS_SHRINK_FIELD(workload.ops_per_transaction_min), 1),
      Count(NS_SHRINK_FIELD(faults.crashes), 0),
  };
  // The faults, as the field table says to lower them (sim/scenario_fields.h).
  for (const Field& field : kFaultFields) {
    if (field.shrink != ShrinkRule::kNone) knobs.push_back(FieldKnob("faults", field));
  }
  for (Knob& knob : std::vector<Knob>{
      Count(NS_SHRINK_FIELD(workload.key_space), 1),
      KeyDistributionKnob(),
      CountAbove(NS_SHRINK_FIELD(workload.value_size_max_bytes), value_min),
      Count(NS_SHRINK_FIELD(workload.value_size_min_bytes), 0),
      Switch(NS_SHRINK_FIELD(workload.big_value_probability)),
      Count(NS_SHRINK_FIELD(workload.big_value_size_bytes), 1),
      Switch(NS_SHRINK_FIELD(workload.abort_probability)),
      Count(NS_SHRINK_FIELD(workload.mix.put), 0),
      Count(NS_SHRINK_FIELD(workload.mix.del), 0),
      Count(NS_SHRINK_FIELD(workload.mix.get), 0),
      Count(NS_SHRINK_FIELD(workload.mix.range_scan), 0),
      Count(NS_SHRINK_FIELD(workload.mix.prefix_scan), 0),
      Count(NS_SHRINK_FIELD(workload.mix.reverse_scan), 0),
      Count(NS_SHRINK_FIELD(workload.mix.as_of_read), 0),
      Strategy(),
      OnlyWith(StrategyKind::kRandomWalk, Switch(NS_SHRINK_FIELD(scheduler.switch_probability))),
      OnlyWith(StrategyKind::kPct, Count(NS_SHRINK_FIELD(scheduler.pct_depth), 1)),
      OnlyWith(StrategyKind::kPct, Count(NS_SHRINK_FIELD(scheduler.pct_steps_estimate), 1)),
  }) {
    knobs.push_back(std::move(knob));
  }
  return knobs;
}

#undef NS_SHRINK_FIELD

// Crash point `index` of faults.crash_at_io, lowered no further than just after the one before.
Knob CrashPoint(size_t index) {
  return CountAbove(
      absl::StrFormat("faults.crash_at_io[%d]", index),
      [index](auto& s) -> auto& { return s.faults.crash_at_io[index]; },
      [index](const Scenario& s) -> uint64_t {
        return index == 0 ? 0 : s.faults.crash_at_io[index - 1] + 1;
      });
}

std::string ShowCrashPoints(const std::vector<uint64_t>& points) {
  if (points.size() > kCrashPointsShownMax) return absl::StrFormat("%d entries", points.size());
  return absl::StrFormat("[%s]", absl::StrJoin(points, ", "));
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options, ScenarioRunner run, Clock::time_point start,
           Verdict verdict, Scenario scenario, RunResult result)
      : options_(options),
        run_(std::move(run)),
        verdict_(verdict),
        best_(std::move(scenario)),
        best_result_(std::move(result)) {
    if (options.time_budget) deadline_ = start + *options.time_budget;
  }

  // Passes over every knob and the crash points, until one changes nothing.
  void Run() {
    const std::vector<Knob> knobs = Knobs();
    for (uint32_t pass = 1; pass <= kShrinkPassesMax && !Exhausted(); pass++) {
      pass_ = pass;
      bool changed = false;
      for (const Knob& knob : knobs) changed = Lower(knob) || changed;
      changed = RemoveCrashPoints() || changed;
      for (size_t index = 0; index < best_.faults.crash_at_io.size(); index++) {
        changed = Lower(CrashPoint(index)) || changed;
      }
      if (!changed) break;
    }
  }

  void Finish(ShrinkResult& result) {
    result.scenario = std::move(best_);
    result.shrunk = std::move(best_result_);
    result.runs = runs_;
    result.passes = pass_;
    result.budget_spent = budget_spent_;
  }

 private:
  // The time or run budget is spent: no more runs.
  bool Exhausted() {
    if (!budget_spent_) {
      budget_spent_ =
          runs_ >= options_.runs_max || (deadline_.has_value() && Clock::now() >= *deadline_);
    }
    return budget_spent_;
  }

  // Runs `candidate`; keeps it when it is valid, fails the same way, and runs no more
  // operations than the current smallest scenario.
  bool Try(const Scenario& candidate) {
    if (Exhausted() || !ValidateScenario(candidate).ok()) return false;
    runs_++;
    absl::StatusOr<RunResult> result = run_(candidate);
    if (!result.ok() || result->verdict != verdict_) return false;
    if (result->stats.ops > best_result_.stats.ops) return false;
    best_ = candidate;
    best_result_ = *std::move(result);
    return true;
  }

  // The floor, else a binary search between the floor (which does not reproduce) and the
  // current value (which does). True when the value went down.
  bool Lower(const Knob& knob) {
    if (knob.applies && !knob.applies(best_)) return false;
    const uint64_t value = knob.get(best_);
    const uint64_t floor = knob.floor(best_);
    if (value <= floor) return false;
    const std::string from = knob.show(best_);
    const auto with = [&](uint64_t lower) {
      Scenario candidate = best_;
      knob.set(candidate, lower);
      return candidate;
    };
    bool lowered = Try(with(floor));
    uint64_t low = floor;
    uint64_t high = lowered ? floor : value;
    while (high - low > 1 && !Exhausted()) {
      const uint64_t middle = low + (high - low) / 2;
      if (Try(with(middle))) {
        high = middle;
        lowered = true;
      } else {
        low = middle;
      }
    }
    NS_ASSERT(lowered ? knob.get(best_) < value : knob.get(best_) == value);
    if (lowered) Report(knob.name, from, knob.show(best_));
    return lowered;
  }

  // Removes crash points in chunks of halving size (the complement step of delta debugging).
  bool RemoveCrashPoints() {
    const std::string from = ShowCrashPoints(best_.faults.crash_at_io);
    bool removed = false;
    for (size_t chunk = best_.faults.crash_at_io.size(); chunk >= 1; chunk /= 2) {
      for (size_t begin = 0; begin < best_.faults.crash_at_io.size() && !Exhausted();) {
        Scenario candidate = best_;
        std::vector<uint64_t>& points = candidate.faults.crash_at_io;
        points.erase(
            points.begin() + static_cast<std::ptrdiff_t>(begin),
            points.begin() + static_cast<std::ptrdiff_t>(std::min(begin + chunk, points.size())));
        if (Try(candidate)) {
          removed = true;
        } else {
          begin += chunk;
        }
      }
    }
    if (removed) Report("faults.crash_at_io", from, ShowCrashPoints(best_.faults.crash_at_io));
    return removed;
  }

  void Report(std::string field, std::string from, std::string to) {
    if (!options_.on_step) return;
    options_.on_step(ShrinkStep{.field = std::move(field),
                                .from = std::move(from),
                                .to = std::move(to),
                                .stats = best_result_.stats,
                                .runs = runs_,
                                .pass = pass_});
  }

  const ShrinkOptions& options_;
  const ScenarioRunner run_;
  const Verdict verdict_;
  std::optional<Clock::time_point> deadline_;
  Scenario best_;
  RunResult best_result_;
  uint32_t runs_ = 1;  // The first run.
  uint32_t pass_ = 0;
  bool budget_spent_ = false;
};

}  // namespace

uint64_t FaultCount(const FaultPlan& plan) {
  // Each fault the field table lets the shrinker turn off or count down, that is on.
  Scenario scenario;
  scenario.faults = plan;
  uint64_t on = 0;
  for (const Field& field : kFaultFields) {
    if (field.shrink != ShrinkRule::kNone && FieldKnob("faults", field).get(scenario) > 0) on++;
  }
  return on;
}

ShrinkSize SizeOf(const Scenario& scenario, const RunStats& stats) {
  return {.ops = stats.ops,
          .transactions = stats.transactions,
          .steps = stats.steps,
          .fibers = uint64_t{scenario.workload.writers} + scenario.workload.readers,
          .crashes = scenario.faults.crashes + scenario.faults.crash_at_io.size(),
          .faults = FaultCount(scenario.faults),
          .key_space = scenario.workload.key_space};
}

absl::StatusOr<ShrinkResult> Shrink(const Scenario& scenario, const ShrinkOptions& options) {
  NS_ASSERT(options.runs_max >= 1);
  NS_RETURN_IF_ERROR(ValidateScenario(scenario));
  const Clock::time_point start = Clock::now();
  ScenarioRunner run = options.run;
  if (!run) {
    run = [bug = options.planted_bug](const Scenario& candidate) {
      RunOptions run_options;
      run_options.planted_bug = bug;
      return RunScenario(candidate, run_options);
    };
  }
  NS_ASSIGN_OR_RETURN(RunResult first, run(scenario));
  ShrinkResult result;
  result.verdict = first.verdict;
  result.failed = first.verdict != Verdict::kPass &&
                  (!options.target.has_value() || *options.target == first.verdict);
  result.original = first;
  result.before = SizeOf(scenario, first.stats);
  result.runs = 1;
  if (!result.failed) {
    result.scenario = scenario;
    result.shrunk = std::move(first);
    result.after = result.before;
    return result;
  }
  Scenario start_scenario = scenario;
  start_scenario.expect = first.verdict;
  Shrinker shrinker(options, std::move(run), start, first.verdict, std::move(start_scenario),
                    std::move(first));
  shrinker.Run();
  shrinker.Finish(result);
  // What reading the scenario's file gives back (spec/scenario_format.md, SF-4).
  result.scenario.scheduler.fibers_max =
      result.scenario.workload.writers + result.scenario.workload.readers + 1;
  NS_ASSERT(ValidateScenario(result.scenario).ok());
  result.after = SizeOf(result.scenario, result.shrunk.stats);
  return result;
}

}  // namespace northstar::sim
