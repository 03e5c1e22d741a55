// End-to-end chains through real nodes (virtual runtime), one per example of the seed
// documents and the issue: each asserts the identity seen, the level, net_creds and the
// exact rule ids that decided.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/chains/lab.h"

namespace delegsim::testing {
namespace {

using ::testing::Contains;
using ::testing::Not;

constexpr char kAlice[] = "alice@CORP.EXAMPLE";

class Chains : public ::testing::Test {
 protected:
  std::unique_ptr<sim::World> RunLab() {
    world_ = lab_.Run("virtual");
    EXPECT_NE(world_, nullptr);
    return nullptr;
  }
  const v1::HopResult& Hop(const std::string& path) {
    const v1::HopResult* h = FindHop(*world_, path);
    if (!h) {
      ADD_FAILURE() << "no hop " << path << "\n" << TraceText(*world_);
      static v1::HopResult empty;
      return empty;
    }
    return *h;
  }
  std::string Explain() { return TraceText(*world_); }

  Lab lab_;
  std::unique_ptr<sim::World> world_;
};

TEST_F(Chains, DelegateThroughTrustedServerReachesTheBackEnd) {
  lab_.Account("svc_a").trusted_for_delegation = true;
  v1::CallSpec c = Lab::Call("a", "delegate");
  Lab::Then(c, Lab::Call("b", "impersonate"));
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(a.verdict(), "allowed") << Explain();
  EXPECT_EQ(a.identity(), kAlice);
  EXPECT_EQ(LevelOf(a), "delegate");
  EXPECT_EQ(a.net_creds(), "tgt");
  EXPECT_THAT(HopRules(a), Contains("UD-3"));
  EXPECT_THAT(HopRules(a), Contains("IL-5"));
  const v1::HopResult& b = Hop("c1/a/b");
  EXPECT_EQ(b.verdict(), "allowed") << Explain();
  EXPECT_EQ(b.identity(), kAlice);
  EXPECT_EQ(LevelOf(b), "impersonate");
}

TEST_F(Chains, DelegateThroughUntrustedServerFailsWithSecPkgError) {
  v1::CallSpec c = Lab::Call("a", "delegate");
  Lab::Then(c, Lab::Call("b", "impersonate"));
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(a.verdict(), "denied");
  EXPECT_EQ(a.decision().rule(), "MA-2");
  EXPECT_EQ(a.decision().error(), "RPC_S_SEC_PKG_ERROR");
  EXPECT_THAT(HopRules(a), Contains("UD-2"));
}

TEST_F(Chains, UntrustedServerWithIgnoreDelegateFailureLeavesBackEndNothingUsable) {
  v1::CallSpec c = Lab::Call("a", "delegate");
  c.set_ignore_delegate_failure(true);
  Lab::Then(c, Lab::Call("b", "impersonate"));
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(a.verdict(), "allowed") << Explain();
  EXPECT_EQ(LevelOf(a), "impersonate");
  // KCD-7: without a TGT the hop keeps alice's ticket as S4U2proxy evidence; svc_a has no
  // A2D2, so the list is empty and the KDC decides any onward target.
  EXPECT_EQ(a.net_creds(), "s4u_proxy{}");
  EXPECT_THAT(HopRules(a), Contains("MA-2"));
  EXPECT_THAT(HopRules(a), Contains("IL-4"));
  const v1::HopResult& b = Hop("c1/a/b");
  EXPECT_EQ(b.verdict(), "denied");
  EXPECT_EQ(b.identity(), "");
  // No A2D2 entry (KCD-1) and no RBCD descriptor on svc_b: the KDC refuses (RB-1).
  EXPECT_EQ(b.decision().rule(), "RB-1");
  EXPECT_EQ(b.decision().error(), "KDC_ERR_BADOPTION");
  EXPECT_THAT(HopRules(b), Contains("IL-4"));
}

TEST_F(Chains, PayStubAliceReadsHersNotBobs) {
  lab_.scenario.objects = {
      {"paystub-alice", "a", "svc_a", {{"alice", true, {"read"}}, {"svc_a", true, {"full"}}}},
      {"paystub-bob", "a", "svc_a", {{"bob", true, {"read"}}, {"svc_a", true, {"full"}}}}};
  v1::CallSpec c = Lab::Call("a", "impersonate");
  *c.add_ops() = Lab::Open("paystub-alice", "read");
  *c.add_ops() = Lab::Open("paystub-bob", "read");
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  ASSERT_EQ(a.ops_size(), 2) << Explain();
  EXPECT_EQ(a.ops(0).verdict(), "allowed");
  EXPECT_EQ(a.ops(0).identity(), kAlice);
  EXPECT_EQ(a.ops(0).decision().rule(), "TK-11");
  EXPECT_EQ(a.ops(1).verdict(), "denied");
  EXPECT_EQ(a.ops(1).decision().rule(), "TK-11");
  EXPECT_EQ(a.ops(1).decision().error(), "ERROR_ACCESS_DENIED");
}

class NcalrpcChains : public Chains {
 protected:
  void SetUp() override {
    lab_.Account("svc_lb").kind = sim::AccountKind::kService;
    lab_.Account("svc_lb").spns = {"http/lb.corp.example"};
    sim::ServiceSpec& lb = lab_.Service("lb");
    lb.host = "ws1";
    lb.account = "svc_lb";
  }
};

TEST_F(NcalrpcChains, LocalServerMakesOneNetworkHopAsTheClient) {
  v1::CallSpec c = Lab::Call("lb", "impersonate", v1::TRANSPORT_NCALRPC);
  v1::CallSpec& rb = Lab::Then(c, Lab::Call("b", "impersonate"));
  Lab::Then(rb, Lab::Call("c", "impersonate"));
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& lbh = Hop("c1/lb");
  EXPECT_EQ(lbh.verdict(), "allowed") << Explain();
  EXPECT_EQ(lbh.net_creds(), "own_session");
  EXPECT_THAT(HopRules(lbh), Contains("LC-1"));
  const v1::HopResult& rbh = Hop("c1/lb/b");
  EXPECT_EQ(rbh.verdict(), "allowed") << Explain();
  EXPECT_EQ(rbh.identity(), kAlice);
  EXPECT_EQ(LevelOf(rbh), "impersonate");
  EXPECT_EQ(rbh.net_creds(), "s4u_proxy{}");  // KCD-7: evidence only, svc_b has no A2D2
  EXPECT_THAT(HopRules(rbh), Contains("LC-2"));
  const v1::HopResult& ch = Hop("c1/lb/b/c");
  EXPECT_EQ(ch.verdict(), "denied");
  // The KDC refuses the S4U2proxy request (KCD-1 without the RBCD bit's allowance, RB-1).
  EXPECT_EQ(ch.decision().rule(), "RB-1");
  EXPECT_EQ(ch.decision().error(), "KDC_ERR_BADOPTION");
  EXPECT_THAT(HopRules(ch), Contains("LC-2"));
}

TEST_F(NcalrpcChains, LocalServerAskingDelegateLetsTheRemoteServerGoOn) {
  lab_.Account("svc_b").trusted_for_delegation = true;
  v1::CallSpec c = Lab::Call("lb", "impersonate", v1::TRANSPORT_NCALRPC);
  v1::CallSpec& rb = Lab::Then(c, Lab::Call("b", "delegate"));
  Lab::Then(rb, Lab::Call("c", "impersonate"));
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& rbh = Hop("c1/lb/b");
  EXPECT_EQ(LevelOf(rbh), "delegate") << Explain();
  EXPECT_EQ(rbh.net_creds(), "tgt");
  const v1::HopResult& ch = Hop("c1/lb/b/c");
  EXPECT_EQ(ch.verdict(), "allowed") << Explain();
  EXPECT_EQ(ch.identity(), kAlice);
}

TEST_F(Chains, NtlmHopAcrossComputersCarriesNoCredentials) {
  v1::CallSpec c = Lab::Call("a", "delegate");
  c.set_package(v1::PACKAGE_NTLM);
  Lab::Then(c, Lab::Call("b", "impersonate"));
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(a.verdict(), "allowed") << Explain();
  EXPECT_EQ(a.package(), v1::PACKAGE_NTLM);
  EXPECT_EQ(LevelOf(a), "impersonate");
  EXPECT_EQ(a.net_creds(), "none");
  EXPECT_THAT(HopRules(a), Contains("PK-2"));
  const v1::HopResult& b = Hop("c1/a/b");
  EXPECT_EQ(b.verdict(), "denied");
  EXPECT_THAT(HopRules(b), Contains("PK-2"));
}

TEST_F(Chains, AnonymousOverTcpBecomesIdentify) {
  lab_.AddCall("c1", "alice", "ws1", Lab::Call("a", "anonymous"));
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(LevelOf(a), "identify") << Explain();
  EXPECT_EQ(a.decision().rule(), "TR-1");
  EXPECT_EQ(a.identity(), kAlice);
}

TEST_F(Chains, IdentifyCanCheckButNotOpen) {
  lab_.scenario.objects = {{"doc", "a", "svc_a", {{"alice", true, {"read"}}}}};
  v1::CallSpec c = Lab::Call("a", "identify");
  *c.add_ops() = Lab::Open("doc", "read", /*check_only=*/true);
  *c.add_ops() = Lab::Open("doc", "read");
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  ASSERT_EQ(a.ops_size(), 2) << Explain();
  EXPECT_EQ(a.ops(0).verdict(), "allowed");
  EXPECT_EQ(a.ops(0).decision().rule(), "IL-3");
  EXPECT_EQ(a.ops(1).verdict(), "denied");
  EXPECT_EQ(a.ops(1).decision().rule(), "IL-3");
  EXPECT_EQ(a.ops(1).decision().error(), "ERROR_BAD_IMPERSONATION_LEVEL");
}

TEST_F(Chains, CreateProcessWhileImpersonatingRunsAsTheService) {
  lab_.scenario.objects = {{"svc-only", "a", "svc_a", {{"svc_a", true, {"read"}}}}};
  v1::CallSpec c = Lab::Call("a", "impersonate");
  v1::Operation op;
  *op.mutable_create_process()->add_ops() = Lab::Open("svc-only", "read");
  *c.add_ops() = op;
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  ASSERT_EQ(a.ops_size(), 2) << Explain();
  EXPECT_EQ(a.ops(0).decision().rule(), "TK-2");
  EXPECT_EQ(a.ops(0).identity(), "svc_a@CORP.EXAMPLE");
  EXPECT_EQ(a.ops(1).verdict(), "allowed");
  EXPECT_EQ(a.ops(1).identity(), "svc_a@CORP.EXAMPLE");
}

TEST_F(Chains, DuplicatedTokenProcessHasNoNetworkCredentialsButLogonUserHas) {
  v1::CallSpec c = Lab::Call("a", "impersonate");
  v1::Operation dup;
  *dup.mutable_create_process_as_user()->add_ops()->mutable_call() = Lab::Call("b", "impersonate");
  *c.add_ops() = dup;
  v1::Operation logon;
  logon.mutable_logon_user()->set_user("bob");
  logon.mutable_logon_user()->set_password("bob-pw");
  v1::CallSpec to_b = Lab::Call("b", "impersonate");
  to_b.set_label("b-as-bob");
  *logon.mutable_logon_user()->add_ops()->mutable_call() = to_b;
  *c.add_ops() = logon;
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(a.ops(0).decision().rule(), "TK-5") << Explain();
  const v1::HopResult& dup_b = Hop("c1/a/b");
  EXPECT_EQ(dup_b.verdict(), "denied");
  EXPECT_THAT(HopRules(dup_b), Contains("TK-5"));
  const v1::HopResult& bob_b = Hop("c1/a/b-as-bob");
  EXPECT_EQ(bob_b.verdict(), "allowed") << Explain();
  EXPECT_EQ(bob_b.identity(), "bob@CORP.EXAMPLE");
  ASSERT_GE(a.ops_size(), 2);
  EXPECT_EQ(a.ops(1).decision().rule(), "TK-6");
}

TEST_F(Chains, SensitiveUserThroughTrustedServerGetsNoDelegation) {
  lab_.Account("svc_a").trusted_for_delegation = true;
  lab_.Account("bob").not_delegated = true;
  v1::CallSpec c = Lab::Call("a", "delegate");
  c.set_ignore_delegate_failure(true);
  Lab::Then(c, Lab::Call("b", "impersonate"));
  lab_.AddCall("c1", "bob", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(LevelOf(a), "impersonate") << Explain();
  EXPECT_EQ(a.net_creds(), "s4u_proxy{}");  // KCD-7: bob's ticket kept as evidence only
  EXPECT_THAT(HopRules(a), Contains("UD-4"));
  EXPECT_THAT(HopRules(a), Contains("AC-1"));
  EXPECT_EQ(Hop("c1/a/b").verdict(), "denied");
}

TEST_F(Chains, NoMutualAuthenticationNoDelegation) {
  lab_.Account("svc_a").trusted_for_delegation = true;
  v1::CallSpec c = Lab::Call("a", "delegate");
  c.set_mutual(false);
  c.set_ignore_delegate_failure(true);
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(LevelOf(a), "impersonate") << Explain();
  EXPECT_THAT(HopRules(a), Contains("MA-1"));
  EXPECT_EQ(a.net_creds(), "s4u_proxy{}");  // KCD-7: no TGT, the ticket kept as evidence
}

TEST_F(Chains, RemoteNamedPipeLevelFollowsTheServerAccount) {
  lab_.Account("svc_a").trusted_for_delegation = true;
  lab_.AddCall("c1", "alice", "ws1", Lab::Call("a", "identify", v1::TRANSPORT_NCACN_NP));
  lab_.AddCall("c2", "alice", "ws1", Lab::Call("b", "identify", v1::TRANSPORT_NCACN_NP));
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(LevelOf(a), "delegate") << Explain();
  EXPECT_EQ(a.decision().rule(), "TR-2");
  EXPECT_THAT(HopRules(a), Contains("TR-3"));
  const v1::HopResult& b = Hop("c2/b");
  EXPECT_EQ(LevelOf(b), "impersonate");
  EXPECT_EQ(b.decision().rule(), "TR-2");
}

TEST_F(Chains, SchannelIsCappedAtImpersonate) {
  v1::CallSpec c = Lab::Call("a", "delegate");
  c.set_package(v1::PACKAGE_SCHANNEL);
  lab_.AddCall("c1", "alice", "ws1", c);
  RunLab();
  const v1::HopResult& a = Hop("c1/a");
  EXPECT_EQ(LevelOf(a), "impersonate") << Explain();
  EXPECT_EQ(a.decision().rule(), "PK-3");
}

// A front door that signs users in itself (forms): the user's password proves who it is
// (DS-12); a forwarded TGT cannot answer a sign-in form, so a service holding only that
// is refused at the caller.
TEST_F(Chains, FormsSignInNeedsThePasswordNotADelegatedTicket) {
  lab_.Account("svc_a").trusted_for_delegation = true;
  v1::CallSpec c = Lab::Call("a", "delegate");
  v1::CallSpec form = Lab::Call("b", "impersonate");
  form.set_package(v1::PACKAGE_FORMS);
  Lab::Then(c, form);
  lab_.AddCall("c1", "alice", "ws1", c);
  v1::CallSpec direct = Lab::Call("b", "impersonate");
  direct.set_package(v1::PACKAGE_FORMS);
  lab_.AddCall("c2", "alice", "ws1", direct);
  RunLab();
  const v1::HopResult& refused = Hop("c1/a/b");
  EXPECT_EQ(refused.verdict(), "denied") << Explain();
  EXPECT_EQ(refused.decision().rule(), "DS-12");
  EXPECT_EQ(refused.decision().error(), "STATUS_LOGON_FAILURE");
  const v1::HopResult& signed_in = Hop("c2/b");
  EXPECT_EQ(signed_in.verdict(), "allowed") << Explain();
  EXPECT_EQ(signed_in.identity(), kAlice);
  EXPECT_EQ(signed_in.package(), v1::PACKAGE_FORMS);
  EXPECT_EQ(signed_in.net_creds(), "none");  // no T2A4D: nothing to reach further with
  EXPECT_THAT(HopRules(signed_in), Contains("DS-12"));
  EXPECT_THAT(HopRules(signed_in), Contains("PK-1"));
}

}  // namespace
}  // namespace delegsim::testing
