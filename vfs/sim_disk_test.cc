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

// FM-3b: an unsynced truncate to zero. Without atomic_truncate, when the old size survives the
// cut sectors may each come back zeroed; with it, the file is whole or empty, never a mix.
TEST(SimDiskTest, AnUnsyncedShrinkIsAtomicOnlyWhenAsked) {
  const std::string old_content = Pattern(8192, 3);
  bool zeroed_inside = false;
  for (uint64_t seed = 0; seed < 100; seed++) {
    for (bool atomic : {false, true}) {
      SimDisk disk({.sector_size_bytes = 512, .atomic_truncate = atomic}, seed);
      auto file = Create(disk, "/d/journal");
      Write(*file, 0, old_content);
      ASSERT_TRUE(file->sync().ok());
      ASSERT_TRUE(disk.sync_dir("/d").ok());
      ASSERT_TRUE(file->truncate(0).ok());
      disk.crash();
      const std::string content = ReadAll(disk, "/d/journal");
      ASSERT_TRUE(content.empty() || content.size() == old_content.size()) << seed;
      if (atomic) {
        EXPECT_TRUE(content.empty() || content == old_content) << "seed " << seed;
      } else if (!content.empty() && content != old_content) {
        zeroed_inside = true;
      }
    }
  }
  EXPECT_TRUE(zeroed_inside) << "a non-atomic shrink should zero some sector on some seed";
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

// Crash-point enumeration: the last write before a crash point comes back as the variant asked
// for (SimDiskFaults::crash_last_write_variant), and only it.

// The file "/d/f" after this: 8 durable sectors of 512 bytes (Pattern(4096, 1)); sector 7
// overwritten and not synced (resolved by the crash RNG); then the last write, bytes
// [700, 2200) = Pattern(1500, 2), touching sectors 1..4 and splitting sectors 1 and 4.
constexpr uint64_t kVariantWriteOffset = 700;
constexpr uint64_t kVariantWriteSize = 1500;

struct VariantCrash {
  std::string durable;  // "/d/f" after the crash.
  std::string live;     // What reads saw just before it.
  uint64_t crash_event_detail = 0;
};

// With `read_after_write`, one more I/O (a read) comes between the write and the crash point.
VariantCrash CrashWithVariant(uint64_t seed, int64_t variant, bool torn_writes = true,
                              bool read_after_write = false) {
  SimDisk disk({.sector_size_bytes = 512, .torn_writes = torn_writes}, seed);
  auto file = DurableFile(disk, Pattern(4096, 1));
  Write(*file, 3584, Pattern(512, 3));
  Write(*file, kVariantWriteOffset, Pattern(kVariantWriteSize, 2));
  VariantCrash crash;
  crash.live = Pattern(4096, 1);
  crash.live.replace(3584, 512, Pattern(512, 3));
  crash.live.replace(kVariantWriteOffset, kVariantWriteSize, Pattern(kVariantWriteSize, 2));
  if (read_after_write) {
    uint8_t byte = 0;
    EXPECT_TRUE(file->pread(0, {&byte, 1}).ok());
  }
  disk.set_faults({.crash_after_io_count = disk.io_count(), .crash_last_write_variant = variant});
  disk.set_event_callback([&](const SimDiskEvent& event) {
    if (event.kind == SimDiskEventKind::kCrash) crash.crash_event_detail = event.detail;
  });
  disk.crash();
  crash.durable = *disk.durable_content("/d/f");
  return crash;
}

TEST(SimDiskVariantTest, SectorsTouchedAndVariantCounts) {
  EXPECT_EQ(SectorsTouched(0, 0, 512), 0u);
  EXPECT_EQ(SectorsTouched(0, 512, 512), 1u);
  EXPECT_EQ(SectorsTouched(511, 2, 512), 2u);
  EXPECT_EQ(SectorsTouched(kVariantWriteOffset, kVariantWriteSize, 512), 4u);
  EXPECT_EQ(SectorsTouched(4096, 4096, 512), 8u);
  EXPECT_EQ(SimDiskWriteVariantCount(4, true), 6u);
  EXPECT_EQ(SimDiskWriteVariantCount(4, false), 5u);
  EXPECT_EQ(SimDiskWriteVariantCount(1, true), 3u);
  EXPECT_EQ(SimDiskWriteVariantCount(0, true), 1u);
  EXPECT_EQ(SimDiskWriteVariantName(0, 4, true), "none of its 4 sectors persisted");
  EXPECT_EQ(SimDiskWriteVariantName(3, 4, true), "its first 3 of 4 sectors persisted");
  EXPECT_EQ(SimDiskWriteVariantName(4, 4, true), "all of its 4 sectors persisted");
  EXPECT_EQ(SimDiskWriteVariantName(5, 4, true),
            "its first sector torn inside, the other 3 not persisted");
  EXPECT_EQ(SimDiskWriteVariantName(5, 4, false), "all of its 4 sectors persisted");
}

// Each variant gives exactly its bytes in the write's sectors, and leaves every other sector as
// the crash RNG resolves it without a variant (the same draws).
TEST(SimDiskVariantTest, EachVariantPersistsExactlyItsSectorsOfTheLastWrite) {
  constexpr uint64_t kSector = 512;
  constexpr uint64_t kFirst = kVariantWriteOffset / kSector;  // 1
  constexpr uint64_t kSectors = 4;
  const std::string old_content = Pattern(4096, 1);
  for (uint64_t seed = 0; seed < 50; seed++) {
    const VariantCrash random = CrashWithVariant(seed, -1);
    EXPECT_EQ(random.crash_event_detail, 0u);
    for (int64_t variant = 0; variant <= static_cast<int64_t>(kSectors) + 1; variant++) {
      const VariantCrash crash = CrashWithVariant(seed, variant);
      SCOPED_TRACE(testing::Message() << "seed " << seed << " variant " << variant);
      ASSERT_EQ(crash.durable.size(), 4096u);
      EXPECT_EQ(crash.crash_event_detail, static_cast<uint64_t>(variant) + 1);
      std::string expected = old_content;
      if (variant == static_cast<int64_t>(kSectors) + 1) {
        // Torn: new bytes up to the middle of the write's part of sector 1, [700, 1024).
        const uint64_t cut = kVariantWriteOffset + (1024 - kVariantWriteOffset) / 2;
        expected.replace(kFirst * kSector, cut - kFirst * kSector,
                         crash.live.substr(kFirst * kSector, cut - kFirst * kSector));
      } else {
        const uint64_t new_sectors = static_cast<uint64_t>(variant);
        expected.replace(kFirst * kSector, new_sectors * kSector,
                         crash.live.substr(kFirst * kSector, new_sectors * kSector));
      }
      // Sectors 0..6 are exactly as the variant says; sector 7 as the RNG said without it.
      EXPECT_EQ(crash.durable.substr(0, 7 * kSector), expected.substr(0, 7 * kSector));
      EXPECT_EQ(crash.durable.substr(7 * kSector), random.durable.substr(7 * kSector));
    }
  }
}

TEST(SimDiskVariantTest, ATornVariantNeedsATearingDisk) {
  const VariantCrash all = CrashWithVariant(3, 4, /*torn_writes=*/false);
  const VariantCrash past = CrashWithVariant(3, 5, /*torn_writes=*/false);
  const VariantCrash far = CrashWithVariant(3, 1000, /*torn_writes=*/false);
  EXPECT_EQ(past.durable, all.durable);
  EXPECT_EQ(far.durable, all.durable);
  EXPECT_EQ(all.durable.substr(512, 4 * 512), all.live.substr(512, 4 * 512));
}

TEST(SimDiskVariantTest, OnlyTheCrashRightAfterTheWriteTakesTheVariant) {
  for (uint64_t seed = 0; seed < 20; seed++) {
    const VariantCrash random = CrashWithVariant(seed, -1);
    const VariantCrash later = CrashWithVariant(seed, 0, true, /*read_after_write=*/true);
    EXPECT_EQ(later.crash_event_detail, 0u) << "seed " << seed;
    EXPECT_EQ(later.durable, random.durable) << "seed " << seed;
  }
}

// A write that grows the file: the file keeps the bytes the variant persists, whatever size the
// crash RNG draws (FM-3 cuts only at sector boundaries).
TEST(SimDiskVariantTest, AGrowingWriteKeepsWhatItsVariantPersists) {
  const std::string appended = Pattern(1300, 4);  // [4096, 5396): sectors 8..10.
  for (uint64_t seed = 0; seed < 100; seed++) {
    for (int64_t variant = 0; variant <= 4; variant++) {
      SimDisk disk({.sector_size_bytes = 512}, seed);
      auto file = DurableFile(disk, Pattern(4096, 1));
      Write(*file, 4096, appended);
      disk.set_faults(
          {.crash_after_io_count = disk.io_count(), .crash_last_write_variant = variant});
      disk.crash();
      const std::string content = *disk.durable_content("/d/f");
      SCOPED_TRACE(testing::Message() << "seed " << seed << " variant " << variant);
      ASSERT_EQ(content.substr(0, 4096), Pattern(4096, 1));
      if (variant == 0) {
        // Not persisted: cut at a sector boundary (or the new size), old bytes (zeros) inside.
        EXPECT_EQ(content.substr(4096), std::string(content.size() - 4096, '\0'));
      } else if (variant == 4) {
        // Torn: sector 8 holds new bytes up to its middle, 4096 + 256.
        ASSERT_GE(content.size(), 4096u + 512u);
        EXPECT_EQ(content.substr(4096, 256), appended.substr(0, 256));
        EXPECT_EQ(content.substr(4096 + 256, 256), std::string(256, '\0'));
      } else {
        const uint64_t kept = std::min<uint64_t>(appended.size(), variant * 512);
        ASSERT_GE(content.size(), 4096 + kept);
        EXPECT_EQ(content.substr(4096, kept), appended.substr(0, kept));
      }
    }
  }
}

TEST(SimDiskVariantTest, TheWriteLogRecordsEachSuccessfulWriteAsItLanded) {
  SimDisk disk({.sector_size_bytes = 512}, 1);
  auto file = Create(disk, "/d/f");  // I/O 1
  Write(*file, 0, "abc");            // I/O 2: before the log is kept.
  disk.set_keep_write_log(true);
  Write(*file, 700, Pattern(1500, 2));  // I/O 3
  ASSERT_TRUE(file->sync().ok());       // I/O 4
  disk.set_faults({.write_error_at_call = 3});
  EXPECT_FALSE(file->pwrite(0, AsBytes("x")).ok());  // I/O 5: failed, not logged.
  disk.set_faults({.misdirected_write_probability = 1.0});
  Write(*file, 8192, Pattern(512, 3));  // I/O 6: lands a few sectors away.
  const std::vector<SimDiskWrite> log = disk.write_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].io_index, 3u);
  EXPECT_EQ(log[0].path, "/d/f");
  EXPECT_EQ(log[0].offset_bytes, 700u);
  EXPECT_EQ(log[0].size_bytes, 1500u);
  EXPECT_EQ(log[0].first_sector, 1u);
  EXPECT_EQ(log[0].sectors, 4u);
  EXPECT_EQ(log[1].io_index, 6u);
  EXPECT_NE(log[1].offset_bytes, 8192u);
  EXPECT_EQ(log[1].first_sector, log[1].offset_bytes / 512);
  EXPECT_EQ(log[1].sectors, 1u);
  disk.set_keep_write_log(false);
  EXPECT_TRUE(disk.write_log().empty());
}

}  // namespace
}  // namespace northstar::vfs
