#include "apps/task_keys.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "util/assert.h"

namespace northstar::apps::task_keys {
namespace {

// Parses exactly `digits` decimal digits.
std::optional<uint64_t> ParseFixedDigits(std::string_view text, size_t digits) {
  if (text.size() != digits) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

bool IsPayloadChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
         c == '_' || c == '.' || c == '-';
}

}  // namespace

std::string FormatId(uint64_t id) { return absl::StrFormat("%020d", id); }

std::string TaskKey(uint64_t id) { return absl::StrFormat("task:%020d", id); }

std::string ClaimKey(uint64_t id, uint32_t agent) {
  NS_ASSERT(agent <= kAgentMax);
  return absl::StrFormat("claim:%020d:%06d", id, agent);
}

std::string ClaimPrefix(uint64_t id) { return absl::StrFormat("claim:%020d:", id); }

std::string AgentActiveKey(uint32_t agent) {
  NS_ASSERT(agent <= kAgentMax);
  return absl::StrFormat("agent:%06d:active", agent);
}

std::string CompletedKey(uint64_t id) { return absl::StrFormat("completed:%020d", id); }

bool IsValidTaskType(std::string_view type) {
  if (type.empty() || type.size() > kTypeBytesMax) return false;
  for (char c : type) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string TaskMetadata(std::string_view type, uint32_t priority, std::string_view payload) {
  NS_ASSERT(IsValidTaskType(type));
  for (char c : payload) NS_ASSERT(IsPayloadChar(c));
  return absl::StrFormat(R"({"type":"%s","priority":%d,"payload":"%s"})", type, priority,
                         payload);
}

std::optional<uint64_t> TaskIdOfKey(std::string_view key) {
  for (std::string_view prefix : {kTaskPrefix, kCompletedPrefix}) {
    if (key.starts_with(prefix)) return ParseFixedDigits(key.substr(prefix.size()), kIdDigits);
  }
  if (key.starts_with(kClaimPrefix)) {
    std::string_view rest = key.substr(kClaimPrefix.size());
    if (rest.size() != kIdDigits + 1 + kAgentDigits || rest[kIdDigits] != ':') return std::nullopt;
    if (!ParseFixedDigits(rest.substr(kIdDigits + 1), kAgentDigits)) return std::nullopt;
    return ParseFixedDigits(rest.substr(0, kIdDigits), kIdDigits);
  }
  return std::nullopt;
}

std::optional<uint32_t> AgentOfClaimKey(std::string_view key) {
  if (!key.starts_with(kClaimPrefix) || !TaskIdOfKey(key)) return std::nullopt;
  std::optional<uint64_t> agent = ParseFixedDigits(key.substr(key.size() - kAgentDigits),
                                                   kAgentDigits);
  if (!agent) return std::nullopt;
  return static_cast<uint32_t>(*agent);
}

absl::StatusOr<std::string_view> TaskTypeOf(std::string_view metadata) {
  constexpr std::string_view kOpening = R"({"type":")";
  if (!metadata.starts_with(kOpening)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "task metadata does not start with %s (%d bytes)", kOpening, metadata.size()));
  }
  const std::string_view rest = metadata.substr(kOpening.size());
  const size_t end = rest.find('"');
  if (end == std::string_view::npos) {
    return absl::InvalidArgumentError("task metadata: the type string is not closed");
  }
  const std::string_view type = rest.substr(0, end);
  if (!IsValidTaskType(type)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "task metadata: type \"%s\" is not 1..%d bytes of [a-z0-9_-]", type, kTypeBytesMax));
  }
  return type;
}

}  // namespace northstar::apps::task_keys
