// The cartridge file beside the database: its name, an atomic write, and an open that maps and
// fully checks it before anything is served from it.
//
// "x.ns" -> "x.pending_tasks_by_type.cartridge" (other names get the suffix appended). A write
// goes to "<cartridge>.tmp" (any leftover removed first), is synced, renamed over the cartridge
// and the directory synced: after a crash the name holds the old file or the new one, whole.
// One writer per cartridge at a time: two concurrent writers would share the temporary name.
//
// A MappedCartridge owns a read-only view of the file (vfs::File::map_read_only: mmap on posix
// and uring) and the decoded directory over it. The file is never changed in place (only
// replaced by rename), so the view stays valid and unchanged for the MappedCartridge's life.
//
// Thread safety: a MappedCartridge is immutable after open; any number of threads may look up.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cartridge/cartridge_format.h"
#include "vfs/file_system.h"

namespace northstar::cartridge {

// The cartridge of the database whose data file is `data_path`.
[[nodiscard]] std::string CartridgePathFor(std::string_view data_path);

// Writes `bytes` as the file `path` atomically and durably (see the header comment). On error
// the old file, if any, is still there; the temporary is removed when possible.
[[nodiscard]] absl::Status WriteCartridgeFile(vfs::FileSystem& fs, const std::string& path,
                                              std::span<const uint8_t> bytes);

class MappedCartridge {
 public:
  // Maps and decodes `path`. NotFound when there is no such file; DataLoss naming the path, the
  // field and the offset when it does not decode; the file system's errors otherwise.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MappedCartridge>> Open(
      vfs::FileSystem& fs, const std::string& path);

  MappedCartridge(const MappedCartridge&) = delete;
  MappedCartridge& operator=(const MappedCartridge&) = delete;

  [[nodiscard]] const CartridgeView& view() const { return view_; }
  [[nodiscard]] engine::TxnId watermark_txn() const { return view_.watermark_txn(); }
  [[nodiscard]] uint64_t file_bytes() const { return view_.bytes().size(); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  MappedCartridge(std::string path, std::unique_ptr<vfs::FileMapping> mapping, CartridgeView view)
      : path_(std::move(path)), mapping_(std::move(mapping)), view_(std::move(view)) {}

  const std::string path_;
  const std::unique_ptr<vfs::FileMapping> mapping_;  // What view_ points into.
  const CartridgeView view_;
};

}  // namespace northstar::cartridge
