// Shared pieces of the `northstar` command line: exit codes, error reporting, argument parsing
// (Boost.Program_options) and the printing of binary keys and values.
//
// Every subcommand is a function from its arguments (what follows its name on the command line)
// to an exit code. Library calls return absl::Status; a subcommand reports an error with
// ReportError() and returns its exit code. Boost.Program_options throws on bad usage; ParseArgs()
// catches that, so no exception leaves a subcommand.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/program_options.hpp"

#include "util/exit_codes.h"

namespace northstar::tools {

namespace po = boost::program_options;

using Args = std::vector<std::string>;

// Subcommand entry points.
[[nodiscard]] int RunKv(const Args& args);
[[nodiscard]] int RunValidate(const Args& args);
[[nodiscard]] int RunDump(const Args& args);
[[nodiscard]] int RunLogdump(const Args& args);
[[nodiscard]] int RunScenarioCommand(const Args& args);
[[nodiscard]] int RunRun(const Args& args);
[[nodiscard]] int RunTorture(const Args& args);
[[nodiscard]] int RunReplay(const Args& args);
[[nodiscard]] int RunShrink(const Args& args);
[[nodiscard]] int RunBench(const Args& args);
[[nodiscard]] int RunCartridge(const Args& args);

// Prints "northstar <command>: <message>" to stderr and returns ExitCodeFor(status).
[[nodiscard]] int ReportError(std::string_view command, const absl::Status& status);

// Prints "northstar <command>: <message>" and a pointer to --help to stderr; kExitBadInput.
[[nodiscard]] int UsageError(std::string_view command, std::string_view message);

// What a subcommand shows for --help.
struct CommandHelp {
  const char* name;      // "kv"
  const char* synopsis;  // Usage lines, each ending in '\n'.
  const char* details;   // Printed after the options: arguments, output, exit codes.
};

// The options every subcommand has (--help), under the caption "options".
[[nodiscard]] po::options_description CommonFlags();

// Parses `args` against `flags` (shown by --help) and `positionals` (hidden options that
// `positional` maps the positional arguments to). Returns an exit code when the command must
// stop now: kExitOk after printing --help to stdout, kExitBadInput after a usage error (unknown
// flag, bad value, too many arguments); nullopt when `values` holds the parsed arguments.
// Long options must be spelled out (no guessing from a prefix); "--" ends the options.
[[nodiscard]] std::optional<int> ParseArgs(const CommandHelp& help, const Args& args,
                                           const po::options_description& flags,
                                           const po::options_description& positionals,
                                           const po::positional_options_description& positional,
                                           po::variables_map& values);

// A duration flag: "90s", "10m", "1h30m", "2d"; a bare number is seconds. nullopt if malformed
// or zero (torture's and shrink's --time-budget).
[[nodiscard]] std::optional<std::chrono::seconds> ParseDuration(std::string_view text);

// Printable ASCII as is, a backslash as "\\", every other byte as "\xNN": one line, no tabs.
[[nodiscard]] std::string EscapeBytes(std::string_view bytes);
// As EscapeBytes, cut to at most `chars_max` characters followed by "..." when longer. An
// escape sequence is never cut in half.
[[nodiscard]] std::string EscapeTruncated(std::string_view bytes, size_t chars_max);
// Lower-case hex, two digits per byte.
[[nodiscard]] std::string HexEncode(std::string_view bytes);
// The bytes of an even-length hex string (either case); InvalidArgument naming `what` otherwise.
[[nodiscard]] absl::StatusOr<std::string> HexDecode(std::string_view hex, std::string_view what);

}  // namespace northstar::tools
