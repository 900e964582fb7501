// The task-queue key layout: what the pending_tasks_by_type cartridge reads, what the
// macro/task_queue_claims benchmark and the task-queue scenario write. One definition, so that
// all three agree on what "a pending task of type T" is.
//
//   task:{id}             -> metadata, a JSON object whose first member is "type":
//                            {"type":"build","priority":3,"payload":"..."}
//   claim:{id}:{agent}    -> when the agent claimed it (decimal nanoseconds; virtual in simulation)
//   agent:{agent}:active  -> {id} of the task the agent holds
//   completed:{id}        -> when it was completed (decimal nanoseconds)
//
// {id} is 20 decimal digits and {agent} 6, zero-padded, so that key order is numeric order and a
// prefix scan of "claim:{id}:" finds every claim of one task. A task is pending while it has no
// claim and is not completed; claimed and not completed, it is in progress.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace northstar::apps::task_keys {

inline constexpr std::string_view kTaskPrefix = "task:";
inline constexpr std::string_view kClaimPrefix = "claim:";
inline constexpr std::string_view kAgentPrefix = "agent:";
inline constexpr std::string_view kCompletedPrefix = "completed:";
inline constexpr size_t kIdDigits = 20;
inline constexpr size_t kAgentDigits = 6;
inline constexpr uint32_t kAgentMax = 999'999;
// A type is 1..kTypeBytesMax bytes of [a-z0-9_-].
inline constexpr size_t kTypeBytesMax = 32;

[[nodiscard]] std::string TaskKey(uint64_t id);
[[nodiscard]] std::string ClaimKey(uint64_t id, uint32_t agent);
// "claim:{id}:": every claim of task `id` starts with it.
[[nodiscard]] std::string ClaimPrefix(uint64_t id);
[[nodiscard]] std::string AgentActiveKey(uint32_t agent);
[[nodiscard]] std::string CompletedKey(uint64_t id);
// The id as stored in keys and in agent:{agent}:active values.
[[nodiscard]] std::string FormatId(uint64_t id);

// {"type":"<type>","priority":<priority>,"payload":"<payload>"}; asserts a valid type and a
// payload of [A-Za-z0-9 _.-] (no escaping needed).
[[nodiscard]] std::string TaskMetadata(std::string_view type, uint32_t priority,
                                       std::string_view payload);

// The id of a task:, claim: or completed: key; nullopt for any other key (or a malformed id).
[[nodiscard]] std::optional<uint64_t> TaskIdOfKey(std::string_view key);
// The {agent} of a claim: key; nullopt otherwise.
[[nodiscard]] std::optional<uint32_t> AgentOfClaimKey(std::string_view key);
// The type of a task's metadata: the value of its first member, which must be "type".
// InvalidArgument naming what is wrong (metadata that does not start {"type":", a bad type).
[[nodiscard]] absl::StatusOr<std::string_view> TaskTypeOf(std::string_view metadata);
// Whether `type` is 1..kTypeBytesMax bytes of [a-z0-9_-].
[[nodiscard]] bool IsValidTaskType(std::string_view type);

}  // namespace northstar::apps::task_keys
