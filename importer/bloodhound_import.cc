#include "importer/bloodhound_import.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "importer/bloodhound_file.h"
#include "importer/collection_files.h"
#include "importer/spn_services.h"
#include "kdc/directory.h"

namespace delegsim::importer {
namespace {

constexpr size_t kExamplesPerReason = 3;
constexpr int kDefaultFunctionalLevel = 7;  // the loader's default (2016)
// Well-known RID of the Protected Users group (MS-ADTS 6.1.1.6.19; RULES.md PU-*).
constexpr std::string_view kProtectedUsersRid = "-525";

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}
std::string Lower(std::string_view s) { return kdc::ToLower(s); }

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A name the scenario format accepts: not empty, none of `forbidden`, no control characters.
bool UsableName(std::string_view name, std::string_view forbidden) {
  if (name.empty()) return false;
  return std::none_of(name.begin(), name.end(), [&](char c) {
    return forbidden.find(c) != std::string_view::npos || static_cast<unsigned char>(c) < 0x20;
  });
}

// msDS-Behavior-Version from the collector's text (SharpHoundCommon
// LdapPropertyProcessor.FunctionalLevelToString), or from a number.
std::optional<int> FunctionalLevel(const std::string& text) {
  static const std::pair<std::string_view, int> kNames[] = {{"2000 Mixed/Native", 0},
                                                            {"2003 Interim", 1},
                                                            {"2003", 2},
                                                            {"2008", 3},
                                                            {"2008 R2", 4},
                                                            {"2012", 5},
                                                            {"2012 R2", 6},
                                                            {"2016", 7},
                                                            {"2025", 10}};
  for (const auto& [name, level] : kNames) {
    if (text == name) return level;
  }
  if (!text.empty() && text.size() <= 2 &&
      std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); })) {
    int n = std::stoi(text);
    if (n <= 10) return n;
  }
  return std::nullopt;
}

