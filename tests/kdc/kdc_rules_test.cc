// One test (at least) per KDC rule id where that rule decides a denial or a flag, with the
// exact rule id and protocol error, and beside it the same request passing. Rule ids are
// RULES.md's; DS-* are the project's (common/rules.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "kdc/uac.h"
#include "tests/kdc/kdc_fixture.h"

namespace delegsim::kdc::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

constexpr char kBadOption[] = "KDC_ERR_BADOPTION";

bool HasTicketFlag(const KdcResult& r, v1::TicketFlag f) { return HasFlag(r.ticket, f); }

// ---------------------------------------------------------------------------------------
// UD-*: unconstrained delegation.

TEST(KdcRules, UD1_TrustedForDelegationServerGetsOkAsDelegate) {
  KdcEnv e;
  KdcResult st = UserTicket(e.kdc, e.w.corp, "alice", kTd);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagSetBy(st, "ok_as_delegate", RuleId::kUD1));
  EXPECT_THAT(FactStrings(st.decision), Contains("svc_td.trusted_for_delegation=true"));
}

TEST(KdcRules, UD1_ServerNotTrustedForDelegationGetsNoOkAsDelegate) {
  KdcEnv e;
  KdcResult st = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  ASSERT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_FALSE(HasTicketFlag(st, v1::TICKET_FLAG_OK_AS_DELEGATE));
  EXPECT_THAT(ConsultedCodes(st.decision), Contains("UD-1"));
  std::vector<Cause> why = FlagCauses(st.ticket, "ok_as_delegate");
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0].rule, RuleId::kUD1);
  EXPECT_EQ(why[0].fact.ToString(), "svc_web.trusted_for_delegation=false");
}

TEST(KdcRules, UD3_ForwardedRequestYieldsForwardedTgt) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  KdcResult fwd = ForwardTgt(e.kdc, e.w.corp, tgt.sealed);
  EXPECT_TRUE(IsAllowed(fwd, RuleId::kUD3));
  EXPECT_TRUE(FlagSetBy(fwd, "forwarded", RuleId::kUD3));
  EXPECT_TRUE(FlagSetBy(fwd, "forwardable", RuleId::kUD5));
  EXPECT_EQ(fwd.ticket.sname(), "krbtgt/CORP.EXAMPLE");
  EXPECT_EQ(fwd.ticket.client(), e.w.alice);
  // The forwarded TGT works as a header ticket.
  EXPECT_TRUE(IsAllowed(GetTicket(e.kdc, e.w.corp, fwd.sealed, kWeb), RuleId::kDS9));
}

TEST(KdcRules, UD3_WithoutForwardedOptionTheTgtIsNotForwarded) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult again = GetTicket(e.kdc, e.w.corp, tgt.sealed, "krbtgt/CORP.EXAMPLE");
  EXPECT_TRUE(IsAllowed(again, RuleId::kDS9));
  EXPECT_FALSE(HasTicketFlag(again, v1::TICKET_FLAG_FORWARDED));
  EXPECT_EQ(again.decision.RuleFor("forwarded"), std::nullopt);
}

TEST(KdcRules, UD4_ForwardedRequestOnNonForwardableTgtIsBadOption) {
  KdcEnv e;
  // bob is sensitive (ND): his TGT is not forwardable (AC-1), so UD-4 refuses.
  KdcResult tgt = Login(e.kdc, e.w.corp, "bob");
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  KdcResult fwd = ForwardTgt(e.kdc, e.w.corp, tgt.sealed);
  EXPECT_TRUE(IsDenied(fwd, RuleId::kUD4, kBadOption));
  EXPECT_THAT(FactStrings(fwd.decision), Contains("header.forwardable=false"));
  EXPECT_THAT(CauseCodes(fwd.decision), ElementsAre("AC-1"));

  // alice without FORWARDABLE at the AS step: same refusal, caused by DS-8.
  LoginOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult plain = Login(e.kdc, e.w.corp, "alice", no_fwd);
  KdcResult fwd2 = ForwardTgt(e.kdc, e.w.corp, plain.sealed);
  EXPECT_TRUE(IsDenied(fwd2, RuleId::kUD4, kBadOption));
  EXPECT_THAT(CauseCodes(fwd2.decision), ElementsAre("DS-8"));

  // The same request with alice's forwardable TGT passes.
  KdcResult ok = ForwardTgt(e.kdc, e.w.corp, Login(e.kdc, e.w.corp, "alice").sealed);
  EXPECT_TRUE(IsAllowed(ok, RuleId::kUD3));
}

TEST(KdcRules, UD5_NonForwardableTgtYieldsNonForwardableServiceTicket) {
  KdcEnv e;
  LoginOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice", no_fwd);
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  ASSERT_FALSE(HasTicketFlag(tgt, v1::TICKET_FLAG_FORWARDABLE));
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagClearedBy(st, "forwardable", RuleId::kUD5));
  EXPECT_THAT(FactStrings(st.decision), Contains("header.forwardable=false"));
  EXPECT_THAT(CauseCodes(st.decision), Contains("DS-8"));
}

TEST(KdcRules, UD5_ForwardableTgtYieldsForwardableServiceTicket) {
  KdcEnv e;
  KdcResult st = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagSetBy(st, "forwardable", RuleId::kUD5));
}

TEST(KdcRules, UD6_ForbiddenForwardableRequestIsIssuedWithoutTheFlag) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "bob");  // asks FORWARDABLE; bob is ND
  EXPECT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  EXPECT_EQ(tgt.decision.RuleFor("forwardable_request"), RuleId::kUD6);
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_EQ(st.decision.RuleFor("forwardable_request"), RuleId::kUD6);
  EXPECT_FALSE(HasTicketFlag(st, v1::TICKET_FLAG_FORWARDABLE));

  // alice's same request is not trimmed.
  KdcResult ok = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  EXPECT_EQ(ok.decision.RuleFor("forwardable_request"), std::nullopt);
  EXPECT_TRUE(HasTicketFlag(ok, v1::TICKET_FLAG_FORWARDABLE));
}

TEST(KdcRules, UD6_HeimdalRefusesForwardableRequestWithNonForwardableTgt) {
  KdcEnv e(Profile::Heimdal());
  KdcResult tgt = Login(e.kdc, e.w.corp, "bob");
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb);
  EXPECT_TRUE(IsDenied(st, RuleId::kUD6, kBadOption));
  EXPECT_THAT(CauseCodes(st.decision), ElementsAre("UD-5", "AC-1"));
  // Not asking for FORWARDABLE passes.
  TgsOptions no_fwd;
  no_fwd.forwardable = false;
  EXPECT_TRUE(IsAllowed(GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, no_fwd), RuleId::kDS9));
}

