// The VFS's lock tables against os_unix.c's semantics (spec/targets_sqlite.md SQ-12, SQ-13).
#include "targets/sqlite/sqlite_locks.h"

#include <sqlite3.h>

#include "gtest/gtest.h"

namespace northstar::targets {
namespace {

const std::string kDb = "/db/a.sqlite";

// SQ-12: a writer's PENDING keeps new readers out while old readers drain.
TEST(FileLocksTest, PendingKeepsNewReadersOutUntilExclusive) {
  FileLocks locks;
  ASSERT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_SHARED), SQLITE_OK);
  ASSERT_EQ(locks.lock(kDb, 2, SQLITE_LOCK_SHARED), SQLITE_OK);
  ASSERT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_RESERVED), SQLITE_OK);
  EXPECT_TRUE(locks.reserved(kDb));
  EXPECT_EQ(locks.lock(kDb, 2, SQLITE_LOCK_RESERVED), SQLITE_BUSY);
  EXPECT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_EXCLUSIVE), SQLITE_BUSY);  // Reader 2 is still in.
  EXPECT_EQ(locks.level(kDb, 1), SQLITE_LOCK_PENDING);
  EXPECT_EQ(locks.lock(kDb, 3, SQLITE_LOCK_SHARED), SQLITE_BUSY);  // New readers wait.
  locks.unlock(kDb, 2, SQLITE_LOCK_NONE);
  EXPECT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_EXCLUSIVE), SQLITE_OK);
  locks.unlock(kDb, 1, SQLITE_LOCK_SHARED);
  EXPECT_FALSE(locks.reserved(kDb));
  EXPECT_EQ(locks.lock(kDb, 3, SQLITE_LOCK_SHARED), SQLITE_OK);
}

// Hot-journal rollback goes from SHARED straight to EXCLUSIVE; another reader refuses it.
TEST(FileLocksTest, SharedToExclusiveNeedsNoOtherReader) {
  FileLocks locks;
  ASSERT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_SHARED), SQLITE_OK);
  ASSERT_EQ(locks.lock(kDb, 2, SQLITE_LOCK_SHARED), SQLITE_OK);
  EXPECT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_EXCLUSIVE), SQLITE_BUSY);
  EXPECT_EQ(locks.lock(kDb, 2, SQLITE_LOCK_EXCLUSIVE), SQLITE_BUSY);  // 1 holds PENDING.
  locks.unlock(kDb, 2, SQLITE_LOCK_NONE);
  EXPECT_EQ(locks.lock(kDb, 1, SQLITE_LOCK_EXCLUSIVE), SQLITE_OK);
  EXPECT_EQ(locks.lock(kDb + "-other", 2, SQLITE_LOCK_SHARED), SQLITE_OK);  // Per path.
}

// SQ-13: shm slots, shared counted, exclusive alone.
TEST(ShmLocksTest, SharedAndExclusivePerSlot) {
  ShmLocks locks;
  const int shared = SQLITE_SHM_LOCK | SQLITE_SHM_SHARED;
  const int exclusive = SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE;
  ASSERT_EQ(locks.apply(kDb, 1, 3, 1, shared), SQLITE_OK);
  ASSERT_EQ(locks.apply(kDb, 2, 3, 1, shared), SQLITE_OK);
  EXPECT_EQ(locks.apply(kDb, 3, 3, 1, exclusive), SQLITE_BUSY);
  EXPECT_EQ(locks.apply(kDb, 3, 0, 1, exclusive), SQLITE_OK);
  EXPECT_EQ(locks.apply(kDb, 1, 0, 1, shared), SQLITE_BUSY);
  EXPECT_EQ(locks.apply(kDb, 3, 2, 3, exclusive), SQLITE_BUSY);  // Slot 3 is shared.
  ASSERT_EQ(locks.apply(kDb, 1, 3, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED), SQLITE_OK);
  locks.release_all(kDb, 2);
  EXPECT_EQ(locks.apply(kDb, 3, 2, 3, exclusive), SQLITE_OK);
  locks.release_all(kDb, 3);
  EXPECT_EQ(locks.apply(kDb, 1, 0, 8, exclusive), SQLITE_OK);
}

}  // namespace
}  // namespace northstar::targets
