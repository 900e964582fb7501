// CheckDeterminism: runs one seed twice in this process and compares the trace hashes.
//
// A run is a function of (seed, TraceOptions) that builds everything it needs from scratch and
// returns the summary of its trace. On a mismatch the check finds the first window whose hash
// differs, runs the seed twice more keeping only that window's events
// (TraceOptions::keep_window), and names the first event that differs, as FormatTraceEvent of
// both runs. The outcome of a run (a liveness failure, a checker verdict) belongs in its trace.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/trace.h"

namespace northstar::sim {

struct RunSummary {
  uint64_t trace_hash = 0;
  uint64_t event_count = 0;
  std::vector<uint64_t> window_hashes;
  std::vector<TraceEvent> events;  // Those the run's TraceOptions kept.
};

[[nodiscard]] RunSummary SummarizeTrace(const Trace& trace);

using RunFunction = std::function<absl::StatusOr<RunSummary>(uint64_t seed, TraceOptions)>;

// OK when both runs give the same trace; Internal naming the first differing window and event
// otherwise; a run's own error as is. `window_events` as in TraceOptions.
[[nodiscard]] absl::Status CheckDeterminism(const RunFunction& run, uint64_t seed,
                                            uint64_t window_events = 1024);

}  // namespace northstar::sim
