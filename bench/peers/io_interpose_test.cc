// The libc I/O counter (bench/peers/io_interpose.cc, linked into this test as into `northstar`)
// counts what it says: our own posix VFS's syncs and bytes, synchronous writes through O_DSYNC
// and O_SYNC descriptors (and not through a descriptor number reused after close), msync and
// sync_file_range by their flags, reads; and calls made from inside shared libraries (LMDB,
// SQLite, RocksDB), durable configurations counted, non-durable ones at zero.
#include <fcntl.h>
#include <lmdb.h>
#include <rocksdb/db.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/peers/io_counter.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar::bench {
namespace {

IoCounts Now() {
  const std::optional<IoCounts> counts = ProcessIoCounts();
  NS_ASSERT(counts.has_value());
  return *counts;
}

class IoInterposeTest : public ::testing::Test {
 protected:
  std::string path(std::string_view name) const { return dir_.path() + "/" + std::string(name); }
  ScopedTempDir dir_{"io_interpose"};
};

TEST_F(IoInterposeTest, CountsOurPosixVfsSyncsAndBytes) {
  vfs::PosixFileSystem fs;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<vfs::File> file,
                       fs.open(path("data"), {.create = true, .exclusive = true}));
  const std::vector<uint8_t> block(4096, 7);
  const IoCounts before = Now();
  ASSERT_OK(file->pwrite(0, block));
  ASSERT_OK(file->sync());
  ASSERT_OK(fs.sync_dir(dir_.path()));
  const IoCounts delta = Now() - before;
  EXPECT_EQ(delta.fdatasync_calls, 1u);
  EXPECT_EQ(delta.fsync_calls, 1u);  // The directory.
  EXPECT_EQ(delta.syncs(), 2u);
  EXPECT_EQ(delta.write_calls, 1u);
  EXPECT_EQ(delta.bytes_written, 4096u);
  EXPECT_EQ(delta.dsync_writes, 0u);

  std::vector<uint8_t> back(4096);
  const IoCounts before_read = Now();
  ASSERT_OK(file->pread(0, back).status());
  EXPECT_EQ((Now() - before_read).bytes_read, 4096u);
}

