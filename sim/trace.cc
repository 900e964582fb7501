#include "sim/trace.h"

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/coding.h"

namespace northstar::sim {
namespace {

void AppendFixed64(std::string& out, uint64_t value) {
  uint8_t bytes[8];
  EncodeFixed64(bytes, value);
  out.append(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

// JSON string escaping for trace text (paths, names, descriptions).
std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

const char* TraceEventKindName(TraceEventKind kind) {
  switch (kind) {
    case TraceEventKind::kFiberStart: return "fiber_start";
    case TraceEventKind::kFiberEnd: return "fiber_end";
    case TraceEventKind::kSchedule: return "schedule";
    case TraceEventKind::kYield: return "yield";
    case TraceEventKind::kLockAcquire: return "lock_acquire";
    case TraceEventKind::kLockBlock: return "lock_block";
    case TraceEventKind::kLockRelease: return "lock_release";
    case TraceEventKind::kClock: return "clock";
    case TraceEventKind::kIo: return "io";
    case TraceEventKind::kFault: return "fault";
    case TraceEventKind::kOp: return "op";
    case TraceEventKind::kCheck: return "check";
  }
  NS_ASSERT_MSG(false, "unknown TraceEventKind");
}

Trace::Trace(TraceOptions options) : options_(options) {
  NS_ASSERT(options_.window_events > 0);
  window_hash_.emplace();
}

void Trace::encode(const TraceEvent& event, std::string& out) const {
  // Fixed-width little-endian fields, then the text with its length: the same bytes for the same
  // event on every machine.
  AppendFixed64(out, event.step);
  AppendFixed64(out, event.fiber);
  AppendFixed64(out, static_cast<uint64_t>(event.kind) | uint64_t{event.site} << 8);
  for (uint64_t arg : event.args) AppendFixed64(out, arg);
  AppendFixed64(out, event.time_ns);
  AppendFixed64(out, event.text.size());
  out += event.text;
}

void Trace::record(const TraceEvent& event) {
  std::string bytes;
  bytes.reserve(64 + event.text.size());
  encode(event, bytes);
  hash_.Update(bytes);
  window_hash_->Update(bytes);
  const uint64_t window = event_count_ / options_.window_events;
  if (options_.keep_events || options_.keep_window == window) events_.push_back(event);
  event_count_++;
  if (++window_event_count_ == options_.window_events) {
    window_hashes_.push_back(window_hash_->Digest());
    window_hash_.emplace();
    window_event_count_ = 0;
  }
}

std::vector<uint64_t> Trace::window_hashes() const {
  std::vector<uint64_t> hashes = window_hashes_;
  if (window_event_count_ > 0) hashes.push_back(window_hash_->Digest());
  return hashes;
}

void Trace::write_json_lines(std::ostream& out) const {
  NS_ASSERT_MSG(options_.keep_events, "write_json_lines needs TraceOptions::keep_events");
  for (const TraceEvent& event : events_) {
    out << absl::StrFormat(
        "{\"step\":%d,\"fiber\":%d,\"kind\":\"%s\",\"site\":%d,\"args\":[%d,%d,%d],\"t\":%d,"
        "\"text\":\"%s\"}\n",
        event.step, event.fiber, TraceEventKindName(event.kind), event.site, event.args[0],
        event.args[1], event.args[2], event.time_ns, JsonEscape(event.text));
  }
}

void Trace::write_chrome_trace(std::ostream& out,
                               const std::vector<std::string>& fiber_names) const {
  NS_ASSERT_MSG(options_.keep_events, "write_chrome_trace needs TraceOptions::keep_events");
  out << "{\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const std::string& json) {
    out << (first ? "" : ",\n") << json;
    first = false;
  };
  for (size_t fiber = 0; fiber < fiber_names.size(); fiber++) {
    emit(absl::StrFormat(
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
        fiber, JsonEscape(fiber_names[fiber])));
  }
  for (const TraceEvent& event : events_) {
    // Microseconds with fractions: Chrome's unit; virtual nanoseconds keep their order.
    const double ts_us = static_cast<double>(event.time_ns) / 1000.0 + event.step * 1e-6;
    std::string phase = "i";
    std::string name = TraceEventKindName(event.kind);
    if (event.kind == TraceEventKind::kLockAcquire) phase = "B";
    if (event.kind == TraceEventKind::kLockRelease) phase = "E";
    if (!event.text.empty()) name += " " + event.text;
    emit(absl::StrFormat(
        "{\"name\":\"%s\",\"ph\":\"%s\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%.6f,"
        "\"args\":{\"step\":%d,\"site\":%d,\"a0\":%d,\"a1\":%d,\"a2\":%d}}",
        JsonEscape(name), phase, event.fiber, ts_us, event.step, event.site, event.args[0],
        event.args[1], event.args[2]));
  }
  out << "\n]}\n";
}

std::optional<uint64_t> FirstDifferentWindow(const std::vector<uint64_t>& a,
                                             const std::vector<uint64_t>& b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t index = 0; index < common; index++) {
    if (a[index] != b[index]) return index;
  }
  if (a.size() != b.size()) return common;
  return std::nullopt;
}

std::string FormatTraceEvent(const TraceEvent& event) {
  return absl::StrFormat("step %d fiber %d %s site %d args [%d, %d, %d] t=%dns%s", event.step,
                         event.fiber, TraceEventKindName(event.kind), event.site, event.args[0],
                         event.args[1], event.args[2], event.time_ns,
                         event.text.empty() ? "" : " \"" + event.text + "\"");
}

}  // namespace northstar::sim
