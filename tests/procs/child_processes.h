// Child processes for the multi-process runtime's tests: start `delegsim` with pipes, wait
// for it in bounded time, and prove that nothing a test started outlives it.
//
// Every test binary that includes this becomes a child subreaper (ChildReaper), so a host
// process whose parent (`delegsim run`) died is re-parented to the test instead of init,
// where RemainingChildren() sees it. ChildReaper's destructor kills and reaps whatever is
// left, so a failing test leaves no process behind either.
//
//   ChildReaper reaper;                                   // first thing in a test
//   Child run = Child::Start({kDelegsim, "run", file, "--runtime", "procs"});
//   Child::Result r = run.Wait(60'000);                   // killed if it takes longer
//   EXPECT_TRUE(RemainingChildren().empty());
#ifndef DELEGSIM_TESTS_PROCS_CHILD_PROCESSES_H_
#define DELEGSIM_TESTS_PROCS_CHILD_PROCESSES_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace delegsim::testing {

// The delegsim executable under test (a compile definition).
inline const char* DelegsimExecutable() { return DELEGSIM_EXECUTABLE; }

class Child {
 public:
  struct Result {
    bool exited = false;  // false: killed by a signal (or by Wait's timeout)
    int code = -1;        // exit code when exited
    int signal = 0;       // the signal otherwise
    bool timed_out = false;
    std::string out;  // stdout
    std::string err;  // stderr
  };
  // Starts `argv` with stdout and stderr on pipes, stdin /dev/null, and `env` added to
  // the environment ("NAME=value"). It stays in the test's process group.
  static Child Start(const std::vector<std::string>& argv,
                     const std::vector<std::string>& env = {});
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  // Kills and reaps it if it still runs.
  ~Child();

  pid_t pid() const { return pid_; }
  // Reads what is available of stdout without blocking; everything so far.
  const std::string& PollOut();
  // Waits until it ends (reading both pipes), at most `timeout_ms`; then SIGKILL.
  Result Wait(int timeout_ms);

 private:
  Child() = default;
  void Drain(bool block_until_eof, int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

// The test process's children right now (scanning /proc), whoever started them.
std::vector<pid_t> RemainingChildren();
// The children of `pid` (scanning /proc).
std::vector<pid_t> ChildrenOf(pid_t pid);
// The arguments `pid` was started with; empty if it is gone.
std::vector<std::string> CommandLine(pid_t pid);
// How many sockets `pid` has open.
int SocketCount(pid_t pid);
// The host process of `run_pid` for simulated host `host` ("--host NAME" on its command
// line), waiting up to `timeout_ms` for it to exist and hold at least `min_sockets`
// sockets; -1 if it did not.
pid_t AwaitHostProcess(pid_t run_pid, const std::string& host, int min_sockets, int timeout_ms);

// Makes this process a child subreaper for its lifetime; kills (whole process groups)
// and reaps every child left at destruction.
class ChildReaper {
 public:
  ChildReaper();
  ~ChildReaper();
  ChildReaper(const ChildReaper&) = delete;
  ChildReaper& operator=(const ChildReaper&) = delete;
};
// Kills and reaps every child of this process (each with its process group).
void KillRemainingChildren();

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_PROCS_CHILD_PROCESSES_H_
