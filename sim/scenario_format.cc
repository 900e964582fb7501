// Writing the canonical form of a scenario (spec/scenario_format.md, "Canonical form").
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "sim/scenario_fields.h"
#include "sim/scenario_io.h"
#include "util/assert.h"

namespace northstar::sim {
namespace {

// Canonical lines are at most this long, except where one word of a description is longer.
constexpr size_t kLineWidthMax = 100;

// The body of a TOML basic string: quotes, backslashes and control characters escaped, every
// other byte (UTF-8 included) as is. Never contains a literal space other than the text's own.
std::string Escape(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '"':
        escaped += "\\\"";
        break;
      case '\\':
        escaped += "\\\\";
        break;
      case '\b':
        escaped += "\\b";
        break;
      case '\t':
        escaped += "\\t";
        break;
      case '\n':
        escaped += "\\n";
        break;
      case '\f':
        escaped += "\\f";
        break;
      case '\r':
        escaped += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          escaped += absl::StrFormat("\\u%04X", static_cast<unsigned char>(c));
        } else {
          escaped += c;
        }
    }
  }
  return escaped;
}

std::string Quote(std::string_view text) { return absl::StrFormat("\"%s\"", Escape(text)); }

// A long description as a multi-line basic string, broken after spaces that a non-space follows:
// each line but the last ends in a line-ending backslash, which TOML removes together with the
// newline (and the next line starts with no whitespace for it to remove).
std::string Paragraph(std::string_view key, std::string_view text) {
  const std::string escaped = Escape(text);
  if (key.size() + 5 + escaped.size() <= kLineWidthMax) return Quote(text);
  std::string out = "\"\"\"\n";
  std::string line;
  size_t begin = 0;
  while (begin < escaped.size()) {
    size_t end = begin;
    while (end < escaped.size() &&
           !(escaped[end] == ' ' && end + 1 < escaped.size() && escaped[end + 1] != ' ')) {
      end++;
    }
    end = end < escaped.size() ? end + 1 : end;  // The piece keeps its breaking space.
    const std::string_view piece = std::string_view(escaped).substr(begin, end - begin);
    if (!line.empty() && line.size() + piece.size() + 1 > kLineWidthMax) {
      out += line + "\\\n";
      line.clear();
    }
    line += piece;
    begin = end;
  }
  return out + line + "\"\"\"";
}

// The shortest text that reads back as exactly `value`, always with a '.' or an exponent so
// that TOML reads a float ("0.0", "0.25", "1e-07", "inf").
std::string FormatDouble(double value) {
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
  NS_ASSERT(result.ec == std::errc());
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

std::string FormatValue(std::string_view, FieldStyle, uint32_t value) {
  return absl::StrFormat("%d", value);
}
std::string FormatValue(std::string_view, FieldStyle style, uint64_t value) {
  return style == FieldStyle::kHex ? absl::StrFormat("\"0x%x\"", value)
                                   : absl::StrFormat("%d", value);
}
std::string FormatValue(std::string_view, FieldStyle, int64_t value) {
  return absl::StrFormat("%d", value);
}
std::string FormatValue(std::string_view, FieldStyle, double value) { return FormatDouble(value); }
std::string FormatValue(std::string_view, FieldStyle, bool value) {
  return value ? "true" : "false";
}
std::string FormatValue(std::string_view key, FieldStyle style, const std::string& value) {
  return style == FieldStyle::kParagraph ? Paragraph(key, value) : Quote(value);
}
std::string FormatValue(std::string_view, FieldStyle, const std::vector<uint64_t>& values) {
  std::string list = "[";
  for (size_t index = 0; index < values.size(); index++) {
    list += absl::StrFormat("%s%d", index == 0 ? "" : ", ", values[index]);
  }
  return list + "]";
}
template <typename Enum>
requires std::is_enum_v<Enum> std::string FormatValue(std::string_view, FieldStyle, Enum value) {
  return Quote(EnumName(value));
}

}  // namespace

std::string FormatScenario(const Scenario& scenario) {
  Scenario copy = scenario;  // The field table hands out mutable references.
  std::string out;
  for (const Section& section : kSections) {
    if (section.written != nullptr && !section.written(scenario)) continue;
    if (!section.path.empty()) out += absl::StrFormat("\n[%s]\n", section.path);
    for (const Field& field : section.fields) {
      const std::string value = std::visit(
          [&](auto ref) { return FormatValue(field.key, field.style, ref(copy)); }, field.ref);
      out += absl::StrFormat("%s = %s\n", field.key, value);
    }
  }
  return out;
}

}  // namespace northstar::sim
