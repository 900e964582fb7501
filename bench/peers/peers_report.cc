#include "bench/peers/peers_report.h"

#include <array>
#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/peers/peer.h"
#include "bench/report.h"
#include "bench/stats.h"
#include "util/status.h"

namespace northstar::bench {
namespace {

// The parameters that describe the workload itself (not an engine's configuration).
constexpr std::array<std::string_view, 9> kWorkloadParameters = {
    "keys",  "keys_measured", "key_bytes",        "value_bytes",    "batch",
    "order", "rows_per_scan", "snapshots_per_op", "puts_per_commit"};

std::optional<double> MedianExtra(const std::vector<RepeatResult>& repeats, const char* name) {
  std::vector<double> values;
  for (const RepeatResult& repeat : repeats) {
    if (!repeat.extra.contains(name)) return std::nullopt;
    values.push_back(repeat.extra[name].get<double>());
  }
  if (values.empty()) return std::nullopt;
  return Median(values);
}

absl::StatusOr<std::optional<EngineFigures>> FiguresOf(const ResultSet& results,
                                                       const std::string& benchmark) {
  const auto found = results.find(benchmark);
  if (found == results.end() || found->second.empty()) return std::nullopt;
  absl::StatusOr<BenchSummary> summary = Summarize(found->second);
  if (!summary.ok()) return summary.status();
  return EngineFigures{
      .unit = summary->unit,
      .items_per_second = summary->items_per_second,
      .syncs_per_op = summary->syncs_per_op,
      .cv = summary->cv,
      .bytes_per_key = MedianExtra(found->second, "bytes_per_key"),
      .bytes_per_key_without_log = MedianExtra(found->second, "bytes_per_key_without_log"),
      .parameters = summary->parameters};
}

// "" when `peer` ran the workload as `ours` did; else what differs.
std::string Mismatch(const nlohmann::json& ours, const nlohmann::json& peer) {
  std::vector<std::string> differences;
  for (std::string_view name : kWorkloadParameters) {
    const std::string key(name);
    const bool in_ours = ours.contains(key), in_peer = peer.contains(key);
    if (!in_ours && !in_peer) continue;
    if (in_ours && in_peer && ours[key] == peer[key]) continue;
    differences.push_back(absl::StrFormat("%s %s vs ours %s", key,
                                          in_peer ? peer[key].dump() : "missing",
                                          in_ours ? ours[key].dump() : "missing"));
  }
  return absl::StrJoin(differences, ", ");
}

std::string DisplayName(std::string_view engine) {
  if (engine == "lmdb") return "LMDB";
  if (engine == "sqlite") return "SQLite";
  if (engine == "rocksdb") return "RocksDB";
  if (engine == kOurEngine) return "Northstar";
  return std::string(engine);
}

const PeerRow* FindRow(const PeersTable& table, std::string_view workload) {
  for (const PeerRow& row : table.rows) {
    if (row.workload == workload) return &row;
  }
  return nullptr;
}

TargetCheck NotMeasured(std::string target, std::string why) {
  return {.target = std::move(target), .measured = std::move(why), .met = std::nullopt};
}

// Northstar/<engine> throughput on `workload` >= `minimum`.
TargetCheck RatioTarget(const PeersTable& table, std::string_view workload,
                        const std::string& engine, double minimum) {
  std::string target =
      absl::StrFormat("%s: Northstar/%s >= %g", workload, DisplayName(engine), minimum);
  const PeerRow* row = FindRow(table, workload);
  if (row == nullptr || !row->ours) return NotMeasured(std::move(target), "Northstar not run");
  if (!row->peers.contains(engine)) {
    return NotMeasured(std::move(target), absl::StrFormat("%s not run", engine));
  }
  const std::optional<double> ratio = row->ratio(engine);
  if (!ratio) return NotMeasured(std::move(target), "parameters differ");
  return {.target = std::move(target),
          .measured = absl::StrFormat("%.2fx", *ratio),
          .met = *ratio >= minimum};
}

// Northstar's bytes per key after `workload` <= LMDB's.
TargetCheck BytesTarget(const PeersTable& table, std::string_view workload) {
  std::string target = absl::StrFormat("%s: bytes/key Northstar <= LMDB", workload);
  const PeerRow* row = FindRow(table, workload);
  if (row == nullptr || !row->ours) return NotMeasured(std::move(target), "Northstar not run");
  const auto lmdb = row->peers.find("lmdb");
  if (lmdb == row->peers.end()) return NotMeasured(std::move(target), "lmdb not run");
  if (!row->ratio("lmdb")) return NotMeasured(std::move(target), "parameters differ");
  const std::optional<double> ours = row->ours->bytes_per_key;
  const std::optional<double> theirs = lmdb->second.bytes_per_key;
  if (!ours || !theirs) return NotMeasured(std::move(target), "bytes/key not recorded");
  std::string measured = absl::StrFormat("%.1f vs %.1f", *ours, *theirs);
  if (row->ours->bytes_per_key_without_log) {
    measured += absl::StrFormat(" (%.1f without our log)", *row->ours->bytes_per_key_without_log);
  }
  return {.target = std::move(target), .measured = std::move(measured), .met = *ours <= *theirs};
}

TargetCheck FloorTarget(const PeersTable& table) {
  constexpr double kMinimum = 0.9;
  std::string target =
      absl::StrFormat("commit/durable_single_put: Northstar >= %g x %s", kMinimum, kFloorBenchmark);
  const PeerRow* row = FindRow(table, "commit/durable_single_put");
  if (row == nullptr || !row->ours) return NotMeasured(std::move(target), "Northstar not run");
  if (!table.floor || table.floor->items_per_second <= 0) {
    return NotMeasured(std::move(target), "floor not run");
  }
  const double ratio = row->ours->items_per_second / table.floor->items_per_second;
  return {.target = std::move(target),
          .measured = absl::StrFormat("%.2fx", ratio),
          .met = ratio >= kMinimum};
}

TargetCheck OneSyncTarget(const PeersTable& table) {
  std::string target = "commit/durable_single_put: Northstar syncs/op == 1";
  const PeerRow* row = FindRow(table, "commit/durable_single_put");
  if (row == nullptr || !row->ours) return NotMeasured(std::move(target), "Northstar not run");
  const double syncs = row->ours->syncs_per_op;
  return {.target = std::move(target),
          .measured = absl::StrFormat("%.3f", syncs),
          .met = std::abs(syncs - 1) < 1e-9};
}

std::string BytesPerKey(const EngineFigures& figures) {
  return figures.bytes_per_key ? absl::StrFormat("%.1f", *figures.bytes_per_key) : "-";
}

std::string Cv(const EngineFigures& figures) {
  return figures.cv ? absl::StrFormat("%.1f%%", *figures.cv * 100) : "-";
}

void PrintEngineLine(std::string_view workload, std::string_view engine,
                     const EngineFigures& figures, const std::string& ratio, std::ostream& out) {
  out << absl::StrFormat("%-34s %-10s %18s %8s %9.3f %10s %7s\n", workload, engine,
                         HumanCount(figures.items_per_second) + " " + figures.unit + "/s", ratio,
                         figures.syncs_per_op, BytesPerKey(figures), Cv(figures));
}

std::string MetText(const std::optional<bool>& met) {
  if (!met) return "n/a";
  return *met ? "met" : "NOT MET";
}

std::string Counts(const std::vector<TargetCheck>& targets) {
  int met = 0, missed = 0, unmeasured = 0;
  for (const TargetCheck& check : targets) {
    if (!check.met) {
      unmeasured++;
    } else if (*check.met) {
      met++;
    } else {
      missed++;
    }
  }
  return absl::StrFormat("targets: %d met, %d not met, %d not measured", met, missed, unmeasured);
}

std::string FloorLine(const PeersTable& table) {
  if (!table.floor) return "";
  std::string line = absl::StrFormat("%s: %s %s/s, syncs/op %.3f", kFloorBenchmark,
                                     HumanCount(table.floor->items_per_second), table.floor->unit,
                                     table.floor->syncs_per_op);
  const PeerRow* row = FindRow(table, "commit/durable_single_put");
  if (row != nullptr && row->ours && table.floor->items_per_second > 0) {
    line += absl::StrFormat("; Northstar durable put / floor: %.2fx",
                            row->ours->items_per_second / table.floor->items_per_second);
  }
  return line;
}

}  // namespace

std::optional<double> PeerRow::ratio(const std::string& engine) const {
  const auto peer = peers.find(engine);
  if (!ours || peer == peers.end() || mismatches.contains(engine)) return std::nullopt;
  if (peer->second.items_per_second <= 0) return std::nullopt;
  return ours->items_per_second / peer->second.items_per_second;
}

absl::StatusOr<PeersTable> BuildPeersTable(const ResultSet& results,
                                           const std::vector<std::string>& engines) {
  PeersTable table{.engines = engines};
  for (const auto& [name, repeats] : results) {
    if (repeats.empty() || table.system) continue;
    table.system = repeats.front().system;
    table.scale = repeats.front().config.scale;
    table.repeats = repeats.front().config.repeats;
  }
  for (const PeerWorkload& workload : kPeerWorkloads) {
    PeerRow row{.workload = std::string(workload.name)};
    NS_ASSIGN_OR_RETURN(row.ours, FiguresOf(results, row.workload));
    for (const std::string& engine : engines) {
      NS_ASSIGN_OR_RETURN(std::optional<EngineFigures> figures,
                          FiguresOf(results, PeerBenchmarkName(engine, workload.name)));
      if (!figures) continue;
      if (row.ours) {
        std::string mismatch = Mismatch(row.ours->parameters, figures->parameters);
        if (!mismatch.empty()) row.mismatches[engine] = std::move(mismatch);
      }
      row.peers[engine] = *std::move(figures);
    }
    if (row.ours || !row.peers.empty()) table.rows.push_back(std::move(row));
  }
  NS_ASSIGN_OR_RETURN(table.floor, FiguresOf(results, std::string(kFloorBenchmark)));
  return table;
}

std::vector<TargetCheck> CheckTargets(const PeersTable& table) {
  return {RatioTarget(table, "btree/point_get_hot_1m", "lmdb", 1.0),
          RatioTarget(table, "btree/range_scan_1k_rows_hot", "lmdb", 1.0),
          RatioTarget(table, "mvcc/snapshot_open_close", "lmdb", 0.8),
          RatioTarget(table, "btree/build_sequential_insert_1m", "lmdb", 1.2),
          RatioTarget(table, "btree/build_random_insert_1m", "lmdb", 2.0),
          BytesTarget(table, "btree/build_sequential_insert_1m"),
          BytesTarget(table, "btree/build_random_insert_1m"),
          RatioTarget(table, "commit/durable_single_put", "rocksdb", 1.0),
          FloorTarget(table),
          OneSyncTarget(table)};
}

void PrintPeersTable(const PeersTable& table, const std::vector<TargetCheck>& targets,
                     std::ostream& out) {
  out << absl::StrFormat("%-34s %-10s %18s %8s %9s %10s %7s\n", "workload", "engine", "throughput",
                         "N/peer", "syncs/op", "bytes/key", "CV");
  for (const PeerRow& row : table.rows) {
    std::string_view workload = row.workload;
    if (row.ours) {
      PrintEngineLine(workload, kOurEngine, *row.ours, "-", out);
      workload = "";
    }
    for (const std::string& engine : table.engines) {
      const auto peer = row.peers.find(engine);
      if (peer == row.peers.end()) continue;
      const std::optional<double> ratio = row.ratio(engine);
      PrintEngineLine(workload, engine, peer->second,
                      ratio ? absl::StrFormat("%.2fx", *ratio) : "-", out);
      workload = "";
    }
    for (const auto& [engine, mismatch] : row.mismatches) {
      out << absl::StrFormat("  ! %s: not like for like: %s\n", engine, mismatch);
    }
  }
  if (std::string floor = FloorLine(table); !floor.empty()) out << floor << "\n";
  out << "targets (issue 10; N/peer = Northstar throughput / the peer's, same run):\n";
  for (const TargetCheck& check : targets) {
    out << absl::StrFormat("  %-8s %s: %s\n", MetText(check.met), check.target, check.measured);
  }
  out << Counts(targets) << "\n";
}

void PrintPeersMarkdown(const PeersTable& table, const std::vector<TargetCheck>& targets,
                        std::ostream& out) {
  if (table.system) {
    const SystemInfo& s = *table.system;
    out << absl::StrFormat(
        "Machine: %s, %d cores, %.1f GiB RAM, %s, %s on %s; scale %g, %d repeats "
        "(medians), %s build %s, %s.\n\n",
        s.cpu_model, s.cores, static_cast<double>(s.ram_bytes) / double(1ull << 30), s.kernel,
        s.dir_file_system, s.dir_device, table.scale, table.repeats, s.build_type, s.git_commit,
        s.timestamp_utc);
  }
  std::vector<std::string> names = {"Northstar"};
  for (const std::string& engine : table.engines) names.push_back(DisplayName(engine));
  const std::string columns = absl::StrJoin(names, " | ");
  std::string align;
  for (size_t index = 0; index < names.size(); index++) align += "---:|";
  out << "| workload | " << columns << " |\n|---|" << align << "\n";
  for (const PeerRow& row : table.rows) {
    std::string line = absl::StrFormat(
        "| %s | %s", row.workload,
        row.ours ? HumanCount(row.ours->items_per_second) + " " + row.ours->unit + "/s" : "-");
    for (const std::string& engine : table.engines) {
      const auto peer = row.peers.find(engine);
      if (peer == row.peers.end()) {
        line += " | -";
        continue;
      }
      const std::optional<double> ratio = row.ratio(engine);
      line += absl::StrFormat(" | %s/s (N/peer %s)", HumanCount(peer->second.items_per_second),
                              ratio ? absl::StrFormat("%.2fx", *ratio) : "-");
    }
    out << line << " |\n";
  }
  out << "\n| workload: syncs/op, bytes/key | " << columns << " |\n|---|" << align << "\n";
  for (const PeerRow& row : table.rows) {
    const auto cell = [](const std::optional<EngineFigures>& figures) -> std::string {
      if (!figures) return "-";
      std::string text = absl::StrFormat("%.3g", figures->syncs_per_op);
      if (figures->bytes_per_key) text += absl::StrFormat(", %.1f B/key", *figures->bytes_per_key);
      return text;
    };
    std::string line = absl::StrFormat("| %s | %s", row.workload, cell(row.ours));
    for (const std::string& engine : table.engines) {
      const auto peer = row.peers.find(engine);
      line += " | " + cell(peer == row.peers.end() ? std::nullopt
                                                   : std::optional<EngineFigures>(peer->second));
    }
    out << line << " |\n";
  }
  if (std::string floor = FloorLine(table); !floor.empty()) out << "\n" << floor << ".\n";
  out << "\nTargets (issue 10):\n\n";
  for (const TargetCheck& check : targets) {
    out << absl::StrFormat("- %s: %s: %s\n", MetText(check.met), check.target, check.measured);
  }
  out << "\n" << Counts(targets) << ".\n";
}

}  // namespace northstar::bench
