// Behaviours real KDCs show (issue 12, part 2), each with the rule id that decides it:
// FORWARDED propagation (DS-14), renewable tickets (DS-15, PU-2), OK-AS-DELEGATE on
// S4U2self and on Samba's forwarded TGT (UD-1), Samba's Protected Users (PU-1), and the
// root cause of a ticket that is not forwardable because it was not asked (UD-5, AC-1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/kdc/kdc_fixture.h"

namespace delegsim::kdc::testing {
namespace {

using ::testing::Contains;
using ::testing::Not;

constexpr Time kDay = 24 * kHour;

class EveryProfile : public ::testing::TestWithParam<const char*> {
 protected:
  Profile profile() const { return *Profile::FromName(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(Kdc, EveryProfile, ::testing::Values("windows", "mit", "heimdal"));

TEST_P(EveryProfile, DS14_TicketsObtainedWithAForwardedTgtAreForwarded) {
  KdcEnv e(profile());
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice");
  KdcResult fwd = ForwardTgt(e.kdc, e.w.corp, tgt.sealed);
  ASSERT_TRUE(IsAllowed(fwd, RuleId::kUD3));
  // A service ticket, a TGT asked again without FORWARDED, and a referral.
  KdcResult st = GetTicket(e.kdc, e.w.corp, fwd.sealed, kWeb);
  EXPECT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagSetBy(st, "forwarded", RuleId::kDS14));
  KdcResult again = GetTicket(e.kdc, e.w.corp, fwd.sealed, "krbtgt/CORP.EXAMPLE");
  EXPECT_TRUE(FlagSetBy(again, "forwarded", RuleId::kDS14));
  KdcResult referral = GetTicket(e.kdc, e.w.corp, fwd.sealed, kEmea);
  EXPECT_TRUE(IsAllowed(referral, RuleId::kDS10));
  EXPECT_TRUE(FlagSetBy(referral, "forwarded", RuleId::kDS14));
  // The same service ticket from the original TGT is not forwarded.
  KdcResult plain = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb);
  EXPECT_FALSE(HasFlag(plain.ticket, v1::TICKET_FLAG_FORWARDED));
  EXPECT_THAT(ConsultedCodes(plain.decision), Not(Contains("DS-14")));
}

TEST_P(EveryProfile, UD1_S4U2selfTicketToATrustedServiceIsOkAsDelegate) {
  KdcEnv e(profile());
  KdcResult td_tgt = Login(e.kdc, e.w.corp, "svc_td");
  KdcResult self = S4U2Self(e.kdc, e.w.corp, td_tgt.sealed, kTd, "alice@CORP.EXAMPLE");
  ASSERT_TRUE(IsAllowed(self, RuleId::kS4U1));
  EXPECT_TRUE(FlagSetBy(self, "ok_as_delegate", RuleId::kUD1));
  KdcResult web_tgt = Login(e.kdc, e.w.corp, "svc_web");
  KdcResult other = S4U2Self(e.kdc, e.w.corp, web_tgt.sealed, kWeb, "alice@CORP.EXAMPLE");
  ASSERT_TRUE(IsAllowed(other, RuleId::kS4U1));
  EXPECT_FALSE(HasFlag(other.ticket, v1::TICKET_FLAG_OK_AS_DELEGATE));
}

TEST(KdcFidelity, UD1_OnlySambaPutsOkAsDelegateOnTheForwardedTgt) {
  for (const char* name : {"windows", "mit", "heimdal"}) {
    KdcEnv e(*Profile::FromName(name));
    KdcResult fwd = ForwardTgt(e.kdc, e.w.corp, Login(e.kdc, e.w.corp, "alice").sealed);
    ASSERT_TRUE(IsAllowed(fwd, RuleId::kUD3)) << name;
    if (std::string(name) == "heimdal") {
      EXPECT_TRUE(FlagSetBy(fwd, "ok_as_delegate", RuleId::kUD1));
    } else {
      EXPECT_FALSE(HasFlag(fwd.ticket, v1::TICKET_FLAG_OK_AS_DELEGATE)) << name;
    }
  }
}

TEST(KdcFidelity, DS15_RenewableTgtAndServiceTicketUnderWindowsPolicy) {
  KdcEnv e;
  LoginOptions renew;
  renew.renewable = true;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice", renew);
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  EXPECT_TRUE(FlagSetBy(tgt, "renewable", RuleId::kDS15));
  EXPECT_EQ(tgt.ticket.renew_till_ms() - tgt.ticket.start_ms(), 7 * kDay);
  EXPECT_EQ(tgt.ticket.end_ms() - tgt.ticket.start_ms(), 10 * kHour);
  TgsOptions opts;
  opts.renewable = true;
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, opts);
  EXPECT_TRUE(FlagSetBy(st, "renewable", RuleId::kDS15));
  EXPECT_EQ(st.ticket.renew_till_ms(), tgt.ticket.renew_till_ms());
  // Not asked: not renewable, at either step.
  KdcResult plain = Login(e.kdc, e.w.corp, "alice");
  EXPECT_FALSE(HasFlag(plain.ticket, v1::TICKET_FLAG_RENEWABLE));
  EXPECT_EQ(plain.ticket.renew_till_ms(), 0);
  // Asked with a TGT that is not renewable: cleared, naming DS-15.
  KdcResult from_plain = GetTicket(e.kdc, e.w.corp, plain.sealed, kWeb, opts);
  EXPECT_TRUE(FlagClearedBy(from_plain, "renewable", RuleId::kDS15));
  EXPECT_THAT(FactStrings(from_plain.decision), Contains("header.renewable=false"));
}

TEST(KdcFidelity, PU2_ProtectedUsersRenewForFourHoursOnly) {
  KdcEnv e;
  LoginOptions renew;
  renew.renewable = true;
  KdcResult tgt = Login(e.kdc, e.w.corp, "carol", renew);  // Protected Users (via Tier0)
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  EXPECT_TRUE(FlagSetBy(tgt, "renewable", RuleId::kPU2));
  EXPECT_EQ(tgt.ticket.renew_till_ms() - tgt.ticket.start_ms(), 4 * kHour);
  EXPECT_EQ(tgt.ticket.end_ms() - tgt.ticket.start_ms(), 4 * kHour);
  TgsOptions opts;
  opts.renewable = true;
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, opts);
  EXPECT_EQ(st.ticket.renew_till_ms(), tgt.ticket.renew_till_ms());
}

TEST(KdcFidelity, DS15_HeimdalDropsRenewableWhenTheTicketEndsAtItsRenewTill) {
  // A Protected User's TGT ends when its renew-till does (4 h each, PU-2): Heimdal's TGS
  // issues the service ticket without RENEWABLE (krb5tgs.c), Windows keeps it.
  LoginOptions renew;
  renew.renewable = true;
  TgsOptions opts;
  opts.renewable = true;
  opts.forwardable = false;  // her TGT is not forwardable: Heimdal would refuse it (C12)
  KdcEnv heimdal(Profile::Heimdal());
  KdcResult tgt = Login(heimdal.kdc, heimdal.w.corp, "carol", renew);
  ASSERT_TRUE(HasFlag(tgt.ticket, v1::TICKET_FLAG_RENEWABLE));
  KdcResult st = GetTicket(heimdal.kdc, heimdal.w.corp, tgt.sealed, kWeb, opts);
  ASSERT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_TRUE(FlagClearedBy(st, "renewable", RuleId::kDS15));
  EXPECT_THAT(FactStrings(st.decision), Contains("end_reaches_renew_till=true"));
  EXPECT_EQ(st.ticket.end_ms(), tgt.ticket.renew_till_ms());
  // alice's 10 h TGT renews for 7 days: room to renew, so R under Heimdal too.
  KdcResult alice = Login(heimdal.kdc, heimdal.w.corp, "alice", renew);
  EXPECT_TRUE(FlagSetBy(GetTicket(heimdal.kdc, heimdal.w.corp, alice.sealed, kWeb, opts),
                        "renewable", RuleId::kDS15));
  KdcEnv windows;
  KdcResult wtgt = Login(windows.kdc, windows.w.corp, "carol", renew);
  EXPECT_TRUE(FlagSetBy(GetTicket(windows.kdc, windows.w.corp, wtgt.sealed, kWeb, opts),
                        "renewable", RuleId::kDS15));
}

TEST(KdcFidelity, DS15_MitIssuesNoRenewableTicketWithItsDefaultRenewLife) {
  KdcEnv e(Profile::Mit());
  LoginOptions renew;
  renew.renewable = true;
  KdcResult tgt = Login(e.kdc, e.w.corp, "alice", renew);
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  EXPECT_TRUE(FlagClearedBy(tgt, "renewable", RuleId::kDS15));
  EXPECT_EQ(tgt.ticket.end_ms() - tgt.ticket.start_ms(), 24 * kHour);
  // A realm that allows renewal.
  Profile p = Profile::Mit();
  p.max_renew_life_ms = 2 * kDay;
  KdcEnv e2(p);
  KdcResult tgt2 = Login(e2.kdc, e2.w.corp, "alice", renew);
  EXPECT_TRUE(FlagSetBy(tgt2, "renewable", RuleId::kDS15));
  EXPECT_EQ(tgt2.ticket.renew_till_ms() - tgt2.ticket.start_ms(), 2 * kDay);
}

TEST(KdcFidelity, PU1_SambaAppliesProtectedUsersAtAsWhateverTheFunctionalLevel) {
  // olga is in Protected Users of OLD.EXAMPLE, a 2012 domain.
  KdcEnv windows;
  KdcResult w = Login(windows.kdc, windows.w.old, "olga");
  ASSERT_TRUE(IsAllowed(w, RuleId::kDS8));
  EXPECT_TRUE(HasFlag(w.ticket, v1::TICKET_FLAG_FORWARDABLE));
  KdcEnv samba(Profile::Heimdal());
  KdcResult s = Login(samba.kdc, samba.w.old, "olga");
  ASSERT_TRUE(IsAllowed(s, RuleId::kDS8));
  EXPECT_TRUE(FlagClearedBy(s, "forwardable", RuleId::kPU1));
  EXPECT_THAT(FactStrings(s.decision), Contains("profile.protected_users_needs_2012r2=false"));
  EXPECT_EQ(s.ticket.end_ms() - s.ticket.start_ms(), 4 * kHour);
}

TEST(KdcFidelity, PU1_SambaDoesNotApplyProtectedUsersToS4U2self) {
  // svc_pt has T2A4D: its S4U2self tickets are forwardable unless PU-1 applies.
  KdcEnv windows;
  KdcResult wt = Login(windows.kdc, windows.w.corp, "svc_pt");
  KdcResult w = S4U2Self(windows.kdc, windows.w.corp, wt.sealed, kPt, "carol@CORP.EXAMPLE");
  ASSERT_TRUE(IsAllowed(w, RuleId::kS4U1));
  EXPECT_TRUE(FlagClearedBy(w, "forwardable", RuleId::kPU1));
  KdcEnv samba(Profile::Heimdal());
  KdcResult st = Login(samba.kdc, samba.w.corp, "svc_pt");
  KdcResult s = S4U2Self(samba.kdc, samba.w.corp, st.sealed, kPt, "carol@CORP.EXAMPLE");
  ASSERT_TRUE(IsAllowed(s, RuleId::kS4U1));
  EXPECT_TRUE(FlagSetBy(s, "forwardable", RuleId::kAC3));
  EXPECT_THAT(ConsultedCodes(s.decision), Contains("PU-1"));
  EXPECT_THAT(FactStrings(s.decision), Contains("profile.protected_users_at_s4u2self=false"));
}

TEST(KdcFidelity, UD5_RootCauseNamedWhenForwardableWasNotAsked) {
  KdcEnv e;
  // bob is sensitive: his TGT is not forwardable (AC-1), so his client does not ask.
  KdcResult tgt = Login(e.kdc, e.w.corp, "bob");
  TgsOptions not_asked;
  not_asked.forwardable = false;
  KdcResult st = GetTicket(e.kdc, e.w.corp, tgt.sealed, kWeb, not_asked);
  ASSERT_TRUE(IsAllowed(st, RuleId::kDS9));
  EXPECT_THAT(ConsultedCodes(st.decision), Contains("UD-5"));
  EXPECT_THAT(CauseCodes(st.decision), Contains("AC-1"));
  // A non-forwardable logon: the root cause is the AS request (DS-8).
  LoginOptions no_fwd;
  no_fwd.forwardable = false;
  KdcResult plain =
      GetTicket(e.kdc, e.w.corp, Login(e.kdc, e.w.corp, "alice", no_fwd).sealed, kWeb, not_asked);
  EXPECT_THAT(CauseCodes(plain.decision), Contains("DS-8"));
}

}  // namespace
}  // namespace delegsim::kdc::testing
