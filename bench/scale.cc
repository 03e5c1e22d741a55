#include "bench/scale.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
// The baseline is nlohmann/json itself, so this tool includes it beside the loader that
// wraps it (the bench is not one of the project's layers).
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/scale_scenario.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

extern char** environ;

namespace delegsim::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Worlds larger than this are not run again with the trace kept.
constexpr int kTraceMeasureMaxSize = 10'000;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds this process has used (every thread). The phases run on one thread: on an
// idle machine this is their wall time, and on a shared one it leaves out the waits for a
// core, which the wall time counts.
double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Resident set size now, in MiB (Linux /proc/self/statm; 0 when unavailable).
double ResidentMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// Peak resident set size of this process so far, in MiB (getrusage; 0 when unavailable).
double PeakMiB() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

bool ReadFile(const std::string& file, std::string* text) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  *text = std::move(buf).str();
  return true;
}

// One child's figures: its `key=value` line, plus what wait4 reported.
struct Child {
  std::map<std::string, std::string> values;
  double peak_mib = 0;
  double cpu_s = 0;
  bool ok = false;
  double Get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? 0 : std::atof(it->second.c_str());
  }
};

Child Spawn(const std::string& self, const std::string& mode, const std::string& file) {
  Child c;
  int fds[2];
  if (pipe(fds) != 0) return c;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> args = {self, "--scale-child", mode, file};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (rc != 0) {
    std::fprintf(stderr, "cannot start %s: error %d\n", self.c_str(), rc);
    return c;
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) return c;
  c.peak_mib = usage.ru_maxrss / 1024.0;  // KiB on Linux
  c.cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
            usage.ru_stime.tv_usec / 1e6;
  std::istringstream words(out);
  std::string word;
  while (words >> word) {
    size_t eq = word.find('=');
    if (eq != std::string::npos) c.values[word.substr(0, eq)] = word.substr(eq + 1);
  }
  c.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && c.values.count("ok") &&
         c.values["ok"] == "1";
  if (!c.ok) {
    std::fprintf(stderr, "%s child on %s failed (%s): %s\n", mode.c_str(), file.c_str(),
                 WIFSIGNALED(status) ? ("signal " + std::to_string(WTERMSIG(status))).c_str()
                                     : ("exit " + std::to_string(WEXITSTATUS(status))).c_str(),
                 out.c_str());
  }
  return c;
}

int ParseChild(const std::string& file) {
  std::string text;
  if (!ReadFile(file, &text)) return 2;
  auto start = Clock::now();
  double cpu = CpuSeconds();
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  double parse_s = Since(start);
  double parse_cpu_s = CpuSeconds() - cpu;
  if (doc.is_discarded()) return 2;
  std::printf("ok=1 bytes=%zu parse_s=%.6f parse_cpu_s=%.6f rss_parsed_mib=%.1f\n", text.size(),
              parse_s, parse_cpu_s, ResidentMiB());
  return 0;
}

