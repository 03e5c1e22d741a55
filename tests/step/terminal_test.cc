// `delegsim step` on a real terminal: a tmux session (a pseudo-terminal) runs the binary,
// the test types commands as a user would and reads the screen back. Skipped when tmux
// is not installed. Every wait polls the screen for at most kWait.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace delegsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kWait = std::chrono::seconds(10);

std::string SourceDir() {
  const char* env = std::getenv("DELEGSIM_SOURCE_DIR");
  return env != nullptr ? env : DELEGSIM_TEST_SOURCE_DIR;
}

// Runs a shell command; returns its exit status and fills `out` with its stdout.
int Shell(const std::string& command, std::string* out = nullptr) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  int raw = pclose(pipe);
  if (out != nullptr) *out = std::move(text);
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A tmux server of its own (a socket in the test's temporary folder, named after this
// process and terminal), one session running `command` in a 200x50 pane that stays on
// screen after the command exits.
class Terminal {
 public:
  explicit Terminal(const std::string& command)
      : socket_(::testing::TempDir() + "/delegsim-step-tmux-" + std::to_string(getpid()) + "-" +
                std::to_string(count_++)),
        tmux_("tmux -S " + Quote(socket_) + " -f /dev/null") {
    Shell(tmux_ + " new-session -d -x 200 -y 50 -s step " + Quote(command) + " 2>&1");
    Shell(tmux_ + " set-option -t step remain-on-exit on 2>&1");
    Shell(tmux_ + " set-option -t step history-limit 5000 2>&1");
  }
  ~Terminal() {
    Shell(tmux_ + " kill-server 2>/dev/null");
    std::remove(socket_.c_str());
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Types `text` literally, then Enter.
  void Type(const std::string& text) {
    if (!text.empty()) Shell(tmux_ + " send-keys -t step -l " + Quote(text));
    Keys("Enter");
  }
  // Sends tmux key names ("Enter", "Up", "C-a").
  void Keys(const std::string& keys) { Shell(tmux_ + " send-keys -t step " + keys); }
  // The whole pane, scroll-back included, wrapped lines joined; with colour escapes when
  // `escapes`.
  std::string Screen(bool escapes = false) {
    std::string out;
    Shell(tmux_ + " capture-pane -p -J -S - " + (escapes ? "-e " : "") + "-t step", &out);
    return out;
  }
  // Waits until the screen holds `text` `times` times; returns the screen.
  std::string WaitFor(const std::string& text, int times = 1) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    std::string screen;
    while (std::chrono::steady_clock::now() < deadline) {
      screen = Screen();
      if (Count(screen, text) >= times) return screen;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "waited " << kWait.count() << " s for \"" << text << "\" (x" << times
                  << "); the screen:\n"
                  << screen;
    return screen;
  }
  static int Count(const std::string& screen, const std::string& text) {
    int n = 0;
    for (size_t at = screen.find(text); at != std::string::npos; at = screen.find(text, at + 1)) {
      ++n;
    }
    return n;
  }

 private:
  static inline int count_ = 0;
  std::string socket_;
  std::string tmux_;
};

class StepTerminal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("tmux -V > /dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed";
  }
  static std::string Command(const std::string& env = "") {
    return env + std::string(DELEGSIM_BINARY) + " step " + SourceDir() +
           "/scenarios/default.json --runtime virtual";
  }
};

TEST_F(StepTerminal, StepsBreaksExplainsShowsTheTokenAndGoesBack) {
  Terminal t(Command("env -u NO_COLOR "));
  std::string screen = t.WaitFor("(step) ");
  EXPECT_THAT(screen, HasSubstr("[#0001 0 ms] alice@ws1  SEND"));

  t.Type("n");
  t.WaitFor("[#0002 1 ms] kdc.corp.example  DELIVER");

  // carol's ticket is S4U2proxy evidence at web (KCD-7); the KDC refuses db (RB-1), then web
  // refuses the call at the caller, naming IL-4 (no TGT) as the cause.
  t.Type("break rule:RB-1");
  t.WaitFor("breakpoint 1: rule:RB-1");

  t.Type("c");
  t.WaitFor("[#0071 22 ms] kdc.corp.example  KDC_DECISION");
  t.Type("c");
  screen = t.WaitFor("[#0074 23 ms] web  CALL_REFUSED  sensitive/web/db");
  EXPECT_THAT(screen, HasSubstr("DENIED by RB-1 (KDC_ERR_BADOPTION)"));

  t.Type("why");
  screen = t.WaitFor("checks, in the order they ran:");
  EXPECT_THAT(screen, HasSubstr("    2. KCD-7  read: carol.net_creds=s4u_proxy{}"));
  EXPECT_THAT(screen, HasSubstr("    IL-4: carol.tgt=false"));
  EXPECT_THAT(screen, HasSubstr("    RB-1   When KCD does not allow it"));

  t.Type("token");
  screen = t.WaitFor("token of web's thread for sensitive/web (#0062 IMPERSONATE)");
  EXPECT_THAT(screen, HasSubstr("  identity    carol@CORP.EXAMPLE"));
  EXPECT_THAT(screen, HasSubstr("  level       impersonate"));
  EXPECT_THAT(screen, HasSubstr("  net_creds   s4u_proxy{} (KCD-7)"));

  t.Type("back");
  screen = t.WaitFor("[#0073 23 ms] web  DELIVER");
  EXPECT_THAT(screen, HasSubstr("(replaying from the start to #0073)"));

  // Colour on a terminal (NO_COLOR unset): the verdicts are painted (tmux re-encodes
  // bold red as two sequences).
  EXPECT_THAT(t.Screen(/*escapes=*/true), HasSubstr("\033[31mDENIED"));

  t.Type("quit");
  t.WaitFor("quit at #0073 after 73 events; the rest of the run was skipped");
}

TEST_F(StepTerminal, NoColourWhenNoColorIsSet) {
  Terminal t(Command("env NO_COLOR=1 "));
  t.WaitFor("(step) ");
  t.Type("n 2");
  t.WaitFor("ALLOWED by DS-8");
  EXPECT_THAT(t.Screen(/*escapes=*/true), Not(HasSubstr("\033[")));
  t.Type("q");
  t.WaitFor("quit at #0003");
}

#ifdef DELEGSIM_HAVE_LIBEDIT
TEST_F(StepTerminal, LineEditingAndHistory) {
  Terminal t(Command());
  t.WaitFor("(step) ");
  // Type "xhelp", go to the start of the line (C-a), delete the x (C-d), Enter.
  t.Keys("-l xhelp");
  t.Keys("C-a C-d Enter");
  t.WaitFor("commands (several on one line: n;n;why)");
  // Up recalls the last command.
  t.Keys("Up Enter");
  t.WaitFor("commands (several on one line: n;n;why)", 2);
  // End of input (C-d on an empty line) ends the session.
  t.Keys("C-d");
  t.WaitFor("end of input at #0001 after 1 events");
}

// Tab completes commands, breakpoint kinds and the scenario's names.
TEST_F(StepTerminal, TabCompletesCommandsKindsAndNames) {
  Terminal t(Command());
  t.WaitFor("(step) ");
  t.Keys("-l brea");
  t.Keys("Tab");
  t.Keys("-l ser");
  t.Keys("Tab");
  t.Keys("-l d");
  t.Keys("Tab");
  t.Keys("Enter");
  t.WaitFor("breakpoint 1: service:db");
  t.Keys("-l br");
  t.Keys("Tab");
  t.Keys("-l rule:KCD-");
  t.Keys("Tab");  // several rules: nothing inserted beyond the common prefix
  t.Keys("-l 7");
  t.Keys("Enter");
  t.WaitFor("breakpoint 2: rule:KCD-7");
  t.Keys("-l conti");
  t.Keys("Tab");
  t.Keys("Enter");
  t.WaitFor("[#0033 10 ms] db  DELIVER  paystub/web/db");
  t.Type("q");
  t.WaitFor("quit at #0033");
}
#endif

}  // namespace
}  // namespace delegsim
