#include "bench/json_schema.h"

#include <cmath>
#include <regex>
#include <set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace northstar::bench {
namespace {

using nlohmann::json;

const std::set<std::string>& KnownKeywords() {
  static const std::set<std::string> keywords = {
      // Checks.
      "type", "enum", "const", "required", "properties", "additionalProperties", "items",
      "minItems", "minimum", "maximum", "exclusiveMinimum", "pattern", "minLength",
      // Annotations.
      "$schema", "$id", "$comment", "title", "description", "default", "examples"};
  return keywords;
}

const std::set<std::string>& TypeNames() {
  static const std::set<std::string> names = {"object",  "array",   "string", "number",
                                              "integer", "boolean", "null"};
  return names;
}

// RFC 6901: '~' as "~0", '/' as "~1".
std::string PointerPart(std::string_view name) {
  std::string part;
  for (char c : name) {
    if (c == '~') {
      part += "~0";
    } else if (c == '/') {
      part += "~1";
    } else {
      part += c;
    }
  }
  return "/" + part;
}

std::string Shown(const std::string& pointer) { return pointer.empty() ? "(document)" : pointer; }

// Checks that `schema` (at `pointer` in the schema document) uses only the subset.
absl::Status CheckSchema(const json& schema, const std::string& pointer) {
  if (schema.is_boolean()) return absl::OkStatus();
  if (!schema.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("schema %s: a schema must be an object or a boolean", Shown(pointer)));
  }
  for (const auto& [keyword, value] : schema.items()) {
    const std::string at = pointer + PointerPart(keyword);
    if (KnownKeywords().count(keyword) == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("schema %s: keyword '%s' is not supported", at, keyword));
    }
    if (keyword == "type") {
      const json names = value.is_array() ? value : json::array({value});
      for (const json& name : names) {
        if (!name.is_string() || TypeNames().count(name.get<std::string>()) == 0) {
          return absl::InvalidArgumentError(
              absl::StrFormat("schema %s: unknown type %s", at, name.dump()));
        }
      }
    } else if (keyword == "properties") {
      if (!value.is_object()) {
        return absl::InvalidArgumentError(absl::StrFormat("schema %s: must be an object", at));
      }
      for (const auto& [name, property] : value.items()) {
        if (absl::Status status = CheckSchema(property, at + PointerPart(name)); !status.ok()) {
          return status;
        }
      }
    } else if (keyword == "additionalProperties" || keyword == "items") {
      if (absl::Status status = CheckSchema(value, at); !status.ok()) return status;
    } else if (keyword == "required" || keyword == "enum") {
      if (!value.is_array()) {
        return absl::InvalidArgumentError(absl::StrFormat("schema %s: must be an array", at));
      }
    } else if (keyword == "pattern") {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(absl::StrFormat("schema %s: must be a string", at));
      }
      try {
        std::regex compiled(value.get<std::string>(), std::regex::ECMAScript);
      } catch (const std::regex_error& error) {
        return absl::InvalidArgumentError(
            absl::StrFormat("schema %s: bad pattern: %s", at, error.what()));
      }
    } else if (keyword == "minimum" || keyword == "maximum" || keyword == "exclusiveMinimum" ||
               keyword == "minLength" || keyword == "minItems") {
      if (!value.is_number()) {
        return absl::InvalidArgumentError(absl::StrFormat("schema %s: must be a number", at));
      }
    }
  }
  return absl::OkStatus();
}

bool IsInteger(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double number = value.get<double>();
  return std::isfinite(number) && std::floor(number) == number;
}

bool HasType(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "integer") return IsInteger(value);
  if (type == "boolean") return value.is_boolean();
  return value.is_null();
}

const char* TypeOf(const json& value) {
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_null()) return "null";
  return IsInteger(value) ? "integer" : "number";
}

class Validator {
 public:
  std::vector<std::string> problems;

