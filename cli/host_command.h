// `delegsim host`: one simulated host of a multi-process run, and the pieces of `delegsim
// run --runtime procs` that start and describe such hosts (net/process_runtime.h).
//
//   export DELEGSIM_RUN_SECRET=$(openssl rand -hex 32)   # the run's secret, never in argv
//   delegsim host --scenario lab.json --host web1 --listen 127.0.0.5:7001 &
//   delegsim run lab.json --runtime procs --remote web1=127.0.0.5:7001
//
// A host builds the whole world from the scenario (so node ids agree in every process),
// runs the nodes of its own host, serves one controller (its authenticated control
// connection; proto/host_control.proto) and exits 0 when that connection closes, 2 when
// it cannot start or its runtime fails.
#ifndef DELEGSIM_CLI_HOST_COMMAND_H_
#define DELEGSIM_CLI_HOST_COMMAND_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "common/status.h"
#include "nodes/runtime.h"
#include "sim/world.h"

namespace CLI {
class App;
}  // namespace CLI

namespace delegsim::cli {

struct HostOptions {
  std::string scenario_file;
  std::string host;              // the simulated host's name
  std::string listen;            // "ADDR:PORT"; empty: the host's simulated address, port 0
  int ready_fd = -1;             // writes "IP PORT\n" here once listening (for a controller)
  int secret_fd = -1;            // read the run secret from this fd instead of the environment
  std::optional<uint64_t> seed;  // the run's overrides: every process builds the same world
  std::optional<std::string> profile;
  size_t max_file_bytes = sim::kMaxScenarioBytes;
};
int HostCommand(const HostOptions& options, std::ostream& out, std::ostream& err);
// Adds `host` to `app`; the returned function runs it when it was parsed (else -1).
std::function<int()> RegisterHostCommand(CLI::App& app);

// "procs" and "netns": the runtimes whose hosts are processes.
bool IsProcessRuntime(const std::string& kind);
// The runtime for `run --runtime procs|netns`: host processes run this executable with
// the run's file and overrides. Its secret: DELEGSIM_RUN_SECRET when set (hand-started
// hosts need it), else a fresh one.
StatusOr<std::unique_ptr<nodes::Runtime>> MakeProcessRuntime(const RunOptions& options);
// After World::Build: tells the runtime every host's name and the --remote ones.
// kInvalidArgument naming an unknown --remote host or a malformed NAME=ADDR:PORT.
Status ConfigureProcessRuntime(sim::World& world, const RunOptions& options);
// The hosts of a process runtime's run, as a JSON array, and as report lines.
std::string ProcessHostsJson(sim::World& world);
std::string ProcessHostsText(sim::World& world);
// `run_json` (an object) with "hosts": `hosts_json` added.
std::string AddHostsToJson(const std::string& run_json, const std::string& hosts_json);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_HOST_COMMAND_H_
