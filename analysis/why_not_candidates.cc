#include "analysis/why_not_candidates.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "kdc/directory.h"
#include "kdc/trust_attribute_names.h"
#include "nodes/token.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::json;

bool Same(std::string_view a, std::string_view b) { return kdc::ToLower(a) == kdc::ToLower(b); }

std::string Str(const std::string& s) { return Json(s).dump(); }

// Whether `written` (a name as the scenario writes it: "alice", "alice@CORP.EXAMPLE",
// "CORP\alice") names the principal `name` of `domain`.
bool Names(const std::string& written, const std::string& name, const std::string& domain) {
  if (Same(written, name)) return true;
  if (size_t at = written.find('@'); at != std::string::npos) {
    return Same(written.substr(0, at), name) && Same(written.substr(at + 1), domain);
  }
  if (size_t bs = written.find('\\'); bs != std::string::npos) {
    return Same(written.substr(bs + 1), name) &&
           Same(written.substr(0, bs), domain.substr(0, domain.find('.')));
  }
  return false;
}

std::string AttributeList(uint32_t bits) {
  Json list = Json::array();
  for (const kdc::TrustAttributeName& a : kdc::kTrustAttributeNames) {
    if (bits & a.bit) list.push_back(std::string(a.name));
  }
  return list.dump();
}

class Deriver {
 public:
  Deriver(const sim::Scenario& s, const WhyNotGoal& goal) : s_(s), goal_(goal) {}

