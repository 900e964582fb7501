#include "engine/pager.h"

#include <array>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format/node.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

// The candidate page sizes, smallest first, where meta B may sit if meta A is unreadable.
constexpr std::array<uint32_t, 5> kPageSizes = {4096, 8192, 16384, 32768, 65536};

// Meta `slot` read at page size `page_size_bytes`, or the reason it is not usable.
absl::StatusOr<Meta> ReadMeta(vfs::File& file, PageId slot, uint32_t page_size_bytes) {
  std::vector<uint8_t> page(page_size_bytes);
  NS_RETURN_IF_ERROR(vfs::ReadExact(file, slot * page_size_bytes, page));
  return DecodeMeta(page, slot);
}

// Meta A's own idea of the page size, if its first bytes are readable.
std::optional<uint32_t> PeekPageSize(vfs::File& file) {
  std::array<uint8_t, kPageSizeMinBytes> first{};
  if (!vfs::ReadExact(file, 0, first).ok()) return std::nullopt;
  const uint32_t page_size_bytes = PeekMetaPageSize(first);
  if (!IsValidPageSize(page_size_bytes)) return std::nullopt;
  return page_size_bytes;
}

}  // namespace

absl::StatusOr<Meta> ReadBestMeta(vfs::File& file, PageId* slot) {
  std::optional<Meta> best;
  PageId best_slot = kMetaPageA;
  absl::Status meta_a_error =
      absl::DataLossError("meta A: page size field is not a valid page size");
  if (std::optional<uint32_t> page_size_bytes = PeekPageSize(file)) {
    absl::StatusOr<Meta> meta_a = ReadMeta(file, kMetaPageA, *page_size_bytes);
    if (meta_a.ok()) {
      best = *meta_a;
    } else {
      meta_a_error = meta_a.status();
    }
  }
  // Meta B: at meta A's page size if A is good, else at whichever size B itself confirms.
  absl::Status meta_b_error = absl::DataLossError("meta B: no valid meta at any page size");
  for (uint32_t page_size_bytes : kPageSizes) {
    if (best && page_size_bytes != best->page_size_bytes) continue;
    absl::StatusOr<Meta> meta_b = ReadMeta(file, kMetaPageB, page_size_bytes);
    if (!meta_b.ok()) {
      if (best) meta_b_error = meta_b.status();
      continue;
    }
    if (!best || meta_b->txn_id > best->txn_id) {
      best = *meta_b;
      best_slot = kMetaPageB;
    }
    break;
  }
  if (!best) {
    return absl::DataLossError(
        absl::StrFormat("%s: not a Northstar database, or both meta pages are corrupt (%s; %s)",
                        file.path(), meta_a_error.message(), meta_b_error.message()));
  }
  if (slot != nullptr) *slot = best_slot;
  return *best;
}

absl::StatusOr<std::unique_ptr<Pager>> Pager::create(vfs::FileSystem& fs, std::string path,
                                                     uint32_t page_size_bytes) {
  if (!IsValidPageSize(page_size_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("create %s: page size %d is not a power of two in [%d, %d]", path,
                        page_size_bytes, kPageSizeMinBytes, kPageSizeMaxBytes));
  }
  NS_ASSIGN_OR_RETURN(const bool exists, fs.exists(path));
  if (exists) return absl::AlreadyExistsError(absl::StrFormat("create %s: file exists", path));
  const std::string temporary_path = path + ".creating";
  if (fs.exists(temporary_path).value_or(false)) NS_RETURN_IF_ERROR(fs.remove(temporary_path));
  {
    NS_ASSIGN_OR_RETURN(auto file, fs.open(temporary_path, {.create = true, .exclusive = true}));
    Meta meta;
    meta.page_size_bytes = page_size_bytes;
    std::vector<uint8_t> page(page_size_bytes);
    for (PageId slot : {kMetaPageA, kMetaPageB}) {
      EncodeMeta(meta, slot, page);
      NS_RETURN_IF_ERROR(file->pwrite(slot * page_size_bytes, page));
    }
    NS_RETURN_IF_ERROR(file->sync());
    NS_RETURN_IF_ERROR(file->close());
  }
  NS_RETURN_IF_ERROR(fs.rename(temporary_path, path));
  NS_RETURN_IF_ERROR(fs.sync_dir(vfs::DirectoryOf(path)));
  return open(fs, std::move(path));
}

