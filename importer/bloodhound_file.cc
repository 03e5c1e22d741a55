#include "importer/bloodhound_file.h"

#include <charconv>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

namespace delegsim::importer {
namespace {

using Json = nlohmann::json;

// Problems per file beyond this many are counted, not listed.
constexpr size_t kMaxProblemsPerFile = 50;

struct TooDeep : std::exception {};

std::string_view TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

bool IsIdentifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string Member(const std::string& path, std::string_view key) {
  if (IsIdentifier(key)) return path + "." + std::string(key);
  return path + "[" + Json(std::string(key)).dump() + "]";
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Typed reads of one JSON object's members; a member of the wrong type is a problem and
// reads as absent. `null` reads as absent: the collector writes it for unset attributes.
class Fields {
 public:
  Fields(const Json* object, std::string path, std::vector<ImportProblem>* problems)
      : object_(object), path_(std::move(path)), problems_(problems) {}

  const std::string& path() const { return path_; }

  const Json* Get(std::string_view key) const {
    if (object_ == nullptr) return nullptr;
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<Fields> Object(std::string_view key) const {
    const Json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) {
      Wrong(Member(path_, key), "an object", *v);
      return std::nullopt;
    }
    return Fields(v, Member(path_, key), problems_);
  }

  std::optional<bool> Bool(std::string_view key) const {
    const Json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
      Wrong(Member(path_, key), "a boolean", *v);
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::string String(std::string_view key) const {
    const Json* v = Get(key);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Wrong(Member(path_, key), "a string", *v);
      return "";
    }
    return v->get<std::string>();
  }

  std::vector<std::string> Strings(std::string_view key) const {
    std::vector<std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Wrong(Member(path_, key), "an array of strings", *v);
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      const Json& e = (*v)[i];
      if (e.is_null()) continue;
      if (!e.is_string()) {
        Wrong(Index(Member(path_, key), i), "a string", e);
        continue;
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  // An array of typed principals, {"ObjectIdentifier": SID, "ObjectType": "User"}: the SIDs.
  std::vector<std::string> Principals(std::string_view key) const {
    std::vector<std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Wrong(Member(path_, key), "an array of principals", *v);
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      Fields p(&(*v)[i], Index(Member(path_, key), i), problems_);
      if (!(*v)[i].is_object()) {
        Wrong(p.path(), "a principal object (ObjectIdentifier, ObjectType)", (*v)[i]);
        continue;
      }
      std::string sid = p.String("ObjectIdentifier");
      if (sid.empty()) {
        Report(Member(p.path(), "ObjectIdentifier"), "missing the principal's SID");
        continue;
      }
      out.push_back(std::move(sid));
    }
    return out;
  }

  // A number, or a string of digits (collectors have written both).
  std::optional<uint32_t> Unsigned(std::string_view key) const {
    const Json* v = Get(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_unsigned() && v->get<uint64_t>() <= 0xFFFFFFFFu) {
      return static_cast<uint32_t>(v->get<uint64_t>());
    }
    if (v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      uint32_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return n;
    }
    Wrong(Member(path_, key), "a number from 0 to 4294967295", *v);
    return std::nullopt;
  }

  // An enumeration written by name (StringEnumConverter, v5 and v6) or by number.
  int Enum(std::string_view key, const std::vector<std::string_view>& names) const {
    const Json* v = Get(key);
    if (v == nullptr) return -1;
    if (v->is_number_integer()) {
      int64_t n = v->get<int64_t>();
      if (n >= 0 && n < static_cast<int64_t>(names.size())) return static_cast<int>(n);
    } else if (v->is_string()) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (v->get_ref<const std::string&>() == names[i]) return static_cast<int>(i);
      }
    }
    std::string expected;
    for (std::string_view n : names) expected += (expected.empty() ? "" : ", ") + std::string(n);
    Report(Member(path_, key), "unknown value " + v->dump() + " (expected one of: " + expected +
                                   ", or their numbers 0 to " + std::to_string(names.size() - 1) +
                                   ")");
    return -1;
  }

  void Report(std::string path, std::string message) const {
    problems_->push_back({"", std::move(path), std::move(message)});
  }

 private:
  void Wrong(const std::string& path, std::string_view expected, const Json& got) const {
    Report(path, "expected " + std::string(expected) + ", got " + std::string(TypeName(got)));
  }

  const Json* object_;
  std::string path_;
  std::vector<ImportProblem>* problems_;
};

BhTrust ReduceTrust(const Fields& t) {
  static const std::vector<std::string_view> kDirections = {"Disabled", "Inbound", "Outbound",
                                                            "Bidirectional"};
  static const std::vector<std::string_view> kTypes = {"ParentChild", "CrossLink", "Forest",
                                                       "External", "Unknown"};
  BhTrust trust;
  trust.path = t.path();
  trust.target_sid = t.String("TargetDomainSid");
  trust.target_name = t.String("TargetDomainName");
  trust.direction = t.Enum("TrustDirection", kDirections);
  int type = t.Enum("TrustType", kTypes);
  if (type >= 0) trust.type = kTypes[static_cast<size_t>(type)];
  trust.transitive = t.Bool("IsTransitive");
  trust.sid_filtering = t.Bool("SidFilteringEnabled");
  trust.tgt_delegation = t.Bool("TGTDelegationEnabled");
  trust.attributes = t.Unsigned("TrustAttributes");
  if (trust.target_name.empty()) t.Report(Member(t.path(), "TargetDomainName"), "missing");
  if (trust.direction < 0 && t.Get("TrustDirection") == nullptr) {
    t.Report(Member(t.path(), "TrustDirection"), "missing");
  }
  return trust;
}

// One element of `data`, whatever the file's type (meta comes last in a collector file, so
// the type is not known yet): reads the members of every supported type.
BhObject Reduce(const Json& element, size_t index, std::vector<ImportProblem>* problems) {
  Fields o(&element, Index("$.data", index), problems);
  BhObject out;
  out.index = index;
  out.sid = o.String("ObjectIdentifier");
  if (out.sid.empty()) o.Report(Member(o.path(), "ObjectIdentifier"), "missing the object's SID");
  out.deleted = o.Bool("IsDeleted").value_or(false);
  std::optional<Fields> p = o.Object("Properties");
  if (!p) {
    if (o.Get("Properties") == nullptr) o.Report(Member(o.path(), "Properties"), "missing");
    return out;
  }
  out.name = p->String("name");
  out.sam = p->String("samaccountname");
  out.domain = p->String("domain");
  out.domain_sid = p->String("domainsid");
  out.enabled = p->Bool("enabled").value_or(true);
  out.sensitive = p->Bool("sensitive").value_or(false);
  out.unconstrained = p->Bool("unconstraineddelegation").value_or(false) ||
                      o.Bool("UnconstrainedDelegation").value_or(false);
  out.trusted_to_auth = p->Bool("trustedtoauth").value_or(false);
  out.is_dc = o.Bool("IsDC").value_or(false) || p->Bool("isdc").value_or(false);
  out.managed = p->Bool("gmsa").value_or(false) || p->Bool("msa").value_or(false);
  out.allowed_to_delegate = p->Strings("allowedtodelegate");
  out.spns = p->Strings("serviceprincipalnames");
  if (const Json* fl = p->Get("functionallevel")) {
    out.functional_level =
        fl->is_number_integer() ? std::to_string(fl->get<int64_t>()) : p->String("functionallevel");
  }
  out.allowed_to_act = o.Principals("AllowedToAct");
  out.members = o.Principals("Members");
  out.primary_group_sid = o.String("PrimaryGroupSID");
  out.forest_root_sid = o.String("ForestRootIdentifier");
  if (const Json* trusts = o.Get("Trusts")) {
    std::string path = Member(o.path(), "Trusts");
    if (!trusts->is_array()) {
      o.Report(path, "expected an array of trusts, got " + std::string(TypeName(*trusts)));
    } else {
      for (size_t i = 0; i < trusts->size(); ++i) {
        Fields t(&(*trusts)[i], Index(path, i), problems);
        if (!(*trusts)[i].is_object()) {
          o.Report(t.path(), "expected a trust object, got " + std::string(TypeName((*trusts)[i])));
          continue;
        }
        out.trusts.push_back(ReduceTrust(t));
      }
    }
  }
  return out;
}

BhKind KindOf(std::string_view type) {
  if (type == "users") return BhKind::kUsers;
  if (type == "computers") return BhKind::kComputers;
  if (type == "groups") return BhKind::kGroups;
  if (type == "domains") return BhKind::kDomains;
  return BhKind::kOther;
}

// 1-based line and column of byte `offset` of `text`.
std::pair<int, int> LineAndColumn(std::string_view text, size_t offset) {
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

void ReadMeta(const Json& meta, BhFile* file, std::vector<ImportProblem>* problems) {
  Fields m(&meta, "$.meta", problems);
  if (!meta.is_object()) {
    m.Report("$.meta", "expected an object, got " + std::string(TypeName(meta)));
    return;
  }
  const Json* version = m.Get("version");
  if (version == nullptr) {
    m.Report("$.meta.version", "missing: which collector format version is this?");
  } else if (!version->is_number_integer()) {
    m.Report("$.meta.version", "expected an integer, got " + std::string(TypeName(*version)));
  } else {
    int64_t v = version->get<int64_t>();
    if (v < kMinBloodHoundVersion || v > kMaxBloodHoundVersion) {
      m.Report("$.meta.version",
               "unsupported collector format version " + std::to_string(v) +
                   " (supported: 5, SharpHound 1.x for BloodHound 4.x; 6, SharpHound 2.x for "
                   "BloodHound CE)");
    } else {
      file->version = static_cast<int>(v);
    }
  }
  file->type = m.String("type");
  if (file->type.empty() && m.Get("type") == nullptr) {
    m.Report("$.meta.type", "missing: which kind of objects does the file hold?");
  }
  file->kind = KindOf(file->type);
  if (const Json* count = m.Get("count"); count && count->is_number_integer()) {
    file->declared_count = count->get<int64_t>();
  }
}

}  // namespace

BhFile ParseBloodHoundFile(const std::string& label, std::string_view text) {
  BhFile file;
  file.label = label;
  std::vector<ImportProblem> deferred;  // problems of `data` elements: kept if the type is used
  std::vector<ImportProblem> problems;
  size_t uncounted = 0;  // deferred problems beyond the cap, counted only
  auto CapProblems = [&] {
    if (deferred.size() > kMaxProblemsPerFile + 1) {
      uncounted += deferred.size() - (kMaxProblemsPerFile + 1);
      deferred.resize(kMaxProblemsPerFile + 1);
    }
  };
  std::string top_key;
  size_t index = 0;
  bool saw_data_array = false;
  Json::parser_callback_t on_event = [&](int depth, Json::parse_event_t event,
                                         Json& parsed) -> bool {
    if (depth > kMaxBloodHoundDepth) throw TooDeep();
    if (depth == 1 && event == Json::parse_event_t::key) {
      top_key = parsed.get<std::string>();
      return true;
    }
    if (depth == 1 && top_key == "data" && event == Json::parse_event_t::array_start) {
      saw_data_array = true;
    }
    if (depth == 2 && top_key == "data") {
      if (event == Json::parse_event_t::object_end) {
        if (file.objects.size() < file.objects.max_size()) {
          file.objects.push_back(Reduce(parsed, index, &deferred));
        }
        CapProblems();
        ++index;
        return false;  // reduced: drop the element's tree
      }
      if (event == Json::parse_event_t::value || event == Json::parse_event_t::array_end) {
        deferred.push_back({"", Index("$.data", index),
                            "expected an object, got " + std::string(TypeName(parsed))});
        CapProblems();
        ++index;
        return false;
      }
    }
    // Other top-level members than data and meta are not needed: drop them as they end.
    if (depth == 1 && top_key != "meta" && top_key != "data" &&
        (event == Json::parse_event_t::object_end || event == Json::parse_event_t::array_end ||
         event == Json::parse_event_t::value)) {
      return false;
    }
    return true;
  };
  Json root;
  try {
    root = Json::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const Json::parse_error& e) {
    auto [line, column] = LineAndColumn(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    size_t cut = what.find("syntax error");
    ImportProblem p{label, "",
                    "malformed JSON at column " + std::to_string(column) + ": " +
                        (cut == std::string::npos ? what : what.substr(cut)),
                    line};
    file.problems.push_back(std::move(p));
    return file;
  } catch (const TooDeep&) {
    file.problems.push_back(
        {label, "", "JSON nested deeper than " + std::to_string(kMaxBloodHoundDepth) + " levels"});
    return file;
  } catch (const std::exception& e) {
    file.problems.push_back({label, "", std::string("cannot parse: ") + e.what()});
    return file;
  }
  if (!root.is_object() || !saw_data_array || !root.contains("meta")) {
    file.problems.push_back(
        {label, "",
         "not a BloodHound collector file (expected a JSON object with a 'data' array and a "
         "'meta' object, as SharpHound writes)"});
    return file;
  }
  ReadMeta(root["meta"], &file, &problems);
  if (file.kind != BhKind::kOther) {
    problems.insert(problems.end(), std::make_move_iterator(deferred.begin()),
                    std::make_move_iterator(deferred.end()));
  } else {
    file.objects.clear();  // a type the importer does not use (gpos, ous, ...)
  }
  size_t listed = 0;
  for (ImportProblem& p : problems) {
    if (listed++ == kMaxProblemsPerFile) {
      file.problems.push_back(
          {label, "",
           "and " + std::to_string(problems.size() + uncounted - kMaxProblemsPerFile) +
               " more problems"});
      break;
    }
    p.file = label;
    file.problems.push_back(std::move(p));
  }
  if (!file.problems.empty()) file.objects.clear();
  return file;
}

}  // namespace delegsim::importer
