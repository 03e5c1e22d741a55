#include "sim/schema_check.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "sim/json_path.h"
#include "sim/scenario_schema.h"
#include "sim/schema_shape.h"
#include "sim/suggest.h"

namespace delegsim::sim {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------
// The compiled schema.

// Keywords on a value rather than on the document's shape: the loader checks these with
// its own messages (sim/loader.cc), and std::regex cannot apply the schema's Unicode
// patterns to UTF-8 text. They are left out of the schema valijson compiles.
constexpr std::string_view kValueKeywords[] = {
    "pattern",  "minLength",        "maxLength",        "minimum",
    "maximum",  "exclusiveMinimum", "exclusiveMaximum", "minItems",
    "maxItems", "uniqueItems",      "minProperties",    "maxProperties"};

// Removes kValueKeywords from schema `node` and every schema inside it.
void StripValueKeywords(Json& node) {
  if (!node.is_object()) return;
  for (std::string_view k : kValueKeywords) node.erase(std::string(k));
  for (const char* map : {"properties", "$defs"}) {
    if (auto it = node.find(map); it != node.end() && it->is_object()) {
      for (Json& sub : *it) StripValueKeywords(sub);
    }
  }
  for (const char* one : {"items", "additionalProperties", "propertyNames", "not"}) {
    if (auto it = node.find(one); it != node.end()) StripValueKeywords(*it);
  }
  for (const char* list : {"oneOf", "anyOf", "allOf"}) {
    if (auto it = node.find(list); it != node.end() && it->is_array()) {
      for (Json& sub : *it) StripValueKeywords(sub);
    }
  }
}

// The required field that only `form` of `forms` requires (its kind: "open", "call"),
// or "" when it has none. `root` resolves "$ref"s.
std::string OwnRequiredField(const Json& root, const Json& form, const Json& forms) {
  auto deref = [&](const Json& n) -> const Json* {
    const Json* node = &n;
    for (int i = 0; node->is_object() && node->contains("$ref") && i < 16; ++i) {
      const Json& ref = (*node)["$ref"];
      if (!ref.is_string() || ref.get<std::string>().rfind('#', 0) != 0) return nullptr;
      Json::json_pointer pointer(ref.get<std::string>().substr(1));
      if (!root.contains(pointer)) return nullptr;
      node = &root.at(pointer);
    }
    return node;
  };
  auto required = [&](const Json& n) {
    const Json* d = deref(n);
    return d && d->is_object() && d->contains("required") && (*d)["required"].is_array()
               ? (*d)["required"]
               : Json::array();
  };
  for (const Json& k : required(form)) {
    int holders = 0;
    for (const Json& other : forms) {
      const Json r = required(other);
      holders += std::find(r.begin(), r.end(), k) != r.end() ? 1 : 0;
    }
    if (holders == 1 && k.is_string()) return k.get<std::string>();
  }
  return "";
}

// Rewrites every oneOf whose forms each have a field of their own (an operation's "open",
// "call", ...) into a chain of if/then/else on those fields, which valijson follows into
// one form only. A oneOf makes it validate every form, and operations nest (`then`) in
// two forms: 2^depth validations for a deep chain. Messages still come from the shipped
// oneOf (Translator): a value that names no form, or several, fails the chain's last
// `else` or its `then`, and is reported as the oneOf would be.
void ChainOneOfs(const Json& root, Json& node) {
  if (node.is_array()) {
    for (Json& sub : node) ChainOneOfs(root, sub);
    return;
  }
  if (!node.is_object()) return;
  for (auto it = node.begin(); it != node.end(); ++it) ChainOneOfs(root, it.value());
  auto forms = node.find("oneOf");
  if (forms == node.end() || !forms->is_array() || forms->size() < 2) return;
  std::vector<std::string> keys;
  for (const Json& form : *forms) {
    keys.push_back(OwnRequiredField(root, form, *forms));
    if (keys.back().empty()) return;
  }
  Json chain = {{"not", Json::object()}};  // names no form
  for (size_t i = forms->size(); i-- > 0;) {
    chain = {{"if", {{"required", {keys[i]}}}}, {"then", (*forms)[i]}, {"else", chain}};
  }
  node.erase("oneOf");
  // Beside other keywords (an invariant's properties) the chain is one of allOf's parts.
  if (node.contains("allOf")) return;  // not used by the scenario schema
  node["allOf"] = Json::array({chain});
}

// The schema as shipped (for messages: titles, enumerations, ranges) and as valijson
// compiled it (shape only). Built once, on first use.
struct CompiledSchema {
  CompiledSchema() : full(Json::parse(ScenarioSchemaText())) {
    Json shape = full;
    StripValueKeywords(shape);
    const Json defs = shape;  // "$ref"s resolve against the stripped copy
    ChainOneOfs(defs, shape);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(shape);
    parser.populateSchema(adapter, compiled);
    quick = ShapeSchema::Compile(shape);
  }
  CompiledSchema(const CompiledSchema&) = delete;
  CompiledSchema& operator=(const CompiledSchema&) = delete;

