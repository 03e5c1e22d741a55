#include "sim/schema_shape.h"

#include <exception>
#include <string_view>

namespace delegsim::sim {
namespace {

using Json = nlohmann::json;

// Bits of ShapeSchema::Node::types.
enum TypeBit : unsigned {
  kArray = 1u << 0,
  kBoolean = 1u << 1,
  kInteger = 1u << 2,
  kNull = 1u << 3,
  kNumber = 1u << 4,
  kObject = 1u << 5,
  kString = 1u << 6,
};

std::optional<unsigned> TypeBitOf(std::string_view name) {
  if (name == "array") return kArray;
  if (name == "boolean") return kBoolean;
  if (name == "integer") return kInteger;
  if (name == "null") return kNull;
  if (name == "number") return kNumber;
  if (name == "object") return kObject;
  if (name == "string") return kString;
  return std::nullopt;
}

// The types a value satisfies under valijson's strong types: an integer is also a number,
// a number with a fraction or exponent is only a number.
unsigned TypesOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::array:
      return kArray;
    case Json::value_t::boolean:
      return kBoolean;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return kInteger | kNumber;
    case Json::value_t::number_float:
      return kNumber;
    case Json::value_t::null:
      return kNull;
    case Json::value_t::object:
      return kObject;
    case Json::value_t::string:
      return kString;
    default:
      return 0;
  }
}

// Values "enum" and "const" may hold here: compared by type and value alike.
bool ComparableScalar(const Json& v) { return v.is_string() || v.is_boolean() || v.is_null(); }

bool SameScalar(const Json& a, const Json& b) { return a.type() == b.type() && a == b; }

// Keywords that do not constrain a value (annotations, and the container of definitions
// that "$ref"s point into).
constexpr std::string_view kAnnotations[] = {"title",   "description", "$schema",     "$id",
                                             "id",      "$defs",       "definitions", "$comment",
                                             "default", "examples"};

}  // namespace

class ShapeSchema::Compiler {
 public:
  Compiler(const Json& root, std::deque<Node>* nodes) : root_(root), nodes_(nodes) {}

  // The node for schema `schema`; nullptr when it cannot be compiled.
  const Node* Compile(const Json& schema) {
    const Json* target = Follow(schema);
    if (!target) return nullptr;
    if (auto it = done_.find(target); it != done_.end()) return it->second;
    Node& node = nodes_->emplace_back();
    done_[target] = &node;  // before the children: schemas refer to themselves
    if (!Fill(*target, &node)) return nullptr;
    return &node;
  }

 private:
  // `schema` with its "$ref"s followed (valijson ignores a "$ref"'s siblings).
  const Json* Follow(const Json& schema) {
    const Json* node = &schema;
    for (int i = 0; node->is_object() && node->contains("$ref"); ++i) {
      const Json& ref = (*node)["$ref"];
      if (i >= 32 || !ref.is_string()) return nullptr;
      std::string text = ref.get<std::string>();
      if (text.empty() || text[0] != '#') return nullptr;
      while (text.size() > 1 && text.back() == '/') text.pop_back();
      try {
        Json::json_pointer pointer(text.substr(1));
        if (!root_.contains(pointer)) return nullptr;
        node = &root_.at(pointer);
      } catch (const std::exception&) {
        return nullptr;
      }
    }
    return node;
  }

  bool List(const Json& list, std::vector<const Node*>* out) {
    if (!list.is_array() || list.empty()) return false;
    for (const Json& s : list) {
      const Node* n = Compile(s);
      if (!n) return false;
      out->push_back(n);
    }
    return true;
  }

  bool One(const Json& schema, const Node** out) {
    *out = Compile(schema);
    return *out != nullptr;
  }

