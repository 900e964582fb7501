#include "sim/trace.h"

#include <sstream>

#include "gtest/gtest.h"

namespace northstar::sim {
namespace {

TraceEvent Event(uint64_t step, uint32_t fiber, TraceEventKind kind, std::string text = "") {
  TraceEvent event;
  event.step = step;
  event.fiber = fiber;
  event.kind = kind;
  event.args[0] = step * 3;
  event.text = std::move(text);
  event.time_ns = step * 1000;
  return event;
}

void Fill(Trace& trace, uint64_t count, uint64_t change_at = UINT64_MAX) {
  for (uint64_t step = 0; step < count; step++) {
    TraceEvent event = Event(step, step % 3, TraceEventKind::kYield, "x");
    if (step == change_at) event.args[2] = 1;
    trace.record(event);
  }
}

TEST(TraceTest, SameEventsSameHashAnyChangeDiffers) {
  Trace a, b, c;
  Fill(a, 5000);
  Fill(b, 5000);
  Fill(c, 5000, /*change_at=*/4321);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_EQ(a.event_count(), 5000u);
}

TEST(TraceTest, TextAndTimeAreHashed) {
  Trace a, b, c;
  a.record(Event(1, 1, TraceEventKind::kOp, "put k"));
  b.record(Event(1, 1, TraceEventKind::kOp, "put j"));
  TraceEvent later = Event(1, 1, TraceEventKind::kOp, "put k");
  later.time_ns++;
  c.record(later);
  EXPECT_NE(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
}

TEST(TraceTest, WindowHashesFindTheFirstDifferingWindow) {
  Trace a({.window_events = 100}), b({.window_events = 100});
  Fill(a, 1050);
  Fill(b, 1050, /*change_at=*/437);
  ASSERT_EQ(a.window_hashes().size(), 11u);
  EXPECT_EQ(FirstDifferentWindow(a.window_hashes(), b.window_hashes()), 4u);
  EXPECT_EQ(FirstDifferentWindow(a.window_hashes(), a.window_hashes()), std::nullopt);
  Trace shorter({.window_events = 100});
  Fill(shorter, 1000);
  EXPECT_EQ(FirstDifferentWindow(a.window_hashes(), shorter.window_hashes()), 10u);
}

TEST(TraceTest, KeepWindowStoresOnlyThatWindow) {
  Trace trace({.window_events = 100, .keep_window = 4});
  Fill(trace, 1000, 437);
  ASSERT_EQ(trace.events().size(), 100u);
  EXPECT_EQ(trace.events().front().step, 400u);
  EXPECT_EQ(trace.events()[37].args[2], 1u);
}

TEST(TraceTest, JsonLinesAndChromeTrace) {
  Trace trace({.keep_events = true});
  trace.record(Event(0, 1, TraceEventKind::kFiberStart, "writer"));
  TraceEvent io = Event(1, 1, TraceEventKind::kIo, "/db/x \"quoted\"");
  trace.record(io);
  trace.record(Event(2, 2, TraceEventKind::kLockAcquire, "db.writer"));
  trace.record(Event(3, 2, TraceEventKind::kLockRelease, "db.writer"));
  std::ostringstream lines;
  trace.write_json_lines(lines);
  const std::string text = lines.str();
  EXPECT_NE(text.find("{\"step\":1,\"fiber\":1,\"kind\":\"io\""), std::string::npos);
  EXPECT_NE(text.find("\\\"quoted\\\""), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
  std::ostringstream chrome;
  trace.write_chrome_trace(chrome, {"main", "writer", "reader"});
  const std::string json = chrome.str();
  EXPECT_EQ(json.rfind("{\"traceEvents\":[", 0), 0u);
  EXPECT_NE(json.find("\"thread_name\""), std::string::npos);
  EXPECT_NE(json.find("\"ph\":\"B\""), std::string::npos);
  EXPECT_NE(json.find("\"ph\":\"E\""), std::string::npos);
  EXPECT_NE(json.find("\"ph\":\"i\""), std::string::npos);
}

TEST(TraceTest, FormatNamesTheEvent) {
  EXPECT_EQ(FormatTraceEvent(Event(7, 2, TraceEventKind::kLockBlock, "db.writer")),
            "step 7 fiber 2 lock_block site 0 args [21, 0, 0] t=7000ns \"db.writer\"");
}

}  // namespace
}  // namespace northstar::sim
