// northstar scenario fmt|check <file>...: the canonical form of scenario files, and their
// validation (spec/scenario_format.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_format.h"
#include "sim/scenario_io.h"
#include "tools/cli.h"
#include "util/status.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "scenario",
    "  northstar scenario fmt <file>... [--in-place | --check]\n"
    "  northstar scenario check <file>...\n",
    "fmt reads each scenario file and prints its canonical form to stdout: every key in a fixed\n"
    "order with its value, defaults included, no comments (spec/scenario_format.md). With\n"
    "--in-place it rewrites each file that is not canonical (and says so); with --check it\n"
    "changes nothing and prints \"ok: <file>\" or \"not canonical: <file>\" for each.\n"
    "check reads and validates each file and prints \"ok: <file>\", or the error with the file,\n"
    "line and column. Both go on past a bad file and report every file.\n\n"
    "Exit codes: 0 every file is valid (and, for fmt --check, canonical); 1 fmt --check found a\n"
    "file that is not canonical; 2 a file is missing, is not TOML, or is not a valid scenario,\n"
    "or bad usage.\n"};

struct Flags {
  std::string action;
  std::vector<std::string> files;
  bool in_place = false;
  bool check = false;
};

std::optional<int> Parse(const Args& argv, Flags& flags) {
  po::options_description options = CommonFlags();
  options.add_options()("in-place,i", po::bool_switch(&flags.in_place),
                        "fmt: rewrite each file that is not canonical")(
      "check", po::bool_switch(&flags.check),
      "fmt: change nothing; exit 1 if a file is not canonical");
  po::options_description positionals;
  positionals.add_options()("action", po::value(&flags.action))("files", po::value(&flags.files));
  po::positional_options_description positional;
  positional.add("action", 1).add("files", -1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, options, positionals, positional, values)) {
    return exit_code;
  }
  if (flags.action.empty()) return UsageError(kHelp.name, "missing 'fmt' or 'check'");
  if (flags.action != "fmt" && flags.action != "check") {
    return UsageError(kHelp.name,
                      absl::StrFormat("unknown action '%s' (fmt or check)", flags.action));
  }
  if (flags.files.empty()) return UsageError(kHelp.name, "missing <file>");
  if (flags.action == "check" && (flags.in_place || flags.check)) {
    return UsageError(kHelp.name, "--in-place and --check are options of fmt");
  }
  if (flags.in_place && flags.check) {
    return UsageError(kHelp.name, "--in-place and --check exclude each other");
  }
  return std::nullopt;
}

// Replaces the file at `path` with `text`: written beside it, then renamed over it, so that a
// failure leaves the old file whole.
absl::Status Rewrite(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".fmt-tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", temporary));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot replace: %s", path, error.message()));
  }
  return absl::OkStatus();
}

// One file for fmt: the exit code for it.
int FormatFile(const Flags& flags, const std::string& path) {
  absl::StatusOr<std::string> text = sim::ReadScenarioText(path);
  if (!text.ok()) return ReportError(kHelp.name, text.status());
  absl::StatusOr<sim::Scenario> scenario = sim::ParseScenario(*text, path);
  if (!scenario.ok()) return ReportError(kHelp.name, scenario.status());
  const std::string canonical = sim::FormatScenario(*scenario);
  if (flags.check) {
    std::cout << (canonical == *text ? "ok: " : "not canonical: ") << path << "\n";
    return canonical == *text ? kExitOk : kExitCheckFailed;
  }
  if (!flags.in_place) {
    std::cout << canonical;
    return kExitOk;
  }
  if (canonical == *text) return kExitOk;
  const absl::Status written = Rewrite(path, canonical);
  if (!written.ok()) return ReportError(kHelp.name, written);
  std::cout << "formatted: " << path << "\n";
  return kExitOk;
}

int CheckFile(const std::string& path) {
  absl::StatusOr<sim::Scenario> scenario = sim::ReadScenarioFile(path);
  if (!scenario.ok()) return ReportError(kHelp.name, scenario.status());
  std::cout << "ok: " << path << "\n";
  return kExitOk;
}

}  // namespace

int RunScenarioCommand(const Args& argv) {
  Flags flags;
  if (auto exit_code = Parse(argv, flags)) return *exit_code;
  // The worst outcome wins: bad input (2) over a file that is not canonical (1).
  int exit_code = kExitOk;
  for (const std::string& path : flags.files) {
    const int file_exit_code = flags.action == "fmt" ? FormatFile(flags, path) : CheckFile(path);
    exit_code = std::max(exit_code, file_exit_code);
  }
  return exit_code;
}

}  // namespace northstar::tools
