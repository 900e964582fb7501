// make_corpus: writes the seed corpora of the fuzz targets, made by the engine itself.
//
//   make_corpus <output directory>
//
// Writes <output>/<corpus>/<name> for every corpus of fuzz/CMakeLists.txt: real pages from
// databases on the simulated disk (engine/test_databases.h's small database, and databases
// after seeded random workloads, read back with SimDisk::durable_content), hand-made edge pages,
// commit records and whole logs (torn, stale, damaged), and op sequences in the db_ops and
// crash_recovery input grammars. Deterministic: the same files every run. Checks as it goes that
// every seed meant to be valid decodes (a failure is exit 1).
//
// The committed corpora in fuzz/corpus/ are these seeds merged with what fuzzing found, and
// minimized (fuzz/README.md says how). Run by CTest (fuzz_make_corpus) so that it keeps working.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "engine/format/meta.h"
#include "engine/format/node.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "engine/log/reader.h"
#include "engine/log/record.h"
#include "engine/test_databases.h"
#include "util/random.h"
#include "vfs/sim_disk.h"

namespace northstar::fuzz {
namespace {

using engine::Db;
using engine::DbOptions;
using engine::Durability;
using engine::LogOp;
using engine::LogOpType;
using engine::PageId;
using engine::PageType;
using Bytes = std::vector<uint8_t>;

// Seeds of one kind kept from one database, at most.
constexpr size_t kPagesPerTypeMax = 4;

int g_failures = 0;

void Require(bool condition, const std::string& what) {
  if (condition) return;
  std::fprintf(stderr, "make_corpus: %s\n", what.c_str());
  g_failures++;
}

template <typename T>
T ValueOrExit(absl::StatusOr<T> result, std::string_view what) {
  if (!result.ok()) {
    std::fprintf(stderr, "make_corpus: %s: %s\n", std::string(what).c_str(),
                 result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

void ExitUnlessOk(const absl::Status& status, std::string_view what) {
  if (status.ok()) return;
  std::fprintf(stderr, "make_corpus: %s: %s\n", std::string(what).c_str(),
               status.ToString().c_str());
  std::exit(1);
}

class CorpusWriter {
 public:
  explicit CorpusWriter(std::filesystem::path root) : root_(std::move(root)) {}
  void write(const std::string& corpus, const std::string& name, std::span<const uint8_t> bytes) {
    const std::filesystem::path dir = root_ / corpus;
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    Require(out.good(), "cannot write " + (dir / name).string());
    counts_[corpus]++;
  }
  void print_counts() const {
    for (const auto& [corpus, count] : counts_)
      std::printf("%-16s %zu seeds\n", corpus.c_str(), count);
  }

 private:
  std::filesystem::path root_;
  std::map<std::string, size_t> counts_;
};

Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

// ---- Databases -------------------------------------------------------------------------------

// A database on the simulated disk after a seeded random workload: keys of every shape (empty,
// at the size limit, long), values short, at the inline limit and on overflow runs, deletes
// (free pages), then a checkpoint so the data file holds it all.
void BuildRandomDatabase(vfs::SimDisk& disk, const std::string& path, uint32_t page_size_bytes,
                         uint64_t seed) {
  Rng rng(seed);
  auto db = ValueOrExit(Db::open(disk, path,
                                 DbOptions{.page_size_bytes = page_size_bytes,
                                           .log_preallocate_bytes = 64 << 10,
                                           .checkpoint_log_bytes = 1 << 30}),
                        "open random database");
  std::set<std::string> keys;
  const uint32_t key_max = engine::KeySizeMaxBytes(page_size_bytes);
  for (int commit = 0; commit < 6; commit++) {
    auto txn = ValueOrExit(db->begin_write(), "begin_write");
    for (int op = 0; op < 150; op++) {
      std::string key = absl::StrFormat("k%04d", rng.Uniform(400));
      if (rng.OneIn(10)) key += std::string(rng.Uniform(300), 'x');
      if (rng.OneIn(100)) key = "";
      if (rng.OneIn(100)) key = std::string(key_max, 'm');
      if (commit >= 3 && rng.OneIn(3) && !keys.empty()) {
        ExitUnlessOk(txn->del(*keys.begin()).status(), "del");
        keys.erase(keys.begin());
        continue;
      }
      size_t value_bytes = rng.Uniform(80);
      if (rng.OneIn(12)) value_bytes = page_size_bytes + rng.Uniform(2 * page_size_bytes);
      if (rng.OneIn(12)) value_bytes = engine::LeafCellMaxBytes(page_size_bytes) - 9 - key.size();
      ExitUnlessOk(txn->put(key, std::string(value_bytes, static_cast<char>('a' + op % 26))),
                   "put");
      keys.insert(key);
    }
    ExitUnlessOk(txn->commit(), "commit");
  }
  ExitUnlessOk(db->checkpoint(), "checkpoint");
}

// The data file's pages, each with the type its header says (pages that fail CheckPage, such as
// never-written ones, are skipped).
std::vector<std::pair<PageType, Bytes>> ReadPages(const std::string& file,
                                                  uint32_t page_size_bytes) {
  std::vector<std::pair<PageType, Bytes>> pages;
  for (size_t offset = 0; offset + page_size_bytes <= file.size(); offset += page_size_bytes) {
    const Bytes page(file.begin() + offset, file.begin() + offset + page_size_bytes);
    const auto header = engine::CheckPage(page, offset / page_size_bytes);
    if (header.ok()) pages.emplace_back(header->type, page);
  }
  return pages;
}

bool ParsesAs(PageType type, std::span<const uint8_t> page, PageId page_id) {
  switch (type) {
    case PageType::kMeta:
      return engine::DecodeMeta(page, page_id).ok();
    case PageType::kLeaf:
      return engine::LeafView::Parse(page, page_id).ok();
    case PageType::kBranch:
      return engine::BranchView::Parse(page, page_id).ok();
    case PageType::kOverflow:
      return engine::ParseOverflow(page, page_id).ok();
    case PageType::kFreeList:
      return engine::ParseFreeList(page, page_id).ok();
  }
  return false;
}

// Up to kPagesPerTypeMax pages of each type, spread over the file, to node/, meta/ and (with
// a selector byte) page_header/.
void WriteDatabasePages(CorpusWriter& out, const std::string& origin, const std::string& file,
                        uint32_t page_size_bytes) {
  const auto pages = ReadPages(file, page_size_bytes);
  std::map<PageType, std::vector<const Bytes*>> by_type;
  for (const auto& [type, page] : pages) by_type[type].push_back(&page);
  for (const auto& [type, list] : by_type) {
    const size_t stride = (list.size() + kPagesPerTypeMax - 1) / kPagesPerTypeMax;
    for (size_t index = 0; index < list.size(); index += stride) {
      const Bytes& page = *list[index];
      const PageId page_id = DecodeFixed64(page.data() + 8);
      const std::string name =
          absl::StrFormat("%s-%s-%d", origin, engine::PageTypeName(type), page_id);
      Require(ParsesAs(type, page, page_id), name + " does not decode");
      out.write(type == PageType::kMeta ? "meta" : "node", name, page);
      if (index == 0) {  // One page of each type for the header target, expecting its type.
        Bytes with_selector{static_cast<uint8_t>(type)};
        with_selector.insert(with_selector.end(), page.begin(), page.end());
        out.write("page_header", name, with_selector);
      }
    }
  }
}

void WriteDatabaseSeeds(CorpusWriter& out) {
  {
    vfs::SimDisk disk({}, 1);
    ExitUnlessOk(engine::BuildSmallDatabase(disk, "/db/small.ns"), "BuildSmallDatabase");
    WriteDatabasePages(out, "small", ValueOrExit(disk.durable_content("/db/small.ns"), "read"),
                       4096);
  }
  {
    vfs::SimDisk disk({}, 1);
    ExitUnlessOk(engine::BuildEmptyDatabase(disk, "/db/empty.ns"), "BuildEmptyDatabase");
    WriteDatabasePages(out, "empty", ValueOrExit(disk.durable_content("/db/empty.ns"), "read"),
                       4096);
  }
  for (const uint32_t page_size_bytes : {4096u, 8192u}) {
    vfs::SimDisk disk({}, 1);
    BuildRandomDatabase(disk, "/db/random.ns", page_size_bytes, page_size_bytes);
    WriteDatabasePages(out, absl::StrFormat("random%d", page_size_bytes),
                       ValueOrExit(disk.durable_content("/db/random.ns"), "read"), page_size_bytes);
  }
}

// Edge pages no small database has: empty nodes, a one-key branch, a one-byte overflow chunk,
// empty and full free lists.
void WriteHandMadePages(CorpusWriter& out) {
  const engine::PageHeader leaf{.type = PageType::kLeaf, .page_id = 5, .txn_id = 9};
  Bytes page(4096);
  engine::EncodeLeaf({}, leaf, page);
  out.write("node", "hand-leaf-empty", page);
  const std::string big_key(engine::KeySizeMaxBytes(4096), 'k');
  const std::vector<engine::LeafCell> cells = {
      {.key = "", .value = "", .value_size_bytes = 0},
      {.key = "a", .overflow_page = 7, .value_size_bytes = 100000},
      {.key = big_key, .value = "v", .value_size_bytes = 1}};
  engine::EncodeLeaf(cells, leaf, page);
  out.write("node", "hand-leaf-edges", page);
  const std::vector<std::string_view> keys = {"m"};
  const std::vector<PageId> children = {3, 4};
  engine::EncodeBranch(keys, children, {.type = PageType::kBranch, .page_id = 6, .txn_id = 9},
                       page);
  out.write("node", "hand-branch-one-key", page);
  engine::EncodeOverflow("x", engine::kNoPage, {.type = PageType::kOverflow, .page_id = 8}, page);
  out.write("node", "hand-overflow-one-byte", page);
  const engine::PageHeader free_list{.type = PageType::kFreeList, .page_id = 10, .txn_id = 2};
  engine::EncodeFreeList({}, engine::kNoPage, free_list, page);
  out.write("node", "hand-freelist-empty", page);
  std::vector<PageId> ids(engine::FreeListCapacity(4096));
  for (size_t index = 0; index < ids.size(); index++) ids[index] = 11 + index;
  engine::EncodeFreeList(ids, 12, free_list, page);
  out.write("node", "hand-freelist-full", page);
  for (const uint8_t selector : {0x00, 0x08, 0x10, 0x1a}) {  // Mismatched ids and types.
    Bytes with_selector{selector};
    with_selector.insert(with_selector.end(), page.begin(), page.end());
    out.write("page_header", absl::StrFormat("hand-freelist-selector-%02x", selector),
              with_selector);
  }
  out.write("page_header", "hand-short", Bytes{0x02, 'N', 'S', 'P', 'G', 1, 0, 2});
}

// ---- Commit records and logs -----------------------------------------------------------------

Bytes Record(engine::TxnId txn_id, const std::vector<LogOp>& ops, uint16_t flags = 0) {
  Bytes out;
  engine::EncodeLogRecord(txn_id, ops, out, flags);
  return out;
}

std::vector<std::vector<LogOp>> SampleCommits() {
  return {
      {{LogOpType::kPut, "apple", "red"}},
      {{LogOpType::kDelete, "apple", ""}},
      {{LogOpType::kPut, "", ""}, {LogOpType::kPut, "k", std::string(600, 'v')}},
      {{LogOpType::kPut, std::string(100, 'k'), "long key"}, {LogOpType::kDelete, "x", ""}},
      {{LogOpType::kPut, "a", "1"},
       {LogOpType::kPut, "b", "2"},
       {LogOpType::kPut, "c", "3"},
       {LogOpType::kDelete, "d", ""},
       {LogOpType::kPut, "e", "5"},
       {LogOpType::kPut, "f", "6"},
       {LogOpType::kPut, "g", "7"},
       {LogOpType::kPut, "h", "8"},
       {LogOpType::kPut, "i", "9"}},
  };
}

void WriteRecordSeeds(CorpusWriter& out) {
  const auto commits = SampleCommits();
  for (size_t index = 0; index < commits.size(); index++) {
    const Bytes record = Record(index + 1, commits[index]);
    out.write("commit_record", absl::StrFormat("record-%d", index), record);
    const auto header = engine::DecodeLogHeader(std::span(record).first(40), 0, {});
    Require(
        header.ok() && engine::DecodeLogBody(*header, std::span(record).subspan(40), 0, {}).ok(),
        "sample record does not decode");
  }
  out.write("commit_record", "record-unsynced",
            Record(uint64_t{1} << 40, commits[0], engine::kLogFlagUnsynced));
  Bytes trailing = Record(3, commits[2]);
  trailing.insert(trailing.end(), 24, 0xAB);
  out.write("commit_record", "record-with-trailing-bytes", trailing);
}

// A log of records txn first..first + n - 1 from the sample commits.
Bytes Log(engine::TxnId first, size_t count, uint16_t flags = 0) {
  const auto commits = SampleCommits();
  Bytes log;
  for (size_t index = 0; index < count; index++) {
    engine::EncodeLogRecord(first + index, commits[index % commits.size()], log, flags);
  }
  return log;
}

void WriteHandMadeLogs(CorpusWriter& out) {
  out.write("log_reader", "log-empty", Bytes{});
  out.write("log_reader", "log-zeros", Bytes(64, 0));
  out.write("log_reader", "log-clean-eof", Log(1, 4));
  Bytes zero_tail = Log(1, 3);
  zero_tail.resize(zero_tail.size() + 48, 0);
  out.write("log_reader", "log-zero-tail", zero_tail);
  const Bytes whole = Log(1, 3);
  const Bytes torn(whole.begin(), whole.end() - 10);  // The last record cut short.
  out.write("log_reader", "log-torn-tail", torn);
  Bytes stale = Log(5, 2);
  const Bytes old = Log(2, 2);
  stale.insert(stale.end(), old.begin(), old.end());
  out.write("log_reader", "log-stale-after", stale);
  Bytes gap = Log(1, 2);
  const Bytes later = Log(4, 1);
  gap.insert(gap.end(), later.begin(), later.end());
  out.write("log_reader", "log-txn-gap", gap);
  Bytes damaged = Log(1, 3);
  damaged[Record(1, SampleCommits()[0]).size() + 45] ^= 1;  // Inside record 2's payload.
  out.write("log_reader", "log-damaged-middle", damaged);
  Bytes unsynced = Log(1, 3, engine::kLogFlagUnsynced);
  unsynced[Record(1, SampleCommits()[0]).size() + 45] ^= 1;
  out.write("log_reader", "log-unsynced-torn-middle", unsynced);
}

// The log of a real database after commits and no checkpoint: its records, then the rest of
// the preallocated zeros cut to one header's worth.
void WriteDatabaseLog(CorpusWriter& out) {
  vfs::SimDisk disk({}, 1);
  auto db = ValueOrExit(Db::open(disk, "/db/log.ns",
                                 DbOptions{.page_size_bytes = 4096,
                                           .log_preallocate_bytes = 16 << 10,
                                           .checkpoint_log_bytes = 1 << 30}),
                        "open log database");
  for (int commit = 0; commit < 5; commit++) {
    auto txn = ValueOrExit(db->begin_write(), "begin_write");
    for (int op = 0; op <= commit; op++) {
      ExitUnlessOk(txn->put(absl::StrFormat("key%d", op), std::string(commit * 40, 'v')), "put");
    }
    if (commit == 4) ExitUnlessOk(txn->del("key0").status(), "del");
    ExitUnlessOk(txn->commit(), "commit");
  }
  const std::string log = ValueOrExit(disk.durable_content("/db/log.log"), "read log");
  auto file = ValueOrExit(disk.open("/db/log.log", {}), "open log");
  engine::LogReader reader(*file, 0, {});
  while (ValueOrExit(reader.next(), "read record").has_value()) {
  }
  Require(reader.end().reason == engine::LogEnd::kZeroHeader, "database log does not end in zeros");
  const size_t kept = reader.offset() + engine::kLogHeaderBytes;
  out.write("log_reader", "db-log", ToBytes(std::string_view(log).substr(0, kept)));
  out.write("commit_record", "db-log-records",
            ToBytes(std::string_view(log).substr(0, kept - engine::kLogHeaderBytes)));
  db.reset();
}

// ---- Operation sequences -----------------------------------------------------------------------

// db_ops_fuzz's grammar: config byte, then ops (see its header comment).
Bytes DbOpsSequence(uint8_t config, uint64_t seed, size_t ops) {
  Rng rng(seed);
  Bytes bytes{config};
  for (size_t op = 0; op < ops; op++) {
    const uint64_t kind = rng.Uniform(100);
    const auto key_shape =
        static_cast<uint8_t>(rng.OneIn(8) ? 200 + rng.Uniform(56) : rng.Uniform(200));
    if (kind < 45) {
      bytes.push_back(static_cast<uint8_t>(rng.Uniform(5)));
      bytes.push_back(key_shape);
      bytes.push_back(static_cast<uint8_t>(rng.Uniform(256)));  // Key extra, or value shape.
      bytes.push_back(
          static_cast<uint8_t>(rng.OneIn(6) ? 200 + rng.Uniform(56) : rng.Uniform(160)));
      bytes.push_back(static_cast<uint8_t>(rng.Uniform(256)));
    } else if (kind < 60) {
      bytes.push_back(static_cast<uint8_t>(5 + rng.Uniform(2)));
      bytes.push_back(key_shape);
    } else {
      bytes.push_back(static_cast<uint8_t>(7 + rng.Uniform(9)));
      bytes.push_back(key_shape);
      bytes.push_back(static_cast<uint8_t>(rng.Uniform(256)));
    }
  }
  return bytes;
}

void WriteDbOpsSeeds(CorpusWriter& out) {
  // Each durability mode, both page sizes, small cache, frequent checkpoints.
  const uint8_t configs[] = {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x19, 0x1e};
  for (size_t index = 0; index < std::size(configs); index++) {
    out.write("db_ops", absl::StrFormat("ops-config%02x", configs[index]),
              DbOpsSequence(configs[index], index + 1, 60 + 30 * index));
  }
  out.write("db_ops", "ops-empty", Bytes{});
}

// crash_recovery_fuzz's grammar: config, crash point (u16), recovery crash, disk seed, then
// commits (no raw values: those are for hand-made inputs).
Bytes CrashSequence(uint8_t config, uint16_t crash_point, uint8_t recovery_crash, uint64_t seed,
                    size_t commits) {
  Rng rng(seed);
  Bytes bytes{config, static_cast<uint8_t>(crash_point & 0xFF),
              static_cast<uint8_t>(crash_point >> 8), recovery_crash, static_cast<uint8_t>(seed)};
  std::set<uint8_t> keys;
  for (size_t commit = 0; commit < commits; commit++) {
    const auto op_count = static_cast<uint8_t>(rng.Uniform(8));
    bytes.push_back(op_count);
    for (size_t op = 0; op <= op_count; op++) {
      const auto choice = static_cast<uint8_t>(rng.Uniform(256));
      bytes.push_back(choice);
      const uint8_t key = (choice >> 1) % 40;
      if ((choice & 1) != 0 && keys.contains(key)) {
        keys.erase(key);
        continue;
      }
      keys.insert(key);
      bytes.push_back(
          static_cast<uint8_t>(rng.OneIn(10) ? 240 + rng.Uniform(16) : rng.Uniform(239)));
    }
  }
  return bytes;
}

void WriteCrashSeeds(CorpusWriter& out) {
  const uint8_t configs[] = {0x00, 0x01, 0x02, 0x04, 0x0c, 0x10, 0x14, 0x21};
  for (size_t index = 0; index < std::size(configs); index++) {
    const uint16_t middle = static_cast<uint16_t>(40 + 13 * index);
    for (const uint16_t crash_point : {uint16_t{7}, middle, uint16_t{1000}}) {
      const uint8_t recovery_crash = index % 3 == 0 ? static_cast<uint8_t>(1 + index) : 0;
      out.write("crash_recovery",
                absl::StrFormat("crash-config%02x-at%d", configs[index], crash_point),
                CrashSequence(configs[index], crash_point, recovery_crash, index + 1, 6 + index));
    }
  }
}

}  // namespace
}  // namespace northstar::fuzz

int main(int argc, char** argv) {
  using namespace northstar::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
    return 2;
  }
  CorpusWriter out(argv[1]);
  WriteDatabaseSeeds(out);
  WriteHandMadePages(out);
  WriteRecordSeeds(out);
  WriteHandMadeLogs(out);
  WriteDatabaseLog(out);
  WriteDbOpsSeeds(out);
  WriteCrashSeeds(out);
  out.print_counts();
  return g_failures == 0 ? 0 : 1;
}