// `keep_trace`: as `delegsim run --show-trace`, the world keeps every trace record.
int DelegsimChild(const std::string& file, bool keep_trace) {
  std::string text;
  if (!ReadFile(file, &text)) return 2;
  const size_t bytes = text.size();
  auto start = Clock::now();
  double cpu = CpuSeconds();
  sim::LoadResult loaded = sim::LoadScenarioText(text, file, bytes);
  const double load_s = Since(start);
  const double load_cpu_s = CpuSeconds() - cpu;
  if (!loaded.ok()) {
    for (const sim::Problem& p : loaded.problems)
      std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return 2;
  }
  std::string().swap(text);  // as `delegsim run` does: the text is not needed any more
  const double rss_loaded = ResidentMiB();
  const double peak_loaded = PeakMiB();
  const size_t calls = loaded.scenario->steps.size();

  start = Clock::now();
  cpu = CpuSeconds();
  StatusOr<std::unique_ptr<sim::World>> world =
      sim::World::Build(std::move(*loaded.scenario), std::make_unique<sim::VirtualRuntime>());
  const double build_s = Since(start);
  const double build_cpu_s = CpuSeconds() - cpu;
  if (!world.ok()) {
    std::fprintf(stderr, "build: %s\n", world.status().ToString().c_str());
    return 2;
  }
  const double rss_built = ResidentMiB();
  const double peak_built = PeakMiB();
  // As `delegsim check`: nobody reads the trace, each call's hop tree is assembled, its
  // expectations checked as it completes and the tree dropped. With the trace kept (as
  // `delegsim run --show-trace`), every tree stays and the expectations are checked at
  // the end, as `delegsim run` does.
  (*world)->KeepTrace(keep_trace);
  size_t hops = 0, allowed = 0, incomplete = 0;
  std::function<void(const v1::HopResult&)> count = [&](const v1::HopResult& h) {
    ++hops;
    if (h.verdict() == "allowed") ++allowed;
    for (const v1::HopResult& c : h.children()) count(c);
  };
  sim::ExpectationChecker checker((*world)->scenario());
  (*world)->KeepOutcomeTrees(keep_trace);
  (*world)->SetOutcomeSink([&](const sim::CallOutcome& o) {
    if (!o.status.ok()) ++incomplete;
    if (!o.result.path().empty()) count(o.result);
    if (!keep_trace) checker.Add(o);
  });
  start = Clock::now();
  cpu = CpuSeconds();
  Status st = (*world)->Run();
  sim::ExpectationReport report =
      keep_trace ? sim::CheckExpectations((*world)->scenario(), (*world)->outcomes())
                 : checker.Finish();
  const double run_s = Since(start);
  const double run_cpu_s = CpuSeconds() - cpu;
  const double peak_run = PeakMiB();
  if (!st.ok()) {
    std::fprintf(stderr, "run: %s\n", st.ToString().c_str());
    return 2;
  }
  const bool ok = incomplete == 0 && report.failed == 0;
  std::printf(
      "ok=%d bytes=%zu calls=%zu hops=%zu allowed=%zu incomplete=%zu expect_passed=%d "
      "expect_failed=%d load_s=%.6f build_s=%.6f run_s=%.6f load_cpu_s=%.6f build_cpu_s=%.6f "
      "run_cpu_s=%.6f rss_loaded_mib=%.1f rss_built_mib=%.1f rss_run_mib=%.1f "
      "peak_loaded_mib=%.1f peak_built_mib=%.1f peak_run_mib=%.1f trace_records=%zu\n",
      ok ? 1 : 0, bytes, calls, hops, allowed, incomplete, report.passed, report.failed, load_s,
      build_s, run_s, load_cpu_s, build_cpu_s, run_cpu_s, rss_loaded, rss_built, ResidentMiB(),
      peak_loaded, peak_built, peak_run, (*world)->trace().size());
  return ok ? 0 : 1;
}

// "x1.00" growth of `now` over `before`, per the growth of the size.
std::string Growth(double before, double now, double size_ratio) {
  if (before <= 0 || size_ratio <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", (now / before) / size_ratio);
  return buf;
}

}  // namespace

int WriteScaleScenario(int size, const std::string& file) {
  std::ofstream out(file, std::ios::binary);
  out << ScaleScenarioJson(size);
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write the scenario\n", file.c_str());
    return 2;
  }
  return 0;
}

int ScaleChild(const std::string& mode, const std::string& file) {
  if (mode == "parse") return ParseChild(file);
  if (mode == "delegsim") return DelegsimChild(file, false);
  if (mode == "trace") return DelegsimChild(file, true);
  std::fprintf(stderr, "unknown scale child mode '%s'\n", mode.c_str());
  return 2;
}

