// Reading scenario files. The field table (sim/scenario_fields.h) drives both this parser and
// the canonical writer (sim/scenario_format.cc), so that they cannot disagree on a key.
#include "sim/scenario_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "sim/scenario_fields.h"
#include "toml++/toml.h"
#include "util/status.h"

namespace northstar::sim {
namespace {

// What is wrong with a value, and the node it is about.
struct Problem {
  const toml::node* node;
  std::string message;
};
using Check = std::optional<Problem>;

const char* TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Problem WrongType(const toml::node& node, const char* expected) {
  return {&node, absl::StrFormat("expected %s, got %s", expected, TypeName(node.type()))};
}

template <typename Unsigned>
Check ReadUnsigned(const toml::node& node, Unsigned& out) {
  constexpr int64_t kMax = static_cast<int64_t>(std::min<uint64_t>(
      std::numeric_limits<Unsigned>::max(), std::numeric_limits<int64_t>::max()));
  const toml::value<int64_t>* value = node.as_integer();
  if (value == nullptr) return WrongType(node, "an integer");
  if (value->get() < 0 || value->get() > kMax) {
    return Problem{&node, absl::StrFormat("%d is not in [0, %d]", value->get(), kMax)};
  }
  out = static_cast<Unsigned>(value->get());
  return std::nullopt;
}

template <typename Signed>
Check ReadSigned(const toml::node& node, Signed& out) {
  const toml::value<int64_t>* value = node.as_integer();
  if (value == nullptr) return WrongType(node, "an integer");
  if (value->get() < std::numeric_limits<Signed>::min() ||
      value->get() > std::numeric_limits<Signed>::max()) {
    return Problem{&node, absl::StrFormat("%d is not in [%d, %d]", value->get(),
                                          std::numeric_limits<Signed>::min(),
                                          std::numeric_limits<Signed>::max())};
  }
  out = static_cast<Signed>(value->get());
  return std::nullopt;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "0x" and 1..16 hex digits (either case).
Check ReadSeed(const toml::node& node, uint64_t& out) {
  const toml::value<std::string>* value = node.as_string();
  if (value == nullptr) return WrongType(node, "a hex string such as \"0x1f\"");
  const std::string& text = value->get();
  bool ok = text.size() > 2 && text.size() <= 18 && text[0] == '0' && text[1] == 'x';
  uint64_t seed = 0;
  for (size_t index = 2; ok && index < text.size(); index++) {
    const int digit = HexDigitValue(text[index]);
    ok = digit >= 0;
    seed = seed * 16 + static_cast<uint64_t>(digit);
  }
  if (!ok) {
    return Problem{&node, absl::StrFormat("\"%s\" is not \"0x\" and 1 to 16 hex digits",
                                          absl::CHexEscape(text))};
  }
  out = seed;
  return std::nullopt;
}

Check ReadValue(const toml::node& node, FieldStyle, uint32_t& out) {
  return ReadUnsigned(node, out);
}

Check ReadValue(const toml::node& node, FieldStyle style, uint64_t& out) {
  return style == FieldStyle::kHex ? ReadSeed(node, out) : ReadUnsigned(node, out);
}

Check ReadValue(const toml::node& node, FieldStyle, int64_t& out) { return ReadSigned(node, out); }

// A float, or an integer (exactly representable ones only: TOML has no "1." shorthand).
Check ReadValue(const toml::node& node, FieldStyle, double& out) {
  if (const toml::value<double>* value = node.as_floating_point()) {
    out = value->get();
    return std::nullopt;
  }
  const toml::value<int64_t>* integer = node.as_integer();
  if (integer == nullptr) return WrongType(node, "a float");
  constexpr int64_t kExactMax = int64_t{1} << 53;
  if (integer->get() < -kExactMax || integer->get() > kExactMax) {
    return Problem{&node, absl::StrFormat("%d is not exactly a float", integer->get())};
  }
  out = static_cast<double>(integer->get());
  return std::nullopt;
}

Check ReadValue(const toml::node& node, FieldStyle, bool& out) {
  const toml::value<bool>* value = node.as_boolean();
  if (value == nullptr) return WrongType(node, "a boolean");
  out = value->get();
  return std::nullopt;
}

Check ReadValue(const toml::node& node, FieldStyle, std::string& out) {
  const toml::value<std::string>* value = node.as_string();
  if (value == nullptr) return WrongType(node, "a string");
  out = value->get();
  return std::nullopt;
}

template <typename Enum>
requires std::is_enum_v<Enum> Check ReadValue(const toml::node& node, FieldStyle, Enum& out) {
  const toml::value<std::string>* value = node.as_string();
  if (value == nullptr) return WrongType(node, "a string");
  const std::optional<Enum> parsed = EnumFromName<Enum>(value->get());
  if (!parsed.has_value()) {
    return Problem{&node, absl::StrFormat("\"%s\" is not one of %s", absl::CHexEscape(value->get()),
                                          EnumNameList<Enum>())};
  }
  out = *parsed;
  return std::nullopt;
}

Check ReadValue(const toml::node& node, FieldStyle, std::vector<uint64_t>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return WrongType(node, "an array of integers");
  out.clear();
  for (size_t index = 0; index < array->size(); index++) {
    uint64_t value = 0;
    if (Check problem = ReadUnsigned(*array->get(index), value)) {
      problem->message = absl::StrFormat("element %d: %s", index, problem->message);
      return problem;
    }
    out.push_back(value);
  }
  return std::nullopt;
}

// The keys of `table` in the order they appear in the file.
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& left, const auto& right) {
    const toml::source_position& a = left.first->source().begin;
    const toml::source_position& b = right.first->source().begin;
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return entries;
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : absl::StrFormat("%s.%s", parent, key);
}

// Reads a parsed document into a Scenario, remembering where each field was.
class Reader {
 public:
  explicit Reader(std::string_view source_name) : source_name_(source_name) {}