TEST(KdcRules, UD6_HeimdalReferralForSensitiveUserIsNotAnExplicitForwardableRequest) {
  // A referral is requested without FORWARDABLE; Heimdal refuses only an explicit request
  // (C12), so a sensitive user still reaches other realms.
  KdcEnv e(Profile::Heimdal());
  KdcResult tgt = Login(e.kdc, e.w.corp, "bob");
  TgsOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult ref = GetTicket(e.kdc, e.w.corp, tgt.sealed, kEmea, no_fwd);
  EXPECT_TRUE(IsAllowed(ref, RuleId::kDS10));
  EXPECT_TRUE(FlagClearedBy(ref, "forwardable", RuleId::kUD5));
  KdcResult st = GetTicket(e.kdc, e.w.emea, ref.sealed, kEmea, no_fwd);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  // An explicit FORWARDABLE request on the referral is refused.
  EXPECT_TRUE(IsDenied(GetTicket(e.kdc, e.w.corp, tgt.sealed, kEmea), RuleId::kUD6, kBadOption));
}

// ---------------------------------------------------------------------------------------
// AC-*: account flags.

TEST(KdcRules, AC1_SensitiveUserGetsNoForwardableOrProxiableTgt) {
  KdcEnv e;
  LoginOptions both;
  both.proxiable = true;
  KdcResult bob = Login(e.kdc, e.w.corp, "bob", both);
  EXPECT_TRUE(IsAllowed(bob, RuleId::kDS8));
  EXPECT_TRUE(FlagClearedBy(bob, "forwardable", RuleId::kAC1));
  EXPECT_TRUE(FlagClearedBy(bob, "proxiable", RuleId::kAC1));
  EXPECT_THAT(FactStrings(bob.decision), Contains("bob.not_delegated=true"));

  KdcResult alice = Login(e.kdc, e.w.corp, "alice", both);
  EXPECT_TRUE(FlagSetBy(alice, "forwardable", RuleId::kDS8));
  EXPECT_TRUE(FlagSetBy(alice, "proxiable", RuleId::kDS8));
}

TEST(KdcRules, AC1_SensitiveUserTicketIsNoKcdEvidence) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult bob_st = UserTicket(e.kdc, e.w.corp, "bob", kKcd);
  ASSERT_TRUE(IsAllowed(bob_st, RuleId::kDS9));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, bob_st.sealed, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD2, kBadOption));
  EXPECT_THAT(CauseCodes(proxy.decision), ElementsAre("AC-1"));
  EXPECT_TRUE(proxy.decision.Names(RuleId::kAC1));
}

TEST(KdcRules, AC1_S4U2SelfForSensitiveUserIsNotForwardable) {
  KdcEnv e;
  KdcResult pt_tgt = Login(e.kdc, e.w.corp, "svc_pt");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, pt_tgt.sealed, kPt, "bob");
  EXPECT_TRUE(IsAllowed(self, RuleId::kS4U1));
  EXPECT_TRUE(FlagClearedBy(self, "forwardable", RuleId::kAC1));
  EXPECT_TRUE(FlagSetBy(S4U2Self(e.kdc, e.w.corp, pt_tgt.sealed, kPt, "alice"), "forwardable",
                        RuleId::kAC3));
}

TEST(KdcRules, AC2_LegacyRbcdReadsNotDelegatedFromThePac) {
  Profile legacy = Profile::Windows();
  legacy.legacy_rbcd_nonforwardable_ok = true;
  KdcEnv e(legacy);
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult bob_self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "bob");
  ASSERT_TRUE(IsAllowed(bob_self, RuleId::kS4U1));
  ASSERT_NE(bob_self.ticket.pac().user_account_control() & samr::kUserNotDelegated, 0u);
  KdcResult denied = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, bob_self.sealed, kRbcd, true);
  EXPECT_TRUE(IsDenied(denied, RuleId::kRB2, kBadOption));
  EXPECT_THAT(ConsultedCodes(denied.decision), Contains("AC-2"));
  EXPECT_THAT(FactStrings(denied.decision), Contains("evidence.pac.user_not_delegated=true"));

  KdcResult alice_self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "alice");
  KdcResult ok = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_self.sealed, kRbcd, true);
  EXPECT_TRUE(IsAllowed(ok, RuleId::kRB1));
  EXPECT_THAT(FactStrings(ok.decision), Contains("evidence.pac.user_not_delegated=false"));
}

TEST(KdcRules, AC3_T2A4DMakesS4U2SelfForwardable) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "svc_pt");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, tgt.sealed, kPt, "alice");
  EXPECT_TRUE(IsAllowed(self, RuleId::kS4U1));
  EXPECT_TRUE(FlagSetBy(self, "forwardable", RuleId::kAC3));
  EXPECT_THAT(FactStrings(self.decision), Contains("svc_pt.trusted_to_auth_for_delegation=true"));

  // The same service without T2A4D (its A2D2 is not empty): not forwardable, by S4U-2.
  KdcEnv no_t2a4d(Profile::Windows(),
                  [](KdcWorld& w) { w.Account(w.svc_pt).uac &= ~uf::kTrustedToAuthForDelegation; });
  KdcResult tgt2 = Login(no_t2a4d.kdc, no_t2a4d.w.corp, "svc_pt");
  KdcResult self2 = S4U2Self(no_t2a4d.kdc, no_t2a4d.w.corp, tgt2.sealed, kPt, "alice");
  EXPECT_TRUE(FlagClearedBy(self2, "forwardable", RuleId::kS4U2));
}

TEST(KdcRules, AC4_A2D2MatchIgnoresCaseAndRealm) {
  KdcEnv e;
  // svc_kcd's A2D2 holds "CIFS/DB.CORP.EXAMPLE@CORP.EXAMPLE".
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kKCD1));
  EXPECT_THAT(ConsultedCodes(proxy.decision), Contains("AC-4"));
  EXPECT_THAT(FactStrings(proxy.decision),
              Contains("svc_kcd.allowed_to_delegate_to(cifs/db.corp.example)=true"));
}

TEST(KdcRules, AC4_SpnOutsideA2D2IsBadOption) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kWeb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD1, kBadOption));
  EXPECT_THAT(FactStrings(proxy.decision),
              Contains("svc_kcd.allowed_to_delegate_to(http/web.corp.example)=false"));
}

TEST(KdcRules, AC5_RbcdDescriptorMatchesThroughGroup) {
  KdcEnv e;
  // svc_db's msDS-AllowedToActOnBehalfOfOtherIdentity names the group Web Frontends.
  KdcResult app_tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kApp);
  KdcResult ok = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, alice_st.sealed, kDb, true);
  EXPECT_TRUE(IsAllowed(ok, RuleId::kRB1));
  EXPECT_THAT(ConsultedCodes(ok.decision), Contains("AC-5"));
  EXPECT_THAT(FactStrings(ok.decision),
              Contains("svc_db.allowed_to_act_on_behalf_of(svc_app)=true"));

  // Without the group membership the same request is refused.
  KdcEnv e2(Profile::Windows(), [](KdcWorld& w) { w.Account(w.svc_app).member_of.clear(); });
  KdcResult app_tgt2 = Login(e2.kdc, e2.w.corp, "svc_app");
  KdcResult alice_st2 = UserTicket(e2.kdc, e2.w.corp, "alice", kApp);
  KdcResult no = S4U2Proxy(e2.kdc, e2.w.corp, app_tgt2.sealed, alice_st2.sealed, kDb, true);
  EXPECT_TRUE(IsDenied(no, RuleId::kRB1, kBadOption));
  EXPECT_THAT(FactStrings(no.decision),
              Contains("svc_db.allowed_to_act_on_behalf_of(svc_app)=false"));
}

