#include "kdc/kdc.h"

#include <algorithm>
#include <optional>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"

namespace delegsim::kdc {
namespace {

using v1::TICKET_FLAG_FORWARDABLE;
using v1::TICKET_FLAG_FORWARDED;
using v1::TICKET_FLAG_INITIAL;
using v1::TICKET_FLAG_OK_AS_DELEGATE;
using v1::TICKET_FLAG_PRE_AUTHENT;
using v1::TICKET_FLAG_PROXIABLE;
using v1::TICKET_FLAG_RENEWABLE;

constexpr char kBadOption[] = "KDC_ERR_BADOPTION";

// The key of the KDC signature on tickets issued by `realm` (empty for an unknown realm).
std::string_view KdcKey(const Directory& dir, std::string_view realm) {
  std::optional<DomainId> d = dir.FindDomain(realm);
  return d ? std::string_view(dir.KrbtgtKey(*d)) : std::string_view();
}
constexpr char kPolicy[] = "KDC_ERR_POLICY";

// ---------------------------------------------------------------------------------------
// Shared state of one exchange. Checks read the request and the directory, append to
// `d`, and fill the draft ticket `out`. A check returns false when it denied.

struct Exchange {
  Exchange(const Directory& d, const Profile& p, DomainId r, Time n)
      : dir(d), profile(p), realm(r), now(n) {}

  const Directory& dir;
  const Profile& profile;
  DomainId realm;
  Time now;
  Decision d;
  v1::TicketBody out;

  // TGS only.
  const v1::TgsReq* req = nullptr;
  v1::TicketBody tgt;               // opened header ticket
  v1::TicketBody evidence;          // opened additional ticket (S4U2proxy)
  PrincipalId requester = kNobody;  // the TGT's client
  PrincipalId target = kNobody;     // the account the new ticket is for
  std::optional<SpnId> target_spn;
  DomainId target_realm = kNoDomain;

