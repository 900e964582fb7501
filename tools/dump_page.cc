// `northstar dump --page N`: one page in detail, or (--raw) its bytes as a hexdump.
#include <algorithm>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format/node.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "tools/cli.h"
#include "tools/dump.h"
#include "util/coding.h"
#include "util/status.h"

namespace northstar::tools {
namespace {

using engine::PageId;
using Page = std::span<const uint8_t>;

constexpr size_t kHexdumpBytesPerLine = 16;
static_assert(kHeaderChecksumOffset + 8 == engine::kPageHeaderBytes);  // u32 checksum, u32 reserved
// Where leaves and branches keep cells_begin (engine/format/node.h).
constexpr size_t kNodeCellsBeginOffset = engine::kPageHeaderBytes + 2;

std::string Key(std::string_view key) {
  return absl::StrFormat("\"%s\" (%d bytes)", EscapeTruncated(key, kDumpDetailKeyCharsMax),
                         key.size());
}

// "00000010  25 00 ... 00  |%.......|", as hexdump -C prints it.
std::string HexLine(size_t offset, Page line) {
  std::string hex;
  std::string text;
  for (size_t index = 0; index < kHexdumpBytesPerLine; index++) {
    if (index == kHexdumpBytesPerLine / 2) hex += " ";
    if (index >= line.size()) {
      hex += "   ";
      continue;
    }
    hex += absl::StrFormat(" %02x", line[index]);
    text += line[index] >= 0x20 && line[index] < 0x7f ? static_cast<char>(line[index]) : '.';
  }
  return absl::StrFormat("%08x %s  |%s|\n", offset, hex, text);
}

// True if the full line at `offset` equals the one `lines_back` lines before it.
bool Repeats(Page bytes, size_t offset, size_t lines_back) {
  const size_t back_bytes = lines_back * kHexdumpBytesPerLine;
  if (offset < back_bytes || offset + kHexdumpBytesPerLine > bytes.size()) return false;
  return std::equal(bytes.begin() + offset, bytes.begin() + offset + kHexdumpBytesPerLine,
                    bytes.begin() + offset - back_bytes);
}

// hexdump -C style: a run of lines equal to the one before them is shown as one "*".
void HexDump(Page bytes) {
  for (size_t offset = 0; offset < bytes.size(); offset += kHexdumpBytesPerLine) {
    if (Repeats(bytes, offset, 1)) {
      const bool run_starts =
          offset < 2 * kHexdumpBytesPerLine || !Repeats(bytes, offset - kHexdumpBytesPerLine, 1);
      if (run_starts) std::cout << "*\n";
      continue;
    }
    const size_t line_bytes = std::min(kHexdumpBytesPerLine, bytes.size() - offset);
    std::cout << HexLine(offset, bytes.subspan(offset, line_bytes));
  }
  std::cout << absl::StrFormat("%08x\n", bytes.size());
}

void PrintHeader(PageId page_id, Page page) {
  const uint8_t raw_type = page[kHeaderTypeOffset];
  std::cout << absl::StrFormat(
      "page %d\n  magic           0x%08x\n  format version  %d\n  type            %d (%s)\n"
      "  page id         %d\n  txn             %d\n  checksum        0x%08x (computed 0x%08x)\n",
      page_id, DecodeFixed32(page.data() + kHeaderMagicOffset),
      DecodeFixed16(page.data() + kHeaderVersionOffset), raw_type,
      engine::PageTypeName(static_cast<engine::PageType>(raw_type)),
      DecodeFixed64(page.data() + kHeaderPageIdOffset),
      DecodeFixed64(page.data() + kHeaderTxnOffset),
      DecodeFixed32(page.data() + kHeaderChecksumOffset), engine::PageChecksum(page));
}

// A node's cells_begin field: 0 stands for 65536.
size_t CellsBegin(Page page) {
  const size_t stored = DecodeFixed16(page.data() + kNodeCellsBeginOffset);
  return stored == 0 ? 65536 : stored;
}

size_t Slot(Page page, size_t slots_begin, size_t index) {
  return DecodeFixed16(page.data() + slots_begin + index * engine::kSlotBytes);
}

void PrintLeaf(Page page) {
  const engine::LeafView view = engine::LeafView::FromVerified(page);
  std::cout << absl::StrFormat("  entries         %d\n  cells begin     %d\n", view.size(),
                               CellsBegin(page));
  for (size_t index = 0; index < view.size(); index++) {
    const std::string value =
        view.is_overflow(index) ? absl::StrFormat("on overflow page %d", view.overflow_page(index))
                                : "inline";
    std::cout << absl::StrFormat("  slot %d: offset %d, key %s, value %d bytes %s\n", index,
                                 Slot(page, engine::kNodeHeaderEndBytes, index),
                                 Key(view.key(index)), view.value_size_bytes(index), value);
  }
}

void PrintBranch(Page page) {
  const engine::BranchView view = engine::BranchView::FromVerified(page);
  std::cout << absl::StrFormat("  keys            %d\n  cells begin     %d\n  child 0         %d\n",
                               view.key_count(), CellsBegin(page), view.child(0));
  for (size_t index = 0; index < view.key_count(); index++) {
    std::cout << absl::StrFormat("  slot %d: offset %d, key %s, child %d\n", index,
                                 Slot(page, engine::kBranchSlotsBeginBytes, index),
                                 Key(view.key(index)), view.child(index + 1));
  }
}

absl::Status PrintBody(PageId page_id, Page page) {
  switch (static_cast<engine::PageType>(page[kHeaderTypeOffset])) {
    case engine::PageType::kLeaf:
      PrintLeaf(page);
      break;
    case engine::PageType::kBranch:
      PrintBranch(page);
      break;
    case engine::PageType::kOverflow: {
      NS_ASSIGN_OR_RETURN(const engine::OverflowView view, engine::ParseOverflow(page, page_id));
      std::cout << absl::StrFormat("  next            %d\n  chunk size      %d bytes\n", view.next,
                                   view.chunk.size());
      break;
    }
    case engine::PageType::kFreeList: {
      NS_ASSIGN_OR_RETURN(const engine::FreeListView view, engine::ParseFreeList(page, page_id));
      std::cout << absl::StrFormat("  next            %d\n  count           %d\n  ids            ",
                                   view.next, view.size());
      for (size_t index = 0; index < view.size(); index++) std::cout << " " << view.id(index);
      std::cout << "\n";
      break;
    }
    case engine::PageType::kMeta: {
      NS_ASSIGN_OR_RETURN(const engine::Meta meta, engine::DecodeMeta(page, page_id));
      std::cout << "  meta            " << FormatMeta(meta) << "\n";
      break;
    }
  }
  return absl::OkStatus();
}

// Reads page `page_id` as the engine would (the pager's full check, DecodeMeta for a meta page).
absl::Status ReadVerified(vfs::FileSystem& fs, const std::string& path, vfs::File& file,
                          PageId page_id, std::vector<uint8_t>& page) {
  if (page_id >= engine::kFirstDataPage) {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Pager> pager, engine::Pager::open(fs, path));
    return pager->read_page(page_id, page);
  }
  NS_RETURN_IF_ERROR(vfs::ReadExact(file, page_id * page.size(), page));
  absl::Status status = engine::DecodeMeta(page, page_id).status();
  if (status.ok()) return status;
  return absl::DataLossError(absl::StrFormat("%s: %s", path, status.message()));
}

int Raw(vfs::File& file, PageId page_id, std::vector<uint8_t>& page) {
  absl::StatusOr<size_t> read_bytes = file.pread(page_id * page.size(), page);
  if (!read_bytes.ok()) return ReportError("dump", read_bytes.status());
  if (*read_bytes == 0) {
    return ReportError("dump",
                       absl::InvalidArgumentError(absl::StrFormat(
                           "%s: page %d is beyond the end of the file", file.path(), page_id)));
  }
  std::cout << absl::StrFormat("page %d: %d bytes at offset %d%s\n", page_id, *read_bytes,
                               page_id * page.size(),
                               *read_bytes < page.size() ? " (the file ends inside the page)" : "");
  HexDump(Page(page).first(*read_bytes));
  return kExitOk;
}

}  // namespace