// ---------------------------------------------------------------------------------------
// PU-*: Protected Users.

TEST(KdcRules, PU1_NestedProtectedUserGetsNonForwardableTgt) {
  KdcEnv e;
  LoginOptions both;
  both.proxiable = true;
  KdcResult carol = Login(e.kdc, e.w.corp, "carol", both);
  EXPECT_TRUE(IsAllowed(carol, RuleId::kDS8));
  EXPECT_TRUE(FlagClearedBy(carol, "forwardable", RuleId::kPU1));
  EXPECT_TRUE(FlagClearedBy(carol, "proxiable", RuleId::kPU1));
  EXPECT_THAT(FactStrings(carol.decision), Contains("carol.protected_users_member=true"));
  EXPECT_THAT(FactStrings(carol.decision), Contains("CORP.EXAMPLE.functional_level=7"));

  // Not a member any more: the same request gets a forwardable TGT.
  KdcEnv e2(Profile::Windows(), [](KdcWorld& w) { w.Account(w.carol).member_of.clear(); });
  EXPECT_TRUE(FlagSetBy(Login(e2.kdc, e2.w.corp, "carol"), "forwardable", RuleId::kDS8));
}

TEST(KdcRules, PU1_BelowLevel2012R2ProtectedUsersDoesNotApply) {
  KdcEnv e;
  KdcResult olga = Login(e.kdc, e.w.old, "olga");  // OLD.EXAMPLE runs at level 5
  EXPECT_TRUE(IsAllowed(olga, RuleId::kDS8));
  EXPECT_TRUE(FlagSetBy(olga, "forwardable", RuleId::kDS8));
  EXPECT_EQ(olga.ticket.end_ms() - olga.ticket.start_ms(), kDefaultTicketLife);
}

TEST(KdcRules, PU1_ForwardableTgtPresentedLaterIsNotRechecked) {
  KdcEnv e;
  // A forwardable TGT issued before carol joined Protected Users (built here with the krbtgt
  // key, as the KDC would have issued it).
  v1::TicketBody body;
  body.set_client(e.w.carol);
  body.set_server(e.w.dir.GetDomain(e.w.corp).krbtgt);
  body.set_sname("krbtgt/CORP.EXAMPLE");
  body.set_realm("CORP.EXAMPLE");
  body.set_flags(v1::TICKET_FLAG_FORWARDABLE | v1::TICKET_FLAG_INITIAL);
  body.set_start_ms(kNow - kHour);
  body.set_end_ms(kNow + kHour);
  body.mutable_pac()->set_user(e.w.carol);
  v1::SealedTicket old_tgt = Seal(body, e.w.dir.KrbtgtKey(e.w.corp), e.w.dir.KrbtgtKey(e.w.corp));
  KdcResult st = GetTicket(e.kdc, e.w.corp, old_tgt, kWeb);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagSetBy(st, "forwardable", RuleId::kUD5));
}

TEST(KdcRules, PU1_ProtectedUserTicketIsNoKcdEvidence) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult carol_st = UserTicket(e.kdc, e.w.corp, "carol", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, carol_st.sealed, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD2, kBadOption));
  EXPECT_THAT(CauseCodes(proxy.decision), ElementsAre("PU-1"));

  // Protocol transition for carol is not forwardable either.
  KdcResult pt_tgt = Login(e.kdc, e.w.corp, "svc_pt");
  EXPECT_TRUE(FlagClearedBy(S4U2Self(e.kdc, e.w.corp, pt_tgt.sealed, kPt, "carol"), "forwardable",
                            RuleId::kPU1));
}

TEST(KdcRules, PU2_ProtectedUserWeakPreauthIsEtypeNotSupported) {
  KdcEnv e;
  for (v1::Etype weak : {v1::ETYPE_RC4, v1::ETYPE_DES}) {
    LoginOptions opts;
    opts.etype = weak;
    SCOPED_TRACE(v1::Etype_Name(weak));
    EXPECT_TRUE(
        IsDenied(Login(e.kdc, e.w.corp, "carol", opts), RuleId::kPU2, "KDC_ERR_ETYPE_NOTSUPP"));
    EXPECT_TRUE(IsAllowed(Login(e.kdc, e.w.corp, "alice", opts), RuleId::kDS8));
  }
  LoginOptions aes;
  aes.etype = v1::ETYPE_AES128;
  EXPECT_TRUE(IsAllowed(Login(e.kdc, e.w.corp, "carol", aes), RuleId::kDS8));
}

// At the end of simulated time a ticket's end saturates rather than wrapping to the past
// (int64 overflow would be undefined behaviour): it is still valid when issued.
TEST(KdcRules, DS8_TicketEndSaturatesAtTheEndOfTime) {
  KdcEnv e;
  LoginOptions late;
  late.at = std::numeric_limits<Time>::max() - kHour;
  KdcResult alice = Login(e.kdc, e.w.corp, "alice", late);
  ASSERT_TRUE(IsAllowed(alice, RuleId::kDS8));
  EXPECT_EQ(alice.ticket.start_ms(), late.at);
  EXPECT_EQ(alice.ticket.end_ms(), std::numeric_limits<Time>::max());
}

TEST(KdcRules, PU2_ProtectedUserTgtLivesFourHours) {
  KdcEnv e;
  KdcResult carol = Login(e.kdc, e.w.corp, "carol");
  ASSERT_TRUE(IsAllowed(carol, RuleId::kDS8));
  EXPECT_EQ(carol.decision.RuleFor("lifetime"), RuleId::kPU2);
  EXPECT_EQ(carol.ticket.end_ms() - carol.ticket.start_ms(), 4 * kHour);
  KdcResult alice = Login(e.kdc, e.w.corp, "alice");
  EXPECT_EQ(alice.decision.RuleFor("lifetime"), std::nullopt);
  EXPECT_EQ(alice.ticket.end_ms() - alice.ticket.start_ms(), kDefaultTicketLife);
  // Service tickets do not outlive the TGT.
  KdcResult st = GetTicket(e.kdc, e.w.corp, carol.sealed, kWeb);
  EXPECT_EQ(st.ticket.end_ms(), carol.ticket.end_ms());
}

TEST(KdcRules, PU2_ProtectedUserNtlmLogonIsRefused) {
  KdcEnv e;
  auto ntlm = [&](PrincipalId user) {
    v1::NtlmAuthenticate msg;
    msg.set_user(e.w.dir.Name(user));
    msg.set_domain("CORP.EXAMPLE");
    msg.set_challenge("0123456789abcdef");
    msg.set_proof(NtlmProof(e.w.dir.KeyOf(user), msg.challenge()));
    return e.kdc.ValidateNtlm(msg);
  };
  NtlmResult carol = ntlm(e.w.carol);
  EXPECT_FALSE(carol.decision.allowed());
  EXPECT_EQ(carol.decision.rule(), RuleId::kPU2);
  EXPECT_EQ(carol.decision.error(), "STATUS_ACCOUNT_RESTRICTION");
  EXPECT_EQ(carol.user, kNobody);
  NtlmResult alice = ntlm(e.w.alice);
  EXPECT_TRUE(alice.decision.allowed());
  EXPECT_EQ(alice.decision.rule(), RuleId::kDS12);
  EXPECT_EQ(alice.user, e.w.alice);
}

