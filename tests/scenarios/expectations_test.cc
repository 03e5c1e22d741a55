// Expectations can fail, and say where: a scenario whose expectations contradict what the
// simulator decides reports each difference with its line, hop path, field, expected and
// actual values; `delegsim check` then exits 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/scenario_library.h"

namespace delegsim::sim {
namespace {

using ::testing::HasSubstr;

constexpr char kScenario[] = R"({
  "name": "wrong-expectations",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"}],
  "accounts": [
    {"name": "alice", "password": "pw", "domain": "CORP.EXAMPLE"},
    {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]}
  ],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"}],
  "objects": [{"name": "doc", "host": "web1", "owner": "svc_web", "acl": [{"allow": "svc_web", "rights": ["read"]}]}],
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "level": "delegate",
             "ignore_delegate_failure": true, "then": [{"open": "doc"}]}],
  "expect": [
    {"path": "c1/web", "level": "impersonate", "net_creds": "s4u_proxy{}", "rules": ["UD-2"]},
    {"path": "c1/web", "level": "delegate", "net_creds": "tgt"},
    {"path": "c1/web", "access": "doc", "verdict": "allowed", "decided_by": "TK-11"}
  ]
})";

TEST(Expectations, FailuresNameLineHopFieldExpectedAndActual) {
  LoadResult loaded = LoadScenarioText(kScenario, "wrong.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.front().ToString();
  StatusOr<std::unique_ptr<World>> w =
      World::Build(*loaded.scenario, std::make_unique<VirtualRuntime>());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Run().ok());
  ExpectationReport r = CheckExpectations(*loaded.scenario, (*w)->outcomes());
  EXPECT_EQ(r.passed,
            1);  // UD-2 kept delegation away: impersonate, S4U2proxy evidence only (KCD-7)
  EXPECT_EQ(r.failed, 2);
  std::vector<std::string> lines;
  for (const ExpectationFailure& f : r.failures) lines.push_back(f.ToString("wrong.json"));
  EXPECT_THAT(lines, ::testing::Contains(
                         "wrong.json:15: c1/web level: expected delegate, got impersonate"));
  EXPECT_THAT(
      lines, ::testing::Contains("wrong.json:15: c1/web net_creds: expected tgt, got s4u_proxy{}"));
  EXPECT_THAT(lines, ::testing::Contains(
                         "wrong.json:16: c1/web#doc verdict: expected allowed, got denied"));
}

// What `delegsim check` gets when it checks each call's expectations as the call
// completes and keeps no hop tree (World::KeepOutcomeTrees(false)).
struct Streamed {
  ExpectationReport report;
  size_t hops = 0;
  size_t trees_left = 0;  // outcomes still holding a hop tree after the run
  std::string status;     // of the run
};

std::vector<std::string> Lines(const ExpectationReport& r) {
  std::vector<std::string> out;
  for (const ExpectationFailure& f : r.failures) out.push_back(f.ToString("s.json"));
  return out;
}

Streamed RunStreamed(const Scenario& s, bool keep_trace) {
  Streamed out;
  StatusOr<std::unique_ptr<World>> w = World::Build(s, std::make_unique<VirtualRuntime>());
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (!w.ok()) return out;
  ExpectationChecker checker((*w)->scenario());
  (*w)->KeepTrace(keep_trace);
  (*w)->KeepOutcomeTrees(false);
  (*w)->SetOutcomeSink([&](const CallOutcome& o) {
    checker.Add(o);
    out.hops += HopCount(o);
  });
  out.status = (*w)->Run().ToString();
  out.report = checker.Finish();
  for (const CallOutcome& o : (*w)->outcomes()) out.trees_left += o.result.ByteSizeLong() > 0;
  return out;
}

// Checked call by call with no tree kept, or at the end with every tree: the same report,
// and nothing of the trees left behind.
void ExpectSameAsCheckingAtTheEnd(const Scenario& s) {
  StatusOr<std::unique_ptr<World>> w = World::Build(s, std::make_unique<VirtualRuntime>());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  (*w)->KeepTrace(false);
  const std::string status = (*w)->Run().ToString();
  ExpectationReport at_end = CheckExpectations(s, (*w)->outcomes());
  Streamed streamed = RunStreamed(s, /*keep_trace=*/false);
  EXPECT_EQ(streamed.status, status);
  EXPECT_EQ(streamed.report.passed, at_end.passed);
  EXPECT_EQ(streamed.report.failed, at_end.failed);
  EXPECT_EQ(Lines(streamed.report), Lines(at_end));
  EXPECT_EQ(streamed.hops, AllHops((*w)->outcomes()).size());
  EXPECT_EQ(streamed.trees_left, 0u) << "a run with no consumer of the trees kept them";
}

TEST(ExpectationChecker, FailuresAsCallsFinishAreTheFailuresAtTheEnd) {
  LoadResult loaded = LoadScenarioText(kScenario, "wrong.json");
  ASSERT_TRUE(loaded.ok());
  ExpectSameAsCheckingAtTheEnd(*loaded.scenario);
}

// A kept trace's HOP records are the trees' nodes: the trees stay while it is kept.
TEST(ExpectationChecker, TreesStayWhileTheTraceIsKept) {
  LoadResult loaded = LoadScenarioText(kScenario, "wrong.json");
  ASSERT_TRUE(loaded.ok());
  Streamed streamed = RunStreamed(*loaded.scenario, /*keep_trace=*/true);
  EXPECT_EQ(streamed.trees_left, 1u);
  EXPECT_EQ(streamed.report.failed, 2);
}

class LibraryExpectations : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(LibraryExpectations, CheckedAsCallsFinishWithoutKeepingTrees) {
  LoadResult loaded = LoadScenarioFile(GetParam().string());
  ASSERT_TRUE(loaded.ok()) << GetParam();
  ExpectSameAsCheckingAtTheEnd(*loaded.scenario);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, LibraryExpectations,
                         ::testing::ValuesIn(delegsim::testing::ScenarioFiles()),
                         [](const ::testing::TestParamInfo<std::filesystem::path>& info) {
                           return delegsim::testing::ScenarioTestName(info.param);
                         });

}  // namespace
}  // namespace delegsim::sim
