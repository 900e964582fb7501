// The code-graph workload's ingest (workload.kind = "code-graph"): the synthetic repository of
// apps/code_graph.h as records, split between the writer fibers by module (writer w ingests the
// modules m with m % writers == w, each in record order), and how far each writer's commits got,
// so that after a crash every writer resumes right after what the recovered state holds.
//
// Plain data, ordered containers: deterministic. Not thread-safe (one simulation thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "apps/code_graph.h"
#include "sim/model.h"
#include "sim/scenario.h"

namespace northstar::sim {

class GraphIngest {
 public:
  using Records = std::vector<std::pair<std::string, std::string>>;

  // The repository of `sizes` drawn from `seed`, split between `writers` writers.
  GraphIngest(const CodeGraphSizes& sizes, uint64_t seed, uint32_t writers);

  [[nodiscard]] const apps::CodeGraphConfig& config() const { return config_; }
  // Every record of the repository: the state a complete ingest leaves.
  [[nodiscard]] const KeyValues& all_records() const { return all_records_; }
  // Writer `writer`'s share, in the order it ingests it.
  [[nodiscard]] const Records& records(uint32_t writer) const { return shares_.at(writer); }
  // How many of its records the writer's commits so far hold.
  [[nodiscard]] size_t position(uint32_t writer) const { return positions_.at(writer); }
  [[nodiscard]] size_t records_left(uint32_t writer) const {
    return records(writer).size() - position(writer);
  }

  // Commit `txn_id` of `writer` is attempted and takes its position to `position`.
  void attempted(uint64_t txn_id, uint32_t writer, size_t position);
  // Recovery settled on commit `txn_id`: the commits after it never happened; each writer
  // resumes after its last commit at or before it. `skip_one` (PlantedBug::kIngestResumeSkips)
  // moves every writer that has records left one record further: a resume off by one.
  void recovered(uint64_t txn_id, bool skip_one);
  // The commit after which every record was in (0 while the ingest is not complete).
  [[nodiscard]] uint64_t complete_txn() const { return complete_txn_; }

 private:
  struct Commit {
    uint32_t writer;
    size_t position;
  };

  apps::CodeGraphConfig config_;
  KeyValues all_records_;
  std::vector<Records> shares_;
  std::vector<size_t> positions_;
  std::map<uint64_t, Commit> commits_;
  uint64_t complete_txn_ = 0;
};

}  // namespace northstar::sim
