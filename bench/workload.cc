#include "bench/workload.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::bench {

void FillKey(uint64_t n, std::string& key) {
  key.assign(kKeyBytes, '\0');
  for (int byte = 0; byte < 8; byte++) {
    key[kKeyBytes - 1 - byte] = static_cast<char>((n >> (8 * byte)) & 0xff);
  }
}

std::string KeyOf(uint64_t n) {
  std::string key;
  FillKey(n, key);
  return key;
}

uint64_t Scramble(uint64_t n) {
  n ^= n >> 30;
  n *= 0xbf58476d1ce4e5b9ULL;
  n ^= n >> 27;
  n *= 0x94d049bb133111ebULL;
  n ^= n >> 31;
  return n;
}

std::string ValueOf(uint64_t n, uint64_t version) {
  std::string value(kValueBytes, '\0');
  uint64_t state = Scramble(n * 0x9e3779b97f4a7c15ULL + version);
  for (size_t index = 0; index < value.size(); index++) {
    if (index % 8 == 0) state = Scramble(state + index);
    // Printable bytes, so that a dump of a benchmark database stays readable.
    value[index] = static_cast<char>('a' + ((state >> (8 * (index % 8))) & 0xff) % 26);
  }
  return value;
}

const std::string& PooledValue(uint64_t n) {
  static const std::vector<std::string>* pool = [] {
    auto* values = new std::vector<std::string>();
    for (uint64_t index = 0; index < kValuePoolSize; index++) values->push_back(ValueOf(index));
    return values;
  }();
  return (*pool)[n % kValuePoolSize];
}

std::string PathIn(std::string_view dir, std::string_view name) {
  return absl::StrFormat("%s/%s", dir, name);
}

uint64_t HotCacheBudgetBytes(uint64_t keys) {
  // About 120 bytes per entry in leaves at least half full, plus branches: 400 bytes per key
  // leaves room for every page.
  return std::max<uint64_t>(uint64_t{64} << 20, keys * 400);
}

absl::StatusOr<std::unique_ptr<engine::Db>> BuildDatabase(vfs::FileSystem& fs,
                                                          const std::string& path, uint64_t keys,
                                                          engine::DbOptions options) {
  engine::DbOptions build = options;
  build.durability = engine::Durability::kLogNoSync;
  build.error_if_exists = true;
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Db> db, engine::Db::open(fs, path, build));
  std::string key;
  for (uint64_t first = 0; first < keys; first += kBatchPuts) {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db->begin_write());
    for (uint64_t n = first; n < std::min(keys, first + kBatchPuts); n++) {
      FillKey(n, key);
      NS_RETURN_IF_ERROR(txn->put(key, PooledValue(n)));
    }
    NS_RETURN_IF_ERROR(txn->commit());
  }
  NS_RETURN_IF_ERROR(db->checkpoint());
  if (options.durability == engine::Durability::kLogNoSync) return db;
  db.reset();
  options.create_if_missing = false;
  return engine::Db::open(fs, path, options);
}

absl::Status WarmCache(engine::Db& db) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db.begin_read());
  std::unique_ptr<engine::Cursor> cursor = txn->cursor();
  NS_RETURN_IF_ERROR(cursor->seek_first());
  uint64_t entries = 0;
  while (cursor->valid()) {
    entries++;
    NS_RETURN_IF_ERROR(cursor->next());
  }
  if (entries != txn->entry_count()) {
    return absl::InternalError(
        absl::StrFormat("warm-up scan saw %d entries of %d", entries, txn->entry_count()));
  }
  return absl::OkStatus();
}

}  // namespace northstar::bench
