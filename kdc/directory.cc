#include "kdc/directory.h"

#include <algorithm>

#include "kdc/crypto.h"

namespace delegsim::kdc {

namespace {
// Names, realms and SPNs compare in ASCII case (Windows compares them case-insensitively;
// the simulator's names are ASCII), independent of the C locale.
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

size_t Directory::CaseInsensitiveHash::operator()(std::string_view s) const {
  size_t h = 14695981039346656037ull;  // FNV-1a over the lower-cased bytes
  for (char c : s) {
    h ^= static_cast<unsigned char>(AsciiLower(c));
    h *= 1099511628211ull;
  }
  return h;
}

std::string_view PrincipalKindName(PrincipalKind k) {
  switch (k) {
    case PrincipalKind::kUser:
      return "user";
    case PrincipalKind::kComputer:
      return "computer";
    case PrincipalKind::kService:
      return "service";
    case PrincipalKind::kGroup:
      return "group";
    case PrincipalKind::kKrbtgt:
      return "krbtgt";
  }
  return "?";
}

std::string KeyFromPassword(std::string_view realm, std::string_view name,
                            std::string_view password) {
  std::string salt = "salt|" + ToLower(realm) + "|" + ToLower(name);
  return DeriveKey(salt, password);
}

DomainId Directory::AddDomain(std::string realm, std::string forest, int functional_level,
                              bool workgroup) {
  Domain d;
  d.id = static_cast<DomainId>(domains_.size());
  d.realm = std::move(realm);
  d.forest = std::move(forest);
  d.functional_level = functional_level;
  d.workgroup = workgroup;
  domains_.push_back(d);
  const std::string& r = domains_.back().realm;
  realm_index_[r].push_back(d.id);
  netbios_index_[r.substr(0, r.find('.'))].push_back(d.id);
  if (!workgroup) {
    domains_.back().krbtgt = AddPrincipal(PrincipalKind::kKrbtgt, "krbtgt", d.id);
  }
  return d.id;
}

PrincipalId Directory::AddPrincipal(PrincipalKind kind, std::string name, DomainId domain) {
  Principal p;
  p.id = static_cast<PrincipalId>(principals_.size());
  p.kind = kind;
  p.name = std::move(name);
  p.domain = domain;
  if (kind == PrincipalKind::kUser) p.uac = 0x200;       // UF_NORMAL_ACCOUNT
  if (kind == PrincipalKind::kComputer) p.uac = 0x1000;  // UF_WORKSTATION_TRUST_ACCOUNT
  if (kind == PrincipalKind::kService) p.uac = 0x200;
  principals_.push_back(std::move(p));
  return principals_.back().id;
}

void Directory::AddMember(PrincipalId group, PrincipalId member) {
  principals_[member].member_of.push_back(group);
}

void Directory::AddTrust(const Trust& trust) { trusts_.push_back(trust); }

Status Directory::Index() {
  indexed_principals_ = 0;
  name_index_.clear();
  bare_index_.clear();
  spn_index_.clear();
  spns_.clear();
  name_index_.reserve(principals_.size());
  bare_index_.reserve(principals_.size());
  for (Principal& p : principals_) {
    if (p.id == kNobody) continue;
    const Domain& d = domains_[p.domain];
    name_index_[ToLower(p.name) + "@" + ToLower(d.realm)] = p.id;
    bare_index_[ToLower(p.name)].push_back(p.id);
    for (const std::string& spn : p.spns) {
      std::string key = ToLower(spn);
      auto [it, inserted] = spn_index_.emplace(key, static_cast<SpnId>(spns_.size()));
      if (!inserted) {
        return AlreadyExists("SPN '" + spn + "' is registered on both '" +
                             principals_[spns_[it->second].owner].name + "' and '" + p.name + "'");
      }
      spns_.push_back({key, p.id});
    }
  }
  indexed_principals_ = principals_.size();
  return Status::Ok();
}

Status Directory::Finalize(std::string_view secret) {
  secret_ = std::string(secret);
  // The indexes Index() built stand while no principal was added (realms are indexed as
  // domains are added).
  if (indexed_principals_ != principals_.size()) {
    if (Status st = Index(); !st.ok()) return st;
  }

  for (Principal& p : principals_) {
    if (p.id == kNobody) continue;
    // Nested membership: breadth-first over member_of; a visited set makes cycles harmless.
    std::vector<PrincipalId> seen;
    std::vector<PrincipalId> frontier = p.member_of;
    while (!frontier.empty()) {
      PrincipalId g = frontier.back();
      frontier.pop_back();
      if (std::find(seen.begin(), seen.end(), g) != seen.end()) continue;
      seen.push_back(g);
      for (PrincipalId up : principals_[g].member_of) frontier.push_back(up);
    }
    std::sort(seen.begin(), seen.end());
    p.groups = std::move(seen);
    p.protected_user = false;
    for (PrincipalId g : p.groups) {
      if (EqualsIgnoreCase(principals_[g].name, "protected users")) p.protected_user = true;
    }
    p.a2d2.clear();
    for (const std::string& target : p.allowed_to_delegate_to) {
      // AC-4: SPNs compare case-insensitively and without the realm (Samba).
      std::string spn = ToLower(target.substr(0, target.find('@')));
      auto it = spn_index_.find(spn);
      if (it != spn_index_.end()) p.a2d2.push_back(it->second);
    }
    const Domain& d = domains_[p.domain];
    p.full_name = p.name + "@" + d.realm;
    p.key = p.password.empty()
                ? DeriveKey(secret_, "key|" + ToLower(d.realm) + "|" + ToLower(p.name))
                : KeyFromPassword(d.realm, p.name, p.password);
  }
  std::lock_guard<std::mutex> lock(inter_realm_mutex_);
  inter_realm_keys_.clear();  // derived again, from the new secret, when used
  return Status::Ok();
}

std::optional<DomainId> Directory::FindDomain(std::string_view realm) const {
  // The realms a KDC names on every exchange are the few configured first (workgroup
  // hosts' databases come after them): an exact match among those needs no hash of the
  // name. Same answer as below: the first domain, ascending, with exactly this realm.
  constexpr size_t kScanned = 8;
  for (size_t i = 0; i < domains_.size() && i < kScanned; ++i) {
    if (domains_[i].realm == realm) return static_cast<DomainId>(i);
  }
  auto it = realm_index_.find(realm);
  if (it == realm_index_.end()) return std::nullopt;
  // The realm as configured first, else the first domain whose realm differs in case.
  for (DomainId id : it->second) {
    if (domains_[id].realm == realm) return id;
  }
  return it->second.front();
}

namespace {
// `s` lower-cased into `out`, reusing its buffer: lookups by name allocate nothing.
void AssignLower(std::string_view s, std::string& out) {
  out.assign(s);
  for (char& c : out) c = AsciiLower(c);
}
}  // namespace

std::optional<PrincipalId> Directory::Find(std::string_view name) const {
  thread_local std::string key;  // reused; FindIn below has its own
  AssignLower(name, key);
  if (size_t bs = key.find('\\'); bs != std::string::npos) {
    std::string_view dom = std::string_view(key).substr(0, bs);
    std::string_view user = std::string_view(key).substr(bs + 1);
    // The first domain whose realm, or its first label (the NetBIOS name), is `dom`.
    std::optional<DomainId> first;
    for (const DomainIndex* index : {&realm_index_, &netbios_index_}) {
      auto it = index->find(dom);
      if (it != index->end() && (!first || it->second.front() < *first)) first = it->second.front();
    }
    if (!first) return std::nullopt;
    return FindIn(*first, user);
  }
  if (key.find('@') != std::string::npos) {
    auto it = name_index_.find(key);
    if (it == name_index_.end()) return std::nullopt;
    return it->second;
  }
  auto it = bare_index_.find(key);
  if (it == bare_index_.end() || it->second.size() != 1) return std::nullopt;
  return it->second.front();
}

std::optional<PrincipalId> Directory::FindIn(DomainId domain, std::string_view name) const {
  thread_local std::string key;  // "name@realm", lower-case; reused
  AssignLower(name, key);
  key += '@';
  for (char c : domains_[domain].realm) key += AsciiLower(c);
  auto it = name_index_.find(key);
  if (it == name_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<SpnId> Directory::FindSpn(std::string_view spn) const {
  thread_local std::string key;  // reused: a lookup per ticket, no allocation
  key.assign(spn.substr(0, spn.find('@')));
  for (char& c : key) c = AsciiLower(c);
  auto it = spn_index_.find(key);
  if (it == spn_index_.end()) return std::nullopt;
  return it->second;
}

const std::string& Directory::FullName(PrincipalId id) const {
  static const std::string kNobodyName = "nobody";
  if (id == kNobody || id >= principals_.size()) return kNobodyName;
  return principals_[id].full_name;
}

bool Directory::Matches(PrincipalId who, PrincipalId principal) const {
  if (who == principal) return true;
  const std::vector<PrincipalId>& g = principals_[who].groups;
  return std::binary_search(g.begin(), g.end(), principal);
}

bool Directory::AnyMatches(PrincipalId who, const std::vector<PrincipalId>& list) const {
  for (PrincipalId p : list) {
    if (Matches(who, p)) return true;
  }
  return false;
}

std::optional<Trust> Directory::TrustPath(DomainId account_domain, DomainId resource_domain) const {
  const Domain& a = domains_[account_domain];
  const Domain& r = domains_[resource_domain];
  if (a.workgroup || r.workgroup) return std::nullopt;
  if (account_domain == resource_domain || a.forest == r.forest) {
    return Trust{resource_domain, account_domain, true, trust_attr::kWithinForest};
  }
  // An explicit trust between the two domains, or a forest trust between their forests.
  for (const Trust& t : trusts_) {
    bool forward = t.trusting == resource_domain && t.trusted == account_domain;
    bool backward = t.two_way && t.trusting == account_domain && t.trusted == resource_domain;
    if (forward || backward) return t;
  }
  for (const Trust& t : trusts_) {
    if (!(t.attributes & trust_attr::kForestTransitive)) continue;
    const std::string& trusting_forest = domains_[t.trusting].forest;
    const std::string& trusted_forest = domains_[t.trusted].forest;
    bool forward = trusting_forest == r.forest && trusted_forest == a.forest;
    bool backward = t.two_way && trusting_forest == a.forest && trusted_forest == r.forest;
    if (forward || backward) return t;
  }
  return std::nullopt;
}

const std::string& Directory::KrbtgtKey(DomainId realm) const {
  return principals_[domains_[realm].krbtgt].key;
}

const std::string& Directory::InterRealmKey(DomainId from, DomainId to) const {
  std::lock_guard<std::mutex> lock(inter_realm_mutex_);
  auto [it, inserted] = inter_realm_keys_.try_emplace(static_cast<uint32_t>(from) << 16 | to);
  if (inserted) {
    it->second = DeriveKey(
        secret_, "xrealm|" + ToLower(domains_[from].realm) + "|" + ToLower(domains_[to].realm));
  }
  return it->second;
}

const std::string& Directory::TicketKey(std::string_view realm, std::string_view sname) const {
  static const std::string kNone;
  std::optional<DomainId> issuer = FindDomain(realm);
  if (!issuer) return kNone;
  if (sname.substr(0, 7) == "krbtgt/") {
    std::optional<DomainId> target = FindDomain(sname.substr(7));
    if (!target) return kNone;
    return *target == *issuer ? KrbtgtKey(*issuer) : InterRealmKey(*issuer, *target);
  }
  std::optional<SpnId> spn = FindSpn(sname);
  if (!spn) return kNone;
  return KeyOf(SpnOwner(*spn));
}

std::string Directory::CertificateAuthorityKey(DomainId domain) const {
  return DeriveKey(secret_, "ca|" + ToLower(domains_[domain].realm));
}

}  // namespace delegsim::kdc
