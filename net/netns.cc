#include "net/netns.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "net/process_runtime.h"

namespace delegsim::net {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxToolOutputBytes = 4096;

std::string IpTool() {
  for (const char* candidate : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

std::string Errno(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

// Waits up to `timeout_ms` for `fd` to be readable; false on timeout or error.
bool WaitReadable(int fd, int timeout_ms) {
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Waits for `pid` to end, at most `timeout_ms`, then kills it; its wait status.
int ReapBounded(pid_t pid, int timeout_ms) {
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (Clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    usleep(1'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return status;
}

// Runs `ip -batch -` with `commands` on its stdin, inside the network namespace `ns_fd`.
// `what` names the step for errors.
Status RunIp(int ns_fd, const std::string& commands, const std::string& what) {
  std::string ip = IpTool();
  if (ip.empty()) {
    return FailedPrecondition("the netns runtime needs iproute2's `ip` (apt-get install iproute2)");
  }
  int input[2];
  int output[2];
  if (pipe2(input, O_CLOEXEC) != 0) return Unavailable(what + ": " + Errno("pipe"));
  if (pipe2(output, O_CLOEXEC) != 0) {
    close(input[0]);
    close(input[1]);
    return Unavailable(what + ": " + Errno("pipe"));
  }
  // Written before the fork, into the pipe's buffer (a few short lines): no SIGPIPE however
  // early the tool ends.
  const ssize_t written = write(input[1], commands.data(), commands.size());
  close(input[1]);
  std::string dash_batch = "-batch";
  std::string dash = "-";
  std::array<char*, 4> argv = {ip.data(), dash_batch.data(), dash.data(), nullptr};
  const pid_t pid = written == static_cast<ssize_t>(commands.size()) ? fork() : -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setns(ns_fd, CLONE_NEWNET) != 0) _exit(125);
    if (dup2(input[0], 0) < 0 || dup2(output[1], 1) < 0 || dup2(output[1], 2) < 0) _exit(125);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(input[0]);
  close(output[1]);
  if (pid < 0) {
    close(output[0]);
    return Unavailable(what + ": " + Errno("fork"));
  }
  std::string text;
  const Clock::time_point until =
      Clock::now() + std::chrono::milliseconds(NetnsSwitch::kToolTimeoutMs);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0 || !WaitReadable(output[0], static_cast<int>(left))) break;
    char buffer[512];
    const ssize_t n = read(output[0], buffer, sizeof buffer);
    if (n <= 0) break;
    if (text.size() < kMaxToolOutputBytes) text.append(buffer, static_cast<size_t>(n));
  }
  close(output[0]);
  const int status = ReapBounded(pid, 1'000);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string why = WIFEXITED(status) && WEXITSTATUS(status) == 125
                        ? "cannot enter the namespace"
                        : "`ip` " + DescribeWaitStatus(status);
  return Unavailable(what + ": " + why + (text.empty() ? "" : ": " + text));
}

}  // namespace

StatusOr<std::unique_ptr<NetnsSwitch>> NetnsSwitch::Create() {
  if (IpTool().empty()) {
    return FailedPrecondition("the netns runtime needs iproute2's `ip` (apt-get install iproute2)");
  }
  // A child unshares a fresh network namespace; this process keeps a descriptor of it, which
  // keeps it alive after the child ends.
  int ready[2];
  int hold[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return Unavailable(Errno("pipe"));
  if (pipe2(hold, O_CLOEXEC) != 0) {
    close(ready[0]);
    close(ready[1]);
    return Unavailable(Errno("pipe"));
  }
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char answer[2] = {'K', 0};
    if (unshare(CLONE_NEWNET) != 0) {
      answer[0] = 'E';
      answer[1] = static_cast<char>(errno);
    }
    if (write(ready[1], answer, 2) != 2) _exit(1);
    char c;
    (void)!read(hold[0], &c, 1);  // until the parent has the namespace (EOF)
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  if (pid < 0) {
    close(ready[0]);
    close(hold[1]);
    return Unavailable(Errno("fork"));
  }
  char answer[2] = {0, 0};
  const bool answered = WaitReadable(ready[0], kToolTimeoutMs) && read(ready[0], answer, 2) == 2;
  close(ready[0]);
  int fd = -1;
  if (answered && answer[0] == 'K') {
    fd = open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  }
  const int open_errno = errno;
  close(hold[1]);
  ReapBounded(pid, 1'000);
  if (!answered) return Unavailable("netns: the namespace helper did not answer");
  if (answer[0] != 'K') {
    return FailedPrecondition(std::string("the netns runtime cannot create a network namespace (") +
                              std::strerror(answer[1]) +
                              "): it needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)");
  }
  if (fd < 0) {
    return Unavailable(std::string("netns: open the switch namespace: ") +
                       std::strerror(open_errno));
  }
  std::unique_ptr<NetnsSwitch> sw(new NetnsSwitch(fd));
  Status s = RunIp(fd,
                   "link set lo up\n"
                   "link add name br0 type bridge\n"
                   "addr add " +
                       std::string(kBridgeAddress) +
                       "/16 dev br0\n"
                       "link set br0 up\n",
                   "netns: the bridge");
  if (!s.ok()) return FailedPrecondition(s.message());
  return sw;
}

NetnsSwitch::~NetnsSwitch() {
  if (switch_fd_ >= 0) close(switch_fd_);
}

std::string NetnsSwitch::AddressOf(size_t index) {
  const size_t n = index + 2;  // .0.0 is the network, .0.1 the bridge
  return "10.77." + std::to_string((n >> 8) & 0xFF) + "." + std::to_string(n & 0xFF);
}

std::string NetnsSwitch::NamespaceOf(pid_t pid) {
  char target[64];
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  const ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

std::string NetnsSwitch::Identity() const {
  char target[64];
  const std::string path = "/proc/self/fd/" + std::to_string(switch_fd_);
  const ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

Status NetnsSwitch::Attach(pid_t pid, size_t index) {
  if (index >= kMaxHosts) {
    return InvalidArgument("netns: at most " + std::to_string(kMaxHosts) + " hosts");
  }
  const std::string who = "netns: host process " + std::to_string(pid);
  // Never add an interface to this process's own namespace (the machine's, usually).
  const std::string theirs = NamespaceOf(pid);
  if (theirs.empty() || theirs == NamespaceOf(getpid())) {
    return FailedPrecondition(who + " is not in a network namespace of its own");
  }
  const int host_fd =
      open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  if (host_fd < 0) return Unavailable(who + ": " + Errno("open its namespace"));
  const std::string veth = "dsh" + std::to_string(index);
  Status s =
      RunIp(switch_fd_,
            "link add name " + veth + " type veth peer name eth0 netns " + std::to_string(pid) +
                "\nlink set " + veth + " master br0\nlink set " + veth + " up\n",
            who + ": its veth on the bridge");
  if (s.ok()) {
    s = RunIp(host_fd,
              "link set lo up\naddr add " + AddressOf(index) + "/16 dev eth0\nlink set eth0 up\n",
              who + ": its address");
  }
  close(host_fd);
  return s;
}

Status NetnsSwitch::InSwitch(const std::function<void()>& fn) {
  const int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return Unavailable("netns: " + Errno("open this thread's namespace"));
  if (setns(switch_fd_, CLONE_NEWNET) != 0) {
    const std::string why = Errno("setns");
    close(self);
    return Unavailable("netns: enter the switch namespace: " + why);
  }
  fn();
  if (setns(self, CLONE_NEWNET) != 0) {
    // This thread would go on in the wrong network: no safe way to continue.
    std::fprintf(stderr, "netns: cannot return to this process's namespace: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  close(self);
  return Status::Ok();
}

}  // namespace delegsim::net
