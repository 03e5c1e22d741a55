// AsioRuntime over loopback TCP: simulated hosts on 127.0.1.x exchange real frames.
// Every wait is a RunUntil with a budget, so a failure shows as a failed assertion,
// never as a hang.
#include "net/asio_runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "net/frame.h"
#include "net/handshake.h"
#include "tests/net/test_peer.h"

namespace delegsim::net {
namespace {

using ::delegsim::testing::TestPeer;
using nodes::TimerId;
using nodes::TraceKind;
using nodes::TraceRecord;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

constexpr Time kBudgetMs = 3000;  // per wait; each test stays well under 5 s

// A call from the test's point of view; path "hold" asks the receiver not to answer.
v1::Envelope MakeCall(NodeId to, uint64_t correlation, const std::string& path = "c1/web") {
  v1::Envelope env;
  env.set_to(to);
  env.set_correlation(correlation);
  env.mutable_call()->set_path(path);
  env.mutable_call()->set_service("web");
  return env;
}

// Answers every call with a call_reply (except calls on path "hold", which it keeps),
// and records what reaches it: messages, replies, timers, undeliverable envelopes.
class PeerNode final : public Node {
 public:
  struct Undeliverable {
    v1::Envelope env;
    Status why;
  };
  struct Fired {
    TimerId timer;
    Time at;
  };

  explicit PeerNode(std::string name) : name_(std::move(name)) {}

  std::string_view name() const override { return name_; }

  void OnMessage(v1::Envelope& env, NodeContext& ctx) override {
    saw_tracing = saw_tracing || ctx.Tracing();
    if (env.has_call_reply()) {
      replies.push_back(env);
      return;
    }
    calls.push_back(env);
    if (!env.has_call() || env.call().path() == "hold") return;
    v1::Envelope reply;
    reply.set_to(env.from());
    reply.set_correlation(env.correlation());
    reply.mutable_call_reply()->mutable_result()->set_path(env.call().path());
    reply.mutable_call_reply()->mutable_result()->set_verdict("allowed");
    ctx.Send(std::move(reply));
  }

  void OnTimer(TimerId timer, NodeContext& ctx) override { fired.push_back({timer, ctx.Now()}); }

  void OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext&) override {
    undeliverable.push_back({env, why});
  }

  std::vector<v1::Envelope> calls;    // requests received, in delivery order
  std::vector<v1::Envelope> replies;  // call_replies received, in delivery order
  std::vector<Fired> fired;
  std::vector<Undeliverable> undeliverable;
  bool saw_tracing = false;  // NodeContext::Tracing() held at some delivery

 private:
  std::string name_;
};

// Bytes from a fixed seed that do not parse as a v1::Envelope (frame_test checks it).
std::string GarbageBytes(size_t size) {
  std::mt19937 rng(20240611);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(rng() & 0xff);
  return bytes;
}

class AsioRuntimeTest : public ::testing::Test {
 protected:
  AsioRuntimeTest() {
    runtime_.SetTraceSink([this](const TraceRecord& record) { traces_.push_back(record); });
  }

  // Adds a PeerNode and returns the id; *node borrows it from the runtime.
  NodeId Add(const std::string& name, const std::string& host, PeerNode** node) {
    auto owned = std::make_unique<PeerNode>(name);
    *node = owned.get();
    return runtime_.AddNode(std::move(owned), host);
  }

  void Send(NodeId from, v1::Envelope env) {
    runtime_.Post(from, [env = std::move(env)](Node&, NodeContext& ctx) { ctx.Send(env); });
  }

  std::vector<TraceRecord> TracesOf(TraceKind kind, const std::string& node = "") const {
    std::vector<TraceRecord> result;
    for (const TraceRecord& record : traces_) {
      if (record.kind == kind && (node.empty() || record.node == node)) result.push_back(record);
    }
    return result;
  }

