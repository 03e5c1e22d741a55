// AC-2: userAccountControl bits in their AD (UF_*) and SAMR/PAC (USER_*) encodings, and the
// PAC of issued tickets carrying USER_* bits (RULES.md C11).
#include "kdc/uac.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "tests/kdc/kdc_fixture.h"

namespace delegsim::kdc::testing {
namespace {

using ::testing::Contains;

TEST(Uac, AC2_DelegationBitsMapBetweenAdAndSamr) {
  struct Pair {
    const char* name;
    uint32_t ad;
    uint32_t sam;
  };
  // The three values RULES.md AC-2 names, written out as numbers on purpose.
  const Pair pairs[] = {
      {"TRUSTED_FOR_DELEGATION", 0x00080000, 0x00002000},
      {"NOT_DELEGATED", 0x00100000, 0x00004000},
      {"TRUSTED_TO_AUTH_FOR_DELEGATION", 0x01000000, 0x00040000},
  };
  for (const Pair& p : pairs) {
    SCOPED_TRACE(p.name);
    EXPECT_EQ(UacToSamr(p.ad), p.sam);
    EXPECT_EQ(SamrToUac(p.sam), p.ad);
  }
  EXPECT_EQ(uf::kTrustedForDelegation, 0x00080000u);
  EXPECT_EQ(uf::kNotDelegated, 0x00100000u);
  EXPECT_EQ(uf::kTrustedToAuthForDelegation, 0x01000000u);
  EXPECT_EQ(samr::kUserTrustedForDelegation, 0x00002000u);
  EXPECT_EQ(samr::kUserNotDelegated, 0x00004000u);
  EXPECT_EQ(samr::kUserTrustedToAuthenticateForDelegation, 0x00040000u);
}

TEST(Uac, AC2_TheEncodingsAreNotInterchangeable) {
  // Reading an AD value as a SAMR one (or the reverse) gives a different flag: the trap.
  EXPECT_NE(UacToSamr(uf::kNotDelegated), uf::kNotDelegated);
  EXPECT_EQ(UacToSamr(uf::kNotDelegated) & samr::kUserPartialSecretsAccount, 0u);
  EXPECT_EQ(samr::kUserPartialSecretsAccount, uf::kNotDelegated);  // same number, other meaning
  EXPECT_EQ(SamrToUac(samr::kUserTrustedForDelegation), uf::kTrustedForDelegation);
  EXPECT_NE(SamrToUac(samr::kUserTrustedForDelegation), uf::kServerTrustAccount);
}

TEST(Uac, AC2_RoundTripsForEveryMappedBit) {
  uint32_t all_ad = 0;
  for (int bit = 0; bit < 32; ++bit) {
    uint32_t ad = 1u << bit;
    uint32_t sam = UacToSamr(ad);
    if (sam == 0) continue;  // no SAMR counterpart
    SCOPED_TRACE(bit);
    EXPECT_EQ(std::popcount(sam), 1);
    EXPECT_EQ(SamrToUac(sam), ad);
    all_ad |= ad;
  }
  EXPECT_EQ(SamrToUac(UacToSamr(all_ad)), all_ad);
  uint32_t typical = uf::kNormalAccount | uf::kNotDelegated | uf::kDontExpirePasswd;
  EXPECT_EQ(UacToSamr(typical),
            samr::kUserNormalAccount | samr::kUserNotDelegated | samr::kUserDontExpirePassword);
  EXPECT_EQ(SamrToUac(UacToSamr(typical)), typical);
  // Unmapped bits are dropped, not carried over.
  EXPECT_EQ(UacToSamr(0x80000000u), 0u);
  EXPECT_EQ(SamrToUac(0x80000000u), 0u);
}

TEST(Uac, AC2_IssuedTicketPacCarriesSamrBits) {
  KdcEnv e;
  KdcResult bob = Login(e.kdc, e.w.corp, "bob");
  ASSERT_TRUE(IsAllowed(bob, RuleId::kDS8));
  uint32_t pac = bob.ticket.pac().user_account_control();
  EXPECT_EQ(pac, samr::kUserNormalAccount | samr::kUserNotDelegated);
  EXPECT_EQ(pac & uf::kNotDelegated, 0u);  // not the AD value
  EXPECT_THAT(ConsultedCodes(bob.decision), Contains("AC-2"));
  EXPECT_THAT(FactStrings(bob.decision),
              Contains("bob.pac_uac=" +
                       std::to_string(samr::kUserNormalAccount | samr::kUserNotDelegated)));

  KdcResult td = Login(e.kdc, e.w.corp, "svc_td");
  EXPECT_EQ(td.ticket.pac().user_account_control(),
            samr::kUserNormalAccount | samr::kUserTrustedForDelegation);
  KdcResult pt = Login(e.kdc, e.w.corp, "svc_pt");
  EXPECT_EQ(pt.ticket.pac().user_account_control(),
            samr::kUserNormalAccount | samr::kUserTrustedToAuthenticateForDelegation);

  // The PAC travels into service, S4U2self and S4U2proxy tickets unchanged.
  KdcResult st = GetTicket(e.kdc, e.w.corp, bob.sealed, kWeb);
  EXPECT_EQ(st.ticket.pac().user_account_control(), pac);
  KdcResult self = S4U2Self(e.kdc, e.w.corp, pt.sealed, kPt, "bob");
  EXPECT_EQ(self.ticket.pac().user_account_control(), pac);
  KdcResult alice_self = S4U2Self(e.kdc, e.w.corp, pt.sealed, kPt, "alice");
  KdcResult proxy = S4U2Proxy(e.kdc, e.w.corp, pt.sealed, alice_self.sealed, kDb);
  ASSERT_TRUE(IsAllowed(proxy, RuleId::kKCD1));
  EXPECT_EQ(proxy.ticket.pac().user_account_control(), samr::kUserNormalAccount);
}

}  // namespace
}  // namespace delegsim::kdc::testing
