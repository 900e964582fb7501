// A JSON Schema validator for the subset of keywords Northstar's schemas use
// (bench/results.schema.json), over nlohmann::json documents.
//
// Keywords: type (a name or a list of names: object, array, string, number, integer, boolean,
// null; an integer is any number without a fractional part), enum, const, required, properties,
// additionalProperties (true, false or a schema), items (one schema for every element),
// minItems, minimum, maximum, exclusiveMinimum, pattern (ECMAScript, unanchored as JSON Schema
// says), minLength. Annotations are accepted and ignored: $schema, $id, $comment, title,
// description, default, examples. Any other keyword makes the schema itself invalid, so that a
// schema never silently asks for a check this validator does not make.
//
// A problem names the JSON Pointer of the offending value (RFC 6901: "/results/ops"; "" is the
// document) and what is wrong; a missing required property is named by the pointer it would have.
//
// Thread safety: a JsonSchema is immutable after Parse; validate from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace northstar::bench {

class JsonSchema {
 public:
  // InvalidArgument when `schema_text` is not JSON, or uses a keyword outside the subset (named
  // with its pointer in the schema), or a pattern that does not compile.
  [[nodiscard]] static absl::StatusOr<JsonSchema> Parse(std::string_view schema_text);

  // Every problem of `document`, in document order; empty when it is valid.
  [[nodiscard]] std::vector<std::string> problems(const nlohmann::json& document) const;
  // OK, or InvalidArgument "<what>: <first problem>" (and how many more there are).
  [[nodiscard]] absl::Status validate(const nlohmann::json& document, std::string_view what) const;

 private:
  explicit JsonSchema(nlohmann::json schema) : schema_(std::move(schema)) {}

  nlohmann::json schema_;
};

}  // namespace northstar::bench
