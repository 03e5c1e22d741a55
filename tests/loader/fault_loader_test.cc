// The `faults` section and `--fault` arguments: what the loader accepts and every problem
// it reports, located.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/loader.h"

namespace delegsim::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

// A valid world on lines 1-6; tests append a faults section from line 7 on.
constexpr char kWorld[] = R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"}],
  "accounts": [{"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"}],
)";

std::vector<std::string> Problems(const std::string& faults,
                                  const std::vector<std::string>& arguments = {}) {
  LoadResult r =
      LoadScenarioText(std::string(kWorld) + faults, "t.json", kMaxScenarioBytes, arguments);
  EXPECT_FALSE(r.ok());
  std::vector<std::string> out;
  for (const Problem& p : r.problems) out.push_back(p.ToString());
  return out;
}

TEST(FaultLoaderTest, EveryKindLoadsWithItsWindow) {
  LoadResult r = LoadScenarioText(std::string(kWorld) + R"(  "faults": [
    {"name": "reboot", "kind": "host_down", "host": "web1", "start": "1h", "end": "2h"},
    {"kind": "kdc_unreachable", "domain": "corp.example"},
    {"kind": "drop", "from": "ws1", "to": "web1", "both_ways": true},
    {"kind": "delay", "from": "ws1", "to": "web1", "by": "500ms"},
    {"kind": "slow_host", "host": "web1", "by": 2000}
  ]
})",
                                  "t.json");
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].ToString());
  const std::vector<FaultSpec>& f = r.scenario->faults;
  ASSERT_THAT(f, SizeIs(5));
  EXPECT_EQ(f[0].kind, FaultSpec::Kind::kHostDown);
  EXPECT_EQ(f[0].name, "reboot");
  EXPECT_EQ(f[0].start_ms, 3'600'000);
  EXPECT_EQ(f[0].end_ms, 7'200'000);
  EXPECT_EQ(f[1].kind, FaultSpec::Kind::kKdcUnreachable);
  EXPECT_FALSE(f[1].end_ms.has_value());
  EXPECT_TRUE(f[2].both_ways);
  EXPECT_EQ(f[3].by_ms, 500);
  EXPECT_EQ(f[4].kind, FaultSpec::Kind::kSlowHost);
  EXPECT_EQ(f[4].by_ms, 2000);
}

TEST(FaultLoaderTest, EveryProblemIsLocated) {
  EXPECT_THAT(
      Problems(R"(  "faults": [
    {"kind": "host_dwn", "host": "web1"},
    {"kind": "host_down", "host": "webb1"},
    {"kind": "kdc_unreachable", "domain": "CORP.EXAMPL", "host": "web1"},
    {"kind": "drop", "from": "ws1"},
    {"kind": "delay", "from": "ws1", "to": "ws1", "by": "soon"},
    {"kind": "host_down", "host": "web1", "start": "2h", "end": "1h", "strat": "1h"}
  ]
})"),
      ElementsAre(
          "t.json:8: $.faults[0].kind: unknown fault kind 'host_dwn' (did you mean "
          "'host_down'?)",
          "t.json:9: $.faults[1].host: unknown host 'webb1' (did you mean 'web1'?)",
          "t.json:10: $.faults[2].host: a kdc_unreachable fault has no 'host' (it takes domain)",
          "t.json:10: $.faults[2].domain: unknown domain 'CORP.EXAMPL' (did you mean "
          "'CORP.EXAMPLE'?)",
          "t.json:11: $.faults[3]: a drop fault needs 'to'",
          "t.json:12: $.faults[4].by: invalid duration 'soon' (expected a whole number followed "
          "by ms, s, m, h or d, e.g. \"11h\")",
          "t.json:12: $.faults[4].to: a delay fault is between two different hosts",
          "t.json:13: $.faults[5].end: the fault ends before it starts (end must be later than "
          "start)",
          "t.json:13: $.faults[5].strat: unknown field 'strat' (did you mean 'start'?)"));
}

TEST(FaultLoaderTest, CommandLineFaultsAreCheckedAsIfTheFileListedThem) {
  LoadResult ok = LoadScenarioText(
      std::string(kWorld) + "  \"faults\": []\n}", "t.json", kMaxScenarioBytes,
      {"host_down:web1,start=1m,end=5m,name=reboot", "drop:ws1<->web1", "delay:ws1->web1,by=2s",
       "kdc_unreachable:CORP.EXAMPLE", "slow_host:ws1,by=1s"});
  ASSERT_TRUE(ok.ok()) << (ok.problems.empty() ? "" : ok.problems[0].ToString());
  const std::vector<FaultSpec>& f = ok.scenario->faults;
  ASSERT_THAT(f, SizeIs(5));
  EXPECT_EQ(f[0].name, "reboot");
  EXPECT_EQ(f[0].start_ms, 60'000);
  EXPECT_EQ(f[0].end_ms, 300'000);
  EXPECT_EQ(f[1].from, "ws1");
  EXPECT_EQ(f[1].to, "web1");
  EXPECT_TRUE(f[1].both_ways);
  EXPECT_FALSE(f[2].both_ways);
  EXPECT_EQ(f[2].by_ms, 2000);

  EXPECT_THAT(Problems("  \"faults\": []\n}", {"host_down:wbe1", "drop:ws1", "boom:x,sart=1s"}),
              ElementsAre("t.json: --fault[1]: a drop fault needs 'to'",
                          "t.json: --fault[2].sart: unknown field 'sart' (did you mean "
                          "'start'?)",
                          "t.json: --fault[2].kind: unknown fault kind 'boom' (expected one of: "
                          "host_down, kdc_unreachable, drop, delay, slow_host)",
                          // Names are resolved after every fault is decoded.
                          "t.json: --fault[0].host: unknown host 'wbe1' (did you mean 'web1'?)"));
}

}  // namespace
}  // namespace delegsim::sim
