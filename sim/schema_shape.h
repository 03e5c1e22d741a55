// A quick yes/no on a document's shape: the schema valijson compiles (sim/schema_check.cc,
// value keywords stripped, oneOfs chained), compiled once more into a small tree that
// answers only "does the document match?", without valijson's per-value copies of its
// error context. A document that matches (the common case, and every large world) needs
// nothing else; one that does not goes to valijson, whose errors become the messages.
//
//   std::optional<ShapeSchema> quick = ShapeSchema::Compile(shape);  // once
//   if (quick && quick->Matches(document)) return {};                 // no problems
//
// Matches() gives valijson's verdict (draft 7, strong types) for the keywords it knows:
// type, enum and const (strings and booleans), properties, additionalProperties,
// required, items (one schema), propertyNames, allOf, anyOf, oneOf, not, if/then/else,
// $ref (siblings ignored, as valijson does) and boolean schemas. A schema with any other
// keyword does not compile, and every document then goes to valijson.
#ifndef DELEGSIM_SIM_SCHEMA_SHAPE_H_
#define DELEGSIM_SIM_SCHEMA_SHAPE_H_

#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace delegsim::sim {

class ShapeSchema {
 public:
  // Compiles `schema` (local "#/..." references only); nullopt when it uses a keyword
  // Matches() does not know, or a reference that goes nowhere.
  static std::optional<ShapeSchema> Compile(const nlohmann::json& schema);

  ShapeSchema(ShapeSchema&&) = default;
  ShapeSchema& operator=(ShapeSchema&&) = default;

  // Whether `document` matches the schema. Recursion follows the document (at most its
  // nesting depth, which the loader bounds) times the schema's own nesting.
  bool Matches(const nlohmann::json& document) const { return Check(*root_, document); }

 private:
  // One schema; every constraint must hold (valijson's verdict is their conjunction).
  struct Node {
    bool never = false;     // the boolean schema `false`
    unsigned types = 0;     // "type": bit (1 << JsonType) per type allowed; 0: any
    bool has_enum = false;  // "enum": the value equals one of `enum_values`
    std::vector<nlohmann::json> enum_values;
    std::optional<nlohmann::json> constant;  // "const"
    bool object_members = false;             // "properties" or "additionalProperties" present
    std::map<std::string, const Node*, std::less<>> properties;
    bool forbid_others = false;    // "additionalProperties": false
    const Node* others = nullptr;  // "additionalProperties": a schema
    std::vector<std::string> required;
    const Node* items = nullptr;
    const Node* property_names = nullptr;
    std::vector<const Node*> all_of, any_of, one_of;
    const Node* negated = nullptr;  // "not"
    const Node* if_ = nullptr;
    const Node* then_ = nullptr;
    const Node* else_ = nullptr;
  };
  class Compiler;
  ShapeSchema() = default;
  bool Check(const Node& node, const nlohmann::json& v) const;

  std::unique_ptr<std::deque<Node>> nodes_;  // stable addresses; Node is defined in the .cc
  const Node* root_ = nullptr;
};

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SCHEMA_SHAPE_H_
