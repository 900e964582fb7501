// Fuzz target: differential test of engine::Db on the simulated disk against std::map.
//
// Input: a configuration byte, then operations, each an opcode byte and its arguments (read with
// ByteReader: a short input ends in default choices). Configuration bits:
//   0-1 durability: 1 kMetaFlip, 2 kLogNoSync, otherwise kLog     2 page size 8192, else 4096
//   3   a small page cache (8 pages), else 256 pages               4 checkpoint every 4 KiB of log
// Opcodes (byte % 16): 0-4 put, 5-6 delete, 7 get, 8 forward scan, 9 reverse scan, 10 commit,
// 11 abort, 12 reopen, 13 checkpoint, 14 take or check-and-release a long-lived reader,
// 15 full scan. Keys: a small key space, long keys, the empty key, keys at the size limit and
// one past it (put must refuse those), raw bytes. Values: short, around the inline limit,
// overflow runs, empty.
//
// Checks after every operation: each result equals the model's (read-your-writes inside the
// write transaction, the last commit for readers, the snapshot for the long-lived reader); after
// every commit, Db::audit() finds no problem; after every checkpoint, Validate() finds none and
// counts the model's entries; at the end, everything again after a reopen.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "engine/format/node.h"
#include "engine/validate.h"
#include "fuzz/fuzz_target.h"
#include "vfs/sim_disk.h"

namespace northstar::fuzz {
namespace {

using engine::Db;
using engine::DbOptions;
using engine::Durability;
using Model = std::map<std::string, std::string>;

constexpr char kPath[] = "/db/fuzz.ns";
// Bounds the work one input can ask for.
constexpr size_t kOpsMax = 400;
constexpr size_t kScanStepsMax = 32;

#define FUZZ_ASSERT_OK(expression)                             \
  do {                                                         \
    const ::absl::Status fuzz_status_ = (expression);          \
    NS_ASSERT_MSG(fuzz_status_.ok(), fuzz_status_.ToString()); \
  } while (false)

template <typename T>
T ValueOrDie(absl::StatusOr<T> result) {
  NS_ASSERT_MSG(result.ok(), result.status().ToString());
  return std::move(result).value();
}

DbOptions OptionsFrom(uint8_t config) {
  const uint32_t page_size_bytes = (config & 4) != 0 ? 8192 : 4096;
  Durability durability = Durability::kLog;
  if ((config & 3) == 1) durability = Durability::kMetaFlip;
  if ((config & 3) == 2) durability = Durability::kLogNoSync;
  return DbOptions{.page_size_bytes = page_size_bytes,
                   .cache_budget_bytes = uint64_t{(config & 8) != 0 ? 8u : 256u} * page_size_bytes,
                   .durability = durability,
                   .log_preallocate_bytes = 64 << 10,
                   .checkpoint_log_bytes = (config & 16) != 0 ? 4u << 10 : 1u << 20};
}

class DbOps {
 public:
  explicit DbOps(ByteReader& input) : input_(input), options_(OptionsFrom(input.u8())) {}
  ~DbOps() { close(); }

  void run() {
    open();
    for (size_t op = 0; op < kOpsMax && !input_.empty(); op++) step();
    commit();
    check_everything();
    close();
    open();
    check_everything();
  }

 private:
  [[nodiscard]] uint32_t key_max() const { return engine::KeySizeMaxBytes(page_size()); }
  [[nodiscard]] uint32_t page_size() const { return options_.page_size_bytes; }
  [[nodiscard]] std::string key();
  [[nodiscard]] std::string value(size_t key_size_bytes);

  void step();
  void open() {
    db_ = ValueOrDie(Db::open(disk_, kPath, options_));
    pending_ = committed_;
  }
  void close() {
    held_.reset();
    txn_.reset();  // Aborts.
    db_.reset();
  }
  void begin() {
    if (!txn_) txn_ = ValueOrDie(db_->begin_write());
  }
  void put();
  void del();
  void get();
  void commit();
  void abort() {
    txn_.reset();
    pending_ = committed_;
  }
  void checkpoint();
  void toggle_held_reader();
  void scan(bool forward);
  void check_all(engine::ReadTxn& read, const Model& model);
  void check_everything();

