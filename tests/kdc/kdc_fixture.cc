#include "tests/kdc/kdc_fixture.h"

#include <algorithm>

#include "kdc/uac.h"

namespace delegsim::kdc::testing {
namespace {

PrincipalId Service(Directory& dir, std::string name, DomainId domain, std::string spn,
                    uint32_t extra_uac = 0) {
  PrincipalId id = dir.AddPrincipal(PrincipalKind::kService, std::move(name), domain);
  dir.Mutable(id).spns = {std::move(spn)};
  dir.Mutable(id).uac |= extra_uac;
  return id;
}

PrincipalId User(Directory& dir, std::string name, DomainId domain, uint32_t extra_uac = 0) {
  PrincipalId id = dir.AddPrincipal(PrincipalKind::kUser, std::move(name), domain);
  dir.Mutable(id).uac |= extra_uac;
  return id;
}

}  // namespace

KdcWorld::KdcWorld(const Tweak& tweak) {
  corp = dir.AddDomain("CORP.EXAMPLE", "corp.example", kLevel2016);
  emea = dir.AddDomain("EMEA.CORP.EXAMPLE", "corp.example", kLevel2016);
  fabrikam = dir.AddDomain("FABRIKAM.EXAMPLE", "fabrikam.example", kLevel2016);
  tailspin = dir.AddDomain("TAILSPIN.EXAMPLE", "tailspin.example", kLevel2016);
  legacy = dir.AddDomain("LEGACY.EXAMPLE", "legacy.example", kLevel2016);
  contoso = dir.AddDomain("CONTOSO.EXAMPLE", "contoso.example", kLevel2016);
  isolated = dir.AddDomain("ISOLATED.EXAMPLE", "isolated.example", kLevel2016);
  old = dir.AddDomain("OLD.EXAMPLE", "old.example", kLevel2012R2 - 1);

  // CORP.EXAMPLE
  protected_users = dir.AddPrincipal(PrincipalKind::kGroup, "Protected Users", corp);
  tier0 = dir.AddPrincipal(PrincipalKind::kGroup, "Tier0 Admins", corp);
  frontends = dir.AddPrincipal(PrincipalKind::kGroup, "Web Frontends", corp);
  dir.AddMember(protected_users, tier0);

  alice = User(dir, "alice", corp);
  bob = User(dir, "bob", corp, uf::kNotDelegated);
  carol = User(dir, "carol", corp);
  dir.AddMember(tier0, carol);
  dave = User(dir, "dave", corp);

  svc_web = Service(dir, "svc_web", corp, kWeb);
  svc_db = Service(dir, "svc_db", corp, kDb);
  svc_td = Service(dir, "svc_td", corp, kTd, uf::kTrustedForDelegation);
  svc_nd = Service(dir, "svc_nd", corp, kNd, uf::kNotDelegated);
  svc_pt = Service(dir, "svc_pt", corp, kPt, uf::kTrustedToAuthForDelegation);
  svc_kcd = Service(dir, "svc_kcd", corp, kKcd);
  svc_app = Service(dir, "svc_app", corp, kApp);
  svc_file = Service(dir, "svc_file", corp, kFile);
  svc_rbcd = Service(dir, "svc_rbcd", corp, kRbcd);
  svc_pu = Service(dir, "svc_pu", corp, "http/pu.corp.example");
  dir.AddMember(protected_users, svc_pu);
  ws01 = dir.AddPrincipal(PrincipalKind::kComputer, "ws01$", corp);
  dir.AddMember(protected_users, ws01);
  dir.AddMember(frontends, svc_app);

  dir.Mutable(svc_db).allowed_to_act = {frontends};
  dir.Mutable(svc_db).allowed_to_delegate_to = {kFile};
  dir.Mutable(svc_nd).allowed_to_delegate_to = {kDb};
  dir.Mutable(svc_pt).allowed_to_delegate_to = {kDb, kRbcd};
  // AC-4: A2D2 entries compare case-insensitively and without the realm.
  dir.Mutable(svc_kcd).allowed_to_delegate_to = {"CIFS/DB.CORP.EXAMPLE@CORP.EXAMPLE", kEmea};
  dir.Mutable(svc_rbcd).allowed_to_act = {svc_kcd, svc_pt};

  // Other domains.
  svc_emea = Service(dir, "svc_emea", emea, kEmea);
  dir.Mutable(svc_emea).allowed_to_act = {svc_kcd};
  svc_emea_td = Service(dir, "svc_emea_td", emea, kEmeaTd, uf::kTrustedForDelegation);
  svc_fab = Service(dir, "svc_fab", fabrikam, kFab);
  dir.Mutable(svc_fab).allowed_to_act = {svc_app};
  svc_fab_td = Service(dir, "svc_fab_td", fabrikam, kFabTd, uf::kTrustedForDelegation);
  svc_tail = Service(dir, "svc_tail", tailspin, kTail, uf::kTrustedForDelegation);
  svc_legacy = Service(dir, "svc_legacy", legacy, kLegacy);
  svc_con = Service(dir, "svc_con", contoso, kCon);
  dir.Mutable(svc_con).allowed_to_authenticate = {alice};
  svc_iso = Service(dir, "svc_iso", isolated, kIso);

  old_protected_users = dir.AddPrincipal(PrincipalKind::kGroup, "Protected Users", old);
  olga = User(dir, "olga", old);
  dir.AddMember(old_protected_users, olga);
  svc_old = Service(dir, "svc_old", old, "http/app.old.example");
  dir.AddMember(old_protected_users, svc_old);

  if (tweak) tweak(*this);
  dir.AddTrust({fabrikam, corp, true, fabrikam_trust});
  dir.AddTrust({tailspin, corp, true, tailspin_trust});
  dir.AddTrust({legacy, corp, true, legacy_trust});
  dir.AddTrust({contoso, corp, true, contoso_trust});
  Status s = dir.Finalize("kdc-test-seed");
  if (!s.ok()) ADD_FAILURE() << "Directory::Finalize: " << s.ToString();
}

KdcResult Login(const Kdc& kdc, DomainId realm, std::string_view user, LoginOptions opts) {
  const Directory& dir = kdc.directory();
  v1::AsReq req;
  req.set_client(std::string(user));
  req.mutable_options()->set_forwardable(opts.forwardable);
  req.mutable_options()->set_proxiable(opts.proxiable);
  req.mutable_options()->set_renewable(opts.renewable);
  req.set_preauth_etype(opts.etype);
  req.set_timestamp_ms(opts.at);
  std::optional<PrincipalId> id = dir.FindIn(realm, user);
  req.set_preauth(PreauthProof(id ? dir.KeyOf(*id) : "no such key", opts.at));
  return kdc.As(realm, req, opts.at);
}

v1::TgsReq TgsRequest(const v1::SealedTicket& tgt, std::string_view sname, TgsOptions opts) {
  v1::TgsReq req;
  *req.mutable_tgt() = tgt;
  req.set_sname(std::string(sname));
  req.mutable_options()->set_forwardable(opts.forwardable);
  req.mutable_options()->set_forwarded(opts.forwarded);
  req.mutable_options()->set_proxiable(opts.proxiable);
  req.mutable_options()->set_renewable(opts.renewable);
  return req;
}

KdcResult GetTicket(const Kdc& kdc, DomainId realm, const v1::SealedTicket& tgt,
                    std::string_view sname, TgsOptions opts) {
  return kdc.Tgs(realm, TgsRequest(tgt, sname, opts), opts.at);
}

KdcResult UserTicket(const Kdc& kdc, DomainId realm, std::string_view user, std::string_view sname,
                     TgsOptions opts) {
  KdcResult tgt = Login(kdc, realm, user);
  if (!tgt.decision.allowed()) return tgt;
  return GetTicket(kdc, realm, tgt.sealed, sname, opts);
}

KdcResult ForwardTgt(const Kdc& kdc, DomainId realm, const v1::SealedTicket& tgt, Time at) {
  TgsOptions opts;
  opts.forwarded = true;
  opts.at = at;
  return GetTicket(kdc, realm, tgt, "krbtgt/" + kdc.directory().GetDomain(realm).realm, opts);
}

KdcResult S4U2Self(const Kdc& kdc, DomainId realm, const v1::SealedTicket& service_tgt,
                   std::string_view service_spn, std::string_view user, bool forwardable) {
  TgsOptions opts;
  opts.forwardable = forwardable;
  v1::TgsReq req = TgsRequest(service_tgt, service_spn, opts);
  req.set_for_user(std::string(user));
  return kdc.Tgs(realm, req, kNow);
}

v1::TgsReq S4U2ProxyRequest(const v1::SealedTicket& service_tgt, const v1::SealedTicket& evidence,
                            std::string_view target_spn, bool rbcd) {
  v1::TgsReq req = TgsRequest(service_tgt, target_spn);
  req.mutable_options()->set_cname_in_addl_tkt(true);
  *req.mutable_evidence() = evidence;
  req.set_rbcd(rbcd);
  return req;
}

KdcResult S4U2Proxy(const Kdc& kdc, DomainId realm, const v1::SealedTicket& service_tgt,
                    const v1::SealedTicket& evidence, std::string_view target_spn, bool rbcd,
                    Time at) {
  return kdc.Tgs(realm, S4U2ProxyRequest(service_tgt, evidence, target_spn, rbcd), at);
}

std::string Code(std::optional<RuleId> rule) {
  if (!rule || *rule == RuleId::kCount) return "-";
  return std::string(RuleCode(*rule));
}

::testing::AssertionResult IsAllowed(const KdcResult& r, RuleId by) {
  const Decision& d = r.decision;
  if (d.allowed() && d.rule() == by && d.error().empty()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected allowed by " << RuleCode(by) << ", got: " << d.Explain();
}

::testing::AssertionResult IsDenied(const KdcResult& r, RuleId rule, std::string_view error) {
  const Decision& d = r.decision;
  if (!d.allowed() && d.rule() == rule && d.error() == error) {
    if (!r.sealed.body().empty() || r.ticket.client() != 0) {
      return ::testing::AssertionFailure() << "denied but a ticket was issued: " << d.Explain();
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected denied by " << RuleCode(rule) << " (" << error << "), got: " << d.Explain();
}

uint32_t FlagBit(std::string_view flag) {
  if (flag == "forwardable") return v1::TICKET_FLAG_FORWARDABLE;
  if (flag == "forwarded") return v1::TICKET_FLAG_FORWARDED;
  if (flag == "proxiable") return v1::TICKET_FLAG_PROXIABLE;
  if (flag == "renewable") return v1::TICKET_FLAG_RENEWABLE;
  if (flag == "ok_as_delegate") return v1::TICKET_FLAG_OK_AS_DELEGATE;
  ADD_FAILURE() << "unknown flag " << flag;
  return 0;
}

namespace {

::testing::AssertionResult FlagBy(const KdcResult& r, std::string_view flag, RuleId rule,
                                  bool want_set) {
  const Decision& d = r.decision;
  if (!d.allowed()) {
    return ::testing::AssertionFailure() << "expected a ticket, got: " << d.Explain();
  }
  bool is_set = r.ticket.flags() & FlagBit(flag);
  std::optional<RuleId> by = d.RuleFor(flag);
  if (is_set == want_set && by == rule) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << flag << (want_set ? " set" : " clear") << " by " << RuleCode(rule)
         << ", got " << (is_set ? "set" : "clear") << " by " << Code(by) << " (flags "
         << FlagNames(r.ticket.flags()) << "); " << d.Explain();
}

void AppendUnique(std::vector<std::string>& out, std::string s) {
  if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
}

}  // namespace

::testing::AssertionResult FlagSetBy(const KdcResult& r, std::string_view flag, RuleId rule) {
  return FlagBy(r, flag, rule, true);
}

::testing::AssertionResult FlagClearedBy(const KdcResult& r, std::string_view flag, RuleId rule) {
  return FlagBy(r, flag, rule, false);
}

std::vector<std::string> FactStrings(const Decision& d) {
  std::vector<std::string> out;
  for (const Fact& f : d.Facts()) out.push_back(f.ToString());
  return out;
}

std::vector<std::string> ConsultedCodes(const Decision& d) {
  std::vector<std::string> out;
  for (RuleId r : d.RulesConsulted()) out.emplace_back(RuleCode(r));
  return out;
}

std::vector<std::string> CauseCodes(const Decision& d) {
  std::vector<std::string> out;
  for (const Cause& c : d.causes()) AppendUnique(out, std::string(RuleCode(c.rule)));
  return out;
}

std::string Describe(const KdcResult& r, std::string_view flag) {
  const Decision& d = r.decision;
  std::string out = std::string(VerdictName(d.verdict())) + " by " + Code(d.rule());
  if (!d.allowed()) {
    out += " (" + d.error() + ")";
    std::vector<std::string> causes = CauseCodes(d);
    for (size_t i = 0; i < causes.size(); ++i) out += (i == 0 ? " because " : ", ") + causes[i];
    return out;
  }
  bool is_set = r.ticket.flags() & FlagBit(flag);
  std::string by = Code(d.RuleFor(flag));
  if (by == "-") {
    std::vector<Cause> causes = FlagCauses(r.ticket, flag);
    if (!causes.empty()) by = std::string(RuleCode(causes.front().rule));
  }
  out += "; " + std::string(flag) + (is_set ? "=set by " : "=clear by ") + by;
  return out;
}

}  // namespace delegsim::kdc::testing
