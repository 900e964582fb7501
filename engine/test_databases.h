// Small deterministic databases for tests: the golden files, the corruption sweep, the CLI.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "vfs/file_system.h"

namespace northstar::engine {

using KeyValues = std::map<std::string, std::string>;

// The contents of the small test database after its first and its second commit.
[[nodiscard]] KeyValues SmallDatabaseFirstCommit();
[[nodiscard]] KeyValues SmallDatabaseSecondCommit();

// Creates the small database at `path` (4 KiB pages, two commits: a few hundred keys, a
// three-level tree, overflow values, deletes so that the free list is in use). Deterministic:
// the same bytes every time.
[[nodiscard]] absl::Status BuildSmallDatabase(vfs::FileSystem& fs, const std::string& path);
// An empty database at `path` (4 KiB pages, no commit).
[[nodiscard]] absl::Status BuildEmptyDatabase(vfs::FileSystem& fs, const std::string& path);

}  // namespace northstar::engine