  Json full;
  valijson::Schema compiled;
  // The same shape for a quick yes/no (nullopt if it uses a keyword ShapeSchema lacks).
  std::optional<ShapeSchema> quick;
};

const CompiledSchema& Schema() {
  static const CompiledSchema& schema = *new CompiledSchema();
  return schema;
}

// ---------------------------------------------------------------------------------------
// Reading the schema beside the document.

// `node` with its "$ref"s followed ("#/$defs/duration"); nullptr for a ref that goes
// nowhere.
const Json* Deref(const Json* node) {
  const Json& root = Schema().full;
  for (int i = 0; node && node->is_object() && node->contains("$ref") && i < 16; ++i) {
    const Json& ref = (*node)["$ref"];
    if (!ref.is_string() || ref.get<std::string>().rfind('#', 0) != 0) return nullptr;
    Json::json_pointer pointer(ref.get<std::string>().substr(1));
    if (!root.contains(pointer)) return nullptr;
    node = &root.at(pointer);
  }
  return node;
}

const Json* Field(const Json* node, std::string_view key) {
  if (!node || !node->is_object()) return nullptr;
  auto it = node->find(key);
  return it == node->end() ? nullptr : &*it;
}

std::vector<std::string> StringList(const Json* list) {
  std::vector<std::string> out;
  if (!list || !list->is_array()) return out;
  for (const Json& v : *list) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool HasString(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string Join(const std::vector<std::string>& names, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

// " (did you mean 'x'?)", or the whole list when no name is close.
std::string Hint(std::string_view word, const std::vector<std::string>& names) {
  std::vector<SuggestCandidate> candidates;
  for (const std::string& n : names) candidates.push_back({n, n});
  if (std::optional<std::string> best = ClosestName(word, candidates)) {
    return " (did you mean '" + *best + "'?)";
  }
  return " (expected one of: " + Join(names) + ")";
}

// Whether a value of `v`'s JSON type can satisfy schema `node` (its "type", "enum",
// "const", or one of its "oneOf" forms).
bool AcceptsType(const Json* node, const Json& v) {
  node = Deref(node);
  if (!node || !node->is_object()) return true;
  if (const Json* type = Field(node, "type")) {
    std::vector<std::string> types =
        type->is_string() ? std::vector<std::string>{type->get<std::string>()} : StringList(type);
    std::string_view have = TypeName(v);
    if (std::none_of(types.begin(), types.end(), [&](const std::string& t) {
          return t == have || (t == "number" && have == "integer");
        })) {
      return false;
    }
  }
  if (const Json* forms = Field(node, "oneOf"); forms && forms->is_array()) {
    return std::any_of(forms->begin(), forms->end(),
                       [&](const Json& f) { return AcceptsType(&f, v); });
  }
  if (Field(node, "type")) return true;
  auto same_type = [&](const Json& example) { return TypeName(example) == TypeName(v); };
  if (const Json* values = Field(node, "enum"); values && values->is_array()) {
    return std::any_of(values->begin(), values->end(), same_type);
  }
  if (const Json* c = Field(node, "const")) return same_type(*c);
  return true;
}

// The forms of a oneOf, each with its "$ref"s followed.
std::vector<const Json*> Forms(const Json* node) {
  std::vector<const Json*> out;
  if (const Json* forms = Field(node, "oneOf"); forms && forms->is_array()) {
    for (const Json& f : *forms) {
      if (const Json* d = Deref(&f)) out.push_back(d);
    }
  }
  return out;
}

// The field a oneOf's object forms are told apart by through a "const" ("kind" of a
// fault), or "".
std::string ConstDiscriminator(const std::vector<const Json*>& forms) {
  std::string key;
  for (const Json* f : forms) {
    const Json* props = Field(f, "properties");
    if (!props || !props->is_object()) return "";
    std::string found;
    for (auto it = props->begin(); it != props->end(); ++it) {
      if (Field(Deref(&it.value()), "const")) found = it.key();
    }
    if (found.empty() || (!key.empty() && found != key)) return "";
    key = found;
  }
  return key;
}

// The required fields of each form that not every form requires: what tells an
// operation's forms apart ("open", "call", ...). In the forms' order, each once.
std::vector<std::string> Discriminators(const std::vector<const Json*>& forms) {
  std::vector<std::string> out;
  for (const Json* f : forms) {
    for (const std::string& k : StringList(Field(f, "required"))) {
      bool everywhere = std::all_of(forms.begin(), forms.end(), [&](const Json* g) {
        return HasString(StringList(Field(g, "required")), k);
      });
      if (!everywhere && !HasString(out, k)) out.push_back(k);
    }
  }
  return out;
}

std::vector<std::string> PropertyNames(const Json* node) {
  std::vector<std::string> out;
  if (const Json* props = Field(node, "properties"); props && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) out.push_back(it.key());
  }
  return out;
}

// Which form of a oneOf a value was meant to be.
struct Choice {
  enum class Kind { kOne, kNone, kSeveral } kind = Kind::kOne;
  const Json* node = nullptr;       // kOne: the schema that applies (no oneOf left)
  std::vector<std::string> fields;  // kSeveral: the fields that name different forms
  std::string form;                 // kOne by a kind field: "a host_down fault", or ""
  std::vector<std::string> own;     // ...and the fields only some kinds take ("host")
};

Choice One(const Json* node) {
  Choice c;
  c.node = node;
  return c;
}

Choice None() {
  Choice c;
  c.kind = Choice::Kind::kNone;
  return c;
}

Choice Choose(const Json* node, const Json& v) {
  node = Deref(node);
  std::vector<const Json*> forms = Forms(node);
  if (forms.empty()) return One(node);
  // A oneOf beside the node's own fields (an invariant: one of no_reach, only_holders,
  // only_through) only says which fields must be there: the node itself applies.
  const bool own = Field(node, "properties") != nullptr;
  if (own && !AcceptsType(node, v)) return None();
  std::vector<const Json*> typed;
  for (const Json* f : forms) {
    if (AcceptsType(f, v)) typed.push_back(f);
  }
  if (typed.empty()) return None();
  std::vector<std::string> discriminators = Discriminators(forms);
  std::string const_key = ConstDiscriminator(forms);
  if (!v.is_object() || (discriminators.empty() && const_key.empty())) {
    return own ? One(node) : Choose(typed.front(), v);
  }
  // Objects: the form whose kind ("kind": "host_down") or whose own fields ("open") the
  // value names.
  int best = 0;
  std::vector<const Json*> winners;
  for (const Json* f : typed) {
    int score = 0;
    if (!const_key.empty()) {
      const Json* expected = Field(Deref(Field(Field(f, "properties"), const_key)), "const");
      if (!v.contains(const_key) || !expected || v[const_key] != *expected) continue;
      score += 1000;
    }
    for (const std::string& k : StringList(Field(f, "required"))) {
      if (HasString(discriminators, k) && v.contains(k)) ++score;
    }
    if (score > best) {
      best = score;
      winners = {f};
    } else if (score == best && score > 0) {
      winners.push_back(f);
    }
  }
  if (winners.size() == 1) {
    if (own) return One(node);
    Choice chosen = Choose(winners.front(), v);
    const Json* title = Field(node, "title");
    if (!const_key.empty() && v[const_key].is_string() && title && title->is_string()) {
      chosen.form = "a " + v[const_key].get<std::string>() + " " + title->get<std::string>();
      for (const std::string& k : PropertyNames(winners.front())) {
        if (std::any_of(forms.begin(), forms.end(),
                        [&](const Json* f) { return !HasString(PropertyNames(f), k); })) {
          chosen.own.push_back(k);
        }
      }
    }
    return chosen;
  }
  if (winners.empty()) return None();
  Choice several;
  several.kind = Choice::Kind::kSeveral;
  for (const std::string& k : discriminators) {
    if (v.contains(k)) several.fields.push_back(k);
  }
  return several;
}

// "a boolean", "an integer from 1 to 100", "a string or null", ... for "expected ...".
std::string ExpectedForms(const Json* node) {
  node = Deref(node);
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (!HasString(out, s)) out.push_back(std::move(s));
  };
  std::vector<const Json*> forms = Forms(node);
  if (!forms.empty()) {
    for (const Json* f : forms) add(ExpectedForms(f));
  } else if (const Json* type = Field(node, "type")) {
    std::vector<std::string> types =
        type->is_string() ? std::vector<std::string>{type->get<std::string>()} : StringList(type);
    for (const std::string& t : types) {
      if (t == "integer") {
        const Json* min = Field(node, "minimum");
        const Json* max = Field(node, "maximum");
        if (min && max) {
          add("an integer from " + min->dump() + " to " + max->dump());
        } else if (min && min->is_number_integer() && min->get<int64_t>() == 0) {
          add("a non-negative integer");
        } else {
          add("an integer");
        }
      } else if (t == "array" || t == "object" || t == "integer") {
        add("an " + t);
      } else if (t == "null") {
        add("null");
      } else {
        add("a " + t);
      }
    }
  } else if (const Json* values = Field(node, "enum"); values && values->is_array()) {
    for (const Json& e : *values) add(e.is_string() ? "a string" : e.dump());
  } else if (const Json* c = Field(node, "const")) {
    add(c->dump());
  }
  if (out.empty()) return "a value";
  std::string last = out.back();
  out.pop_back();
  return out.empty() ? last : Join(out) + " or " + last;
}

// What an enumerated value is called in "unknown ... 'x'": the schema's title, or the
// field's name.
std::string Noun(const Json* property, const Json* node, std::string_view key) {
  for (const Json* n : {property, node}) {
    if (const Json* title = Field(n, "title"); title && title->is_string()) {
      return title->get<std::string>();
    }
  }
  std::string out(key);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out.empty() ? "value" : out;
}

// ---------------------------------------------------------------------------------------
// Translating valijson's errors.

class Translator {
 public:
  explicit Translator(const Json& document) : document_(document) {}

  void Translate(const valijson::ValidationResults::Error& error) {
    // Walk the document and the schema down valijson's context: "<root>", "[hosts]", "[2]".
    const Json* value = &document_;
    const Json* node = &Schema().full;
    const Json* property = nullptr;  // the schema as written at the last member (titles)
    std::string path = "$";
    std::string key;
    for (size_t i = 1; i < error.context.size(); ++i) {
      std::string step = error.context[i];
      if (step.size() >= 2 && step.front() == '[' && step.back() == ']') {
        step = step.substr(1, step.size() - 2);
      }
      Choice c = Choose(node, *value);
      // Below a value whose form is unclear, the problem is reported at that value.
      if (c.kind != Choice::Kind::kOne) return;
      node = c.node;
      if (value->is_array()) {
        if (step.empty() || !std::all_of(step.begin(), step.end(), [](char ch) {
              return std::isdigit(static_cast<unsigned char>(ch));
            })) {
          return;
        }
        size_t index = std::stoul(step);
        if (index >= value->size()) return;
        value = &(*value)[index];
        path = Index(path, index);
        property = Field(node, "items");
      } else if (value->is_object()) {
        auto it = value->find(step);
        if (it == value->end()) return;
        value = &*it;
        path = Member(path, step);
        key = step;
        property = Field(Field(node, "properties"), step);
        if (!property) {
          const Json* extra = Field(node, "additionalProperties");
          property = extra && extra->is_object() ? extra : nullptr;
        }
      } else {
        return;
      }
      node = property;
      if (!node) return;  // inside an unknown field: reported as unknown
    }
    At(error.description, *value, node, property, path, key);
  }

  std::vector<SchemaProblem> Take() { return std::move(problems_); }

 private:
  void Report(const std::string& path, std::string message) {
    if (seen_.insert(path + "\n" + message).second) {
      problems_.push_back({path, std::move(message)});
    }
  }

  // The error `description` about `v` at `path`, where schema `node` applies.
  void At(const std::string& description, const Json& v, const Json* node, const Json* property,
          const std::string& path, const std::string& key) {
    auto starts = [&](std::string_view s) { return description.rfind(s, 0) == 0; };
    Choice c = Choose(node, v);
    if (starts("Value type not permitted") || starts("Failed to validate against any child") ||
        starts("Failed to validate against a conditional")) {
      if (c.kind == Choice::Kind::kOne && AcceptsType(c.node, v)) return;  // a form's own
      if (c.kind == Choice::Kind::kSeveral) {
        std::vector<std::string> quoted;
        for (const std::string& f : c.fields) quoted.push_back("'" + f + "'");
        std::string last = quoted.back();
        quoted.pop_back();
        Report(path, "found " + Join(quoted) + " and " + last +
                         ", which exclude each other (give one of them)");
      } else if (c.kind == Choice::Kind::kNone && v.is_object() && AcceptsType(node, v)) {
        NoForm(v, Deref(node), path);
      } else {
        Report(path, "expected " + ExpectedForms(node) + ", got " + DescribeValue(v));
      }
      return;
    }
    if (c.kind != Choice::Kind::kOne) return;  // reported at the oneOf itself
    const Json* here = c.node;
    if (starts("Failed to match against any enum")) {
      std::vector<std::string> values = StringList(Field(here, "enum"));
      if (values.empty() || (v.is_string() && HasString(values, v.get<std::string>()))) return;
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        Report(path, "unknown " + Noun(property, here, key) + " '" + s + "'" + Hint(s, values));
      } else {
        Report(path, "expected one of: " + Join(values) + ", got " + DescribeValue(v));
      }
    } else if (starts("Object contains a property")) {
      if (!v.is_object()) return;
      UnknownFields(v, here, path, c);
    } else if (starts("Missing required property '")) {
      size_t open = description.find('\'');
      size_t close = description.rfind('\'');
      if (close <= open) return;
      std::string field = description.substr(open + 1, close - open - 1);
      if (v.is_object() && !v.contains(field) &&
          HasString(StringList(Field(here, "required")), field)) {
        Report(path, c.form.empty() ? "missing required field '" + field + "'"
                                    : c.form + " needs '" + field + "'");
      }
    }
    // Everything else summarises problems reported on their own ("Failed to validate
    // item #2 in array", a const of a form not chosen, ...).
  }

  // Every field of object `v` that schema `node` does not list.
  // `choice` may name the form chosen by a kind field ("a host_down fault").
  void UnknownFields(const Json& v, const Json* node, const std::string& path,
                     const Choice& choice) {
    const Json* extra = Field(node, "additionalProperties");
    if (!extra || !extra->is_boolean() || extra->get<bool>()) return;
    std::vector<std::string> known = PropertyNames(node);
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (HasString(known, it.key())) continue;
      std::string hint = Hint(it.key(), known);
      if (choice.form.empty()) {
        Report(Member(path, it.key()), "unknown field '" + it.key() + "'" + hint);
      } else if (hint.rfind(" (did you mean", 0) == 0) {
        Report(Member(path, it.key()), "unknown field '" + it.key() + "'" + hint);
      } else {
        Report(Member(path, it.key()),
               choice.form + " has no '" + it.key() + "' (it takes " + Join(choice.own) + ")");
      }
    }
  }