  void check(const json& schema, const json& value, const std::string& pointer) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) add(pointer, "no value is allowed here");
      return;
    }
    if (schema.contains("type") && !check_type(schema["type"], value, pointer)) return;
    if (schema.contains("const") && value != schema["const"]) {
      add(pointer, absl::StrFormat("must be %s", schema["const"].dump()));
    }
    if (schema.contains("enum")) check_enum(schema["enum"], value, pointer);
    if (value.is_number()) check_number(schema, value.get<double>(), pointer);
    if (value.is_string()) check_string(schema, value.get<std::string>(), pointer);
    if (value.is_object()) check_object(schema, value, pointer);
    if (value.is_array()) check_array(schema, value, pointer);
  }

 private:
  void add(const std::string& pointer, const std::string& problem) {
    problems.push_back(absl::StrFormat("%s: %s", Shown(pointer), problem));
  }

  bool check_type(const json& type, const json& value, const std::string& pointer) {
    const json names = type.is_array() ? type : json::array({type});
    std::vector<std::string> wanted;
    for (const json& name : names) {
      if (HasType(value, name.get<std::string>())) return true;
      wanted.push_back(name.get<std::string>());
    }
    add(pointer,
        absl::StrFormat("expected %s, found %s", absl::StrJoin(wanted, " or "), TypeOf(value)));
    return false;
  }

  void check_enum(const json& allowed, const json& value, const std::string& pointer) {
    for (const json& candidate : allowed) {
      if (candidate == value) return;
    }
    add(pointer, absl::StrFormat("%s is not one of %s", value.dump(), allowed.dump()));
  }

  void check_number(const json& schema, double number, const std::string& pointer) {
    if (schema.contains("minimum") && number < schema["minimum"].get<double>()) {
      add(pointer,
          absl::StrFormat("%g is below the minimum %g", number, schema["minimum"].get<double>()));
    }
    if (schema.contains("exclusiveMinimum") && number <= schema["exclusiveMinimum"].get<double>()) {
      add(pointer, absl::StrFormat("%g must be greater than %g", number,
                                   schema["exclusiveMinimum"].get<double>()));
    }
    if (schema.contains("maximum") && number > schema["maximum"].get<double>()) {
      add(pointer,
          absl::StrFormat("%g is above the maximum %g", number, schema["maximum"].get<double>()));
    }
  }

  void check_string(const json& schema, const std::string& text, const std::string& pointer) {
    if (schema.contains("minLength") &&
        static_cast<double>(text.size()) < schema["minLength"].get<double>()) {
      add(pointer,
          absl::StrFormat("shorter than %d characters", schema["minLength"].get<int64_t>()));
    }
    if (schema.contains("pattern")) {
      const std::string pattern = schema["pattern"].get<std::string>();
      if (!std::regex_search(text, std::regex(pattern, std::regex::ECMAScript))) {
        add(pointer, absl::StrFormat("\"%s\" does not match the pattern %s", text, pattern));
      }
    }
  }

  void check_object(const json& schema, const json& object, const std::string& pointer) {
    if (schema.contains("required")) {
      for (const json& name : schema["required"]) {
        if (!object.contains(name.get<std::string>())) {
          add(pointer + PointerPart(name.get<std::string>()), "required property is missing");
        }
      }
    }
    const json properties = schema.value("properties", json::object());
    for (const auto& [name, value] : object.items()) {
      const std::string at = pointer + PointerPart(name);
      if (properties.contains(name)) {
        check(properties[name], value, at);
      } else if (schema.contains("additionalProperties")) {
        const json& additional = schema["additionalProperties"];
        if (additional.is_boolean() && !additional.get<bool>()) {
          add(at, "property is not allowed (not in the schema)");
        } else {
          check(additional, value, at);
        }
      }
    }
  }

  void check_array(const json& schema, const json& array, const std::string& pointer) {
    if (schema.contains("minItems") &&
        static_cast<double>(array.size()) < schema["minItems"].get<double>()) {
      add(pointer, absl::StrFormat("fewer than %d items", schema["minItems"].get<int64_t>()));
    }
    if (!schema.contains("items")) return;
    for (size_t index = 0; index < array.size(); index++) {
      check(schema["items"], array[index], absl::StrFormat("%s/%d", pointer, index));
    }
  }
};

}  // namespace

absl::StatusOr<JsonSchema> JsonSchema::Parse(std::string_view schema_text) {
  json schema = json::parse(schema_text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return absl::InvalidArgumentError("schema: not valid JSON");
  if (absl::Status status = CheckSchema(schema, ""); !status.ok()) return status;
  return JsonSchema(std::move(schema));
}

std::vector<std::string> JsonSchema::problems(const json& document) const {
  Validator validator;
  validator.check(schema_, document, "");
  return std::move(validator.problems);
}

absl::Status JsonSchema::validate(const json& document, std::string_view what) const {
  const std::vector<std::string> found = problems(document);
  if (found.empty()) return absl::OkStatus();
  std::string message = absl::StrFormat("%s: %s", what, found.front());
  if (found.size() > 1) {
    absl::StrAppendFormat(&message, " (and %d more problems)", found.size() - 1);
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace northstar::bench
