// The report of `northstar torture`: progress line, summary table, JSON summary, JUnit XML.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "util/exit_codes.h"
#include "torture/torture.h"
#include "util/assert.h"

namespace northstar::torture {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPlainProgressInterval = std::chrono::seconds(10);
constexpr auto kTerminalProgressInterval = std::chrono::milliseconds(200);
constexpr int kBarWidth = 24;

int Severity(int exit_code) {
  switch (exit_code) {
    case kExitWorkerCrashed:
      return 3;
    case kExitLiveness:
      return 2;
    case kExitCheckFailed:
      return 1;
    default:
      return 0;
  }
}

std::string JsonString(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += absl::StrFormat("\\u%04x", static_cast<int>(c));
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

// Text for an XML attribute or element: the five entities escaped; control characters (not
// allowed in XML 1.0) and bytes outside ASCII (the file says UTF-8) become '?'.
std::string XmlEscape(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&apos;";
        break;
      default:
        escaped += (byte < 0x20 && c != '\n' && c != '\t') || byte >= 0x7f ? '?' : c;
    }
  }
  return escaped;
}

std::string Duration(double seconds) {
  const auto total = static_cast<uint64_t>(std::max(0.0, seconds));
  return absl::StrFormat("%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60);
}

// The failure line of the summary: the message alone for a nondeterministic seed whose first run
// passed (it starts with "nondeterminism: ").
std::string SummaryLine(const SeedOutcome& outcome) {
  if (OutcomeLabel(outcome) != sim::VerdictName(outcome.verdict)) return OneLine(outcome.message);
  return FailureLine(outcome.verdict, outcome.message);
}

}  // namespace

std::string OutcomeLabel(const SeedOutcome& outcome) {
  if (outcome.nondeterministic && outcome.verdict == sim::Verdict::kPass) return "nondeterminism";
  return sim::VerdictName(outcome.verdict);
}

TortureReport::TortureReport(const std::vector<sim::Scenario>& scenarios,
                             const std::vector<std::string>& paths) {
  NS_ASSERT(scenarios.size() == paths.size());
  for (size_t index = 0; index < scenarios.size(); index++) {
    scenarios_.push_back({.name = scenarios[index].name, .path = paths[index]});
  }
}

void TortureReport::add(const SeedOutcome& outcome, bool passed, std::string repro_path) {
  ScenarioTotals& totals = scenarios_.at(outcome.item.scenario_index);
  totals.seeds++;
  totals.run_ms += outcome.elapsed_ms;
  seeds_++;
  if (passed) {
    totals.passes++;
    return;
  }
  totals.failures_by_verdict[OutcomeLabel(outcome)]++;
  // A pass where a failure was expected, or a nondeterministic seed whose first run passed, counts
  // as a correctness failure.
  const int code = outcome.verdict == sim::Verdict::kLiveness      ? kExitLiveness
                   : outcome.verdict == sim::Verdict::kWorkerCrash ? kExitWorkerCrashed
                                                                   : kExitCheckFailed;
  if (Severity(code) > Severity(exit_code_)) exit_code_ = code;
  failures_.push_back({outcome, std::move(repro_path)});
}

void TortureReport::finish(double elapsed_seconds) {
  elapsed_seconds_ = elapsed_seconds;
  // Workers finish out of order: list the failures by scenario, then seed.
  std::sort(failures_.begin(), failures_.end(), [](const Failure& a, const Failure& b) {
    return std::pair(a.outcome.item.scenario_index, a.outcome.item.seed) <
           std::pair(b.outcome.item.scenario_index, b.outcome.item.seed);
  });
}

