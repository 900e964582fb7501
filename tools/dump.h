// The pieces of `northstar dump` (cmd_dump.cc): the tree walk (dump_tree.cc) and the detail or
// hexdump of one page (dump_page.cc). Everything reads, nothing writes; output goes to stdout,
// errors to stderr as "northstar dump: <message>".
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "engine/format/meta.h"
#include "engine/pager.h"
#include "vfs/file_system.h"

namespace northstar::tools {

// Offsets of page header fields (engine/format/page.h has the layout).
inline constexpr size_t kHeaderMagicOffset = 0;
inline constexpr size_t kHeaderVersionOffset = 4;
inline constexpr size_t kHeaderTypeOffset = 6;
inline constexpr size_t kHeaderPageIdOffset = 8;
inline constexpr size_t kHeaderTxnOffset = 16;
inline constexpr size_t kHeaderChecksumOffset = 24;

// Keys in the tree listing are escaped and cut to this many characters.
inline constexpr size_t kDumpKeyCharsMax = 40;
// In the detail of one page, to this many.
inline constexpr size_t kDumpDetailKeyCharsMax = 200;

// Meta page `slot` of `file` decoded at `page_size_bytes`, or why it is not valid.
[[nodiscard]] absl::StatusOr<engine::Meta> ReadMetaSlot(vfs::File& file, engine::PageId slot,
                                                        uint32_t page_size_bytes);
// "txn 4, page size 16384, height 2, root 5, ..." (every field).
[[nodiscard]] std::string FormatMeta(const engine::Meta& meta);

// Prints the tree of the pager's meta, depth first, then the free-list chain. Reports every page
// that cannot be read (or is not of the type its depth calls for) on stderr and goes on with the
// rest. False if there was any.
[[nodiscard]] bool DumpTree(engine::Pager& pager);

// Reports `status` (page `page_id` could not be read) on stderr, with the command that hexdumps
// the page; returns the exit code.
[[nodiscard]] int ReportCorruptPage(const std::string& path, engine::PageId page_id,
                                    const absl::Status& status);

// Prints page `page_id` in detail: header fields, then the body by type (meta fields; every slot
// of a node; an overflow page's next link and chunk size; a free-list page's ids). With `raw`, a
// hexdump of the bytes on disk instead, without any check. Returns the exit code.
[[nodiscard]] int DumpPage(vfs::FileSystem& fs, const std::string& path, engine::PageId page_id,
                           bool raw);

}  // namespace northstar::tools