int RunScale(const std::string& self, const std::vector<int>& sizes) {
  namespace fs = std::filesystem;
  std::string dir_template = (fs::temp_directory_path() / "delegsim-scale-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    std::fprintf(stderr, "cannot create a temporary directory\n");
    return 2;
  }
  const fs::path dir = dir_template;
  std::printf(
      "delegsim-bench --scale: scenarios of N hosts and N calls (cells of ten hosts and ten\n"
      "calls: unconstrained, constrained and resource-based delegation, protocol transition,\n"
      "cross-domain and cross-forest calls, NTLM to workgroup hosts, refusals). Each figure\n"
      "comes from a fresh process. \"parse\": nlohmann::json::parse of the file (the\n"
      "baseline); \"load\": parse + validate into a Scenario; \"build\": the World (directory,\n"
      "keys, topology, nodes); \"run\": every call in virtual time, each call's hop tree\n"
      "assembled, its expectations checked and the tree dropped, as delegsim check does; no\n"
      "trace kept. Times are CPU seconds of the measuring process\n"
      "(one thread: its wall time on an idle machine; \"wall\" is load+build+run by the\n"
      "clock). Peak = peak resident set size of the process; \"after load\" and \"after\n"
      "build\": its peak so far at the end of those phases (the rest of \"peak\" is the run's);\n"
      "\"run RSS\": the resident set size at the end of the run.\n"
      "\"trace KB/hop\": the same run keeping every trace record and so every call's hop tree\n"
      "(as run --show-trace), its extra peak memory per hop (up to 10,000 hosts). Goals: "
      "load+build+run <= 2x parse time; "
      "delegsim peak\n"
      "<= 1.5x parse peak; a kept trace <= 1 KB per hop.\n\n");
  double load_average[3] = {0, 0, 0};
  if (getloadavg(load_average, 3) == 3) {
    std::printf("load average at the start: %.2f %.2f %.2f\n\n", load_average[0], load_average[1],
                load_average[2]);
  }
  std::printf("%8s %8s %8s %9s | %8s %8s %8s %8s %6s %8s | %9s %11s %11s %9s %9s %6s | %12s | %s\n",
              "hosts", "hops", "MB", "parse s", "load s", "build s", "run s", "total s", "/parse",
              "wall s", "parse MB", "after load", "after build", "run RSS", "peak MB", "/parse",
              "trace KB/hop", "ok");
  struct Row {
    double size, parse_s, total_s, parse_peak, peak, load_s, build_s, run_s;
  };
  std::vector<Row> rows;
  bool all_ok = true;
  for (int size : sizes) {
    const fs::path file = dir / ("scale-" + std::to_string(size) + ".json");
    if (int rc = WriteScaleScenario(size, file.string()); rc != 0) return rc;
    Child parse = Spawn(self, "parse", file.string());
    Child run = Spawn(self, "delegsim", file.string());
    // A kept trace costs about ten times the rest of the run's memory: measured on the
    // smaller worlds only.
    const bool measure_trace = size <= kTraceMeasureMaxSize;
    Child traced = measure_trace ? Spawn(self, "trace", file.string()) : Child();
    fs::remove(file);
    const bool ok = parse.ok && run.ok && (traced.ok || !measure_trace);
    const double hops = run.Get("hops");
    const double trace_kib_per_hop =
        measure_trace && hops > 0 ? (traced.peak_mib - run.peak_mib) * 1024 / hops : 0;
    all_ok = all_ok && ok;
    Row r{run.Get("calls"),
          parse.Get("parse_cpu_s"),
          0,
          parse.peak_mib,
          run.peak_mib,
          run.Get("load_cpu_s"),
          run.Get("build_cpu_s"),
          run.Get("run_cpu_s")};
    r.total_s = r.load_s + r.build_s + r.run_s;
    const double wall_s = run.Get("load_s") + run.Get("build_s") + run.Get("run_s");
    rows.push_back(r);
    std::printf(
        "%8d %8.0f %8.1f %9.3f | %8.3f %8.3f %8.3f %8.3f %6.2f %8.3f | %9.1f %11.1f %11.1f %9.1f "
        "%9.1f %6.2f | %12.2f | %s\n",
        size, hops, parse.Get("bytes") / 1e6, r.parse_s, r.load_s, r.build_s, r.run_s, r.total_s,
        r.parse_s > 0 ? r.total_s / r.parse_s : 0, wall_s, r.parse_peak, run.Get("peak_loaded_mib"),
        run.Get("peak_built_mib"), run.Get("rss_run_mib"), r.peak,
        r.parse_peak > 0 ? r.peak / r.parse_peak : 0, trace_kib_per_hop, ok ? "ok" : "FAILED");
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  if (rows.size() > 1) {
    std::printf(
        "\ngrowth per step, divided by the growth of the size (1.00 = linear; above 1 grows "
        "faster):\n");
    std::printf("%8s %8s | %8s %8s %8s %8s | %9s %9s\n", "from", "to", "load", "build", "run",
                "total", "parse MB", "peak MB");
    for (size_t i = 1; i < rows.size(); ++i) {
      const Row& a = rows[i - 1];
      const Row& b = rows[i];
      double ratio = a.size > 0 ? b.size / a.size : 0;
      std::printf(
          "%8d %8d | %8s %8s %8s %8s | %9s %9s\n", sizes[i - 1], sizes[i],
          Growth(a.load_s, b.load_s, ratio).c_str(), Growth(a.build_s, b.build_s, ratio).c_str(),
          Growth(a.run_s, b.run_s, ratio).c_str(), Growth(a.total_s, b.total_s, ratio).c_str(),
          Growth(a.parse_peak, b.parse_peak, ratio).c_str(), Growth(a.peak, b.peak, ratio).c_str());
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace delegsim::bench