// Union-find over domain indexes, for forests.
class Forests {
 public:
  size_t Add() {
    parent_.push_back(parent_.size());
    return parent_.size() - 1;
  }
  size_t Find(size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void Join(size_t a, size_t b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<size_t> parent_;
};

struct Input {
  std::string file;
  BhObject object;
};

class Mapper {
 public:
  Mapper(const ImportOptions& options, ImportSummary* summary)
      : options_(options), summary_(summary) {}

  void Add(BhFile file) {
    std::vector<Input>* into = nullptr;
    switch (file.kind) {
      case BhKind::kDomains:
        into = &domains_in_;
        break;
      case BhKind::kUsers:
        into = &users_in_;
        break;
      case BhKind::kComputers:
        into = &computers_in_;
        break;
      case BhKind::kGroups:
        into = &groups_in_;
        break;
      case BhKind::kOther:
        break;
    }
    std::string shown = file.label + " (" + (file.type.empty() ? "?" : file.type) + ", v" +
                        std::to_string(file.version) + ", " +
                        (into ? std::to_string(file.objects.size()) + " objects" : "not used") +
                        ")";
    summary_->files.push_back(shown);
    if (into != nullptr && file.declared_count >= 0 &&
        static_cast<size_t>(file.declared_count) != file.objects.size()) {
      summary_->notes.push_back(file.label + ": meta.count says " +
                                std::to_string(file.declared_count) + " objects, the file holds " +
                                std::to_string(file.objects.size()));
    }
    if (into == nullptr) return;
    for (BhObject& o : file.objects) into->push_back({file.label, std::move(o)});
  }

  sim::Scenario Build() {
    scenario_.name = options_.name;
    MapDomains();
    JoinForestRoots();
    MapTrusts();
    NameForests();
    MapComputers();
    MapUsers();
    MapGroups();
    ResolveMemberships();
    ResolveRbcd();
    MapServices();
    AssignDomainControllers();
    Count();
    scenario_.description =
        "Imported from a BloodHound collection: " + std::to_string(scenario_.domains.size()) +
        " domains, " + std::to_string(scenario_.hosts.size()) + " hosts, " +
        std::to_string(scenario_.accounts.size()) + " accounts, " +
        std::to_string(scenario_.groups.size()) + " groups, " +
        std::to_string(scenario_.services.size()) + " services (no steps)";
    return std::move(scenario_);
  }

 private:
  struct DomainInfo {
    size_t spec;         // index in scenario_.domains
    size_t forest_node;  // in forests_
    std::string sid;
    std::string forest_root_sid;
  };
  // An imported account or group, by SID.
  struct Principal {
    bool group = false;
    size_t spec = 0;        // index in scenario_.accounts or scenario_.groups
    std::string qualified;  // "alice@CORP.EXAMPLE"
  };

  static std::string Label(const Input& in) {
    std::string name = !in.object.name.empty() ? in.object.name : in.object.sid;
    return name.empty() ? in.file + " $.data[" + std::to_string(in.object.index) + "]" : name;
  }

  // The domain named `realm`, added (with a note saying why) when the collection has no
  // domain object for it. Empty when the name cannot be a realm.
  std::string EnsureDomain(const std::string& realm_in, const std::string& why) {
    std::string realm = Upper(realm_in);
    if (!UsableName(realm, " \t/\\@=")) return "";
    if (domains_.count(realm)) return realm;
    sim::DomainSpec d;
    d.realm = realm;
    d.forest = realm;
    d.functional_level = kDefaultFunctionalLevel;
    d.dc_host = "dc." + Lower(realm);
    domains_[realm] = {scenario_.domains.size(), forests_.Add(), "", ""};
    scenario_.domains.push_back(std::move(d));
    summary_->notes.push_back("domain " + realm + ": " + why +
                              "; functional level assumed 2016 (7), domain controller '" + "dc." +
                              Lower(realm) + "'");
    return realm;
  }

  void MapDomains() {
    for (const Input& in : domains_in_) {
      const BhObject& o = in.object;
      std::string realm = Upper(!o.name.empty() ? o.name : o.domain);
      if (o.deleted) {
        summary_->Skip("deleted object", Label(in));
        continue;
      }
      if (!UsableName(realm, " \t/\\@=")) {
        summary_->Skip("domain without a usable name", Label(in));
        continue;
      }
      if (domains_.count(realm)) {
        summary_->Skip("domain listed twice (the later one)", realm);
        continue;
      }
      sim::DomainSpec d;
      d.realm = realm;
      d.forest = realm;
      d.dc_host = "dc." + Lower(realm);
      if (std::optional<int> level = FunctionalLevel(o.functional_level)) {
        d.functional_level = *level;
      } else {
        d.functional_level = kDefaultFunctionalLevel;
        summary_->notes.push_back("domain " + realm + ": functional level '" + o.functional_level +
                                  "' not known; assumed 2016 (7)");
      }
      domains_[realm] = {scenario_.domains.size(), forests_.Add(), o.sid, o.forest_root_sid};
      if (!o.sid.empty()) domain_by_sid_[o.sid] = realm;
      scenario_.domains.push_back(std::move(d));
    }
    // Domains that own objects but have no domain object.
    for (const auto* list : {&users_in_, &computers_in_, &groups_in_}) {
      for (const Input& in : *list) {
        if (!in.object.domain.empty() && !domains_.count(Upper(in.object.domain))) {
          std::string realm = EnsureDomain(in.object.domain, "no domain object in the collection");
          if (!realm.empty() && !in.object.domain_sid.empty()) {
            domain_by_sid_.emplace(in.object.domain_sid, realm);
          }
        }
      }
    }
  }

  // The trustAttributes of a trust entry: as collected (v6), or rebuilt from the type,
  // transitivity, SID filtering and TGT delegation the collector derived from them (v5).
  static uint32_t TrustBits(const BhTrust& t) {
    namespace ta = kdc::trust_attr;
    if (t.attributes) return *t.attributes;
    uint32_t bits = 0;
    if (t.type == "ParentChild" || t.type == "CrossLink") bits |= ta::kWithinForest;
    if (t.type == "Forest") bits |= ta::kForestTransitive;
    if (t.transitive && !*t.transitive) bits |= ta::kNonTransitive;
    if (t.type == "External" && t.sid_filtering.value_or(false)) bits |= ta::kQuarantinedDomain;
    if (t.type == "Forest" && t.tgt_delegation.value_or(false)) {
      bits |= ta::kCrossOrganizationEnableTgtDelegation;
    }
    return bits;
  }

  void MapTrusts() {
    struct Merged {
      bool first_trusts_second = false;
      bool second_trusts_first = false;
      std::optional<uint32_t> attributes;  // from a trusting side's entry
      std::optional<uint32_t> fallback;    // from a trusted side's entry
      std::string where;
    };
    std::map<std::pair<std::string, std::string>, Merged> merged;
    for (const Input& in : domains_in_) {
      std::string source = Upper(!in.object.name.empty() ? in.object.name : in.object.domain);
      if (!domains_.count(source)) continue;
      for (const BhTrust& t : in.object.trusts) {
        std::string where = in.file + " " + t.path;
        std::string target = Upper(t.target_name);
        if (target.empty()) {
          summary_->Skip("trust without a target domain name", where);
          continue;
        }
        if (target == source) {
          summary_->Skip("trust of a domain with itself", where);
          continue;
        }
        if (EnsureDomain(target, "known only from a trust of " + source).empty()) {
          summary_->Skip("trust to a domain without a usable name", where);
          continue;
        }
        if (!t.target_sid.empty()) domain_by_sid_.emplace(t.target_sid, target);
        uint32_t bits = TrustBits(t);
        if (bits & kdc::trust_attr::kWithinForest) {
          forests_.Join(domains_[source].forest_node, domains_[target].forest_node);
          within_forest_trusts_.insert(std::minmax(source, target));
          continue;
        }
        if (t.direction <= 0) {
          summary_->Skip(t.direction == 0 ? "disabled trust" : "trust of unknown direction",
                         source + " -> " + target);
          continue;
        }
        bool source_trusts = t.direction == 2 || t.direction == 3;  // outbound or both
        bool target_trusts = t.direction == 1 || t.direction == 3;  // inbound or both
        bool source_first = source < target;
        Merged& m = merged[std::minmax(source, target)];
        (source_first ? m.first_trusts_second : m.second_trusts_first) |= source_trusts;
        (source_first ? m.second_trusts_first : m.first_trusts_second) |= target_trusts;
        // A trust's attributes live on the trusting side's trusted-domain object.
        if (source_trusts) {
          if (m.attributes && *m.attributes != bits) {
            summary_->notes.push_back("trust " + source + " - " + target +
                                      ": the two sides report different attributes; kept " +
                                      m.where);
          } else if (!m.attributes) {
            m.attributes = bits;
            m.where = where;
          }
        } else if (!m.fallback) {
          m.fallback = bits;
        }
      }
    }
    for (const auto& [pair, m] : merged) {
      const auto& [first, second] = pair;
      if (forests_.Find(domains_[first].forest_node) ==
          forests_.Find(domains_[second].forest_node)) {
        within_forest_trusts_.insert(pair);
        continue;
      }
      sim::TrustSpec t;
      t.two_way = m.first_trusts_second && m.second_trusts_first;
      bool first_trusting = m.first_trusts_second;
      t.trusting = first_trusting ? first : second;
      t.trusted = first_trusting ? second : first;
      t.attributes = m.attributes.value_or(m.fallback.value_or(0));
      scenario_.trusts.push_back(std::move(t));
    }
  }

  // Domains that name the same forest root (ForestRootIdentifier, v6) share a forest.
  void JoinForestRoots() {
    for (const auto& [realm, info] : domains_) {
      auto it = domain_by_sid_.find(info.forest_root_sid);
      if (it != domain_by_sid_.end() && domains_.count(it->second)) {
        forests_.Join(info.forest_node, domains_[it->second].forest_node);
      }
    }
  }

  // A forest is named by its root domain: the one ForestRootIdentifier names (v6), else
  // the domain with the shortest name (the root is the parent of the others).
  void NameForests() {
    std::map<size_t, std::string> named;     // forest -> realm named as its root
    std::map<size_t, std::string> shortest;  // forest -> shortest realm
    for (const auto& [realm, info] : domains_) {
      size_t forest = forests_.Find(info.forest_node);
      auto root = domain_by_sid_.find(info.forest_root_sid);
      if (root != domain_by_sid_.end() && domains_.count(root->second)) {
        named.emplace(forest, root->second);
      }
      auto it = shortest.find(forest);
      if (it == shortest.end() || realm.size() < it->second.size()) shortest[forest] = realm;
    }
    std::set<std::string> forests;
    for (const auto& [realm, info] : domains_) {
      size_t forest = forests_.Find(info.forest_node);
      auto it = named.find(forest);
      std::string name = it != named.end() ? it->second : shortest[forest];
      scenario_.domains[info.spec].forest = name;
      forests.insert(name);
    }
    forest_count_ = forests.size();
  }

  // The realm of an object: its domain, else the domain of its domain SID.
  std::string RealmOf(const BhObject& o) {
    std::string realm = Upper(o.domain);
    if (realm.empty()) {
      auto it = domain_by_sid_.find(o.domain_sid);
      if (it != domain_by_sid_.end()) realm = it->second;
    }
    if (realm.empty()) {
      size_t at = o.name.rfind('@');
      if (at != std::string::npos) realm = Upper(o.name.substr(at + 1));
    }
    if (!realm.empty() && !domains_.count(realm)) realm = EnsureDomain(realm, "named by an object");
    return realm;
  }

  // The sAMAccountName: Properties.samaccountname, else the name before '@'.
  static std::string SamOf(const BhObject& o) {
    if (!o.sam.empty()) return o.sam;
    size_t at = o.name.rfind('@');
    return at == std::string::npos ? o.name : o.name.substr(0, at);
  }

  // Checks common to accounts and groups; on success reserves the name in its domain and
  // returns the realm.
  std::string Admit(const Input& in, const std::string& name, const char* what) {
    const BhObject& o = in.object;
    if (o.deleted) {
      summary_->Skip("deleted object", Label(in));
      return "";
    }
    if (o.sid.empty()) {
      summary_->Skip(std::string(what) + " without a SID", Label(in));
      return "";
    }
    if (principals_.count(o.sid) || seen_sids_.count(o.sid)) {
      summary_->Skip("SID listed twice (the later object)", Label(in));
      return "";
    }
    std::string realm = RealmOf(o);
    if (realm.empty()) {
      summary_->Skip(std::string(what) + " without a domain", Label(in));
      return "";
    }
    if (!UsableName(name, "/\\@=")) {
      summary_->Skip(std::string(what) + " name not usable (empty, or with / \\ @)", Label(in));
      return "";
    }
    if (Lower(name) == "krbtgt") {
      summary_->Skip("krbtgt (the simulated KDC's own account)", name + "@" + realm);
      return "";
    }
    if (!names_.insert(Lower(name) + "@" + realm).second) {
      summary_->Skip("name taken in its domain (the later object)", name + "@" + realm);
      return "";
    }
    seen_sids_.insert(o.sid);
    return realm;
  }

  // Fills the delegation settings shared by users and computers.
  void MapAccount(const Input& in, const std::string& name, const std::string& realm,
                  sim::AccountKind kind) {
    const BhObject& o = in.object;
    sim::AccountSpec a;
    a.name = name;
    a.domain = realm;
    a.kind = kind;
    a.disabled = !o.enabled;
    a.not_delegated = o.sensitive;
    a.trusted_for_delegation = o.unconstrained;
    a.trusted_to_auth_for_delegation = o.trusted_to_auth;
    std::string qualified = name + "@" + realm;
    for (const std::string& spn : o.spns) {
      if (!ParseSpn(spn)) {
        summary_->Skip("malformed SPN", qualified + ": " + spn);
      } else if (!spns_.insert(Lower(spn)).second) {
        summary_->Skip("SPN registered on two accounts (the later one)", qualified + ": " + spn);
      } else {
        a.spns.push_back(spn);
      }
    }
    for (const std::string& spn : o.allowed_to_delegate) {
      if (ParseSpn(spn)) {
        a.allowed_to_delegate_to.push_back(spn);
      } else {
        summary_->Skip("malformed SPN in allowed-to-delegate-to", qualified + ": " + spn);
      }
    }
    principals_[o.sid] = {false, scenario_.accounts.size(), qualified};
    account_inputs_.push_back(&in);
    scenario_.accounts.push_back(std::move(a));
  }

  void MapComputers() {
    // Hosts are named by their first DNS label when no other computer shares it.
    std::unordered_map<std::string, size_t> short_count;
    for (const Input& in : computers_in_) ++short_count[ShortName(in.object)];
    for (const Input& in : computers_in_) {
      const BhObject& o = in.object;
      std::string sam = SamOf(o);
      if (sam.empty()) sam = Upper(ShortName(o)) + "$";
      std::string realm = Admit(in, sam, "computer");
      if (realm.empty()) continue;
      std::string short_name = ShortName(o);
      std::string fqdn = Lower(o.name).find('.') != std::string::npos
                             ? Lower(o.name)
                             : short_name + "." + Lower(realm);
      std::string host = short_count[short_name] == 1 ? short_name : fqdn;
      if (!UsableName(host, " \t/\\@=") || !host_names_.insert(host).second) {
        summary_->Skip("host name not usable or taken", Label(in));
      } else {
        scenario_.hosts.push_back({host, realm});
        hosts_by_dns_[fqdn] = host;
        if (short_count[short_name] == 1) hosts_by_dns_[short_name] = host;
        host_domain_[host] = realm;
        if (o.is_dc || EndsWith(o.primary_group_sid, "-516")) dcs_.emplace(realm, host);
      }
      MapAccount(in, sam, realm, sim::AccountKind::kComputer);
    }
  }

  static std::string ShortName(const BhObject& o) {
    std::string name = Lower(o.name.empty() ? o.sam : o.name);
    if (!name.empty() && name.back() == '$') name.pop_back();
    return name.substr(0, name.find('.'));
  }

  void MapUsers() {
    for (const Input& in : users_in_) {
      std::string sam = SamOf(in.object);
      std::string realm = Admit(in, sam, "user");
      if (realm.empty()) continue;
      bool service = !in.object.spns.empty() || in.object.managed;
      MapAccount(in, sam, realm, service ? sim::AccountKind::kService : sim::AccountKind::kUser);
    }
  }

  void MapGroups() {
    for (const Input& in : groups_in_) {
      const BhObject& o = in.object;
      std::string name = SamOf(o);
      // Protected Users by its well-known RID, whatever the directory's language calls it:
      // the simulator recognizes the group by name (PU-*).
      bool protected_users = EndsWith(o.sid, kProtectedUsersRid) &&
                             (o.domain_sid.empty() || o.sid == o.domain_sid + "-525");
      if (protected_users && name != "Protected Users") {
        summary_->notes.push_back("group " + name + " (" + o.sid +
                                  "): RID 525, imported as 'Protected Users'");
        name = "Protected Users";
      }
      std::string realm = Admit(in, name, "group");
      if (realm.empty()) continue;
      principals_[o.sid] = {true, scenario_.groups.size(), name + "@" + realm};
      group_inputs_.push_back(&in);
      scenario_.groups.push_back({name, realm, {}});
    }
  }

  // Group members (with nesting) and primary groups, by SID.
  void ResolveMemberships() {
    std::vector<std::unordered_set<std::string>> members(scenario_.groups.size());
    for (const Input* in : group_inputs_) {
      const Principal& g = principals_.at(in->object.sid);
      sim::GroupSpec& group = scenario_.groups[g.spec];
      for (const std::string& sid : in->object.members) {
        auto it = principals_.find(sid);
        if (it == principals_.end()) {
          summary_->Skip("group member: SID not in the collection", g.qualified + ": " + sid);
        } else if (sid == in->object.sid) {
          summary_->Skip("group member of itself", g.qualified);
        } else if (members[g.spec].insert(it->second.qualified).second) {
          group.members.push_back(it->second.qualified);
        }
      }
    }
    for (const Input* in : account_inputs_) {
      const std::string& sid = in->object.primary_group_sid;
      if (sid.empty()) continue;
      const Principal& account = principals_.at(in->object.sid);
      auto it = principals_.find(sid);
      if (it == principals_.end() || !it->second.group) {
        summary_->Skip("primary group: SID not in the collection", account.qualified + ": " + sid);
        continue;
      }
      if (members[it->second.spec].count(account.qualified)) continue;  // listed as a member
      members[it->second.spec].insert(account.qualified);
      scenario_.accounts[account.spec].member_of.push_back(it->second.qualified);
      ++primary_groups_;
    }
  }

  // msDS-AllowedToActOnBehalfOfOtherIdentity (AllowedToAct), by SID.
  void ResolveRbcd() {
    for (const Input* in : account_inputs_) {
      const Principal& account = principals_.at(in->object.sid);
      for (const std::string& sid : in->object.allowed_to_act) {
        auto it = principals_.find(sid);
        if (it == principals_.end()) {
          summary_->Skip("allowed-to-act entry: SID not in the collection",
                         account.qualified + ": " + sid);
          continue;
        }
        std::vector<std::string>& list = scenario_.accounts[account.spec].allowed_to_act;
        if (std::find(list.begin(), list.end(), it->second.qualified) == list.end()) {
          list.push_back(it->second.qualified);
        }
      }
    }
  }

  void MapServices() {
    SpnServiceBuilder builder;
    for (const sim::AccountSpec& a : scenario_.accounts) {
      std::string qualified = a.name + "@" + a.domain;
      for (const std::string& spn : a.spns) {
        std::optional<Spn> parsed = ParseSpn(spn);
        auto host = hosts_by_dns_.find(Lower(parsed->host));
        if (host == hosts_by_dns_.end()) {
          summary_->Skip("SPN of a host not in the collection (no service made)",
                         qualified + ": " + spn);
          continue;
        }
        if (host_domain_[host->second] != a.domain) {
          summary_->Skip("SPN on a host of another domain (no service made)",
                         qualified + ": " + spn);
          continue;
        }
        builder.Add(*parsed, spn, host->second, qualified);
      }
    }
    scenario_.services = builder.Services();
  }

  void AssignDomainControllers() {
    for (const auto& [realm, host] : dcs_) {
      auto it = domains_.find(realm);
      if (it != domains_.end()) scenario_.domains[it->second.spec].dc_host = host;
    }
  }

  void Count() {
    std::map<std::string, size_t>& n = summary_->imported;
    n["domains"] = scenario_.domains.size();
    n["forests"] = forest_count_;
    n["trusts"] = scenario_.trusts.size();
    n["within-forest trusts"] = within_forest_trusts_.size();
    n["hosts"] = scenario_.hosts.size();
    n["groups"] = scenario_.groups.size();
    n["services"] = scenario_.services.size();
    n["primary groups"] = primary_groups_;
    size_t memberships = 0;
    for (const sim::GroupSpec& g : scenario_.groups) {
      memberships += g.members.size();
      if (g.name == "Protected Users") n["Protected Users members"] += g.members.size();
    }
    n["memberships"] = memberships;
    for (const sim::AccountSpec& a : scenario_.accounts) {
      ++n[a.kind == sim::AccountKind::kUser       ? "users"
          : a.kind == sim::AccountKind::kComputer ? "computers"
                                                  : "service accounts"];
      n["disabled"] += a.disabled;
      n["sensitive"] += a.not_delegated;
      n["unconstrained"] += a.trusted_for_delegation;
      n["constrained"] += !a.allowed_to_delegate_to.empty();
      n["protocol transition"] +=
          !a.allowed_to_delegate_to.empty() && a.trusted_to_auth_for_delegation;
      n["resource-based"] += !a.allowed_to_act.empty();
    }
  }

  const ImportOptions& options_;
  ImportSummary* summary_;
  sim::Scenario scenario_;
  std::vector<Input> domains_in_, users_in_, computers_in_, groups_in_;
  std::map<std::string, DomainInfo> domains_;  // by upper-case realm
  std::unordered_map<std::string, std::string> domain_by_sid_;
  Forests forests_;
  size_t forest_count_ = 0;
  std::set<std::pair<std::string, std::string>> within_forest_trusts_;
  std::unordered_map<std::string, Principal> principals_;  // by SID
  std::unordered_set<std::string> seen_sids_;
  std::unordered_set<std::string> names_;  // "lower-case name@REALM"
  std::unordered_set<std::string> spns_;   // lower-case
  std::unordered_set<std::string> host_names_;
  std::unordered_map<std::string, std::string> hosts_by_dns_;  // lower-case DNS name -> host
  std::unordered_map<std::string, std::string> host_domain_;
  std::map<std::string, std::string> dcs_;  // realm -> first DC host
  std::vector<const Input*> account_inputs_, group_inputs_;
  size_t primary_groups_ = 0;
};

}  // namespace

void ImportSummary::Skip(const std::string& reason, const std::string& item) {
  Skipped& s = skipped[reason];
  ++s.count;
  if (s.examples.size() < kExamplesPerReason) s.examples.push_back(item);
}

size_t ImportSummary::Count(const std::string& what) const {
  auto it = imported.find(what);
  return it == imported.end() ? 0 : it->second;
}

size_t ImportSummary::SkippedCount() const {
  size_t n = 0;
  for (const auto& [reason, s] : skipped) n += s.count;
  return n;
}

std::string ImportSummary::ToText() const {
  auto n = [&](const std::string& what) { return std::to_string(Count(what)); };
  std::string out = "read " + std::to_string(files.size()) + " collector files:\n";
  for (const std::string& f : files) out += "  " + f + "\n";
  out += "imported:\n";
  out += "  " + n("domains") + " domains in " + n("forests") + " forests; " + n("trusts") +
         " explicit trusts (" + n("within-forest trusts") + " within a forest, implied)\n";
  out += "  " + n("hosts") + " hosts; " +
         std::to_string(Count("users") + Count("service accounts") + Count("computers")) +
         " accounts: " + n("users") + " users, " + n("service accounts") + " service accounts, " +
         n("computers") + " computers (" + n("disabled") + " disabled)\n";
  out += "  " + n("groups") + " groups with " + n("memberships") + " memberships, " +
         n("primary groups") + " primary groups; " + n("Protected Users members") +
         " direct members of Protected Users\n";
  out += "  delegation: " + n("unconstrained") + " unconstrained, " + n("constrained") +
         " constrained (" + n("protocol transition") + " with protocol transition), " +
         n("resource-based") + " accounts with resource-based entries, " + n("sensitive") +
         " sensitive\n";
  out += "  " + n("services") + " services from SPNs\n";
  if (!notes.empty()) {
    out += "notes:\n";
    for (const std::string& note : notes) out += "  " + note + "\n";
  }
  if (skipped.empty()) {
    out += "skipped: nothing\n";
  } else {
    out += "skipped " + std::to_string(SkippedCount()) + ":\n";
    for (const auto& [reason, s] : skipped) {
      out += "  " + std::to_string(s.count) + " " + reason + ": ";
      for (size_t i = 0; i < s.examples.size(); ++i) out += (i ? ", " : "") + s.examples[i];
      if (s.count > s.examples.size()) out += ", ...";
      out += "\n";
    }
  }
  return out;
}

ImportResult ImportBloodHound(const std::vector<std::string>& paths, const ImportOptions& options) {
  ImportResult result;
  Mapper mapper(options, &result.summary);
  std::vector<std::string> other_files;
  size_t used = 0;
  ForEachCollectionFile(
      paths,
      [&](CollectionFile& file) {
        BhFile parsed = ParseBloodHoundFile(file.label, file.text);
        file.text.clear();
        file.text.shrink_to_fit();
        if (!parsed.problems.empty()) {
          result.problems.insert(result.problems.end(), parsed.problems.begin(),
                                 parsed.problems.end());
          return;
        }
        used += parsed.kind != BhKind::kOther;
        mapper.Add(std::move(parsed));
      },
      &other_files, &result.problems);
  for (const std::string& f : other_files) result.summary.Skip("not a JSON file", f);
  if (result.problems.empty() && used == 0) {
    std::string all;
    for (const std::string& p : paths) all += (all.empty() ? "" : ", ") + p;
    result.problems.push_back(
        {all, "", "no users, computers, groups or domains collector file found"});
  }
  if (!result.problems.empty()) return result;
  result.scenario = mapper.Build();
  return result;
}

}  // namespace delegsim::importer
