// Pins the trace hash to the definition trace.h gives (a chain of XXH3-64 hashes of canonical
// event encodings, each seeded with the previous hash), so that optimizing Trace::record never
// changes what a trace hash means.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/trace.h"
#include "util/coding.h"
#include "util/hash.h"

namespace northstar::sim {
namespace {

std::string Canonical(const TraceEvent& event) {
  std::string bytes;
  auto put = [&bytes](uint64_t value) {
    uint8_t buffer[8];
    EncodeFixed64(buffer, value);
    bytes.append(reinterpret_cast<const char*>(buffer), sizeof(buffer));
  };
  put(event.step);
  put(event.fiber);
  put(static_cast<uint64_t>(event.kind) | uint64_t{event.site} << 8);
  for (uint64_t arg : event.args) put(arg);
  put(event.time_ns);
  put(event.text.size());
  return bytes + event.text;
}

TraceEvent MakeEvent(uint64_t step, std::string text) {
  TraceEvent event;
  event.step = step;
  event.fiber = 3;
  event.kind = TraceEventKind::kLockAcquire;
  event.site = 0x1234;
  event.args[0] = 7;
  event.args[1] = 1;
  event.args[2] = ~uint64_t{0};
  event.time_ns = 123456789;
  event.text = std::move(text);
  return event;
}

uint64_t Chain(uint64_t previous, const TraceEvent& event) {
  return Xxh3_64(Canonical(event), previous);
}

TEST(TraceHashTest, HashChainsXxh3OfTheCanonicalEncodingsShortAndLongTexts) {
  const TraceEvent events[] = {MakeEvent(1, ""), MakeEvent(2, "db.writer"),
                               MakeEvent(3, std::string(64, 'x')),
                               MakeEvent(4, std::string(65, 'y')),
                               MakeEvent(5, std::string(1000, 'z'))};
  Trace trace({.window_events = 2});
  uint64_t expected = 0;
  for (const TraceEvent& event : events) {
    trace.record(event);
    expected = Chain(expected, event);
  }
  EXPECT_EQ(trace.hash(), expected);
  ASSERT_EQ(trace.window_hashes().size(), 3u);
  // Window hashes are the trace hash as of each window's end.
  const uint64_t after_two = Chain(Chain(0, events[0]), events[1]);
  EXPECT_EQ(trace.window_hashes()[0], after_two);
  EXPECT_EQ(trace.window_hashes()[1], Chain(Chain(after_two, events[2]), events[3]));
  EXPECT_EQ(trace.window_hashes()[2], expected);
}

TEST(TraceHashTest, EveryFieldAndTheOrderCount) {
  const TraceEvent base = MakeEvent(1, "t");
  std::vector<TraceEvent> variants(9, base);
  variants[1].step++;
  variants[2].fiber++;
  variants[3].kind = TraceEventKind::kLockRelease;
  variants[4].site++;
  variants[5].args[0]++;
  variants[6].args[2]--;
  variants[7].time_ns++;
  variants[8].text = "u";
  std::vector<uint64_t> hashes;
  for (const TraceEvent& variant : variants) {
    Trace trace;
    trace.record(variant);
    hashes.push_back(trace.hash());
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::unique(hashes.begin(), hashes.end()), hashes.end());
  Trace forward, backward;
  forward.record(variants[1]);
  forward.record(variants[2]);
  backward.record(variants[2]);
  backward.record(variants[1]);
  EXPECT_NE(forward.hash(), backward.hash());
}

}  // namespace
}  // namespace northstar::sim
