#include "cartridge/pending_tasks.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

// The ids of the well-formed keys under `prefix` (claim: or completed:), ascending and unique.
// Key order is id order for well-formed keys (fixed-width ids), so one pass suffices.
absl::StatusOr<std::vector<uint64_t>> IdsUnderPrefix(engine::ReadTxn& txn, std::string_view prefix) {
  std::vector<uint64_t> ids;
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  NS_RETURN_IF_ERROR(cursor->seek(prefix));
  uint64_t visited = 0;
  while (cursor->valid() && cursor->key().starts_with(prefix)) {
    NS_ASSERT(++visited <= txn.entry_count());
    if (const std::optional<uint64_t> id = apps::task_keys::TaskIdOfKey(cursor->key())) {
      NS_ASSERT(ids.empty() || ids.back() <= *id);
      if (ids.empty() || ids.back() != *id) ids.push_back(*id);
    }
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return ids;
}

// Whether `sorted` holds `id`, moving `position` forward (the ids asked about ascend).
bool ContainsAdvancing(const std::vector<uint64_t>& sorted, size_t& position, uint64_t id) {
  while (position < sorted.size() && sorted[position] < id) position++;
  return position < sorted.size() && sorted[position] == id;
}

absl::StatusOr<std::string> TypeOfTask(std::string_view key, std::string_view metadata) {
  absl::StatusOr<std::string_view> type = apps::task_keys::TaskTypeOf(metadata);
  if (!type.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("pending task %s: %s", key, type.status().message()));
  }
  return std::string(*type);
}

// `old_ids` without the ids in `touched` (both ascending), merged with `added` (ascending, a
// subset of `touched`).
std::vector<uint64_t> MergeTouched(const std::vector<uint64_t>& old_ids,
                                   const std::vector<uint64_t>& touched,
                                   const std::vector<uint64_t>& added) {
  std::vector<uint64_t> kept;
  kept.reserve(old_ids.size());
  size_t position = 0;
  for (uint64_t id : old_ids) {
    if (!ContainsAdvancing(touched, position, id)) kept.push_back(id);
  }
  std::vector<uint64_t> merged;
  merged.reserve(kept.size() + added.size());
  std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(merged));
  return merged;
}

std::string TypeAbsentLine(std::string_view type, const std::vector<uint64_t>& ids,
                           bool in_database) {
  NS_ASSERT(!ids.empty());
  if (in_database) {
    return absl::StrFormat(
        "type \"%s\": %d pending tasks in the database (the first is task %d), none in the "
        "cartridge",
        type, ids.size(), ids.front());
  }
  return absl::StrFormat(
      "type \"%s\": %d ids in the cartridge (the first is %d), but the database has no pending "
      "task of that type",
      type, ids.size(), ids.front());
}

std::optional<std::string> FirstIdDifference(std::string_view type,
                                             const std::vector<uint64_t>& expected,
                                             const std::vector<uint64_t>& actual) {
  const auto [expected_at, actual_at] =
      std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end());
  if (expected_at == expected.end() && actual_at == actual.end()) return std::nullopt;
  if (actual_at == actual.end() || (expected_at != expected.end() && *expected_at < *actual_at)) {
    return absl::StrFormat(
        "type \"%s\": task %d is pending in the database but missing from the cartridge (%d ids "
        "in the database, %d in the cartridge)",
        type, *expected_at, expected.size(), actual.size());
  }
  return absl::StrFormat(
      "type \"%s\": id %d is in the cartridge but is not a pending task of that type in the "
      "database (%d ids in the database, %d in the cartridge)",
      type, *actual_at, expected.size(), actual.size());
}

}  // namespace

void AssertWellFormed(const PendingTasks& content) {
  for (const auto& [type, ids] : content) {
    NS_ASSERT(apps::task_keys::IsValidTaskType(type));
    NS_ASSERT(!ids.empty());
    NS_ASSERT(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>()) == ids.end());
  }
}

uint64_t PendingIdCount(const PendingTasks& content) {
  uint64_t count = 0;
  for (const auto& [type, ids] : content) count += ids.size();
  return count;
}

