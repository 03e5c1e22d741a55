// Test world for the mock KDC: a directory of domains, trusts and accounts that covers
// every KDC rule, plus helpers that run AS / TGS exchanges and describe their results.
//
// The accounts (see kdc_fixture.cc for the full list):
//   CORP.EXAMPLE (level 7, forest corp.example)
//     alice  plain user            bob    NOT_DELEGATED (AC-1)
//     carol  Tier0 Admins -> Protected Users (nested, PU-1)     dave   plain user
//     svc_web  http/web  plain           svc_db   cifs/db  RBCD: Web Frontends; A2D2 cifs/file
//     svc_td   http/td   TD (UD-1)       svc_nd   http/nd  ND, A2D2 cifs/db (C13)
//     svc_pt   http/pt   T2A4D, A2D2 cifs/db + http/rbcd     svc_file cifs/file
//     svc_kcd  http/kcd  A2D2 CIFS/DB...@CORP.EXAMPLE + http/app.emea (no T2A4D)
//     svc_app  http/app  nothing (member of Web Frontends)   svc_rbcd http/rbcd RBCD: kcd, pt
//     svc_pu   service in Protected Users (PU-3)             ws01     computer in PU
//   EMEA.CORP.EXAMPLE (same forest): svc_emea http/app.emea (RBCD: svc_kcd), svc_emea_td
//   FABRIKAM.EXAMPLE  forest trust:                 svc_fab (RBCD: svc_app), svc_fab_td
//   TAILSPIN.EXAMPLE  forest trust + ENABLE_TGT_DELEGATION: svc_tail (TD)
//   LEGACY.EXAMPLE    external, quarantined (+ ENABLE_TGT_DELEGATION): svc_legacy
//   CONTOSO.EXAMPLE   forest trust, selective authentication: svc_con (alice allowed)
//   ISOLATED.EXAMPLE  no trust: svc_iso
//   OLD.EXAMPLE       level 5 (2012), own Protected Users: olga, svc_old
//
//   KdcWorld w;                          // or KdcWorld w([](KdcWorld& w) { ...tweak... });
//   Kdc kdc(w.dir, Profile::Windows());
//   KdcResult tgt = Login(kdc, w.corp, "alice");
//   KdcResult st = GetTicket(kdc, w.corp, tgt.sealed, "http/web.corp.example");
//   EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
#ifndef DELEGSIM_TESTS_KDC_KDC_FIXTURE_H_
#define DELEGSIM_TESTS_KDC_KDC_FIXTURE_H_

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/decision.h"
#include "common/rules.h"
#include "kdc/directory.h"
#include "kdc/kdc.h"
#include "kdc/profile.h"
#include "kdc/ticket.h"
#include "proto/kerberos.pb.h"

namespace delegsim::kdc::testing {

// Simulated "now" of every exchange unless a test says otherwise.
inline constexpr Time kNow = 100 * kHour;

// The standard directory. Non-copyable: a Kdc borrows `dir`.
class KdcWorld {
 public:
  using Tweak = std::function<void(KdcWorld&)>;

  // Builds the accounts, runs `tweak` (to change them) and finalizes the directory; a
  // failed Finalize is reported as a test failure.
  explicit KdcWorld(const Tweak& tweak = nullptr);
  KdcWorld(const KdcWorld&) = delete;
  KdcWorld& operator=(const KdcWorld&) = delete;

  // Valid only inside a tweak (before Finalize).
  Principal& Account(PrincipalId id) { return dir.Mutable(id); }

  Directory dir;
  DomainId corp, emea, fabrikam, tailspin, legacy, contoso, isolated, old;
  PrincipalId protected_users, tier0, frontends;
  PrincipalId alice, bob, carol, dave;
  PrincipalId svc_web, svc_db, svc_td, svc_nd, svc_pt, svc_kcd, svc_app, svc_file, svc_rbcd, svc_pu,
      ws01;
  PrincipalId svc_emea, svc_emea_td, svc_fab, svc_fab_td, svc_tail, svc_legacy, svc_con, svc_iso;
  PrincipalId old_protected_users, olga, svc_old;