  // traces_ is declared before runtime_ so that it outlives it.
  std::vector<TraceRecord> traces_;
  AsioRuntime runtime_;
};

// --- (2) Many request/replies between two hosts over one connection. ---

TEST_F(AsioRuntimeTest, ThousandRequestsAndRepliesCrossOneConnectionInOrder) {
  PeerNode* client = nullptr;
  PeerNode* server = nullptr;
  const NodeId a = Add("client", "127.0.1.2", &client);
  const NodeId b = Add("web", "127.0.1.3", &server);
  ASSERT_TRUE(runtime_.Start().ok());
  EXPECT_EQ(runtime_.kind(), "tcp");

  constexpr uint64_t kCount = 1000;
  runtime_.Post(a, [b](Node&, NodeContext& ctx) {
    for (uint64_t i = 1; i <= kCount; ++i) ctx.Send(MakeCall(b, i));
  });
  Status run = runtime_.RunUntil([&] { return client->replies.size() == kCount; }, kBudgetMs);
  ASSERT_TRUE(run.ok()) << run.ToString() << " after " << client->replies.size() << " replies";

  ASSERT_EQ(server->calls.size(), kCount);
  for (uint64_t i = 1; i <= kCount; ++i) {
    EXPECT_EQ(server->calls[i - 1].correlation(), i);
    EXPECT_EQ(server->calls[i - 1].from(), a);  // set by the runtime
    EXPECT_EQ(client->replies[i - 1].correlation(), i);
    EXPECT_EQ(client->replies[i - 1].from(), b);
  }
  EXPECT_TRUE(client->undeliverable.empty());
  EXPECT_EQ(runtime_.delivered(), 2 * kCount);

  // One connection, two ends: the client's, bound to its host's address, and the one the
  // server accepted, whose remote address is the client's host. Replies reuse it.
  const std::vector<ConnectionInfo> connections = runtime_.Connections();
  ASSERT_EQ(connections.size(), 2u);
  const ConnectionInfo& opened = connections[0];
  const ConnectionInfo& accepted = connections[1];
  EXPECT_EQ(opened.node, a);
  EXPECT_EQ(opened.peer, b);
  EXPECT_FALSE(opened.accepted);
  EXPECT_TRUE(opened.carries_sends);
  EXPECT_THAT(opened.local_endpoint, StartsWith("127.0.1.2:"));
  EXPECT_EQ(opened.remote_endpoint, "127.0.1.3:" + std::to_string(runtime_.ListenPort(b)));
  EXPECT_EQ(opened.unanswered_requests, 0u);
  EXPECT_EQ(accepted.node, b);
  EXPECT_EQ(accepted.peer, a);
  EXPECT_TRUE(accepted.accepted);
  EXPECT_TRUE(accepted.carries_sends);
  EXPECT_THAT(accepted.remote_endpoint, StartsWith(runtime_.HostAddress(a) + ":"));
  EXPECT_EQ(accepted.remote_endpoint, opened.local_endpoint);
  EXPECT_EQ(accepted.local_endpoint, opened.remote_endpoint);

  EXPECT_EQ(TracesOf(TraceKind::kSend, "client").size(), kCount);
  EXPECT_EQ(TracesOf(TraceKind::kDeliver, "web").size(), kCount);
  EXPECT_EQ(TracesOf(TraceKind::kSend, "web").size(), kCount);
  EXPECT_EQ(TracesOf(TraceKind::kDeliver, "client").size(), kCount);
  EXPECT_TRUE(TracesOf(TraceKind::kConnectionClosed).empty());
  EXPECT_TRUE(TracesOf(TraceKind::kWireDecodeError).empty());
  for (size_t i = 1; i < traces_.size(); ++i) {
    EXPECT_GT(traces_[i].seq, traces_[i - 1].seq);
    EXPECT_GE(traces_[i].time, traces_[i - 1].time);
  }
  // Worded as the virtual runtime words them.
  EXPECT_EQ(TracesOf(TraceKind::kSend, "client")[0].summary, "CALL c1/web -> web");
  EXPECT_EQ(TracesOf(TraceKind::kDeliver, "web")[0].summary, "CALL c1/web -> web");
  EXPECT_EQ(TracesOf(TraceKind::kDeliver, "client")[0].summary, "REPLY c1/web allowed -> client");
  EXPECT_EQ(TracesOf(TraceKind::kDeliver, "web")[0].path, "c1/web");
}

TEST_F(AsioRuntimeTest, SimultaneousSendsBothWaysDeliverExactlyOnceInOrder) {
  PeerNode* left = nullptr;
  PeerNode* right = nullptr;
  const NodeId a = Add("left", "127.0.1.2", &left);
  const NodeId b = Add("right", "127.0.1.3", &right);
  ASSERT_TRUE(runtime_.Start().ok());

  constexpr uint64_t kCount = 200;
  runtime_.Post(a, [b](Node&, NodeContext& ctx) {
    for (uint64_t i = 1; i <= kCount; ++i) ctx.Send(MakeCall(b, i));
  });
  runtime_.Post(b, [a](Node&, NodeContext& ctx) {
    for (uint64_t i = 1; i <= kCount; ++i) ctx.Send(MakeCall(a, 1000 + i));
  });
  Status run = runtime_.RunUntil(
      [&] { return left->replies.size() == kCount && right->replies.size() == kCount; }, kBudgetMs);
  ASSERT_TRUE(run.ok()) << run.ToString();
  // A little longer, so that a duplicate would have time to show up.
  EXPECT_EQ(runtime_.RunUntil([] { return false; }, 50).code(), StatusCode::kDeadlineExceeded);

  ASSERT_EQ(left->calls.size(), kCount);
  ASSERT_EQ(right->calls.size(), kCount);
  ASSERT_EQ(left->replies.size(), kCount);
  ASSERT_EQ(right->replies.size(), kCount);
  for (uint64_t i = 1; i <= kCount; ++i) {
    EXPECT_EQ(right->calls[i - 1].correlation(), i);
    EXPECT_EQ(left->replies[i - 1].correlation(), i);
    EXPECT_EQ(left->calls[i - 1].correlation(), 1000 + i);
    EXPECT_EQ(right->replies[i - 1].correlation(), 1000 + i);
  }
  // The race may leave two connections (four ends), never more.
  EXPECT_LE(runtime_.Connections().size(), 4u);
}

TEST_F(AsioRuntimeTest, NodesSharingAHostAndSendingToThemselvesUseSockets) {
  PeerNode* kdc = nullptr;
  PeerNode* web = nullptr;
  const NodeId k = Add("kdc", "127.0.1.5", &kdc);
  const NodeId w = Add("web", "127.0.1.5", &web);
  ASSERT_TRUE(runtime_.Start().ok());
  EXPECT_NE(runtime_.ListenPort(k), runtime_.ListenPort(w));

  Send(w, MakeCall(k, 1));
  Send(w, MakeCall(w, 2));
  ASSERT_TRUE(runtime_.RunUntil([&] { return web->replies.size() == 2; }, kBudgetMs).ok());
  for (const ConnectionInfo& info : runtime_.Connections()) {
    EXPECT_THAT(info.local_endpoint, StartsWith("127.0.1.5:"));
    EXPECT_THAT(info.remote_endpoint, StartsWith("127.0.1.5:"));
  }
}

// --- (3) A bad frame closes its connection, fails what was pending, and nothing else. ---

class AsioRuntimeFaultTest : public AsioRuntimeTest {
 protected:
  void SetUp() override {
    alice_id_ = Add("alice", "127.0.1.2", &alice_);
    web_id_ = Add("web", "127.0.1.3", &web_);
    carol_id_ = Add("carol", "127.0.1.4", &carol_);
    ASSERT_TRUE(runtime_.Start().ok());
  }