TEST(KdcRules, PU3_ServiceOrComputerInProtectedUsersCannotAuthenticate) {
  KdcEnv e;
  EXPECT_TRUE(IsDenied(Login(e.kdc, e.w.corp, "svc_pu"), RuleId::kPU3, "KDC_ERR_POLICY"));
  EXPECT_TRUE(IsDenied(Login(e.kdc, e.w.corp, "ws01$"), RuleId::kPU3, "KDC_ERR_POLICY"));
  // The same account outside the group, or in a domain below 2012 R2, authenticates.
  KdcEnv e2(Profile::Windows(), [](KdcWorld& w) { w.Account(w.svc_pu).member_of.clear(); });
  EXPECT_TRUE(IsAllowed(Login(e2.kdc, e2.w.corp, "svc_pu"), RuleId::kDS8));
  EXPECT_TRUE(IsAllowed(Login(e.kdc, e.w.old, "svc_old"), RuleId::kDS8));
}

// ---------------------------------------------------------------------------------------
// S4U-*: S4U2self and protocol transition.

TEST(KdcRules, S4U1_S4U2SelfGivesServiceAssertedTicketToItself) {
  KdcEnv e;
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, web_tgt.sealed, kWeb, "alice@CORP.EXAMPLE");
  EXPECT_TRUE(IsAllowed(self, RuleId::kS4U1));
  EXPECT_EQ(self.ticket.client(), e.w.alice);
  EXPECT_EQ(self.ticket.server(), e.w.svc_web);
  EXPECT_EQ(self.ticket.pac().user(), e.w.alice);
  EXPECT_TRUE(self.ticket.pac().service_asserted());
  EXPECT_TRUE(Open(self.sealed, e.w.dir.KeyOf(e.w.svc_web)).ok());
}

TEST(KdcRules, S4U1_S4U2SelfNamingAnotherServerIsBadMatch) {
  KdcEnv e;
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, web_tgt.sealed, kDb, "alice");
  EXPECT_TRUE(IsDenied(self, RuleId::kS4U1, "KRB_AP_ERR_BADMATCH"));
  EXPECT_EQ(self.decision.status(), "INVALID_S4U2SELF_REQUEST_SERVER_MISMATCH");
}

TEST(KdcRules, S4U2_NoT2A4DWithA2D2IsNotForwardable) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, tgt.sealed, kKcd, "alice");
  EXPECT_TRUE(IsAllowed(self, RuleId::kS4U1));
  EXPECT_TRUE(FlagClearedBy(self, "forwardable", RuleId::kS4U2));
  EXPECT_THAT(FactStrings(self.decision), Contains("svc_kcd.allowed_to_delegate_to.empty=false"));
}

TEST(KdcRules, S4U2_NoT2A4DEmptyA2D2IsForwardable) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, tgt.sealed, kApp, "alice");
  EXPECT_TRUE(IsAllowed(self, RuleId::kS4U1));
  EXPECT_TRUE(FlagSetBy(self, "forwardable", RuleId::kS4U2));
}

TEST(KdcRules, S4U2_NotRequestedOrNonForwardableServiceTgtIsNotForwardable) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "svc_pt");
  KdcResult unasked = S4U2Self(e.kdc, e.w.corp, tgt.sealed, kPt, "alice", false);
  EXPECT_TRUE(FlagClearedBy(unasked, "forwardable", RuleId::kS4U2));
  EXPECT_THAT(FactStrings(unasked.decision), Contains("forwardable_requested=false"));

  LoginOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult plain_tgt = Login(e.kdc, e.w.corp, "svc_pt", no_fwd);
  KdcResult self = S4U2Self(e.kdc, e.w.corp, plain_tgt.sealed, kPt, "alice");
  EXPECT_TRUE(FlagClearedBy(self, "forwardable", RuleId::kUD5));
  EXPECT_THAT(ConsultedCodes(self.decision), Contains("S4U-2"));
}

TEST(KdcRules, S4U3_KerberosOnlyServiceCannotTransitionProtocols) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, tgt.sealed, kKcd, "alice");
  ASSERT_TRUE(IsAllowed(self, RuleId::kS4U1));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, tgt.sealed, self.sealed, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kS4U3, kBadOption));
  EXPECT_THAT(CauseCodes(proxy.decision), ElementsAre("S4U-2"));
  EXPECT_THAT(FactStrings(proxy.decision), Contains("evidence.s4u2self=true"));
}

TEST(KdcRules, S4U3_ProtocolTransitionWithT2A4DWorks) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "svc_pt");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, tgt.sealed, kPt, "alice");
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, tgt.sealed, self.sealed, kDb);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kKCD1));
  EXPECT_EQ(proxy.ticket.client(), e.w.alice);
  EXPECT_TRUE(proxy.ticket.pac().service_asserted());
  EXPECT_TRUE(FlagSetBy(proxy, "forwardable", RuleId::kKCD6));
}

// ---------------------------------------------------------------------------------------
// KCD-*: classic constrained delegation.

TEST(KdcRules, KCD1_SpnInA2D2IsAllowed) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kKCD1));
  EXPECT_EQ(proxy.ticket.sname(), kDb);
  EXPECT_TRUE(Open(proxy.sealed, e.w.dir.KeyOf(e.w.svc_db)).ok());
}

TEST(KdcRules, KCD1_SpnNotInA2D2IsBadOptionNoMatch) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kFile);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD1, kBadOption));
  EXPECT_EQ(proxy.decision.status(), "STATUS_NO_MATCH");
}

TEST(KdcRules, KCD1_EmptyA2D2IsBadOptionNotSupported) {
  KdcEnv e;
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, web_tgt.sealed, alice_st.sealed, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD1, kBadOption));
  EXPECT_EQ(proxy.decision.status(), "STATUS_NOT_SUPPORTED");
  EXPECT_THAT(FactStrings(proxy.decision), Contains("rbcd_requested=false"));
}

TEST(KdcRules, KCD2_NonForwardableEvidenceIsBadOption) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  TgsOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult plain = UserTicket(e.kdc, e.w.corp, "alice", kKcd, no_fwd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, plain.sealed, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD2, kBadOption));
  EXPECT_THAT(FactStrings(proxy.decision), Contains("evidence.forwardable=false"));
  EXPECT_THAT(CauseCodes(proxy.decision), ElementsAre("UD-6"));

  KdcResult fwd = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  EXPECT_TRUE(
      IsAllowed(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, fwd.sealed, kDb), RuleId::kKCD1));
}

