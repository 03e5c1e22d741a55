#include "cli/host_command.h"

#include <google/protobuf/io/coded_stream.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/text.h"
#include "net/asio_runtime.h"
#include "net/fault_wire.h"
#include "net/handshake.h"
#include "net/process_runtime.h"
#include "net/trace_wire.h"
#include "nodes/envelope.h"
#include "nodes/process_node.h"
#include "sim/loader.h"

namespace delegsim::cli {
namespace {

// "ADDR:PORT" -> (ADDR, PORT); port 0 allowed (ephemeral).
StatusOr<std::pair<std::string, uint16_t>> ParseEndpoint(const std::string& text,
                                                         const std::string& what) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return InvalidArgument(what + " '" + text + "' is not ADDR:PORT");
  }
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return InvalidArgument(what + " '" + text + "': port must be 0..65535");
  }
  return std::make_pair(text.substr(0, colon), static_cast<uint16_t>(std::stoi(port_text)));
}

// The host process: the control messages of its one controller.
class HostServer {
 public:
  HostServer(net::AsioRuntime& runtime, std::string host, std::ostream& err)
      : runtime_(runtime), host_(std::move(host)), err_(err) {}

  void OnControl(v1::HostControl& m) {
    switch (m.body_case()) {
      case v1::HostControl::kConfigure:
        Configure(m.configure());
        return;
      case v1::HostControl::kStartCall:
        StartCall(m.start_call());
        return;
      case v1::HostControl::kFlush: {
        v1::HostControl reply;
        v1::HostFlushDone* done = reply.mutable_flush_done();
        done->set_token(m.flush().token());
        done->set_now_ms(runtime_.Now());
        done->set_delivered(runtime_.delivered());
        runtime_.SendControl(std::move(reply));
        return;
      }
      case v1::HostControl::kStop:
        stop_ = true;
        return;
      default:
        Refuse("unexpected control message " + std::to_string(static_cast<int>(m.body_case())));
    }
  }
  void OnControlClosed(const std::string& reason) {
    if (!stop_)
      err_ << "delegsim host " << host_ << ": the controller went away: " << reason << "\n";
    stop_ = true;
  }
  bool stopped() const { return stop_; }

 private:
  void Refuse(const std::string& why) {
    v1::HostControl reply;
    reply.mutable_failure()->set_message(why);
    runtime_.SendControl(std::move(reply));
  }

  void Configure(const v1::HostConfigure& c) {
    std::vector<net::PeerEndpoint> peers;
    for (const v1::HostEndpoint& e : c.peers()) {
      if (e.port() == 0 || e.port() > 65535)
        return Refuse("peer " + e.host_address() + ": bad port");
      peers.push_back({e.host_address(), e.ip(), static_cast<uint16_t>(e.port())});
    }
    if (Status s = runtime_.SetPeers(peers); !s.ok()) return Refuse(s.message());
    // The controller's faults replace the ones this host built: one plan for the run.
    StatusOr<std::shared_ptr<const nodes::FaultPlan>> faults = net::FromWire(c.faults());
    if (!faults.ok()) return Refuse(faults.status().message());
    runtime_.SetFaults((*faults)->empty() ? nullptr : std::move(faults).value());
    runtime_.CaptureMessages(c.capture_messages());
    if (c.tracing()) {
      net::AsioRuntime* rt = &runtime_;
      runtime_.SetTraceSink([rt](nodes::TraceRecord& record) {
        v1::HostControl message;
        *message.mutable_record() = net::ToWire(record);
        if (!rt->SendControl(message)) {
          // Too large with its envelope: the record still goes, without it.
          message.mutable_record()->clear_message();
          rt->SendControl(std::move(message));
        }
      });
    }
    v1::HostControl ready;
    ready.mutable_ready()->set_host(host_);
    ready.mutable_ready()->set_pid(static_cast<uint32_t>(getpid()));
    runtime_.SendControl(std::move(ready));
  }

  void StartCall(const v1::HostStartCall& start) {
    const nodes::NodeId client = start.client();
    if (!runtime_.IsLocal(client) ||
        dynamic_cast<nodes::ClientNode*>(&runtime_.GetNode(client)) == nullptr) {
      return Refuse("call " + start.label() + " for node " + std::to_string(client) +
                    ", which is no client session of host " + host_);
    }
    v1::CallSpec spec;
    google::protobuf::io::CodedInputStream input(
        reinterpret_cast<const uint8_t*>(start.call_spec().data()),
        static_cast<int>(start.call_spec().size()));
    input.SetRecursionLimit(nodes::kEnvelopeRecursionLimit);
    if (!spec.ParseFromCodedStream(&input)) {
      return Refuse("call " + start.label() + ": the call spec does not decode");
    }
    if (start.clock_at_least_ms() > runtime_.Now()) {
      runtime_.AdvanceClock(start.clock_at_least_ms() - runtime_.Now());
    }
    net::AsioRuntime* rt = &runtime_;
    const uint64_t id = start.call_id();
    runtime_.PostCall(client, start.label(), spec, [rt, id](const v1::HopResult& result) {
      v1::HostControl done;
      done.mutable_call_done()->set_call_id(id);
      done.mutable_call_done()->set_result(result.SerializeAsString());
      rt->SendControl(std::move(done));
    });
  }

