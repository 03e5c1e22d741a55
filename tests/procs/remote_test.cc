// Hosts started by hand: two `delegsim host --scenario F --host NAME --listen
// 127.0.0.1:0` processes (each prints the port it got), then a run that uses them with
// `--remote NAME=ADDR:PORT` and starts the other hosts itself. Same decisions as the
// virtual runtime. Before the run, strangers try the hand-started hosts: a controller and
// a node with the wrong secret, and a frame with no handshake at all; none gets an
// envelope accepted (no answer, the connection closed), and the run that follows works.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "net/asio_runtime.h"
#include "net/frame.h"
#include "net/handshake.h"
#include "sim/virtual_runtime.h"
#include "tests/hop_decisions.h"
#include "tests/net/test_peer.h"
#include "tests/procs/child_processes.h"
#include "tests/procs/procs_world.h"
#include "tests/scenario_library.h"

namespace delegsim::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

struct HandStarted {
  Child process;
  uint16_t port = 0;
};

// Starts `delegsim host` for `host` on 127.0.0.1 (a free port the host picks and prints).
HandStarted StartHost(const std::string& file, const std::string& host, const std::string& hex) {
  HandStarted h{Child::Start({DelegsimExecutable(), "host", "--scenario", file, "--host", host,
                              "--listen", "127.0.0.1:0"},
                             {std::string(net::kRunSecretEnv) + "=" + hex}),
                0};
  const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
  const Clock::time_point until = Clock::now() + std::chrono::seconds(20);
  std::smatch m;
  while (Clock::now() < until) {
    const std::string out = h.process.PollOut();
    if (std::regex_search(out, m, listening)) {
      h.port = static_cast<uint16_t>(std::stoi(m[1].str()));
      break;
    }
    usleep(2'000);
  }
  return h;
}

// Pumps `peer` until its handshake completes, fails or the host closes; bounded.
void Pump(TestPeer& peer) {
  const Clock::time_point until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until && !peer.closed() && peer.handshake_status().ok()) {
    if (peer.AdvanceHandshake()) return;
    usleep(1'000);
  }
}

// Whether an envelope (a HostReady, say) comes back within `ms` or the host closes first.
bool AnswersWithin(TestPeer& peer, int ms) {
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < until) {
    if (peer.NextEnvelope().has_value()) return true;
    if (!peer.Poll()) return false;  // closed
    usleep(1'000);
  }
  return false;
}

v1::Envelope Configure() {
  v1::Envelope env;
  env.set_from(net::kControllerNode);
  env.set_to(net::kHostNode);
  env.mutable_host_control()->mutable_configure()->set_tracing(true);
  return env;
}

TEST(Remote, RunUsesTwoHandStartedHostsAndStrangersGetNothingAccepted) {
  ChildReaper reaper;
  const std::string file = (ScenarioDir() / "default.json").string();
  StatusOr<std::string> secret = net::NewRunSecret();
  ASSERT_TRUE(secret.ok());
  const std::string hex = net::HexEncode(*secret);
  HandStarted web1 = StartHost(file, "web1", hex);
  HandStarted db1 = StartHost(file, "db1", hex);
  ASSERT_NE(web1.port, 0) << web1.process.PollOut();
  ASSERT_NE(db1.port, 0) << db1.process.PollOut();

  const std::string wrong = std::string(secret->size(), 'x');
  {
    // A controller with the wrong secret: the handshake fails, its configure is not taken.
    auto peer = TestPeer::Connect("127.0.0.1", "127.0.0.1", web1.port);
    ASSERT_NE(peer, nullptr);
    peer->StartHandshake(wrong, net::kControllerNode, net::kHostNode);
    Pump(*peer);
    EXPECT_TRUE(!peer->handshake_status().ok() || peer->closed())
        << "a wrong secret completed the handshake";
    peer->SendEnvelope(Configure());
    EXPECT_FALSE(AnswersWithin(*peer, 500)) << "the host answered a stranger";
  }
  {
    // A node of the world (node 1) with the wrong secret.
    auto peer = TestPeer::Connect("127.0.0.1", "127.0.0.1", db1.port);
    ASSERT_NE(peer, nullptr);
    peer->StartHandshake(wrong, 1, 2);
    Pump(*peer);
    EXPECT_TRUE(!peer->handshake_status().ok() || peer->closed());
    EXPECT_FALSE(AnswersWithin(*peer, 500));
  }
  {
    // A frame with no handshake at all.
    auto peer = TestPeer::Connect("127.0.0.1", "127.0.0.1", web1.port);
    ASSERT_NE(peer, nullptr);
    StatusOr<std::string> frame = net::EncodeFrame(Configure(), net::kDefaultMaxFrameBodyBytes);
    ASSERT_TRUE(frame.ok());
    peer->SendAll(*frame);
    const Clock::time_point until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until && peer->Poll()) usleep(1'000);
    EXPECT_TRUE(peer->closed()) << "the host kept a connection that never authenticated";
    EXPECT_EQ(peer->received().find("ready"), std::string::npos);
  }

  // The run: web1 and db1 by hand, the other hosts started by the run; the decisions of
  // virtual time.
  const sim::Scenario scenario = LoadOrDie(file);
  StatusOr<std::unique_ptr<sim::World>> reference =
      sim::World::Build(scenario, std::make_unique<sim::VirtualRuntime>());
  ASSERT_TRUE(reference.ok());
  const std::string virtual_time = RunAndDescribeDecisions(**reference);
  {
    net::ProcessRuntime* procs = nullptr;
    StatusOr<std::unique_ptr<sim::World>> world =
        BuildProcsWorld(file, scenario, &procs, /*netns=*/false,
                        {{"web1", "127.0.0.1:" + std::to_string(web1.port)},
                         {"db1", "127.0.0.1:" + std::to_string(db1.port)}},
                        *secret);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    EXPECT_EQ(RunAndDescribeDecisions(**world), virtual_time);
    for (const net::HostProcessInfo& h : procs->Hosts()) {
      if (h.name == "web1") {
        EXPECT_FALSE(h.started_here);
        EXPECT_EQ(h.pid, web1.process.pid());
        EXPECT_EQ(h.endpoint, "127.0.0.1:" + std::to_string(web1.port));
      }
      EXPECT_FALSE(h.ended) << h.name << " " << h.how;
    }
  }
  // A hand-started host serves one run and exits 0 when its controller goes.
  for (HandStarted* h : {&web1, &db1}) {
    const Child::Result r = h->process.Wait(10'000);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited && r.code == 0) << r.err;
  }
  EXPECT_TRUE(RemainingChildren().empty());
}

// `delegsim run --remote` end to end, with --json listing each host with pid and address.
TEST(Remote, RunCommandWithRemoteListsHosts) {
  ChildReaper reaper;
  const std::string file = (ScenarioDir() / "default.json").string();
  StatusOr<std::string> secret = net::NewRunSecret();
  ASSERT_TRUE(secret.ok());
  const std::string hex = net::HexEncode(*secret);
  HandStarted web1 = StartHost(file, "web1", hex);
  ASSERT_NE(web1.port, 0);
  const std::string env = std::string(net::kRunSecretEnv) + "=" + hex;
  Child run = Child::Start({DelegsimExecutable(), "run", file, "--runtime", "procs", "--json",
                            "--remote", "web1=127.0.0.1:" + std::to_string(web1.port)},
                           {env});
  const Child::Result r = run.Wait(60'000);
  ASSERT_TRUE(r.exited && r.code == 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j.contains("hosts") && j["hosts"].is_array()) << r.out;
  bool saw_web1 = false;
  for (const nlohmann::json& h : j["hosts"]) {
    EXPECT_GT(h.value("pid", 0), 0) << h.dump();
    EXPECT_FALSE(h.value("address", "").empty()) << h.dump();
    if (h.value("name", "") == "web1") {
      saw_web1 = true;
      EXPECT_EQ(h.value("pid", 0), web1.process.pid());
      EXPECT_EQ(h.value("started_by_run", true), false);
      EXPECT_EQ(h.value("endpoint", ""), "127.0.0.1:" + std::to_string(web1.port));
    }
  }
  EXPECT_TRUE(saw_web1) << r.out;
  // Without the secret, --remote is refused before anything starts.
  Child refused = Child::Start({DelegsimExecutable(), "run", file, "--runtime", "procs", "--remote",
                                "web1=127.0.0.1:" + std::to_string(web1.port)});
  const Child::Result no_secret = refused.Wait(30'000);
  EXPECT_TRUE(no_secret.exited && no_secret.code == 2) << no_secret.out << no_secret.err;
  EXPECT_THAT(no_secret.err, HasSubstr(net::kRunSecretEnv));
  const Child::Result host = web1.process.Wait(10'000);
  EXPECT_TRUE(host.exited && host.code == 0) << host.err;
  EXPECT_TRUE(RemainingChildren().empty());
}

}  // namespace
}  // namespace delegsim::testing