TEST_F(IoInterposeTest, WritesThroughSynchronousDescriptorsAreSyncs) {
  const int dsync = ::open(path("dsync").c_str(), O_WRONLY | O_CREAT | O_DSYNC, 0644);
  const int sync = ::openat(AT_FDCWD, path("sync").c_str(), O_WRONLY | O_CREAT | O_SYNC, 0644);
  const int plain = ::open(path("plain").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(dsync, 0);
  ASSERT_GE(sync, 0);
  ASSERT_GE(plain, 0);
  const char bytes[100] = {};
  IoCounts before = Now();
  ASSERT_EQ(::pwrite(dsync, bytes, sizeof bytes, 0), 100);
  ASSERT_EQ(::write(sync, bytes, sizeof bytes), 100);
  ASSERT_EQ(::write(plain, bytes, sizeof bytes), 100);
  IoCounts delta = Now() - before;
  EXPECT_EQ(delta.dsync_writes, 2u);
  EXPECT_EQ(delta.syncs(), 2u);
  EXPECT_EQ(delta.bytes_written, 300u);

  // A descriptor number reused after close is synchronous only if its new file is.
  ASSERT_EQ(::close(dsync), 0);
  const int reused = ::open(path("plain2").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_EQ(reused, dsync);
  before = Now();
  ASSERT_EQ(::write(reused, bytes, sizeof bytes), 100);
  delta = Now() - before;
  EXPECT_EQ(delta.dsync_writes, 0u);
  EXPECT_EQ(delta.write_calls, 1u);
  for (int fd : {sync, plain, reused}) ASSERT_EQ(::close(fd), 0);
}

TEST_F(IoInterposeTest, MsyncAndSyncFileRangeCountByTheirFlags) {
  const int fd = ::open(path("mapped").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 4096), 0);
  void* map = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  static_cast<char*>(map)[0] = 'x';
  const IoCounts before = Now();
  ASSERT_EQ(::msync(map, 4096, MS_ASYNC), 0);
  ASSERT_EQ(::msync(map, 4096, MS_SYNC), 0);
  ASSERT_EQ(::sync_file_range(fd, 0, 4096, SYNC_FILE_RANGE_WRITE), 0);
  ASSERT_EQ(::sync_file_range(
                fd, 0, 4096,
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER),
            0);
  const IoCounts delta = Now() - before;
  EXPECT_EQ(delta.msync_sync_calls, 1u);
  EXPECT_EQ(delta.sync_file_range_starts, 1u);
  EXPECT_EQ(delta.sync_file_range_waits, 1u);
  EXPECT_EQ(delta.syncs(), 2u);
  ASSERT_EQ(::munmap(map, 4096), 0);
  ASSERT_EQ(::close(fd), 0);
}

// LMDB's commit, called inside liblmdb: an fdatasync of data.mdb and the meta page written
// through its O_DSYNC descriptor; with MDB_NOSYNC (not durable) neither.
IoCounts LmdbCommits(const std::string& dir, unsigned int flags, int commits) {
  MDB_env* env = nullptr;
  NS_ASSERT(mdb_env_create(&env) == MDB_SUCCESS);
  NS_ASSERT(mdb_env_open(env, dir.c_str(), flags, 0644) == MDB_SUCCESS);
  MDB_dbi dbi = 0;
  MDB_txn* txn = nullptr;
  NS_ASSERT(mdb_txn_begin(env, nullptr, 0, &txn) == MDB_SUCCESS);
  NS_ASSERT(mdb_dbi_open(txn, nullptr, 0, &dbi) == MDB_SUCCESS);
  NS_ASSERT(mdb_txn_commit(txn) == MDB_SUCCESS);
  const IoCounts before = Now();
  for (int commit = 0; commit < commits; commit++) {
    std::string key = "key" + std::to_string(commit), value(100, 'v');
    MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
    NS_ASSERT(mdb_txn_begin(env, nullptr, 0, &txn) == MDB_SUCCESS);
    NS_ASSERT(mdb_put(txn, dbi, &k, &v, 0) == MDB_SUCCESS);
    NS_ASSERT(mdb_txn_commit(txn) == MDB_SUCCESS);
  }
  const IoCounts delta = Now() - before;
  mdb_env_close(env);
  return delta;
}

TEST_F(IoInterposeTest, LmdbCommitIsAnFdatasyncAndAnODsyncMetaWrite) {
  ASSERT_EQ(::mkdir(path("lmdb").c_str(), 0755), 0);
  const IoCounts durable = LmdbCommits(path("lmdb"), 0, 10);
  EXPECT_EQ(durable.fdatasync_calls, 10u);
  EXPECT_EQ(durable.dsync_writes, 10u);
  EXPECT_EQ(durable.syncs(), 20u);
  // A 4 KiB page and the meta (LMDB writes only the meta's bytes, not its whole page) each.
  EXPECT_GT(durable.bytes_written, 10u * 4096);

  ASSERT_EQ(::mkdir(path("lmdb_nosync").c_str(), 0755), 0);
  const IoCounts nosync = LmdbCommits(path("lmdb_nosync"), MDB_NOSYNC, 10);
  EXPECT_EQ(nosync.syncs(), 0u);
  EXPECT_GT(nosync.bytes_written, 0u);
}

IoCounts SqliteCommits(const std::string& path, const char* synchronous, int commits) {
  sqlite3* db = nullptr;
  NS_ASSERT(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                            synchronous +
                            "; CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;";
  NS_ASSERT(sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  const IoCounts before = Now();
  for (int commit = 0; commit < commits; commit++) {
    const std::string insert =
        "INSERT INTO kv VALUES (x'" + std::to_string(1000 + commit) + "', zeroblob(100))";
    NS_ASSERT(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  const IoCounts delta = Now() - before;
  sqlite3_close(db);
  return delta;
}

TEST_F(IoInterposeTest, SqliteWalCommitSyncsOnlyWithSynchronousFull) {
  const IoCounts full = SqliteCommits(path("full.db"), "FULL", 10);
  EXPECT_GE(full.syncs(), 10u);
  const IoCounts off = SqliteCommits(path("off.db"), "OFF", 10);
  EXPECT_EQ(off.syncs(), 0u);
  EXPECT_GT(off.bytes_written, 0u);
}

IoCounts RocksdbWrites(const std::string& dir, bool sync, int writes) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  NS_ASSERT(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  const IoCounts before = Now();
  for (int write = 0; write < writes; write++) {
    NS_ASSERT(db->Put(write_options, "key" + std::to_string(write), std::string(100, 'v')).ok());
  }
  return Now() - before;
}

TEST_F(IoInterposeTest, RocksdbSyncWriteSyncsTheWal) {
  const IoCounts synced = RocksdbWrites(path("rocks_sync"), true, 10);
  EXPECT_GE(synced.syncs(), 10u);
  EXPECT_GE(synced.fdatasync_calls + synced.fsync_calls, 10u);
  const IoCounts unsynced = RocksdbWrites(path("rocks_nosync"), false, 10);
  EXPECT_EQ(unsynced.syncs(), 0u);
  EXPECT_GT(unsynced.bytes_written, 0u);
}

}  // namespace
}  // namespace northstar::bench
