// Attacks on a running world over loopback TCP, driven from outside the nodes: a test
// peer (tests/net/test_peer.h) binds a simulated host's 127.x address, as any local
// process can, and speaks the framing, with or without the run secret.
//
//  - A forged NetLogon validation reply: from a stranger it never reaches the service;
//    from a member of the run it still becomes a logon only if its ids name principals.
//  - An ncalrpc call claiming to come from the service's own host: "same host" is the
//    runtime's word about the authenticated sender, never the call's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kdc/directory.h"
#include "kdc/ticket.h"
#include "net/asio_runtime.h"
#include "nodes/process_node.h"
#include "tests/chains/lab.h"
#include "tests/net/test_peer.h"

namespace delegsim::testing {
namespace {

using nodes::TraceKind;
using nodes::TraceRecord;
using ::testing::HasSubstr;

constexpr nodes::Time kBudgetMs = 5000;

// The facts a decision read, "name=value", in order.
std::vector<std::string> FactsOf(const v1::DecisionRecord& record) {
  std::vector<std::string> out;
  for (const Fact& f : kdc::FromRecord(record).Facts()) out.push_back(f.ToString());
  return out;
}

// Alice on ws1 calls service `a` over NTLM: `a` validates her by NetLogon pass-through to
// the domain controller, the request an attacker answers.
class WireAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_.scenario.objects = {{"doc", "a", "svc_a", {{"alice", true, {"read"}}}}};
    v1::CallSpec call = Lab::Call("a", "impersonate");
    call.set_package(v1::PACKAGE_NTLM);
    *call.add_ops() = Lab::Open("doc", "read");
    lab_.AddCall("c1", "alice", "ws1", call);
    StatusOr<std::unique_ptr<sim::World>> world =
        sim::World::Build(lab_.scenario, std::make_unique<net::AsioRuntime>());
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    world_ = std::move(world).value();
    runtime_ = static_cast<net::AsioRuntime*>(&world_->runtime());
    runtime_->CaptureMessages(true);
    runtime_->SetTraceSink([this](TraceRecord& r) {
      if (r.kind == TraceKind::kSend && r.message && r.message->has_ntlm_validate_req()) {
        netlogon_request_ = *r.message;
      }
      if (r.hop && r.path == "c1/a") hop_ = *r.hop;
      trace_.push_back(r);
    });
    ASSERT_TRUE(runtime_->Start().ok());
    const kdc::Directory& dir = world_->directory();
    kdc_ = *world_->topology().KdcNode(*dir.FindDomain("CORP.EXAMPLE"));
    service_ = world_->ServiceNode("a");
    client_ = world_->ClientNode("alice", "ws1");
    dc_address_ = runtime_->HostAddress(kdc_);
    bob_ = *dir.Find("bob");
  }

  // Starts the call and runs until `a` has sent its NetLogon request, before the domain
  // controller has read it.
  void RunUntilNetlogonRequest() {
    const sim::StepSpec& step = lab_.scenario.steps[0];
    runtime_->Post(client_, [this, &step](nodes::Node& node, nodes::NodeContext& ctx) {
      static_cast<nodes::ClientNode&>(node).StartCall(
          step.label, step.call, ctx,
          [this](const v1::HopResult&, nodes::NodeContext&) { done_ = true; });
    });
    ASSERT_TRUE(runtime_->RunUntil([&] { return netlogon_request_.has_value(); }, kBudgetMs).ok());
  }

  v1::Envelope ForgedNetlogonReply(uint32_t user, std::vector<uint32_t> groups) const {
    v1::Envelope forged;
    forged.set_from(kdc_);
    forged.set_to(service_);
    forged.set_correlation(netlogon_request_->correlation());
    v1::NtlmValidateRep* rep = forged.mutable_ntlm_validate_rep();
    rep->set_ok(true);
    rep->set_user(user);
    for (uint32_t g : groups) rep->add_groups(g);
    rep->mutable_decision()->set_verdict("allowed");
    rep->mutable_decision()->set_rule("DS-12");
    return forged;
  }

