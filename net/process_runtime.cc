#include "net/process_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <cassert>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "net/asio_runtime.h"
#include "net/connection.h"
#include "net/fault_wire.h"
#include "net/handshake.h"
#include "net/netns.h"
#include "net/trace_wire.h"

extern char** environ;

namespace delegsim::net {
namespace {

using asio::ip::tcp;
using nodes::TraceKind;
using nodes::TraceRecord;
using Clock = std::chrono::steady_clock;

constexpr auto kReapInterval = std::chrono::milliseconds(50);
// How long a closed control connection waits for its process's exit status.
constexpr auto kExitStatusWait = std::chrono::milliseconds(500);
// Bound on a control frame: a trace record may carry a whole envelope.
constexpr size_t kMaxControlFrameBytes = 4 * kDefaultMaxFrameBodyBytes;

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           SignalName(WTERMSIG(status)) + ")";
  }
  return "ended (wait status " + std::to_string(status) + ")";
}

class ProcessRuntime::Impl final : public Connection::Events {
 public:
  explicit Impl(ProcessRuntimeOptions options) : options_(std::move(options)) {}
  ~Impl() override { Shutdown(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void SetHosts(std::vector<ProcessHost> hosts) {
    hosts_.clear();
    for (ProcessHost& h : hosts) {
      HostSlot slot;
      slot.plan = std::move(h);
      hosts_.push_back(std::move(slot));
    }
  }
  NodeId AddNode(std::unique_ptr<Node> node, const std::string& host_address) {
    if (started_) Fail(FailedPrecondition("procs runtime: a node added after Start()"));
    nodes_.push_back({std::move(node), host_address});
    return static_cast<NodeId>(nodes_.size());
  }
  Node& GetNode(NodeId id) { return *nodes_.at(id - 1).node; }
  void SetTraceSink(nodes::TraceSink sink) { sink_ = std::move(sink); }
  void CaptureMessages(bool capture) { capture_ = capture; }
  void SetFaults(std::shared_ptr<const nodes::FaultPlan> plan) {
    if (started_) Fail(FailedPrecondition("procs runtime: faults set after Start()"));
    faults_ = std::move(plan);
  }
  Status Start();
  void PostCall(NodeId client, const std::string& label, const v1::CallSpec& spec, CallDone done);
  Status RunUntil(const std::function<bool()>& done, Time budget_ms);
  void AdvanceClock(Time delta_ms) {
    if (delta_ms > 0) clock_ += delta_ms;
  }
  Time Now() const { return clock_; }
  uint64_t delivered() const {
    uint64_t total = 0;
    for (const HostSlot& h : hosts_) total += h.delivered;
    return total;
  }
  const Status& Failure() const { return failure_; }
  void Fail(Status why) {
    if (failure_.ok()) failure_ = std::move(why);
  }
  void Shutdown();
  std::string_view kind() const { return options_.netns ? "netns" : "procs"; }
  std::vector<HostProcessInfo> Hosts() const;
  std::string SwitchNamespace() const {
    return network_ != nullptr ? network_->Identity() : std::string();
  }

  // Connection::Events (control connections, which this end opens).
  Status OnHello(Connection&, uint32_t, uint32_t) override {
    return InvalidArgument("the controller accepts no connections");
  }
  void OnAuthenticated(Connection&) override {}
  void OnHandshakeFailed(Connection& connection, const Status& error) override;
  Status OnFrame(Connection& connection, v1::Envelope env) override;
  void OnWireError(Connection& connection, const Status& error) override;
  void OnClosed(Connection& connection, const std::string& reason) override;

 private:
  struct NodeSlot {
    std::unique_ptr<Node> node;
    std::string address;
  };
  struct HostSlot {
    ProcessHost plan;
    pid_t pid = 0;  // started here; 0 once reaped or for a remote host
    int64_t reported_pid = 0;
    int ready_fd = -1;  // read end of the child's ready pipe
    std::string ready_line;
    std::string ip;
    uint16_t port = 0;
    std::shared_ptr<Connection> control;
    bool ready = false;
    bool down = false;
    bool flushing = false;
    std::string how;
    std::string netns;  // netns: its namespace ("net:[4026532771]")
    uint64_t delivered = 0;
  };
  struct Buffered {
    size_t host;
    uint64_t order;
    TraceRecord record;
  };
  struct PendingCall {
    uint64_t id = 0;
    size_t host = 0;
    CallDone done;
    bool completed = false;
    v1::HopResult result;
  };

  HostSlot* HostOfConnection(const Connection& c, size_t* index = nullptr) {
    for (size_t i = 0; i < hosts_.size(); ++i) {
      if (hosts_[i].control.get() == &c) {
        if (index) *index = i;
        return &hosts_[i];
      }
    }
    return nullptr;
  }
  std::string Who(const HostSlot& h) const {
    std::string who = "host " + h.plan.name + " (";
    if (h.reported_pid != 0) who += "pid " + std::to_string(h.reported_pid) + ", ";
    return who + h.ip + ":" + std::to_string(h.port) + ")";
  }
  // Starts host `index`'s process (in its own network namespace with netns).
  Status Spawn(HostSlot& host, size_t index);
  Status AwaitReady(Clock::time_point deadline);
  void SendControl(HostSlot& host, v1::HostControl message);
  void Reap();
  void ArmReaper();
  void MarkDown(size_t index, const std::string& how);
  void BeginFlush();
  void MaybeFinishFlush();
  void StopProcesses();

  ProcessRuntimeOptions options_;
  asio::io_context io_;
  std::unique_ptr<asio::steady_timer> reaper_;
  std::unique_ptr<asio::signal_set> signals_;
  std::unique_ptr<NetnsSwitch> network_;  // netns: the bridge's namespace
  std::vector<NodeSlot> nodes_;
  std::vector<HostSlot> hosts_;
  std::vector<Buffered> buffered_;
  struct QueuedCall {
    NodeId client;
    std::string label;
    v1::CallSpec spec;
    CallDone done;
  };
  std::optional<PendingCall> call_;
  std::deque<QueuedCall> queued_;     // posted while call_ runs (World::SetParallelCalls)
  std::optional<Status> call_error_;  // the current call's client host went down
  nodes::TraceSink sink_;
  std::shared_ptr<const nodes::FaultPlan> faults_;  // sent to every host; null: none
  std::string secret_;
  Status failure_;
  Time clock_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t next_order_ = 0;
  uint64_t max_lamport_ = 0;
  uint64_t next_call_id_ = 1;
  uint64_t flush_token_ = 0;
  uint64_t next_connection_id_ = 1;
  bool capture_ = false;
  bool started_ = false;
  bool shut_down_ = false;
};

Status ProcessRuntime::Impl::Start() {
  if (started_) return FailedPrecondition("ProcessRuntime::Start: already started");
  if (shut_down_) return FailedPrecondition("ProcessRuntime::Start: runtime is shut down");
  started_ = true;
  // Only hosts with nodes get a process; every node's host must be known.
  std::vector<HostSlot> with_nodes;
  for (HostSlot& h : hosts_) {
    bool used = std::any_of(nodes_.begin(), nodes_.end(),
                            [&](const NodeSlot& n) { return n.address == h.plan.address; });
    if (used || !h.plan.remote.empty()) with_nodes.push_back(std::move(h));
  }
  hosts_ = std::move(with_nodes);
  for (const NodeSlot& n : nodes_) {
    if (std::none_of(hosts_.begin(), hosts_.end(),
                     [&](const HostSlot& h) { return h.plan.address == n.address; })) {
      return InvalidArgument("node " + std::string(n.node->name()) + ": no host has address " +
                             n.address);
    }
  }
  if (options_.netns) {
    for (const HostSlot& h : hosts_) {
      if (!h.plan.remote.empty()) {
        return InvalidArgument("host " + h.plan.name +
                               ": --remote hosts are not reachable from the netns runtime's "
                               "namespaces; use --runtime procs");
      }
    }
    StatusOr<std::unique_ptr<NetnsSwitch>> network = NetnsSwitch::Create();
    if (!network.ok()) return network.status();
    network_ = std::move(network).value();
  }
  StatusOr<std::string> secret = RunSecretOrNew(options_.run_secret);
  if (!secret.ok()) return secret.status();
  secret_ = std::move(secret).value();
  signals_ = std::make_unique<asio::signal_set>(io_, SIGINT, SIGTERM);
  signals_->async_wait([this](const asio::error_code& error, int signal) {
    if (error) return;
    Fail(Unavailable("interrupted by " + SignalName(signal) + "; every host process was stopped"));
  });
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(std::max<Time>(options_.start_budget_ms, 1));
  for (size_t i = 0; i < hosts_.size(); ++i) {
    HostSlot& h = hosts_[i];
    if (!h.plan.remote.empty()) {
      size_t colon = h.plan.remote.rfind(':');
      int port = 0;
      if (colon != std::string::npos) port = std::atoi(h.plan.remote.c_str() + colon + 1);
      if (colon == std::string::npos || port <= 0 || port > 65535) {
        return InvalidArgument("host " + h.plan.name + ": remote '" + h.plan.remote +
                               "' is not ADDR:PORT");
      }
      h.ip = h.plan.remote.substr(0, colon);
      h.port = static_cast<uint16_t>(port);
      continue;
    }
    if (Status s = Spawn(h, i); !s.ok()) return s;
  }
  if (Status s = AwaitReady(deadline); !s.ok()) return s;
  // Control connections, each configured with every other host's endpoint.
  for (HostSlot& h : hosts_) {
    asio::error_code error;
    const asio::ip::address_v4 ip = asio::ip::make_address_v4(h.ip, error);
    if (error) return InvalidArgument("host " + h.plan.name + ": '" + h.ip + "' is not IPv4");
    StatusOr<std::string> nonce = RandomBytes(kHandshakeNonceBytes);
    if (!nonce.ok()) return nonce.status();
    h.control = Connection::Open(
        io_, next_connection_id_++, *this, asio::ip::address_v4::any(), tcp::endpoint(ip, h.port),
        kMaxControlFrameBytes,
        Handshake::Initiator(secret_, kControllerNode, kHostNode, std::move(nonce).value()));
    if (network_ != nullptr) {
      // From the switch namespace, the only one that reaches every host's.
      if (Status s = network_->InSwitch([&] { h.control->Start(); }); !s.ok()) return s;
    } else {
      h.control->Start();
    }
    v1::HostControl configure;
    v1::HostConfigure* c = configure.mutable_configure();
    c->set_tracing(static_cast<bool>(sink_));
    c->set_capture_messages(capture_);
    if (faults_ != nullptr) *c->mutable_faults() = ToWire(*faults_);
    for (const HostSlot& peer : hosts_) {
      if (&peer == &h) continue;
      v1::HostEndpoint* e = c->add_peers();
      e->set_host_address(peer.plan.address);
      e->set_ip(peer.ip);
      e->set_port(peer.port);
    }
    SendControl(h, std::move(configure));
  }
  ArmReaper();
  while (failure_.ok() &&
         std::any_of(hosts_.begin(), hosts_.end(), [](const HostSlot& h) { return !h.ready; })) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      std::string late;
      for (const HostSlot& h : hosts_) {
        if (!h.ready) late += (late.empty() ? "" : ", ") + h.plan.name;
      }
      return Status(
          StatusCode::kDeadlineExceeded,
          "hosts not ready within " + std::to_string(options_.start_budget_ms) + " ms: " + late);
    }
    io_.run_one_for(deadline - now);
  }
  return failure_;
}