void TortureReport::print_summary(std::ostream& out) const {
  out << absl::StrFormat("%-24s %8s %8s %9s %8s %9s  %s\n", "scenario", "seeds", "passes",
                         "failures", "seeds/s", "ms/seed", "failures by verdict");
  for (const ScenarioTotals& totals : scenarios_) {
    std::string by_verdict;
    for (const auto& [verdict, count] : totals.failures_by_verdict) {
      by_verdict += absl::StrFormat("%s%s %d", by_verdict.empty() ? "" : ", ", verdict, count);
    }
    out << absl::StrFormat(
        "%-24s %8d %8d %9d %8.1f %9.1f  %s\n", totals.name, totals.seeds, totals.passes,
        totals.seeds - totals.passes,
        elapsed_seconds_ > 0 ? static_cast<double>(totals.seeds) / elapsed_seconds_ : 0.0,
        totals.seeds > 0 ? totals.run_ms / static_cast<double>(totals.seeds) : 0.0, by_verdict);
  }
  out << absl::StrFormat(
      "total: %d seeds, %d failures, %.1f s, %.1f seeds/s\n", seeds_, failures_.size(),
      elapsed_seconds_,
      elapsed_seconds_ > 0 ? static_cast<double>(seeds_) / elapsed_seconds_ : 0.0);
  if (failures_.empty()) return;
  out << "failures:\n";
  for (const Failure& failure : failures_) {
    out << absl::StrFormat("  %s seed %s: %s\n",
                           scenarios_[failure.outcome.item.scenario_index].name,
                           FormatSeed(failure.outcome.item.seed),
                           SummaryLine(failure.outcome));
    if (!failure.repro_path.empty()) {
      out << absl::StrFormat("    reproduce: northstar replay %s\n", failure.repro_path);
    }
  }
}

void TortureReport::write_json(std::ostream& out) const {
  out << "{\n  \"scenarios\": [";
  for (size_t index = 0; index < scenarios_.size(); index++) {
    const ScenarioTotals& totals = scenarios_[index];
    out << (index == 0 ? "\n" : ",\n")
        << absl::StrFormat(
               "    {\"name\": %s, \"path\": %s, \"seeds\": %d, \"passes\": %d, "
               "\"failures\": %d, \"mean_ms_per_seed\": %.3f, \"failures_by_verdict\": {",
               JsonString(totals.name), JsonString(totals.path), totals.seeds, totals.passes,
               totals.seeds - totals.passes,
               totals.seeds > 0 ? totals.run_ms / static_cast<double>(totals.seeds) : 0);
    bool first = true;
    for (const auto& [verdict, count] : totals.failures_by_verdict) {
      out << absl::StrFormat("%s%s: %d", first ? "" : ", ", JsonString(verdict), count);
      first = false;
    }
    out << "}}";
  }
  out << absl::StrFormat(
      "\n  ],\n  \"seeds\": %d,\n  \"passes\": %d,\n  \"seconds\": %.3f,\n"
      "  \"seeds_per_second\": %.3f,\n  \"exit_code\": %d,\n  \"build\": %s,\n  \"failures\": [",
      seeds_, seeds_ - failures_.size(), elapsed_seconds_,
      elapsed_seconds_ > 0 ? static_cast<double>(seeds_) / elapsed_seconds_ : 0.0, exit_code_,
      JsonString(BuildDescription()));
  for (size_t index = 0; index < failures_.size(); index++) {
    const SeedOutcome& outcome = failures_[index].outcome;
    out << (index == 0 ? "\n" : ",\n")
        << absl::StrFormat(
               "    {\"scenario\": %s, \"seed\": %s, \"verdict\": %s, \"message\": %s, "
               "\"repro\": %s, \"trace_hash\": %s}",
               JsonString(scenarios_[outcome.item.scenario_index].name),
               JsonString(FormatSeed(outcome.item.seed)),
               JsonString(OutcomeLabel(outcome)), JsonString(outcome.message),
               failures_[index].repro_path.empty() ? "null"
                                                   : JsonString(failures_[index].repro_path),
               outcome.trace_hash ? JsonString(FormatTraceHash(*outcome.trace_hash)) : "null");
  }
  out << "\n  ]\n}\n";
}