  // A member of the run playing the domain controller from its address.
  std::unique_ptr<TestPeer> AuthenticatedDomainController() {
    auto peer = TestPeer::Connect(dc_address_, runtime_->HostAddress(service_),
                                  runtime_->ListenPort(service_));
    if (peer == nullptr) return nullptr;
    peer->StartHandshake(runtime_->run_secret(), kdc_, service_);
    if (!runtime_->RunUntil([&] { return peer->AdvanceHandshake(); }, kBudgetMs).ok()) {
      return nullptr;
    }
    return peer;
  }

  std::vector<TraceRecord> Records(TraceKind kind, const std::string& node) const {
    std::vector<TraceRecord> out;
    for (const TraceRecord& r : trace_) {
      if (r.kind == kind && r.node == node) out.push_back(r);
    }
    return out;
  }

  std::string Steps() const {
    std::string out;
    for (const TraceRecord& r : trace_) {
      out += std::string(nodes::TraceKindName(r.kind)) + " " + r.node + " " + r.summary + "\n";
    }
    return out;
  }

  Lab lab_;
  std::unique_ptr<sim::World> world_;
  net::AsioRuntime* runtime_ = nullptr;
  std::vector<TraceRecord> trace_;
  std::optional<v1::Envelope> netlogon_request_;
  std::optional<v1::HopResult> hop_;
  bool done_ = false;
  nodes::NodeId kdc_ = 0;
  nodes::NodeId service_ = 0;
  nodes::NodeId client_ = 0;
  std::string dc_address_;
  kdc::PrincipalId bob_ = 0;
};

TEST_F(WireAttack, ForgedNetlogonReplyFromAStrangerNeverReachesTheService) {
  // From the DC's own address, naming bob, with the right correlation: before connections
  // were authenticated, `a` impersonated bob.
  RunUntilNetlogonRequest();
  auto stranger = TestPeer::Connect(dc_address_, runtime_->HostAddress(service_),
                                    runtime_->ListenPort(service_));
  ASSERT_NE(stranger, nullptr);
  ASSERT_TRUE(stranger->SendEnvelope(ForgedNetlogonReply(bob_, {})));
  ASSERT_TRUE(runtime_->RunUntil([&] { return done_; }, kBudgetMs).ok()) << Steps();
  ASSERT_TRUE(hop_.has_value()) << Steps();
  EXPECT_EQ(hop_->verdict(), "allowed") << Steps();
  EXPECT_EQ(hop_->identity(), "alice@CORP.EXAMPLE");  // the real DC's answer
  std::vector<TraceRecord> drops = Records(TraceKind::kDrop, "a");
  ASSERT_EQ(drops.size(), 1u) << Steps();
  EXPECT_THAT(drops[0].summary, HasSubstr("unauthenticated connection " + dc_address_ + ":"));
  EXPECT_THAT(drops[0].summary, HasSubstr("nothing it sent is delivered"));
}