  net::AsioRuntime& runtime_;
  std::string host_;
  std::ostream& err_;
  bool stop_ = false;
};

}  // namespace

int HostCommand(const HostOptions& options, std::ostream& out, std::ostream& err) {
  const std::string me = "delegsim host";
  StatusOr<std::string> secret = options.secret_fd >= 0 ? net::ReadRunSecret(options.secret_fd)
                                                        : net::RunSecretFromEnvironment();
  if (!secret.ok()) {
    err << me << ": no run secret: " << secret.status().message() << ". Give it in "
        << net::kRunSecretEnv << " (hex, e.g. `openssl rand -hex 32`, the same for every host "
        << "and the run) or on --secret-fd; never on the command line\n";
    return kExitInvalid;
  }
  sim::LoadResult loaded = sim::LoadScenarioFile(options.scenario_file, options.max_file_bytes);
  if (!loaded.ok()) {
    for (const sim::Problem& p : loaded.problems) err << p.ToString() << "\n";
    return kExitInvalid;
  }
  sim::Scenario scenario = std::move(*loaded.scenario);
  if (options.seed) scenario.seed = *options.seed;
  if (options.profile) scenario.options.profile = *options.profile;

  net::AsioRuntimeOptions rt_options;
  rt_options.run_secret = std::move(secret).value();
  rt_options.logical_clock = true;
  HostServer* server = nullptr;
  rt_options.on_control = [&server](v1::HostControl& m) { server->OnControl(m); };
  rt_options.on_control_closed = [&server](const std::string& r) { server->OnControlClosed(r); };
  auto runtime = std::make_unique<net::AsioRuntime>(rt_options);
  net::AsioRuntime* rt = runtime.get();
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario, std::move(runtime));
  if (!world.ok()) {
    err << me << ": " << options.scenario_file << ": " << world.status().ToString() << "\n";
    return kExitInvalid;
  }
  const nodes::HostInfo* host = (*world)->topology().FindHost(options.host);
  if (host == nullptr) {
    err << me << ": " << options.scenario_file << " has no host '" << EscapeUnsafe(options.host)
        << "'; its hosts:";
    for (const nodes::HostInfo& h : (*world)->topology().hosts()) err << " " << h.name;
    err << "\n";
    return kExitInvalid;
  }
  std::string ip = host->address;
  uint16_t port = 0;
  if (!options.listen.empty()) {
    StatusOr<std::pair<std::string, uint16_t>> endpoint = ParseEndpoint(options.listen, "--listen");
    if (!endpoint.ok()) {
      err << me << ": " << endpoint.status().message() << "\n";
      return kExitInvalid;
    }
    std::tie(ip, port) = *endpoint;
  }
  HostServer serve(*rt, host->name, err);
  server = &serve;
  rt->SetHostMode(host->address, ip, port);
  if (Status s = rt->Start(); !s.ok()) {
    err << me << " " << host->name << ": " << s.ToString() << "\n";
    return kExitInvalid;
  }
  const uint16_t bound = rt->ListenPort(0);
  if (options.ready_fd >= 0) {
    const std::string line = ip + " " + std::to_string(bound) + "\n";
    ssize_t written = write(options.ready_fd, line.data(), line.size());
    close(options.ready_fd);
    if (written != static_cast<ssize_t>(line.size())) return kExitInvalid;
  } else {
    out << me << " " << host->name << " (" << host->address << "): listening on " << ip << ":"
        << bound << ", pid " << getpid() << "; use it with: delegsim run " << options.scenario_file
        << " --runtime procs --remote " << host->name << "=" << ip << ":" << bound << std::endl;
  }
  while (!serve.stopped()) {
    Status s = rt->RunUntil([&] { return serve.stopped(); }, 60'000);
    if (Status failure = rt->Failure(); !failure.ok()) {
      v1::HostControl report;
      report.mutable_failure()->set_message(failure.ToString());
      rt->SendControl(std::move(report));
      (void)rt->RunUntil([] { return false; }, 0);  // drains the ready writes, bounded
      err << me << " " << host->name << ": the run did not complete: " << failure.ToString()
          << "\n";
      return kExitInvalid;
    }
    (void)s;  // a budget that ran out: keep serving
  }
  return kExitOk;
}

std::function<int()> RegisterHostCommand(CLI::App& app) {
  auto options = std::make_shared<HostOptions>();
  CLI::App* cmd = app.add_subcommand(
      "host", "Run the nodes of one simulated host as this process (for run --runtime procs)");
  cmd->add_option("--scenario", options->scenario_file, "Scenario file (JSON)")->required();
  cmd->add_option("--host", options->host, "The simulated host this process is")->required();
  cmd->add_option("--listen", options->listen,
                  "ADDR:PORT to listen on (default: the host's simulated address, any port)");
  cmd->add_option("--ready-fd", options->ready_fd,
                  "Write \"ADDR PORT\" on this descriptor once listening (controllers)");
  cmd->add_option("--secret-fd", options->secret_fd,
                  "Read the run secret (hex) from this descriptor instead of DELEGSIM_RUN_SECRET");
  cmd->add_option("--seed", options->seed, "The run's seed override");
  cmd->add_option("--profile", options->profile, "The run's KDC profile override")
      ->check(CLI::IsMember({"windows", "mit", "heimdal"}));
  cmd->add_option("--max-file-size", options->max_file_bytes, "Largest scenario file read")
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true));
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    return HostCommand(*options, std::cout, std::cerr);
  };
}

