#include "sim/trace.h"

#include <cstring>
#include <string>

// Header-only XXH3 (static inline functions): the one-shot hash of a short event inlines.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/coding.h"

namespace northstar::sim {
namespace {

// step, fiber, kind | site << 8, args[3], time_ns, text size: 8 bytes each.
constexpr size_t kEncodedFixedBytes = 8 * 8;
// Texts up to this long are hashed from the same buffer as the fixed fields.
constexpr size_t kInlineTextBytesMax = 64;

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

// XXH3-64 of the canonical encoding of an event, seeded with `seed`: fixed-width little-endian
// fields, then the text with its length, the same bytes for the same event on every machine.
// Built in a stack buffer: no allocation unless the text is long.
uint64_t HashEvent(uint64_t step, uint32_t fiber, TraceEventKind kind, uint16_t site,
                   uint64_t arg0, uint64_t arg1, uint64_t arg2, uint64_t time_ns,
                   std::string_view text, uint64_t seed) {
  uint8_t bytes[kEncodedFixedBytes + kInlineTextBytesMax];
  EncodeFixed64(bytes + 0, step);
  EncodeFixed64(bytes + 8, fiber);
  EncodeFixed64(bytes + 16, static_cast<uint64_t>(kind) | uint64_t{site} << 8);
  EncodeFixed64(bytes + 24, arg0);
  EncodeFixed64(bytes + 32, arg1);
  EncodeFixed64(bytes + 40, arg2);
  EncodeFixed64(bytes + 48, time_ns);
  EncodeFixed64(bytes + 56, text.size());
  static_assert(kEncodedFixedBytes == 64);
  if (text.size() > kInlineTextBytesMax) {
    std::string encoded(reinterpret_cast<const char*>(bytes), kEncodedFixedBytes);
    encoded += text;
    return XXH3_64bits_withSeed(encoded.data(), encoded.size(), seed);
  }
  if (!text.empty()) std::memcpy(bytes + kEncodedFixedBytes, text.data(), text.size());
  return XXH3_64bits_withSeed(bytes, kEncodedFixedBytes + text.size(), seed);
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
}

void Trace::record(const TraceEvent& event) {
  record(event.step, event.fiber, event.kind, event.site, event.args[0], event.args[1],
         event.args[2], event.time_ns, event.text);
}

void Trace::record(uint64_t step, uint32_t fiber, TraceEventKind kind, uint16_t site,
                   uint64_t arg0, uint64_t arg1, uint64_t arg2, uint64_t time_ns,
                   std::string_view text) {
  hash_ = HashEvent(step, fiber, kind, site, arg0, arg1, arg2, time_ns, text, hash_);
  const bool keep = options_.keep_events ||
                    (options_.keep_window.has_value() &&
                     *options_.keep_window == event_count_ / options_.window_events);
  if (keep) {
    TraceEvent& event = events_.emplace_back();
    event.step = step;
    event.fiber = fiber;
    event.kind = kind;
    event.site = site;
    event.args[0] = arg0;
    event.args[1] = arg1;
    event.args[2] = arg2;
    event.text = text;
    event.time_ns = time_ns;
  }
  event_count_++;
  if (++window_event_count_ == options_.window_events) {
    window_hashes_.push_back(hash_);
    window_event_count_ = 0;
  }
}

std::vector<uint64_t> Trace::window_hashes() const {
  std::vector<uint64_t> hashes = window_hashes_;
  if (window_event_count_ > 0) hashes.push_back(hash_);
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
