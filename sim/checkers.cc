#include "sim/checkers.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace northstar::sim {
namespace {

std::string Shorten(const std::string& text) {
  if (text.size() <= 24) return absl::StrFormat("\"%s\"", absl::CHexEscape(text));
  return absl::StrFormat("\"%s...\" (%d bytes)", absl::CHexEscape(text.substr(0, 24)), text.size());
}

// The first key where two states differ, for messages.
std::string FirstDifference(const KeyValues& got, const KeyValues& want) {
  auto g = got.begin();
  auto w = want.begin();
  while (g != got.end() && w != want.end() && *g == *w) {
    ++g;
    ++w;
  }
  if (g == got.end() && w == want.end()) return "no difference";
  if (w == want.end() || (g != got.end() && g->first < w->first)) {
    return absl::StrFormat("key %s is present but should not be", Shorten(g->first));
  }
  if (g == got.end() || w->first < g->first) {
    return absl::StrFormat("key %s is missing", Shorten(w->first));
  }
  return absl::StrFormat("key %s is %s, expected %s", Shorten(g->first), Shorten(g->second),
                         Shorten(w->second));
}

// True if `recovered` equals state(t) except on keys that commit t + 1 wrote, where it may hold
// commit t + 1's final values or, for a key the commit wrote several times, one of the values it
// held in between: a partially applied commit.
bool IsPartialCommit(const ReferenceModel& model, const KeyValues& recovered, uint64_t txn) {
  const KeyValues before = model.state_at(txn);
  const KeyValues after = model.state_at(txn + 1);
  if (recovered == before || recovered == after) return false;
  auto holds = [](const KeyValues& state, const std::string& key,
                  const std::optional<std::string>& value) {
    auto found = state.find(key);
    return value ? found != state.end() && found->second == *value : found == state.end();
  };
  auto value_in = [](const KeyValues& state, const std::string& key) {
    auto found = state.find(key);
    return found == state.end() ? std::optional<std::string>() : found->second;
  };
  for (const std::string& key : model.keys_of(txn + 1)) {
    bool allowed = holds(recovered, key, value_in(before, key)) ||
                   holds(recovered, key, value_in(after, key));
    for (const std::optional<std::string>& value : model.intermediate_values_of(txn + 1, key)) {
      allowed = allowed || holds(recovered, key, value);
    }
    if (!allowed) return false;
  }
  // Outside commit t + 1's keys the state must be exactly state(t).
  KeyValues outside_recovered = recovered;
  KeyValues outside_before = before;
  for (const std::string& key : model.keys_of(txn + 1)) {
    outside_recovered.erase(key);
    outside_before.erase(key);
  }
  return outside_recovered == outside_before;
}

}  // namespace

std::optional<CheckFailure> CheckRecoveredState(const ReferenceModel& model,
                                                const KeyValues& recovered,
                                                uint64_t recovered_txn) {
  const bool in_range = recovered_txn >= model.floor() && recovered_txn <= model.last_attempted();
  if (in_range && model.state_at(recovered_txn) == recovered) return std::nullopt;
  if (recovered_txn < model.floor()) {
    return CheckFailure{Verdict::kDurability,
                        absl::StrFormat("durability: recovered commit %d, but commit %d was "
                                        "durable (acknowledged) and is lost",
                                        recovered_txn, model.floor())};
  }
  for (uint64_t txn = model.floor(); txn-- > 0;) {
    if (model.state_at(txn) == recovered) {
      return CheckFailure{Verdict::kDurability,
                          absl::StrFormat("durability: recovered the state after commit %d "
                                          "(claiming commit %d), but commit %d was durable",
                                          txn, recovered_txn, model.floor())};
    }
  }
  const uint64_t last = std::min<uint64_t>(model.last_attempted(), recovered_txn + 1);
  for (uint64_t txn = 0; txn < last; txn++) {
    if (IsPartialCommit(model, recovered, txn)) {
      return CheckFailure{
          Verdict::kAtomicity,
          absl::StrFormat("atomicity: recovered state holds part of commit %d: %s", txn + 1,
                          FirstDifference(recovered, model.state_at(txn)))};
    }
  }
  const uint64_t compare_txn = std::min(recovered_txn, model.last_attempted());
  return CheckFailure{
      Verdict::kCrashState,
      absl::StrFormat("crash-state: recovered commit %d (%d keys) in [%d, %d], but its state is "
                      "not the model's: %s",
                      recovered_txn, recovered.size(), model.floor(), model.last_attempted(),
                      FirstDifference(recovered, model.state_at(compare_txn)))};
}

std::optional<CheckFailure> CheckSnapshotRead(const ReferenceModel& model, uint64_t snapshot_txn,
                                              const std::string& key,
                                              const std::optional<std::string>& got) {
  const std::optional<std::string> want = model.get_at(snapshot_txn, key);
  if (got == want) return std::nullopt;
  return CheckFailure{
      Verdict::kSnapshotIsolation,
      absl::StrFormat("snapshot-isolation: in the snapshot of commit %d, key %s is %s, expected %s",
                      snapshot_txn, Shorten(key), got ? Shorten(*got) : "absent",
                      want ? Shorten(*want) : "absent")};
}

}  // namespace northstar::sim
