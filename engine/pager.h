// Pager: the data file `<name>.ns` as an array of verified pages, and its two meta pages.
//
// Every page read is verified before anyone sees it: header, checksum, page id, and the full
// structure of its type (leaf, branch, overflow, free list), so that the page cache only ever
// holds pages whose every offset and length has been checked once; readers then use unchecked
// views. Corruption is a DataLoss status naming the file and page id, never a crash.
//
// Meta A/B: open() reads both metas and picks the valid one with the highest txn id (a torn or
// rotten meta rolls back to the other one); Corruption if neither is valid. write_meta() writes to
// the slot the current meta is not in, so the last durable meta is never overwritten.
//
// Thread safety: read_page may run on many threads at once (pread); write_page, sync and
// write_meta are called by the single writer.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "engine/format/meta.h"
#include "engine/format/types.h"
#include "engine/page_cache.h"
#include "vfs/file_system.h"

namespace northstar::engine {

class Pager final : public PageSource {
 public:
  // Creates a new database file at `path`: both metas at txn 0 with an empty tree. The file is
  // built under a temporary name, synced and renamed into place, so that a crash leaves either
  // no database or a complete one. AlreadyExists if `path` exists.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Pager>> create(vfs::FileSystem& fs,
                                                                     std::string path,
                                                                     uint32_t page_size_bytes);
  // Opens an existing database file. DataLoss ("not a Northstar database", "truncated", ...)
  // naming the path when it cannot be used; nothing is written.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Pager>> open(vfs::FileSystem& fs,
                                                                   std::string path);

  // Reads and fully verifies page `page_id` (never a meta page).
  [[nodiscard]] absl::Status read_page(PageId page_id, std::span<uint8_t> out) override;
  // Writes a sealed page; asserts it is not a meta page and its size is the page size.
  [[nodiscard]] absl::Status write_page(PageId page_id, std::span<const uint8_t> page);
  // Grows the file to hold `page_count` pages: allocated pages that were freed again in the same
  // transaction are never written, but the meta's page count must never exceed the file.
  [[nodiscard]] absl::Status ensure_page_count(uint64_t page_count);
  [[nodiscard]] absl::Status sync();
  // Encodes `meta` into the slot the current meta is not in, writes and syncs it. Precondition: the
  // pages it references are written and synced (the caller syncs before).
  [[nodiscard]] absl::Status write_meta(const Meta& meta);

  [[nodiscard]] const Meta& meta() const { return meta_; }
  [[nodiscard]] uint32_t page_size_bytes() const { return meta_.page_size_bytes; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  Pager(std::unique_ptr<vfs::File> file, std::string path, const Meta& meta, PageId meta_slot)
      : file_(std::move(file)), path_(std::move(path)), meta_(meta), meta_slot_(meta_slot) {}

  [[nodiscard]] absl::Status verify_structure(PageId page_id, std::span<const uint8_t> page) const;

  std::unique_ptr<vfs::File> file_;
  const std::string path_;
  // The meta of the last durable commit, and the slot it is in.
  Meta meta_;
  PageId meta_slot_;
};

// Reads both metas of an open data file and returns the valid one with the highest txn id (A on
// a tie), and its slot in *slot if given.
[[nodiscard]] absl::StatusOr<Meta> ReadBestMeta(vfs::File& file, PageId* slot = nullptr);

}  // namespace northstar::engine
