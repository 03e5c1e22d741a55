// `--runtime netns`: every host process in a network namespace of its own, on a bridge
// in a namespace the run creates. Runs only where this process may create network
// namespaces (root); otherwise it skips and says why. Same decisions as the virtual
// runtime; the machine's own network is never touched (its interfaces and /run/netns are
// the same during and after the run) and nothing is left behind: no process, and no
// process or descriptor anywhere still refers to a namespace of the run.
#include "net/netns.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>

#include "sim/virtual_runtime.h"
#include "tests/hop_decisions.h"
#include "tests/procs/child_processes.h"
#include "tests/procs/procs_world.h"
#include "tests/scenario_library.h"

namespace delegsim::testing {
namespace {

using ::testing::StartsWith;

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.insert(e->d_name);
  }
  closedir(d);
  return out;
}

// Every process or descriptor on this machine that refers to one of `namespaces`
// ("net:[4026532771]"), as "PID ns" or "PID fd N".
std::vector<std::string> Holders(const std::set<std::string>& namespaces) {
  std::vector<std::string> out;
  for (const std::string& pid : Entries("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string ns = net::NetnsSwitch::NamespaceOf(std::stoi(pid));
    if (namespaces.count(ns)) out.push_back(pid + " ns " + ns);
    const std::string fd_dir = "/proc/" + pid + "/fd";
    for (const std::string& fd : Entries(fd_dir)) {
      char target[64];
      const ssize_t n = readlink((fd_dir + "/" + fd).c_str(), target, sizeof target - 1);
      if (n > 0 && namespaces.count(std::string(target, static_cast<size_t>(n)))) {
        out.push_back(pid + " fd " + fd);
      }
    }
  }
  return out;
}

class Netns : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<net::NetnsSwitch>> probe = net::NetnsSwitch::Create();
    if (!probe.ok()) {
      GTEST_SKIP() << "--runtime netns cannot run here: " << probe.status().message();
    }
  }
};

TEST_P(Netns, EveryHostInItsOwnNamespaceSameDecisionsNothingLeft) {
  ChildReaper reaper;
  const std::string file = (ScenarioDir() / GetParam()).string();
  const sim::Scenario scenario = LoadOrDie(file);
  StatusOr<std::unique_ptr<sim::World>> reference =
      sim::World::Build(scenario, std::make_unique<sim::VirtualRuntime>());
  ASSERT_TRUE(reference.ok());
  const std::string virtual_time = RunAndDescribeDecisions(**reference);

  const std::set<std::string> links_before = Entries("/sys/class/net");
  const std::set<std::string> named_before = Entries("/run/netns");
  const std::string ours = net::NetnsSwitch::NamespaceOf(getpid());
  std::set<std::string> run_namespaces;
  std::set<std::string> links_during;
  {
    net::ProcessRuntime* procs = nullptr;
    StatusOr<std::unique_ptr<sim::World>> world =
        BuildProcsWorld(file, scenario, &procs, /*netns=*/true);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    (*world)->SetTraceSink([&](const nodes::TraceRecord&) {
      if (links_during.empty()) links_during = Entries("/sys/class/net");
    });
    EXPECT_EQ(RunAndDescribeDecisions(**world), virtual_time);
    EXPECT_EQ(procs->kind(), "netns");
    const std::string bridge = procs->SwitchNamespace();
    EXPECT_THAT(bridge, StartsWith("net:["));
    run_namespaces.insert(bridge);
    for (const net::HostProcessInfo& h : procs->Hosts()) {
      EXPECT_THAT(h.netns, StartsWith("net:[")) << h.name;
      EXPECT_NE(h.netns, ours) << h.name << " runs in this process's namespace";
      EXPECT_THAT(h.endpoint, StartsWith("10.77.")) << h.name;
      EXPECT_TRUE(run_namespaces.insert(h.netns).second) << h.name << " shares a namespace";
      EXPECT_FALSE(h.ended) << h.name << ": " << h.how;
    }
    EXPECT_EQ(run_namespaces.count(ours), 0u);
  }
  EXPECT_TRUE(RemainingChildren().empty()) << "a host process outlived its run";
  EXPECT_EQ(links_during, links_before) << "the run touched this namespace's interfaces";
  EXPECT_EQ(Entries("/sys/class/net"), links_before);
  EXPECT_EQ(Entries("/run/netns"), named_before);
  EXPECT_THAT(Holders(run_namespaces), ::testing::IsEmpty())
      << "a namespace of the run (and its bridge or veths) is still alive";
}

INSTANTIATE_TEST_SUITE_P(Library, Netns, ::testing::Values("default.json", "network-faults.json"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return ScenarioTestName(info.param);
                         });

}  // namespace
}  // namespace delegsim::testing
