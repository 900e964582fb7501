// The cartridge file: the atomic write under crashes (sim_disk), and the mapped open.
#include "cartridge/cartridge_file.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::cartridge {
namespace {

using ::testing::HasSubstr;

constexpr char kPath[] = "/db/x.pending_tasks_by_type.cartridge";

std::string AsText(std::span<const uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// CF-11: a power loss at any I/O of a write leaves the old cartridge or the new one, whole:
// never a torn or partial file under the cartridge's name. Every crash point of the write, under
// several crash seeds (each dirty sector kept, dropped or torn at random).
TEST(CartridgeFileTest, ACrashDuringAWriteLeavesTheOldFileOrTheNewWhole) {
  const std::vector<uint8_t> old_bytes = EncodeCartridge(3, {{"build", {1, 2, 3}}});
  PendingTasks bigger;
  for (uint64_t id = 0; id < 2000; id++) bigger["test"].push_back(id * 3);
  const std::vector<uint8_t> new_bytes = EncodeCartridge(9, bigger);
  int old_seen = 0;
  int new_seen = 0;
  for (uint64_t seed = 1; seed <= 6; seed++) {
    for (uint64_t crash_after = 1; crash_after <= 8; crash_after++) {
      vfs::SimDisk disk(vfs::SimDiskOptions{.sector_size_bytes = 512}, seed);
      ASSERT_OK(WriteCartridgeFile(disk, kPath, old_bytes));
      disk.set_faults({.crash_after_io_count = disk.io_count() + crash_after});
      const absl::Status written = WriteCartridgeFile(disk, kPath, new_bytes);
      disk.crash();
      disk.set_faults({});
      ASSERT_OK_AND_ASSIGN(const std::string durable, disk.durable_content(kPath));
      const bool is_old = durable == AsText(old_bytes);
      const bool is_new = durable == AsText(new_bytes);
      ASSERT_TRUE(is_old || is_new) << "seed " << seed << ", crash after I/O " << crash_after
                                    << ": " << durable.size() << " bytes, neither file";
      // Acknowledged means durable.
      if (written.ok()) {
        ASSERT_TRUE(is_new) << "seed " << seed << ", crash after " << crash_after;
      }
      (is_new ? new_seen : old_seen)++;
      // Whatever survived opens (a leftover temporary is removed by the next write).
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<MappedCartridge> opened,
                           MappedCartridge::Open(disk, kPath));
      ASSERT_OK(WriteCartridgeFile(disk, kPath, new_bytes));
    }
  }
  EXPECT_GT(old_seen, 0);
  EXPECT_GT(new_seen, 0);
}

TEST(CartridgeFileTest, OpenNamesThePathAndTheField) {
  vfs::SimDisk disk(vfs::SimDiskOptions{}, 1);
  const absl::StatusOr<std::unique_ptr<MappedCartridge>> missing =
      MappedCartridge::Open(disk, kPath);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  std::vector<uint8_t> bytes = EncodeCartridge(3, {{"build", {1, 2, 3}}});
  bytes.back() ^= 1;
  ASSERT_OK(WriteCartridgeFile(disk, kPath, bytes));
  const absl::StatusOr<std::unique_ptr<MappedCartridge>> corrupt =
      MappedCartridge::Open(disk, kPath);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(corrupt.status().message(),
              HasSubstr(std::string(kPath) + ": cartridge: body_crc at offset 36"));
}

TEST(CartridgeFileTest, AnIoErrorWhileWritingKeepsTheOldFile) {
  vfs::SimDisk disk(vfs::SimDiskOptions{}, 1);
  const std::vector<uint8_t> old_bytes = EncodeCartridge(3, {{"build", {1, 2, 3}}});
  ASSERT_OK(WriteCartridgeFile(disk, kPath, old_bytes));
  disk.set_faults({.sync_error_at_call = disk.counters().io.syncs + 1});
  EXPECT_FALSE(WriteCartridgeFile(disk, kPath, EncodeCartridge(4, {{"lint", {7}}})).ok());
  disk.set_faults({});
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<MappedCartridge> opened, MappedCartridge::Open(disk, kPath));
  EXPECT_EQ(opened->watermark_txn(), 3u);
  ASSERT_OK_AND_ASSIGN(const bool temporary_left, disk.exists(std::string(kPath) + ".tmp"));
  EXPECT_FALSE(temporary_left);
}

}  // namespace
}  // namespace northstar::cartridge