absl::StatusOr<PendingTasks> ScanPendingTasks(engine::ReadTxn& txn) {
  NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> claimed,
                      IdsUnderPrefix(txn, apps::task_keys::kClaimPrefix));
  NS_ASSIGN_OR_RETURN(const std::vector<uint64_t> completed,
                      IdsUnderPrefix(txn, apps::task_keys::kCompletedPrefix));
  PendingTasks content;
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  NS_RETURN_IF_ERROR(cursor->seek(apps::task_keys::kTaskPrefix));
  size_t claimed_position = 0;
  size_t completed_position = 0;
  uint64_t visited = 0;
  while (cursor->valid() && cursor->key().starts_with(apps::task_keys::kTaskPrefix)) {
    NS_ASSERT(++visited <= txn.entry_count());
    const std::optional<uint64_t> id = apps::task_keys::TaskIdOfKey(cursor->key());
    if (id && !ContainsAdvancing(claimed, claimed_position, *id) &&
        !ContainsAdvancing(completed, completed_position, *id)) {
      NS_ASSIGN_OR_RETURN(const std::string metadata, cursor->value());
      NS_ASSIGN_OR_RETURN(std::string type, TypeOfTask(cursor->key(), metadata));
      content[std::move(type)].push_back(*id);
    }
    NS_RETURN_IF_ERROR(cursor->next());
  }
  AssertWellFormed(content);
  return content;
}

absl::StatusOr<std::optional<std::string>> PendingTypeOf(engine::ReadTxn& txn, uint64_t id) {
  const std::string task_key = apps::task_keys::TaskKey(id);
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> metadata, txn.get(task_key));
  if (!metadata) return std::nullopt;
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> completed,
                      txn.get(apps::task_keys::CompletedKey(id)));
  if (completed) return std::nullopt;
  const std::string claim_prefix = apps::task_keys::ClaimPrefix(id);
  std::unique_ptr<engine::Cursor> cursor = txn.cursor();
  NS_RETURN_IF_ERROR(cursor->seek(claim_prefix));
  uint64_t visited = 0;
  // Keys under the prefix that are not well-formed claims do not count, as in the scan.
  while (cursor->valid() && cursor->key().starts_with(claim_prefix)) {
    NS_ASSERT(++visited <= txn.entry_count());
    if (apps::task_keys::TaskIdOfKey(cursor->key()) == id) return std::nullopt;
    NS_RETURN_IF_ERROR(cursor->next());
  }
  NS_ASSIGN_OR_RETURN(std::string type, TypeOfTask(task_key, *metadata));
  return type;
}

absl::Status ApplyTouchedIds(engine::ReadTxn& txn, const std::vector<uint64_t>& touched_ids,
                             PendingTasks& content) {
  NS_ASSERT(std::adjacent_find(touched_ids.begin(), touched_ids.end(), std::greater_equal<>()) ==
            touched_ids.end());
  PendingTasks added;
  for (uint64_t id : touched_ids) {
    NS_ASSIGN_OR_RETURN(std::optional<std::string> type, PendingTypeOf(txn, id));
    if (type) added[std::move(*type)].push_back(id);
  }
  for (auto& [type, ids] : added) content.try_emplace(type);
  for (auto it = content.begin(); it != content.end();) {
    const auto added_ids = added.find(it->first);
    it->second = MergeTouched(it->second, touched_ids,
                              added_ids == added.end() ? std::vector<uint64_t>{} : added_ids->second);
    it = it->second.empty() ? content.erase(it) : std::next(it);
  }
  AssertWellFormed(content);
  return absl::OkStatus();
}

std::optional<std::string> FirstDifference(const PendingTasks& expected,
                                           const PendingTasks& actual) {
  auto expected_it = expected.begin();
  auto actual_it = actual.begin();
  while (expected_it != expected.end() || actual_it != actual.end()) {
    if (actual_it == actual.end() ||
        (expected_it != expected.end() && expected_it->first < actual_it->first)) {
      return TypeAbsentLine(expected_it->first, expected_it->second, /*in_database=*/true);
    }
    if (expected_it == expected.end() || actual_it->first < expected_it->first) {
      return TypeAbsentLine(actual_it->first, actual_it->second, /*in_database=*/false);
    }
    if (auto line = FirstIdDifference(expected_it->first, expected_it->second, actual_it->second)) {
      return line;
    }
    ++expected_it;
    ++actual_it;
  }
  return std::nullopt;
}

}  // namespace northstar::cartridge
