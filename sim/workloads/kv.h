// workload.kind = "kv" (any target) and "time-travel" (kv whose AS OF reads go back to any past
// commit of our engine: a retained snapshot, or a replay of the log the run keeps whole).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/workloads/workload.h"

namespace northstar::sim {

class KvWorkload : public Workload {
 public:
  explicit KvWorkload(RunContext& run) : Workload(run) {}
  void spawn(Scheduler& scheduler) override;

 protected:
  // An AS OF read of a retained commit a few commits back (skipped when it is gone).
  [[nodiscard]] virtual bool as_of_read(TargetReader& read, WorkloadGenerator& generator,
                                        const std::string& key);

 private:
  void writer(uint32_t index);
  void reader(uint32_t index);
  [[nodiscard]] bool write_op(TargetWriter& txn, WorkloadGenerator& generator,
                              std::vector<engine::LogOp>& ops,
                              std::map<std::string, std::optional<std::string>>& pending);
  [[nodiscard]] bool read_op(TargetReader& read, WorkloadGenerator& generator);
  [[nodiscard]] bool check_scan(TargetReader& read, const std::string& start, bool reverse,
                                const std::string& prefix);
};

class TimeTravelWorkload final : public KvWorkload {
 public:
  explicit TimeTravelWorkload(RunContext& run) : KvWorkload(run) {}

 protected:
  [[nodiscard]] bool as_of_read(TargetReader& read, WorkloadGenerator& generator,
                                const std::string& key) override;

 private:
  // `latest`: the commit the reader's snapshot shows.
  [[nodiscard]] bool time_travel_read(uint64_t latest, WorkloadGenerator& generator);
  [[nodiscard]] bool check_replay(uint64_t txn_id);
};

}  // namespace northstar::sim
