// The virtual-time runtime: events run in (time, sequence) order whichever queue holds
// them (deliveries, posts, timers), cancelled timers are skipped without moving the
// clock, envelopes arrive serialized and parsed, and with no trace sink nodes are told
// that nobody traces.
#include "sim/virtual_runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "nodes/envelope.h"

namespace delegsim::sim {
namespace {

using ::testing::ElementsAre;

// Records what happens to it, as "<time>:<what>", and can act on arrival.
class Probe final : public Node {
 public:
  explicit Probe(std::vector<std::string>& log) : log_(log) {}
  std::string_view name() const override { return "probe"; }
  void OnMessage(v1::Envelope& env, NodeContext& ctx) override {
    log_.push_back(std::to_string(ctx.Now()) + ":msg" + std::to_string(env.correlation()) +
                   (ctx.Tracing() ? "+trace" : ""));
  }
  void OnTimer(TimerId id, NodeContext& ctx) override {
    log_.push_back(std::to_string(ctx.Now()) + ":timer" + std::to_string(id));
  }
  void OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx) override {
    log_.push_back(std::to_string(ctx.Now()) + ":undeliverable" +
                   std::to_string(env.correlation()) + " " + why.message());
  }

 private:
  std::vector<std::string>& log_;
};

v1::Envelope To(NodeId to, uint64_t correlation) {
  v1::Envelope env;
  env.set_to(to);
  env.set_correlation(correlation);
  env.mutable_ntlm_negotiate()->set_workstation("ws");
  return env;
}

TEST(VirtualRuntime, RunsDeliveriesPostsAndTimersInTimeThenSequenceOrder) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  NodeId b = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.2");
  TimerId cancelled = 0;
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    ctx.Send(To(b, 1));             // arrives at 1 ms
    ctx.StartTimer(1);              // fires at 1 ms, after the delivery (later sequence)
    cancelled = ctx.StartTimer(0);  // would fire first
    ctx.CancelTimer(cancelled);
    ctx.StartTimer(5);   // fires last
    ctx.Send(To(b, 2));  // arrives at 1 ms, after the timer of 1 ms
  });
  rt.Post(b, [&](Node&, NodeContext& ctx) { log.push_back(std::to_string(ctx.Now()) + ":post"); });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 60'000).ok());
  EXPECT_THAT(log, ElementsAre("0:post", "1:msg1", "1:timer1", "1:msg2", "5:timer3"));
  EXPECT_EQ(rt.delivered(), 2u);
  EXPECT_EQ(rt.Now(), 5);
}

// A send to a node that does not exist is not silently lost: the sender hears, as a
// separate event, as it would over tcp (so a waiting request ends at once).
TEST(VirtualRuntime, ASendToAnUnknownNodeIsReportedToTheSender) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    ctx.Send(To(7, 1));
    log.push_back("sent");
  });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 60'000).ok());
  EXPECT_THAT(log, ElementsAre("sent", "0:undeliverable1 no node 7"));
  EXPECT_EQ(rt.delivered(), 0u);
}

TEST(VirtualRuntime, CancelledTimersDoNotMoveTheClockOrCountAsEvents) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    for (int i = 0; i < 1000; ++i) ctx.CancelTimer(ctx.StartTimer(30'000));
  });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 60'000).ok());
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(rt.Now(), 0);
  EXPECT_EQ(rt.events_processed(), 1u);  // the post only
  EXPECT_FALSE(rt.Step());
}

TEST(VirtualRuntime, BudgetStopsBeforeLaterEventsAndTheClockNeverGoesBack) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  rt.Post(a, [&](Node&, NodeContext& ctx) { ctx.StartTimer(100); });
  Status st = rt.RunUntil([] { return false; }, 50);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(log.empty());
  rt.AdvanceClock(-10);  // ignored
  EXPECT_EQ(rt.Now(), 0);
  rt.AdvanceClock(200);
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 50).ok());
  EXPECT_THAT(log, ElementsAre("200:timer1"));  // overdue: runs at once, at the current time
}