Status ProcessRuntime::Impl::Spawn(HostSlot& h, size_t index) {
  const bool netns = network_ != nullptr;
  // ready: the child's "IP PORT" line; go (netns): the parent has wired its namespace.
  int fds[2];
  int go[2] = {-1, -1};
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Unavailable("host " + h.plan.name + ": pipe: " + std::strerror(errno));
  }
  if (netns && pipe2(go, O_CLOEXEC) != 0) {
    close(fds[0]);
    close(fds[1]);
    return Unavailable("host " + h.plan.name + ": pipe: " + std::strerror(errno));
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {options_.executable};
  args.insert(args.end(), options_.host_arguments.begin(), options_.host_arguments.end());
  for (std::string a : {"--host", h.plan.name.c_str()}) args.push_back(a);
  args.push_back("--listen");
  args.push_back((netns ? NetnsSwitch::AddressOf(index) : h.plan.address) + ":0");
  args.push_back("--ready-fd");
  args.push_back("3");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, kRunSecretEnv, std::strlen(kRunSecretEnv)) == 0 &&
        (*e)[std::strlen(kRunSecretEnv)] == '=') {
      continue;
    }
    env_strings.emplace_back(*e);
  }
  env_strings.push_back(std::string(kRunSecretEnv) + "=" + HexEncode(secret_));
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {fds[0], fds[1], go[0], go[1]}) {
      if (fd >= 0) close(fd);
    }
    return Unavailable("host " + h.plan.name + ": fork: " + std::strerror(errno));
  }
  if (pid == 0) {
    // The child: its own process group (a terminal's Ctrl-C reaches the controller, which
    // stops it), killed if the controller dies, the ready pipe as fd 3, no stdin.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (netns) {
      // Its own network namespace; "N" on the ready pipe, then wait until it is wired.
      if (unshare(CLONE_NEWNET) != 0) _exit(126);
      if (write(fds[1], "N", 1) != 1) _exit(126);
      char c;
      if (read(go[0], &c, 1) != 1) _exit(126);
    }
    if (dup2(fds[1], 3) < 0) _exit(127);  // dup2 clears O_CLOEXEC on fd 3
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, 0);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from here: no window in which a stop misses the group
  close(fds[1]);
  h.pid = pid;
  h.reported_pid = pid;
  h.ready_fd = fds[0];
  if (!netns) return Status::Ok();
  close(go[0]);
  // The child's "N": it is in a namespace of its own, which Attach wires to the bridge.
  pollfd p{fds[0], POLLIN, 0};
  char mark = 0;
  Status wired =
      poll(&p, 1, NetnsSwitch::kToolTimeoutMs) == 1 && read(fds[0], &mark, 1) == 1 && mark == 'N'
          ? network_->Attach(pid, index)
          : Unavailable("host " + h.plan.name + " (pid " + std::to_string(pid) +
                        ") could not enter a network namespace of its own");
  if (wired.ok()) {
    h.netns = NetnsSwitch::NamespaceOf(pid);
    wired = write(go[1], "G", 1) == 1
                ? Status::Ok()
                : Unavailable("host " + h.plan.name + ": go pipe: " + std::strerror(errno));
  }
  close(go[1]);
  return wired;  // on failure Shutdown() stops the process
}