TEST(KdcRules, KCD3_ClassicKcdAcrossRealmsIsBadOption) {
  KdcEnv e;
  // svc_kcd's A2D2 lists http/app.emea.corp.example, in another domain.
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kEmea);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD3, kBadOption));
  EXPECT_THAT(FactStrings(proxy.decision), Contains("target.realm=EMEA.CORP.EXAMPLE"));

  // The same request with the RBCD bit passes: svc_emea allows svc_kcd (RB-3).
  KdcResult rbcd = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kEmea, true);
  EXPECT_TRUE(IsAllowed(rbcd, RuleId::kRB1));
  EXPECT_EQ(rbcd.decision.RuleFor("cross_realm"), RuleId::kRB3);
}

TEST(KdcRules, KCD4_S4U2ProxyNeverYieldsATgt) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy =
      S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, "krbtgt/CORP.EXAMPLE");
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD4, "KDC_ERR_POLICY"));
  EXPECT_TRUE(
      IsAllowed(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb), RuleId::kKCD1));
}

TEST(KdcRules, KCD5_EvidenceForAnotherServiceIsServerNoMatch) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult to_web = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, to_web.sealed, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD5, "KDC_ERR_SERVER_NOMATCH"));
  EXPECT_THAT(FactStrings(proxy.decision), Contains("evidence.server=svc_web"));
}

TEST(KdcRules, KCD5_EvidenceWithoutValidPacIsServerNoMatch) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  // A ticket without a PAC, genuinely issued (both seals valid), e.g. by a KDC that adds none.
  v1::TicketBody body = alice_st.ticket;
  body.clear_pac();
  v1::SealedTicket no_pac = Seal(body, e.w.dir.KeyOf(e.w.svc_kcd), e.w.dir.KrbtgtKey(e.w.corp));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, no_pac, kDb);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kKCD5, "KDC_ERR_SERVER_NOMATCH"));
  EXPECT_THAT(FactStrings(proxy.decision), Contains("evidence.pac_valid=false"));
}

TEST(KdcRules, KCD6_ProxyTicketIsForTheUserAndRecordsTheTransitedService) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb);
  ASSERT_TRUE(IsAllowed(proxy, RuleId::kKCD1));
  EXPECT_TRUE(FlagSetBy(proxy, "forwardable", RuleId::kKCD6));
  EXPECT_EQ(proxy.ticket.client(), e.w.alice);
  EXPECT_EQ(proxy.ticket.server(), e.w.svc_db);
  EXPECT_EQ(proxy.ticket.pac().user(), e.w.alice);
  EXPECT_FALSE(proxy.ticket.pac().service_asserted());
  EXPECT_EQ(proxy.ticket.pac().s4u2proxy_target(), kDb);
  EXPECT_THAT(proxy.ticket.pac().transited_services(), ElementsAre(kKcd));

  // Service 2 chains: svc_db's A2D2 lists cifs/file.
  KdcResult db_tgt = Login(e.kdc, e.w.corp, "svc_db");
  KdcResult hop2 = S4U2Proxy(e.kdc, e.w.corp, db_tgt.sealed, proxy.sealed, kFile);
  EXPECT_TRUE(IsAllowed(hop2, RuleId::kKCD1));
  EXPECT_EQ(hop2.ticket.client(), e.w.alice);
  EXPECT_EQ(hop2.ticket.pac().s4u2proxy_target(), kFile);
  EXPECT_THAT(hop2.ticket.pac().transited_services(), ElementsAre(kKcd, kDb));
}

TEST(KdcRules, KCD6_NonForwardableAcceptedEvidenceGivesNonForwardableResult) {
  Profile legacy = Profile::Windows();
  legacy.legacy_rbcd_nonforwardable_ok = true;
  KdcEnv e(legacy);
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "alice");
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, self.sealed, kRbcd, true);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kRB1));
  EXPECT_TRUE(FlagClearedBy(proxy, "forwardable", RuleId::kKCD6));
}

TEST(KdcRules, KCD7_NoOkAsDelegateAndNoDelegateRequestNeeded) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  // alice never asked to delegate: no FORWARDED TGT; svc_kcd is not trusted for delegation.
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  ASSERT_FALSE(HasTicketFlag(alice_st, v1::TICKET_FLAG_OK_AS_DELEGATE));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kKCD1));
  EXPECT_THAT(ConsultedCodes(proxy.decision), Contains("KCD-7"));
  EXPECT_THAT(FactStrings(proxy.decision), Contains("evidence.ok_as_delegate=false"));
}

// ---------------------------------------------------------------------------------------
// RB-*: resource-based constrained delegation.

TEST(KdcRules, RB1_RbcdAllowsServiceInTheTargetDescriptor) {
  KdcEnv e;
  KdcResult app_tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kApp);
  KdcResult ok = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, alice_st.sealed, kDb, true);
  EXPECT_TRUE(IsAllowed(ok, RuleId::kRB1));
  EXPECT_EQ(ok.ticket.client(), e.w.alice);
  // Without the RBCD bit the same request is classic KCD with an empty A2D2.
  KdcResult no_bit = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, alice_st.sealed, kDb, false);
  EXPECT_TRUE(IsDenied(no_bit, RuleId::kKCD1, kBadOption));
}

TEST(KdcRules, RB1_ServiceNotInTheDescriptorIsBadOptionNotFound) {
  KdcEnv e;
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  KdcResult no = S4U2Proxy(e.kdc, e.w.corp, web_tgt.sealed, alice_st.sealed, kDb, true);
  EXPECT_TRUE(IsDenied(no, RuleId::kRB1, kBadOption));
  EXPECT_EQ(no.decision.status(), "STATUS_NOT_FOUND");
}

TEST(KdcRules, RB2_NonForwardableEvidenceForRbcdIsBadOption) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "alice");
  ASSERT_FALSE(HasTicketFlag(self, v1::TICKET_FLAG_FORWARDABLE));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, self.sealed, kRbcd, true);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kRB2, kBadOption));
  EXPECT_EQ(proxy.decision.status(), "STATUS_ACCOUNT_RESTRICTION");
  EXPECT_THAT(CauseCodes(proxy.decision), ElementsAre("S4U-2"));
  // The same RBCD request with forwardable evidence passes.
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);
  EXPECT_TRUE(IsAllowed(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kRbcd, true),
                        RuleId::kRB1));
}

TEST(KdcRules, RB2_LegacySwitchAcceptsOnlyNonForwardableS4U2SelfOfNonSensitiveUser) {
  Profile legacy = Profile::Windows();
  legacy.legacy_rbcd_nonforwardable_ok = true;
  KdcEnv e(legacy);
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "alice");
  KdcResult ok = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, self.sealed, kRbcd, true);
  EXPECT_TRUE(IsAllowed(ok, RuleId::kRB1));
  EXPECT_EQ(ok.decision.RuleFor("accepted_nonforwardable_evidence"), RuleId::kRB2);

  // A non-forwardable ticket that is not an S4U2self ticket stays refused.
  TgsOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult plain = UserTicket(e.kdc, e.w.corp, "alice", kKcd, no_fwd);
  KdcResult no = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, plain.sealed, kRbcd, true);
  EXPECT_TRUE(IsDenied(no, RuleId::kRB2, kBadOption));
  EXPECT_THAT(FactStrings(no.decision), Contains("evidence.s4u2self=false"));
}

