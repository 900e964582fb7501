#include "sim/determinism.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::sim {
namespace {

// Index of the first event where two kept windows differ (or where one ends early).
std::optional<size_t> FirstDifferentEvent(const std::vector<TraceEvent>& a,
                                          const std::vector<TraceEvent>& b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t index = 0; index < common; index++) {
    if (!(a[index] == b[index])) return index;
  }
  if (a.size() != b.size()) return common;
  return std::nullopt;
}

std::string FormatEventAt(const std::vector<TraceEvent>& events, size_t index) {
  return index < events.size() ? FormatTraceEvent(events[index]) : "(no event: the run ended)";
}

// Re-runs the seed twice keeping only `window` and names the first event that differs.
absl::StatusOr<std::string> DescribeWindow(const RunFunction& run, uint64_t seed,
                                           uint64_t window_events, uint64_t window) {
  const TraceOptions options{.window_events = window_events, .keep_window = window};
  NS_ASSIGN_OR_RETURN(const RunSummary first, run(seed, options));
  NS_ASSIGN_OR_RETURN(const RunSummary second, run(seed, options));
  const std::optional<size_t> index = FirstDifferentEvent(first.events, second.events);
  if (!index.has_value()) {
    return absl::StrFormat(
        "the re-runs kept window %d (%d events) identical: the difference did not reproduce",
        window, first.events.size());
  }
  return absl::StrFormat("first differing event #%d:\n  run 1: %s\n  run 2: %s",
                         window * window_events + *index, FormatEventAt(first.events, *index),
                         FormatEventAt(second.events, *index));
}

}  // namespace

RunSummary SummarizeTrace(const Trace& trace) {
  return RunSummary{.trace_hash = trace.hash(),
                    .event_count = trace.event_count(),
                    .window_hashes = trace.window_hashes(),
                    .events = trace.events()};
}

absl::Status CheckDeterminism(const RunFunction& run, uint64_t seed, uint64_t window_events) {
  NS_ASSERT(window_events > 0);
  const TraceOptions options{.window_events = window_events};
  NS_ASSIGN_OR_RETURN(const RunSummary first, run(seed, options));
  NS_ASSIGN_OR_RETURN(const RunSummary second, run(seed, options));
  if (first.trace_hash == second.trace_hash && first.event_count == second.event_count) {
    return absl::OkStatus();
  }
  const std::string hashes = absl::StrFormat(
      "nondeterminism: seed %d ran twice in one process with trace hashes %016x (%d events) and "
      "%016x (%d events)",
      seed, first.trace_hash, first.event_count, second.trace_hash, second.event_count);
  const std::optional<uint64_t> window =
      FirstDifferentWindow(first.window_hashes, second.window_hashes);
  if (!window.has_value()) {
    return absl::InternalError(hashes + "; every window hash agrees (a hash collision?)");
  }
  NS_ASSIGN_OR_RETURN(const std::string detail,
                      DescribeWindow(run, seed, window_events, *window));
  return absl::InternalError(absl::StrFormat("%s; first differing window %d (events %d..%d); %s",
                                             hashes, *window, *window * window_events,
                                             (*window + 1) * window_events - 1, detail));
}

}  // namespace northstar::sim
