#include "bench/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace northstar::bench {
namespace {

std::optional<double> Ratio(double b, double a) {
  if (a == 0) return std::nullopt;
  return b / a;
}

std::string RatioText(std::optional<double> ratio) {
  return ratio ? absl::StrFormat("%.3fx", *ratio) : "-";
}

std::vector<std::string> Mismatches(const BenchSummary& a, const BenchSummary& b) {
  std::vector<std::string> found;
  if (a.parameters != b.parameters) {
    found.push_back(
        absl::StrFormat("parameters differ: %s vs %s", a.parameters.dump(), b.parameters.dump()));
  }
  if (a.backend != b.backend) {
    found.push_back(absl::StrFormat("backend differs: %s vs %s", a.backend, b.backend));
  }
  if (a.unit != b.unit) found.push_back(absl::StrFormat("unit differs: %s vs %s", a.unit, b.unit));
  if (a.items_per_op != b.items_per_op) {
    found.push_back(
        absl::StrFormat("items per op differ: %d vs %d", a.items_per_op, b.items_per_op));
  }
  return found;
}

std::string XmlEscape(std::string_view text) {
  std::string escaped;
  for (char c : text) {
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
      default:
        escaped += c;
    }
  }
  return escaped;
}

// The bar chart's layout: benchmark names right-aligned left of kSvgPlotLeft, two bars per
// row (throughput, p99) growing from the 1.0 line.
constexpr int kSvgMargin = 20, kSvgTop = 70, kSvgRowHeight = 34;
constexpr int kSvgLabelRight = 300, kSvgPlotLeft = 350, kSvgPlotWidth = 520;
constexpr const char* kSvgThroughputColor = "#2b6cb0";
constexpr const char* kSvgLatencyColor = "#c05621";

struct SvgScale {
  double low = 0;
  double high = 2;
  [[nodiscard]] double x(double ratio) const {
    return kSvgPlotLeft + (ratio - low) / (high - low) * kSvgPlotWidth;
  }
};

void WriteSvgRow(const ComparisonRow& row, int y, const SvgScale& scale, std::ostream& out) {
  // "!": the sides differ in parameters or backend (a backend comparison, say).
  out << absl::StrFormat("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s%s</text>\n",
                         kSvgLabelRight, y + 18, XmlEscape(row.benchmark),
                         row.mismatches.empty() ? "" : " !");
  const std::pair<double, const char*> bars[] = {{*row.throughput_ratio(), kSvgThroughputColor},
                                                 {*row.p99_ratio(), kSvgLatencyColor}};
  for (int bar = 0; bar < 2; bar++) {
    const auto [ratio, color] = bars[bar];
    const double end = scale.x(ratio);
    const double one = scale.x(1);
    const int bar_y = y + 4 + bar * 13;
    // The value sits past the bar's end: right of a bar above 1, left of one below.
    out << absl::StrFormat(
        "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"11\" fill=\"%s\"/>\n"
        "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"%s\">%.3fx</text>\n",
        std::min(one, end), bar_y, std::max(1.0, std::abs(end - one)), color,
        ratio >= 1 ? std::max(one, end) + 4 : end - 4, bar_y + 10, ratio >= 1 ? "start" : "end",
        ratio);
  }
}

void WriteSvgAxis(const SvgScale& scale, int axis_y, std::ostream& out) {
  out << absl::StrFormat(
      "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>\n"
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
      scale.x(1), kSvgTop - 4, scale.x(1), axis_y, kSvgPlotLeft, axis_y,
      kSvgPlotLeft + kSvgPlotWidth, axis_y);
  // About ten ticks, on multiples of 0.1 (or of 0.5 for wide ranges).
  const double range = scale.high - scale.low;
  const double step = range <= 2 ? 0.1 : std::ceil(range / 10 * 2) / 2;
  for (int tick = 0; scale.low + tick * step <= scale.high + 1e-9; tick++) {
    const double value = scale.low + tick * step;
    out << absl::StrFormat(
        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\"/>"
        "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.1f</text>\n",
        scale.x(value), axis_y, scale.x(value), axis_y + 4, scale.x(value), axis_y + 16, value);
  }
}

std::vector<std::string> Judge(const ComparisonRow& row, const GateThresholds& t) {
  std::vector<std::string> failures;
  const BenchSummary& a = *row.a;
  const BenchSummary& b = *row.b;
  if (std::optional<double> r = row.throughput_ratio(); r && *r < 1 - t.throughput_drop) {
    failures.push_back(absl::StrFormat("throughput %.3fx < %.3fx", *r, 1 - t.throughput_drop));
  }
  if (std::optional<double> r = row.p99_ratio(); r && *r > 1 + t.p99_rise) {
    failures.push_back(absl::StrFormat("p99 %.3fx > %.3fx (%s -> %s)", *r, 1 + t.p99_rise,
                                       HumanNanoseconds(a.latency_ns_p99),
                                       HumanNanoseconds(b.latency_ns_p99)));
  }
  if (a.allocations_per_op && b.allocations_per_op) {
    const double before = *a.allocations_per_op;
    const double after = *b.allocations_per_op;
    if (after > before * (1 + t.allocations_rise) && after - before > t.allocations_slack_per_op) {
      failures.push_back(absl::StrFormat("allocations/op %.4g -> %.4g", before, after));
    }
  }
  if (b.syncs_per_op > a.syncs_per_op * (1 + t.syncs_rise) + 1e-9) {
    failures.push_back(absl::StrFormat("syncs/op %.4g -> %.4g", a.syncs_per_op, b.syncs_per_op));
  }
  return failures;
}

}  // namespace