TEST(KdcRules, RB3_CrossForestRbcdThroughAReferral) {
  KdcEnv e;
  KdcResult app_tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kApp);
  // svc_app gets a referral to FABRIKAM and asks that realm's KDC (RB-3).
  KdcResult ref = GetTicket(e.kdc, e.w.corp, app_tgt.sealed, "krbtgt/FABRIKAM.EXAMPLE");
  ASSERT_TRUE(IsAllowed(ref, RuleId::kDS10));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.fabrikam, ref.sealed, alice_st.sealed, kFab, true);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kRB1));
  EXPECT_EQ(proxy.decision.RuleFor("cross_realm"), RuleId::kRB3);
  EXPECT_EQ(proxy.ticket.realm(), "FABRIKAM.EXAMPLE");
  EXPECT_EQ(proxy.ticket.client(), e.w.alice);
  EXPECT_TRUE(Open(proxy.sealed, e.w.dir.KeyOf(e.w.svc_fab)).ok());

  // svc_web is not in svc_fab's descriptor: the same path is refused by RB-1.
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  KdcResult web_ref = GetTicket(e.kdc, e.w.corp, web_tgt.sealed, "krbtgt/FABRIKAM.EXAMPLE");
  KdcResult to_web = UserTicket(e.kdc, e.w.corp, "alice", kWeb);
  EXPECT_TRUE(IsDenied(S4U2Proxy(e.kdc, e.w.fabrikam, web_ref.sealed, to_web.sealed, kFab, true),
                       RuleId::kRB1, kBadOption));
}

TEST(KdcRules, RB3_NoTrustNoCrossRealmRbcd) {
  KdcEnv e(Profile::Windows(),
           [](KdcWorld& w) { w.Account(w.svc_iso).allowed_to_act = {w.svc_app}; });
  KdcResult app_tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kApp);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, alice_st.sealed, kIso, true);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kDS10, "KDC_ERR_S_PRINCIPAL_UNKNOWN"));
}

TEST(KdcRules, RB4_S4U2SelfThenRbcdWorksWithoutA2D2OrT2A4D) {
  KdcEnv e;
  KdcResult app_tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, app_tgt.sealed, kApp, "alice");
  ASSERT_TRUE(FlagSetBy(self, "forwardable", RuleId::kS4U2));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, self.sealed, kDb, true);
  EXPECT_TRUE(IsAllowed(proxy, RuleId::kRB1));
  EXPECT_EQ(proxy.decision.RuleFor("s4u2self_rbcd"), RuleId::kRB4);
  EXPECT_TRUE(FlagSetBy(proxy, "forwardable", RuleId::kKCD6));

  // Not for a sensitive user: bob's S4U2self ticket is not forwardable.
  KdcResult bob_self = S4U2Self(e.kdc, e.w.corp, app_tgt.sealed, kApp, "bob");
  KdcResult no = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, bob_self.sealed, kDb, true);
  EXPECT_TRUE(IsDenied(no, RuleId::kRB2, kBadOption));
  EXPECT_THAT(CauseCodes(no.decision), ElementsAre("AC-1"));
}

TEST(KdcRules, RB4_HeimdalS4U2SelfIsNotForwardableSoRbcdFails) {
  KdcEnv e(Profile::Heimdal());
  KdcResult app_tgt = Login(e.kdc, e.w.corp, "svc_app");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, app_tgt.sealed, kApp, "alice");
  EXPECT_TRUE(FlagClearedBy(self, "forwardable", RuleId::kS4U2));
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, app_tgt.sealed, self.sealed, kDb, true);
  EXPECT_TRUE(IsDenied(proxy, RuleId::kRB2, kBadOption));
  EXPECT_THAT(CauseCodes(proxy.decision), ElementsAre("S4U-2"));
}

// ---------------------------------------------------------------------------------------
// XR-*: cross-realm and cross-forest.

TEST(KdcRules, XR1_ReferralWithinForestIsOkAsDelegate) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult ref = GetTicket(e.kdc, e.w.corp, tgt.sealed, kEmeaTd);
  EXPECT_TRUE(IsAllowed(ref, RuleId::kDS10));
  EXPECT_TRUE(FlagSetBy(ref, "ok_as_delegate", RuleId::kXR1));
  EXPECT_TRUE(FlagSetBy(ref, "forwardable", RuleId::kUD5));
  EXPECT_EQ(ref.ticket.sname(), "krbtgt/EMEA.CORP.EXAMPLE");
  EXPECT_EQ(ref.ticket.referral_from(), "CORP.EXAMPLE");
  EXPECT_THAT(FactStrings(ref.decision), Contains("trust.within_forest=true"));
  // The other realm's KDC accepts the referral and issues the service ticket.
  KdcResult st = GetTicket(e.kdc, e.w.emea, ref.sealed, kEmeaTd);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagSetBy(st, "ok_as_delegate", RuleId::kUD1));
  EXPECT_EQ(st.ticket.client(), e.w.alice);
  EXPECT_EQ(st.ticket.realm(), "EMEA.CORP.EXAMPLE");
}

TEST(KdcRules, XR1_QuarantinedTrustReferralIsNotOkAsDelegate) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult ref = GetTicket(e.kdc, e.w.corp, tgt.sealed, kLegacy);
  EXPECT_TRUE(IsAllowed(ref, RuleId::kDS10));
  EXPECT_TRUE(FlagClearedBy(ref, "ok_as_delegate", RuleId::kXR1));
  EXPECT_THAT(FactStrings(ref.decision), Contains("trust.quarantined=true"));
  // Without QUARANTINED_DOMAIN the same trust (ENABLE_TGT_DELEGATION) passes.
  KdcEnv e2(Profile::Windows(),
            [](KdcWorld& w) { w.legacy_trust &= ~trust_attr::kQuarantinedDomain; });
  KdcResult tgt2 = Login(e2.kdc, e2.w.corp, "alice");
  EXPECT_TRUE(FlagSetBy(GetTicket(e2.kdc, e2.w.corp, tgt2.sealed, kLegacy), "ok_as_delegate",
                        RuleId::kXR1));
}

TEST(KdcRules, XR1_ChainedReferralNeedsOkAsDelegateOnTheSourceReferral) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult to_emea = GetTicket(e.kdc, e.w.corp, tgt.sealed, "krbtgt/EMEA.CORP.EXAMPLE");
  ASSERT_TRUE(FlagSetBy(to_emea, "ok_as_delegate", RuleId::kXR1));
  // EMEA -> TAILSPIN (forest trust with ENABLE_TGT_DELEGATION): the source referral is
  // OK-AS-DELEGATE, so is the next one.
  KdcResult chained = GetTicket(e.kdc, e.w.emea, to_emea.sealed, kTail);
  EXPECT_TRUE(IsAllowed(chained, RuleId::kDS10));
  EXPECT_TRUE(FlagSetBy(chained, "ok_as_delegate", RuleId::kXR1));
  EXPECT_THAT(FactStrings(chained.decision), Contains("header(referral).ok_as_delegate=true"));

  // The same chain from a referral without OK-AS-DELEGATE.
  v1::TicketBody body = to_emea.ticket;
  SetFlag(body, v1::TICKET_FLAG_OK_AS_DELEGATE, false);
  v1::SealedTicket plain_ref =
      Seal(body, e.w.dir.InterRealmKey(e.w.corp, e.w.emea), e.w.dir.KrbtgtKey(e.w.corp));
  KdcResult no = GetTicket(e.kdc, e.w.emea, plain_ref, kTail);
  EXPECT_TRUE(IsAllowed(no, RuleId::kDS10));
  EXPECT_TRUE(FlagClearedBy(no, "ok_as_delegate", RuleId::kXR1));
  EXPECT_THAT(FactStrings(no.decision), Contains("header(referral).ok_as_delegate=false"));
}