  // Alice sends a call web keeps unanswered, then `bad_frame` on the same connection.
  // Web must reject the frame and close; alice must get her call back as undeliverable;
  // carol, and alice on a fresh connection, must still be served.
  void ExpectBadFrameIsContained(const std::string& bad_frame, const std::string& error_text) {
    const size_t held_before = web_->calls.size();
    Send(alice_id_, MakeCall(web_id_, 41, "hold"));
    ASSERT_TRUE(
        runtime_.RunUntil([&] { return web_->calls.size() == held_before + 1; }, kBudgetMs).ok());
    ASSERT_EQ(runtime_.Connections().size(), 2u);

    runtime_.InjectRawBytes(alice_id_, web_id_, bad_frame);
    ASSERT_TRUE(
        runtime_.RunUntil([&] { return alice_->undeliverable.size() == 1; }, kBudgetMs).ok());

    const PeerNode::Undeliverable& lost = alice_->undeliverable[0];
    EXPECT_EQ(lost.env.correlation(), 41u);
    EXPECT_TRUE(lost.env.has_call());
    EXPECT_EQ(lost.why.code(), StatusCode::kUnavailable);
    EXPECT_THAT(lost.why.message(), StartsWith("connection 127.0.1.2 -> 127.0.1.3 closed: "));

    const std::vector<TraceRecord> errors = TracesOf(TraceKind::kWireDecodeError);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].node, "web");
    EXPECT_THAT(errors[0].summary, HasSubstr(error_text));
    EXPECT_THAT(errors[0].summary, HasSubstr("from alice"));
    const std::vector<TraceRecord> web_closed = TracesOf(TraceKind::kConnectionClosed, "web");
    ASSERT_EQ(web_closed.size(), 1u);
    EXPECT_GT(web_closed[0].seq, errors[0].seq);
    EXPECT_THAT(web_closed[0].summary, HasSubstr(error_text));
    EXPECT_EQ(TracesOf(TraceKind::kConnectionClosed, "alice").size(), 1u);
    EXPECT_EQ(TracesOf(TraceKind::kDrop, "alice").size(), 1u);  // the reported call

    // Web still serves a third node, and alice over a new connection.
    Send(carol_id_, MakeCall(web_id_, 7));
    Send(alice_id_, MakeCall(web_id_, 42));
    ASSERT_TRUE(
        runtime_
            .RunUntil([&] { return carol_->replies.size() == 1 && !alice_->replies.empty(); },
                      kBudgetMs)
            .ok());
    EXPECT_EQ(carol_->replies[0].correlation(), 7u);
    EXPECT_EQ(alice_->replies[0].correlation(), 42u);
    EXPECT_EQ(alice_->undeliverable.size(), 1u);
  }

  PeerNode* alice_ = nullptr;
  PeerNode* web_ = nullptr;
  PeerNode* carol_ = nullptr;
  NodeId alice_id_ = 0;
  NodeId web_id_ = 0;
  NodeId carol_id_ = 0;
};