  // An object that matches none of the forms `node` allows: name the field that would
  // choose one.
  void NoForm(const Json& v, const Json* node, const std::string& path) {
    std::vector<const Json*> forms = Forms(node);
    std::vector<std::string> known = PropertyNames(node);
    for (const Json* f : forms) {
      for (const std::string& k : PropertyNames(f)) {
        if (!HasString(known, k)) known.push_back(k);
      }
    }
    const std::string kind = ConstDiscriminator(forms);
    // Fields no form has; suggested among the fields that choose a form, or any field.
    std::vector<std::string> discriminators = Discriminators(forms);
    bool unknown = false;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (HasString(known, it.key())) continue;
      unknown = true;
      Report(Member(path, it.key()), "unknown field '" + it.key() + "'" +
                                         Hint(it.key(), kind.empty() ? discriminators : known));
    }
    if (kind.empty()) {
      if (!unknown) Report(path, "needs one of: " + Join(discriminators));
      return;
    }
    if (!v.contains(kind)) {
      Report(path, "missing required field '" + kind + "'");
      return;
    }
    std::vector<std::string> kinds;
    for (const Json* f : forms) {
      const Json* property = Field(Field(f, "properties"), kind);
      if (const Json* c = Field(Deref(property), "const"); c && c->is_string()) {
        kinds.push_back(c->get<std::string>());
      }
    }
    const Json& given = v[kind];
    if (given.is_string()) {
      // "fault kind": the title of the whole ("fault") and the field's name.
      const Json* title = Field(node, "title");
      std::string noun =
          (title && title->is_string() ? title->get<std::string>() + " " : "") + kind;
      std::string s = given.get<std::string>();
      Report(Member(path, kind), "unknown " + noun + " '" + s + "'" + Hint(s, kinds));
    } else {
      Report(Member(path, kind),
             "expected one of: " + Join(kinds) + ", got " + DescribeValue(given));
    }
  }

  const Json& document_;
  std::vector<SchemaProblem> problems_;
  std::set<std::string> seen_;
};

}  // namespace

