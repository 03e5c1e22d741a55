#include "analysis/scenario_edit.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "kdc/directory.h"
#include "sim/loader.h"
#include "sim/suggest.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kCollections[] = {"accounts", "groups",  "services", "objects",
                                             "hosts",    "domains", "trusts",   "calls"};
// Top-level fields an edit may set directly (everything else lives in a collection).
constexpr std::string_view kTopLevel[] = {"profile", "seed", "description", "name"};
constexpr std::string_view kListFields[] = {"spns",
                                            "allowed_to_delegate_to",
                                            "allowed_to_act_on_behalf_of",
                                            "allowed_to_authenticate",
                                            "members",
                                            "member_of",
                                            "privileges",
                                            "transports",
                                            "acl",
                                            "attributes",
                                            "then"};

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> Names(const auto& list) {
  std::vector<std::string> out;
  for (std::string_view s : list) out.emplace_back(s);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && kdc::ToLower(a) == kdc::ToLower(b);
}

// A plain string prints without quotes in an edit ("svc_web", "Protected Users").
std::string ValueText(const std::string& json_text) {
  Json v = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("_-./@$ :\\").find(c) != std::string_view::npos;
    });
    if (plain && s.front() != ' ' && s.back() != ' ') return s;
  }
  return v.is_discarded() ? json_text : v.dump();
}

// Whether an account or group entry `e` is the one `key` names: "alice", "alice@CORP.EXAMPLE"
// or "CORP\alice" (names and realms without regard to case, as the loader compares them).
bool PrincipalMatches(const Json& e, const std::string& key) {
  if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) return false;
  std::string name = e["name"].get<std::string>();
  std::string domain =
      e.contains("domain") && e["domain"].is_string() ? e["domain"].get<std::string>() : "";
  if (EqualsIgnoreCase(name, key)) return true;
  if (size_t at = key.find('@'); at != std::string::npos) {
    return EqualsIgnoreCase(name, key.substr(0, at)) &&
           EqualsIgnoreCase(domain, key.substr(at + 1));
  }
  if (size_t bs = key.find('\\'); bs != std::string::npos) {
    std::string netbios = domain.substr(0, domain.find('.'));
    return EqualsIgnoreCase(name, key.substr(bs + 1)) &&
           EqualsIgnoreCase(netbios, key.substr(0, bs));
  }
  return false;
}

std::string ElementName(const std::string& collection, const Json& e) {
  if (!e.is_object()) return "";
  if (collection == "trusts") {
    return e.value("trusting", std::string()) + "->" + e.value("trusted", std::string());
  }
  if (e.contains("name") && e["name"].is_string()) return e["name"].get<std::string>();
  return "";
}

// Where a call operation nests other operations.
constexpr std::string_view kNestings[] = {"then", "create_process", "create_process_as_user"};

// The call operations made directly by the hop whose operations are `ops` (not those of
// deeper hops), in document order, with their JSON paths.
void CollectCalls(Json& ops, const std::string& path,
                  std::vector<std::pair<Json*, std::string>>* out) {
  if (!ops.is_array()) return;
  for (size_t i = 0; i < ops.size(); ++i) {
    Json& op = ops[i];
    if (!op.is_object()) continue;
    std::string here = path + "[" + std::to_string(i) + "]";
    if (op.contains("call")) {
      out->push_back({&op, here});
      continue;
    }
    for (std::string_view n : kNestings) {
      if (op.contains(n)) CollectCalls(op[std::string(n)], here + "." + std::string(n), out);
    }
  }
}

std::string CallLabel(const Json& call) {
  if (call.contains("name") && call["name"].is_string()) return call["name"].get<std::string>();
  return call["call"].is_string() ? call["call"].get<std::string>() : "";
}

class Editor {
 public:
  explicit Editor(Json& doc) : doc_(doc) {}