void TortureReport::write_junit(std::ostream& out) const {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << absl::StrFormat(
      "<testsuites name=\"northstar torture\" tests=\"%d\" failures=\"%d\" "
      "time=\"%.3f\">\n",
      failures_.size() + scenarios_.size(), failures_.size(), elapsed_seconds_);
  for (size_t index = 0; index < scenarios_.size(); index++) {
    const ScenarioTotals& totals = scenarios_[index];
    const std::string name = XmlEscape(totals.name);
    out << absl::StrFormat(
        "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" time=\"%.3f\">\n", name,
        totals.seeds - totals.passes + 1, totals.seeds - totals.passes, totals.run_ms / 1000);
    for (const Failure& failure : failures_) {
      const SeedOutcome& outcome = failure.outcome;
      if (outcome.item.scenario_index != index) continue;
      const std::string verdict = OutcomeLabel(outcome);
      out << absl::StrFormat(
          "    <testcase classname=\"%s\" name=\"seed %s\" time=\"%.3f\">\n"
          "      <failure type=\"%s\" message=\"%s\">%s: %s\nreproduce: northstar replay "
          "%s</failure>\n    </testcase>\n",
          name, FormatSeed(outcome.item.seed), outcome.elapsed_ms / 1000, XmlEscape(verdict),
          XmlEscape(outcome.message), XmlEscape(verdict), XmlEscape(outcome.message),
          XmlEscape(failure.repro_path));
    }
    out << absl::StrFormat(
        "    <testcase classname=\"%s\" name=\"summary\" time=\"%.3f\">\n"
        "      <system-out>%d seeds, %d passed</system-out>\n    </testcase>\n  </testsuite>\n",
        name, totals.run_ms / 1000, totals.seeds, totals.passes);
  }
  out << "</testsuites>\n";
}

Progress::Progress(std::optional<uint64_t> seeds_total, std::optional<Clock::time_point> deadline)
    : seeds_total_(seeds_total),
      deadline_(deadline),
      start_(Clock::now()),
      last_shown_(start_),
      terminal_(::isatty(STDERR_FILENO) == 1) {}

void Progress::update(uint64_t done, uint64_t failures, bool force) {
  const Clock::time_point now = Clock::now();
  if (!force && now - last_shown_ < (terminal_ ? Clock::duration(kTerminalProgressInterval)
                                               : Clock::duration(kPlainProgressInterval))) {
    return;
  }
  last_shown_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  double fraction = 0;
  double left_seconds = 0;
  std::string count = absl::StrFormat("%d", done);
  if (seeds_total_) {
    count += absl::StrFormat("/%d", *seeds_total_);
    fraction =
        *seeds_total_ > 0 ? static_cast<double>(done) / static_cast<double>(*seeds_total_) : 1;
    left_seconds = rate > 0 ? static_cast<double>(*seeds_total_ - done) / rate : 0;
  } else if (deadline_) {
    const double budget = std::chrono::duration<double>(*deadline_ - start_).count();
    left_seconds = std::chrono::duration<double>(*deadline_ - now).count();
    fraction = budget > 0 ? std::min(1.0, elapsed / budget) : 1;
  }
  const std::string text = absl::StrFormat("%s seeds, %.1f seeds/s, %d failures, ETA %s", count,
                                           rate, failures, Duration(left_seconds));
  if (terminal_) {
    const int filled = static_cast<int>(fraction * kBarWidth);
    std::cerr << absl::StrFormat("\r[%s%s] %s\033[K", std::string(filled, '#'),
                                 std::string(kBarWidth - filled, '.'), text)
              << std::flush;
    shown_ = true;
  } else {
    std::cerr << "torture: " << text << "\n";
  }
}

void Progress::finish() {
  if (terminal_ && shown_) std::cerr << "\n";
}

}  // namespace northstar::torture