Status ProcessRuntime::Impl::AwaitReady(Clock::time_point deadline) {
  for (;;) {
    std::vector<pollfd> polls;
    std::vector<HostSlot*> waiting;
    for (HostSlot& h : hosts_) {
      if (h.ready_fd < 0) continue;
      polls.push_back({h.ready_fd, POLLIN, 0});
      waiting.push_back(&h);
    }
    if (polls.empty()) return Status::Ok();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return Status(StatusCode::kDeadlineExceeded,
                    "host " + waiting.front()->plan.name + " (pid " +
                        std::to_string(waiting.front()->pid) + ") not listening within " +
                        std::to_string(options_.start_budget_ms) + " ms");
    }
    if (poll(polls.data(), polls.size(), static_cast<int>(std::min<int64_t>(left, 1000))) < 0) {
      if (errno == EINTR) {
        io_.restart();
        io_.poll();  // a SIGINT / SIGTERM handler (Start) fails the run
        if (!failure_.ok()) return failure_;
        continue;
      }
      return Unavailable(std::string("poll: ") + std::strerror(errno));
    }
    for (size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents == 0) continue;
      HostSlot& h = *waiting[i];
      char buffer[128];
      ssize_t n = read(h.ready_fd, buffer, sizeof buffer);
      if (n > 0 && h.ready_line.size() < 256) h.ready_line.append(buffer, static_cast<size_t>(n));
      size_t newline = h.ready_line.find('\n');
      if (n > 0 && newline == std::string::npos && h.ready_line.size() < 256) continue;
      close(h.ready_fd);
      h.ready_fd = -1;
      // "IP PORT\n"
      std::string line = h.ready_line.substr(0, newline);
      size_t space = line.find(' ');
      int port = space == std::string::npos ? 0 : std::atoi(line.c_str() + space + 1);
      if (newline == std::string::npos || space == std::string::npos || port <= 0 || port > 65535) {
        int status = 0;
        std::string how = "closed its ready pipe";
        for (int tries = 0; tries < 50; ++tries) {
          if (waitpid(h.pid, &status, WNOHANG) == h.pid) {
            how = DescribeWaitStatus(status);
            h.pid = 0;
            break;
          }
          usleep(10'000);
        }
        return Unavailable("host " + h.plan.name + " (pid " + std::to_string(h.reported_pid) +
                           ") did not start: " + how + " (its messages are above)");
      }
      h.ip = line.substr(0, space);
      h.port = static_cast<uint16_t>(port);
    }
  }
}