std::optional<double> ComparisonRow::throughput_ratio() const {
  if (!a || !b) return std::nullopt;
  return Ratio(b->items_per_second, a->items_per_second);
}
std::optional<double> ComparisonRow::p99_ratio() const {
  if (!a || !b) return std::nullopt;
  return Ratio(b->latency_ns_p99, a->latency_ns_p99);
}
std::optional<double> ComparisonRow::allocations_ratio() const {
  if (!a || !b || !a->allocations_per_op || !b->allocations_per_op) return std::nullopt;
  return Ratio(*b->allocations_per_op, *a->allocations_per_op);
}
std::optional<double> ComparisonRow::syncs_ratio() const {
  if (!a || !b) return std::nullopt;
  return Ratio(b->syncs_per_op, a->syncs_per_op);
}

std::vector<ComparisonRow> Compare(const std::vector<BenchSummary>& a,
                                   const std::vector<BenchSummary>& b) {
  std::map<std::string, ComparisonRow> rows;
  for (const BenchSummary& summary : a) {
    rows[summary.benchmark].benchmark = summary.benchmark;
    rows[summary.benchmark].a = summary;
  }
  for (const BenchSummary& summary : b) {
    rows[summary.benchmark].benchmark = summary.benchmark;
    rows[summary.benchmark].b = summary;
  }
  std::vector<ComparisonRow> ordered;
  for (auto& [name, row] : rows) {
    if (row.a && row.b) row.mismatches = Mismatches(*row.a, *row.b);
    ordered.push_back(std::move(row));
  }
  return ordered;
}

void PrintComparison(const std::vector<ComparisonRow>& rows, const std::string& label_a,
                     const std::string& label_b, std::ostream& out) {
  out << absl::StrFormat("A = %s\nB = %s\nratios are B/A of medians over repeats\n\n", label_a,
                         label_b);
  out << absl::StrFormat("%-38s %14s %14s %11s %11s %11s %11s\n", "benchmark", "A throughput",
                         "B throughput", "throughput", "p99", "allocs/op", "syncs/op");
  std::vector<std::string> notes;
  for (const ComparisonRow& row : rows) {
    if (!row.a || !row.b) {
      out << absl::StrFormat("%-38s only in %s\n", row.benchmark, row.a ? "A" : "B");
      continue;
    }
    const std::string mark = row.mismatches.empty() ? "" : " !";
    out << absl::StrFormat("%-38s %14s %14s %11s %11s %11s %11s%s\n", row.benchmark,
                           HumanCount(row.a->items_per_second) + "/s",
                           HumanCount(row.b->items_per_second) + "/s",
                           RatioText(row.throughput_ratio()), RatioText(row.p99_ratio()),
                           RatioText(row.allocations_ratio()), RatioText(row.syncs_ratio()), mark);
    for (const std::string& mismatch : row.mismatches) {
      notes.push_back(absl::StrFormat("! %s: %s", row.benchmark, mismatch));
    }
  }
  if (!notes.empty()) {
    out << "\nnot like for like (fine when that difference is what is compared, e.g. the "
           "backend; gate refuses them):\n"
        << absl::StrJoin(notes, "\n") << "\n";
  }
}

void WriteComparisonCsv(const std::vector<ComparisonRow>& rows, std::ostream& out) {
  out << "benchmark,unit,a_items_per_second,b_items_per_second,throughput_ratio,"
         "a_latency_ns_p99,b_latency_ns_p99,p99_ratio,a_allocations_per_op,"
         "b_allocations_per_op,allocations_ratio,a_syncs_per_op,b_syncs_per_op,syncs_ratio,"
         "comparable\n";
  const auto number = [](std::optional<double> value) {
    return value ? absl::StrFormat("%.9g", *value) : std::string();
  };
  for (const ComparisonRow& row : rows) {
    const auto side = [](const std::optional<BenchSummary>& s, auto field) {
      return s ? std::optional<double>(field(*s)) : std::nullopt;
    };
    const auto throughput = [](const BenchSummary& s) { return s.items_per_second; };
    const auto p99 = [](const BenchSummary& s) { return s.latency_ns_p99; };
    const auto syncs = [](const BenchSummary& s) { return s.syncs_per_op; };
    const std::optional<double> a_alloc = row.a ? row.a->allocations_per_op : std::nullopt;
    const std::optional<double> b_alloc = row.b ? row.b->allocations_per_op : std::nullopt;
    out << absl::StrFormat(
        "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", row.benchmark,
        row.a ? row.a->unit : row.b->unit, number(side(row.a, throughput)),
        number(side(row.b, throughput)), number(row.throughput_ratio()), number(side(row.a, p99)),
        number(side(row.b, p99)), number(row.p99_ratio()), number(a_alloc), number(b_alloc),
        number(row.allocations_ratio()), number(side(row.a, syncs)), number(side(row.b, syncs)),
        number(row.syncs_ratio()), row.comparable() ? "yes" : "no");
  }
}

