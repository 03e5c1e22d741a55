// Predicted Windows security events of library scenarios: the DC's 4768/4769 with ticket
// options, failure codes and transited services; the servers' 4624/4625 and 4648.
#include "sim/security_events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/trace_json.h"
#include "sim/virtual_runtime.h"
#include "tests/scenario_library.h"

namespace delegsim::sim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using delegsim::testing::LibraryScenario;

struct EventRun {
  std::unique_ptr<World> world;
  std::vector<SecurityEvent> events;
};

EventRun RunScenario(const std::string& name) {
  EventRun run;
  LoadResult r = LoadScenarioFile(LibraryScenario(name));
  EXPECT_TRUE(r.ok()) << name;
  auto runtime = std::make_unique<VirtualRuntime>();
  runtime->CaptureMessages(true);
  StatusOr<std::unique_ptr<World>> w = World::Build(*r.scenario, std::move(runtime));
  EXPECT_TRUE(w.ok());
  run.world = std::move(*w);
  EXPECT_TRUE(run.world->Run().ok());
  run.events = PredictSecurityEvents(*run.world);
  return run;
}

std::string Field(const SecurityEvent& e, const std::string& name) {
  for (const auto& [n, v] : e.fields) {
    if (n == name) return v;
  }
  return "(absent)";
}

std::vector<std::string> Lines(const std::vector<SecurityEvent>& events) {
  std::vector<std::string> out;
  for (const SecurityEvent& e : events) out.push_back(e.ToText());
  return out;
}

TEST(SecurityEvents, TwoHopChainLogsTgtServiceTicketsAndNetworkLogons) {
  EventRun run = RunScenario("two-hop");
  ASSERT_EQ(run.events.size(), 6u) << ::testing::PrintToString(Lines(run.events));
  const SecurityEvent& tgt = run.events[0];
  EXPECT_EQ(tgt.id, 4768);
  EXPECT_EQ(tgt.computer, "kdc.corp.example");
  EXPECT_EQ(Field(tgt, "Account Name"), "alice");
  EXPECT_EQ(Field(tgt, "Ticket Options"), "0x40810000");  // forwardable, renewable, canonicalize
  EXPECT_EQ(Field(tgt, "Result Code"), "0x0");
  EXPECT_EQ(Field(tgt, "Pre-Authentication Type"), "2");
  EXPECT_EQ(run.events[1].id, 4769);
  EXPECT_EQ(Field(run.events[1], "Service Name"), "http/web1.corp.example");
  // The forwarded TGT (UD-3): FORWARDED asked.
  EXPECT_EQ(Field(run.events[2], "Service Name"), "krbtgt/CORP.EXAMPLE");
  EXPECT_EQ(Field(run.events[2], "Ticket Options"), "0x60810000");
  const SecurityEvent& web = run.events[3];
  EXPECT_EQ(web.id, 4624);
  EXPECT_EQ(web.computer, "web1");
  EXPECT_EQ(web.path, "c1/web");
  EXPECT_EQ(Field(web, "Logon Type"), "3");
  EXPECT_EQ(Field(web, "Impersonation Level"), "Delegation");
  EXPECT_EQ(Field(web, "Authentication Package"), "Kerberos");
  EXPECT_EQ(Field(run.events[4], "Client Address"), "web1");  // web asks for db's ticket
  EXPECT_EQ(Field(run.events[5], "Impersonation Level"), "Impersonation");
  EXPECT_EQ(run.events[5].computer, "db1");
}

TEST(SecurityEvents, ProtocolTransitionLogsS4uAndTransitedServicesAndBadOption) {
  EventRun run = RunScenario("profile-heimdal-s4u2self-and-forwardable-requests");
  std::vector<std::string> lines = Lines(run.events);
  EXPECT_THAT(lines, ::testing::Contains(HasSubstr("S4U2self For User=alice@SAMBA.EXAMPLE")));
  EXPECT_THAT(lines, ::testing::Contains(HasSubstr("Ticket Options=0x40030000, Failure Code=0x0, "
                                                   "Transited Services=http/pt1.samba.example")));
  // Without T2A4D the S4U2proxy request fails with KDC_ERR_BADOPTION (0xD).
  EXPECT_THAT(lines, ::testing::Contains(HasSubstr("Failure Code=0xD")));
}

TEST(SecurityEvents, RefusedNetworkLogonAndExplicitCredentials) {
  EventRun pu = RunScenario("protected-users-no-delegation-no-ntlm");
  EXPECT_THAT(Lines(pu.events),
              ::testing::Contains(HasSubstr(
                  "4625 on web1 [dave-ntlm/web]: An account failed to log on: Logon Type=3, "
                  "Account Name=dave@CORP.EXAMPLE, Status=STATUS_ACCOUNT_RESTRICTION")));
  EventRun logon = RunScenario("seed-b-logon-user-needs-tcb-on-windows-2000");
  EXPECT_THAT(Lines(logon.events),
              ::testing::Contains(
                  "4648 on app1 [no-tcb/app]: A logon was attempted using explicit credentials: "
                  "Subject Account Name=svc_app, Account Whose Credentials Were Used=bob, Target "
                  "Server Name=localhost, Result=denied"));
}

TEST(SecurityEvents, JsonCarriesTheEvents) {
  EventRun run = RunScenario("two-hop");
  std::string json = AddEventsToJson("{\n  \"scenario\": \"two-hop\"\n}", run.events);
  EXPECT_THAT(json, HasSubstr("\"events\": [\n    {\n      \"event_id\": 4768,"));
  EXPECT_THAT(json, HasSubstr("\"Impersonation Level\": \"Delegation\""));
  EXPECT_EQ(KerberosResultCode("KDC_ERR_BADOPTION"), "0xD");
  EXPECT_EQ(KerberosResultCode("KDC_ERR_POLICY"), "0xC");
}

TEST(TraceForTools, MessageRecordsSayWhereTheyGo) {
  EventRun run = RunScenario("two-hop");
  const nodes::TraceView first = run.world->trace()[0];
  ASSERT_EQ(first.kind(), nodes::TraceKind::kSend);
  std::string line = TraceLineJsonForTools(first, *run.world);
  EXPECT_THAT(line, HasSubstr("\"from\":{\"node\":\"alice@ws1\",\"host\":\"ws1\"},"
                              "\"to\":{\"node\":\"kdc.corp.example\",\"host\":"
                              "\"dc.corp.example\"},\"message\":\"as_req\",\"correlation\":"));
  // A decision record carries no message and gains nothing.
  for (nodes::TraceView r : run.world->trace()) {
    if (r.kind() != nodes::TraceKind::kKdcDecision) continue;
    EXPECT_EQ(TraceLineJsonForTools(r, *run.world), TraceLineJson(r));
    break;
  }
}

}  // namespace
}  // namespace delegsim::sim
