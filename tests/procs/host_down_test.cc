// Host processes that end mid-run: a SIGKILLed host is the "host down" fault (a traced
// HOST_DOWN record naming the process and how it ended, DS-13 for the calls into it, the
// report says so), in bounded time; Ctrl-C (SIGINT to `delegsim run`) stops every host
// process. No test leaves a process behind: each verifies that no child remains.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "cli/host_command.h"
#include "nodes/context.h"
#include "sim/results.h"
#include "tests/procs/child_processes.h"
#include "tests/procs/procs_world.h"

namespace delegsim::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// ws1 -> web1 -> db1, `calls` times (c1, c2, ...).
std::string ChainScenario(int calls) {
  std::string steps;
  for (int i = 1; i <= calls; ++i) {
    steps += std::string(i > 1 ? ",\n" : "") + R"(    {"name": "c)" + std::to_string(i) +
             R"(", "user": "alice", "from": "ws1", "call": "web", "level": "delegate",
     "then": [{"call": "db", "level": "impersonate"}]})";
  }
  return R"({
  "name": "chain", "seed": 3,
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"},
            {"name": "db1", "domain": "CORP.EXAMPLE"}],
  "accounts": [
    {"name": "alice", "password": "alice-pw", "domain": "CORP.EXAMPLE"},
    {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE",
     "spns": ["http/web1.corp.example"], "trusted_for_delegation": true},
    {"name": "svc_db", "type": "service", "domain": "CORP.EXAMPLE",
     "spns": ["mssql/db1.corp.example"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"},
               {"name": "db", "host": "db1", "account": "svc_db"}],
  "steps": [
)" + steps +
         "\n  ]\n}\n";
}

std::string WriteScenario(const std::string& name, const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "/" + name + "-" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << text;
  return path;
}

const v1::HopResult* FindHop(const sim::World& world, const std::string& path) {
  for (const v1::HopResult* h : sim::AllHops(world.outcomes())) {
    if (h->path() == path) return h;
  }
  return nullptr;
}

// Killed between two calls, at a point the test controls: the first call's records reach
// the trace sink, which kills db1's process before the second call starts.
TEST(HostDown, KilledHostIsATracedFaultNamingTheProcess) {
  ChildReaper reaper;
  const std::string file = WriteScenario("kill", ChainScenario(3));
  const sim::Scenario scenario = LoadOrDie(file);
  net::ProcessRuntime* procs = nullptr;
  StatusOr<std::unique_ptr<sim::World>> world = BuildProcsWorld(file, scenario, &procs);
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  pid_t killed = 0;
  std::vector<nodes::TraceRecord> records;
  (*world)->SetTraceSink([&](const nodes::TraceRecord& r) {
    records.push_back(r);
    if (killed == 0 && r.kind == nodes::TraceKind::kHop && r.path == "c1/web/db") {
      for (const net::HostProcessInfo& h : procs->Hosts()) {
        if (h.name == "db1") killed = static_cast<pid_t>(h.pid);
      }
      ASSERT_GT(killed, 0);
      kill(killed, SIGKILL);
    }
  });
  const Clock::time_point begin = Clock::now();
  Status run = (*world)->Run();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin).count();
  ASSERT_TRUE(run.ok()) << run.ToString();
  ASSERT_GT(killed, 0) << "the first call never reached db1";
  EXPECT_LT(took, 20'000) << "bounded: a dead host is noticed, not waited for";

  // The calls into the dead host are DS-13 denials; the ones before it went through.
  const v1::HopResult* before = FindHop(**world, "c1/web/db");
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->verdict(), "allowed");
  for (const std::string path : {"c2/web/db", "c3/web/db"}) {
    const v1::HopResult* after = FindHop(**world, path);
    ASSERT_NE(after, nullptr) << path;
    EXPECT_EQ(after->verdict(), "denied") << path;
    EXPECT_EQ(after->decision().rule(), "DS-13") << path;
    EXPECT_EQ(after->decision().error(), "RPC_S_SERVER_UNAVAILABLE") << path;
    EXPECT_EQ(FindHop(**world, path.substr(0, 6))->verdict(), "allowed") << "web1 still runs";
  }
  // One HOST_DOWN record: which process, where, and how it ended.
  int host_down = 0;
  for (const nodes::TraceRecord& r : records) {
    if (r.kind != nodes::TraceKind::kHostDown) continue;
    ++host_down;
    EXPECT_EQ(r.node, "host db1");
    EXPECT_THAT(r.summary, HasSubstr("host db1 (pid " + std::to_string(killed) + ", 127."));
    EXPECT_THAT(r.summary, HasSubstr("ended: killed by signal 9 (SIGKILL)"));
  }
  EXPECT_EQ(host_down, 1);
  // What `run` reports: the text and the --json hosts.
  const std::string text = cli::ProcessHostsText(**world);
  EXPECT_THAT(text, HasSubstr("db1  pid " + std::to_string(killed)));
  EXPECT_THAT(text, HasSubstr("ENDED: killed by signal 9 (SIGKILL)"));
  const std::string json = cli::ProcessHostsJson(**world);
  EXPECT_THAT(json, HasSubstr("\"name\":\"db1\""));
  EXPECT_THAT(json, HasSubstr("\"how\":\"killed by signal 9 (SIGKILL)\""));
  world->reset();
  EXPECT_TRUE(RemainingChildren().empty()) << "a host process outlived its run";
}