  ByteReader& input_;
  const DbOptions options_;
  vfs::SimDisk disk_{{}, 1};
  std::unique_ptr<Db> db_;
  std::unique_ptr<engine::WriteTxn> txn_;
  std::unique_ptr<engine::ReadTxn> held_;
  Model held_model_;
  Model committed_;
  Model pending_;
};

std::string DbOps::key() {
  const uint8_t shape = input_.u8();
  if (shape < 200) return absl::StrFormat("k%02d", shape % 50);
  if (shape < 220) return absl::StrFormat("k%02d", shape % 50) + std::string(input_.u8(), 'x');
  if (shape < 230) return "";
  if (shape < 240) return std::string(key_max() - (shape & 1), static_cast<char>('a' + shape % 3));
  if (shape < 248) return std::string(key_max() + 1 + shape % 3, 'z');  // Too long.
  return std::string(input_.bytes(input_.u8() % 24));
}

std::string DbOps::value(size_t key_size_bytes) {
  const uint8_t shape = input_.u8();
  size_t size_bytes = shape % 48;
  if (shape >= 160 && shape < 200) {  // Around the largest inline value for this key.
    const size_t fixed_bytes = engine::kSlotBytes + engine::kLeafCellHeaderBytes + key_size_bytes;
    const size_t cell_max = engine::LeafCellMaxBytes(page_size());
    const size_t inline_max = cell_max > fixed_bytes ? cell_max - fixed_bytes : 0;
    size_bytes = inline_max + shape % 5 >= 2 ? inline_max + shape % 5 - 2 : 0;
  } else if (shape >= 200 && shape < 240) {
    size_bytes = page_size() * (1 + shape % 3) + input_.u8();
  } else if (shape >= 240) {
    size_bytes = shape < 248 ? 0 : page_size() * 5 + 17;
  }
  const uint8_t pattern = input_.u8();
  std::string result(size_bytes, '\0');
  for (size_t index = 0; index < size_bytes; index++) {
    result[index] = static_cast<char>(pattern + index * 31);
  }
  return result;
}

void DbOps::put() {
  begin();
  const std::string k = key();
  const std::string v = value(k.size());
  const absl::Status status = txn_->put(k, v);
  if (k.size() > key_max()) {
    NS_ASSERT_MSG(status.code() == absl::StatusCode::kInvalidArgument,
                  "a put of a too-long key gave " + status.ToString());
    return;
  }
  FUZZ_ASSERT_OK(status);
  pending_[k] = v;
}

void DbOps::del() {
  begin();
  const std::string k = key();
  const bool removed = ValueOrDie(txn_->del(k));
  NS_ASSERT_MSG(removed == (pending_.erase(k) == 1), "delete disagrees with the model");
}

void DbOps::get() {
  const std::string k = key();
  std::optional<std::string> got;
  const Model* model = &committed_;
  if (txn_) {
    got = ValueOrDie(txn_->get(k));
    model = &pending_;
  } else {
    got = ValueOrDie(ValueOrDie(db_->begin_read())->get(k));
  }
  const auto expected = model->find(k);
  NS_ASSERT_MSG(got.has_value() == (expected != model->end()), "get disagrees on presence");
  if (got.has_value()) NS_ASSERT_MSG(*got == expected->second, "get returned a wrong value");
}

void DbOps::commit() {
  if (!txn_) return;
  FUZZ_ASSERT_OK(txn_->commit());
  txn_.reset();
  committed_ = pending_;
  const std::vector<std::string> problems = ValueOrDie(db_->audit());
  NS_ASSERT_MSG(problems.empty(), "audit after commit: " + problems.front());
}

void DbOps::checkpoint() {
  commit();
  FUZZ_ASSERT_OK(db_->checkpoint());
  const engine::ValidationReport report = ValueOrDie(engine::Validate(disk_, kPath));
  NS_ASSERT_MSG(report.ok(), engine::FormatProblems(report));
  NS_ASSERT(report.entries == committed_.size());
}

void DbOps::toggle_held_reader() {
  if (held_) {
    check_all(*held_, held_model_);
    held_.reset();
    return;
  }
  held_ = ValueOrDie(db_->begin_read());
  held_model_ = committed_;
}

void DbOps::scan(bool forward) {
  const std::string start = key();
  const size_t steps = input_.u8() % kScanStepsMax;
  const std::unique_ptr<engine::ReadTxn> read = ValueOrDie(db_->begin_read());
  const std::unique_ptr<engine::Cursor> cursor = read->cursor();
  FUZZ_ASSERT_OK(cursor->seek(start));
  auto expected = committed_.lower_bound(start);
  if (!forward) {  // From the last key < start, downwards.
    FUZZ_ASSERT_OK(cursor->valid() ? cursor->prev() : cursor->seek_last());
    expected = expected == committed_.begin() ? committed_.end() : std::prev(expected);
  }
  for (size_t step = 0; step < steps; step++) {
    NS_ASSERT_MSG(cursor->valid() == (expected != committed_.end()), "scan ends early or late");
    if (!cursor->valid()) return;
    NS_ASSERT_MSG(cursor->key() == expected->first, "scan returned a wrong key");
    NS_ASSERT_MSG(ValueOrDie(cursor->value()) == expected->second, "scan returned a wrong value");
    if (forward) {
      FUZZ_ASSERT_OK(cursor->next());
      ++expected;
    } else {
      FUZZ_ASSERT_OK(cursor->prev());
      expected = expected == committed_.begin() ? committed_.end() : std::prev(expected);
    }
  }
}

void DbOps::check_all(engine::ReadTxn& read, const Model& model) {
  NS_ASSERT(read.entry_count() == model.size());
  const std::unique_ptr<engine::Cursor> cursor = read.cursor();
  FUZZ_ASSERT_OK(cursor->seek_first());
  for (const auto& [k, v] : model) {
    NS_ASSERT_MSG(cursor->valid() && cursor->key() == k, "full scan: wrong or missing key");
    NS_ASSERT_MSG(ValueOrDie(cursor->value()) == v, "full scan: wrong value");
    FUZZ_ASSERT_OK(cursor->next());
  }
  NS_ASSERT_MSG(!cursor->valid(), "full scan: keys beyond the model");
}

void DbOps::check_everything() {
  check_all(*ValueOrDie(db_->begin_read()), committed_);
  checkpoint();
}

void DbOps::step() {
  const uint8_t opcode = input_.u8() % 16;
  if (opcode <= 4) return put();
  if (opcode <= 6) return del();
  switch (opcode) {
    case 7:
      return get();
    case 8:
    case 9:
      return scan(opcode == 8);
    case 10:
      return commit();
    case 11:
      return abort();
    case 12:
      close();
      open();
      return check_all(*ValueOrDie(db_->begin_read()), committed_);
    case 13:
      return checkpoint();
    case 14:
      return toggle_held_reader();
    default:
      return check_all(*ValueOrDie(db_->begin_read()), committed_);
  }
}

}  // namespace
}  // namespace northstar::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  northstar::fuzz::ByteReader input(std::span<const uint8_t>(data, size));
  northstar::fuzz::DbOps(input).run();
  return 0;
}