TEST_F(WireAttack, NetlogonReplyNamingNoPrincipalIsRefusedNotACrash) {
  // Even a member of the run (it holds the secret) cannot make an id that names nothing a
  // logon: an out-of-range user once crashed the process in Directory::Get.
  auto dc = AuthenticatedDomainController();
  ASSERT_NE(dc, nullptr);
  RunUntilNetlogonRequest();
  ASSERT_TRUE(dc->SendEnvelope(ForgedNetlogonReply(4'000'000'000u, {})));
  ASSERT_TRUE(runtime_->RunUntil([&] { return done_; }, kBudgetMs).ok()) << Steps();
  ASSERT_TRUE(hop_.has_value());
  EXPECT_EQ(hop_->verdict(), "denied");
  EXPECT_EQ(hop_->identity(), "");
  EXPECT_EQ(hop_->decision().rule(), "DS-12");
  EXPECT_EQ(hop_->decision().error(), "STATUS_LOGON_FAILURE");
  EXPECT_THAT(FactsOf(hop_->decision()), ::testing::ElementsAre("user_id=4000000000"));
  std::vector<TraceRecord> refused = Records(TraceKind::kCallRefused, "a");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].Rules().front(), "DS-12");
}

TEST_F(WireAttack, NetlogonReplyWithAGroupIdThatIsNoGroupIsRefused) {
  auto dc = AuthenticatedDomainController();
  ASSERT_NE(dc, nullptr);
  RunUntilNetlogonRequest();
  const kdc::PrincipalId alice = *world_->directory().Find("alice");
  // bob is an account, not a group: it cannot be smuggled in as one of alice's groups.
  ASSERT_TRUE(dc->SendEnvelope(ForgedNetlogonReply(alice, {bob_})));
  ASSERT_TRUE(runtime_->RunUntil([&] { return done_; }, kBudgetMs).ok()) << Steps();
  ASSERT_TRUE(hop_.has_value());
  EXPECT_EQ(hop_->verdict(), "denied");
  EXPECT_EQ(hop_->decision().rule(), "DS-12");
  EXPECT_THAT(FactsOf(hop_->decision()),
              ::testing::ElementsAre("group_id=" + std::to_string(bob_)));
}

TEST_F(WireAttack, NcalrpcCallClaimingTheServicesHostIsRefusedByTheAttestedSender) {
  // A member of the run on ws1 claims to be a local ncalrpc caller on `a`'s host, with
  // bob's logon session and no credential at all. The runtime knows the sender is on ws1.
  auto peer = TestPeer::Connect(runtime_->HostAddress(client_), runtime_->HostAddress(service_),
                                runtime_->ListenPort(service_));
  ASSERT_NE(peer, nullptr);
  peer->StartHandshake(runtime_->run_secret(), client_, service_);
  ASSERT_TRUE(runtime_->RunUntil([&] { return peer->AdvanceHandshake(); }, kBudgetMs).ok());
  v1::Envelope call;
  call.set_from(client_);
  call.set_to(service_);
  call.set_correlation(1);
  v1::Call* c = call.mutable_call();
  c->set_path("x1/a");
  c->set_service("a");
  c->set_from_host("a");  // the lie
  c->set_transport(v1::TRANSPORT_NCALRPC);
  c->set_package(v1::PACKAGE_NTLM);
  c->set_requested_level(v1::LEVEL_IMPERSONATE);
  c->mutable_local_session()->set_user(bob_);
  c->mutable_local_session()->set_host("a");
  *c->add_ops() = Lab::Open("doc", "read");
  ASSERT_TRUE(peer->SendEnvelope(call));
  std::optional<v1::Envelope> reply;
  ASSERT_TRUE(
      runtime_->RunUntil([&] { return (reply = peer->NextEnvelope()).has_value(); }, kBudgetMs)
          .ok())
      << Steps();
  ASSERT_TRUE(reply->has_call_reply());
  const v1::HopResult& hop = reply->call_reply().result();
  EXPECT_EQ(hop.verdict(), "denied");
  EXPECT_EQ(hop.identity(), "");
  EXPECT_EQ(hop.decision().rule(), "DS-3");
  EXPECT_EQ(hop.decision().error(), "RPC_S_PROTSEQ_NOT_SUPPORTED");
  EXPECT_THAT(FactsOf(hop.decision()), ::testing::Contains("sender_on_host=false"));
  EXPECT_TRUE(Records(TraceKind::kImpersonate, "a").empty()) << Steps();
}

TEST_F(WireAttack, NcalrpcCallFromAStrangerOnTheServicesHostIsDropped) {
  // On `a`'s own address, claiming to be alice's session: without the secret, dropped.
  auto stranger =
      TestPeer::Connect(runtime_->HostAddress(service_), runtime_->HostAddress(service_),
                        runtime_->ListenPort(service_));
  ASSERT_NE(stranger, nullptr);
  v1::Envelope call;
  call.set_from(client_);
  call.set_to(service_);
  call.set_correlation(1);
  call.mutable_call()->set_path("x1/a");
  call.mutable_call()->set_from_host("a");
  call.mutable_call()->set_transport(v1::TRANSPORT_NCALRPC);
  call.mutable_call()->mutable_local_session()->set_user(bob_);
  ASSERT_TRUE(stranger->SendEnvelope(call));
  ASSERT_TRUE(runtime_->RunUntil([&] { return !stranger->Poll(); }, kBudgetMs).ok());
  EXPECT_EQ(stranger->NextEnvelope(), std::nullopt);
  EXPECT_TRUE(Records(TraceKind::kImpersonate, "a").empty());
  EXPECT_TRUE(Records(TraceKind::kCallRefused, "a").empty());
  ASSERT_EQ(Records(TraceKind::kDrop, "a").size(), 1u);
}

}  // namespace
}  // namespace delegsim::testing
