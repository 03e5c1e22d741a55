// The same chains under the virtual runtime and over loopback TCP must take identical
// decisions: same hops, verdicts, identities, levels, net_creds, rules and operations.
#include <gtest/gtest.h>

#include <functional>

#include "sim/results.h"
#include "tests/chains/lab.h"

namespace delegsim::testing {
namespace {

// Everything decision-relevant about a world's outcomes, as comparable text.
std::string Decisions(const sim::World& world) {
  std::string out;
  for (const v1::HopResult* h : sim::AllHops(world.outcomes())) {
    out += h->path() + " " + h->verdict() + " id=" + h->identity() + " level=" + sim::HopLevel(*h) +
           " creds=" + h->net_creds() + " rule=" + h->decision().rule() +
           " error=" + h->decision().error() + " rules=";
    for (const std::string& r : sim::HopRules(*h)) out += r + ",";
    for (const v1::OpResult& op : h->ops()) {
      out += " | " + op.op() + " " + op.target() + " " + op.verdict() + " " + op.decision().rule();
    }
    out += "\n";
  }
  return out;
}

Lab BigLab() {
  Lab lab;
  lab.Account("svc_a").trusted_for_delegation = true;
  lab.Account("bob").not_delegated = true;
  lab.Account("svc_lb").kind = sim::AccountKind::kService;
  lab.Account("svc_lb").spns = {"http/lb.corp.example"};
  sim::ServiceSpec& lb = lab.Service("lb");
  lb.host = "ws1";
  lb.account = "svc_lb";
  lab.Account("svc_b").allowed_to_delegate_to = {"http/c.corp.example"};
  lab.scenario.objects = {{"doc", "a", "svc_a", {{"alice", true, {"read"}}}}};

  v1::CallSpec c1 = Lab::Call("a", "delegate");
  *c1.add_ops() = Lab::Open("doc", "read");
  v1::CallSpec& b = Lab::Then(c1, Lab::Call("b", "impersonate"));
  Lab::Then(b, Lab::Call("c", "impersonate"));  // KCD from b to c
  lab.AddCall("c1", "alice", "ws1", c1);

  v1::CallSpec c2 = Lab::Call("a", "delegate");
  c2.set_ignore_delegate_failure(true);
  Lab::Then(c2, Lab::Call("b", "impersonate"));
  lab.AddCall("c2", "bob", "ws1", c2);  // sensitive: no delegation

  v1::CallSpec c3 = Lab::Call("lb", "impersonate", v1::TRANSPORT_NCALRPC);
  v1::CallSpec& rb = Lab::Then(c3, Lab::Call("b", "impersonate"));
  Lab::Then(rb, Lab::Call("c", "impersonate"));
  lab.AddCall("c3", "alice", "ws1", c3);

  v1::CallSpec c4 = Lab::Call("a", "identify", v1::TRANSPORT_NCACN_NP);
  lab.AddCall("c4", "alice", "ws1", c4);

  v1::CallSpec c5 = Lab::Call("b", "delegate");
  c5.set_package(v1::PACKAGE_NTLM);
  Lab::Then(c5, Lab::Call("c", "impersonate"));
  lab.AddCall("c5", "alice", "ws1", c5);
  return lab;
}

TEST(RuntimeEquivalence, SameChainsSameDecisionsUnderBothRuntimes) {
  std::unique_ptr<sim::World> virt = BigLab().Run("virtual");
  std::unique_ptr<sim::World> tcp = BigLab().Run("tcp");
  ASSERT_NE(virt, nullptr);
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->runtime().kind(), "tcp");
  std::string a = Decisions(*virt);
  std::string b = Decisions(*tcp);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  // The chain really did something interesting: delegation, KCD and refusals.
  EXPECT_NE(a.find("c1/a allowed id=alice@CORP.EXAMPLE level=delegate creds=tgt"),
            std::string::npos)
      << a;
  EXPECT_NE(a.find("c1/a/b/c allowed"), std::string::npos) << a;
  EXPECT_NE(a.find("c3/lb/b/c allowed"), std::string::npos) << a;  // KCD-7: no delegation needed
  EXPECT_NE(a.find("c5/b/c denied"), std::string::npos) << a;
}

TEST(RuntimeEquivalence, VirtualRunsAreByteIdentical) {
  std::unique_ptr<sim::World> one = BigLab().Run("virtual");
  std::unique_ptr<sim::World> two = BigLab().Run("virtual");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  std::string a, b;
  for (nodes::TraceView r : one->trace()) a += sim::TraceLineJson(r) + "\n";
  for (nodes::TraceView r : two->trace()) b += sim::TraceLineJson(r) + "\n";
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace delegsim::testing
