#include "cartridge/test_tasks.h"

#include <set>

#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

constexpr const char* kTypes[] = {"build", "test", "lint", "deploy", "a", "z-9_"};

bool AllDigits(std::string_view text, size_t digits) {
  if (text.size() != digits) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The id of "<prefix><20 digits>", or -1.
int64_t IdAfter(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix)) return -1;
  const std::string_view digits = key.substr(prefix.size(), 20);
  if (!AllDigits(digits, 20)) return -1;
  return std::stoll(std::string(digits));
}

}  // namespace

PendingTasks ModelPendingTasks(const KeyValueState& state) {
  std::set<int64_t> claimed;
  std::set<int64_t> completed;
  for (const auto& [key, value] : state) {
    const int64_t claim = IdAfter(key, "claim:");
    if (claim >= 0 && key.size() == 6 + 20 + 1 + 6 && key[26] == ':' &&
        AllDigits(std::string_view(key).substr(27), 6)) {
      claimed.insert(claim);
    }
    if (key.size() == 10 + 20 && IdAfter(key, "completed:") >= 0) {
      completed.insert(IdAfter(key, "completed:"));
    }
  }
  PendingTasks pending;
  for (const auto& [key, value] : state) {
    if (key.size() != 5 + 20) continue;
    const int64_t id = IdAfter(key, "task:");
    if (id < 0 || claimed.contains(id) || completed.contains(id)) continue;
    const std::string opening = R"({"type":")";
    const size_t end = value.find('"', opening.size());
    pending[value.substr(opening.size(), end - opening.size())].push_back(
        static_cast<uint64_t>(id));
  }
  return pending;
}

void TaskWorkload::put(engine::WriteTxn& txn, const std::string& key, const std::string& value) {
  if (!txn_status_.ok()) return;
  txn_status_ = txn.put(key, value);
  if (txn_status_.ok()) state_[key] = value;
}

void TaskWorkload::del(engine::WriteTxn& txn, const std::string& key) {
  if (!txn_status_.ok()) return;
  absl::StatusOr<bool> deleted = txn.del(key);
  txn_status_ = deleted.status();
  if (txn_status_.ok()) state_.erase(key);
}

void TaskWorkload::random_op(engine::WriteTxn& txn) {
  const uint64_t id = rng_.Uniform(ids_);
  const uint32_t agent = static_cast<uint32_t>(rng_.Uniform(4));
  const std::string type = kTypes[rng_.Uniform(std::size(kTypes))];
  switch (rng_.Uniform(10)) {
    case 0:
    case 1:
    case 2:  // Create, or retype an existing task.
      put(txn, apps::task_keys::TaskKey(id), apps::task_keys::TaskMetadata(type, 1, "payload"));
      break;
    case 3:
      put(txn, apps::task_keys::ClaimKey(id, agent), "1000");
      put(txn, apps::task_keys::AgentActiveKey(agent), apps::task_keys::FormatId(id));
      break;
    case 4:  // Release a claim (which may not exist).
      del(txn, apps::task_keys::ClaimKey(id, agent));
      break;
    case 5:
      put(txn, apps::task_keys::CompletedKey(id), "2000");
      break;
    case 6:  // Reopen.
      del(txn, apps::task_keys::CompletedKey(id));
      break;
    case 7:
      del(txn, apps::task_keys::TaskKey(id));
      break;
    case 8:  // Keys under the prefixes that are not the layout's: ignored by everyone.
      put(txn, absl::StrFormat("task:%d", id), "not a task");
      put(txn, absl::StrFormat("claim:%020d:x", id), "not a claim");
      put(txn, absl::StrFormat("completed:%020d:extra", id), "not a completion");
      break;
    default:
      del(txn, absl::StrFormat("claim:%020d:x", id));
      break;
  }
}

absl::Status TaskWorkload::Commit(engine::Db& db, uint32_t ops_max) {
  const KeyValueState before = state_;
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db.begin_write());
  txn_status_ = absl::OkStatus();
  const uint64_t ops = 1 + rng_.Uniform(ops_max);
  for (uint64_t op = 0; op < ops; op++) random_op(*txn);
  // One noise put in every commit: no commit is empty, so each one has a log record.
  put(*txn, "agent:999999:active", absl::StrFormat("%d", rng_.Next()));
  if (!txn_status_.ok()) {
    state_ = before;
    return txn_status_;
  }
  absl::Status committed = txn->commit();
  if (!committed.ok()) state_ = before;
  return committed;
}

absl::Status TaskWorkload::Commits(engine::Db& db, uint32_t count, uint32_t ops_max) {
  for (uint32_t commit = 0; commit < count; commit++) NS_RETURN_IF_ERROR(Commit(db, ops_max));
  return absl::OkStatus();
}

absl::Status TaskWorkload::CreateTasks(engine::Db& db, uint64_t first_id, uint64_t count) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db.begin_write());
  txn_status_ = absl::OkStatus();
  for (uint64_t id = first_id; id < first_id + count; id++) {
    put(*txn, apps::task_keys::TaskKey(id),
        apps::task_keys::TaskMetadata(kTypes[id % std::size(kTypes)], 2, "bulk"));
  }
  NS_RETURN_IF_ERROR(txn_status_);
  return txn->commit();
}

}  // namespace northstar::cartridge
