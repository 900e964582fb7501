// The one place that maps workload.kind to its implementation.
#include "sim/workloads/kv.h"
#include "sim/workloads/workload.h"
#include "util/assert.h"

namespace northstar::sim {

std::unique_ptr<Workload> MakeTaskQueueWorkload(RunContext& run);
std::unique_ptr<Workload> MakeCodeGraphWorkload(RunContext& run);

std::unique_ptr<Workload> MakeWorkload(RunContext& run) {
  switch (run.scenario().workload.kind) {
    case WorkloadKind::kKv:
      return std::make_unique<KvWorkload>(run);
    case WorkloadKind::kTimeTravel:
      return std::make_unique<TimeTravelWorkload>(run);
    case WorkloadKind::kTaskQueue:
      return MakeTaskQueueWorkload(run);
    case WorkloadKind::kCodeGraph:
      return MakeCodeGraphWorkload(run);
  }
  NS_ASSERT_MSG(false, "unknown workload kind");
  return nullptr;
}

}  // namespace northstar::sim