TEST(KdcRules, XR2_ForestTrustReferralIsNotOkAsDelegateUnlessEnabled) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult fab = GetTicket(e.kdc, e.w.corp, tgt.sealed, kFabTd);
  EXPECT_TRUE(IsAllowed(fab, RuleId::kDS10));
  EXPECT_TRUE(FlagClearedBy(fab, "ok_as_delegate", RuleId::kXR2));
  EXPECT_THAT(FactStrings(fab.decision), Contains("trust.forest_transitive=true"));
  // KCD and RBCD are unaffected and the Windows KDC still marks the TD service (C7: the
  // client checks the referral chain).
  KdcResult st = GetTicket(e.kdc, e.w.fabrikam, fab.sealed, kFabTd);
  EXPECT_TRUE(FlagSetBy(st, "ok_as_delegate", RuleId::kUD1));

  // A forest trust with CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION passes (XR-1).
  KdcResult tail = GetTicket(e.kdc, e.w.corp, tgt.sealed, kTail);
  EXPECT_TRUE(FlagSetBy(tail, "ok_as_delegate", RuleId::kXR1));
}

TEST(KdcRules, XR3_SelectiveAuthenticationWithoutAllowedToAuthenticateIsPolicy) {
  KdcEnv e;
  KdcResult dave_tgt = Login(e.kdc, e.w.corp, "dave");
  KdcResult ref = GetTicket(e.kdc, e.w.corp, dave_tgt.sealed, kCon);
  ASSERT_TRUE(IsAllowed(ref, RuleId::kDS10));
  KdcResult st = GetTicket(e.kdc, e.w.contoso, ref.sealed, kCon);
  EXPECT_TRUE(IsDenied(st, RuleId::kXR3, "KDC_ERR_POLICY"));
  EXPECT_EQ(st.decision.status(), "STATUS_AUTHENTICATION_FIREWALL_FAILED");

  // alice holds Allowed-To-Authenticate on svc_con.
  KdcResult alice_tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult alice_ref = GetTicket(e.kdc, e.w.corp, alice_tgt.sealed, kCon);
  KdcResult ok = GetTicket(e.kdc, e.w.contoso, alice_ref.sealed, kCon);
  EXPECT_TRUE(IsAllowed(ok, RuleId::kDS9));
  EXPECT_THAT(FactStrings(ok.decision), Contains("svc_con.allowed_to_authenticate(alice)=true"));
}

// ---------------------------------------------------------------------------------------
// DS-*: the project's own KDC rules (DS-1 is in ticket_seal_test.cc).

TEST(KdcRules, DS2_ExpiredOrNotYetValidTgtIsRefused) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  TgsOptions late;
  late.at = kNow + kDefaultTicketLife;  // end is exclusive
  EXPECT_TRUE(IsDenied(GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, late), RuleId::kDS2,
                       "KRB_AP_ERR_TKT_EXPIRED"));
  TgsOptions early;
  early.at = kNow - 1;
  EXPECT_TRUE(IsDenied(GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, early), RuleId::kDS2,
                       "KRB_AP_ERR_TKT_NYV"));
  TgsOptions last;
  last.at = kNow + kDefaultTicketLife - 1;
  EXPECT_TRUE(IsAllowed(GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, last), RuleId::kDS9));
}

TEST(KdcRules, DS2_ExpiredEvidenceIsRefused) {
  KdcEnv e;
  KdcResult alice_st = UserTicket(e.kdc, e.w.corp, "alice", kKcd);  // valid until kNow + 10 h
  LoginOptions later;
  later.at = kNow + 9 * kHour;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd", later);
  Time after = kNow + kDefaultTicketLife;
  EXPECT_TRUE(
      IsDenied(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb, false, after),
               RuleId::kDS2, "KRB_AP_ERR_TKT_EXPIRED"));
  EXPECT_TRUE(
      IsAllowed(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb, false, after - 1),
                RuleId::kKCD1));
}

TEST(KdcRules, DS7_UnknownClientIsCPrincipalUnknown) {
  KdcEnv e;
  EXPECT_TRUE(
      IsDenied(Login(e.kdc, e.w.corp, "mallory"), RuleId::kDS7, "KDC_ERR_C_PRINCIPAL_UNKNOWN"));
  EXPECT_TRUE(IsDenied(Login(e.kdc, e.w.corp, "Tier0 Admins"), RuleId::kDS7,
                       "KDC_ERR_C_PRINCIPAL_UNKNOWN"));
  EXPECT_TRUE(
      IsDenied(Login(e.kdc, e.w.corp, "krbtgt"), RuleId::kDS7, "KDC_ERR_C_PRINCIPAL_UNKNOWN"));
  // alice exists in CORP only.
  EXPECT_TRUE(
      IsDenied(Login(e.kdc, e.w.emea, "alice"), RuleId::kDS7, "KDC_ERR_C_PRINCIPAL_UNKNOWN"));
  EXPECT_TRUE(IsAllowed(Login(e.kdc, e.w.corp, "alice"), RuleId::kDS8));
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  EXPECT_TRUE(IsDenied(S4U2Self(e.kdc, e.w.corp, web_tgt.sealed, kWeb, "mallory"), RuleId::kDS7,
                       "KDC_ERR_C_PRINCIPAL_UNKNOWN"));
}

TEST(KdcRules, DS7_UnknownServiceIsSPrincipalUnknown) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  EXPECT_TRUE(IsDenied(GetTicket(e.kdc, e.w.corp, tgt.sealed, "http/nowhere.corp.example"),
                       RuleId::kDS7, "KDC_ERR_S_PRINCIPAL_UNKNOWN"));
  EXPECT_TRUE(IsDenied(GetTicket(e.kdc, e.w.corp, tgt.sealed, "krbtgt/NOWHERE.EXAMPLE"),
                       RuleId::kDS7, "KDC_ERR_S_PRINCIPAL_UNKNOWN"));
  // SPN lookup is case-insensitive.
  EXPECT_TRUE(
      IsAllowed(GetTicket(e.kdc, e.w.corp, tgt.sealed, "HTTP/Web.Corp.Example"), RuleId::kDS9));
}