  void Fact(const FactRef& f) {
    if (f.name == "transport") last_transport_ = f.value;
    std::string name = f.name;
    std::string arg;
    if (!name.empty() && name.back() == ')') {
      size_t open = name.rfind('(');
      if (open != std::string::npos) {
        arg = name.substr(open + 1, name.size() - open - 2);
        name = name.substr(0, open);
      }
    }
    size_t dot = name.rfind('.');
    std::string subject = dot == std::string::npos ? "" : name.substr(0, dot);
    std::string prop = dot == std::string::npos ? name : name.substr(dot + 1);
    const std::string& v = f.value;

    if (const sim::AccountSpec* a = Account(subject)) {
      std::string key = AccountKey(*a);
      if (prop == "not_delegated" && v == "true" && a->not_delegated) {
        Add("accounts", key, "sensitive", "false");
      } else if (prop == "protected_users_member" && v == "true") {
        LeaveProtectedUsers(*a);
      } else if (prop == "trusted_for_delegation" && v == "false" && !a->trusted_for_delegation) {
        Add("accounts", key, "trusted_for_delegation", "true");
      } else if (prop == "trusted_to_auth_for_delegation" && v == "false" &&
                 !a->trusted_to_auth_for_delegation) {
        Add("accounts", key, "trusted_to_auth_for_delegation", "true");
      } else if (prop == "allowed_to_delegate_to" && !arg.empty() && v == "false") {
        Add("accounts", key, "allowed_to_delegate_to", Str(arg), Edit::Op::kAdd);
      } else if (prop == "allowed_to_act_on_behalf_of" && !arg.empty() && v == "false") {
        Add("accounts", key, "allowed_to_act_on_behalf_of", Str(arg), Edit::Op::kAdd);
      } else if (prop == "allowed_to_authenticate" && !arg.empty() && v == "false") {
        Add("accounts", key, "allowed_to_authenticate", Str(arg), Edit::Op::kAdd);
      } else if (prop == "disabled" && v == "true" && a->disabled) {
        Add("accounts", key, "disabled", "false");
      } else if (prop.rfind("Se", 0) == 0 && prop.size() > 9 &&
                 prop.compare(prop.size() - 9, 9, "Privilege") == 0 && v == "false") {
        // TK-8 and TK-3 read the privileges of a service's process (services[].privileges).
        for (const sim::ServiceSpec& svc : s_.services) {
          if (Same(svc.account, a->name) && std::find(svc.privileges.begin(), svc.privileges.end(),
                                                      prop) == svc.privileges.end()) {
            Add("services", svc.name, "privileges", Str(prop), Edit::Op::kAdd);
          }
        }
      }
      return;
    }
    if (prop == "functional_level") {
      for (const sim::DomainSpec& d : s_.domains) {
        if (Same(d.realm, subject) && d.functional_level < kdc::kLevel2016) {
          Add("domains", d.realm, "functional_level", std::to_string(kdc::kLevel2016));
        }
      }
      return;
    }
    if (prop == "listens" && v == "false") {
      if (const sim::ServiceSpec* svc = Service(subject)) {
        // The transport fact is read just before `listens` (DS-6).
        const std::string& transport = last_transport_;
        if (!transport.empty())
          Add("services", svc->name, "transports", Str(transport), Edit::Op::kAdd);
        for (v1::Transport t : svc->transports) {
          Add("calls", f.path, "transport", Str(std::string(nodes::TransportName(t))));
        }
      }
      return;
    }
    if (subject.rfind("trust(", 0) == 0 && prop == "attributes") {
      TrustChanges(subject.substr(6, subject.size() - 7), v);
      return;
    }
    // Call options: the caller's decision read them for the call that makes hop f.path.
    const v1::CallSpec* call = Call(f.path);
    if (name == "mutual_requested" || name == "gss.mutual") {
      if (v == "false" && call && !call->mutual()) Add("calls", f.path, "mutual", "true");
    } else if (name == "ignore_delegate_failure" && v == "false") {
      if (call && !call->ignore_delegate_failure()) {
        Add("calls", f.path, "ignore_delegate_failure", "true");
      }
      if (!s_.options.ignore_delegate_failure)
        Add("options", "", "ignore_delegate_failure", "true");
    } else if (name == "package" && (v == "ntlm" || v == "schannel" || v == "forms")) {
      if (call && call->package() != v1::PACKAGE_KERBEROS) {
        Add("calls", f.path, "package", Str("kerberos"));
        if (call->package() != v1::PACKAGE_NEGOTIATE)
          Add("calls", f.path, "package", Str("negotiate"));
      }
    } else if (name == "by_ip_address" && v == "true") {
      if (call && call->by_ip_address()) Add("calls", f.path, "by_ip_address", "false");
    } else if (name == "level" || name == "requested_level" || name == "thread.level" ||
               name == "source.level" || name == "default_level" ||
               (name == "gss.deleg" && v == "false") || name == "delegated") {
      // The level a call asks for caps what every later hop can do with the identity.
      for (const std::string& p : HopPathPrefixes(f.path)) RaiseLevel(p, "delegate");
    } else if ((name == "caller.net_creds" || name == "source.net_creds") && v == "none") {
      // The caller holds no credentials to present: protocol transition gets its own (S4U-3).
      if (call && !call->protocol_transition() && Depth(f.path) > 1) {
        Add("calls", f.path, "protocol_transition", "true");
      }
      for (const std::string& p : HopPathPrefixes(f.path)) {
        if (p != f.path) RaiseLevel(p, "delegate");
      }
    } else if (name == "legacy_rbcd_nonforwardable_ok" && v == "false") {
      Add("options", "", "legacy_rbcd", "true");
    } else if (name == "client_policy" && v == "windows") {
      Add("options", "", "client_policy", Str("mit"));
    } else if (name == "profile") {
      for (const char* p : {"windows", "mit", "heimdal"}) {
        if (s_.options.profile != p) Add("", "", "profile", Str(p));
      }
    } else if (name == "access.object" && goal_.access && v == *goal_.access) {
      AclChanges(f.path, v);
    } else if (name.rfind("deny(", 0) == 0) {
      // deny(WHO)=rights: the deny entry that matched (TK-11) — read by the access check.
      denies_.push_back({f.path, name.substr(5, name.size() - 6)});
    } else if (name == "identity") {
      identity_[f.path] = v;
    } else if (name == "requested") {
      requested_[f.path] = v;
    }
  }

  void Goal() {
    if (goal_.level) RaiseLevel(goal_.path, *goal_.level);
    for (const std::string& p : HopPathPrefixes(goal_.path)) {
      if (p != goal_.path && (goal_.level || goal_.net_creds)) RaiseLevel(p, "delegate");
    }
    if (goal_.net_creds && goal_.net_creds->rfind("s4u_proxy", 0) == 0) {
      // S4U2proxy credentials at a hop come from protocol transition at its own onward call;
      // nothing to derive here without a later call.
    }
  }

  std::vector<Edit> Take() {
    FinishAcl();
    return std::move(out_);
  }

 private:
  static int Depth(const std::string& path) {
    return static_cast<int>(std::count(path.begin(), path.end(), '/'));
  }

