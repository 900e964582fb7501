#include "cartridge/cartridge_file.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

constexpr std::string_view kDataSuffix = ".ns";
constexpr std::string_view kCartridgeSuffix = ".pending_tasks_by_type.cartridge";
constexpr std::string_view kTemporarySuffix = ".tmp";

absl::Status WriteSynced(vfs::FileSystem& fs, const std::string& path,
                         std::span<const uint8_t> bytes) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file,
                      fs.open(path, {.create = true, .exclusive = true}));
  NS_RETURN_IF_ERROR(file->pwrite(0, bytes));
  NS_RETURN_IF_ERROR(file->sync());
  return file->close();
}

}  // namespace

std::string CartridgePathFor(std::string_view data_path) {
  if (data_path.ends_with(kDataSuffix)) data_path.remove_suffix(kDataSuffix.size());
  return absl::StrFormat("%s%s", data_path, kCartridgeSuffix);
}

absl::Status WriteCartridgeFile(vfs::FileSystem& fs, const std::string& path,
                                std::span<const uint8_t> bytes) {
  const std::string temporary = absl::StrFormat("%s%s", path, kTemporarySuffix);
  // A leftover of a write that crashed: never part of any state, safe to drop.
  if (absl::Status removed = fs.remove(temporary); !removed.ok() && !absl::IsNotFound(removed)) {
    return removed;
  }
  absl::Status status = WriteSynced(fs, temporary, bytes);
  if (status.ok()) status = fs.rename(temporary, path);
  if (!status.ok()) {
    (void)fs.remove(temporary);  // Best effort: the error that matters is `status`.
    return status;
  }
  return fs.sync_dir(vfs::DirectoryOf(path));
}

absl::StatusOr<std::unique_ptr<MappedCartridge>> MappedCartridge::Open(vfs::FileSystem& fs,
                                                                       const std::string& path) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file, fs.open(path, {}));
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::FileMapping> mapping, file->map_read_only());
  NS_RETURN_IF_ERROR(file->close());
  absl::StatusOr<CartridgeView> view = DecodeCartridge(mapping->bytes());
  if (!view.ok()) {
    return absl::Status(view.status().code(),
                        absl::StrFormat("%s: %s", path, view.status().message()));
  }
  return std::unique_ptr<MappedCartridge>(
      new MappedCartridge(path, std::move(mapping), *std::move(view)));
}

}  // namespace northstar::cartridge
