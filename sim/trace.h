// Trace: every decision of a simulated run, as a stream of events feeding a running hash.
//
// Every scheduler decision, lock event, I/O, fault and operation result is recorded as an event
// (step, fiber, kind, site, arguments, optional text). Each event is encoded canonically (fixed
// little-endian fields, never a pointer or a hash-map order) and chained into the running trace
// hash: hash = XXH3-64(encoding, seed = previous hash), starting from 0. Every field of every
// event, and their order, feed it; two runs of the same binary, scenario and seed must agree on
// it. (A chain of one-shot hashes rather than one streaming hash: no copying into a streaming
// buffer, one short hash per event.) The trace also keeps the hash as of the end of every
// window of `window_events` events, so that two diverging runs can be compared and the first
// differing window (then event) found without storing both traces in full: windows before the
// first differing event have equal hashes, every later one differs. Full events are kept only on request (for writing JSON lines or a Chrome trace), or only
// those of one window (for pinpointing a divergence).
//
// Not thread-safe: a simulated run is one OS thread.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>


namespace northstar::sim {

enum class TraceEventKind : uint8_t {
  kFiberStart = 1,  // fiber = the new fiber; args[0] = the spawning fiber; text: fiber name
  kFiberEnd,        // args: none
  kSchedule,        // a scheduler decision not at a yield (run start, after a block or an end):
                    // site = where; args[0] = chosen fiber (0: back to main), args[1] = runnable count
  kYield,           // a yield and its decision in one event: site = YieldSite of the engine (or a
                    // sim-local site, sim/sites.h); args[0] = chosen fiber, args[1] = runnable count
  kLockAcquire,     // args[0] = lock id, args[1] = 1 if shared; text: lock name
  kLockBlock,       // args[0] = lock id: the fiber parks; text: lock name
  kLockRelease,     // args[0] = lock id, args[1] = 1 if shared; text: lock name
  kClock,           // args[0] = new virtual time (ns)
  kIo,              // sim_disk event: site = SimDiskEventKind, args = offset, size, detail; text: path
  kFault,           // an injected fault: as kIo
  kOp,              // a workload operation or result: args are op-specific; text: description
  kCheck,           // a checker verdict: args[0] = 1 pass / 0 fail; text: what
};

[[nodiscard]] const char* TraceEventKindName(TraceEventKind kind);

struct TraceEvent {
  uint64_t step = 0;        // Scheduler step at which it happened.
  uint32_t fiber = 0;       // Fiber index (0 = the scheduler / main context).
  TraceEventKind kind = TraceEventKind::kOp;
  uint16_t site = 0;        // Kind-specific: a YieldSite, a SimDiskEventKind, ...
  uint64_t args[3] = {0, 0, 0};
  std::string text;         // Optional; hashed too.
  uint64_t time_ns = 0;     // Virtual time; hashed too.

  friend bool operator==(const TraceEvent&, const TraceEvent&) = default;
};

struct TraceOptions {
  uint64_t window_events = 1024;
  // Keep every event (needed for write_json_lines / write_chrome_trace).
  bool keep_events = false;
  // Keep only the events of this window index (for pinpointing a divergence).
  std::optional<uint64_t> keep_window;
};

class Trace {
 public:
  explicit Trace(TraceOptions options = {});

  void record(const TraceEvent& event);
  // The same as record() of the TraceEvent with these fields, without building one unless it is
  // kept: the scheduler's hot path.
  void record(uint64_t step, uint32_t fiber, TraceEventKind kind, uint16_t site, uint64_t arg0,
              uint64_t arg1, uint64_t arg2, uint64_t time_ns, std::string_view text);

  [[nodiscard]] uint64_t hash() const { return hash_; }
  [[nodiscard]] uint64_t event_count() const { return event_count_; }
  // The trace hash as of the end of each completed window, plus the current hash if the last
  // window is partial.
  [[nodiscard]] std::vector<uint64_t> window_hashes() const;
  [[nodiscard]] const std::vector<TraceEvent>& events() const { return events_; }
  [[nodiscard]] const TraceOptions& options() const { return options_; }

  // One JSON object per line: {"step":..,"fiber":..,"kind":"..","site":..,"args":[..],"t":..,"text":".."}
  void write_json_lines(std::ostream& out) const;
  // Chrome trace-event JSON (opens in Perfetto / chrome://tracing): one track (tid) per fiber,
  // I/O and faults as instant events, lock holds as duration events. `fiber_names` index = fiber.
  void write_chrome_trace(std::ostream& out, const std::vector<std::string>& fiber_names) const;

 private:

  TraceOptions options_;
  uint64_t hash_ = 0;
  uint64_t window_event_count_ = 0;
  uint64_t event_count_ = 0;
  std::vector<uint64_t> window_hashes_;
  std::vector<TraceEvent> events_;
};

// Index of the first window whose hash differs (or where one trace ends early); nullopt if equal.
[[nodiscard]] std::optional<uint64_t> FirstDifferentWindow(const std::vector<uint64_t>& a,
                                                           const std::vector<uint64_t>& b);

// A human-readable one-line rendering of an event, for failure messages.
[[nodiscard]] std::string FormatTraceEvent(const TraceEvent& event);

}  // namespace northstar::sim