  // The element `e` addresses and its JSON path, or a problem.
  StatusOr<std::pair<Json*, std::string>> Find(const Edit& e) {
    if (e.collection.empty()) {
      return std::pair<Json*, std::string>{&doc_, "$"};
    }
    if (e.collection == "options") {
      if (!doc_.contains("options")) doc_["options"] = Json::object();
      return std::pair<Json*, std::string>{&doc_["options"], "$.options"};
    }
    if (e.collection == "calls") return FindCall(e.key);
    Json& list = doc_[e.collection];
    if (!list.is_array()) list = Json::array();
    std::vector<std::string> names;
    std::vector<size_t> hits;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string name = ElementName(e.collection, list[i]);
      names.push_back(name);
      bool match;
      if (e.collection == "accounts" || e.collection == "groups") {
        match = PrincipalMatches(list[i], e.key);
      } else if (e.collection == "trusts") {
        size_t arrow = e.key.find("->");
        match = arrow != std::string::npos &&
                EqualsIgnoreCase(list[i].value("trusting", std::string()),
                                 Trim(e.key.substr(0, arrow))) &&
                EqualsIgnoreCase(list[i].value("trusted", std::string()),
                                 Trim(e.key.substr(arrow + 2)));
      } else if (e.collection == "domains") {
        match = EqualsIgnoreCase(name, e.key);
      } else if (e.collection == "objects") {
        // An object is unique on its host: "name" or "name@host".
        size_t at = e.key.rfind('@');
        match = name == e.key || (at != std::string::npos && name == e.key.substr(0, at) &&
                                  list[i].value("host", std::string()) == e.key.substr(at + 1));
      } else {
        match = name == e.key;
      }
      if (match) hits.push_back(i);
    }
    std::string singular = e.collection.substr(0, e.collection.size() - 1);
    if (hits.empty()) {
      std::string hint = e.collection == "trusts" ? " (write trusts[TRUSTING->TRUSTED])" : "";
      return NotFound("no " + singular + " '" + e.key + "'" + sim::DidYouMean(e.key, names) + hint);
    }
    if (hits.size() > 1) {
      return InvalidArgument("'" + e.key + "' names " + std::to_string(hits.size()) + " " +
                             e.collection + "; qualify it (" +
                             (e.collection == "objects" ? "name@host" : "name@DOMAIN") + ")");
    }
    return std::pair<Json*, std::string>{&list[hits[0]],
                                         "$." + e.collection + "[" + std::to_string(hits[0]) + "]"};
  }

  // Applies `e`; the JSON path of the field written, or a problem.
  StatusOr<std::string> Apply(const Edit& e) {
    StatusOr<std::pair<Json*, std::string>> at = Find(e);
    if (!at.ok()) return at.status();
    auto [elem, path] = *at;
    if (e.collection.empty() &&
        std::find(std::begin(kTopLevel), std::end(kTopLevel), e.field) == std::end(kTopLevel)) {
      std::vector<std::string> all = Names(kTopLevel);
      for (std::string_view c : kCollections) all.emplace_back(c);
      all.emplace_back("options");
      return InvalidArgument("'" + e.field + "' is not a top-level field that can be set" +
                             sim::DidYouMean(e.field, all) +
                             "; name an element: accounts.NAME.FIELD, calls.PATH.FIELD, ...");
    }
    Json value = Json::parse(e.value, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return InvalidArgument("the value " + e.value + " is not JSON");
    std::string field_path = path + "." + e.field;
    Json& slot = (*elem)[e.field];
    if (e.op == Edit::Op::kSet) {
      slot = std::move(value);
      return field_path;
    }
    const char* op = e.op == Edit::Op::kAdd ? "+=" : "-=";
    if (slot.is_null()) {
      if (e.op == Edit::Op::kRemove) {
        elem->erase(e.field);
        if (std::find(std::begin(kListFields), std::end(kListFields), e.field) !=
            std::end(kListFields)) {
          return NotFound(Describe(e) + "." + e.field + " does not list " + ValueText(e.value) +
                          " (the list is empty)");
        }
        std::vector<std::string> present;
        for (auto it = elem->begin(); it != elem->end(); ++it) present.push_back(it.key());
        std::vector<std::string> lists = Names(kListFields);
        present.insert(present.end(), lists.begin(), lists.end());
        return NotFound(Describe(e) + " has no list '" + e.field + "'" +
                        sim::DidYouMean(e.field, present));
      }
      slot = Json::array();
    }
    if (!slot.is_array()) {
      return InvalidArgument(std::string(op) + " needs a list, but " + Describe(e) + "." + e.field +
                             " is " + slot.dump() + "; use = to replace it");
    }
    auto same = [&](const Json& x) {
      if (x.is_string() && value.is_string()) {
        return EqualsIgnoreCase(x.get_ref<const std::string&>(),
                                value.get_ref<const std::string&>());
      }
      return x == value;
    };
    auto it = std::find_if(slot.begin(), slot.end(), same);
    if (e.op == Edit::Op::kAdd) {
      if (it != slot.end()) {
        return AlreadyExists(Describe(e) + "." + e.field + " already lists " + ValueText(e.value));
      }
      slot.push_back(std::move(value));
    } else {
      if (it == slot.end()) {
        return NotFound(Describe(e) + "." + e.field + " does not list " + ValueText(e.value));
      }
      slot.erase(it);
    }
    return field_path;
  }

 private:
  static std::string Describe(const Edit& e) {
    if (e.collection.empty()) return "the scenario";
    if (e.collection == "options") return "options";
    return e.collection + "[" + e.key + "]";
  }

  StatusOr<std::pair<Json*, std::string>> FindCall(const std::string& hop_path) {
    std::vector<std::string> segs;
    size_t start = 0;
    while (true) {
      size_t slash = hop_path.find('/', start);
      segs.push_back(hop_path.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (segs.size() < 2) {
      return InvalidArgument("calls[" + hop_path +
                             "]: name a hop path, STEP/SERVICE[/SERVICE...] (e.g. c1/web/db)");
    }
    Json& steps = doc_["steps"];
    if (!steps.is_array()) steps = Json::array();
    Json* call = nullptr;
    std::string path;
    std::vector<std::string> step_names;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (!steps[i].is_object() || !steps[i].contains("name")) continue;
      step_names.push_back(steps[i].value("name", std::string()));
      if (step_names.back() == segs[0]) {
        call = &steps[i];
        path = "$.steps[" + std::to_string(i) + "]";
      }
    }
    if (!call) return NotFound("no step '" + segs[0] + "'" + sim::DidYouMean(segs[0], step_names));
    // A step's first hop is named after the service it calls.
    std::string first = (*call)["call"].is_string() ? (*call)["call"].get<std::string>() : "";
    if (first != segs[1]) {
      return NotFound("step '" + segs[0] + "' calls '" + first + "', not '" + segs[1] + "'");
    }
    for (size_t k = 2; k < segs.size(); ++k) {
      std::vector<std::pair<Json*, std::string>> calls;
      if (call->contains("then")) CollectCalls((*call)["then"], path + ".then", &calls);
      std::string label = segs[k];
      int nth = 1;
      if (size_t hash = label.find('#'); hash != std::string::npos) {
        nth = std::atoi(label.c_str() + hash + 1);
        label = label.substr(0, hash);
      }
      Json* next = nullptr;
      std::vector<std::string> labels;
      int seen = 0;
      for (auto& [c, p] : calls) {
        labels.push_back(CallLabel(*c));
        if (CallLabel(*c) == label && ++seen == nth) {
          next = c;
          path = p;
        }
      }
      if (!next) {
        std::string prefix = segs[0];
        for (size_t j = 1; j < k; ++j) prefix += "/" + segs[j];
        return NotFound("hop " + prefix + " makes no call '" + segs[k] + "'" +
                        sim::DidYouMean(segs[k], labels));
      }
      call = next;
    }
    return std::pair<Json*, std::string>{call, path};
  }

  Json& doc_;
};

}  // namespace

