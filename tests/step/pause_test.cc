// The Asio runtime stands still while its trace sink runs, which is what lets `delegsim
// step` pause a tcp run: Now(), timers and RunUntil budgets leave the sink's time out,
// so a request timeout never fires because a user is thinking. Also: Shutdown() from
// inside the sink ends the run at once (`quit`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kdc/directory.h"
#include "kdc/kdc.h"
#include "kdc/profile.h"
#include "net/asio_runtime.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node.h"
#include "nodes/topology.h"

namespace delegsim::net {
namespace {

using nodes::TimerId;
using nodes::TraceKind;
using nodes::TraceRecord;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr Time kBudgetMs = 5000;

// Sends one request to `peer` and starts a timer bounding the wait, as nodes::Pending
// does, and notes which came first.
class Asker final : public Node {
 public:
  Asker(NodeId peer, Time timeout_ms) : peer_(peer), timeout_ms_(timeout_ms) {}
  std::string_view name() const override { return "asker"; }
  void Ask(NodeContext& ctx) {
    timer_ = ctx.StartTimer(timeout_ms_);
    v1::Envelope env;
    env.set_to(peer_);
    env.set_correlation(1);
    env.mutable_as_req()->set_client("alice");
    ctx.Send(std::move(env));
  }
  void OnMessage(v1::Envelope&, NodeContext& ctx) override {
    answered = true;
    answered_at = ctx.Now();
    ctx.CancelTimer(timer_);
  }
  void OnTimer(TimerId, NodeContext& ctx) override {
    timed_out = true;
    timed_out_at = ctx.Now();
  }
  void OnUndeliverable(const v1::Envelope&, const Status&, NodeContext&) override {}

  bool answered = false;
  bool timed_out = false;
  Time answered_at = -1;
  Time timed_out_at = -1;

 private:
  NodeId peer_;
  Time timeout_ms_;
  TimerId timer_ = 0;
};

// Answers every request, unless told to stay silent.
class Answerer final : public Node {
 public:
  explicit Answerer(bool silent) : silent_(silent) {}
  std::string_view name() const override { return "answerer"; }
  void OnMessage(v1::Envelope& env, NodeContext& ctx) override {
    if (silent_) return;
    v1::Envelope reply;
    reply.set_to(env.from());
    reply.set_correlation(env.correlation());
    reply.mutable_kdc_error()->set_error("KDC_ERR_NONE");
    ctx.Send(std::move(reply));
  }
  void OnTimer(TimerId, NodeContext&) override {}
  void OnUndeliverable(const v1::Envelope&, const Status&, NodeContext&) override {}

 private:
  bool silent_;
};

struct Pair {
  AsioRuntime rt;
  Asker* asker = nullptr;
  NodeId asker_id = 0;

