// The task-queue checker (spec/correctness.md, CO-13 and CO-14).
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "apps/task_keys.h"
#include "sim/checkers.h"

namespace northstar::sim {
namespace task_keys = apps::task_keys;

namespace {

CheckFailure TaskQueueFailure(std::string message) {
  return CheckFailure{Verdict::kTaskQueue, absl::StrFormat("task-queue: %s", message)};
}

// The claim entries of a state: claim:{id}:{agent} -> claim time.
KeyValues ClaimsOf(const KeyValues& state) {
  KeyValues claims;
  for (auto it = state.lower_bound(std::string(task_keys::kClaimPrefix));
       it != state.end() && it->first.starts_with(task_keys::kClaimPrefix); ++it) {
    claims.insert(*it);
  }
  return claims;
}

// "task 7 claimed by agent 3".
std::string DescribeClaim(std::string_view key) {
  const std::optional<uint64_t> id = task_keys::TaskIdOfKey(key);
  const std::optional<uint32_t> agent = task_keys::AgentOfClaimKey(key);
  if (!id || !agent) return absl::StrFormat("\"%s\"", absl::CHexEscape(std::string(key)));
  return absl::StrFormat("task %d claimed by agent %d", *id, *agent);
}

// The first commit in [1, up_to] after which `key` holds `value` (0 if none): who made a claim.
uint64_t CommitThatMade(const ReferenceModel& model, const std::string& key,
                        const std::string& value, uint64_t up_to) {
  for (uint64_t txn = 1; txn <= up_to; txn++) {
    if (model.get_at(txn, key) == value) return txn;
  }
  return 0;
}

std::optional<CheckFailure> CheckClaims(const TaskQueueState& queue, std::string_view where) {
  for (const auto& [id, agents] : queue.claims()) {
    if (agents.size() > 1) {
      return TaskQueueFailure(absl::StrFormat("in %s, task %d has %d claims (agents %s)", where,
                                              id, agents.size(), absl::StrJoin(agents, ", ")));
    }
  }
  for (uint64_t id : queue.completed()) {
    if (!queue.claims().contains(id)) {
      return TaskQueueFailure(
          absl::StrFormat("in %s, task %d is completed but has no claim", where, id));
    }
  }
  return std::nullopt;
}

// Why `got` is no prefix's claims, given the claims of the durable commit `floor` and of the last
// attempted one.
CheckFailure DiagnoseClaims(const ReferenceModel& model, const KeyValues& got,
                            const KeyValues& at_floor, const KeyValues& at_last) {
  for (const auto& [key, value] : at_floor) {
    auto found = got.find(key);
    if (found == got.end() || found->second != value) {
      return TaskQueueFailure(absl::StrFormat(
          "after recovery, the claim of %s made by commit %d, which was acknowledged (durable "
          "through commit %d), is %s",
          DescribeClaim(key), CommitThatMade(model, key, value, model.floor()), model.floor(),
          found == got.end() ? "missing" : "changed"));
    }
  }
  for (const auto& [key, value] : got) {
    auto found = at_last.find(key);
    if (found == at_last.end() || found->second != value) {
      return TaskQueueFailure(absl::StrFormat(
          "after recovery, the state holds a claim of %s that no commit up to %d made",
          DescribeClaim(key), model.last_attempted()));
    }
  }
  return TaskQueueFailure(absl::StrFormat(
      "after recovery, the %d claims are not those of any prefix of the commits (between commit "
      "%d, durable, and %d, the last attempted)",
      got.size(), model.floor(), model.last_attempted()));
}

}  // namespace

std::optional<CheckFailure> CheckTaskQueueInvariants(const TaskQueueState& queue,
                                                     std::string_view where) {
  if (!queue.foreign_keys().empty()) {
    return TaskQueueFailure(absl::StrFormat("in %s, key \"%s\" is not a task-queue key", where,
                                            absl::CHexEscape(queue.foreign_keys().front())));
  }
  if (std::optional<CheckFailure> failure = CheckClaims(queue, where)) return failure;
  for (const auto& [id, agents] : queue.claims()) {
    if (!queue.tasks().contains(id)) {
      return TaskQueueFailure(
          absl::StrFormat("in %s, task %d is claimed but does not exist", where, id));
    }
  }
  // (A completed task has a claim, checked above: its task exists too.)
  for (const auto& [agent, held] : queue.active()) {
    const std::optional<uint64_t> id =
        task_keys::TaskIdOfKey(absl::StrFormat("%s%s", task_keys::kTaskPrefix, held));
    if (!id) {
      return TaskQueueFailure(absl::StrFormat("in %s, agent %d holds \"%s\", which is not a task id",
                                              where, agent, absl::CHexEscape(held)));
    }
    auto claims = queue.claims().find(*id);
    if (claims == queue.claims().end() || !claims->second.contains(agent)) {
      return TaskQueueFailure(absl::StrFormat(
          "in %s, agent %d holds task %d but has no claim on it", where, agent, *id));
    }
    if (queue.completed().contains(*id)) {
      return TaskQueueFailure(absl::StrFormat(
          "in %s, agent %d still holds task %d, which is completed", where, agent, *id));
    }
  }
  return std::nullopt;
}

std::optional<CheckFailure> CheckTaskQueueRecovery(const ReferenceModel& model,
                                                   const KeyValues& recovered) {
  const KeyValues got = ClaimsOf(recovered);
  // The claims after each commit from the durable one on, one commit's writes at a time.
  const KeyValues at_floor = ClaimsOf(model.state_at(model.floor()));
  KeyValues claims = at_floor;
  bool prefix = claims == got;
  for (uint64_t txn = model.floor() + 1; txn <= model.last_attempted(); txn++) {
    for (const std::string& key : model.keys_of(txn)) {
      if (!key.starts_with(task_keys::kClaimPrefix)) continue;
      const std::optional<std::string> value = model.get_at(txn, key);
      if (value) {
        claims[key] = *value;
      } else {
        claims.erase(key);
      }
    }
    prefix = prefix || claims == got;
  }
  if (!prefix) return DiagnoseClaims(model, got, at_floor, claims);
  return CheckClaims(TaskQueueState::Of(recovered), "the recovered state");
}

}  // namespace northstar::sim