void ProcessRuntime::Impl::SendControl(HostSlot& h, v1::HostControl message) {
  if (h.control == nullptr || h.down) return;
  v1::Envelope env;
  *env.mutable_host_control() = std::move(message);
  StatusOr<std::string> frame = EncodeFrame(env, kMaxControlFrameBytes);
  if (!frame.ok()) {
    Fail(frame.status());
    return;
  }
  h.control->Write(std::move(*frame));
}

void ProcessRuntime::Impl::ArmReaper() {
  if (reaper_ == nullptr) reaper_ = std::make_unique<asio::steady_timer>(io_);
  reaper_->expires_after(kReapInterval);
  reaper_->async_wait([this](const asio::error_code& error) {
    if (error || shut_down_) return;
    Reap();
    ArmReaper();
  });
}

void ProcessRuntime::Impl::Reap() {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    HostSlot& h = hosts_[i];
    if (h.pid <= 0) continue;
    int status = 0;
    if (waitpid(h.pid, &status, WNOHANG) != h.pid) continue;
    h.pid = 0;
    if (h.down) {
      h.how = DescribeWaitStatus(status);
    } else {
      MarkDown(i, DescribeWaitStatus(status));
    }
  }
}

void ProcessRuntime::Impl::MarkDown(size_t index, const std::string& how) {
  HostSlot& h = hosts_[index];
  if (h.down || shut_down_) return;
  h.down = true;
  h.how = how;
  h.flushing = false;
  if (h.control != nullptr) h.control->CloseQuietly();
  TraceRecord record;
  record.kind = TraceKind::kHostDown;
  record.node = "host " + h.plan.name;
  record.time = clock_;
  record.summary = Who(h) + " ended: " + how + "; its nodes are unreachable";
  record.seq = ++max_lamport_;
  buffered_.push_back({index, next_order_++, std::move(record)});
  if (call_ && call_->host == index && !call_->completed) {
    call_error_ = Unavailable(Who(h) + ", which runs the call's client, ended: " + how);
    BeginFlush();
  }
  MaybeFinishFlush();
}

