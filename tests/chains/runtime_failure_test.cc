// A failure of the runtime is not a simulated denial: an envelope above the frame maximum,
// a runtime that cannot start or cannot accept end the run as "did not complete" (exit 2,
// with the reason), under either runtime, and never as a verdict.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "net/asio_runtime.h"
#include "sim/virtual_runtime.h"
#include "tests/chains/lab.h"

namespace delegsim::testing {
namespace {

using ::testing::HasSubstr;

// A call whose plan is larger than any frame: the first hop's CALL cannot be sent.
Lab OversizedCallLab() {
  Lab lab;
  v1::CallSpec call = Lab::Call("a", "impersonate");
  *call.add_ops() = Lab::Open(std::string(size_t{1} << 20, 'o'), "read");
  lab.AddCall("c1", "alice", "ws1", call);
  return lab;
}

class OversizedCall : public ::testing::TestWithParam<std::string> {};

TEST_P(OversizedCall, EndsTheRunAsNotCompletedWithTheReason) {
  Lab lab = OversizedCallLab();
  std::unique_ptr<nodes::Runtime> runtime;
  if (GetParam() == "tcp") {
    runtime = std::make_unique<net::AsioRuntime>();
  } else {
    runtime = std::make_unique<sim::VirtualRuntime>();
  }
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(lab.scenario, std::move(runtime));
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  const Status run = (*world)->Run();
  EXPECT_EQ(run.code(), StatusCode::kResourceExhausted) << run.ToString();
  EXPECT_THAT(run.message(), HasSubstr("call 'c1': alice@ws1: CALL c1/a"));
  EXPECT_THAT(run.message(), HasSubstr("not sent"));
  EXPECT_THAT(run.message(), HasSubstr("exceeds the frame maximum of 1048576"));
  ASSERT_EQ((*world)->outcomes().size(), 1u);
  EXPECT_EQ((*world)->outcomes()[0].status.code(), StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(BothRuntimes, OversizedCall, ::testing::Values("virtual", "tcp"));

// Sanitizer runtimes need file descriptors of their own (UBSan probes memory through a
// pipe), so running a sanitized binary out of descriptors tests the sanitizer, not us.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command` under bash, stdout and stderr together.
CommandResult Shell(const std::string& command) {
  CommandResult result;
  const std::string wrapped = "bash -c '" + command + "' 2>&1";
  FILE* pipe = ::popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), got);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TEST(RunCommand, TcpRuntimeThatCannotStartOrAcceptExitsTwoWithTheReason) {
  if (kSanitized) GTEST_SKIP() << "a sanitized binary cannot run out of file descriptors";
  // Out of file descriptors at each point in turn: listening, accepting, connecting.
  const std::string run = std::string(DELEGSIM_BINARY) + " run " + DELEGSIM_TEST_SOURCE_DIR +
                          "/scenarios/two-hop.json --runtime tcp";
  bool saw_listen_failure = false;
  for (int limit = 6; limit <= 40; ++limit) {
    const CommandResult r = Shell("ulimit -n " + std::to_string(limit) + "; exec " + run);
    SCOPED_TRACE("ulimit -n " + std::to_string(limit) + ":\n" + r.output);
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2);  // never a crash, never a verdict
    if (r.exit_code == 0) {
      EXPECT_THAT(r.output, HasSubstr("expectations: 3 passed, 0 failed"));
      break;
    }
    EXPECT_THAT(r.output, HasSubstr("the run did not complete: "));
    EXPECT_THAT(r.output, HasSubstr("Too many open files"));
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("ALLOWED")));  // no report
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("DENIED")));
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("DS-13")));
    // At most one line per listener and the verdict line: no log flood.
    EXPECT_LE(std::count(r.output.begin(), r.output.end(), '\n'), 6);
    saw_listen_failure = saw_listen_failure || r.output.find("cannot listen") != std::string::npos;
  }
  EXPECT_TRUE(saw_listen_failure);
}

TEST(CheckCommand, ScenarioWhoseRunDidNotCompleteExitsTwoNotOne) {
  if (kSanitized) GTEST_SKIP() << "a sanitized binary cannot run out of file descriptors";
  const std::string check = std::string(DELEGSIM_BINARY) + " check " + DELEGSIM_TEST_SOURCE_DIR +
                            "/scenarios/two-hop.json --runtime tcp";
  bool saw_incomplete = false;
  for (int limit = 6; limit <= 40; ++limit) {
    const CommandResult r = Shell("ulimit -n " + std::to_string(limit) + "; exec " + check);
    SCOPED_TRACE("ulimit -n " + std::to_string(limit) + ":\n" + r.output);
    ASSERT_NE(r.exit_code, 1);  // an expectation never "fails" for lack of a runtime
    if (r.exit_code == 0) break;
    ASSERT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.output, HasSubstr("FAIL  two-hop"));
    EXPECT_THAT(r.output, HasSubstr("Too many open files"));
    saw_incomplete = true;
  }
  EXPECT_TRUE(saw_incomplete);
}

}  // namespace
}  // namespace delegsim::testing