TEST(KdcRules, DS8_WrongPreauthOrDisabledAccountIsRefused) {
  KdcEnv e(Profile::Windows(), [](KdcWorld& w) { w.Account(w.dave).uac |= uf::kAccountDisable; });
  v1::AsReq req;
  req.set_client("alice");
  req.set_timestamp_ms(kNow);
  req.set_preauth(PreauthProof(e.w.dir.KeyOf(e.w.bob), kNow));  // bob's key, not alice's
  EXPECT_TRUE(IsDenied(e.kdc.As(e.w.corp, req, kNow), RuleId::kDS12, "KDC_ERR_PREAUTH_FAILED"));
  EXPECT_TRUE(IsDenied(Login(e.kdc, e.w.corp, "dave"), RuleId::kDS8, "KDC_ERR_CLIENT_REVOKED"));
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  EXPECT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  EXPECT_EQ(tgt.ticket.flags() & (v1::TICKET_FLAG_INITIAL | v1::TICKET_FLAG_PRE_AUTHENT),
            static_cast<uint32_t>(v1::TICKET_FLAG_INITIAL | v1::TICKET_FLAG_PRE_AUTHENT));
  EXPECT_TRUE(Open(tgt.sealed, e.w.dir.KrbtgtKey(e.w.corp)).ok());
}

TEST(KdcRules, DS10_NoTrustNoReferral) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult iso = GetTicket(e.kdc, e.w.corp, tgt.sealed, kIso);
  EXPECT_TRUE(IsDenied(iso, RuleId::kDS10, "KDC_ERR_S_PRINCIPAL_UNKNOWN"));
  EXPECT_TRUE(IsDenied(GetTicket(e.kdc, e.w.corp, tgt.sealed, "krbtgt/ISOLATED.EXAMPLE"),
                       RuleId::kDS10, "KDC_ERR_S_PRINCIPAL_UNKNOWN"));
  // The same request towards a trusting realm is a referral.
  KdcResult ref = GetTicket(e.kdc, e.w.corp, tgt.sealed, "krbtgt/FABRIKAM.EXAMPLE");
  EXPECT_TRUE(IsAllowed(ref, RuleId::kDS10));
  EXPECT_TRUE(Open(ref.sealed, e.w.dir.InterRealmKey(e.w.corp, e.w.fabrikam)).ok());
}

TEST(KdcRules, DS11_KdcAcceptsOnlyTgtsForItsOwnRealm) {
  KdcEnv e;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  // CORP's own TGT at EMEA's KDC.
  EXPECT_TRUE(
      IsDenied(GetTicket(e.kdc, e.w.emea, tgt.sealed, kEmea), RuleId::kDS11, "KRB_AP_ERR_NOT_US"));
  // A service ticket as header ticket.
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb);
  EXPECT_TRUE(
      IsDenied(GetTicket(e.kdc, e.w.corp, st.sealed, kDb), RuleId::kDS11, "KRB_AP_ERR_NOT_US"));
  // The referral to EMEA is accepted there.
  KdcResult ref = GetTicket(e.kdc, e.w.corp, tgt.sealed, kEmea);
  EXPECT_TRUE(IsAllowed(GetTicket(e.kdc, e.w.emea, ref.sealed, kEmea), RuleId::kDS9));
}

// ---------------------------------------------------------------------------------------
// Decisions travel: ToRecord / FromRecord keep the verdict, rule, error, checks and causes.

TEST(KdcRules, DecisionRecordRoundTrips) {
  KdcEnv e;
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult bob_st = UserTicket(e.kdc, e.w.corp, "bob", kKcd);
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, bob_st.sealed, kDb);
  ASSERT_TRUE(IsDenied(proxy, RuleId::kKCD2, kBadOption));
  v1::DecisionRecord rec = ToRecord(proxy.decision);
  EXPECT_EQ(rec.rule(), "KCD-2");
  EXPECT_EQ(rec.error(), kBadOption);
  Decision back = FromRecord(rec);
  EXPECT_EQ(back.Explain(), proxy.decision.Explain());
  EXPECT_EQ(ToRecord(back).SerializeAsString(), rec.SerializeAsString());
}

}  // namespace
}  // namespace delegsim::kdc::testing

namespace delegsim::kdc::testing {
namespace {

// svc_kcd (no T2A4D, A2D2 non-empty) gets a non-forwardable S4U2self ticket (S4U-2). With
// http/rbcd both in its A2D2 and allowing it by RBCD, the classic check alone would fail
// with S4U-3; with the RBCD option the resource-based check decides (MS-SFU 3.2.5.2.1).
TEST(KdcRules, RB2_ListedTargetWithNonForwardableEvidenceFallsBackToRbcd) {
  auto add_rbcd_target = [](KdcWorld& w) {
    w.Account(w.svc_kcd).allowed_to_delegate_to.push_back(kRbcd);
  };
  KdcEnv e(Profile::Windows(), add_rbcd_target);
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "alice");
  ASSERT_TRUE(FlagClearedBy(self, "forwardable", RuleId::kS4U2));
  EXPECT_TRUE(
      IsDenied(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, self.sealed, kRbcd, /*rbcd=*/false),
               RuleId::kS4U3, "KDC_ERR_BADOPTION"));
  KdcResult with_bit =
      S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, self.sealed, kRbcd, /*rbcd=*/true);
  EXPECT_TRUE(IsDenied(with_bit, RuleId::kRB2, "KDC_ERR_BADOPTION"));
  EXPECT_EQ(with_bit.decision.status(), "STATUS_ACCOUNT_RESTRICTION");

  Profile legacy = Profile::Windows();
  legacy.legacy_rbcd_nonforwardable_ok = true;
  KdcEnv l(legacy, add_rbcd_target);
  KdcResult ltgt = Login(l.kdc, l.w.corp, "svc_kcd");
  KdcResult lself = S4U2Self(l.kdc, l.w.corp, ltgt.sealed, kKcd, "alice");
  EXPECT_TRUE(
      IsAllowed(S4U2Proxy(l.kdc, l.w.corp, ltgt.sealed, lself.sealed, kRbcd, true), RuleId::kRB1));
}

// The legacy switch accepts non-forwardable S4U2self evidence only for users who may be
// delegated at all: a Protected Users member (PU-1) is refused like a sensitive one.
TEST(KdcRules, PU1_LegacyRbcdSwitchStillRefusesProtectedUsers) {
  Profile legacy = Profile::Windows();
  legacy.legacy_rbcd_nonforwardable_ok = true;
  KdcEnv e(legacy);
  KdcResult kcd_tgt = Login(e.kdc, e.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "carol");
  KdcResult r = S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, self.sealed, kRbcd, true);
  EXPECT_TRUE(IsDenied(r, RuleId::kRB2, "KDC_ERR_BADOPTION"));
  EXPECT_TRUE(r.decision.Names(RuleId::kPU1)) << r.decision.Explain();
  KdcResult alice_self = S4U2Self(e.kdc, e.w.corp, kcd_tgt.sealed, kKcd, "alice");
  EXPECT_TRUE(IsAllowed(S4U2Proxy(e.kdc, e.w.corp, kcd_tgt.sealed, alice_self.sealed, kRbcd, true),
                        RuleId::kRB1));
}

}  // namespace
}  // namespace delegsim::kdc::testing
