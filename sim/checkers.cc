#include "sim/checkers.h"

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

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

// True if `recovered` is made of parts of commits low + 1..high over state(low): every key no
// commit in that range wrote holds its value in state(low), and every key one of them wrote holds
// its value in state(low) or a value one of those commits gave it (its final one, or one it
// overwrote within the commit). A state that is no commit's state but passes this is a torn
// set of commits, an atomicity failure; one that fails it holds a value no commit wrote.
bool IsMixOfCommits(const ReferenceModel& model, const KeyValues& recovered, uint64_t low,
                    uint64_t high) {
  const KeyValues base = model.state_at(low);
  std::map<std::string, std::vector<std::optional<std::string>>> written;
  for (uint64_t txn = low + 1; txn <= high; txn++) {
    for (const std::string& key : model.keys_of(txn)) {
      std::vector<std::optional<std::string>>& values = written[key];
      values.push_back(model.get_at(txn, key));
      for (std::optional<std::string>& value : model.intermediate_values_of(txn, key)) {
        values.push_back(std::move(value));
      }
    }
  }
  auto value_in = [](const KeyValues& state, const std::string& key) {
    auto found = state.find(key);
    return found == state.end() ? std::optional<std::string>() : found->second;
  };
  for (const KeyValues* state : {&base, &recovered}) {
    for (const auto& [key, value] : *state) {
      if (!written.contains(key) && value_in(base, key) != value_in(recovered, key)) return false;
    }
  }
  for (const auto& [key, values] : written) {
    const std::optional<std::string> got = value_in(recovered, key);
    if (got != value_in(base, key) && std::find(values.begin(), values.end(), got) == values.end()) {
      return false;
    }
  }
  return true;
}

// How far back a torn set of commits is looked for: recovery replays at most the commits since
// the last checkpoint, a few dozen in the library's scenarios.
constexpr uint64_t kTornCommitsSearchMax = 256;

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
  const uint64_t high = std::min<uint64_t>(model.last_attempted(), recovered_txn + 1);
  // The whole state of some commit under the wrong id is a crash-state failure, not a torn one.
  bool whole_commit = false;
  for (uint64_t txn = high + 1; !whole_commit && txn-- > 0 && high - txn <= kTornCommitsSearchMax;) {
    whole_commit = model.state_at(txn) == recovered;
  }
  for (uint64_t low = high; !whole_commit && low-- > 0 && high - low <= kTornCommitsSearchMax;) {
    if (IsMixOfCommits(model, recovered, low, high)) {
      return CheckFailure{
          Verdict::kAtomicity,
          absl::StrFormat("atomicity: recovered state (claiming commit %d) holds parts of commits "
                          "%d..%d over the state after commit %d, but no commit's whole state: %s",
                          recovered_txn, low + 1, high, low,
                          FirstDifference(recovered, model.state_at(std::min(recovered_txn,
                                                                             high))))};
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

std::optional<CheckFailure> CheckSnapshotState(const ReferenceModel& model, uint64_t txn,
                                               const KeyValues& got, std::string_view what) {
  const KeyValues want = model.state_at(txn);
  if (got == want) return std::nullopt;
  return CheckFailure{
      Verdict::kSnapshotIsolation,
      absl::StrFormat("snapshot-isolation: %s as of commit %d holds %d keys, the model %d: %s",
                      what, txn, got.size(), want.size(), FirstDifference(got, want))};
}

std::optional<CheckFailure> CheckCodeGraphState(const KeyValues& state, const KeyValues& expected,
                                                std::string_view where) {
  if (state == expected) return std::nullopt;
  return CheckFailure{
      Verdict::kCodeGraph,
      absl::StrFormat("code-graph: %s holds the whole ingest, but %d records where the "
                      "repository has %d: %s",
                      where, state.size(), expected.size(), FirstDifference(state, expected))};
}

std::optional<CheckFailure> CheckCodeGraphAnswer(std::string_view query, uint64_t snapshot_txn,
                                                 const std::vector<uint64_t>& got,
                                                 const std::vector<uint64_t>& want) {
  if (got == want) return std::nullopt;
  return CheckFailure{
      Verdict::kCodeGraph,
      absl::StrFormat("code-graph: %s in the snapshot of commit %d (the whole ingest) gives [%s], "
                      "the repository [%s]",
                      query, snapshot_txn, absl::StrJoin(got, ", "), absl::StrJoin(want, ", "))};
}

}  // namespace northstar::sim