  Pair(Time timeout_ms, bool silent) {
    NodeId answerer = rt.AddNode(std::make_unique<Answerer>(silent), "127.0.1.2");
    auto a = std::make_unique<Asker>(answerer, timeout_ms);
    asker = a.get();
    asker_id = rt.AddNode(std::move(a), "127.0.1.3");
  }
  void Ask() {
    rt.Post(asker_id, [](Node& n, NodeContext& ctx) { static_cast<Asker&>(n).Ask(ctx); });
  }
};

// A sink that blocks for `pause` when the answerer receives the request.
nodes::TraceSink PauseAtDelivery(milliseconds pause) {
  return [pause](const TraceRecord& r) {
    if (r.kind == TraceKind::kDeliver && r.node == "answerer") std::this_thread::sleep_for(pause);
  };
}

TEST(AsioPause, NoTimeoutFiresWhileTheSinkBlocks) {
  Pair p(/*timeout_ms=*/150, /*silent=*/false);
  p.rt.SetTraceSink(PauseAtDelivery(milliseconds(500)));
  ASSERT_TRUE(p.rt.Start().ok());
  const Clock::time_point begin = Clock::now();
  p.Ask();
  Status s = p.rt.RunUntil([&] { return p.asker->answered || p.asker->timed_out; }, kBudgetMs);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(p.asker->answered);
  EXPECT_FALSE(p.asker->timed_out);
  EXPECT_GE(Clock::now() - begin, milliseconds(500));  // it did wait, in real time
  EXPECT_LT(p.asker->answered_at, 150);                // but not in simulated time
}

TEST(AsioPause, TimersWaitOutOnlyTheTimeTheWorldRan) {
  Pair p(/*timeout_ms=*/150, /*silent=*/true);
  p.rt.SetTraceSink(PauseAtDelivery(milliseconds(600)));
  ASSERT_TRUE(p.rt.Start().ok());
  const Clock::time_point begin = Clock::now();
  p.Ask();
  ASSERT_TRUE(p.rt.RunUntil([&] { return p.asker->timed_out; }, kBudgetMs).ok());
  EXPECT_GE(Clock::now() - begin, milliseconds(750));  // 600 ms paused + 150 ms running
  EXPECT_GE(p.asker->timed_out_at, 150);
  EXPECT_LT(p.asker->timed_out_at, 600);  // the pause is not on the simulated clock
}

TEST(AsioPause, RunUntilBudgetLeavesThePauseOut) {
  Pair p(/*timeout_ms=*/2000, /*silent=*/false);
  p.rt.SetTraceSink(PauseAtDelivery(milliseconds(400)));
  ASSERT_TRUE(p.rt.Start().ok());
  p.Ask();
  Status s = p.rt.RunUntil([&] { return p.asker->answered; }, /*budget_ms=*/250);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(p.asker->answered);
}

TEST(AsioPause, ShutdownFromTheSinkEndsTheRunAtOnce) {
  Pair p(/*timeout_ms=*/2000, /*silent=*/false);
  std::vector<TraceKind> seen;
  p.rt.SetTraceSink([&](const TraceRecord& r) {
    seen.push_back(r.kind);
    if (r.kind == TraceKind::kDeliver) p.rt.Shutdown();
  });
  ASSERT_TRUE(p.rt.Start().ok());
  p.Ask();
  const Clock::time_point begin = Clock::now();
  Status s = p.rt.RunUntil([&] { return p.asker->answered; }, kBudgetMs);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_LT(Clock::now() - begin, milliseconds(1000));
  EXPECT_FALSE(p.asker->answered);
  EXPECT_EQ(seen, (std::vector<TraceKind>{TraceKind::kSend, TraceKind::kDeliver}));
  EXPECT_TRUE(p.rt.Connections().empty());
  p.rt.Shutdown();  // idempotent
}

TEST(AsioPause, CaptureMessagesPutsTheEnvelopeOnSendAndDeliver) {
  Pair p(/*timeout_ms=*/2000, /*silent=*/false);
  std::vector<TraceRecord> records;
  p.rt.SetTraceSink([&](const TraceRecord& r) { records.push_back(r); });
  p.rt.CaptureMessages(true);
  ASSERT_TRUE(p.rt.Start().ok());
  p.Ask();
  ASSERT_TRUE(p.rt.RunUntil([&] { return p.asker->answered; }, kBudgetMs).ok());
  ASSERT_EQ(records.size(), 4u);  // request and reply, each sent and delivered
  for (const TraceRecord& r : records) {
    ASSERT_NE(r.message, nullptr) << r.summary;
    EXPECT_EQ(r.message->correlation(), 1u);
  }
  EXPECT_EQ(records[0].message->as_req().client(), "alice");
  EXPECT_EQ(records[3].message->kdc_error().error(), "KDC_ERR_NONE");
}

// Real nodes with a 200 ms request timeout: a client calls web, whose service ticket
// comes from the KDC; the sink blocks 300 ms at every decision. Without the pause the
// client's KDC requests and the call would time out (TIMEOUT records, DS-13).
TEST(AsioPause, RealNodesWithAShortRequestTimeoutDoNotTimeOut) {
  kdc::Directory dir;
  kdc::DomainId corp = dir.AddDomain("CORP.EXAMPLE", "CORP.EXAMPLE", 7);
  kdc::PrincipalId alice = dir.AddPrincipal(kdc::PrincipalKind::kUser, "alice", corp);
  dir.Mutable(alice).password = "alice-pw";
  kdc::PrincipalId svc = dir.AddPrincipal(kdc::PrincipalKind::kService, "svc_web", corp);
  dir.Mutable(svc).spns = {"http/web1.corp.example"};
  ASSERT_TRUE(dir.Finalize("pause-test").ok());
  kdc::Kdc kdc(dir, kdc::Profile::Windows());
  nodes::Options options;
  options.request_timeout_ms = 200;
  nodes::Topology topology(dir, kdc, options);
  topology.AddHost({"dc", corp, false, "127.0.1.2"});
  topology.AddHost({"web1", corp, false, "127.0.1.3"});
  topology.AddHost({"ws1", corp, false, "127.0.1.4"});
  topology.SetKdcNode(corp, 1);
  nodes::ServiceInfo web;
  web.name = "web";
  web.host = "web1";
  web.account = svc;
  web.spn = "http/web1.corp.example";
  web.transports = {v1::TRANSPORT_NCACN_IP_TCP};
  web.privileges = {"SeImpersonatePrivilege"};
  web.node = 2;
  topology.AddService(web);

  AsioRuntime rt;
  ASSERT_EQ(
      rt.AddNode(std::make_unique<nodes::KdcNode>("kdc.corp.example", kdc, corp), "127.0.1.2"), 1u);
  ASSERT_EQ(rt.AddNode(std::make_unique<nodes::ServiceNode>(topology, *topology.FindService("web")),
                       "127.0.1.3"),
            2u);
  NodeId client = rt.AddNode(
      std::make_unique<nodes::ClientNode>(topology, "ws1", alice, dir.KeyOf(alice)), "127.0.1.4");
  std::vector<TraceRecord> records;
  rt.SetTraceSink([&](const TraceRecord& r) {
    records.push_back(r);
    if (r.decision) std::this_thread::sleep_for(milliseconds(300));
  });
  ASSERT_TRUE(rt.Start().ok());

  v1::CallSpec call;
  call.set_service("web");
  call.set_transport(v1::TRANSPORT_NCACN_IP_TCP);
  call.set_package(v1::PACKAGE_NEGOTIATE);
  call.set_level(v1::LEVEL_IMPERSONATE);
  bool done = false;
  v1::HopResult result;
  rt.Post(client, [&](Node& n, NodeContext& ctx) {
    static_cast<nodes::ClientNode&>(n).StartCall("c1", call, ctx,
                                                 [&](const v1::HopResult& r, NodeContext&) {
                                                   result = r;
                                                   done = true;
                                                 });
  });
  ASSERT_TRUE(rt.RunUntil([&] { return done; }, 20'000).ok());
  int decisions = 0;
  for (const TraceRecord& r : records) {
    EXPECT_NE(r.kind, TraceKind::kTimeout) << r.summary;
    for (const std::string& rule : r.Rules()) EXPECT_NE(rule, "DS-13") << r.summary;
    decisions += r.decision != nullptr;
  }
  EXPECT_GE(decisions, 4);  // each paused the world longer than the request timeout
  EXPECT_EQ(result.verdict(), "allowed");
  EXPECT_EQ(result.identity(), "alice@CORP.EXAMPLE");
}

}  // namespace
}  // namespace delegsim::net