bool IsProcessRuntime(const std::string& kind) { return kind == "procs" || kind == "netns"; }

StatusOr<std::unique_ptr<nodes::Runtime>> MakeProcessRuntime(const RunOptions& options) {
  net::ProcessRuntimeOptions p;
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return Unavailable("cannot find the delegsim executable (/proc/self/exe)");
  p.executable.assign(path, static_cast<size_t>(n));
  p.host_arguments = {"host", "--scenario", options.file, "--max-file-size",
                      std::to_string(options.max_file_bytes)};
  if (options.seed) {
    p.host_arguments.push_back("--seed");
    p.host_arguments.push_back(std::to_string(*options.seed));
  }
  if (options.profile) {
    p.host_arguments.push_back("--profile");
    p.host_arguments.push_back(*options.profile);
  }
  if (std::getenv(net::kRunSecretEnv) != nullptr) {
    StatusOr<std::string> secret = net::RunSecretFromEnvironment();
    if (!secret.ok()) return secret.status();
    p.run_secret = std::move(secret).value();
  } else if (!options.remotes.empty()) {
    return InvalidArgument(std::string("--remote hosts need the run's secret: set ") +
                           net::kRunSecretEnv + " (the same value the remote hosts have)");
  }
  p.netns = options.runtime == "netns";
  return std::unique_ptr<nodes::Runtime>(std::make_unique<net::ProcessRuntime>(std::move(p)));
}

Status ConfigureProcessRuntime(sim::World& world, const RunOptions& options) {
  auto* runtime = dynamic_cast<net::ProcessRuntime*>(&world.runtime());
  if (runtime == nullptr) return Status::Ok();
  std::map<std::string, std::string> remote;  // host name -> ADDR:PORT
  for (const std::string& r : options.remotes) {
    size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--remote '" + EscapeUnsafe(r) + "' is not NAME=ADDR:PORT");
    }
    const std::string name = r.substr(0, eq);
    StatusOr<std::pair<std::string, uint16_t>> endpoint =
        ParseEndpoint(r.substr(eq + 1), "--remote " + name);
    if (!endpoint.ok()) return endpoint.status();
    if (endpoint->second == 0) return InvalidArgument("--remote " + name + ": port 0");
    if (world.topology().FindHost(name) == nullptr) {
      return InvalidArgument("--remote " + EscapeUnsafe(name) + ": the scenario has no such host");
    }
    remote[name] = r.substr(eq + 1);
  }
  std::vector<net::ProcessHost> hosts;
  for (const nodes::HostInfo& h : world.topology().hosts()) {
    auto it = remote.find(h.name);
    hosts.push_back({h.name, h.address, it == remote.end() ? "" : it->second});
  }
  runtime->SetHosts(std::move(hosts));
  return Status::Ok();
}

std::string ProcessHostsJson(sim::World& world) {
  auto* runtime = dynamic_cast<net::ProcessRuntime*>(&world.runtime());
  nlohmann::ordered_json hosts = nlohmann::ordered_json::array();
  if (runtime == nullptr) return hosts.dump();
  for (const net::HostProcessInfo& h : runtime->Hosts()) {
    nlohmann::ordered_json j;
    j["name"] = h.name;
    j["address"] = h.address;
    j["endpoint"] = h.endpoint;
    j["pid"] = h.pid;
    j["started_by_run"] = h.started_here;
    if (!h.netns.empty()) j["netns"] = h.netns;
    j["ended"] = h.ended;
    if (h.ended) j["how"] = h.how;
    hosts.push_back(std::move(j));
  }
  // Names come from the scenario file: bytes that are not UTF-8 become U+FFFD.
  return hosts.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string ProcessHostsText(sim::World& world) {
  auto* runtime = dynamic_cast<net::ProcessRuntime*>(&world.runtime());
  if (runtime == nullptr) return "";
  std::string text = "\nhost processes (" + std::string(runtime->kind()) + ")\n";
  for (const net::HostProcessInfo& h : runtime->Hosts()) {
    text += "  " + h.name + "  pid " + std::to_string(h.pid) + "  " + h.endpoint +
            (h.netns.empty() ? "" : "  " + h.netns) + (h.started_here ? "" : "  (hand-started)") +
            (h.ended ? "  ENDED: " + h.how : "  ran to the end") + "\n";
  }
  return text;
}

std::string AddHostsToJson(const std::string& run_json, const std::string& hosts_json) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(run_json, nullptr, false);
  nlohmann::ordered_json hosts = nlohmann::ordered_json::parse(hosts_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || hosts.is_discarded()) return run_json;
  j["hosts"] = std::move(hosts);
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace delegsim::cli
