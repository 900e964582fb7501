#include "targets/sqlite/sqlite_locks.h"

#include <sqlite3.h>

#include <algorithm>

#include "util/assert.h"

namespace northstar::targets {

static_assert(SQLITE_LOCK_NONE < SQLITE_LOCK_SHARED && SQLITE_LOCK_SHARED < SQLITE_LOCK_RESERVED &&
              SQLITE_LOCK_RESERVED < SQLITE_LOCK_PENDING &&
              SQLITE_LOCK_PENDING < SQLITE_LOCK_EXCLUSIVE);
static_assert(ShmLocks::kSlots == SQLITE_SHM_NLOCK);

int FileLocks::level(const std::string& path, uint64_t owner) const {
  auto file = levels_.find(path);
  if (file == levels_.end()) return SQLITE_LOCK_NONE;
  auto entry = file->second.find(owner);
  return entry == file->second.end() ? SQLITE_LOCK_NONE : entry->second;
}

int FileLocks::others_max(const std::string& path, uint64_t owner) const {
  int highest = SQLITE_LOCK_NONE;
  auto file = levels_.find(path);
  if (file == levels_.end()) return highest;
  for (const auto& [other, other_level] : file->second) {
    if (other != owner) highest = std::max(highest, other_level);
  }
  return highest;
}

int FileLocks::lock(const std::string& path, uint64_t owner, int level) {
  NS_ASSERT(owner != 0);
  NS_ASSERT(level == SQLITE_LOCK_SHARED || level == SQLITE_LOCK_RESERVED ||
            level == SQLITE_LOCK_EXCLUSIVE);
  const int current = this->level(path, owner);
  if (current >= level) return SQLITE_OK;
  const int others = others_max(path, owner);
  int& mine = levels_[path][owner];
  if (level == SQLITE_LOCK_SHARED) {
    if (others >= SQLITE_LOCK_PENDING) return SQLITE_BUSY;
    mine = SQLITE_LOCK_SHARED;
    return SQLITE_OK;
  }
  NS_ASSERT_MSG(current >= SQLITE_LOCK_SHARED, "RESERVED or EXCLUSIVE asked without SHARED");
  if (level == SQLITE_LOCK_RESERVED) {
    if (others >= SQLITE_LOCK_RESERVED) return SQLITE_BUSY;
    mine = SQLITE_LOCK_RESERVED;
    return SQLITE_OK;
  }
  if (others >= SQLITE_LOCK_PENDING) return SQLITE_BUSY;
  mine = SQLITE_LOCK_PENDING;
  if (others >= SQLITE_LOCK_SHARED) return SQLITE_BUSY;  // Readers still in: keep PENDING.
  mine = SQLITE_LOCK_EXCLUSIVE;
  return SQLITE_OK;
}

void FileLocks::unlock(const std::string& path, uint64_t owner, int level) {
  NS_ASSERT(level == SQLITE_LOCK_SHARED || level == SQLITE_LOCK_NONE);
  auto file = levels_.find(path);
  if (file == levels_.end()) return;
  auto entry = file->second.find(owner);
  if (entry == file->second.end() || entry->second <= level) return;
  if (level == SQLITE_LOCK_NONE) {
    file->second.erase(entry);
    if (file->second.empty()) levels_.erase(file);
    return;
  }
  entry->second = level;
}

bool FileLocks::reserved(const std::string& path) const {
  return others_max(path, /*owner=*/0) >= SQLITE_LOCK_RESERVED;
}

int ShmLocks::lock_shared(Slot& slot, uint64_t owner) {
  if (slot.shared_holders.contains(owner)) return SQLITE_OK;
  if (slot.exclusive_holder != 0 && slot.exclusive_holder != owner) return SQLITE_BUSY;
  slot.shared_holders[owner] = true;
  return SQLITE_OK;
}

int ShmLocks::lock_exclusive(std::array<Slot, kSlots>& slots, uint64_t owner, int offset, int count) {
  for (int index = offset; index < offset + count; index++) {
    const Slot& slot = slots[index];
    if (slot.exclusive_holder != 0 && slot.exclusive_holder != owner) return SQLITE_BUSY;
    for (const auto& [holder, held] : slot.shared_holders) {
      if (holder != owner) return SQLITE_BUSY;
    }
  }
  for (int index = offset; index < offset + count; index++) slots[index].exclusive_holder = owner;
  return SQLITE_OK;
}

int ShmLocks::apply(const std::string& path, uint64_t owner, int offset, int count, int flags) {
  NS_ASSERT(owner != 0);
  NS_ASSERT(offset >= 0 && count >= 1 && offset + count <= kSlots);
  const bool shared = (flags & SQLITE_SHM_SHARED) != 0;
  NS_ASSERT(shared != ((flags & SQLITE_SHM_EXCLUSIVE) != 0));
  NS_ASSERT_MSG(!shared || count == 1, "shared shm locks are taken one slot at a time");
  std::array<Slot, kSlots>& slots = slots_[path];
  if ((flags & SQLITE_SHM_UNLOCK) != 0) {
    for (int index = offset; index < offset + count; index++) {
      if (shared) slots[index].shared_holders.erase(owner);
      if (!shared && slots[index].exclusive_holder == owner) slots[index].exclusive_holder = 0;
    }
    return SQLITE_OK;
  }
  NS_ASSERT((flags & SQLITE_SHM_LOCK) != 0);
  return shared ? lock_shared(slots[offset], owner) : lock_exclusive(slots, owner, offset, count);
}

void ShmLocks::release_all(const std::string& path, uint64_t owner) {
  auto entry = slots_.find(path);
  if (entry == slots_.end()) return;
  for (Slot& slot : entry->second) {
    slot.shared_holders.erase(owner);
    if (slot.exclusive_holder == owner) slot.exclusive_holder = 0;
  }
}

}  // namespace northstar::targets