std::string Edit::ToString() const {
  std::string lhs;
  if (collection.empty()) {
    lhs = field;
  } else if (collection == "options") {
    lhs = "options." + field;
  } else {
    lhs = collection + "[" + key + "]." + field;
  }
  const char* op_text = op == Op::kSet ? " = " : op == Op::kAdd ? " += " : " -= ";
  return lhs + op_text + ValueText(value);
}

bool Edit::operator<(const Edit& o) const {
  return std::tie(collection, key, field, op, value) <
         std::tie(o.collection, o.key, o.field, o.op, o.value);
}

bool Edit::operator==(const Edit& o) const {
  return std::tie(collection, key, field, op, value) ==
         std::tie(o.collection, o.key, o.field, o.op, o.value);
}

bool Edit::SameTarget(const Edit& o) const {
  if (collection != o.collection || key != o.key || field != o.field) return false;
  // Two different entries added to (or removed from) one list do not conflict.
  return op == Op::kSet || o.op == Op::kSet || value == o.value;
}

StatusOr<Edit> ParseEdit(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument("'" + std::string(text) +
                           "': expected PATH=VALUE, PATH+=VALUE or PATH-=VALUE "
                           "(e.g. accounts.svc_web.trusted_for_delegation=false)");
  }
  Edit e;
  size_t lhs_end = eq;
  if (text[eq - 1] == '+' || text[eq - 1] == '-') {
    e.op = text[eq - 1] == '+' ? Edit::Op::kAdd : Edit::Op::kRemove;
    lhs_end = eq - 1;
  }
  std::string lhs = Trim(text.substr(0, lhs_end));
  std::string rhs = Trim(text.substr(eq + 1));
  Json value = Json::parse(rhs, nullptr, /*allow_exceptions=*/false);
  e.value = value.is_discarded() ? Json(rhs).dump() : value.dump();

  size_t bracket = lhs.find('[');
  size_t first_dot = lhs.find('.');
  if (bracket != std::string::npos && (first_dot == std::string::npos || bracket < first_dot)) {
    size_t close = lhs.rfind(']');
    if (close == std::string::npos || close < bracket || close + 1 >= lhs.size() ||
        lhs[close + 1] != '.') {
      return InvalidArgument("'" + lhs + "': expected COLLECTION[NAME].FIELD");
    }
    e.collection = lhs.substr(0, bracket);
    e.key = Trim(lhs.substr(bracket + 1, close - bracket - 1));
    e.field = Trim(lhs.substr(close + 2));
  } else if (first_dot == std::string::npos) {
    e.field = lhs;  // top level
  } else {
    e.collection = lhs.substr(0, first_dot);
    if (e.collection == "options") {
      e.field = lhs.substr(first_dot + 1);
    } else {
      size_t last_dot = lhs.rfind('.');
      if (last_dot == first_dot) {
        return InvalidArgument("'" + lhs + "': expected " + e.collection + ".NAME.FIELD");
      }
      e.key = Trim(lhs.substr(first_dot + 1, last_dot - first_dot - 1));
      e.field = lhs.substr(last_dot + 1);
    }
  }
  if (!e.collection.empty() && e.collection != "options" &&
      std::find(std::begin(kCollections), std::end(kCollections), e.collection) ==
          std::end(kCollections)) {
    std::vector<std::string> all = Names(kCollections);
    all.emplace_back("options");
    return InvalidArgument("'" + lhs + "': unknown collection '" + e.collection + "'" +
                           sim::DidYouMean(e.collection, all) + " (expected one of accounts, " +
                           "groups, services, objects, hosts, domains, trusts, calls, options)");
  }
  if (e.field.empty() || (e.collection != "options" && !e.collection.empty() && e.key.empty())) {
    return InvalidArgument("'" + lhs + "': a name and a field are needed");
  }
  return e;
}