TEST_F(AsioRuntimeFaultTest, TamperedFrameIsContained) {
  ExpectBadFrameIsContained(EncodeFrameHeader(64) + GarbageBytes(64),
                            "undecodable frame: 64-byte body is not a v1::Envelope");
}

TEST_F(AsioRuntimeFaultTest, OversizedFrameIsContained) {
  ExpectBadFrameIsContained(EncodeFrameHeader(0x7fffffff),
                            "oversized frame: header announces 2147483647 bytes, maximum is "
                            "1048576");
}

TEST_F(AsioRuntimeFaultTest, MemberOfTheRunClaimingANodeOfAnotherHostIsDropped) {
  // Holds the secret and claims to be alice (127.0.1.2) but connects from 127.0.1.9.
  auto peer =
      TestPeer::Connect("127.0.1.9", runtime_.HostAddress(web_id_), runtime_.ListenPort(web_id_));
  ASSERT_NE(peer, nullptr);
  peer->StartHandshake(runtime_.run_secret(), alice_id_, web_id_);
  ASSERT_TRUE(runtime_.RunUntil([&] { return !peer->Poll(); }, kBudgetMs).ok());  // closed
  EXPECT_FALSE(peer->AdvanceHandshake());
  EXPECT_TRUE(web_->calls.empty());
  const std::vector<TraceRecord> drops = TracesOf(TraceKind::kDrop, "web");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_THAT(drops[0].summary, HasSubstr("unauthenticated connection 127.0.1.9:"));
  EXPECT_THAT(drops[0].summary, HasSubstr("handshake claims sender alice of host 127.0.1.2 but "
                                          "comes from 127.0.1.9"));
  EXPECT_EQ(TracesOf(TraceKind::kConnectionClosed, "web").size(), 1u);
}

TEST_F(AsioRuntimeFaultTest, FrameForAnotherNodeIsDropped) {
  v1::Envelope misaddressed = MakeCall(carol_id_, 5);  // but written to web
  misaddressed.set_from(alice_id_);
  auto peer =
      TestPeer::Connect("127.0.1.2", runtime_.HostAddress(web_id_), runtime_.ListenPort(web_id_));
  ASSERT_NE(peer, nullptr);
  peer->StartHandshake(runtime_.run_secret(), alice_id_, web_id_);
  ASSERT_TRUE(runtime_.RunUntil([&] { return peer->AdvanceHandshake(); }, kBudgetMs).ok());
  ASSERT_TRUE(peer->SendEnvelope(misaddressed));
  ASSERT_TRUE(runtime_.RunUntil([&] { return !peer->Poll(); }, kBudgetMs).ok());
  EXPECT_TRUE(web_->calls.empty());
  EXPECT_TRUE(carol_->calls.empty());
  const std::vector<TraceRecord> drops = TracesOf(TraceKind::kDrop, "web");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_THAT(drops[0].summary, HasSubstr("misaddressed frame"));
}

TEST_F(AsioRuntimeFaultTest, FrameNamingAnotherSenderThanTheProvenPeerIsDropped) {
  v1::Envelope lying = MakeCall(web_id_, 5);
  lying.set_from(carol_id_);  // on a connection proven to be alice's
  auto peer =
      TestPeer::Connect("127.0.1.2", runtime_.HostAddress(web_id_), runtime_.ListenPort(web_id_));
  ASSERT_NE(peer, nullptr);
  peer->StartHandshake(runtime_.run_secret(), alice_id_, web_id_);
  ASSERT_TRUE(runtime_.RunUntil([&] { return peer->AdvanceHandshake(); }, kBudgetMs).ok());
  ASSERT_TRUE(peer->SendEnvelope(lying));
  ASSERT_TRUE(runtime_.RunUntil([&] { return !peer->Poll(); }, kBudgetMs).ok());
  EXPECT_TRUE(web_->calls.empty());
  const std::vector<TraceRecord> drops = TracesOf(TraceKind::kDrop, "web");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_THAT(drops[0].summary, HasSubstr("claims sender carol on a connection from alice"));
}

