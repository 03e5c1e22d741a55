// World::SetParallelCalls: calls overlap on the runtime (a new one starts as soon as one
// completes), a clock step waits for every call before it, outcomes stay in step order.
// That overlapping calls take the decisions of calls made one after another is shown for
// the whole library in tests/scenarios/runtime_agreement_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/loader.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::sim {
namespace {

using ::testing::ElementsAre;

constexpr char kScenario[] = R"({
  "name": "overlap",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"},
            {"name": "db1", "domain": "CORP.EXAMPLE"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"}, {"name": "bob", "domain": "CORP.EXAMPLE"},
               {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE",
                "spns": ["http/web1"], "trusted_for_delegation": true},
               {"name": "svc_db", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["mssql/db1"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"},
               {"name": "db", "host": "db1", "account": "svc_db"}],
  "steps": [
    {"name": "a1", "user": "alice", "from": "ws1", "call": "web", "level": "delegate",
     "then": [{"call": "db"}]},
    {"name": "b1", "user": "bob", "from": "ws1", "call": "web"},
    {"name": "a2", "user": "alice", "from": "ws1", "call": "db"},
    {"advance_clock": "1h"},
    {"name": "b2", "user": "bob", "from": "ws1", "call": "web", "level": "delegate",
     "then": [{"call": "db"}]},
    {"name": "a3", "user": "alice", "from": "ws1", "call": "web"}
  ]
})";

struct Observed {
  std::vector<std::string> labels;
  std::map<std::string, std::pair<nodes::Time, nodes::Time>> span;  // first, last record
  nodes::Time end = 0;
};

Observed RunWith(size_t parallel) {
  LoadResult loaded = LoadScenarioText(kScenario, "overlap.json");
  EXPECT_TRUE(loaded.ok());
  StatusOr<std::unique_ptr<World>> world =
      World::Build(*loaded.scenario, std::make_unique<VirtualRuntime>());
  EXPECT_TRUE(world.ok());
  Observed run;
  (*world)->SetParallelCalls(parallel);
  (*world)->SetTraceSink([&run](const nodes::TraceRecord& r) {
    if (r.path.empty()) return;
    std::string label = r.path.substr(0, r.path.find('/'));
    auto [it, fresh] = run.span.try_emplace(label, r.time, r.time);
    it->second.second = r.time;
  });
  EXPECT_TRUE((*world)->Run().ok());
  for (const CallOutcome& o : (*world)->outcomes()) {
    EXPECT_TRUE(o.status.ok()) << o.label;
    EXPECT_EQ(o.result.path().substr(0, o.label.size() + 1), o.label + "/");  // its own tree
    EXPECT_EQ(o.result.verdict(), "allowed") << o.label;
    run.labels.push_back(o.label);
  }
  run.end = (*world)->runtime().Now();
  return run;
}

TEST(WorldParallel, CallsOverlapUpToTheWindowAndOutcomesKeepStepOrder) {
  Observed one = RunWith(1);
  Observed three = RunWith(3);
  EXPECT_THAT(one.labels, ElementsAre("a1", "b1", "a2", "b2", "a3"));
  EXPECT_THAT(three.labels, ElementsAre("a1", "b1", "a2", "b2", "a3"));
  // One after another, each call starts after the one before it ended.
  EXPECT_GT(one.span["b1"].first, one.span["a1"].second);
  EXPECT_GT(one.span["a2"].first, one.span["b1"].second);
  // Three at once: a1, b1 and a2 all start before any of them has ended.
  EXPECT_LT(three.span["b1"].first, three.span["a1"].second);
  EXPECT_LT(three.span["a2"].first, three.span["a1"].second);
  EXPECT_LT(three.end, one.end);
}

TEST(WorldParallel, AClockStepWaitsForEveryCallBeforeIt) {
  Observed three = RunWith(3);
  nodes::Time before =
      std::max({three.span["a1"].second, three.span["b1"].second, three.span["a2"].second});
  EXPECT_GE(three.span["b2"].first, before + 3'600'000);
  EXPECT_GE(three.span["a3"].first, before + 3'600'000);
  EXPECT_LT(three.span["a3"].first, three.span["b2"].second);  // and overlap again after it
}

}  // namespace
}  // namespace delegsim::sim
