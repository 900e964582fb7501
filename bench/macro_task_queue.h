// macro/task_queue_claims (bench/macro_task_queue.cc), made with a planted double claim: the
// proof that its duplicate count, taken from the database, can come out above zero.
//
// The benchmark counts duplicates from the claims in the database, never from what its agents
// believe they did: each op checks the tasks its round claimed, and verify() scans every claim:
// key after the measured ops (apps::AuditClaims). A planted double claim writes a second claim,
// by another agent, for a task an agent already holds, in a write transaction of its own, as a
// real double claim would leave it; the run then fails as it would on a real one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "bench/harness.h"

namespace northstar::bench {

struct PlantedDoubleClaim {
  // Op index (warmup and measured ops counted together, as BenchCase::op's) after whose round
  // the second claim is written, before the round is checked.
  uint64_t at_op = 0;
  // The task claimed twice: the first one agent 0 claimed in this op (<= at_op). Equal to at_op,
  // the op's own check finds it; earlier, only the scan of every claim in verify() does.
  uint64_t task_of_op = 0;
};

// The benchmark's case; with `plant`, one task ends up with a second claim (by agent 1).
[[nodiscard]] std::unique_ptr<BenchCase> MakeTaskQueueClaims(
    std::optional<PlantedDoubleClaim> plant = std::nullopt);

}  // namespace northstar::bench
