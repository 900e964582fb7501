#include "engine/test_databases.h"

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

constexpr uint32_t kPageSizeBytes = 4096;

std::string Key(int index) { return absl::StrFormat("key%05d", index); }

// Meta flip: the data file alone holds every commit, with no log beside it.
DbOptions Options() {
  return DbOptions{.page_size_bytes = kPageSizeBytes,
                   .error_if_exists = true,
                   .durability = Durability::kMetaFlip};
}

}  // namespace

KeyValues SmallDatabaseFirstCommit() {
  KeyValues values;
  for (int index = 0; index < 400; index++) {
    values[Key(index)] = absl::StrFormat("value-%d-%s", index, std::string(index % 50, 'v'));
  }
  values[Key(7)] = std::string(3 * kPageSizeBytes + 123, 'o');  // Overflow run of 4 pages.
  values[""] = "the empty key";
  return values;
}

KeyValues SmallDatabaseSecondCommit() {
  KeyValues values = SmallDatabaseFirstCommit();
  for (int index = 100; index < 300; index++) values.erase(Key(index));
  values[Key(7)] = "small again";  // Frees the overflow run.
  values[Key(1000)] = std::string(kPageSizeBytes + 1, 'p');
  return values;
}

absl::Status BuildEmptyDatabase(vfs::FileSystem& fs, const std::string& path) {
  return Db::open(fs, path, Options()).status();
}

absl::Status BuildSmallDatabase(vfs::FileSystem& fs, const std::string& path) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(fs, path, Options()));
  const KeyValues first = SmallDatabaseFirstCommit();
  const KeyValues second = SmallDatabaseSecondCommit();
  {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<WriteTxn> txn, db->begin_write());
    for (const auto& [key, value] : first) NS_RETURN_IF_ERROR(txn->put(key, value));
    NS_RETURN_IF_ERROR(txn->commit());
  }
  NS_ASSIGN_OR_RETURN(std::unique_ptr<WriteTxn> txn, db->begin_write());
  for (const auto& [key, value] : first) {
    if (!second.contains(key)) NS_RETURN_IF_ERROR(txn->del(key).status());
  }
  for (const auto& [key, value] : second) {
    if (!first.contains(key) || first.at(key) != value) NS_RETURN_IF_ERROR(txn->put(key, value));
  }
  return txn->commit();
}

}  // namespace northstar::engine
