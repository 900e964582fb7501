#include "torture/repro.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_format.h"
#include "sim/scenario_io.h"
#include "util/exit_codes.h"
#include "util/build_stamp.h"
#include "util/status.h"

#ifndef NORTHSTAR_VERSION
#define NORTHSTAR_VERSION "unknown"
#endif
#ifndef NORTHSTAR_BUILD_TYPE
#define NORTHSTAR_BUILD_TYPE "unknown"
#endif

namespace northstar::torture {
namespace {

constexpr std::string_view kHeaderRepro = "# northstar repro: ";
constexpr std::string_view kHeaderTraceHash = "# trace hash: ";
constexpr std::string_view kHeaderBuild = "# build: ";
constexpr std::string_view kHeaderPlantedBug = "# planted bug: ";

constexpr uint32_t kSeedHexDigitsMax = 16;

std::string_view Compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown-compiler";
#endif
}

// The rest of the first line of `text` that starts with `prefix`; nullopt if none does.
std::optional<std::string> CommentValue(const std::string& text, std::string_view prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return line.substr(prefix.size());
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<sim::RunResult> RunSeed(const sim::Scenario& scenario, sim::PlantedBug bug,
                                       sim::RunOptions options) {
  options.planted_bug = bug;
  return sim::RunScenario(scenario, options);
}

std::optional<uint64_t> ParseSeed(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty() || text.size() > kSeedHexDigitsMax) return std::nullopt;
  uint64_t seed = 0;
  for (char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    seed = seed * 16 + static_cast<uint64_t>(digit);
  }
  return seed;
}

std::string FormatSeed(uint64_t seed) { return absl::StrFormat("0x%x", seed); }

std::string FormatTraceHash(uint64_t trace_hash) { return absl::StrFormat("0x%016x", trace_hash); }

int ExitCodeForVerdict(sim::Verdict verdict, sim::Verdict expect) {
  if (verdict == expect) return kExitOk;
  if (verdict == sim::Verdict::kLiveness) return kExitLiveness;
  if (verdict == sim::Verdict::kWorkerCrash) return kExitWorkerCrashed;
  return kExitCheckFailed;
}

std::string FormatStats(const sim::RunStats& stats, double elapsed_ms) {
  return absl::StrFormat(
      "ops %d, commits %d, reads %d, crashes %d, recoveries %d, faults %d, steps %d, ios %d, "
      "%.0f ms",
      stats.ops, stats.commits, stats.reads, stats.crashes, stats.recoveries, stats.faults,
      stats.steps, stats.ios, elapsed_ms);
}

std::string OneLine(std::string_view message) {
  std::string line;
  for (char c : message) {
    const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (c == '\n') {
      while (line.ends_with(' ')) line.pop_back();
      if (!line.empty() && !line.ends_with(';')) line += ';';
      line += ' ';
    } else if (control || c == ' ') {
      if (!line.ends_with(' ')) line += ' ';
    } else {
      line += c;
    }
  }
  while (line.ends_with(' ') || line.ends_with(';')) line.pop_back();
  return line;
}

std::string FailureLine(sim::Verdict verdict, std::string_view message) {
  const std::string line = OneLine(message);
  const std::string prefix = absl::StrFormat("%s: ", sim::VerdictName(verdict));
  if (line.starts_with(prefix)) return line;
  return line.empty() ? std::string(sim::VerdictName(verdict)) : prefix + line;
}

std::string BuildDescription() {
  return absl::StrFormat("northstar %s git %s %s %s", NORTHSTAR_VERSION, BuildGitCommit(),
                         Compiler(), NORTHSTAR_BUILD_TYPE);
}

std::string ReproFileName(const sim::Scenario& scenario, sim::Verdict verdict) {
  return absl::StrFormat("%s-%s-%s.toml", scenario.name, FormatSeed(scenario.seed),
                         sim::VerdictName(verdict));
}

std::string FormatRepro(const ReproInfo& info, std::string_view path) {
  sim::Scenario scenario = info.scenario;
  scenario.expect = info.verdict;
  std::string text =
      absl::StrFormat("%s%s\n", kHeaderRepro, FailureLine(info.verdict, info.message));
  text += absl::StrFormat("%s%s\n", kHeaderTraceHash,
                          info.trace_hash ? FormatTraceHash(*info.trace_hash)
                                          : std::string("none (the worker crashed)"));
  text += absl::StrFormat("%s%s\n", kHeaderBuild, BuildDescription());
  if (info.bug != sim::PlantedBug::kNone) {
    text += absl::StrFormat("%s%s\n", kHeaderPlantedBug, sim::PlantedBugName(info.bug));
  }
  text += absl::StrFormat("# reproduce: northstar replay %s\n\n", path);
  return text + sim::FormatScenario(scenario);
}

absl::StatusOr<std::string> WriteRepro(const ReproInfo& info, const std::string& out_dir) {
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot create the directory: %s", out_dir, error.message()));
  }
  const std::string path =
      (std::filesystem::path(out_dir) / ReproFileName(info.scenario, info.verdict)).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << FormatRepro(info, path);
  out.close();
  if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", path));
  return path;
}

absl::StatusOr<Repro> ReadRepro(const std::string& path) {
  NS_ASSIGN_OR_RETURN(const std::string text, sim::ReadScenarioText(path));
  Repro repro;
  NS_ASSIGN_OR_RETURN(repro.scenario, sim::ParseScenario(text, path));
  if (std::optional<std::string> hash = CommentValue(text, kHeaderTraceHash)) {
    if (hash->starts_with("0x")) {
      const std::optional<uint64_t> value = ParseSeed(*hash);
      if (!value) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: bad trace hash comment '%s'", path, *hash));
      }
      repro.trace_hash = value;
    }
  }
  if (std::optional<std::string> bug = CommentValue(text, kHeaderPlantedBug)) {
    const std::optional<sim::PlantedBug> value = sim::PlantedBugFromName(*bug);
    if (!value) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: unknown planted bug '%s'", path, *bug));
    }
    repro.bug = *value;
  }
  repro.build = CommentValue(text, kHeaderBuild).value_or("");
  return repro;
}

}  // namespace northstar::torture