// The clock stops at the end of time rather than wrapping (int64 overflow is undefined
// behaviour): timers and deliveries due after it run at it, in (time, seq) order.
TEST(VirtualRuntime, ClockSaturatesAtTheEndOfTime) {
  constexpr Time kEnd = std::numeric_limits<Time>::max();
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  rt.AdvanceClock(kEnd - 5);
  rt.AdvanceClock(kEnd);
  EXPECT_EQ(rt.Now(), kEnd);
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    ctx.StartTimer(kEnd);
    ctx.Send(To(a, 1));
  });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, kEnd).ok());
  EXPECT_THAT(log, ElementsAre(std::to_string(kEnd) + ":timer1", std::to_string(kEnd) + ":msg1"));
  EXPECT_EQ(rt.Now(), kEnd);
}

TEST(VirtualRuntime, NodesKnowWhetherAnyoneTraces) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  rt.Post(a, [&](Node&, NodeContext& ctx) { ctx.Send(To(a, 1)); });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 1'000).ok());
  std::vector<std::string> kinds;
  rt.SetTraceSink([&](const TraceRecord& r) { kinds.emplace_back(TraceKindName(r.kind)); });
  rt.Post(a, [&](Node&, NodeContext& ctx) { ctx.Send(To(a, 2)); });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 1'000).ok());
  EXPECT_THAT(log, ElementsAre("1:msg1", "2:msg2+trace"));
  EXPECT_THAT(kinds, ElementsAre("SEND", "DELIVER"));  // nothing was built for the first
}

TEST(VirtualRuntime, AnUndecodableFrameIsTracedAndNotDelivered) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  NodeId b = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.2");
  std::vector<std::string> summaries;
  rt.SetTraceSink([&](const TraceRecord& r) {
    if (r.kind == nodes::TraceKind::kWireDecodeError) summaries.push_back(r.summary);
  });
  rt.CorruptNext(a, b, std::string("\xff\xff\xff", 3));
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    ctx.Send(To(b, 1));
    ctx.Send(To(b, 2));
  });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 1'000).ok());
  EXPECT_THAT(log, ElementsAre("1:msg2+trace"));
  EXPECT_THAT(summaries, ElementsAre("undecodable frame of 3 bytes from probe; connection closed"));
  EXPECT_EQ(rt.delivered(), 1u);
}

}  // namespace
}  // namespace delegsim::sim

namespace delegsim::sim {
namespace {

TEST(VirtualRuntime, EnvelopeAboveTheFrameMaximumIsNotSentAndFailsTheRun) {
  std::vector<std::string> log;
  std::vector<nodes::TraceRecord> trace;
  VirtualRuntime rt;
  rt.SetTraceSink([&](nodes::TraceRecord& r) { trace.push_back(r); });
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  NodeId b = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.2");
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    v1::Envelope huge = To(b, 1);
    huge.mutable_ntlm_negotiate()->set_workstation(std::string(nodes::kMaxEnvelopeBytes, 'w'));
    ctx.Send(std::move(huge));  // as over tcp: above the frame maximum
    ctx.Send(To(b, 2));
  });
  const Status run = rt.RunUntil([] { return false; }, 60'000);
  EXPECT_EQ(run.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(run.message(), ::testing::HasSubstr("probe: NTLM NEGOTIATE to probe not sent"));
  EXPECT_EQ(rt.Failure().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(log.empty());  // nothing delivered after the failure
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace[0].kind, nodes::TraceKind::kDrop);
  EXPECT_THAT(trace[0].summary, ::testing::HasSubstr("exceeds the frame maximum of 1048576"));
}

TEST(VirtualRuntime, SameHostComparesTheAddressesNodesWereAddedOn) {
  std::vector<std::string> log;
  VirtualRuntime rt;
  NodeId a = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  NodeId b = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.1");
  NodeId c = rt.AddNode(std::make_unique<Probe>(log), "127.0.1.2");
  std::vector<bool> same;
  rt.Post(a, [&](Node&, NodeContext& ctx) {
    same = {ctx.SameHost(a), ctx.SameHost(b), ctx.SameHost(c), ctx.SameHost(0), ctx.SameHost(9)};
  });
  ASSERT_TRUE(rt.RunUntil([] { return false; }, 1000).ok());
  EXPECT_THAT(same, ElementsAre(true, true, false, false, false));
}

}  // namespace
}  // namespace delegsim::sim
