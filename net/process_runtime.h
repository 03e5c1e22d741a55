// ProcessRuntime: the multi-process Runtime. Every simulated host runs as its own OS
// process, `delegsim host` (cli/host_command.h), which builds the same world from the same
// scenario file and runs the nodes of that one host on an AsioRuntime in host mode
// (net/asio_runtime.h); hosts exchange the same authenticated, length-prefixed envelopes
// as the one-process tcp runtime. This runtime is the controller: it starts the host
// processes (or reaches hand-started ones), drives the steps and merges every host's
// trace records into one trace.
//
//   auto rt = std::make_unique<ProcessRuntime>(options);   // executable, scenario args
//   ProcessRuntime* procs = rt.get();
//   auto world = World::Build(scenario, std::move(rt));     // nodes are only placeholders here
//   procs->SetHosts(HostsOf(world->topology()));           // name <-> address, --remote
//   world->Run();                                           // starts, calls, merges
//
// Processes: Start() forks one host process per simulated host that has nodes, each in
// its own process group and with PR_SET_PDEATHSIG(SIGKILL), so that none outlives this
// process however it ends. It listens on the host's simulated address (127.0.x.y) on an
// ephemeral port, which it reports on an inherited pipe; with `netns` it runs inside its
// own network namespace (net/netns.h) on that namespace's address instead. The run
// secret (net/handshake.h) reaches each child in its environment (kRunSecretEnv), never on
// its command line. A hand-started host (ProcessHost::remote) is reached at its
// "ip:port" and must hold the same secret. Shutdown() (also on SIGINT / SIGTERM, which
// make the run fail as interrupted) stops every process it started: HostStop, SIGTERM,
// then SIGKILL after kStopGraceMs, and reaps it.
//
// Control (proto/host_control.proto): each host gets one authenticated connection from
// this controller (HELLO from kControllerNode to kHostNode). PostCall hands a call to the
// process of the client's host; calls run one at a time (one posted while another runs
// waits for it, so World::SetParallelCalls overlaps nothing here); when it completes, every live
// host is asked to flush (HostFlush) and the records received up to each answer are merged in
// causal order: by logical clock (every envelope carries its SEND's seq, and a DELIVER's seq moves
// past it), then host order. So a SEND always precedes its DELIVER. Records are then numbered again
// (seq 1, 2, ...) and passed to the trace sink; the call's `done` runs after them.
//
// Time: the controller keeps the simulated clock as the other runtimes do: clock steps
// (AdvanceClock) plus the latest time any host reported; each call starts with its
// client's clock moved up to it, and envelopes carry it on (sent_at_ms), so hosts take
// the decisions the one-process runtimes take at the same instants.
//
// Host down: a host process that ends mid-run (killed, crashed) or a hand-started host
// whose control connection closes is traced HOST_DOWN ("host web1 (pid 4242,
// 127.0.1.3:40211) ended: killed by signal 9 (SIGKILL)"); calls into it are refused by
// their callers (DS-13, RPC_S_CALL_FAILED, the connection failure as fact), within
// the time a refused connect takes. A call whose own client host is down does not
// complete (its RunUntil returns kUnavailable naming the process). Hosts() says which
// process ended and how.
//
// Runtime failures (Failure(): the run did not complete): a host that cannot start, is
// not ready within start_budget_ms or fails its handshake; a host's own runtime failure
// (HostFailure); a malformed control message; an interruption by signal.
//
// Threading: not thread-safe; one thread. Start() and RunUntil run the controller's
// io_context; no thread is created.
#ifndef DELEGSIM_NET_PROCESS_RUNTIME_H_
#define DELEGSIM_NET_PROCESS_RUNTIME_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "nodes/runtime.h"

namespace delegsim::net {

using nodes::Node;
using nodes::NodeContext;
using nodes::NodeId;
using nodes::Time;

// One simulated host of the run.
struct ProcessHost {
  std::string name;     // "web1"
  std::string address;  // its simulated address, as its nodes were added ("127.0.1.3")
  // "ip:port" of a hand-started `delegsim host --listen`; empty: Start() starts it.
  std::string remote;
};

struct ProcessRuntimeOptions {
  // The delegsim executable the host processes run (e.g. "/proc/self/exe" resolved).
  std::string executable;
  // Arguments after the executable that make it a host of this run: {"host",
  // "--scenario", file, ...overrides}; Start() appends "--host NAME --listen IP:0
  // --ready-fd 3".
  std::vector<std::string> host_arguments;
  // The run secret (kRunSecretBytes or more); empty: a fresh one. Hand-started hosts
  // need the one they were given.
  std::string run_secret;
  // Each started host in its own network namespace on a bridge (root only; net/netns.h).
  bool netns = false;
  // Bound on starting every host and hearing from it, in ms of real time.
  nodes::Time start_budget_ms = 30'000;
};

// A host as the run saw it, for reports (`--json`: hosts[] with pid and address).
struct HostProcessInfo {
  std::string name;
  std::string address;   // simulated
  std::string endpoint;  // "ip:port" it listens on
  std::string netns;     // its network namespace ("net:[4026532771]"), when it has one
  int64_t pid = 0;       // as the host reported it (a remote host's pid is on its machine)
  bool started_here = false;
  bool ended = false;  // ended (or lost) during the run
  std::string how;     // "killed by signal 9 (SIGKILL)", "exited with status 2", ...
};

class ProcessRuntime final : public nodes::Runtime {
 public:
  explicit ProcessRuntime(ProcessRuntimeOptions options);
  // Shutdown().
  ~ProcessRuntime() override;
  ProcessRuntime(const ProcessRuntime&) = delete;
  ProcessRuntime& operator=(const ProcessRuntime&) = delete;

  // Every host whose address some node was added with; before Start().
  void SetHosts(std::vector<ProcessHost> hosts);

  // Keeps `node` as a placeholder (it runs in its host's process). Before Start().
  NodeId AddNode(std::unique_ptr<Node> node, const std::string& host_address) override;
  Node& GetNode(NodeId id) override;
  void SetTraceSink(nodes::TraceSink sink) override;
  void CaptureMessages(bool capture) override;
  // Before Start(): every host applies this plan (sent in its HostConfigure), in place of
  // the one it built from the scenario, so that hand-started hosts agree too.
  void SetFaults(std::shared_ptr<const nodes::FaultPlan> plan) override;
  Status Start() override;
  // Unsupported (nodes run elsewhere): the run fails with kFailedPrecondition. Use PostCall.
  void Post(NodeId id, std::function<void(Node&, NodeContext&)> fn) override;
  void PostCall(NodeId client, const std::string& label, const v1::CallSpec& spec,
                CallDone done) override;
  Status RunUntil(const std::function<bool()>& done, Time budget_ms) override;
  void AdvanceClock(Time delta_ms) override;
  Time Now() const override;
  uint64_t delivered() const override;
  Status Failure() const override;
  void Shutdown() override;
  std::string_view kind() const override;

  // Every host of the run (after Start(): with endpoint and pid).
  std::vector<HostProcessInfo> Hosts() const;
  // netns: the namespace of the run's bridge ("net:[4026532771]") while it lives; empty
  // otherwise.
  std::string SwitchNamespace() const;

  // How long a stopped host has between SIGTERM and SIGKILL.
  static constexpr int kStopGraceMs = 1000;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// "exited with status 2", "killed by signal 9 (SIGKILL)": a waitpid status in words.
std::string DescribeWaitStatus(int status);

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_PROCESS_RUNTIME_H_
