// The stamped commit is the one built: equal to `git rev-parse --short HEAD` of the source
// directory, with "-dirty" exactly when a tracked file differs from HEAD. Skipped where git or
// the work tree is not available (a source tarball), where the stamp says "unknown".
#include "util/build_stamp.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace northstar {
namespace {

// The standard output of `git <args>` in the source directory, without its final newline;
// nullopt when git fails or is missing.
std::optional<std::string> Git(const std::string& args) {
  const std::string command =
      "git -C '" NORTHSTAR_SOURCE_DIR "' --no-optional-locks " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  std::array<char, 256> buffer;
  while (size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    output.append(buffer.data(), read);
  }
  const int status = ::pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

TEST(BuildStampTest, StampIsTheSourceTreesCommitAsBuilt) {
  const std::optional<std::string> head = Git("rev-parse --short HEAD");
  if (!head) GTEST_SKIP() << "git, or a work tree at " NORTHSTAR_SOURCE_DIR ", is not available";
  const std::optional<std::string> changes = Git("status --porcelain --untracked-files=no");
  ASSERT_TRUE(changes.has_value());
  if (changes->empty()) {
    EXPECT_EQ(BuildGitCommit(), *head)
        << "built from a clean tree at " << *head << " (rebuild if HEAD moved since the build)";
  } else {
    EXPECT_EQ(BuildGitCommit(), *head + "-dirty")
        << "built from a tree with changes to tracked files (rebuild if HEAD moved or the "
           "changes were committed since the build)";
  }
}

TEST(BuildStampTest, StampIsNeverEmpty) { EXPECT_FALSE(BuildGitCommit().empty()); }

}  // namespace
}  // namespace northstar
