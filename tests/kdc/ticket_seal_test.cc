// DS-1: a ticket sealed with the wrong key, or changed after sealing, is refused: by the
// KDC as header ticket and as S4U2proxy evidence (KRB_AP_ERR_MODIFIED), and by kdc::Open
// (kUnauthenticated).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>

#include "kdc/crypto.h"
#include "tests/kdc/kdc_fixture.h"

namespace delegsim::kdc::testing {
namespace {

using ::testing::Contains;

constexpr char kModified[] = "KRB_AP_ERR_MODIFIED";

// The ways a sealed ticket can be tampered with.
v1::SealedTicket SealedWithWrongKey(const v1::TicketBody& body) { return Seal(body, "wrong key"); }

v1::SealedTicket FlipByte(v1::SealedTicket s) {
  std::string& body = *s.mutable_body();
  body[body.size() / 2] = static_cast<char>(body[body.size() / 2] ^ 0x01);
  return s;
}

// The Bronze Bit move: FORWARDABLE set in the body, the old MAC kept.
v1::SealedTicket ForwardableKeepingMac(const v1::SealedTicket& s) {
  v1::TicketBody body;
  EXPECT_TRUE(body.ParseFromString(s.body()));
  SetFlag(body, v1::TICKET_FLAG_FORWARDABLE, true);
  v1::SealedTicket out = s;
  body.SerializeToString(out.mutable_body());
  return out;
}

class TicketSeal : public ::testing::Test {
 protected:
  KdcEnv e_;
};

TEST_F(TicketSeal, DS1_ForgedHeaderTgtIsModified) {
  KdcResult tgt = Login(e_.kdc, e_.w.corp, "alice");
  ASSERT_TRUE(IsAllowed(tgt, RuleId::kDS8));
  KdcResult r = GetTicket(e_.kdc, e_.w.corp, SealedWithWrongKey(tgt.ticket), kWeb);
  EXPECT_TRUE(IsDenied(r, RuleId::kDS1, kModified));
  EXPECT_THAT(FactStrings(r.decision), Contains("header.seal_valid=false"));
  // The genuine TGT passes.
  EXPECT_TRUE(IsAllowed(GetTicket(e_.kdc, e_.w.corp, tgt.sealed, kWeb), RuleId::kDS9));
}

TEST_F(TicketSeal, DS1_HeaderTgtWithFlippedByteIsModified) {
  KdcResult tgt = Login(e_.kdc, e_.w.corp, "alice");
  EXPECT_TRUE(
      IsDenied(GetTicket(e_.kdc, e_.w.corp, FlipByte(tgt.sealed), kWeb), RuleId::kDS1, kModified));
}

TEST_F(TicketSeal, DS1_HeaderTgtMadeForwardableAfterSealingIsModified) {
  KdcResult tgt = Login(e_.kdc, e_.w.corp, "bob");  // ND: not forwardable
  ASSERT_FALSE(HasFlag(tgt.ticket, v1::TICKET_FLAG_FORWARDABLE));
  KdcResult fwd = ForwardTgt(e_.kdc, e_.w.corp, ForwardableKeepingMac(tgt.sealed));
  EXPECT_TRUE(IsDenied(fwd, RuleId::kDS1, kModified));
}

TEST_F(TicketSeal, DS1_ServiceTicketPassedOffAsTgtIsModified) {
  // A service ticket relabelled "krbtgt/CORP.EXAMPLE" in clear: the krbtgt key does not
  // verify its seal.
  KdcResult st = UserTicket(e_.kdc, e_.w.corp, "alice", kWeb);
  v1::SealedTicket relabelled = st.sealed;
  relabelled.set_sname("krbtgt/CORP.EXAMPLE");
  EXPECT_TRUE(IsDenied(GetTicket(e_.kdc, e_.w.corp, relabelled, kDb), RuleId::kDS1, kModified));
}

TEST_F(TicketSeal, DS1_ForgedEvidenceIsModified) {
  KdcResult kcd_tgt = Login(e_.kdc, e_.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e_.kdc, e_.w.corp, "alice", kKcd);
  ASSERT_TRUE(IsAllowed(alice_st, RuleId::kDS9));
  KdcResult r =
      S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed, SealedWithWrongKey(alice_st.ticket), kDb);
  EXPECT_TRUE(IsDenied(r, RuleId::kDS1, kModified));
  EXPECT_THAT(FactStrings(r.decision), Contains("evidence.seal_valid=false"));
  // Sealed with another service's key (svc_web's) it is just as forged.
  EXPECT_TRUE(IsDenied(S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed,
                                 Seal(alice_st.ticket, e_.w.dir.KeyOf(e_.w.svc_web)), kDb),
                       RuleId::kDS1, kModified));
  // The genuine evidence passes.
  EXPECT_TRUE(
      IsAllowed(S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed, alice_st.sealed, kDb), RuleId::kKCD1));
}

TEST_F(TicketSeal, DS1_AlteredEvidenceIsModified) {
  KdcResult kcd_tgt = Login(e_.kdc, e_.w.corp, "svc_kcd");
  KdcResult alice_st = UserTicket(e_.kdc, e_.w.corp, "alice", kKcd);
  EXPECT_TRUE(IsDenied(S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed, FlipByte(alice_st.sealed), kDb),
                       RuleId::kDS1, kModified));
}

