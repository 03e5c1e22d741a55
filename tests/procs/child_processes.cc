#include "tests/procs/child_processes.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace delegsim::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The whole of /proc/PID/NAME, or "" when the process is gone. A process may end between
// listing /proc and reading its file (the read then fails with ESRCH); an ifstream read
// through istreambuf_iterator would throw for that, so read with the system calls.
std::string ReadProcFile(pid_t pid, const char* name) {
  std::string out;
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// The parent pid in /proc/PID/stat (the field after the parenthesised command).
pid_t ParentOf(pid_t pid) {
  const std::string stat = ReadProcFile(pid, "stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  pid_t parent = -1;
  rest >> state >> parent;
  return parent;
}

void ReadAvailable(int fd, std::string& into) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
    into.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

Child Child::Start(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) std::abort();
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> cenv;
  for (std::string& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    const int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  Child child;
  child.pid_ = pid;
  child.out_fd_ = out[0];
  child.err_fd_ = err[0];
  return child;
}

Child::Child(Child&& other) noexcept
    : pid_(other.pid_),
      out_fd_(other.out_fd_),
      err_fd_(other.err_fd_),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {
  other.pid_ = -1;
  other.out_fd_ = -1;
  other.err_fd_ = -1;
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

const std::string& Child::PollOut() {
  if (out_fd_ >= 0) ReadAvailable(out_fd_, out_);
  if (err_fd_ >= 0) ReadAvailable(err_fd_, err_);
  return out_;
}

void Child::Drain(bool block_until_eof, int timeout_ms) {
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    std::vector<pollfd> polls;
    if (out_fd_ >= 0) polls.push_back({out_fd_, POLLIN, 0});
    if (err_fd_ >= 0) polls.push_back({err_fd_, POLLIN, 0});
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (block_until_eof && left <= 0) return;
    if (poll(polls.data(), polls.size(), block_until_eof ? static_cast<int>(left) : 0) <= 0) {
      if (!block_until_eof) return;
      continue;
    }
    for (const pollfd& p : polls) {
      if (p.revents == 0) continue;
      int& fd = p.fd == out_fd_ ? out_fd_ : err_fd_;
      std::string& into = p.fd == out_fd_ ? out_ : err_;
      char buffer[4096];
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        into.append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EAGAIN) {
        close(fd);
        fd = -1;
      }
    }
  }
}

Child::Result Child::Wait(int timeout_ms) {
  Result result;
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    Drain(/*block_until_eof=*/false, 0);
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (Clock::now() >= until) {
      result.timed_out = true;
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    usleep(2'000);
  }
  pid_ = -1;
  // Its pipes may be held by its own children a little longer: bounded.
  Drain(/*block_until_eof=*/true, 2'000);
  result.exited = WIFEXITED(status);
  result.code = result.exited ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.out = out_;
  result.err = err_;
  return result;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    if (ParentOf(static_cast<pid_t>(pid)) == parent) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return out;
}

std::vector<pid_t> RemainingChildren() {
  // Zombies still count: a child not reaped is a child left behind.
  return ChildrenOf(getpid());
}

std::vector<std::string> CommandLine(pid_t pid) {
  const std::string all = ReadProcFile(pid, "cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

int SocketCount(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* fds = opendir(dir.c_str());
  if (fds == nullptr) return 0;
  int sockets = 0;
  while (dirent* e = readdir(fds)) {
    char target[64];
    const ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n > 0 && std::strncmp(target, "socket:", 7) == 0) ++sockets;
  }
  closedir(fds);
  return sockets;
}

pid_t AwaitHostProcess(pid_t run_pid, const std::string& host, int min_sockets, int timeout_ms) {
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < until) {
    for (pid_t child : ChildrenOf(run_pid)) {
      const std::vector<std::string> args = CommandLine(child);
      for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--host" && args[i + 1] == host && SocketCount(child) >= min_sockets) {
          return child;
        }
      }
    }
    usleep(1'000);
  }
  return -1;
}

void KillRemainingChildren() {
  for (int round = 0; round < 3; ++round) {
    for (pid_t child : RemainingChildren()) {
      kill(-child, SIGKILL);  // a host process leads its own group
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
    }
  }
}

ChildReaper::ChildReaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
ChildReaper::~ChildReaper() { KillRemainingChildren(); }

}  // namespace delegsim::testing