  const Principal& P(PrincipalId id) const { return dir.Get(id); }
  const std::string& N(PrincipalId id) const { return dir.Get(id).name; }
};

using CheckFn = bool (*)(Exchange&);

bool RunChecks(Exchange& x, std::initializer_list<CheckFn> checks) {
  for (CheckFn check : checks) {
    if (!check(x)) return false;
  }
  return true;
}

// PU-1/PU-2 apply when the profile knows Protected Users and the user's domain runs at
// 2012 R2 level or above.
bool ProtectedUsersApply(const Exchange& x, PrincipalId id, std::vector<Fact>* facts) {
  const Principal& p = x.P(id);
  int level = x.dir.GetDomain(p.domain).functional_level;
  if (facts) {
    facts->emplace_back(p.name, ".protected_users_member", p.protected_user);
    if (p.protected_user) {
      facts->emplace_back(x.dir.GetDomain(p.domain).realm, ".functional_level", level);
      if (!x.profile.protected_users) facts->emplace_back("profile", x.profile.name);
    }
  }
  bool level_ok = level >= kLevel2012R2 || !x.profile.protected_users_needs_2012r2;
  if (facts && p.protected_user && !x.profile.protected_users_needs_2012r2) {
    facts->emplace_back("profile.protected_users_needs_2012r2", false);
  }
  return p.protected_user && x.profile.protected_users && level_ok;
}

// DS-14: a ticket obtained with a FORWARDED TGT is FORWARDED too (RFC 4120 2.6).
void PropagateForwarded(Exchange& x) {
  if (!HasFlag(x.tgt, TICKET_FLAG_FORWARDED)) return;
  x.d.Set(RuleId::kDS14, "forwarded", {{"header.forwarded", true}});
  SetFlag(x.out, TICKET_FLAG_FORWARDED, true);
}

// RFC 4120 2.1: PRE-AUTHENT (and HW-AUTHENT, not modelled) describe the initial
// authentication, so a ticket issued on a TGT carries them forward from it: service
// tickets, referral and forwarded TGTs, S4U2self and S4U2proxy tickets (from the header
// TGT, as MIT's kdc_util.c and Heimdal's krb5tgs.c do). Not a policy decision: no rule.
void CarryPreAuthent(Exchange& x) {
  if (HasFlag(x.tgt, TICKET_FLAG_PRE_AUTHENT)) SetFlag(x.out, TICKET_FLAG_PRE_AUTHENT, true);
}

// DS-15: RENEWABLE and renew-till of a TGS reply from the header ticket `from` (the TGT,
// or the evidence of S4U2proxy), the request and the realm's renew life. The draft's
// start and end are set.
void DeriveRenewable(Exchange& x, const v1::TicketBody& from, const std::string& which) {
  if (!x.req->options().renewable()) return;
  if (!HasFlag(from, TICKET_FLAG_RENEWABLE) || x.profile.max_renew_life_ms <= 0) {
    Fact f = HasFlag(from, TICKET_FLAG_RENEWABLE)
                 ? Fact("realm.max_renew_life_ms", x.profile.max_renew_life_ms)
                 : Fact(which, ".renewable", false);
    x.d.Clear(RuleId::kDS15, "renewable", {{"renewable_requested", true}, f});
    AddFlagCause(x.out, "renewable", RuleId::kDS15, f);
    return;
  }
  Time till = std::min(from.renew_till_ms(), SaturatingAdd(x.now, x.profile.max_renew_life_ms));
  if (till <= x.now) return;
  if (x.profile.tgs_renewable_needs_renewal_room && x.out.end_ms() >= till) {
    // DS-15 (heimdal): nothing left to renew: the ticket ends when its renew-till does.
    Fact f(which, ".renew_till_ms", from.renew_till_ms());
    x.d.Clear(RuleId::kDS15, "renewable",
              {{"renewable_requested", true},
               f,
               {"end_reaches_renew_till", true},
               {"profile", x.profile.name}});
    AddFlagCause(x.out, "renewable", RuleId::kDS15, f);
    x.out.set_end_ms(till);
    return;
  }
  SetFlag(x.out, TICKET_FLAG_RENEWABLE, true);
  x.out.set_renew_till_ms(till);
  x.out.set_end_ms(std::min(x.out.end_ms(), till));
  x.d.Set(RuleId::kDS15, "renewable",
          {{"renewable_requested", true}, {which, ".renew_till_ms", from.renew_till_ms()}});
}

bool IsSensitive(const Principal& p) { return p.uac & uf::kNotDelegated; }

void FillPac(const Exchange& x, PrincipalId user, v1::Pac* pac) {
  const Principal& p = x.P(user);
  pac->set_user(user);
  pac->clear_groups();
  for (PrincipalId g : p.groups) pac->add_groups(g);
  pac->set_user_account_control(UacToSamr(p.uac));  // AC-2: the PAC carries USER_* bits
  pac->set_logon_realm(x.dir.GetDomain(p.domain).realm);
}

// ---------------------------------------------------------------------------------------
// AS exchange checks.

struct AsExchange : Exchange {
  using Exchange::Exchange;
  const v1::AsReq* as = nullptr;
  PrincipalId client = kNobody;
};

bool CheckAsClientKnown(AsExchange& x) {
  // DS-7: the client must exist in this realm.
  std::optional<PrincipalId> id = x.dir.FindIn(x.realm, x.as->client());
  if (!id || x.P(*id).kind == PrincipalKind::kGroup || x.P(*id).kind == PrincipalKind::kKrbtgt) {
    x.d.Deny(RuleId::kDS7, "KDC_ERR_C_PRINCIPAL_UNKNOWN", {},
             {{"client", x.as->client()}, {"realm", x.dir.GetDomain(x.realm).realm}});
    return false;
  }
  x.client = *id;
  if (x.P(x.client).uac & uf::kAccountDisable) {
    x.d.Deny(RuleId::kDS8, "KDC_ERR_CLIENT_REVOKED", "STATUS_ACCOUNT_DISABLED",
             {{x.N(x.client), ".disabled", true}});
    return false;
  }
  return true;
}

bool CheckAsPreauth(AsExchange& x) {
  // DS-12: pre-authentication proves knowledge of the client's key.
  bool ok = MacEquals(PreauthProof(x.dir.KeyOf(x.client), x.as->timestamp_ms()), x.as->preauth());
  if (!ok) {
    x.d.Deny(RuleId::kDS12, "KDC_ERR_PREAUTH_FAILED", "STATUS_WRONG_PASSWORD",
             {{x.N(x.client), ".preauth_valid", false}});
    return false;
  }
  return true;
}

bool CheckProtectedMachineAccount(AsExchange& x) {
  // PU-3: computer and service accounts in Protected Users cannot authenticate.
  std::vector<Fact> facts;
  bool applies = ProtectedUsersApply(x, x.client, &facts);
  PrincipalKind kind = x.P(x.client).kind;
  facts.emplace_back(x.N(x.client), ".kind", PrincipalKindName(kind));
  if (applies && (kind == PrincipalKind::kComputer || kind == PrincipalKind::kService)) {
    x.d.Deny(RuleId::kPU3, kPolicy, "STATUS_ACCOUNT_RESTRICTION", std::move(facts));
    return false;
  }
  x.d.Read(RuleId::kPU3, std::move(facts));
  return true;
}

bool CheckProtectedEtype(AsExchange& x) {
  // PU-2: Protected Users may not pre-authenticate with DES or RC4.
  v1::Etype etype = x.as->preauth_etype();
  bool weak = etype == v1::ETYPE_RC4 || etype == v1::ETYPE_DES;
  if (weak && ProtectedUsersApply(x, x.client, nullptr)) {
    x.d.Deny(RuleId::kPU2, "KDC_ERR_ETYPE_NOTSUPP", {},
             {{x.N(x.client), ".protected_users_member", true},
              {"preauth_etype", v1::Etype_Name(etype)}});
    return false;
  }
  return true;
}

bool IssueTgt(AsExchange& x) {
  const Principal& c = x.P(x.client);
  const std::string& realm = x.dir.GetDomain(x.realm).realm;
  x.out.set_client(x.client);
  x.out.set_server(x.dir.GetDomain(x.realm).krbtgt);
  x.out.set_sname("krbtgt/" + realm);
  x.out.set_realm(realm);
  x.out.set_flags(TICKET_FLAG_INITIAL | TICKET_FLAG_PRE_AUTHENT);
  FillPac(x, x.client, x.out.mutable_pac());
  x.d.Read(RuleId::kAC2,
           {{c.name, ".pac_uac", static_cast<uint32_t>(x.out.pac().user_account_control())}});

  // AC-1 / PU-1: sensitive accounts and Protected Users get no FORWARDABLE or PROXIABLE TGT.
  std::vector<Fact> pu_facts;
  bool is_protected = ProtectedUsersApply(x, x.client, &pu_facts);
  Fact nd_fact(c.name, ".not_delegated", IsSensitive(c));
  for (auto [flag, name, wanted] :
       {std::tuple{TICKET_FLAG_FORWARDABLE, "forwardable", x.as->options().forwardable()},
        std::tuple{TICKET_FLAG_PROXIABLE, "proxiable", x.as->options().proxiable()}}) {
    if (!wanted) {
      x.d.Read(RuleId::kDS8, {{std::string(name) + "_requested", false}});
      AddFlagCause(x.out, name, RuleId::kDS8, Fact(std::string(name) + "_requested", false));
    } else if (IsSensitive(c)) {
      x.d.Clear(RuleId::kAC1, name, {nd_fact});
      x.d.Clear(RuleId::kUD6, std::string(name) + "_request",
                {{std::string(name) + "_requested", true}});
      AddFlagCause(x.out, name, RuleId::kAC1, nd_fact);
    } else if (is_protected) {
      x.d.Clear(RuleId::kPU1, name, pu_facts);
      x.d.Clear(RuleId::kUD6, std::string(name) + "_request",
                {{std::string(name) + "_requested", true}});
      AddFlagCause(x.out, name, RuleId::kPU1, Fact(c.name, ".protected_users_member", true));
    } else {
      x.d.Set(RuleId::kDS8, name, {nd_fact, {c.name, ".protected_users_member", c.protected_user}});
      SetFlag(x.out, flag, true);
    }
  }

  x.out.set_start_ms(x.now);
  Time life = x.profile.max_ticket_life_ms;
  Time renew = x.profile.max_renew_life_ms;
  if (is_protected) {
    // PU-2: four hours of life and of renewal, whatever the domain policy says.
    x.d.Set(RuleId::kPU2, "lifetime", {{"lifetime_hours", int64_t{4}}});
    life = std::min(life, kProtectedUsersTicketLife);
    renew = std::min(renew, kProtectedUsersTicketLife);
  }
  x.out.set_end_ms(SaturatingAdd(x.now, life));
  if (x.as->options().renewable()) {
    // DS-15: a renewable TGT when the realm allows renewal at all.
    std::vector<Fact> facts = {{"renewable_requested", true}, {"realm.max_renew_life_ms", renew}};
    if (is_protected) facts.emplace_back(c.name, ".protected_users_member", true);
    if (renew > 0) {
      SetFlag(x.out, TICKET_FLAG_RENEWABLE, true);
      x.out.set_renew_till_ms(SaturatingAdd(x.now, renew));
      x.out.set_end_ms(std::min(x.out.end_ms(), x.out.renew_till_ms()));
      x.d.Set(is_protected ? RuleId::kPU2 : RuleId::kDS15, "renewable", std::move(facts));
    } else {
      x.d.Clear(RuleId::kDS15, "renewable", facts);
      AddFlagCause(x.out, "renewable", RuleId::kDS15, facts.back());
    }
  }
  x.d.Allow(RuleId::kDS8);
  return true;
}

// ---------------------------------------------------------------------------------------
// TGS checks shared by every kind of request.

bool CheckHeaderTicket(Exchange& x) {
  // DS-11: a KDC accepts only TGTs for its own realm (its krbtgt or a referral to it).
  const v1::SealedTicket& s = x.req->tgt();
  const std::string& realm = x.dir.GetDomain(x.realm).realm;
  std::string_view sname = s.sname();
  if (sname.substr(0, 7) != "krbtgt/" || !EqualsIgnoreCase(sname.substr(7), realm)) {
    x.d.Deny(RuleId::kDS11, "KRB_AP_ERR_NOT_US", {},
             {{"header.sname", s.sname()}, {"kdc.realm", realm}});
    return false;
  }
  // DS-1: the header ticket's seal must verify with the krbtgt (or inter-realm) key.
  StatusOr<v1::TicketBody> tgt =
      OpenAsKdc(s, x.dir.TicketKey(s.realm(), s.sname()), KdcKey(x.dir, s.realm()));
  if (!tgt.ok()) {
    x.d.Deny(RuleId::kDS1, "KRB_AP_ERR_MODIFIED", {}, {{"header.seal_valid", false}});
    return false;
  }
  x.tgt = std::move(tgt).value();
  x.requester = x.tgt.client();
  return true;
}

bool CheckTicketTime(Exchange& x, const v1::TicketBody& t, const std::string& which) {
  // DS-2: a ticket is honoured only inside its validity window.
  if (x.now < t.start_ms()) {
    x.d.Deny(RuleId::kDS2, "KRB_AP_ERR_TKT_NYV", {},
             {{which, ".start_ms", t.start_ms()}, {"now_ms", x.now}});
    return false;
  }
  if (x.now >= t.end_ms()) {
    x.d.Deny(RuleId::kDS2, "KRB_AP_ERR_TKT_EXPIRED", {},
             {{which, ".end_ms", t.end_ms()}, {"now_ms", x.now}});
    return false;
  }
  return true;
}

bool CheckHeaderTime(Exchange& x) { return CheckTicketTime(x, x.tgt, "header"); }

bool ResolveTarget(Exchange& x) {
  // DS-7: the requested SPN must be registered to an account.
  x.target_spn = x.dir.FindSpn(x.req->sname());
  if (!x.target_spn) {
    x.d.Deny(RuleId::kDS7, "KDC_ERR_S_PRINCIPAL_UNKNOWN", {}, {{"sname", x.req->sname()}});
    return false;
  }
  x.target = x.dir.SpnOwner(*x.target_spn);
  x.target_realm = x.P(x.target).domain;
  return true;
}

// Copies the header's FORWARDABLE into the draft, applying UD-5, AC-1, C13 and UD-6.
// `explicit_request` is false when the client did not put FORWARDABLE in its request and
// the KDC derives the flag anyway (a referral inherits it from the header TGT).
bool DeriveForwardable(Exchange& x, bool requested, bool explicit_request = true) {
  const Principal& client = x.P(x.out.client());
  if (!requested) {
    x.d.Read(RuleId::kUD6, {{"forwardable_requested", false}});
    // A client that did not ask because its TGT is not forwardable (C17) inherits the TGT's
    // reason (AC-1, PU-1), which is the one worth reporting later (KCD-2, RB-2).
    std::vector<Cause> inherited;
    if (!HasFlag(x.tgt, TICKET_FLAG_FORWARDABLE)) inherited = FlagCauses(x.tgt, "forwardable");
    if (!inherited.empty()) {
      // UD-5 with the TGT's own reason (AC-1, PU-1, DS-8): the root cause of a ticket that
      // is not forwardable because the client could not sensibly ask.
      x.d.Read(RuleId::kUD5, {{"header.forwardable", false}});
      x.d.Because(inherited);
      AddFlagCause(x.out, "forwardable", inherited.front().rule, inherited.front().fact);
    } else {
      AddFlagCause(x.out, "forwardable", RuleId::kUD6, Fact("forwardable_requested", false));
    }
    return true;
  }
  std::optional<std::pair<RuleId, Fact>> blocked;
  std::vector<Cause> causes;
  if (!HasFlag(x.tgt, TICKET_FLAG_FORWARDABLE)) {
    // UD-5: forwardable never reappears once a TGT lacks it.
    blocked.emplace(RuleId::kUD5, Fact("header.forwardable", false));
    causes = FlagCauses(x.tgt, "forwardable");
  } else if (IsSensitive(client)) {
    blocked.emplace(RuleId::kAC1, Fact(client.name, ".not_delegated", true));
  } else if (x.profile.server_nd_clears_forwardable && x.target != kNobody &&
             IsSensitive(x.P(x.target))) {
    blocked.emplace(RuleId::kAC1, Fact(x.N(x.target), ".not_delegated(server)", true));
  }
  if (!blocked) {
    x.d.Set(RuleId::kUD5, "forwardable", {{"header.forwardable", true}});
    SetFlag(x.out, TICKET_FLAG_FORWARDABLE, true);
    return true;
  }
  if (x.profile.tgs_rejects_forbidden_forwardable && explicit_request &&
      blocked->first == RuleId::kUD5) {
    // UD-6 (Heimdal, C12): FORWARDABLE asked with a non-forwardable TGT is refused instead
    // of silently trimmed. Other limits (C13: an ND server) still clear it silently.
    x.d.Read(blocked->first, {blocked->second});
    x.d.Deny(RuleId::kUD6, kBadOption, {},
             {{"forwardable_requested", true}, {"profile", x.profile.name}});
    x.d.Because(blocked->first, blocked->second).Because(causes);
    return false;
  }
  x.d.Clear(blocked->first, "forwardable", {blocked->second});
  x.d.Clear(RuleId::kUD6, "forwardable_request", {{"forwardable_requested", true}});
  x.d.Because(causes);
  AddFlagCause(x.out, "forwardable", blocked->first, blocked->second);
  if (!causes.empty()) AddFlagCause(x.out, "forwardable", causes.front().rule, causes.front().fact);
  return true;
}

void StartDraftFromHeader(Exchange& x) {
  x.out.set_client(x.tgt.client());
  // The header's PAC moves to the draft: no check reads it from the header afterwards.
  if (x.tgt.has_pac()) {
    x.out.set_allocated_pac(x.tgt.release_pac());
  } else {
    x.out.mutable_pac();  // present and empty, as a copy of an absent PAC is
  }
  x.out.set_start_ms(x.now);
  x.out.set_end_ms(std::min(x.tgt.end_ms(), SaturatingAdd(x.now, x.profile.max_ticket_life_ms)));
}

// ---------------------------------------------------------------------------------------
// Service tickets.

bool CheckSelectiveAuthentication(Exchange& x) {
  // XR-3: across a selective-authentication trust the client needs Allowed-To-Authenticate
  // on the server object.
  if (x.tgt.referral_from().empty()) return true;
  bool selective = x.tgt.trust_attributes() & trust_attr::kCrossOrganization;
  std::vector<Fact> facts = {{"trust.cross_organization", selective}};
  if (!selective) {
    x.d.Read(RuleId::kXR3, std::move(facts));
    return true;
  }
  bool allowed = x.dir.AnyMatches(x.requester, x.P(x.target).allowed_to_authenticate);
  facts.emplace_back(x.N(x.target) + ".allowed_to_authenticate(" + x.N(x.requester) + ")", allowed);
  if (!allowed) {
    x.d.Deny(RuleId::kXR3, kPolicy, "STATUS_AUTHENTICATION_FIREWALL_FAILED", std::move(facts));
    return false;
  }
  x.d.Read(RuleId::kXR3, std::move(facts));
  return true;
}

bool IssueServiceTicket(Exchange& x) {
  StartDraftFromHeader(x);
  x.out.set_server(x.target);
  x.out.set_sname(x.req->sname());
  x.out.set_realm(x.dir.GetDomain(x.realm).realm);
  if (!DeriveForwardable(x, x.req->options().forwardable())) return false;
  if (x.req->options().proxiable() && HasFlag(x.tgt, TICKET_FLAG_PROXIABLE)) {
    SetFlag(x.out, TICKET_FLAG_PROXIABLE, true);
  }
  PropagateForwarded(x);
  CarryPreAuthent(x);
  DeriveRenewable(x, x.tgt, "header");
  // UD-1: OK-AS-DELEGATE on tickets to an account trusted for delegation.
  const Principal& server = x.P(x.target);
  bool td = server.uac & uf::kTrustedForDelegation;
  std::vector<Fact> facts = {{server.name, ".trusted_for_delegation", td}};
  bool ok = td;
  if (td && x.profile.ok_as_delegate_needs_referral_flag && !x.tgt.referral_from().empty()) {
    bool header_ok = HasFlag(x.tgt, TICKET_FLAG_OK_AS_DELEGATE);
    facts.emplace_back("header(referral).ok_as_delegate", header_ok);
    ok = header_ok;
  }
  if (ok) {
    x.d.Set(RuleId::kUD1, "ok_as_delegate", std::move(facts));
    SetFlag(x.out, TICKET_FLAG_OK_AS_DELEGATE, true);
  } else {
    x.d.Read(RuleId::kUD1, facts);
    AddFlagCause(x.out, "ok_as_delegate", RuleId::kUD1, facts.back());
  }
  x.d.Allow(RuleId::kDS9);
  return true;
}

// ---------------------------------------------------------------------------------------
// Forwarded TGTs (UD-3, UD-4).

bool IssueForwardedTgt(Exchange& x) {
  if (x.req->options().forwarded() && !HasFlag(x.tgt, TICKET_FLAG_FORWARDABLE)) {
    // UD-4: a FORWARDED request with a non-forwardable TGT is refused.
    x.d.Deny(RuleId::kUD4, kBadOption, {}, {{"header.forwardable", false}});
    x.d.Because(FlagCauses(x.tgt, "forwardable"));
    return false;
  }
  StartDraftFromHeader(x);
  x.out.set_end_ms(x.tgt.end_ms());
  x.out.set_server(x.tgt.server());
  x.out.set_sname(x.tgt.sname());
  x.out.set_realm(x.tgt.realm());
  x.out.set_flags(x.tgt.flags() & (TICKET_FLAG_PROXIABLE | TICKET_FLAG_PRE_AUTHENT));
  if (!DeriveForwardable(x, x.req->options().forwardable() || x.req->options().forwarded())) {
    return false;
  }
  DeriveRenewable(x, x.tgt, "header");
  if (x.profile.forwarded_tgt_ok_as_delegate) {
    // UD-1 (Samba): the TGS reply copies the krbtgt entry's ok_as_delegate.
    x.d.Set(RuleId::kUD1, "ok_as_delegate",
            {{"krbtgt.ok_as_delegate", true}, {"profile", x.profile.name}});
    SetFlag(x.out, TICKET_FLAG_OK_AS_DELEGATE, true);
  }
  if (x.req->options().forwarded()) {
    // UD-3: the delegated TGT is marked FORWARDED.
    x.d.Set(RuleId::kUD3, "forwarded",
            {{"forwarded_requested", true}, {"header.forwardable", true}});
    SetFlag(x.out, TICKET_FLAG_FORWARDED, true);
    x.d.Allow(RuleId::kUD3);
  } else {
    PropagateForwarded(x);
    x.d.Allow(RuleId::kDS9);
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Referrals (DS-10, XR-1, XR-2).

bool IssueReferral(Exchange& x) {
  const Domain& here = x.dir.GetDomain(x.realm);
  const Domain& there = x.dir.GetDomain(x.target_realm);
  // DS-10: no trust, no referral.
  std::optional<Trust> trust = x.dir.TrustPath(x.realm, x.target_realm);
  if (!trust) {
    x.d.Deny(RuleId::kDS10, "KDC_ERR_S_PRINCIPAL_UNKNOWN", {},
             {{"trust(" + there.realm + "->" + here.realm + ")", false}});
    return false;
  }
  StartDraftFromHeader(x);
  x.out.set_sname("krbtgt/" + there.realm);
  x.out.set_realm(here.realm);
  x.out.set_server(there.krbtgt);
  x.out.set_referral_from(here.realm);
  x.out.set_trust_attributes(trust->attributes);
  x.d.Read(RuleId::kDS10, {{"trust(" + there.realm + "->" + here.realm + ").attributes",
                            static_cast<uint32_t>(trust->attributes)}});
  // UD-5: the referral inherits FORWARDABLE from the header TGT; only a FORWARDABLE the
  // client put in its request can be refused (UD-6, C12).
  if (!DeriveForwardable(x, true, x.req->options().forwardable())) return false;
  PropagateForwarded(x);
  CarryPreAuthent(x);
  DeriveRenewable(x, x.tgt, "header");
  if (trust->attributes & trust_attr::kCrossOrganization)
    x.out.mutable_pac()->set_other_organization(true);

  // XR-1: OK-AS-DELEGATE on the referral iff EnableConditions and not DisableConditions.
  uint32_t a = trust->attributes;
  std::vector<Fact> facts = {
      {"trust.within_forest", static_cast<bool>(a & trust_attr::kWithinForest)},
      {"trust.enable_tgt_delegation",
       static_cast<bool>(a & trust_attr::kCrossOrganizationEnableTgtDelegation)},
      {"trust.no_tgt_delegation",
       static_cast<bool>(a & trust_attr::kCrossOrganizationNoTgtDelegation)},
      {"trust.quarantined", static_cast<bool>(a & trust_attr::kQuarantinedDomain)}};
  bool enable = a & (trust_attr::kWithinForest | trust_attr::kCrossOrganizationEnableTgtDelegation);
  bool disable =
      a & (trust_attr::kCrossOrganizationNoTgtDelegation | trust_attr::kQuarantinedDomain);
  if (!x.tgt.referral_from().empty()) {
    // A chained referral: the source referral must itself be OK-AS-DELEGATE.
    bool source_ok = HasFlag(x.tgt, TICKET_FLAG_OK_AS_DELEGATE);
    facts.emplace_back("header(referral).ok_as_delegate", source_ok);
    disable = disable || !source_ok;
  }
  RuleId rule = RuleId::kXR1;
  if (!x.profile.trust_attributes) {
    facts.emplace_back("profile", x.profile.name);
    enable = false;
  } else if ((a & trust_attr::kForestTransitive) && !(a & trust_attr::kWithinForest) &&
             !(a & trust_attr::kCrossOrganizationEnableTgtDelegation)) {
    // XR-2: forest trusts do not carry TGT delegation unless enabled (July 2019).
    rule = RuleId::kXR2;
    facts.emplace_back("trust.forest_transitive", true);
  }
  if (enable && !disable) {
    x.d.Set(rule, "ok_as_delegate", std::move(facts));
    SetFlag(x.out, TICKET_FLAG_OK_AS_DELEGATE, true);
  } else {
    Fact decisive = facts.back();
    x.d.Clear(rule, "ok_as_delegate", std::move(facts));
    AddFlagCause(x.out, "ok_as_delegate", rule, decisive);
  }
  x.d.Allow(RuleId::kDS10);
  return true;
}

// ---------------------------------------------------------------------------------------
// S4U2self (S4U-1, S4U-2, AC-3).

bool IssueS4U2Self(Exchange& x) {
  const Principal& service = x.P(x.requester);
  // S4U-1: an S4U2self ticket is always to the requesting service itself.
  std::optional<SpnId> spn = x.dir.FindSpn(x.req->sname());
  bool to_self = (spn && x.dir.SpnOwner(*spn) == x.requester) ||
                 EqualsIgnoreCase(x.req->sname(), service.name);
  if (!to_self) {
    x.d.Deny(RuleId::kS4U1, "KRB_AP_ERR_BADMATCH", "INVALID_S4U2SELF_REQUEST_SERVER_MISMATCH",
             {{"sname", x.req->sname()}, {"requester", service.name}});
    return false;
  }
  std::optional<PrincipalId> user = x.dir.Find(x.req->for_user());
  if (!user || x.P(*user).kind == PrincipalKind::kGroup) {
    x.d.Deny(RuleId::kDS7, "KDC_ERR_C_PRINCIPAL_UNKNOWN", {}, {{"for_user", x.req->for_user()}});
    return false;
  }
  if (!x.dir.TrustPath(x.P(*user).domain, x.realm)) {
    x.d.Deny(RuleId::kDS10, "KDC_ERR_S_PRINCIPAL_UNKNOWN", {},
             {{"trust(" + x.dir.GetDomain(x.realm).realm + "->" +
                   x.dir.GetDomain(x.P(*user).domain).realm + ")",
               false}});
    return false;
  }
  const Principal& u = x.P(*user);
  x.out.set_client(*user);
  x.out.set_server(x.requester);
  x.out.set_sname(x.req->sname());
  x.out.set_realm(x.dir.GetDomain(x.realm).realm);
  x.out.set_start_ms(x.now);
  x.out.set_end_ms(std::min(x.tgt.end_ms(), SaturatingAdd(x.now, x.profile.max_ticket_life_ms)));
  FillPac(x, *user, x.out.mutable_pac());
  x.out.mutable_pac()->set_service_asserted(true);
  PropagateForwarded(x);
  CarryPreAuthent(x);
  DeriveRenewable(x, x.tgt, "header");
  x.d.Read(RuleId::kS4U1, {{"requester", service.name}, {"for_user", u.name}});

  // S4U-2: is the S4U2self ticket forwardable?
  bool t2a4d = service.uac & uf::kTrustedToAuthForDelegation;
  bool a2d2 = !service.allowed_to_delegate_to.empty();
  std::vector<Fact> facts = {{service.name, ".trusted_to_auth_for_delegation", t2a4d},
                             {service.name, ".allowed_to_delegate_to.empty", !a2d2}};
  std::optional<std::pair<RuleId, Fact>> no;
  if (!x.req->options().forwardable()) {
    no.emplace(RuleId::kS4U2, Fact("forwardable_requested", false));
  } else if (IsSensitive(u)) {
    no.emplace(RuleId::kAC1, Fact(u.name, ".not_delegated", true));
  } else if (ProtectedUsersApply(x, *user, nullptr) && x.profile.protected_users_at_s4u2self) {
    no.emplace(RuleId::kPU1, Fact(u.name, ".protected_users_member", true));
  } else if (!HasFlag(x.tgt, TICKET_FLAG_FORWARDABLE)) {
    no.emplace(RuleId::kUD5, Fact("header.forwardable", false));
  } else if (x.profile.s4u2self_requires_t2a4d && !t2a4d) {
    facts.emplace_back("profile", x.profile.name);
    no.emplace(RuleId::kS4U2, Fact(service.name, ".trusted_to_auth_for_delegation", false));
  } else if (!t2a4d && a2d2) {
    no.emplace(RuleId::kS4U2, Fact(service.name, ".allowed_to_delegate_to.empty", false));
  }
  if (no) {
    facts.push_back(no->second);
    x.d.Clear(no->first, "forwardable", facts);
    if (no->first != RuleId::kS4U2) x.d.Read(RuleId::kS4U2, facts);
    AddFlagCause(x.out, "forwardable", no->first, no->second);
  } else {
    // AC-3 names protocol transition when T2A4D is what made it forwardable.
    if (ProtectedUsersApply(x, *user, nullptr)) {
      // PU-1 (Samba): Protected Users was applied when the TGT was issued, not here.
      x.d.Read(RuleId::kPU1, {{u.name, ".protected_users_member", true},
                              {"profile.protected_users_at_s4u2self", false}});
    }
    x.d.Set(t2a4d ? RuleId::kAC3 : RuleId::kS4U2, "forwardable", facts);
    SetFlag(x.out, TICKET_FLAG_FORWARDABLE, true);
  }
  // UD-1: an S4U2self ticket is a service ticket to the requesting service, so it is
  // OK-AS-DELEGATE when that service is trusted for delegation (MIT get_ticket_flags(),
  // Heimdal tgs_make_reply(), KILE-TF).
  if (service.uac & uf::kTrustedForDelegation) {
    x.d.Set(RuleId::kUD1, "ok_as_delegate", {{service.name, ".trusted_for_delegation", true}});
    SetFlag(x.out, TICKET_FLAG_OK_AS_DELEGATE, true);
  }
  x.d.Allow(RuleId::kS4U1);
  return true;
}

// ---------------------------------------------------------------------------------------
// S4U2proxy (KCD-*, RB-*, S4U-3).

bool CheckS4U2ProxyNotTgt(Exchange& x) {
  // KCD-4: S4U2proxy never yields a TGT.
  if (x.req->sname().rfind("krbtgt/", 0) == 0) {
    x.d.Deny(RuleId::kKCD4, kPolicy, "NOT_ALLOWED_TO_DELEGATE", {{"sname", x.req->sname()}});
    return false;
  }
  return true;
}

bool CheckEvidence(Exchange& x) {
  const v1::SealedTicket& s = x.req->evidence();
  // DS-1: the service key proves it is a ticket to Service1; the KDC signature proves
  // Service1 did not change it (the Bronze Bit, CVE-2020-17049).
  StatusOr<v1::TicketBody> ev =
      OpenAsKdc(s, x.dir.TicketKey(s.realm(), s.sname()), KdcKey(x.dir, s.realm()));
  if (!ev.ok()) {
    x.d.Deny(RuleId::kDS1, "KRB_AP_ERR_MODIFIED", {}, {{"evidence.seal_valid", false}});
    return false;
  }
  x.evidence = std::move(ev).value();
  // KCD-5: the evidence must be a ticket to the requester, with a PAC for its client.
  bool to_requester = x.evidence.server() == x.requester;
  bool pac_ok = x.evidence.has_pac() && x.evidence.pac().user() == x.evidence.client();
  std::vector<Fact> facts = {{"evidence.server", x.N(x.evidence.server())},
                             {"requester", x.N(x.requester)},
                             {"evidence.pac_valid", pac_ok}};
  if (!to_requester || !pac_ok) {
    x.d.Deny(RuleId::kKCD5, "KDC_ERR_SERVER_NOMATCH", "EVIDENCE_TICKET_MISMATCH", std::move(facts));
    return false;
  }
  x.d.Read(RuleId::kKCD5, std::move(facts));
  return CheckTicketTime(x, x.evidence, "evidence");
}

enum class Path { kNone, kClassic, kRbcd };

bool IssueS4U2Proxy(Exchange& x) {
  const Principal& s1 = x.P(x.requester);
  const Principal& s2 = x.P(x.target);
  bool cross_realm = s1.domain != s2.domain;
  if (cross_realm && !x.dir.TrustPath(s1.domain, s2.domain)) {
    x.d.Deny(RuleId::kDS10, "KDC_ERR_S_PRINCIPAL_UNKNOWN", {},
             {{"trust(" + x.dir.GetDomain(s2.domain).realm + "->" +
                   x.dir.GetDomain(s1.domain).realm + ")",
               false}});
    return false;
  }

  // AC-4 / KCD-1: is Service2's SPN in Service1's A2D2?
  bool listed = std::find(s1.a2d2.begin(), s1.a2d2.end(), *x.target_spn) != s1.a2d2.end();
  bool rbcd_bit = x.req->rbcd();
  auto try_classic = [&]() -> Path {
    x.d.Read(RuleId::kAC4, {{s1.name + ".allowed_to_delegate_to(" + x.req->sname() + ")", listed}});
    if (!listed) return Path::kNone;
    if (cross_realm) {
      // KCD-3: classic KCD stays inside one domain; only RBCD can cross.
      x.d.Clear(RuleId::kKCD3, "classic_kcd",
                {{"requester.realm", x.dir.GetDomain(s1.domain).realm},
                 {"target.realm", x.dir.GetDomain(s2.domain).realm}});
      return Path::kNone;
    }
    return Path::kClassic;
  };
  auto try_rbcd = [&]() -> Path {
    if (!rbcd_bit) return Path::kNone;
    // AC-5 / RB-1: an access check of Service1 against Service2's RBCD descriptor.
    bool allowed = x.dir.AnyMatches(x.requester, s2.allowed_to_act);
    x.d.Read(RuleId::kAC5, {{s2.name + ".allowed_to_act_on_behalf_of(" + s1.name + ")", allowed}});
    return allowed ? Path::kRbcd : Path::kNone;
  };
  Path path = Path::kNone;
  if (x.profile.rbcd_before_classic) {
    path = try_rbcd();
    if (path == Path::kNone) path = try_classic();
  } else {
    path = try_classic();
    if (path == Path::kNone) path = try_rbcd();
  }
  if (path == Path::kNone) {
    if (listed && cross_realm && !rbcd_bit) {
      x.d.Deny(RuleId::kKCD3, kBadOption, "STATUS_NOT_SUPPORTED",
               {{"requester.realm", x.dir.GetDomain(s1.domain).realm},
                {"target.realm", x.dir.GetDomain(s2.domain).realm}});
    } else if (rbcd_bit) {
      x.d.Deny(RuleId::kRB1, kBadOption, "STATUS_NOT_FOUND",
               {{s2.name + ".allowed_to_act_on_behalf_of(" + s1.name + ")", false},
                {s1.name + ".allowed_to_delegate_to(" + x.req->sname() + ")", listed}});
    } else {
      x.d.Deny(RuleId::kKCD1, kBadOption,
               s1.allowed_to_delegate_to.empty() ? "STATUS_NOT_SUPPORTED" : "STATUS_NO_MATCH",
               {{s1.name + ".allowed_to_delegate_to(" + x.req->sname() + ")", false},
                {"rbcd_requested", false}});
    }
    return false;
  }

  // The evidence must be forwardable: KCD-2 (S4U-3 for protocol transition) or RB-2.
  bool fwd = HasFlag(x.evidence, TICKET_FLAG_FORWARDABLE);
  bool self = x.evidence.pac().service_asserted();
  std::vector<Cause> causes = FlagCauses(x.evidence, "forwardable");
  Fact fwd_fact("evidence.forwardable", fwd);
  if (path == Path::kClassic && !fwd && rbcd_bit && !x.profile.rbcd_before_classic) {
    // MS-SFU 3.2.5.2.1: a non-forwardable evidence ticket fails classic KCD only when the
    // RBCD option is absent; with it, the resource-based check decides (RB-1, RB-2).
    x.d.Read(RuleId::kKCD2, {fwd_fact, {"rbcd_requested", true}});
    if (try_rbcd() == Path::kRbcd) path = Path::kRbcd;
  }
  if (path == Path::kClassic) {
    if (!fwd) {
      x.d.Deny(self ? RuleId::kS4U3 : RuleId::kKCD2, kBadOption, "STATUS_NO_MATCH",
               {fwd_fact, {"evidence.s4u2self", self}});
      x.d.Because(causes);
      return false;
    }
    x.d.Read(RuleId::kKCD2, {fwd_fact});
  } else {
    std::vector<Fact> facts = {fwd_fact, {"evidence.s4u2self", self}};
    if (!fwd) {
      bool pac_sensitive = x.evidence.pac().user_account_control() & samr::kUserNotDelegated;
      if (x.profile.legacy_rbcd_nonforwardable_ok) {
        // AC-2: the legacy rule reads sensitivity from the PAC's USER_NOT_DELEGATED; PU-1
        // (no delegation of any kind) also holds for Protected Users in the PAC's groups.
        x.d.Read(RuleId::kAC2, {{"evidence.pac.user_not_delegated", pac_sensitive}});
        bool pac_protected = false;
        for (uint32_t g : x.evidence.pac().groups()) {
          if (g < x.dir.principal_count() + 1 && EqualsIgnoreCase(x.dir.Name(g), "protected users"))
            pac_protected = true;
        }
        if (pac_protected && x.profile.protected_users) {
          x.d.Read(RuleId::kPU1, {{"evidence.pac.protected_users_member", true}});
          pac_sensitive = true;
        }
      }
      if (!(x.profile.legacy_rbcd_nonforwardable_ok && self && !pac_sensitive)) {
        facts.emplace_back("legacy_rbcd_nonforwardable_ok",
                           x.profile.legacy_rbcd_nonforwardable_ok);
        x.d.Deny(RuleId::kRB2, kBadOption, "STATUS_ACCOUNT_RESTRICTION", std::move(facts));
        x.d.Because(causes);
        return false;
      }
      facts.emplace_back("legacy_rbcd_nonforwardable_ok", true);
      x.d.Set(RuleId::kRB2, "accepted_nonforwardable_evidence", std::move(facts));
    } else {
      x.d.Read(RuleId::kRB2, std::move(facts));
    }
    if (cross_realm) {
      x.d.Set(RuleId::kRB3, "cross_realm",
              {{"requester.realm", x.dir.GetDomain(s1.domain).realm},
               {"target.realm", x.dir.GetDomain(s2.domain).realm}});
    }
    if (self && fwd && s1.allowed_to_delegate_to.empty() &&
        !(s1.uac & uf::kTrustedToAuthForDelegation)) {
      x.d.Set(RuleId::kRB4, "s4u2self_rbcd",
              {{s1.name, ".allowed_to_delegate_to.empty", true},
               {s1.name, ".trusted_to_auth_for_delegation", false}});
    }
  }

  // KCD-7: no OK-AS-DELEGATE on Service1 and no delegate request from the client needed.
  x.d.Read(RuleId::kKCD7,
           {{"evidence.ok_as_delegate", HasFlag(x.evidence, TICKET_FLAG_OK_AS_DELEGATE)}});

  // KCD-6: the new ticket is for the user, to Service2, with the user's PAC and the
  // transited service recorded.
  x.out.set_client(x.evidence.client());
  x.out.set_server(x.target);
  x.out.set_sname(x.req->sname());
  x.out.set_realm(x.dir.GetDomain(s2.domain).realm);
  x.out.set_start_ms(x.now);
  x.out.set_end_ms(
      std::min(x.evidence.end_ms(), SaturatingAdd(x.now, x.profile.max_ticket_life_ms)));
  *x.out.mutable_pac() = x.evidence.pac();
  CarryPreAuthent(x);
  DeriveRenewable(x, x.evidence, "evidence");
  x.out.mutable_pac()->set_s4u2proxy_target(x.req->sname());
  x.out.mutable_pac()->add_transited_services(s1.spns.empty() ? s1.name : s1.spns.front());
  bool user_sensitive = x.evidence.pac().user_account_control() & samr::kUserNotDelegated;
  if (!fwd || user_sensitive) {
    x.d.Clear(RuleId::kKCD6, "forwardable",
              {fwd_fact, {"evidence.pac.user_not_delegated", user_sensitive}});
    AddFlagCause(x.out, "forwardable", RuleId::kKCD6, fwd_fact);
  } else if (x.profile.server_nd_clears_forwardable && IsSensitive(s2)) {
    Fact f(s2.name, ".not_delegated(server)", true);
    x.d.Clear(RuleId::kAC1, "forwardable", {f, {"profile", x.profile.name}});
    AddFlagCause(x.out, "forwardable", RuleId::kAC1, f);
  } else {
    x.d.Set(RuleId::kKCD6, "forwardable", {{"transited", x.out.pac().transited_services_size()}});
    SetFlag(x.out, TICKET_FLAG_FORWARDABLE, true);
  }
  if (s2.uac & uf::kTrustedForDelegation) {
    x.d.Set(RuleId::kUD1, "ok_as_delegate", {{s2.name, ".trusted_for_delegation", true}});
    SetFlag(x.out, TICKET_FLAG_OK_AS_DELEGATE, true);
  }
  x.d.Allow(path == Path::kClassic ? RuleId::kKCD1 : RuleId::kRB1);
  return true;
}

void Finish(const Directory& dir, KdcResult& result, Exchange& x) {
  result.decision = std::move(x.d);
  if (!result.decision.allowed()) return;
  result.ticket = std::move(x.out);
  // A ticket for the SPN the request named (resolved by ResolveTarget) is sealed with its
  // owner's key, as Directory::TicketKey would find it again.
  const std::string& key = x.target_spn && result.ticket.sname() == x.req->sname()
                               ? dir.KeyOf(dir.SpnOwner(*x.target_spn))
                               : dir.TicketKey(result.ticket.realm(), result.ticket.sname());
  result.sealed = Seal(result.ticket, key, KdcKey(dir, result.ticket.realm()));
}

}  // namespace

Kdc::Kdc(const Directory& dir, Profile profile) : dir_(dir), profile_(std::move(profile)) {}

KdcResult Kdc::As(DomainId realm, const v1::AsReq& req, Time now) const {
  AsExchange x(dir_, profile_, realm, now);
  x.as = &req;
  auto check = [&](bool (*fn)(AsExchange&)) { return fn(x); };
  (void)(check(CheckAsClientKnown) && check(CheckAsPreauth) &&
         check(CheckProtectedMachineAccount) && check(CheckProtectedEtype) && check(IssueTgt));
  KdcResult result;
  Finish(dir_, result, x);
  return result;
}

KdcResult Kdc::Tgs(DomainId realm, const v1::TgsReq& req, Time now) const {
  Exchange x(dir_, profile_, realm, now);
  x.req = &req;
  KdcResult result;
  if (!RunChecks(x, {CheckHeaderTicket, CheckHeaderTime})) {
    Finish(dir_, result, x);
    return result;
  }
  if (!req.for_user().empty()) {
    RunChecks(x, {IssueS4U2Self});
  } else if (req.options().cname_in_addl_tkt()) {
    RunChecks(x, {CheckS4U2ProxyNotTgt, CheckEvidence, ResolveTarget, IssueS4U2Proxy});
  } else if (req.sname().rfind("krbtgt/", 0) == 0) {
    std::optional<DomainId> to = dir_.FindDomain(std::string_view(req.sname()).substr(7));
    if (!to) {
      x.d.Deny(RuleId::kDS7, "KDC_ERR_S_PRINCIPAL_UNKNOWN", {}, {{"sname", req.sname()}});
    } else if (*to == realm) {
      RunChecks(x, {IssueForwardedTgt});
    } else {
      x.target_realm = *to;
      RunChecks(x, {IssueReferral});
    }
  } else if (ResolveTarget(x)) {
    if (x.target_realm != realm) {
      RunChecks(x, {IssueReferral});
    } else {
      RunChecks(x, {CheckSelectiveAuthentication, IssueServiceTicket});
    }
  }
  Finish(dir_, result, x);
  return result;
}

NtlmResult Kdc::ValidateNtlm(const v1::NtlmAuthenticate& msg) const {
  NtlmResult r;
  std::optional<DomainId> domain = dir_.FindDomain(msg.domain());
  std::optional<PrincipalId> user;
  if (domain) user = dir_.FindIn(*domain, msg.user());
  if (!user || dir_.Get(*user).kind == PrincipalKind::kGroup) {
    r.decision.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_SUCH_USER",
                    {{"user", msg.domain() + "\\" + msg.user()}});
    return r;
  }
  bool proof_ok = MacEquals(NtlmProof(dir_.KeyOf(*user), msg.challenge()), msg.proof());
  if (!proof_ok) {
    r.decision.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_WRONG_PASSWORD",
                    {{msg.user(), ".ntlm_response_valid", false}});
    return r;
  }
  Exchange x(dir_, profile_, *domain, 0);
  std::vector<Fact> facts;
  if (ProtectedUsersApply(x, *user, &facts)) {
    // PU-2: Protected Users cannot log on with NTLM.
    r.decision.Deny(RuleId::kPU2, "STATUS_ACCOUNT_RESTRICTION", {}, std::move(facts));
    return r;
  }
  r.decision.Read(RuleId::kPU2, std::move(facts));
  r.decision.Allow(RuleId::kDS12);
  r.user = *user;
  return r;
}

std::string PreauthProof(std::string_view key, Time timestamp) {
  return Hmac(key, "preauth:" + std::to_string(timestamp));
}

std::string NtlmProof(std::string_view key, std::string_view challenge) {
  return Hmac(key, std::string("ntlm:") + std::string(challenge));
}

namespace {
// `r` is empty.
void FillRecord(const Decision& d, v1::DecisionRecord& r) {
  r.set_verdict(std::string(VerdictName(d.verdict())));
  if (d.rule() != RuleId::kCount) r.set_rule(std::string(RuleCode(d.rule())));
  // Empty strings are left unset: setting one would allocate for nothing.
  if (!d.error().empty()) r.set_error(d.error());
  if (!d.status().empty()) r.set_status(d.status());
  for (const Check& c : d.checks()) {
    v1::CheckRecord* cr = r.add_checks();
    cr->set_rule(std::string(RuleCode(c.rule)));
    cr->set_effect(static_cast<v1::CheckEffect>(c.effect));
    if (!c.what.empty()) cr->set_what(c.what);
    if (c.facts.empty()) continue;
    std::string* facts = cr->mutable_facts();
    for (const Fact& f : c.facts) {
      if (!facts->empty()) *facts += '\n';
      f.AppendTo(facts);
    }
  }
  for (const Cause& c : d.causes()) {
    r.add_causes(std::string(RuleCode(c.rule)) + ": " + c.fact.ToString());
  }
}
}  // namespace

v1::DecisionRecord ToRecord(const Decision& d) {
  v1::DecisionRecord r;
  FillRecord(d, r);
  return r;
}

std::string EncodeRecord(const Decision& d) {
  // Built in a stack-backed arena: the record exists only to be serialized.
  alignas(8) char block[4096];
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = sizeof block;
  google::protobuf::Arena arena(options);
  auto* r = google::protobuf::Arena::CreateMessage<v1::DecisionRecord>(&arena);
  FillRecord(d, *r);
  return r->SerializeAsString();
}

v1::DecisionRecord DecodeRecord(const std::string& bytes) {
  v1::DecisionRecord r;
  if (!r.ParseFromString(bytes)) r.Clear();
  return r;
}

std::vector<std::string> RecordFacts(const v1::CheckRecord& c) {
  std::vector<std::string> out;
  std::string_view rest = c.facts();
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    out.emplace_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return out;
}

Decision FromRecord(const v1::DecisionRecord& r) {
  auto split = [](const std::string& s) {
    size_t eq = s.find('=');
    return Fact(s.substr(0, eq), eq == std::string::npos ? "" : s.substr(eq + 1));
  };
  Decision d;
  std::optional<RuleId> decider = ParseRuleId(r.rule());
  for (const v1::CheckRecord& c : r.checks()) {
    std::optional<RuleId> rule = ParseRuleId(c.rule());
    if (!rule) continue;
    std::vector<Fact> facts;
    for (const std::string& f : RecordFacts(c)) facts.push_back(split(f));
    switch (c.effect()) {
      case v1::CHECK_EFFECT_SET:
        d.Set(*rule, c.what(), std::move(facts));
        break;
      case v1::CHECK_EFFECT_CLEAR:
        d.Clear(*rule, c.what(), std::move(facts));
        break;
      case v1::CHECK_EFFECT_DENY:
        d.Deny(*rule, r.error(), r.status(), std::move(facts));
        break;
      default:
        d.Read(*rule, std::move(facts));
        break;
    }
  }
  if (decider) {
    if (r.verdict() == "denied") {
      d.Deny(*decider, r.error(), r.status());
    } else {
      d.Allow(*decider);
    }
  }
  for (const std::string& c : r.causes()) {
    size_t colon = c.find(": ");
    std::optional<RuleId> rule = ParseRuleId(c.substr(0, colon));
    if (rule && colon != std::string::npos) d.Because(*rule, split(c.substr(colon + 2)));
  }
  return d;
}

}  // namespace delegsim::kdc