TEST_F(AsioRuntimeFaultTest, PeerPlayedByHandGetsItsReplyOnItsOwnSocket) {
  // A member of the run on alice's host writes one frame in two pieces; web answers on it.
  v1::Envelope call = MakeCall(web_id_, 77);
  call.set_from(alice_id_);
  const std::string frame = *EncodeFrame(call);
  auto peer =
      TestPeer::Connect("127.0.1.2", runtime_.HostAddress(web_id_), runtime_.ListenPort(web_id_));
  ASSERT_NE(peer, nullptr);
  peer->StartHandshake(runtime_.run_secret(), alice_id_, web_id_);
  ASSERT_TRUE(runtime_.RunUntil([&] { return peer->AdvanceHandshake(); }, kBudgetMs).ok());
  ASSERT_TRUE(peer->SendAll(frame.substr(0, 6)));
  EXPECT_EQ(runtime_.RunUntil([&] { return !web_->calls.empty(); }, 100).code(),
            StatusCode::kDeadlineExceeded);  // half a frame is not a message
  ASSERT_TRUE(peer->SendAll(frame.substr(6)));
  ASSERT_TRUE(runtime_.RunUntil([&] { return !web_->calls.empty(); }, kBudgetMs).ok());
  EXPECT_EQ(web_->calls[0].correlation(), 77u);

  std::optional<v1::Envelope> reply;
  ASSERT_TRUE(
      runtime_.RunUntil([&] { return (reply = peer->NextEnvelope()).has_value(); }, kBudgetMs)
          .ok());
  EXPECT_EQ(reply->from(), web_id_);
  EXPECT_EQ(reply->to(), alice_id_);
  EXPECT_EQ(reply->correlation(), 77u);
  EXPECT_TRUE(reply->has_call_reply());
}

// --- (3b) Attacks from outside the run: any local process can bind a 127.x address. ---

// Reply hijack: a stranger on alice's host connects to web first and names itself alice.
// Before connections were authenticated, web took that connection as its way to alice, so
// the stranger received web's replies to the real alice.
TEST_F(AsioRuntimeFaultTest, StrangerNamingItselfANodeNeverReceivesItsReplies) {
  v1::Envelope as_alice = MakeCall(web_id_, 1);
  as_alice.set_from(alice_id_);
  auto stranger =
      TestPeer::Connect("127.0.1.2", runtime_.HostAddress(web_id_), runtime_.ListenPort(web_id_));
  ASSERT_NE(stranger, nullptr);
  ASSERT_TRUE(stranger->SendEnvelope(as_alice));  // no handshake: frames straight away
  ASSERT_TRUE(runtime_.RunUntil([&] { return !stranger->Poll(); }, kBudgetMs).ok());

  // A second stranger speaks the handshake but guesses the secret.
  auto guesser =
      TestPeer::Connect("127.0.1.2", runtime_.HostAddress(web_id_), runtime_.ListenPort(web_id_));
  ASSERT_NE(guesser, nullptr);
  guesser->StartHandshake(std::string(kRunSecretBytes, 'x'), alice_id_, web_id_);
  ASSERT_TRUE(
      runtime_
          .RunUntil(
              [&] { return !guesser->AdvanceHandshake() && !guesser->handshake_status().ok(); },
              kBudgetMs)
          .ok());
  EXPECT_THAT(guesser->handshake_status().message(), HasSubstr("does not hold the run secret"));
  ASSERT_TRUE(guesser->SendEnvelope(as_alice));  // ignored: the guesser cannot prove itself
  ASSERT_TRUE(runtime_.RunUntil([&] { return !guesser->Poll(); }, kBudgetMs).ok());

  // The real alice calls web and gets the answer.
  Send(alice_id_, MakeCall(web_id_, 2));
  ASSERT_TRUE(runtime_.RunUntil([&] { return alice_->replies.size() == 1; }, kBudgetMs).ok());
  EXPECT_EQ(alice_->replies[0].correlation(), 2u);
  ASSERT_EQ(web_->calls.size(), 1u);  // only alice's own call reached web
  EXPECT_EQ(web_->calls[0].correlation(), 2u);
  EXPECT_EQ(stranger->NextEnvelope(), std::nullopt);
  EXPECT_EQ(guesser->NextEnvelope(), std::nullopt);

  const std::vector<TraceRecord> drops = TracesOf(TraceKind::kDrop, "web");
  ASSERT_EQ(drops.size(), 2u);
  EXPECT_THAT(drops[0].summary, HasSubstr("unauthenticated connection 127.0.1.2:"));
  EXPECT_THAT(drops[0].summary, HasSubstr("the first bytes are not a HELLO"));
  EXPECT_THAT(drops[1].summary, HasSubstr("claiming alice: handshake: the peer sent no proof"));
  for (const ConnectionInfo& info : runtime_.Connections()) {
    if (info.node == web_id_ && info.carries_sends) {
      EXPECT_EQ(info.peer, alice_id_);
    }
  }
}

TEST_F(AsioRuntimeFaultTest, SendToUnknownNodeIsReportedNotFound) {
  Send(alice_id_, MakeCall(99, 1));
  ASSERT_TRUE(runtime_.RunUntil([&] { return !alice_->undeliverable.empty(); }, kBudgetMs).ok());
  EXPECT_EQ(alice_->undeliverable[0].why.code(), StatusCode::kNotFound);
  EXPECT_EQ(TracesOf(TraceKind::kDrop, "alice").size(), 1u);
}