  bool Fill(const Json& schema, Node* node) {
    if (schema.is_boolean()) {
      node->never = !schema.get<bool>();
      return true;
    }
    if (!schema.is_object()) return false;
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      const std::string& key = it.key();
      const Json& value = it.value();
      bool annotation = false;
      for (std::string_view a : kAnnotations) annotation = annotation || key == a;
      if (annotation || key == "then" || key == "else") continue;  // then/else: with "if"
      if (key == "type") {
        std::vector<Json> names =
            value.is_array() ? value.get<std::vector<Json>>() : std::vector<Json>{value};
        for (const Json& name : names) {
          if (!name.is_string()) return false;
          std::optional<unsigned> bit = TypeBitOf(name.get<std::string>());
          if (!bit) return false;
          node->types |= *bit;
        }
        if (node->types == 0) return false;
      } else if (key == "enum") {
        if (!value.is_array() || value.empty()) return false;
        for (const Json& e : value) {
          if (!ComparableScalar(e)) return false;
          node->enum_values.push_back(e);
        }
        node->has_enum = true;
      } else if (key == "const") {
        if (!ComparableScalar(value)) return false;
        node->constant = value;
      } else if (key == "properties") {
        if (!value.is_object()) return false;
        node->object_members = true;
        for (auto p = value.begin(); p != value.end(); ++p) {
          const Node* n = Compile(p.value());
          if (!n) return false;
          node->properties.emplace(p.key(), n);
        }
      } else if (key == "additionalProperties") {
        node->object_members = true;
        if (value.is_boolean()) {
          node->forbid_others = !value.get<bool>();
        } else if (!One(value, &node->others)) {
          return false;
        }
      } else if (key == "required") {
        if (!value.is_array()) return false;
        for (const Json& r : value) {
          if (!r.is_string()) return false;
          node->required.push_back(r.get<std::string>());
        }
      } else if (key == "items") {
        if (value.is_array() || !One(value, &node->items)) return false;  // tuples: unknown
      } else if (key == "propertyNames") {
        if (!One(value, &node->property_names)) return false;
      } else if (key == "allOf") {
        if (!List(value, &node->all_of)) return false;
      } else if (key == "anyOf") {
        if (!List(value, &node->any_of)) return false;
      } else if (key == "oneOf") {
        if (!List(value, &node->one_of)) return false;
      } else if (key == "not") {
        if (!One(value, &node->negated)) return false;
      } else if (key == "if") {
        if (!One(value, &node->if_)) return false;
        if (auto t = schema.find("then"); t != schema.end() && !One(*t, &node->then_)) {
          return false;
        }
        if (auto e = schema.find("else"); e != schema.end() && !One(*e, &node->else_)) {
          return false;
        }
      } else {
        return false;  // a keyword Matches() does not know
      }
    }
    return true;
  }

  const Json& root_;
  std::deque<Node>* nodes_;
  std::map<const Json*, const Node*> done_;
};

std::optional<ShapeSchema> ShapeSchema::Compile(const Json& schema) {
  ShapeSchema out;
  out.nodes_ = std::make_unique<std::deque<Node>>();
  try {
    Compiler compiler(schema, out.nodes_.get());
    out.root_ = compiler.Compile(schema);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!out.root_) return std::nullopt;
  return out;
}

bool ShapeSchema::Check(const Node& node, const Json& v) const {
  if (node.never) return false;
  if (node.types != 0 && (node.types & TypesOf(v)) == 0) return false;
  if (node.has_enum) {
    bool found = false;
    for (const Json& e : node.enum_values) found = found || SameScalar(e, v);
    if (!found) return false;
  }
  if (node.constant && !SameScalar(*node.constant, v)) return false;
  if (v.is_object()) {
    if (node.object_members) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        auto p = node.properties.find(it.key());
        if (p != node.properties.end()) {
          if (!Check(*p->second, it.value())) return false;
        } else if (node.forbid_others) {
          return false;
        } else if (node.others && !Check(*node.others, it.value())) {
          return false;
        }
      }
    }
    for (const std::string& r : node.required) {
      if (!v.contains(r)) return false;
    }
    if (node.property_names) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!Check(*node.property_names, Json(it.key()))) return false;
      }
    }
  }
  if (node.items && v.is_array()) {
    for (const Json& e : v) {
      if (!Check(*node.items, e)) return false;
    }
  }
  for (const Node* n : node.all_of) {
    if (!Check(*n, v)) return false;
  }
  if (!node.any_of.empty()) {
    bool any = false;
    for (const Node* n : node.any_of) {
      if (Check(*n, v)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (!node.one_of.empty()) {
    int matched = 0;
    for (const Node* n : node.one_of) {
      if (Check(*n, v) && ++matched > 1) return false;
    }
    if (matched != 1) return false;
  }
  if (node.negated && Check(*node.negated, v)) return false;
  if (node.if_) {
    const Node* branch = Check(*node.if_, v) ? node.then_ : node.else_;
    if (branch && !Check(*branch, v)) return false;
  }
  return true;
}

}  // namespace delegsim::sim
