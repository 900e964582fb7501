// What was built: the git commit of the source tree at build time (not at configure time), for
// benchmark result files (bench/system_info.cc) and repro files (tools/repro.cc).
//
// util/build_stamp.cmake runs on every build (the custom target northstar_build_stamp_git in
// util/CMakeLists.txt): `git rev-parse --short HEAD` of the source directory, with "-dirty" when
// a tracked file differs from HEAD (`git status --untracked-files=no`), or "unknown" without git
// or outside a work tree. It rewrites the generated build_stamp_git.cc only when that text
// changes, so an unchanged tree compiles and links nothing again.
//
// Thread safety: returns a constant.
#pragma once

#include <string_view>

namespace northstar {

// "3888fae", "3888fae-dirty" or "unknown".
[[nodiscard]] std::string_view BuildGitCommit();

}  // namespace northstar