EditedScenario ApplyEdits(std::string_view text, const std::string& file_name,
                          const std::vector<Edit>& edits) {
  EditedScenario out;
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    out.problems.push_back(file_name + ": not a JSON object (run delegsim validate " + file_name +
                           ")");
    return out;
  }
  Editor editor(doc);
  std::vector<std::string> written;  // JSON path of each edit's field, "" when it failed
  for (const Edit& e : edits) {
    StatusOr<std::string> at = editor.Apply(e);
    if (!at.ok()) {
      out.problems.push_back(e.ToString() + ": " + at.status().message());
      written.emplace_back();
    } else {
      written.push_back(*at);
    }
  }
  // The edits that applied are loaded even when others failed: every problem at once.
  bool failed = !out.problems.empty();
  out.text = doc.dump(2) + "\n";
  sim::LoadResult loaded = sim::LoadScenarioText(out.text, file_name);
  for (const sim::Problem& p : loaded.problems) {
    // The problem belongs to the edit that wrote its value (or something inside it).
    std::string owner;
    for (size_t i = 0; i < edits.size(); ++i) {
      const std::string& w = written[i];
      if (!w.empty() && p.path.rfind(w, 0) == 0 &&
          (p.path.size() == w.size() || p.path[w.size()] == '.' || p.path[w.size()] == '[')) {
        owner = edits[i].ToString();
      }
    }
    out.problems.push_back((owner.empty() ? "after the edits: " + p.path : owner) + ": " +
                           p.message);
  }
  if (loaded.ok() && !failed) out.scenario = std::move(loaded.scenario);
  return out;
}

Status CheckCallPath(std::string_view text, const std::string& hop_path) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgument("not a JSON object");
  Editor editor(doc);
  Edit e;
  e.collection = "calls";
  e.key = hop_path;
  StatusOr<std::pair<Json*, std::string>> at = editor.Find(e);
  return at.ok() ? Status::Ok() : at.status();
}

int EditBreadth(const Edit& e) {
  if (e.collection == "calls") return 0;
  if (e.collection == "objects") return 1;
  if (e.collection == "accounts") {
    if (e.field == "allowed_to_act_on_behalf_of" || e.field == "allowed_to_authenticate") return 1;
    if (e.field == "allowed_to_delegate_to") return 2;
    if (e.field == "trusted_to_auth_for_delegation") return 3;
    if (e.field == "trusted_for_delegation") return 6;
    return 4;
  }
  if (e.collection == "groups") return 4;
  if (e.collection == "services" || e.collection == "hosts") return 2;
  if (e.collection == "trusts" || e.collection == "domains") return 5;
  return 7;
}

}  // namespace delegsim::analysis
