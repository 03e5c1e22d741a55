// Worlds on the multi-process runtime for tests: the scenario built here (node ids and
// hosts), the nodes run by `delegsim host` processes of the executable under test.
//
//   net::ProcessRuntime* procs = nullptr;
//   auto world = BuildProcsWorld(file, scenario, &procs);   // not started yet
//   std::string decisions = RunAndDescribeDecisions(**world);
#ifndef DELEGSIM_TESTS_PROCS_PROCS_WORLD_H_
#define DELEGSIM_TESTS_PROCS_PROCS_WORLD_H_

#include <memory>
#include <string>
#include <vector>

#include "net/process_runtime.h"
#include "sim/loader.h"
#include "sim/world.h"
#include "tests/procs/child_processes.h"

namespace delegsim::testing {

// `remotes`: host name -> "ip:port" of hand-started hosts.
inline StatusOr<std::unique_ptr<sim::World>> BuildProcsWorld(
    const std::string& file, const sim::Scenario& scenario, net::ProcessRuntime** procs,
    bool netns = false, const std::vector<std::pair<std::string, std::string>>& remotes = {},
    std::string secret = "") {
  net::ProcessRuntimeOptions options;
  options.executable = DelegsimExecutable();
  options.host_arguments = {"host", "--scenario", file};
  options.netns = netns;
  options.run_secret = std::move(secret);
  auto runtime = std::make_unique<net::ProcessRuntime>(std::move(options));
  net::ProcessRuntime* p = runtime.get();
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario, std::move(runtime));
  if (!world.ok()) return world.status();
  std::vector<net::ProcessHost> hosts;
  for (const nodes::HostInfo& h : (*world)->topology().hosts()) {
    std::string remote;
    for (const auto& [name, endpoint] : remotes) {
      if (name == h.name) remote = endpoint;
    }
    hosts.push_back({h.name, h.address, remote});
  }
  p->SetHosts(std::move(hosts));
  if (procs != nullptr) *procs = p;
  return world;
}

inline sim::Scenario LoadOrDie(const std::string& file) {
  sim::LoadResult loaded = sim::LoadScenarioFile(file);
  if (!loaded.ok()) {
    for (const sim::Problem& p : loaded.problems) fprintf(stderr, "%s\n", p.ToString().c_str());
    std::abort();
  }
  return std::move(*loaded.scenario);
}

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_PROCS_PROCS_WORLD_H_