TEST_F(AsioRuntimeFaultTest, EnvelopeAboveTheFrameMaximumIsReportedAndNotSent) {
  v1::Envelope huge = MakeCall(web_id_, 3);
  huge.mutable_call()->set_path(std::string(kDefaultMaxFrameBodyBytes + 1, 'p'));
  Send(alice_id_, std::move(huge));
  // A runtime failure: the run stops at once, and the sender has been told.
  const Status run = runtime_.RunUntil([] { return false; }, kBudgetMs);
  EXPECT_EQ(run.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(run.message(), HasSubstr("alice: CALL"));
  EXPECT_THAT(run.message(), HasSubstr("to web not sent: envelope of"));
  EXPECT_EQ(runtime_.Failure().code(), StatusCode::kResourceExhausted);
  ASSERT_EQ(alice_->undeliverable.size(), 1u);
  EXPECT_EQ(alice_->undeliverable[0].why.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(runtime_.Connections().empty());
}

// A node that answers every call with a reply above the frame maximum.
class HugeReplier final : public Node {
 public:
  std::string_view name() const override { return "huge"; }
  void OnMessage(v1::Envelope& env, NodeContext& ctx) override {
    v1::Envelope reply;
    reply.set_to(env.from());
    reply.set_correlation(env.correlation());
    reply.mutable_call_reply()->mutable_result()->set_path(
        std::string(kDefaultMaxFrameBodyBytes + 1, 'r'));
    ctx.Send(std::move(reply));
  }
  void OnTimer(TimerId, NodeContext&) override {}
  void OnUndeliverable(const v1::Envelope&, const Status&, NodeContext&) override {}
};

TEST_F(AsioRuntimeTest, OversizedReplyIsReportedToTheCallerAtOnce) {
  PeerNode* caller = nullptr;
  const NodeId a = Add("caller", "127.0.1.2", &caller);
  const NodeId h = runtime_.AddNode(std::make_unique<HugeReplier>(), "127.0.1.3");
  ASSERT_TRUE(runtime_.Start().ok());
  Send(a, MakeCall(h, 5));
  const Clock::time_point before = Clock::now();
  const Status run = runtime_.RunUntil([&] { return !caller->undeliverable.empty(); }, kBudgetMs);
  EXPECT_LT(Clock::now() - before, std::chrono::milliseconds(1000));  // no wait for a timeout
  ASSERT_EQ(caller->undeliverable.size(), 1u) << run.ToString();
  EXPECT_EQ(caller->undeliverable[0].env.correlation(), 5u);
  EXPECT_EQ(caller->undeliverable[0].why.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(caller->undeliverable[0].why.message(),
              HasSubstr("the reply from huge was not sent"));
  EXPECT_EQ(runtime_.Failure().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(runtime_.Failure().message(), HasSubstr("huge: REPLY"));
}

// A node that waits for a reply that never comes, with a short deadline.
class DeadlineNode final : public Node {
 public:
  std::string_view name() const override { return "waiter"; }
  void OnMessage(v1::Envelope&, NodeContext&) override {}
  void OnTimer(TimerId, NodeContext&) override { fired = true; }
  void OnUndeliverable(const v1::Envelope&, const Status&, NodeContext&) override {}
  bool fired = false;
};

TEST_F(AsioRuntimeTest, ReplyDeadlineThatExpiresInRealTimeFailsTheRun) {
  const NodeId w = runtime_.AddNode(std::make_unique<DeadlineNode>(), "127.0.1.2");
  auto& waiter = static_cast<DeadlineNode&>(runtime_.GetNode(w));
  ASSERT_TRUE(runtime_.Start().ok());
  runtime_.Post(w, [](Node&, NodeContext& ctx) { ctx.StartDeadline(20); });
  const Status run = runtime_.RunUntil([] { return false; }, kBudgetMs);
  EXPECT_EQ(run.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(run.message(), HasSubstr("waiter: no reply within 20 ms of real time"));
  EXPECT_TRUE(waiter.fired);
  EXPECT_EQ(runtime_.Failure().code(), StatusCode::kDeadlineExceeded);
  // A plain timer is no failure: only deadlines are.
  AsioRuntime plain;
  const NodeId p = plain.AddNode(std::make_unique<DeadlineNode>(), "127.0.1.2");
  ASSERT_TRUE(plain.Start().ok());
  plain.Post(p, [](Node&, NodeContext& ctx) { ctx.StartTimer(5); });
  auto& plain_node = static_cast<DeadlineNode&>(plain.GetNode(p));
  EXPECT_TRUE(plain.RunUntil([&] { return plain_node.fired; }, kBudgetMs).ok());
  EXPECT_TRUE(plain.Failure().ok());
}

// --- (4) Timers, the clock, and budgets. ---

TEST_F(AsioRuntimeTest, TimersFireInDeadlineOrderAndCancelledOnesNever) {
  PeerNode* node = nullptr;
  const NodeId id = Add("timers", "127.0.1.2", &node);
  ASSERT_TRUE(runtime_.Start().ok());

  TimerId slow = 0, fast = 0, cancelled = 0;
  Time started_at = 0;
  runtime_.Post(id, [&](Node&, NodeContext& ctx) {
    started_at = ctx.Now();
    slow = ctx.StartTimer(60);
    fast = ctx.StartTimer(20);
    cancelled = ctx.StartTimer(40);
    ctx.CancelTimer(cancelled);
  });
  ASSERT_TRUE(runtime_.RunUntil([&] { return node->fired.size() == 2; }, kBudgetMs).ok());
  EXPECT_EQ(node->fired[0].timer, fast);
  EXPECT_EQ(node->fired[1].timer, slow);
  EXPECT_GE(node->fired[0].at - started_at, 20);
  EXPECT_GE(node->fired[1].at - started_at, 60);

  // The cancelled timer's time has long passed; it stays silent.
  EXPECT_EQ(runtime_.RunUntil([] { return false; }, 50).code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(node->fired.size(), 2u);
}

TEST_F(AsioRuntimeTest, ImpossibleConditionEndsWithDeadlineExceededWithinBudget) {
  PeerNode* node = nullptr;
  Add("idle", "127.0.1.2", &node);
  ASSERT_TRUE(runtime_.Start().ok());
  const Clock::time_point before = Clock::now();
  Status run = runtime_.RunUntil([] { return false; }, 200);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - before).count();
  EXPECT_EQ(run.code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(elapsed, 200);
  EXPECT_LT(elapsed, 700);
}

TEST_F(AsioRuntimeTest, ClockIsSimulatedClockStepsPlusLinkLatencies) {
  // As in the virtual runtime: idle real time moves nothing; each hop adds the latency.
  PeerNode* client = nullptr;
  PeerNode* server = nullptr;
  const NodeId a = Add("client", "127.0.1.2", &client);
  const NodeId b = Add("web", "127.0.1.3", &server);
  ASSERT_TRUE(runtime_.Start().ok());
  EXPECT_EQ(runtime_.Now(), 0);
  runtime_.AdvanceClock(3'600'000);
  EXPECT_EQ(runtime_.Now(), 3'600'000);
  runtime_.AdvanceClock(-5);  // ignored: the clock never goes back
  EXPECT_EQ(runtime_.Now(), 3'600'000);
  EXPECT_EQ(runtime_.RunUntil([] { return false; }, 30).code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(runtime_.Now(), 3'600'000);  // 30 ms of real time passed: no simulated time

  Send(a, MakeCall(b, 1));
  ASSERT_TRUE(runtime_.RunUntil([&] { return client->replies.size() == 1; }, kBudgetMs).ok());
  EXPECT_EQ(client->replies[0].sent_at_ms(), 3'600'001);  // web answered on arrival
  EXPECT_EQ(runtime_.Now(), 3'600'002);                   // a round trip: two hops
  runtime_.AdvanceClock(std::numeric_limits<Time>::max());
  EXPECT_EQ(runtime_.Now(), std::numeric_limits<Time>::max());  // saturates
}

TEST_F(AsioRuntimeTest, RunUntilReturnsAtOnceWhenDone) {
  PeerNode* node = nullptr;
  Add("idle", "127.0.1.2", &node);
  ASSERT_TRUE(runtime_.Start().ok());
  const Clock::time_point before = Clock::now();
  EXPECT_TRUE(runtime_.RunUntil([] { return true; }, 2000).ok());
  EXPECT_LT(Clock::now() - before, std::chrono::milliseconds(100));
}

// --- Start() checks its addresses. ---

TEST(AsioRuntimeStart, RefusesNonLoopbackAndMalformedAddresses) {
  for (const std::string host : {"10.0.0.1", "not-an-address", "::1"}) {
    AsioRuntime runtime;
    runtime.AddNode(std::make_unique<PeerNode>("web"), host);
    Status started = runtime.Start();
    EXPECT_EQ(started.code(), StatusCode::kInvalidArgument) << host;
    EXPECT_THAT(started.message(), HasSubstr(host));
  }
}

TEST(AsioRuntimeStart, StartsOnce) {
  AsioRuntime runtime;
  const NodeId id = runtime.AddNode(std::make_unique<PeerNode>("web"), "127.0.1.3");
  EXPECT_EQ(runtime.ListenPort(id), 0);
  ASSERT_TRUE(runtime.Start().ok());
  EXPECT_NE(runtime.ListenPort(id), 0);
  EXPECT_EQ(runtime.HostAddress(id), "127.0.1.3");
  EXPECT_EQ(runtime.Start().code(), StatusCode::kFailedPrecondition);
}

// --- (5) Shutdown leaves nothing running. ---

TEST_F(AsioRuntimeTest, ShutdownStopsEverythingAndRunUntilReturnsAtOnce) {
  PeerNode* client = nullptr;
  PeerNode* server = nullptr;
  const NodeId a = Add("client", "127.0.1.2", &client);
  const NodeId b = Add("web", "127.0.1.3", &server);
  ASSERT_TRUE(runtime_.Start().ok());
  const uint16_t port = runtime_.ListenPort(b);

  Send(a, MakeCall(b, 1));
  Send(a, MakeCall(b, 2, "hold"));  // stays pending
  runtime_.Post(a, [](Node&, NodeContext& ctx) { ctx.StartTimer(10'000); });
  ASSERT_TRUE(
      runtime_
          .RunUntil([&] { return client->replies.size() == 1 && server->calls.size() == 2; },
                    kBudgetMs)
          .ok());
  ASSERT_EQ(runtime_.Connections().size(), 2u);

  const Clock::time_point before = Clock::now();
  runtime_.Shutdown();
  const size_t traces_at_shutdown = traces_.size();
  Send(a, MakeCall(b, 3));  // ignored
  Status run = runtime_.RunUntil([] { return false; }, 5000);
  EXPECT_EQ(run.code(), StatusCode::kFailedPrecondition);
  EXPECT_LT(Clock::now() - before, std::chrono::milliseconds(500));
  EXPECT_TRUE(runtime_.RunUntil([] { return true; }, 5000).ok());

  EXPECT_TRUE(runtime_.Connections().empty());
  EXPECT_EQ(traces_.size(), traces_at_shutdown);
  EXPECT_TRUE(client->undeliverable.empty());  // Shutdown calls no node
  EXPECT_TRUE(client->fired.empty());
  EXPECT_EQ(server->calls.size(), 2u);
  // The listener is gone.
  EXPECT_EQ(TestPeer::Connect("127.0.1.2", "127.0.1.3", port), nullptr);
  runtime_.Shutdown();  // idempotent
}

TEST(AsioRuntimeUntraced, WithoutATraceSinkNodesAreToldAndRequestsStillComplete) {
  AsioRuntime runtime;
  auto client_owned = std::make_unique<PeerNode>("client");
  PeerNode* client = client_owned.get();
  auto server_owned = std::make_unique<PeerNode>("web");
  PeerNode* server = server_owned.get();
  const NodeId a = runtime.AddNode(std::move(client_owned), "127.0.1.2");
  const NodeId b = runtime.AddNode(std::move(server_owned), "127.0.1.3");
  ASSERT_TRUE(runtime.Start().ok());
  runtime.Post(a, [b](Node&, NodeContext& ctx) {
    EXPECT_FALSE(ctx.Tracing());
    for (uint64_t i = 1; i <= 20; ++i) ctx.Send(MakeCall(b, i));
  });
  ASSERT_TRUE(runtime.RunUntil([&] { return client->replies.size() == 20; }, kBudgetMs).ok());
  EXPECT_EQ(runtime.delivered(), 40u);
  EXPECT_FALSE(client->saw_tracing);
  EXPECT_FALSE(server->saw_tracing);
  for (const ConnectionInfo& c : runtime.Connections()) EXPECT_EQ(c.unanswered_requests, 0u);
}

TEST(AsioRuntimeShutdown, DestructorWithLiveConnectionsAndTimersIsPrompt) {
  auto runtime = std::make_unique<AsioRuntime>();
  auto client_owned = std::make_unique<PeerNode>("client");
  PeerNode* client = client_owned.get();
  const NodeId a = runtime->AddNode(std::move(client_owned), "127.0.1.2");
  const NodeId b = runtime->AddNode(std::make_unique<PeerNode>("web"), "127.0.1.3");
  ASSERT_TRUE(runtime->Start().ok());
  runtime->Post(a, [b](Node&, NodeContext& ctx) {
    for (uint64_t i = 1; i <= 50; ++i) ctx.Send(MakeCall(b, i, i % 2 ? "hold" : "c1/web"));
    ctx.StartTimer(60'000);
  });
  ASSERT_TRUE(runtime->RunUntil([&] { return client->replies.size() == 25; }, kBudgetMs).ok());
  // More work in flight: queued sends and a posted event nobody ran.
  runtime->Post(a, [b](Node&, NodeContext& ctx) { ctx.Send(MakeCall(b, 99)); });

  const Clock::time_point before = Clock::now();
  runtime.reset();
  EXPECT_LT(Clock::now() - before, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace delegsim::net
