#include "bench/json_schema.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::bench {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kSchema = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "test",
  "type": "object",
  "required": ["name", "results"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z]+(/[a-z]+)+$"},
    "mode": {"enum": ["posix", "uring"]},
    "version": {"const": 1},
    "results": {
      "type": "object",
      "required": ["ops", "seconds"],
      "properties": {
        "ops": {"type": "integer", "minimum": 1},
        "seconds": {"type": "number", "exclusiveMinimum": 0},
        "allocations": {"type": ["integer", "null"], "minimum": 0}
      }
    },
    "tags": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 2}},
    "extra": {"type": "object", "additionalProperties": {"type": "number"}}
  }
})";

JsonSchema Schema() {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(kSchema);
  NS_ASSERT_MSG(schema.ok(), std::string(schema.status().message()));
  return *std::move(schema);
}

json Valid() {
  return json::parse(R"({"name": "btree/get", "mode": "posix", "version": 1,
                         "results": {"ops": 10, "seconds": 0.5, "allocations": null},
                         "tags": ["hot"], "extra": {"ratio": 1.5}})");
}

TEST(JsonSchemaTest, AcceptsAValidDocument) {
  EXPECT_THAT(Schema().problems(Valid()), IsEmpty());
  EXPECT_OK(Schema().validate(Valid(), "file.json"));
}

TEST(JsonSchemaTest, IntegerAcceptsWholeFloatsOnly) {
  json document = Valid();
  document["results"]["ops"] = 10.0;
  EXPECT_THAT(Schema().problems(document), IsEmpty());
  document["results"]["ops"] = 10.5;
  EXPECT_THAT(Schema().problems(document),
              ElementsAre("/results/ops: expected integer, found number"));
}

TEST(JsonSchemaTest, MissingRequiredFieldIsNamedByItsPointer) {
  json document = Valid();
  document["results"].erase("seconds");
  const absl::Status status = Schema().validate(document, "out/btree__get_r000.json");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "out/btree__get_r000.json: /results/seconds: required property is missing");
}

TEST(JsonSchemaTest, WrongTypeNamesTheField) {
  json document = Valid();
  document["results"]["seconds"] = "fast";
  EXPECT_THAT(Schema().problems(document),
              ElementsAre("/results/seconds: expected number, found string"));
}

TEST(JsonSchemaTest, EachKeywordReportsItsProblem) {
  json document = Valid();
  document["name"] = "BTREE";
  document["mode"] = "aio";
  document["version"] = 2;
  document["results"]["ops"] = 0;
  document["results"]["seconds"] = 0;
  document["results"]["allocations"] = -1;
  document["tags"] = json::array({"x"});
  document["extra"]["label"] = "text";
  document["surprise"] = true;
  EXPECT_THAT(Schema().problems(document),
              ElementsAre("/extra/label: expected number, found string",
                          HasSubstr("/mode: \"aio\" is not one of"),
                          "/name: \"BTREE\" does not match the pattern ^[a-z]+(/[a-z]+)+$",
                          "/results/allocations: -1 is below the minimum 0",
                          "/results/ops: 0 is below the minimum 1",
                          "/results/seconds: 0 must be greater than 0",
                          "/surprise: property is not allowed (not in the schema)",
                          "/tags/0: shorter than 2 characters", "/version: must be 1"));
}

TEST(JsonSchemaTest, ValidateCountsTheOtherProblems) {
  json document = Valid();
  document.erase("name");
  document["results"]["ops"] = "many";
  const absl::Status status = Schema().validate(document, "f.json");
  EXPECT_THAT(status.message(), HasSubstr("f.json: /name: required property is missing"));
  EXPECT_THAT(status.message(), HasSubstr("(and 1 more problems)"));
}

TEST(JsonSchemaTest, DocumentOfTheWrongTypeIsNamedAsTheDocument) {
  EXPECT_THAT(Schema().problems(json::array()),
              ElementsAre("(document): expected object, found array"));
}

TEST(JsonSchemaTest, RejectsSchemasOutsideTheSubset) {
  absl::StatusOr<JsonSchema> schema =
      JsonSchema::Parse(R"({"properties": {"a": {"oneOf": [{"type": "string"}]}}})");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().message(),
            "schema /properties/a/oneOf: keyword 'oneOf' is not supported");
  EXPECT_FALSE(JsonSchema::Parse(R"({"type": "text"})").ok());
  EXPECT_FALSE(JsonSchema::Parse(R"({"pattern": "("})").ok());
  EXPECT_FALSE(JsonSchema::Parse("{not json").ok());
}

}  // namespace
}  // namespace northstar::bench