bool ValijsonAccepts(const nlohmann::json& document) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  return validator.validate(Schema().compiled, adapter, nullptr);
}

std::optional<bool> QuickShapeAccepts(const nlohmann::json& document) {
  const CompiledSchema& schema = Schema();
  if (!schema.quick) return std::nullopt;
  return schema.quick->Matches(document);
}

std::vector<SchemaProblem> CheckAgainstSchema(const nlohmann::json& document) {
  const CompiledSchema& schema = Schema();
  // valijson copies its error context for every value it visits, matching or not: a
  // document that matches is told so by the quick check alone (sim/schema_shape.h).
  if (schema.quick && schema.quick->Matches(document)) return {};
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  valijson::ValidationResults results;
  if (validator.validate(schema.compiled, adapter, &results)) return {};
  Translator translator(document);
  for (const valijson::ValidationResults::Error& e : results) translator.Translate(e);
  std::vector<SchemaProblem> problems = translator.Take();
  if (problems.empty()) {
    // valijson found something the translation does not recognise: say it as it is.
    const valijson::ValidationResults::Error& first = *results.begin();
    std::string where;
    for (size_t i = 1; i < first.context.size(); ++i) where += first.context[i];
    problems.push_back({"$", "does not match the scenario schema at " +
                                 (where.empty() ? std::string("the top") : where) + ": " +
                                 first.description});
  }
  return problems;
}

}  // namespace delegsim::sim
