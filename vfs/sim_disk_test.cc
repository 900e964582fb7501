#include "vfs/sim_disk.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "util/crc32c.h"
#include "util/random.h"

namespace northstar::vfs {
namespace {

constexpr uint64_t kSeedsPerProperty = 300;

std::string Pattern(size_t size_bytes, uint8_t salt) {
  std::string bytes(size_bytes, '\0');
  for (size_t index = 0; index < size_bytes; index++) {
    bytes[index] = static_cast<char>((index * 131 + salt * 7 + 1) % 251);
  }
  return bytes;
}

std::unique_ptr<File> Create(SimDisk& disk, std::string_view path) {
  auto file = disk.open(path, {.create = true});
  EXPECT_TRUE(file.ok()) << file.status();
  return std::move(file).value();
}

void Write(File& file, uint64_t offset_bytes, std::string_view data) {
  ASSERT_TRUE(file.pwrite(offset_bytes, AsBytes(data)).ok());
}

std::string ReadAll(SimDisk& disk, std::string_view path) {
  auto file = disk.open(path, {});
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return "";
  auto size_bytes = (*file)->size();
  EXPECT_TRUE(size_bytes.ok());
  std::string content(*size_bytes, '\0');
  auto read_bytes = (*file)->pread(0, AsWritableBytes(content));
  EXPECT_TRUE(read_bytes.ok());
  EXPECT_EQ(*read_bytes, content.size());
  return content;
}

// A durable file "/d/f" holding `old_content`, with its name synced.
std::unique_ptr<File> DurableFile(SimDisk& disk, std::string_view old_content) {
  auto file = Create(disk, "/d/f");
  Write(*file, 0, old_content);
  EXPECT_TRUE(file->sync().ok());
  EXPECT_TRUE(disk.sync_dir("/d").ok());
  return file;
}

// FM-1
TEST(SimDiskTest, SyncedDataSurvivesEveryCrash) {
  for (uint64_t seed = 0; seed < kSeedsPerProperty; seed++) {
    SimDisk disk({.sector_size_bytes = 512}, seed);
    const std::string synced = Pattern(5000, 1);
    auto file = DurableFile(disk, synced);
    // Unsynced writes elsewhere in the file and in another file must not disturb it.
    Write(*file, 5000, Pattern(3000, 2));
    auto other = Create(disk, "/d/other");
    Write(*other, 0, Pattern(2048, 3));
    disk.crash();
    const std::string content = ReadAll(disk, "/d/f");
    ASSERT_GE(content.size(), synced.size()) << "seed " << seed;
    ASSERT_EQ(content.substr(0, synced.size()), synced) << "seed " << seed;
  }
}

// Classifies each sector of an overwritten region after a crash.
enum class SectorOutcome { kOld, kNew, kTorn };

// FM-2
TEST(SimDiskTest, UnsyncedSectorsComeBackOldNewOrTornInsideTheSector) {
  constexpr uint32_t kSector = 512;
  constexpr int kSectors = 8;
  std::set<SectorOutcome> seen;
  for (uint64_t seed = 0; seed < kSeedsPerProperty; seed++) {
    SimDisk disk({.sector_size_bytes = kSector, .torn_writes = true}, seed);
    const std::string old_content = Pattern(kSector * kSectors, 10);
    const std::string new_content = Pattern(kSector * kSectors, 20);
    auto file = DurableFile(disk, old_content);
    Write(*file, 0, new_content);
    disk.crash();
    const std::string content = ReadAll(disk, "/d/f");
    ASSERT_EQ(content.size(), old_content.size());
    for (int sector = 0; sector < kSectors; sector++) {
      const size_t begin = sector * kSector;
      const std::string got = content.substr(begin, kSector);
      const std::string was = old_content.substr(begin, kSector);
      const std::string now = new_content.substr(begin, kSector);
      if (got == was) {
        seen.insert(SectorOutcome::kOld);
      } else if (got == now) {
        seen.insert(SectorOutcome::kNew);
      } else {
        // Torn: a prefix of the new bytes, then the old ones, the cut inside this sector.
        size_t cut = 0;
        while (cut < kSector && got[cut] == now[cut]) cut++;
        ASSERT_GT(cut, 0u) << "seed " << seed << " sector " << sector;
        ASSERT_EQ(got.substr(cut), was.substr(cut)) << "seed " << seed << " sector " << sector;
        seen.insert(SectorOutcome::kTorn);
      }
    }
  }
  EXPECT_EQ(seen.size(), 3u) << "old, new and torn must all occur";
}

// FM-2
TEST(SimDiskTest, SectorsAreAtomicWithoutTornWrites) {
  constexpr uint32_t kSector = 4096;
  std::set<SectorOutcome> seen;
  for (uint64_t seed = 0; seed < 100; seed++) {
    SimDisk disk({.sector_size_bytes = kSector, .torn_writes = false}, seed);
    const std::string old_content = Pattern(kSector * 4, 1);
    const std::string new_content = Pattern(kSector * 4, 2);
    auto file = DurableFile(disk, old_content);
    Write(*file, 0, new_content);
    disk.crash();
    const std::string content = ReadAll(disk, "/d/f");
    for (int sector = 0; sector < 4; sector++) {
      const std::string got = content.substr(sector * kSector, kSector);
      const bool is_old = got == old_content.substr(sector * kSector, kSector);
      const bool is_new = got == new_content.substr(sector * kSector, kSector);
      ASSERT_TRUE(is_old || is_new) << "seed " << seed << " sector " << sector;
      seen.insert(is_old ? SectorOutcome::kOld : SectorOutcome::kNew);
    }
  }
  EXPECT_EQ(seen.size(), 2u);
}

// FM-3
TEST(SimDiskTest, UnsyncedGrowthIsCutOnlyAtSectorBoundaries) {
  constexpr uint32_t kSector = 512;
  const uint64_t durable_size = 700;  // Not sector aligned on purpose.
  const uint64_t grown_size = 700 + 10 * kSector + 33;
  std::set<uint64_t> sizes;
  for (uint64_t seed = 0; seed < kSeedsPerProperty; seed++) {
    SimDisk disk({.sector_size_bytes = kSector}, seed);
    const std::string grown = Pattern(grown_size, 5);
    auto file = DurableFile(disk, grown.substr(0, durable_size));
    Write(*file, durable_size, grown.substr(durable_size));
    disk.crash();
    const std::string content = ReadAll(disk, "/d/f");
    const uint64_t size = content.size();
    sizes.insert(size);
    ASSERT_TRUE(size == durable_size || size == grown_size || size % kSector == 0)
        << "seed " << seed << " size " << size;
    ASSERT_GE(size, durable_size);
    ASSERT_LE(size, grown_size);
    ASSERT_EQ(content.substr(0, durable_size), grown.substr(0, durable_size));
  }
  // Every cut point, from nothing kept to all kept, shows up across the seeds.
  EXPECT_TRUE(sizes.contains(durable_size));
  EXPECT_TRUE(sizes.contains(grown_size));
  EXPECT_GE(sizes.size(), 8u);
}

// FM-3
TEST(SimDiskTest, UnsyncedShrinkHappensOrNot) {
  std::set<uint64_t> sizes;
  for (uint64_t seed = 0; seed < 50; seed++) {
    SimDisk disk({}, seed);
    auto file = DurableFile(disk, Pattern(10000, 1));
    ASSERT_TRUE(file->truncate(3000).ok());
    disk.crash();
    const std::string content = ReadAll(disk, "/d/f");
    ASSERT_TRUE(content.size() == 3000 || content.size() == 10000) << content.size();
    ASSERT_EQ(content.substr(0, 3000), Pattern(10000, 1).substr(0, 3000));
    sizes.insert(content.size());
  }
  EXPECT_EQ(sizes.size(), 2u);
}

// FM-4
TEST(SimDiskTest, UnsyncedNamesComeBackAsBeforeWhenAllAreLost) {
  for (uint64_t seed = 0; seed < 50; seed++) {
    SimDisk disk({.lose_all_unsynced_dir_ops = true}, seed);
    auto kept = DurableFile(disk, "kept");  // "/d/f", synced name.
    auto created = Create(disk, "/d/new");
    ASSERT_TRUE(created->sync().ok());  // Data synced, name not.
    ASSERT_TRUE(disk.rename("/d/f", "/d/renamed").ok());
    disk.crash();
    EXPECT_EQ(*disk.list("/d"), std::vector<std::string>{"f"}) << "seed " << seed;
    EXPECT_EQ(ReadAll(disk, "/d/f"), "kept");
  }
}

// FM-4
TEST(SimDiskTest, UnsyncedNameOperationsSurviveAsAPrefixInOrder) {
  // Operations: create a, create b, rename a -> c, remove f. Each crash keeps a prefix.
  const std::vector<std::vector<std::string>> states = {
      {"f"}, {"a", "f"}, {"a", "b", "f"}, {"b", "c", "f"}, {"b", "c"}};
  std::set<size_t> seen;
  for (uint64_t seed = 0; seed < 200; seed++) {
    SimDisk disk({}, seed);
    auto durable = DurableFile(disk, "x");
    auto a = Create(disk, "/d/a");
    auto b = Create(disk, "/d/b");
    ASSERT_TRUE(disk.rename("/d/a", "/d/c").ok());
    ASSERT_TRUE(disk.remove("/d/f").ok());
    disk.crash();
    auto names = disk.list("/d");
    ASSERT_TRUE(names.ok());
    size_t state = 0;
    while (state < states.size() && states[state] != *names) state++;
    ASSERT_LT(state, states.size()) << "seed " << seed << ": not a prefix of the operations";
    seen.insert(state);
  }
  EXPECT_EQ(seen.size(), states.size()) << "every prefix should occur";
}

// FM-4
TEST(SimDiskTest, SyncDirMakesNamesDurable) {
  for (uint64_t seed = 0; seed < 50; seed++) {
    SimDisk disk({.lose_all_unsynced_dir_ops = true}, seed);
    auto file = Create(disk, "/d/log");
    Write(*file, 0, "record");
    ASSERT_TRUE(file->sync().ok());
    ASSERT_TRUE(disk.sync_dir("/d").ok());
    ASSERT_TRUE(disk.rename("/d/log", "/d/log.old").ok());
    ASSERT_TRUE(disk.sync_dir("/d").ok());
    auto other_dir = Create(disk, "/e/x");  // Another directory's pending create.
    disk.crash();
    EXPECT_EQ(*disk.list("/d"), std::vector<std::string>{"log.old"});
    EXPECT_EQ(ReadAll(disk, "/d/log.old"), "record");
    EXPECT_TRUE(disk.list("/e")->empty());
  }
}

// FM-5
TEST(SimDiskTest, FailedSyncDropsTheDirtyData) {
  SimDisk disk({.faults = {.sync_error_at_call = 2}}, 7);
  auto file = DurableFile(disk, "durable!");  // Sync #1.
  Write(*file, 0, "volatile");
  const absl::Status failed = file->sync();  // Sync #2 fails.
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  EXPECT_NE(failed.message().find("/d/f"), std::string::npos) << failed;
  // The dirty data is gone now, before any crash, and a later sync cannot bring it back.
  EXPECT_EQ(ReadAll(disk, "/d/f"), "durable!");
  ASSERT_TRUE(file->sync().ok());
  disk.crash();
  EXPECT_EQ(ReadAll(disk, "/d/f"), "durable!");
}

// FM-8
TEST(SimDiskTest, BitRotIsCaughtByCrc32c) {
  int caught = 0;
  for (uint64_t seed = 0; seed < 100; seed++) {
    SimDisk disk({}, seed);
    const std::string page = Pattern(4096 - 4, 3);
    auto file = DurableFile(disk, page);
    const uint32_t crc = crc32c::Value(page);
    disk.rot_bits(1);
    const std::string content = ReadAll(disk, "/d/f");
    ASSERT_NE(content, page) << "seed " << seed << ": one bit must have flipped";
    if (crc32c::Value(content) != crc) caught++;
  }
  EXPECT_EQ(caught, 100);  // CRC32C detects every single-bit error.
}

// FM-8
TEST(SimDiskTest, BitRotOnReadByProbability) {
  SimDisk disk({.faults = {.bit_rot_probability = 1.0}}, 3);
  std::vector<SimDiskEvent> rots;
  disk.set_event_callback([&](const SimDiskEvent& event) {
    if (event.kind == SimDiskEventKind::kBitRot) rots.push_back(event);
  });
  auto file = DurableFile(disk, Pattern(8192, 1));
  EXPECT_NE(ReadAll(disk, "/d/f"), Pattern(8192, 1));
  EXPECT_EQ(rots.size(), 1u);
}

// FM-11
TEST(SimDiskTest, SameSeedSameImageHashDifferentSeedDifferent) {
  auto run = [](uint64_t seed) {
    SimDisk disk({.sector_size_bytes = 512}, seed);
    auto file = DurableFile(disk, Pattern(4096, 1));
    Write(*file, 100, Pattern(6000, 2));
    auto other = Create(disk, "/d/g");
    Write(*other, 0, Pattern(3000, 3));
    disk.crash();
    return disk.durable_image_hash();
  };
  std::set<uint64_t> hashes;
  for (uint64_t seed = 0; seed < 50; seed++) {
    EXPECT_EQ(run(seed), run(seed)) << "seed " << seed;
    hashes.insert(run(seed));
  }
  EXPECT_GE(hashes.size(), 48u) << "different seeds should almost always differ";
}

// FM-6
TEST(SimDiskTest, ReadAndWriteErrorsAtTheNthCall) {
  SimDisk disk({.faults = {.read_error_at_call = 2, .write_error_at_call = 3}}, 1);
  auto file = Create(disk, "/d/f");
  uint8_t byte = 0;
  EXPECT_TRUE(file->pwrite(0, AsBytes("a")).ok());
  EXPECT_TRUE(file->pwrite(1, AsBytes("b")).ok());
  EXPECT_EQ(file->pwrite(2, AsBytes("c")).code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(file->pwrite(3, AsBytes("d")).ok());
  EXPECT_TRUE(file->pread(0, {&byte, 1}).ok());
  EXPECT_EQ(file->pread(0, {&byte, 1}).status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(file->pread(0, {&byte, 1}).ok());
  EXPECT_EQ(disk.counters().faults_injected, 2u);
}

// FM-6
TEST(SimDiskTest, ErrorsByProbabilityFollowTheRate) {
  SimDisk disk({.faults = {.read_error_probability = 0.25}}, 11);
  auto file = DurableFile(disk, "x");
  int failures = 0;
  uint8_t byte = 0;
  for (int call = 0; call < 4000; call++) {
    if (!file->pread(0, {&byte, 1}).ok()) failures++;
  }
  EXPECT_NEAR(failures, 1000, 150);
}

// FM-7
TEST(SimDiskTest, NoSpaceAtCapacity) {
  SimDisk disk({.faults = {.capacity_bytes = 10000}}, 1);
  auto file = Create(disk, "/d/f");
  EXPECT_TRUE(file->pwrite(0, AsBytes(Pattern(9000, 1))).ok());
  const absl::Status full = file->pwrite(9000, AsBytes(Pattern(2000, 1)));
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(file->pwrite(0, AsBytes(Pattern(9000, 2))).ok()) << "overwrites need no space";
  EXPECT_EQ(*file->size(), 9000u);
}

// FM-9
TEST(SimDiskTest, MisdirectedWriteLandsElsewhere) {
  SimDisk disk({.sector_size_bytes = 512, .faults = {.misdirected_write_probability = 1.0}}, 5);
  std::vector<SimDiskEvent> events;
  disk.set_event_callback([&](const SimDiskEvent& event) {
    if (event.kind == SimDiskEventKind::kMisdirectedWrite) events.push_back(event);
  });
  auto file = Create(disk, "/d/f");
  ASSERT_TRUE(file->pwrite(4096, AsBytes("payload!")).ok());  // Reports success.
  ASSERT_EQ(events.size(), 1u);
  const uint64_t landed = events[0].detail;
  EXPECT_NE(landed, 4096u);
  EXPECT_EQ((landed > 4096 ? landed - 4096 : 4096 - landed) % 512, 0u);
  std::string at_landed(8, '\0');
  ASSERT_TRUE(file->pread(landed, AsWritableBytes(at_landed)).ok());
  EXPECT_EQ(at_landed, "payload!");
}

// FM-10
TEST(SimDiskTest, CrashAfterTheNthIoHaltsUntilCrash) {
  SimDisk disk({.faults = {.crash_after_io_count = 4}}, 1);
  auto file = Create(disk, "/d/f");       // I/O 1
  Write(*file, 0, "one");                 // I/O 2
  ASSERT_TRUE(file->sync().ok());         // I/O 3
  ASSERT_TRUE(disk.sync_dir("/d").ok());  // I/O 4
  const absl::Status halted = file->pwrite(0, AsBytes("two"));
  EXPECT_EQ(halted.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(disk.halted());
  EXPECT_EQ(disk.io_count(), 4u);
  EXPECT_EQ(disk.open("/d/f", {}).status().code(), absl::StatusCode::kUnavailable);
  disk.set_faults({});
  disk.crash();
  EXPECT_FALSE(disk.halted());
  EXPECT_EQ(ReadAll(disk, "/d/f"), "one");
}

// FM-10
TEST(SimDiskTest, HandlesFromBeforeACrashFail) {
  SimDisk disk({}, 1);
  auto file = DurableFile(disk, "abc");
  disk.crash();
  uint8_t byte = 0;
  const auto stale = file->pread(0, {&byte, 1});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("before a crash"), std::string::npos);
  EXPECT_EQ(file->close().code(), absl::StatusCode::kOk);  // Closing a stale handle is fine.
}

TEST(SimDiskTest, MisuseIsAClearError) {
  SimDisk disk({}, 1);
  auto file = Create(disk, "/d/f");
  EXPECT_EQ(disk.open("", {.create = true}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(disk.open("/d/", {.create = true}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(file->pwrite(kFileSizeMaxBytes, AsBytes("x")).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(file->close().ok());
  const absl::Status closed = file->pwrite(0, AsBytes("x"));
  EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(closed.message().find("/d/f"), std::string::npos);
}

TEST(SimDiskTest, EventsAndCountersRecordEveryDecision) {
  SimDisk disk({.sector_size_bytes = 512}, 9);
  std::vector<SimDiskEventKind> kinds;
  disk.set_event_callback([&](const SimDiskEvent& event) { kinds.push_back(event.kind); });
  auto file = DurableFile(disk, "abc");
  Write(*file, 0, Pattern(1024, 1));
  disk.crash();
  const std::vector<SimDiskEventKind> expected = {
      SimDiskEventKind::kOpen,        SimDiskEventKind::kWrite,   SimDiskEventKind::kSync,
      SimDiskEventKind::kSyncDir,     SimDiskEventKind::kWrite,   SimDiskEventKind::kCrash,
      SimDiskEventKind::kCrashDirOps, SimDiskEventKind::kCrashCut};
  ASSERT_GE(kinds.size(), expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end() - 1, kinds.begin()));
  const SimDiskCounters counters = disk.counters();
  EXPECT_EQ(counters.io.writes, 2u);
  EXPECT_EQ(counters.io.syncs, 1u);
  EXPECT_EQ(counters.io.dir_syncs, 1u);
  EXPECT_EQ(counters.io.bytes_written, 3u + 1024u);
  EXPECT_EQ(counters.crashes, 1u);
}

// FM-4
TEST(SimDiskTest, UnnamedFilesVanishAtCrashButLiveWhileOpen) {
  SimDisk disk({}, 1);
  auto file = DurableFile(disk, "data");
  ASSERT_TRUE(disk.remove("/d/f").ok());
  std::string content(4, '\0');
  ASSERT_TRUE(file->pread(0, AsWritableBytes(content)).ok());
  EXPECT_EQ(content, "data");
  ASSERT_TRUE(disk.sync_dir("/d").ok());
  disk.crash();
  EXPECT_FALSE(*disk.exists("/d/f"));
}

}  // namespace
}  // namespace northstar::vfs