int ReportCorruptPage(const std::string& path, PageId page_id, const absl::Status& status) {
  const int exit_code = ReportError("dump", status);
  std::cerr << absl::StrFormat(
      "northstar dump: 'northstar dump %s --page %d --raw' shows its bytes unchecked\n", path,
      page_id);
  return exit_code;
}

int DumpPage(vfs::FileSystem& fs, const std::string& path, PageId page_id, bool raw) {
  absl::StatusOr<std::unique_ptr<vfs::File>> file = fs.open(path, {});
  if (!file.ok()) return ReportError("dump", file.status());
  // The page size comes from a valid meta: without one, no page boundary is known.
  absl::StatusOr<engine::Meta> meta = engine::ReadBestMeta(**file);
  if (!meta.ok()) return ReportError("dump", meta.status());
  std::vector<uint8_t> page(meta->page_size_bytes);
  if (raw) return Raw(**file, page_id, page);
  if (page_id >= meta->page_count) {
    return ReportError("dump", absl::InvalidArgumentError(absl::StrFormat(
                                   "%s: page %d is beyond the %d pages of the database (txn %d)",
                                   path, page_id, meta->page_count, meta->txn_id)));
  }
  absl::Status status = ReadVerified(fs, path, **file, page_id, page);
  if (!status.ok()) return ReportCorruptPage(path, page_id, status);
  PrintHeader(page_id, page);
  status = PrintBody(page_id, page);
  if (!status.ok()) return ReportCorruptPage(path, page_id, status);
  return kExitOk;
}

}  // namespace northstar::tools
