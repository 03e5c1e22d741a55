// One engine, proven: every flow `delegsim reach` reports for the library's scenarios,
// written back as a scenario (--emit-scenario) and run as an ordinary step, gets the same
// verdict, identity, level and net_creds; identity-class members stand in for their
// representatives only where the replay agrees; and direct calls reach reports as
// unreachable are not allowed as that identity when run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "analysis/invariants.h"
#include "analysis/prober.h"
#include "analysis/reach.h"
#include "analysis/report.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/scenario_library.h"

namespace delegsim::analysis {
namespace {

namespace fs = std::filesystem;

using delegsim::testing::ScenarioDir;
using delegsim::testing::ScenarioFiles;
using delegsim::testing::ScenarioTestName;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the scenario EmitScenario wrote for `flow` and compares its last hop.
void Replay(const std::string& text, const Prober& prober, const Flow& flow,
            const std::string& where) {
  StatusOr<std::string> doc = EmitScenario(text, prober, flow);
  ASSERT_TRUE(doc.ok()) << where << ": " << doc.status().ToString();
  sim::LoadResult loaded = sim::LoadScenarioText(*doc, where);
  ASSERT_TRUE(loaded.ok()) << where << ": emitted scenario does not load: "
                           << loaded.problems.front().ToString() << "\n"
                           << *doc;
  auto world = sim::World::Build(*loaded.scenario, std::make_unique<sim::VirtualRuntime>());
  ASSERT_TRUE(world.ok()) << where << ": " << world.status().ToString();
  ASSERT_TRUE((*world)->Run().ok());
  const v1::HopResult* hop = sim::FindHop((*world)->outcomes(), ReplayPath(flow));
  ASSERT_NE(hop, nullptr) << where << ": no hop " << ReplayPath(flow);
  EXPECT_EQ(hop->verdict(), "allowed") << where << " " << Prober::Describe(flow.replay);
  EXPECT_EQ(hop->identity(), flow.identity) << where << " " << Prober::Describe(flow.replay);
  EXPECT_EQ(sim::HopLevel(*hop), flow.level) << where << " " << Prober::Describe(flow.replay);
  EXPECT_EQ(hop->net_creds(), flow.net_creds) << where << " " << Prober::Describe(flow.replay);
}

// At most `n` flows, spread over the list, always including the last member of each
// class a representative stood for.
std::vector<const Flow*> Sample(const std::vector<Flow>& flows, size_t n) {
  std::vector<const Flow*> out;
  size_t step = std::max<size_t>(1, flows.size() / n);
  for (size_t i = 0; i < flows.size(); i += step) out.push_back(&flows[i]);
  if (!flows.empty() && out.back() != &flows.back()) out.push_back(&flows.back());
  return out;
}

class Library : public ::testing::TestWithParam<fs::path> {};

TEST_P(Library, EveryFlowReplaysWithTheSameOutcome) {
  const fs::path& file = GetParam();
  std::string text = ReadFile(file);
  sim::LoadResult loaded = sim::LoadScenarioText(text, file.string());
  ASSERT_TRUE(loaded.ok());
  Prober prober(*loaded.scenario);
  ASSERT_TRUE(prober.status().ok()) << prober.status().ToString();
  const kdc::Directory& dir = prober.directory();

  ReachOptions options;
  options.max_hops = 3;
  Reach reach(prober, options);
  std::set<std::pair<std::string, std::string>> reached;  // (identity, service)
  for (PrincipalId id = 1; id <= dir.principal_count(); ++id) {
    if (!prober.classes().HasClass(id)) continue;
    StatusOr<std::vector<Flow>> flows = reach.ForIdentity(id);
    ASSERT_TRUE(flows.ok()) << flows.status().ToString();
    for (const Flow& f : *flows) reached.insert({f.identity, f.service});
    for (const Flow* f : Sample(*flows, 6)) {
      Replay(text, prober, *f, file.filename().string() + " identity " + dir.Name(id));
    }
  }

  // Identity flows carried to every member of each class (what invariants read).
  StatusOr<std::vector<Flow>> all = AllIdentityFlows(prober, 3);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (const Flow* f : Sample(*all, 12)) {
    Replay(text, prober, *f, file.filename().string() + " class member " + f->identity);
  }

  ReachOptions attack = options;
  attack.coerce_everyone = true;
  Reach attacker(prober, attack);
  for (PrincipalId x : attacker.KeyHolders()) {
    StatusOr<std::vector<Flow>> flows = attacker.ForCompromised({x});
    ASSERT_TRUE(flows.ok()) << flows.status().ToString();
    for (const Flow* f : Sample(*flows, 6)) {
      Replay(text, prober, *f, file.filename().string() + " compromised " + dir.Name(x));
    }
  }

  // Unreachable, replayed: a direct call from the workstation is not allowed as the user.
  int checked = 0;
  for (PrincipalId id = 1; id <= dir.principal_count() && checked < 8; ++id) {
    if (!prober.classes().HasClass(id)) continue;
    for (const nodes::ServiceInfo& s : prober.topology().services()) {
      if (reached.count({dir.FullName(id), s.name}) || checked >= 8) continue;
      for (v1::Transport tr : s.transports) {
        if (tr == v1::TRANSPORT_NCALRPC) continue;
        Chain c{dir.FullName(id), prober.Workstation(id), {{s.name, tr}}};
        sim::Scenario single = prober.scenario();
        single.steps = {Prober::ToStep(c, "reach")};
        auto world = sim::World::Build(single, std::make_unique<sim::VirtualRuntime>());
        ASSERT_TRUE(world.ok()) << world.status().ToString();
        ASSERT_TRUE((*world)->Run().ok());
        const v1::HopResult* hop = sim::FindHop((*world)->outcomes(), "reach/" + s.name);
        ASSERT_NE(hop, nullptr);
        EXPECT_FALSE(hop->verdict() == "allowed" && hop->identity() == dir.FullName(id))
            << file.filename() << ": reach said " << dir.FullName(id) << " cannot arrive at "
            << s.name << ", but " << Prober::Describe(c) << " is allowed";
        ++checked;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Library, ::testing::ValuesIn(ScenarioFiles()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           return ScenarioTestName(info.param);
                         });

}  // namespace
}  // namespace delegsim::analysis
