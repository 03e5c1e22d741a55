// Decoding the directory: domains, trusts, hosts, accounts (with their SPNs) and
// groups.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/rules.h"
#include "common/text.h"
#include "nodes/topology.h"
#include "sim/json_path.h"
#include "sim/loader_decoder.h"

namespace delegsim::sim::loader_internal {

void Decoder::DecodeDomain(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "a domain object");
  if (!o) return;
  std::optional<std::string> name = NameField(*o, "name", " /\\@=");
  if (!name) return;
  DomainSpec d;
  d.realm = *name;
  d.forest = NameField(*o, "forest", " /\\@=").value_or(d.realm);
  if (const Json* fl = o->Get("functional_level")) {
    LazyPath p = o->At("functional_level");
    if (fl->is_string()) {
      // No did-you-mean here: "2019" is not a misspelling of "2012".
      std::string name = fl->get<std::string>();
      auto it = std::find_if(std::begin(kFunctionalLevels), std::end(kFunctionalLevels),
                             [&](const Named<int>& n) { return n.name == name; });
      if (it != std::end(kFunctionalLevels)) {
        d.functional_level = it->value;
      } else {
        Report(p, "unknown functional level '" + name +
                      "' (expected 0 to 10 or one of: " + Join(NamesOf<int>(kFunctionalLevels)) +
                      "; Windows Server 2019 and 2022 domains use 2016)");
      }
    } else if (fl->is_number_integer()) {
      if (auto n = Integer(*fl, p, 0, kMaxFunctionalLevel)) {
        d.functional_level = static_cast<int>(*n);
      }
    } else {
      TypeError(p, "a functional level (0 to 10, or \"2003\" ... \"2016\")", *fl);
    }
  }
  d.dc_host = NameField(*o, "dc", " /\\@=").value_or("dc." + Lower(d.realm));
  s->domains.push_back(std::move(d));
  src_->domains.push_back(path);
}

void Decoder::DecodeTrust(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "a trust object");
  if (!o) return;
  TrustSpec t;
  t.trusting = StringField(*o, "trusting").value_or("");
  t.trusted = StringField(*o, "trusted").value_or("");
  if (auto d = EnumField<bool>(*o, "direction", "trust direction", kDirections)) t.two_way = *d;
  if (const Json* a = o->Get("attributes")) {
    LazyPath p = o->At("attributes");
    if (a->is_number_integer()) {
      if (auto n = Integer(*a, p, 0, 0xFFFFFFFF)) t.attributes = static_cast<uint32_t>(*n);
    } else if (a->is_array()) {
      for (size_t i = 0; i < a->size(); ++i) {
        if (auto bit =
                Enum<uint32_t>((*a)[i], LazyPath(p, i), "trust attribute", kTrustAttributes)) {
          t.attributes |= *bit;
        }
      }
    } else {
      TypeError(p, "an array of trust attribute names or an integer", *a);
    }
  }
  s->trusts.push_back(std::move(t));
  src_->trusts.push_back(path);
}

void Decoder::DecodeHost(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "a host object");
  if (!o) return;
  std::optional<std::string> name = NameField(*o, "name", " /\\@=");
  if (!name) return;
  HostSpec h;
  h.name = *name;
  if (const Json* d = o->Get("domain"); d && !d->is_null()) {
    h.domain = String(*d, o->At("domain")).value_or("");
  }
  s->hosts.push_back(std::move(h));
  src_->hosts.push_back(path);
}

void Decoder::DecodeAccount(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "an account object");
  if (!o) return;
  std::optional<std::string> name = NameField(*o, "name", "/\\@=");
  if (!name) return;
  AccountSpec a;
  a.name = *name;
  a.domain = StringField(*o, "domain").value_or("");
  if (auto k = EnumField<AccountKind>(*o, "type", "account type", kAccountKinds)) a.kind = *k;
  a.password = StringField(*o, "password", false).value_or("");
  a.spns = Strings(*o, "spns");
  const LazyPath spns = o->At("spns");
  for (size_t i = 0; i < a.spns.size(); ++i) CheckSpn(a.spns[i], LazyPath(spns, i));
  a.not_delegated = BoolField(*o, "sensitive").value_or(false);
  a.trusted_for_delegation = BoolField(*o, "trusted_for_delegation").value_or(false);
  a.trusted_to_auth_for_delegation =
      BoolField(*o, "trusted_to_auth_for_delegation").value_or(false);
  a.disabled = BoolField(*o, "disabled").value_or(false);
  a.allowed_to_delegate_to = Strings(*o, "allowed_to_delegate_to");
  const LazyPath a2d2 = o->At("allowed_to_delegate_to");
  for (size_t i = 0; i < a.allowed_to_delegate_to.size(); ++i) {
    CheckSpn(a.allowed_to_delegate_to[i], LazyPath(a2d2, i));
  }
  a.allowed_to_act = Strings(*o, "allowed_to_act_on_behalf_of");
  a.allowed_to_authenticate = Strings(*o, "allowed_to_authenticate");
  a.member_of = Strings(*o, "member_of");
  a.privileges = Strings(*o, "privileges");
  s->accounts.push_back(std::move(a));
  src_->accounts.push_back(path);
}

void Decoder::CheckSpn(const std::string& spn, const LazyPath& path) {
  size_t slash = spn.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spn.size()) {
    Report(path,
           "'" + spn + "' is not an SPN (expected service/host, e.g. 'http/web.corp.example')");
  }
}

void Decoder::DecodeGroup(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "a group object");
  if (!o) return;
  std::optional<std::string> name = NameField(*o, "name", "/\\@=");
  if (!name) return;
  GroupSpec g;
  g.name = *name;
  g.domain = StringField(*o, "domain").value_or("");
  g.members = Strings(*o, "members");
  s->groups.push_back(std::move(g));
  src_->groups.push_back(path);
}

}  // namespace delegsim::sim::loader_internal
