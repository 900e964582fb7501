#include "tools/cli.h"

#include <iostream>

#include "absl/strings/str_format.h"

namespace northstar::tools {
namespace {

// Unix style without guessing: "--rev" is not "--reverse", so that a new flag never changes
// what an old command line means.
constexpr int kParseStyle =
    po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;

void PrintHelp(const CommandHelp& help, const po::options_description& flags) {
  std::cout << "usage:\n" << help.synopsis << "\n" << flags << "\n" << help.details;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One byte as EscapeBytes shows it.
std::string EscapeByte(unsigned char byte) {
  if (byte == '\\') return "\\\\";
  if (byte >= 0x20 && byte < 0x7f) return std::string(1, static_cast<char>(byte));
  return absl::StrFormat("\\x%02x", byte);
}

}  // namespace

int ReportError(std::string_view command, const absl::Status& status) {
  std::cerr << absl::StrFormat("northstar %s: %s\n", command, status.message());
  return ExitCodeFor(status);
}

int UsageError(std::string_view command, std::string_view message) {
  std::cerr << absl::StrFormat("northstar %s: %s\nRun 'northstar %s --help' for usage.\n", command,
                               message, command);
  return kExitBadInput;
}

po::options_description CommonFlags() {
  po::options_description flags("options");
  flags.add_options()("help,h", "print this help and exit");
  return flags;
}

std::optional<int> ParseArgs(const CommandHelp& help, const Args& args,
                             const po::options_description& flags,
                             const po::options_description& positionals,
                             const po::positional_options_description& positional,
                             po::variables_map& values) {
  po::options_description all;
  all.add(flags).add(positionals);
  try {
    po::store(
        po::command_line_parser(args).options(all).positional(positional).style(kParseStyle).run(),
        values);
    po::notify(values);
  } catch (const po::error& error) {
    return UsageError(help.name, error.what());
  }
  if (values.count("help") != 0) {
    PrintHelp(help, flags);
    return kExitOk;
  }
  return std::nullopt;
}

std::string EscapeBytes(std::string_view bytes) {
  std::string escaped;
  for (char c : bytes) escaped += EscapeByte(static_cast<unsigned char>(c));
  return escaped;
}

std::string EscapeTruncated(std::string_view bytes, size_t chars_max) {
  std::string escaped;
  for (size_t index = 0; index < bytes.size(); index++) {
    const std::string piece = EscapeByte(static_cast<unsigned char>(bytes[index]));
    if (escaped.size() + piece.size() > chars_max) return escaped + "...";
    escaped += piece;
  }
  return escaped;
}

std::string HexEncode(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (char c : bytes) hex += absl::StrFormat("%02x", static_cast<unsigned char>(c));
  return hex;
}

absl::StatusOr<std::string> HexDecode(std::string_view hex, std::string_view what) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s '%s': odd number of hex digits", what, hex));
  }
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t index = 0; index < hex.size(); index += 2) {
    const int high = HexDigit(hex[index]);
    const int low = HexDigit(hex[index + 1]);
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s '%s': not a hex string", what, hex));
    }
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

std::optional<std::chrono::seconds> ParseDuration(std::string_view text) {
  uint64_t total = 0;
  uint64_t number = 0;
  bool digits = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      if (number > 1'000'000'000) return std::nullopt;
      number = number * 10 + static_cast<uint64_t>(c - '0');
      digits = true;
      continue;
    }
    const uint64_t unit = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : c == 'd' ? 86400 : 0;
    if (!digits || unit == 0) return std::nullopt;
    total += number * unit;
    number = 0;
    digits = false;
  }
  total += number;
  if (text.empty() || total == 0) return std::nullopt;
  return std::chrono::seconds(total);
}


}  // namespace northstar::tools