  void Add(std::string collection, std::string key, std::string field, std::string value,
           Edit::Op op = Edit::Op::kSet) {
    Edit e{std::move(collection), std::move(key), std::move(field), op, std::move(value)};
    if (std::find(out_.begin(), out_.end(), e) == out_.end()) out_.push_back(std::move(e));
  }

  const sim::AccountSpec* Account(const std::string& name) const {
    if (name.empty()) return nullptr;
    for (const sim::AccountSpec& a : s_.accounts) {
      if (Names(name, a.name, a.domain)) return &a;
    }
    return nullptr;
  }

  // A bare name when it is unique, else name@DOMAIN.
  std::string AccountKey(const sim::AccountSpec& a) const {
    int n = 0;
    for (const sim::AccountSpec& b : s_.accounts) n += Same(a.name, b.name) ? 1 : 0;
    for (const sim::GroupSpec& g : s_.groups) n += Same(a.name, g.name) ? 1 : 0;
    return n > 1 ? a.name + "@" + a.domain : a.name;
  }

  const sim::ServiceSpec* Service(const std::string& name) const {
    for (const sim::ServiceSpec& s : s_.services) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  // The call that makes hop `path`, or nullptr.
  const v1::CallSpec* Call(const std::string& path) const {
    std::vector<std::string> segs;
    size_t start = 0;
    while (true) {
      size_t slash = path.find('/', start);
      segs.push_back(path.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (segs.size() < 2) return nullptr;
    const v1::CallSpec* call = nullptr;
    for (const sim::StepSpec& st : s_.steps) {
      if (st.kind == sim::StepSpec::Kind::kCall && st.label == segs[0]) call = &st.call;
    }
    if (!call) return nullptr;
    for (size_t k = 2; k < segs.size() && call; ++k) {
      std::string label = segs[k];
      int nth = 1;
      if (size_t hash = label.find('#'); hash != std::string::npos) {
        nth = std::atoi(label.c_str() + hash + 1);
        label = label.substr(0, hash);
      }
      std::vector<const v1::CallSpec*> calls;
      CollectCalls(call->ops(), &calls);
      const v1::CallSpec* next = nullptr;
      int seen = 0;
      for (const v1::CallSpec* c : calls) {
        std::string l = c->label().empty() ? c->service() : c->label();
        if (l == label && ++seen == nth) next = c;
      }
      call = next;
    }
    return call;
  }

  static void CollectCalls(const google::protobuf::RepeatedPtrField<v1::Operation>& ops,
                           std::vector<const v1::CallSpec*>* out) {
    for (const v1::Operation& op : ops) {
      if (op.has_call()) {
        out->push_back(&op.call());
      } else if (op.has_create_process()) {
        CollectCalls(op.create_process().ops(), out);
      } else if (op.has_create_process_as_user()) {
        CollectCalls(op.create_process_as_user().ops(), out);
      } else if (op.has_logon_user()) {
        CollectCalls(op.logon_user().ops(), out);
      }
    }
  }

  void RaiseLevel(const std::string& path, const std::string& level) {
    const v1::CallSpec* call = Call(path);
    if (!call) return;
    std::optional<nodes::Level> want = nodes::ParseLevel(level);
    std::optional<nodes::Level> have = nodes::FromWire(call->level());
    if (!want || (have && *have >= *want)) return;
    Add("calls", path, "level", Str(level));
  }

  // Protected Users membership: the entries that make `a` a member, directly or through
  // one nested group, each as the removal that ends it.
  void LeaveProtectedUsers(const sim::AccountSpec& a) {
    auto in_group = [&](const sim::GroupSpec& g, const std::string& name, const std::string& domain,
                        const std::vector<std::string>& member_of) {
      for (const std::string& m : g.members) {
        if (Names(m, name, domain))
          return std::optional<Edit>(Edit{"groups", g.name, "members", Edit::Op::kRemove, Str(m)});
      }
      for (const std::string& m : member_of) {
        if (Names(m, g.name, g.domain))
          return std::optional<Edit>(
              Edit{"accounts", AccountKey(a), "member_of", Edit::Op::kRemove, Str(m)});
      }
      return std::optional<Edit>();
    };
    for (const sim::GroupSpec& pu : s_.groups) {
      if (!Same(pu.name, "Protected Users")) continue;
      if (std::optional<Edit> e = in_group(pu, a.name, a.domain, a.member_of)) {
        Add(e->collection, e->key, e->field, e->value, e->op);
      }
      for (const sim::GroupSpec& mid : s_.groups) {
        if (&mid == &pu) continue;
        bool nested = false;
        for (const std::string& m : pu.members) nested = nested || Names(m, mid.name, mid.domain);
        if (!nested) continue;
        if (std::optional<Edit> e = in_group(mid, a.name, a.domain, a.member_of)) {
          Add(e->collection, e->key, e->field, e->value, e->op);
          for (const std::string& m : pu.members) {
            if (Names(m, mid.name, mid.domain))
              Add("groups", pu.name, "members", Str(m), Edit::Op::kRemove);
          }
        }
      }
    }
  }

  void TrustChanges(const std::string& which, const std::string& value) {
    uint32_t bits = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    using namespace kdc::trust_attr;
    std::vector<uint32_t> variants;
    if (bits & kForestTransitive && !(bits & kCrossOrganizationEnableTgtDelegation))
      variants.push_back((bits | kCrossOrganizationEnableTgtDelegation) &
                         ~kCrossOrganizationNoTgtDelegation);
    if (bits & kCrossOrganizationNoTgtDelegation)
      variants.push_back(bits & ~kCrossOrganizationNoTgtDelegation);
    if (bits & kQuarantinedDomain) variants.push_back(bits & ~kQuarantinedDomain);
    if (bits & kCrossOrganization) variants.push_back(bits & ~kCrossOrganization);
    for (uint32_t v : variants) Add("trusts", which, "attributes", AttributeList(v));
  }

  void AclChanges(const std::string& path, const std::string& object) {
    acl_paths_.push_back({path, object});
  }

  // ACL entries for the goal's access: an allow for the identity the check saw, with the
  // rights the operation asked; and the removal of each deny entry that matched.
  void FinishAcl() {
    for (const auto& [path, object] : acl_paths_) {
      const sim::ObjectSpec* obj = nullptr;
      int same_name = 0;
      for (const sim::ObjectSpec& o : s_.objects) {
        if (o.name == object) {
          ++same_name;
          obj = &o;
        }
      }
      if (!obj) continue;
      std::string key = same_name > 1 ? obj->name + "@" + obj->host : obj->name;
      auto who = identity_.find(path);
      auto rights = requested_.find(path);
      if (who != identity_.end() && !who->second.empty() && who->second != "anonymous") {
        Json r = Json::array();
        std::string list = rights == requested_.end() ? "read" : rights->second;
        size_t start = 0;
        while (start <= list.size()) {
          size_t sep = list.find_first_of(",|", start);
          std::string right = list.substr(start, sep - start);
          if (!right.empty()) r.push_back(right);
          if (sep == std::string::npos) break;
          start = sep + 1;
        }
        nlohmann::ordered_json ace;
        ace["allow"] = who->second;
        ace["rights"] = r;
        Add("objects", key, "acl", ace.dump(), Edit::Op::kAdd);
      }
      for (const auto& [dpath, dwho] : denies_) {
        if (dpath != path) continue;
        for (const sim::AceSpec& ace : obj->acl) {
          if (ace.allow || !Same(ace.who, dwho)) continue;
          nlohmann::ordered_json j;
          j["deny"] = ace.who;
          j["rights"] = ace.rights;
          Add("objects", key, "acl", j.dump(), Edit::Op::kRemove);
        }
      }
    }
  }

 private:
  const sim::Scenario& s_;
  const WhyNotGoal& goal_;
  std::vector<Edit> out_;
  std::vector<std::pair<std::string, std::string>> acl_paths_;
  std::vector<std::pair<std::string, std::string>> denies_;
  std::map<std::string, std::string> identity_;
  std::map<std::string, std::string> requested_;
  std::string last_transport_;
};

}  // namespace

std::vector<Edit> DeriveCandidates(const sim::Scenario& scenario, const std::vector<FactRef>& facts,
                                   const WhyNotGoal& goal) {
  Deriver d(scenario, goal);
  for (const FactRef& f : facts) d.Fact(f);
  d.Goal();
  return d.Take();
}

std::vector<std::string> HopPathPrefixes(const std::string& path) {
  std::vector<std::string> out;
  size_t slash = path.find('/');
  while (slash != std::string::npos) {
    size_t next = path.find('/', slash + 1);
    out.push_back(path.substr(0, next));
    slash = next;
  }
  return out;
}

}  // namespace delegsim::analysis