void ProcessRuntime::Impl::PostCall(NodeId client, const std::string& label,
                                    const v1::CallSpec& spec, CallDone done) {
  if (client < 1 || client > nodes_.size()) {
    Fail(InvalidArgument("PostCall: no node " + std::to_string(client)));
    return;
  }
  size_t index = 0;
  while (index < hosts_.size() && hosts_[index].plan.address != nodes_[client - 1].address) ++index;
  if (index == hosts_.size()) {
    Fail(InvalidArgument("PostCall: node " + std::to_string(client) + " has no host"));
    return;
  }
  if (call_) {
    // One call at a time (its records are merged when it completes): later calls wait.
    queued_.push_back({client, label, spec, std::move(done)});
    return;
  }
  HostSlot& h = hosts_[index];
  if (h.down) {
    call_error_ = Unavailable("call " + label + ": " + Who(h) +
                              ", which runs the call's client, ended: " + h.how);
    return;
  }
  PendingCall call;
  call.id = next_call_id_++;
  call.host = index;
  call.done = std::move(done);
  call_ = std::move(call);
  v1::HostControl message;
  v1::HostStartCall* start = message.mutable_start_call();
  start->set_call_id(call_->id);
  start->set_client(client);
  start->set_label(label);
  start->set_call_spec(spec.SerializeAsString());
  start->set_clock_at_least_ms(clock_);
  SendControl(h, std::move(message));
}

