// The golden databases in engine/testdata/ pin the on-disk format (spec/file_format.md).
//
// Each test rebuilds the database deterministically on sim_disk and compares it byte for byte
// with the committed file, then opens and validates the committed file itself. A failure here
// means the format changed: if that is on purpose, update spec/file_format.md, bump
// kFormatVersion if old files can no longer be read, and regenerate the files with
//   NORTHSTAR_UPDATE_GOLDEN=1 ./build/release/engine/engine_test --gtest_filter='Golden*'
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "engine/db.h"
#include "engine/test_databases.h"
#include "engine/validate.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/posix.h"
#include "vfs/sim_disk.h"

namespace northstar::engine {
namespace {

std::string GoldenPath(const std::string& name) {
  return std::string(NORTHSTAR_SOURCE_DIR) + "/engine/testdata/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void CheckGolden(const std::string& name,
                 absl::Status (*build)(vfs::FileSystem&, const std::string&),
                 const KeyValues& expected) {
  vfs::SimDisk disk({}, 0);
  ASSERT_OK(build(disk, "/golden/" + name));
  ASSERT_OK_AND_ASSIGN(const std::string built, disk.durable_content("/golden/" + name));
  const std::string golden_path = GoldenPath(name);
  if (std::getenv("NORTHSTAR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path, std::ios::binary) << built;
    GTEST_SKIP() << "rewrote " << golden_path;
  }
  const std::string golden = ReadFile(golden_path);
  ASSERT_FALSE(golden.empty()) << golden_path << " is missing";
  ASSERT_EQ(built.size(), golden.size()) << "the format changed: see this file's header";
  ASSERT_TRUE(built == golden) << "the format changed: see this file's header";

  // The committed file itself opens, validates, and holds what it should.
  ScopedTempDir dir("northstar_golden");
  const std::string copy = dir.path() + "/" + name;
  std::ofstream(copy, std::ios::binary) << golden;
  vfs::PosixFileSystem fs;
  ASSERT_OK_AND_ASSIGN(const ValidationReport report, Validate(fs, copy));
  EXPECT_TRUE(report.ok()) << FormatProblems(report);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(fs, copy, {.create_if_missing = false}));
  ASSERT_OK_AND_ASSIGN(auto read, db->begin_read());
  std::unique_ptr<Cursor> cursor = read->cursor();
  KeyValues found;
  ASSERT_OK(cursor->seek_first());
  while (cursor->valid()) {
    ASSERT_OK_AND_ASSIGN(found[std::string(cursor->key())], cursor->value());
    ASSERT_OK(cursor->next());
  }
  EXPECT_TRUE(found == expected);
}

TEST(GoldenTest, EmptyDatabase) { CheckGolden("empty.ns", BuildEmptyDatabase, {}); }

TEST(GoldenTest, SmallDatabase) {
  CheckGolden("small.ns", BuildSmallDatabase, SmallDatabaseSecondCommit());
}

}  // namespace
}  // namespace northstar::engine