absl::StatusOr<std::unique_ptr<Pager>> Pager::open(vfs::FileSystem& fs, std::string path) {
  NS_ASSIGN_OR_RETURN(auto file, fs.open(path, {}));
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, file->size());
  if (size_bytes < 2 * uint64_t{kPageSizeMinBytes}) {
    return absl::DataLossError(absl::StrFormat(
        "%s: not a Northstar database (%d bytes, shorter than two meta pages)", path, size_bytes));
  }
  PageId slot = kMetaPageA;
  NS_ASSIGN_OR_RETURN(const Meta meta, ReadBestMeta(*file, &slot));
  const uint64_t needed_bytes = meta.page_count * meta.page_size_bytes;
  if (size_bytes < needed_bytes) {
    return absl::DataLossError(absl::StrFormat(
        "%s: truncated: %d bytes, but meta (txn %d) says %d pages of %d bytes = %d bytes", path,
        size_bytes, meta.txn_id, meta.page_count, meta.page_size_bytes, needed_bytes));
  }
  return std::unique_ptr<Pager>(new Pager(std::move(file), std::move(path), meta, slot));
}

absl::Status Pager::read_page(PageId page_id, std::span<uint8_t> out) {
  NS_ASSERT(out.size() == page_size_bytes());
  if (page_id < kFirstDataPage || page_id >= kPageCountMax) {
    return absl::DataLossError(
        absl::StrFormat("%s: page id %d is not a data page", path_, page_id));
  }
  NS_RETURN_IF_ERROR(vfs::ReadExact(*file_, page_id * page_size_bytes(), out));
  return verify_structure(page_id, out);
}

absl::Status Pager::verify_structure(PageId page_id, std::span<const uint8_t> page) const {
  absl::StatusOr<PageHeader> header = CheckPage(page, page_id);
  absl::Status status = header.status();
  if (status.ok()) {
    switch (header->type) {
      case PageType::kLeaf:
        status = LeafView::Parse(page, page_id).status();
        break;
      case PageType::kBranch:
        status = BranchView::Parse(page, page_id).status();
        break;
      case PageType::kOverflow:
        status = ParseOverflow(page, page_id).status();
        break;
      case PageType::kFreeList:
        status = ParseFreeList(page, page_id).status();
        break;
      case PageType::kMeta:
        status = absl::DataLossError(
            absl::StrFormat("page %d: a meta page where a data page belongs", page_id));
        break;
    }
  }
  if (status.ok()) return status;
  return absl::DataLossError(absl::StrFormat("%s: %s", path_, status.message()));
}

absl::Status Pager::write_page(PageId page_id, std::span<const uint8_t> page) {
  NS_ASSERT(page_id >= kFirstDataPage);
  NS_ASSERT(page.size() == page_size_bytes());
  return file_->pwrite(page_id * page_size_bytes(), page);
}

absl::Status Pager::ensure_page_count(uint64_t page_count) {
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, file_->size());
  const uint64_t needed_bytes = page_count * page_size_bytes();
  if (size_bytes >= needed_bytes) return absl::OkStatus();
  return file_->truncate(needed_bytes);
}

absl::Status Pager::sync() { return file_->sync(); }

absl::Status Pager::write_meta(const Meta& meta) {
  NS_ASSERT(meta.page_size_bytes == meta_.page_size_bytes);
  NS_ASSERT(meta.txn_id > meta_.txn_id);
  std::vector<uint8_t> page(page_size_bytes());
  // Always the slot the current meta is not in: a torn write then falls back to the meta that
  // was durable until now, never to an older one whose pages may have been reused since.
  // (Checkpoints in log mode do not alternate txn parity, so the slot cannot follow the txn id.)
  const PageId slot = meta_slot_ == kMetaPageA ? kMetaPageB : kMetaPageA;
  EncodeMeta(meta, slot, page);
  NS_RETURN_IF_ERROR(file_->pwrite(slot * page_size_bytes(), page));
  NS_RETURN_IF_ERROR(file_->sync());
  meta_ = meta;
  meta_slot_ = slot;
  return absl::OkStatus();
}

}  // namespace northstar::engine
