// Validate: a full consistency check of a database file, for `northstar validate`, for tests
// after every commit, and for the simulator's checkers.
//
// Checks: both meta pages (which is valid, which is chosen); every reachable page's checksum and
// structure; the page type at each depth and every leaf at depth == height; key order inside
// nodes and separator bounds across them (every key of a child lies in [its lower separator, its
// upper separator)); non-root nodes non-empty (a leaf holds an entry, a branch two children);
// entry count against the meta; overflow runs (consecutive pages, next links, chunk sizes, total
// size); the free-list chain; and page accounting: reachable pages, free-list pages and free
// pages are exactly [kFirstDataPage, page_count), none twice, none missing.
//
// Reads through the file system directly, never through a cache, and writes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/format/meta.h"
#include "vfs/file_system.h"

namespace northstar::engine {

struct ValidationReport {
  Meta meta;  // The meta open would choose.
  bool meta_a_valid = false;
  bool meta_b_valid = false;
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t freelist_pages = 0;
  uint64_t free_pages = 0;
  uint64_t entries = 0;
  uint64_t leaf_bytes_used = 0;  // For the average leaf fill.
  // One line per problem, each naming the page (and key or field) where it was found. Empty
  // when the database is consistent. Capped at kProblemsMax.
  std::vector<std::string> problems;

  [[nodiscard]] bool ok() const { return problems.empty(); }
};

inline constexpr size_t kValidationProblemsMax = 100;

// An error status only when the file cannot be examined at all (missing, not a database, no
// valid meta); everything else is reported in `problems`.
[[nodiscard]] absl::StatusOr<ValidationReport> Validate(vfs::FileSystem& fs,
                                                        const std::string& path);

// "ok" or the problems, one per line, for messages and test failures.
[[nodiscard]] std::string FormatProblems(const ValidationReport& report);

}  // namespace northstar::engine