TEST_F(TicketSeal, DS1_S4U2SelfEvidenceMadeForwardableKeepingTheMacIsModified) {
  // svc_kcd's S4U2self ticket is not forwardable (S4U-2); setting the bit without the key
  // breaks the seal, so protocol transition still fails, now by DS-1.
  KdcResult kcd_tgt = Login(e_.kdc, e_.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e_.kdc, e_.w.corp, kcd_tgt.sealed, kKcd, "alice");
  ASSERT_FALSE(HasFlag(self.ticket, v1::TICKET_FLAG_FORWARDABLE));
  EXPECT_TRUE(IsDenied(
      S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed, ForwardableKeepingMac(self.sealed), kDb),
      RuleId::kDS1, kModified));
  // The same evidence untouched is refused by S4U-3, not DS-1.
  EXPECT_TRUE(IsDenied(S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed, self.sealed, kDb),
                       RuleId::kS4U3, "KDC_ERR_BADOPTION"));
}

// A service knows its own long-term key, so it can re-seal its non-forwardable S4U2self
// ticket with FORWARDABLE set (CVE-2020-17049, "Bronze Bit"). The KDC signature on every
// ticket (SealedTicket.kdc_mac), which the service cannot forge, makes that evidence DS-1.
TEST_F(TicketSeal, DS1_BronzeBitResealedWithServiceKeyIsModified) {
  KdcResult kcd_tgt = Login(e_.kdc, e_.w.corp, "svc_kcd");
  KdcResult self = S4U2Self(e_.kdc, e_.w.corp, kcd_tgt.sealed, kKcd, "alice");
  v1::TicketBody body = self.ticket;
  SetFlag(body, v1::TICKET_FLAG_FORWARDABLE, true);
  v1::SealedTicket resealed = Seal(body, e_.w.dir.KeyOf(e_.w.svc_kcd));
  EXPECT_TRUE(IsDenied(S4U2Proxy(e_.kdc, e_.w.corp, kcd_tgt.sealed, resealed, kDb), RuleId::kDS1,
                       kModified));
}

TEST_F(TicketSeal, DS1_OpenRejectsForgedAndAlteredTickets) {
  KdcResult tgt = Login(e_.kdc, e_.w.corp, "bob");
  const std::string key = e_.w.dir.KrbtgtKey(e_.w.corp);

  StatusOr<v1::TicketBody> good = Open(tgt.sealed, key);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->SerializeAsString(), tgt.ticket.SerializeAsString());

  struct Case {
    const char* name;
    v1::SealedTicket sealed;
    std::string key;
  };
  v1::SealedTicket renamed = tgt.sealed;
  renamed.set_realm("EMEA.CORP.EXAMPLE");
  const Case cases[] = {
      {"wrong key", SealedWithWrongKey(tgt.ticket), key},
      {"flipped byte", FlipByte(tgt.sealed), key},
      {"forwardable set, old mac", ForwardableKeepingMac(tgt.sealed), key},
      {"right seal, opened with another key", tgt.sealed, e_.w.dir.KeyOf(e_.w.bob)},
      {"empty key", tgt.sealed, ""},
      {"clear-text realm differs from the body", renamed, key},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    StatusOr<v1::TicketBody> t = Open(c.sealed, c.key);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kUnauthenticated) << t.status().ToString();
  }
}

TEST_F(TicketSeal, DS1_OpenChecksTheSealBeforeDecoding) {
  v1::SealedTicket s;
  s.set_realm("CORP.EXAMPLE");
  s.set_sname("krbtgt/CORP.EXAMPLE");
  s.set_body("\xff\xff\xff");  // not a TicketBody
  s.set_mac(Hmac("k", s.body()));
  StatusOr<v1::TicketBody> sealed_garbage = Open(s, "k");
  ASSERT_FALSE(sealed_garbage.ok());
  EXPECT_EQ(sealed_garbage.status().code(), StatusCode::kInvalidArgument);
  StatusOr<v1::TicketBody> forged_garbage = Open(s, "other");
  ASSERT_FALSE(forged_garbage.ok());
  EXPECT_EQ(forged_garbage.status().code(), StatusCode::kUnauthenticated);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block is hashed first); each
// twice, since the second call uses the cached padded key.
TEST(Hmac, MatchesRfc4231) {
  const std::string long_key(131, '\xaa');
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(Hex(Hmac(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(Hex(Hmac("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(Hex(Hmac(long_key, "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  EXPECT_NE(Hmac("Jefe", "a"), Hmac("jefe", "a"));
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// RFC 5869 test cases 1 and 3: the PRK of HKDF-Extract with SHA-256 (case 3: no salt,
// which HKDF treats as HashLen zero bytes).
TEST(DeriveKey, MatchesRfc5869Extract) {
  const std::string ikm(22, '\x0b');
  EXPECT_EQ(Hex(DeriveKey(Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), ikm)),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  EXPECT_EQ(Hex(DeriveKey("", ikm)),
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
}

// HKDF-Extract is HMAC keyed with the salt: keys derived before the move to EVP_KDF are
// the same bytes, so seals and golden traces do not change.
TEST(DeriveKey, EqualsHmacKeyedWithTheSalt) {
  for (const char* input : {"key|corp.example|alice", "x", "ca|corp.example", ""}) {
    EXPECT_EQ(DeriveKey("salt|corp.example|alice", input), Hmac("salt|corp.example|alice", input))
        << input;
  }
  EXPECT_EQ(DeriveKey("salt", "password").size(), 32u);
}

}  // namespace
}  // namespace delegsim::kdc::testing