  // trustAttributes of the explicit trusts (each: the domain trusts CORP, two-way). A
  // tweak may change them; the trusts are added after it runs.
  uint32_t fabrikam_trust = trust_attr::kForestTransitive;
  uint32_t tailspin_trust =
      trust_attr::kForestTransitive | trust_attr::kCrossOrganizationEnableTgtDelegation;
  uint32_t legacy_trust =
      trust_attr::kQuarantinedDomain | trust_attr::kCrossOrganizationEnableTgtDelegation;
  uint32_t contoso_trust = trust_attr::kForestTransitive | trust_attr::kCrossOrganization;
};

// A world and a KDC over it with one profile.
struct KdcEnv {
  explicit KdcEnv(Profile profile = Profile::Windows(), const KdcWorld::Tweak& tweak = nullptr)
      : w(tweak), kdc(w.dir, std::move(profile)) {}
  KdcWorld w;
  Kdc kdc;
};

// SPNs of the world, for readability.
inline constexpr char kWeb[] = "http/web.corp.example";
inline constexpr char kDb[] = "cifs/db.corp.example";
inline constexpr char kTd[] = "http/td.corp.example";
inline constexpr char kNd[] = "http/nd.corp.example";
inline constexpr char kPt[] = "http/pt.corp.example";
inline constexpr char kKcd[] = "http/kcd.corp.example";
inline constexpr char kApp[] = "http/app.corp.example";
inline constexpr char kFile[] = "cifs/file.corp.example";
inline constexpr char kRbcd[] = "http/rbcd.corp.example";
inline constexpr char kEmea[] = "http/app.emea.corp.example";
inline constexpr char kEmeaTd[] = "http/td.emea.corp.example";
inline constexpr char kFab[] = "http/app.fabrikam.example";
inline constexpr char kFabTd[] = "http/td.fabrikam.example";
inline constexpr char kTail[] = "http/app.tailspin.example";
inline constexpr char kLegacy[] = "http/app.legacy.example";
inline constexpr char kCon[] = "http/app.contoso.example";
inline constexpr char kIso[] = "http/app.isolated.example";

struct LoginOptions {
  bool forwardable = true;
  bool proxiable = false;
  bool renewable = false;
  v1::Etype etype = v1::ETYPE_AES256;
  Time at = kNow;
};

struct TgsOptions {
  bool forwardable = true;
  bool forwarded = false;
  bool proxiable = false;
  bool renewable = false;
  Time at = kNow;
};

// AS exchange for `user` at the KDC of `realm`, with a valid pre-authentication.
KdcResult Login(const Kdc& kdc, DomainId realm, std::string_view user, LoginOptions opts = {});
// A TGS-REQ for `sname` with `tgt` as header ticket (no S4U).
v1::TgsReq TgsRequest(const v1::SealedTicket& tgt, std::string_view sname, TgsOptions opts = {});
// Ordinary TGS exchange: a service ticket, a referral or (sname = own krbtgt) a TGT.
KdcResult GetTicket(const Kdc& kdc, DomainId realm, const v1::SealedTicket& tgt,
                    std::string_view sname, TgsOptions opts = {});
// Login of `user` (forwardable TGT) then a ticket to `sname` in the same realm; returns
// the AS result instead if the login was refused.
KdcResult UserTicket(const Kdc& kdc, DomainId realm, std::string_view user, std::string_view sname,
                     TgsOptions opts = {});
// FORWARDED TGT (UD-3): sname = "krbtgt/<realm>" with options.forwarded.
KdcResult ForwardTgt(const Kdc& kdc, DomainId realm, const v1::SealedTicket& tgt, Time at = kNow);
// S4U2self: `service_tgt` asks for a ticket to `service_spn` for `user`.
KdcResult S4U2Self(const Kdc& kdc, DomainId realm, const v1::SealedTicket& service_tgt,
                   std::string_view service_spn, std::string_view user, bool forwardable = true);
// S4U2proxy: cname-in-addl-tkt with `evidence`, to `target_spn`, optional RBCD bit.
v1::TgsReq S4U2ProxyRequest(const v1::SealedTicket& service_tgt, const v1::SealedTicket& evidence,
                            std::string_view target_spn, bool rbcd = false);
KdcResult S4U2Proxy(const Kdc& kdc, DomainId realm, const v1::SealedTicket& service_tgt,
                    const v1::SealedTicket& evidence, std::string_view target_spn,
                    bool rbcd = false, Time at = kNow);

// Assertions that print the decision's explanation on failure.
::testing::AssertionResult IsAllowed(const KdcResult& r, RuleId by);
::testing::AssertionResult IsDenied(const KdcResult& r, RuleId rule, std::string_view error);
// The issued ticket has `flag` ("forwardable", "forwarded", "proxiable", "ok_as_delegate")
// set / clear, and the decision's last check that set or cleared it names `rule`.
::testing::AssertionResult FlagSetBy(const KdcResult& r, std::string_view flag, RuleId rule);
::testing::AssertionResult FlagClearedBy(const KdcResult& r, std::string_view flag, RuleId rule);

// "KCD-2", or "-" for none.
std::string Code(std::optional<RuleId> rule);
// Every fact of the decision as "name=value".
std::vector<std::string> FactStrings(const Decision& d);
// Codes of RulesConsulted() / causes().
std::vector<std::string> ConsultedCodes(const Decision& d);
std::vector<std::string> CauseCodes(const Decision& d);
uint32_t FlagBit(std::string_view flag);

// One line describing an outcome, used by the profile matrix:
//   "allowed by RB-1; forwardable=clear by KCD-6"
//   "denied by RB-2 (KDC_ERR_BADOPTION) because S4U-2"
// A flag that no check set or cleared is attributed to the ticket's recorded flag cause.
std::string Describe(const KdcResult& r, std::string_view flag);

}  // namespace delegsim::kdc::testing

#endif  // DELEGSIM_TESTS_KDC_KDC_FIXTURE_H_