void WriteComparisonSvg(const std::vector<ComparisonRow>& rows, const std::string& label_a,
                        const std::string& label_b, std::ostream& out) {
  std::vector<const ComparisonRow*> shown;
  double low = 0.5, high = 1.5;
  for (const ComparisonRow& row : rows) {
    if (!row.throughput_ratio() || !row.p99_ratio()) continue;
    shown.push_back(&row);
    for (double ratio : {*row.throughput_ratio(), *row.p99_ratio()}) {
      low = std::min(low, ratio);
      high = std::max(high, ratio);
    }
  }
  const SvgScale scale{std::max(0.0, std::floor(low * 10) / 10), std::ceil(high * 10) / 10};
  const int axis_y = kSvgTop + static_cast<int>(shown.size()) * kSvgRowHeight;
  out << absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">B / A (medians over "
      "repeats)</text>\n"
      "<text x=\"%d\" y=\"40\">A = %s; B = %s</text>\n"
      "<text x=\"%d\" y=\"56\"><tspan fill=\"%s\">&#9632; throughput (higher is "
      "better)</tspan>  <tspan fill=\"%s\">&#9632; p99 latency (lower is "
      "better)</tspan></text>\n",
      kSvgPlotLeft + kSvgPlotWidth + 80, axis_y + 50, kSvgMargin, kSvgMargin, XmlEscape(label_a),
      XmlEscape(label_b), kSvgMargin, kSvgThroughputColor, kSvgLatencyColor);
  for (size_t index = 0; index < shown.size(); index++) {
    WriteSvgRow(*shown[index], kSvgTop + static_cast<int>(index) * kSvgRowHeight, scale, out);
  }
  WriteSvgAxis(scale, axis_y, out);
  if (shown.empty()) {
    out << absl::StrFormat("<text x=\"%d\" y=\"%d\">no comparable benchmarks</text>\n", kSvgMargin,
                           kSvgTop + 16);
  }
  out << "</svg>\n";
}

std::string DescribeThresholds(const GateThresholds& t) {
  const std::string syncs = t.syncs_rise == 0 ? std::string("any increase")
                                              : absl::StrFormat("+%g%%", t.syncs_rise * 100);
  return absl::StrFormat(
      "throughput -%g%%, p99 +%g%%, allocations/op +%g%% (and more than +%g), syncs/op %s",
      t.throughput_drop * 100, t.p99_rise * 100, t.allocations_rise * 100,
      t.allocations_slack_per_op, syncs);
}

size_t GateReport::failed() const {
  return static_cast<size_t>(std::count_if(
      verdicts.begin(), verdicts.end(), [](const GateVerdict& v) { return !v.failures.empty(); }));
}

GateReport Gate(const std::vector<BenchSummary>& baseline,
                const std::vector<BenchSummary>& candidate, const GateThresholds& thresholds) {
  GateReport report;
  for (ComparisonRow& row : Compare(baseline, candidate)) {
    if (!row.a) continue;  // Only in the candidate: nothing to hold it to.
    if (!row.b) {
      report.verdicts.push_back({std::move(row), {"missing from the candidate"}});
      continue;
    }
    if (!row.mismatches.empty()) {
      report.refused.push_back(
          absl::StrFormat("%s: %s", row.benchmark, absl::StrJoin(row.mismatches, "; ")));
      continue;
    }
    std::vector<std::string> failures = Judge(row, thresholds);
    report.verdicts.push_back({std::move(row), std::move(failures)});
  }
  return report;
}

void PrintGateReport(const GateReport& report, const GateThresholds& thresholds,
                     std::ostream& out) {
  out << absl::StrFormat("gate: a benchmark fails on %s (medians over repeats, B/A)\n",
                         DescribeThresholds(thresholds));
  out << absl::StrFormat("%-38s %11s %11s %11s %11s  %s\n", "benchmark", "throughput", "p99",
                         "allocs/op", "syncs/op", "verdict");
  for (const GateVerdict& verdict : report.verdicts) {
    const ComparisonRow& row = verdict.row;
    out << absl::StrFormat(
        "%-38s %11s %11s %11s %11s  %s\n", row.benchmark, RatioText(row.throughput_ratio()),
        RatioText(row.p99_ratio()), RatioText(row.allocations_ratio()),
        RatioText(row.syncs_ratio()),
        verdict.failures.empty() ? "pass" : "FAIL: " + absl::StrJoin(verdict.failures, "; "));
  }
  for (const std::string& refused : report.refused) out << "not comparable: " << refused << "\n";
  out << absl::StrFormat(
      "gate: %d benchmarks, %d passed, %d failed%s\n", report.verdicts.size(), report.passed(),
      report.failed(),
      report.refused.empty() ? "" : absl::StrFormat(", %d not comparable", report.refused.size()));
}

}  // namespace northstar::bench