  absl::Status ReadTable(const toml::table& table, const std::string& path) {
    for (const auto& [key, node] : InFileOrder(table)) {
      const std::string child = JoinPath(path, key->str());
      positions_[child] = node->source().begin;
      if (const Field* field = FindField(path, key->str())) {
        NS_RETURN_IF_ERROR(ReadField(*field, *node, child));
      } else if (FindSection(child) != nullptr && !child.empty()) {
        if (!node->is_table()) return ProblemError(WrongType(*node, "a table"), child);
        NS_RETURN_IF_ERROR(ReadTable(*node->as_table(), child));
      } else {
        return ErrorAt(key->source().begin, absl::StrFormat("%s: unknown key", child));
      }
    }
    return absl::OkStatus();
  }

  // The scenario read, with its derived fields, once valid.
  absl::StatusOr<Scenario> Finish() {
    scenario_.scheduler.fibers_max = FibersMaxFor(scenario_.workload);
    const absl::Status status = ValidateScenario(scenario_);
    if (status.ok()) return std::move(scenario_);
    // Messages start with the field's path: point at that field if the file has it.
    const std::string message(status.message());
    const auto found = positions_.find(message.substr(0, message.find(':')));
    if (found == positions_.end()) return ErrorAt(std::nullopt, message);
    return ErrorAt(found->second, message);
  }

 private:
  absl::Status ReadField(const Field& field, const toml::node& node, const std::string& path) {
    const Check problem = std::visit(
        [&](auto ref) { return ReadValue(node, field.style, ref(scenario_)); }, field.ref);
    if (!problem.has_value()) return absl::OkStatus();
    return ProblemError(*problem, path);
  }

  absl::Status ProblemError(const Problem& problem, std::string_view path) {
    return ErrorAt(problem.node->source().begin, absl::StrFormat("%s: %s", path, problem.message));
  }

  absl::Status ErrorAt(std::optional<toml::source_position> where, std::string_view message) {
    if (!where.has_value()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: %s", source_name_, message));
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", source_name_, where->line, where->column, message));
  }

  std::string_view source_name_;
  Scenario scenario_;
  std::map<std::string, toml::source_position> positions_;
};

}  // namespace

absl::StatusOr<Scenario> ParseScenario(std::string_view toml_text, std::string_view source_name) {
  if (toml_text.size() > kScenarioFileBytesMax) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: larger than a scenario may be (%d bytes)", source_name, kScenarioFileBytesMax));
  }
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", source_name, error.source().begin.line,
                        error.source().begin.column, error.description()));
  }
  Reader reader(source_name);
  NS_RETURN_IF_ERROR(reader.ReadTable(root, ""));
  return reader.Finish();
}

absl::StatusOr<std::string> ReadScenarioText(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int error = errno;
    const std::string message = absl::StrFormat("%s: cannot open: %s", path, std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  std::string text(kScenarioFileBytesMax + 1, '\0');
  const size_t size = std::fread(text.data(), 1, text.size(), file.get());
  if (std::ferror(file.get()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot read: %s", path, std::strerror(errno)));
  }
  if (size > kScenarioFileBytesMax) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: larger than a scenario may be (%d bytes)", path, kScenarioFileBytesMax));
  }
  text.resize(size);
  return text;
}

absl::StatusOr<Scenario> ReadScenarioFile(const std::string& path) {
  NS_ASSIGN_OR_RETURN(const std::string text, ReadScenarioText(path));
  return ParseScenario(text, path);
}

uint32_t FibersMaxFor(const WorkloadConfig& workload) {
  return workload.writers + workload.readers + 1;
}

std::optional<DurabilityMode> DurabilityModeFromName(std::string_view name) {
  return EnumFromName<DurabilityMode>(name);
}
std::optional<KeyDistribution> KeyDistributionFromName(std::string_view name) {
  return EnumFromName<KeyDistribution>(name);
}
std::optional<CrashPointMode> CrashPointModeFromName(std::string_view name) {
  return EnumFromName<CrashPointMode>(name);
}
std::optional<Verdict> VerdictFromName(std::string_view name) {
  return EnumFromName<Verdict>(name);
}
std::optional<StrategyKind> StrategyKindFromName(std::string_view name) {
  return EnumFromName<StrategyKind>(name);
}
std::optional<WorkloadKind> WorkloadKindFromName(std::string_view name) {
  return EnumFromName<WorkloadKind>(name);
}

}  // namespace northstar::sim