// The same through `delegsim run`, killed from outside once the calls have begun (web1
// has connected to db1) with hundreds to go: `run` completes, reports the host that ended
// and how, and leaves nothing behind.
TEST(HostDown, RunReportsAHostKilledFromOutside) {
  ChildReaper reaper;
  const std::string file = WriteScenario("kill-cli", ChainScenario(400));
  Child run = Child::Start({DelegsimExecutable(), "run", file, "--runtime", "procs", "--no-color"});
  // Listening, connected to the controller, and called by web1: the calls have begun.
  const pid_t db1 = AwaitHostProcess(run.pid(), "db1", 3, 20'000);
  ASSERT_GT(db1, 0) << "db1's host process never appeared";
  ASSERT_EQ(kill(db1, SIGKILL), 0);
  const Child::Result r = run.Wait(60'000);
  ASSERT_FALSE(r.timed_out) << r.out << r.err;
  ASSERT_TRUE(r.exited) << "run crashed: signal " << r.signal << "\n" << r.err;
  const std::string how = "killed by signal 9 (SIGKILL)";
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("db1  pid " + std::to_string(db1))) << r.out;
  EXPECT_THAT(r.out, HasSubstr("ENDED: " + how)) << r.out;
  EXPECT_THAT(r.out, HasSubstr("RPC_S_SERVER_UNAVAILABLE")) << r.out;
  EXPECT_TRUE(RemainingChildren().empty()) << "a host process outlived its run";
}

// Ctrl-C: SIGINT to `delegsim run` while its hosts serve. It stops every host process,
// says it was interrupted, and exits 2 (did not complete) in bounded time.
TEST(HostDown, InterruptStopsEveryHostProcess) {
  ChildReaper reaper;
  const std::string file = WriteScenario("sigint", ChainScenario(400));
  Child run = Child::Start({DelegsimExecutable(), "run", file, "--runtime", "procs", "--no-color"});
  // Listening, connected to the controller, and called by ws1: the calls have begun.
  const pid_t web1 = AwaitHostProcess(run.pid(), "web1", 3, 20'000);
  ASSERT_GT(web1, 0) << "web1's host process never appeared";
  const std::vector<pid_t> hosts = ChildrenOf(run.pid());
  EXPECT_GE(hosts.size(), 3u);
  ASSERT_EQ(kill(run.pid(), SIGINT), 0);
  const Child::Result r = run.Wait(30'000);
  ASSERT_FALSE(r.timed_out);
  ASSERT_TRUE(r.exited) << "signal " << r.signal;
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("interrupted by SIGINT")) << r.err;
  EXPECT_TRUE(RemainingChildren().empty()) << "a host process outlived its run";
  for (pid_t host : hosts) EXPECT_NE(kill(host, 0), 0) << "host process " << host << " lives";
}

}  // namespace
}  // namespace delegsim::testing