Status ProcessRuntime::Impl::RunUntil(const std::function<bool()>& done, Time budget_ms) {
  if (shut_down_) {
    if (done()) return Status::Ok();
    return FailedPrecondition("ProcessRuntime::RunUntil: runtime is shut down");
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(std::max<Time>(budget_ms, 0));
  io_.restart();
  while (!done()) {
    if (!failure_.ok()) return failure_;
    if (call_error_ && !call_) {
      Status error = *call_error_;
      call_error_.reset();
      return error;
    }
    if (!call_ && !queued_.empty()) {
      QueuedCall next = std::move(queued_.front());
      queued_.pop_front();
      PostCall(next.client, next.label, next.spec, std::move(next.done));
      continue;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return Status(StatusCode::kDeadlineExceeded,
                    "ProcessRuntime::RunUntil: condition still false after " +
                        std::to_string(budget_ms) + " ms of real time");
    }
    io_.run_one_for(deadline - now);
  }
  return Status::Ok();
}

void ProcessRuntime::Impl::BeginFlush() {
  ++flush_token_;
  for (HostSlot& h : hosts_) {
    if (h.down || !h.ready) continue;
    h.flushing = true;
    v1::HostControl message;
    message.mutable_flush()->set_token(flush_token_);
    SendControl(h, std::move(message));
  }
  MaybeFinishFlush();
}

void ProcessRuntime::Impl::MaybeFinishFlush() {
  if (!call_ || (!call_->completed && !call_error_)) return;
  if (std::any_of(hosts_.begin(), hosts_.end(), [](const HostSlot& h) { return h.flushing; })) {
    return;
  }
  // Causal order: logical clock, then host, then arrival.
  std::stable_sort(buffered_.begin(), buffered_.end(), [](const Buffered& a, const Buffered& b) {
    if (a.record.seq != b.record.seq) return a.record.seq < b.record.seq;
    return a.host < b.host;
  });
  std::vector<Buffered> records = std::move(buffered_);
  buffered_.clear();
  for (Buffered& b : records) {
    clock_ = std::max(clock_, b.record.time);
    b.record.seq = next_seq_++;
    if (sink_) sink_(b.record);
  }
  PendingCall call = std::move(*call_);
  call_.reset();
  if (call.completed && call.done) call.done(call.result);
  if (!call_ && !queued_.empty() && !call_error_) {
    QueuedCall next = std::move(queued_.front());
    queued_.pop_front();
    PostCall(next.client, next.label, next.spec, std::move(next.done));
  }
}

void ProcessRuntime::Impl::OnHandshakeFailed(Connection& connection, const Status& error) {
  HostSlot* h = HostOfConnection(connection);
  Fail(Unauthenticated((h ? Who(*h) : std::string("a host")) + ": control connection: " +
                       error.message() + " (does it hold this run's secret?)"));
}

Status ProcessRuntime::Impl::OnFrame(Connection& connection, v1::Envelope env) {
  size_t index = 0;
  HostSlot* h = HostOfConnection(connection, &index);
  if (h == nullptr) return InvalidArgument("frame on an unknown control connection");
  if (!env.has_host_control()) {
    Fail(InvalidArgument(Who(*h) + ": control stream carried " + nodes::BodyName(env)));
    return failure_;
  }
  v1::HostControl& m = *env.mutable_host_control();
  switch (m.body_case()) {
    case v1::HostControl::kReady:
      h->ready = true;
      h->reported_pid = m.ready().pid();
      return Status::Ok();
    case v1::HostControl::kRecord: {
      StatusOr<TraceRecord> record = FromWire(m.record());
      if (!record.ok()) {
        Fail(InvalidArgument(Who(*h) + ": " + record.status().message()));
        return failure_;
      }
      if (record->seq > (uint64_t{1} << 62)) {
        Fail(InvalidArgument(Who(*h) + ": trace record logical clock out of range"));
        return failure_;
      }
      max_lamport_ = std::max(max_lamport_, record->seq);
      buffered_.push_back({index, next_order_++, std::move(record).value()});
      return Status::Ok();
    }
    case v1::HostControl::kCallDone: {
      if (!call_ || call_->id != m.call_done().call_id() || call_->host != index ||
          call_->completed) {
        Fail(InvalidArgument(Who(*h) + ": completion of call " +
                             std::to_string(m.call_done().call_id()) +
                             ", which it was not running"));
        return failure_;
      }
      if (!call_->result.ParseFromString(m.call_done().result())) {
        Fail(InvalidArgument(Who(*h) + ": call result is not a HopResult"));
        return failure_;
      }
      call_->completed = true;
      BeginFlush();
      return Status::Ok();
    }
    case v1::HostControl::kFlushDone:
      if (m.flush_done().token() == flush_token_ && h->flushing) {
        h->flushing = false;
        h->delivered = m.flush_done().delivered();
        clock_ = std::max(clock_, m.flush_done().now_ms());
        MaybeFinishFlush();
      }
      return Status::Ok();
    case v1::HostControl::kFailure:
      Fail(Unavailable(Who(*h) + ": " + m.failure().message()));
      return Status::Ok();
    default:
      Fail(InvalidArgument(Who(*h) + ": unexpected control message " +
                           std::to_string(static_cast<int>(m.body_case()))));
      return failure_;
  }
}

void ProcessRuntime::Impl::OnWireError(Connection& connection, const Status& error) {
  HostSlot* h = HostOfConnection(connection);
  Fail(InvalidArgument((h ? Who(*h) : std::string("a host")) +
                       ": control stream: " + error.message()));
}

void ProcessRuntime::Impl::OnClosed(Connection& connection, const std::string& reason) {
  size_t index = 0;
  HostSlot* h = HostOfConnection(connection, &index);
  if (h == nullptr || shut_down_ || h->down) return;
  std::string how = "its control connection closed: " + reason;
  if (h->pid > 0) {
    // A process that died closes its sockets as it exits: its status follows at once.
    const Clock::time_point until = Clock::now() + kExitStatusWait;
    int status = 0;
    while (Clock::now() < until) {
      if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
        how = DescribeWaitStatus(status);
        h->pid = 0;
        break;
      }
      usleep(5'000);
    }
  }
  if (!h->ready) {
    // Not a fault of the simulated world: the run could not start.
    h->down = true;
    h->how = how;
    Fail(Unavailable(Who(*h) + " ended before it was ready: " + how));
    return;
  }
  MarkDown(index, how);
}

void ProcessRuntime::Impl::StopProcesses() {
  for (HostSlot& h : hosts_) {
    if (h.ready_fd >= 0) {
      close(h.ready_fd);
      h.ready_fd = -1;
    }
    if (h.pid > 0) {
      kill(-h.pid, SIGTERM);
      kill(h.pid, SIGTERM);
    }
  }
  const Clock::time_point grace = Clock::now() + std::chrono::milliseconds(kStopGraceMs);
  for (HostSlot& h : hosts_) {
    int status = 0;
    while (h.pid > 0 && Clock::now() < grace) {
      if (waitpid(h.pid, &status, WNOHANG) == h.pid) {
        h.pid = 0;
        break;
      }
      usleep(2'000);
    }
    if (h.pid > 0) {
      kill(-h.pid, SIGKILL);
      kill(h.pid, SIGKILL);
      waitpid(h.pid, &status, 0);
      h.pid = 0;
    }
  }
}

void ProcessRuntime::Impl::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (HostSlot& h : hosts_) {
    if (h.control != nullptr && !h.down) {
      v1::HostControl stop;
      stop.mutable_stop();
      SendControl(h, std::move(stop));
    }
  }
  // Let the stops reach the hosts: the processes started here exit on theirs, and are
  // reaped as they do (bounded: StopProcesses signals whatever is left).
  if (reaper_ != nullptr) reaper_->cancel();
  io_.restart();
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(kStopGraceMs);
  for (int round = 0; Clock::now() < until; ++round) {
    io_.run_for(std::chrono::milliseconds(2));
    bool alive = false;
    for (HostSlot& h : hosts_) {
      int status = 0;
      if (h.pid > 0 && waitpid(h.pid, &status, WNOHANG) == h.pid) h.pid = 0;
      alive = alive || h.pid > 0;
    }
    if (!alive && round > 0) break;
  }
  for (HostSlot& h : hosts_) {
    if (h.control != nullptr) h.control->CloseQuietly();
  }
  StopProcesses();
  if (reaper_ != nullptr) reaper_->cancel();
  if (signals_ != nullptr) {
    asio::error_code ignored;
    signals_->cancel(ignored);
  }
  io_.restart();
  const Clock::time_point drain = Clock::now() + std::chrono::seconds(2);
  while (!io_.stopped() && Clock::now() < drain) io_.run_one_for(drain - Clock::now());
  for (HostSlot& h : hosts_) h.control.reset();
  signals_.reset();
  reaper_.reset();
  network_.reset();  // the switch namespace goes, with the bridge and every veth
}

std::vector<HostProcessInfo> ProcessRuntime::Impl::Hosts() const {
  std::vector<HostProcessInfo> out;
  for (const HostSlot& h : hosts_) {
    HostProcessInfo info;
    info.name = h.plan.name;
    info.address = h.plan.address;
    info.endpoint = h.port != 0 ? h.ip + ":" + std::to_string(h.port) : "";
    info.pid = h.reported_pid;
    info.netns = h.netns;
    info.started_here = h.plan.remote.empty();
    info.ended = h.down;
    info.how = h.how;
    out.push_back(std::move(info));
  }
  return out;
}

// ---------------------------------------------------------------------------------------

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ProcessRuntime::~ProcessRuntime() { impl_->Shutdown(); }
void ProcessRuntime::SetHosts(std::vector<ProcessHost> hosts) { impl_->SetHosts(std::move(hosts)); }
NodeId ProcessRuntime::AddNode(std::unique_ptr<Node> node, const std::string& host_address) {
  return impl_->AddNode(std::move(node), host_address);
}
Node& ProcessRuntime::GetNode(NodeId id) { return impl_->GetNode(id); }
void ProcessRuntime::SetTraceSink(nodes::TraceSink sink) { impl_->SetTraceSink(std::move(sink)); }
void ProcessRuntime::CaptureMessages(bool capture) { impl_->CaptureMessages(capture); }
void ProcessRuntime::SetFaults(std::shared_ptr<const nodes::FaultPlan> plan) {
  impl_->SetFaults(std::move(plan));
}
Status ProcessRuntime::Start() {
  Status s = impl_->Start();
  if (!s.ok()) impl_->Fail(s);
  return s;
}
void ProcessRuntime::Post(NodeId, std::function<void(Node&, NodeContext&)>) {
  impl_->Fail(FailedPrecondition(
      "the procs runtime runs nodes in host processes: only calls (PostCall) can be started"));
}
void ProcessRuntime::PostCall(NodeId client, const std::string& label, const v1::CallSpec& spec,
                              CallDone done) {
  impl_->PostCall(client, label, spec, std::move(done));
}
Status ProcessRuntime::RunUntil(const std::function<bool()>& done, Time budget_ms) {
  return impl_->RunUntil(done, budget_ms);
}
void ProcessRuntime::AdvanceClock(Time delta_ms) { impl_->AdvanceClock(delta_ms); }
Time ProcessRuntime::Now() const { return impl_->Now(); }
uint64_t ProcessRuntime::delivered() const { return impl_->delivered(); }
Status ProcessRuntime::Failure() const { return impl_->Failure(); }
void ProcessRuntime::Shutdown() { impl_->Shutdown(); }
std::string_view ProcessRuntime::kind() const { return impl_->kind(); }
std::vector<HostProcessInfo> ProcessRuntime::Hosts() const { return impl_->Hosts(); }
std::string ProcessRuntime::SwitchNamespace() const { return impl_->SwitchNamespace(); }

}  // namespace delegsim::net
