// Expectations can fail, and say where: a scenario whose expectations contradict what the
// simulator decides reports each difference with its line, hop path, field, expected and
// actual values; `delegsim check` then exits 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

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

}  // namespace
}  // namespace delegsim::sim
