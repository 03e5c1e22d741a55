#include "diagrams/svg.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace delegsim::diagrams {
namespace {

constexpr size_t kMaxSvgBytes = 32u << 20;      // output beyond this is refused
constexpr size_t kMaxMessageBytes = 4096;       // of dot's stderr, kept for the error
constexpr std::chrono::seconds kTimeLimit{30};  // layout of a pathological graph

// A file descriptor closed on scope exit.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "no message" : s;
}

// `svg` from its <svg element on, without comments.
std::string ForInlining(const std::string& svg) {
  size_t start = svg.find("<svg");
  if (start == std::string::npos) return "";
  std::string out;
  out.reserve(svg.size() - start);
  size_t pos = start;
  while (pos < svg.size()) {
    size_t open = svg.find("<!--", pos);
    if (open == std::string::npos) {
      out.append(svg, pos, std::string::npos);
      break;
    }
    out.append(svg, pos, open - pos);
    size_t close = svg.find("-->", open + 4);
    if (close == std::string::npos) break;  // an unterminated comment: drop the rest
    pos = close + 3;
  }
  return out;
}

}  // namespace

StatusOr<std::string> RenderSvg(const std::string& dot) {
  if (dot.size() > kMaxSvgDotBytes) {
    return InvalidArgument("the graph is too large to draw (" + std::to_string(dot.size()) +
                           " bytes of DOT; at most " + std::to_string(kMaxSvgDotBytes) + ")");
  }
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Internal("pipe: " + std::string(strerror(errno)));
  Fd in_read(in[0]), in_write(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return Internal("pipe: " + std::string(strerror(errno)));
  Fd out_read(out[0]), out_write(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return Internal("pipe: " + std::string(strerror(errno)));
  Fd err_read(err[0]), err_write(err[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  char arg0[] = "dot";
  char arg1[] = "-Tsvg";
  char* argv[] = {arg0, arg1, nullptr};
  pid_t pid = -1;
  int spawned = posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return FailedPrecondition("cannot run Graphviz `dot` (" + std::string(strerror(spawned)) +
                              "): install graphviz (scripts/setup.sh)");
  }
  in_read.Close();
  out_write.Close();
  err_write.Close();
  fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  // A write after dot exits raises SIGPIPE, which would end this process: block it for the
  // exchange, and consume one that arrived before restoring the mask.
  sigset_t pipe_signal, previous_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous_mask);

  // Feed the DOT and collect the SVG together (a large graph fills both pipes), bounded in
  // size and time; on either bound the child is killed.
  std::string svg, messages;
  size_t written = 0;
  bool too_large = false, timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + kTimeLimit;
  char buf[65536];
  while (out_read.get() >= 0 || err_read.get() >= 0) {
    if (written == dot.size()) in_write.Close();
    pollfd fds[3] = {
        {out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}, {in_write.get(), POLLOUT, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int ready = poll(fds, 3, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = write(in_write.get(), dot.data() + written, dot.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) written = dot.size();  // dot stopped reading
    }
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Fd& fd = i == 0 ? out_read : err_read;
      ssize_t n = read(fd.get(), buf, sizeof buf);
      if (n <= 0) {
        if (n == 0 || errno != EINTR) fd.Close();
        continue;
      }
      std::string& sink = i == 0 ? svg : messages;
      size_t limit = i == 0 ? kMaxSvgBytes : kMaxMessageBytes;
      sink.append(buf, std::min(static_cast<size_t>(n), limit - std::min(limit, sink.size())));
      if (i == 0 && sink.size() >= kMaxSvgBytes) too_large = true;
    }
    if (too_large) break;
  }
  in_write.Close();
  if (timed_out || too_large) kill(pid, SIGKILL);
  if (!sigismember(&previous_mask, SIGPIPE)) {
    timespec none = {0, 0};
    while (sigtimedwait(&pipe_signal, nullptr, &none) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Internal("Graphviz `dot` took longer than " + std::to_string(kTimeLimit.count()) +
                    " s to draw the graph");
  }
  if (too_large) return Internal("Graphviz `dot` wrote more than 32 MiB of SVG");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how =
        WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status)) : "failed";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && svg.empty()) {
      return InvalidArgument("Graphviz cannot parse the graph: " + Trimmed(messages));
    }
    return Internal("Graphviz `dot` " + how + ": " + Trimmed(messages));
  }
  std::string inline_svg = ForInlining(svg);
  if (inline_svg.empty()) return Internal("Graphviz produced no <svg> element");
  return inline_svg;
}

}  // namespace delegsim::diagrams
