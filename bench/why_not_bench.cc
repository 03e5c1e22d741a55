// delegsim-why-not-bench: the figures of issue 10's speed goals, printed, never asserted.
//
//   1. `why-not` on every denied hop of every scenario of the library (collateral
//      included, as the command runs by default): the time per question, the slowest
//      scenario, runs and answers.
//   2. `diff` of two generated directories (bench/directory_generator.h; default 10,000
//      users) that differ by a few AD changes (unconstrained delegation turned on for some
//      service accounts, sensitive flags cleared): the time to run both, reach over both
//      and compare, and the flows opened and closed; reach over the second directory both
//      incrementally (as `diff` runs it) and in full, in the same run, with their ratio.
//
//   delegsim-why-not-bench [--scenarios DIR] [--users 10000] [--hosts 2000] [--services 3000]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/diff.h"
#include "analysis/why_not.h"
#include "bench/directory_generator.h"
#include "sim/loader.h"
#include "sim/results.h"

namespace delegsim::bench {
namespace {

int WhyNotLibrary(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  double slowest = 0;
  std::string slowest_at;
  double total = 0;
  size_t questions = 0;
  size_t answered = 0;
  size_t bounded = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    sim::LoadResult r = sim::LoadScenarioText(text.str(), f.string());
    if (!r.ok()) continue;
    StatusOr<analysis::ScenarioRun> run = analysis::RunScenario(*r.scenario);
    if (!run.ok()) continue;
    double worst = 0;
    std::string worst_path;
    size_t runs = 0;
    for (const v1::HopResult* h : sim::AllHops(run->world->outcomes())) {
      if (h->verdict() == "allowed") continue;
      analysis::WhyNotGoal goal;
      goal.path = h->path();
      auto t0 = std::chrono::steady_clock::now();
      StatusOr<analysis::WhyNotAnswer> a =
          analysis::WhyNot(text.str(), f.string(), goal, analysis::WhyNotOptions{});
      double s = SecondsSince(t0);
      if (!a.ok()) continue;
      ++questions;
      total += s;
      answered += a->answers.empty() ? 0 : 1;
      bounded += a->bound.empty() ? 0 : 1;
      runs += a->runs;
      if (s > worst) {
        worst = s;
        worst_path = goal.path;
      }
    }
    if (worst_path.empty()) continue;
    std::printf("  %-58s slowest %-36s %6.3f s  (%zu runs)\n", f.stem().c_str(), worst_path.c_str(),
                worst, runs);
    if (worst > slowest) {
      slowest = worst;
      slowest_at = f.stem().string() + " " + worst_path;
    }
  }
  std::printf(
      "why-not over the library: %zu denied hops asked, %zu answered, %zu stopped by a bound; "
      "mean %.3f s, slowest %.3f s (%s)\n",
      questions, answered, bounded, questions ? total / questions : 0.0, slowest,
      slowest_at.c_str());
  return 0;
}

// True when both directories' flows agree, class by class and flow by flow.
bool SameFlows(analysis::DirectoryFlows& x, analysis::DirectoryFlows& y) {
  if (x.prober().classes().size() != y.prober().classes().size()) return false;
  for (analysis::ClassId c = 0; c < x.prober().classes().size(); ++c) {
    const std::vector<analysis::Flow>& fx = x.ClassFlows(c);
    const std::vector<analysis::Flow>& fy = y.ClassFlows(c);
    if (fx.size() != fy.size()) return false;
    for (size_t i = 0; i < fx.size(); ++i) {
      if (fx[i].identity != fy[i].identity || fx[i].service != fy[i].service ||
          fx[i].level != fy[i].level || fx[i].net_creds != fy[i].net_creds ||
          fx[i].mechanism != fy[i].mechanism || fx[i].rules != fy[i].rules ||
          fx[i].chain != fy[i].chain) {
        return false;
      }
    }
  }
  return true;
}

int DiffDirectories(const DirectoryShape& shape, int max_hops, bool full_too) {
  auto t0 = std::chrono::steady_clock::now();
  sim::Scenario a = GenerateDirectory(shape);
  sim::Scenario b = a;
  ApplyAdChanges(&b);
  double generate = SecondsSince(t0);
  {
    // The parts, for where the time goes: reach over the first directory, reach over the
    // second re-simulating only the chains the changes affect (as `diff` does) and, for
    // the figure before this, simulating every chain again; then the comparison.
    auto ta = std::chrono::steady_clock::now();
    double cpu = CpuSeconds();
    StatusOr<std::unique_ptr<analysis::DirectoryFlows>> fa =
        analysis::DirectoryFlows::Build(a, max_hops);
    double build_a = SecondsSince(ta);
    double cpu_a = CpuSeconds() - cpu;
    if (!fa.ok()) return 1;
    auto tb = std::chrono::steady_clock::now();
    cpu = CpuSeconds();
    StatusOr<std::unique_ptr<analysis::DirectoryFlows>> fb =
        analysis::DirectoryFlows::Build(b, max_hops, fa->get());
    double build_b = SecondsSince(tb);
    double cpu_b = CpuSeconds() - cpu;
    if (!fb.ok()) return 1;
    size_t flows = 0;
    for (analysis::ClassId c = 0; c < (*fa)->prober().classes().size(); ++c) {
      flows += (*fa)->ClassFlows(c).size();
    }
    std::printf(
        "  reach over the first directory: %.2f s, cpu %.2f s (%zu classes, %zu representative "
        "flows, %llu chains simulated)\n",
        build_a, cpu_a, (*fa)->prober().classes().size(), flows,
        static_cast<unsigned long long>((*fa)->prober().chains_simulated()));
    std::printf(
        "  reach over the second, incremental: %.2f s, cpu %.2f s (%zu answers taken from the "
        "first, %llu chains simulated)\n",
        build_b, cpu_b, (*fb)->adopted(),
        static_cast<unsigned long long>((*fb)->prober().chains_simulated()));
    if (full_too) {
      auto tf = std::chrono::steady_clock::now();
      cpu = CpuSeconds();
      StatusOr<std::unique_ptr<analysis::DirectoryFlows>> ff =
          analysis::DirectoryFlows::Build(b, max_hops);
      double build_f = SecondsSince(tf);
      double cpu_f = CpuSeconds() - cpu;
      if (!ff.ok()) return 1;
      std::printf(
          "  reach over the second, every chain simulated again: %.2f s, cpu %.2f s (%llu "
          "chains) | incremental / full: wall %.3f, cpu %.3f | same flows: %s\n",
          build_f, cpu_f, static_cast<unsigned long long>((*ff)->prober().chains_simulated()),
          build_b / build_f, cpu_b / cpu_f, SameFlows(**fb, **ff) ? "yes" : "NO");
    }
    auto tc = std::chrono::steady_clock::now();
    cpu = CpuSeconds();
    analysis::FlowDelta delta = analysis::CompareFlows(**fa, **fb);
    std::printf("  compare %.2f s, cpu %.2f s (%zu opened, %zu closed)\n", SecondsSince(tc),
                CpuSeconds() - cpu, delta.opened.size(), delta.closed.size());
  }
  auto t1 = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();
  analysis::DiffOptions options;
  options.max_hops = max_hops;
  StatusOr<analysis::DiffResult> d = analysis::DiffScenarios(a, b, options);
  double diff = SecondsSince(t1);
  double diff_cpu = CpuSeconds() - cpu;
  if (!d.ok()) {
    std::fprintf(stderr, "diff failed: %s\n", d.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "diff of two generated directories: %d users %d hosts %d services, reach up to %d hops | "
      "generate %.2f s | "
      "diff %.2f s, cpu %.2f s (goal 20 s at 10,000 users) | %zu flows opened, %zu closed | "
      "peak %ld MB\n",
      shape.users, shape.hosts, shape.services, max_hops, generate, diff, diff_cpu,
      d->opened.size(), d->closed.size(), PeakRssMb());
  std::vector<std::string> lines = analysis::SummarizeFlows(d->opened);
  for (size_t i = 0; i < lines.size() && i < 5; ++i)
    std::printf("  opened: %s\n", lines[i].c_str());
  if (lines.size() > 5) std::printf("  opened: ... (%zu groups in all)\n", lines.size());
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace delegsim::bench

int main(int argc, char** argv) {
  CLI::App app{"delegsim-why-not-bench: why-not over the library, diff of generated directories"};
  std::string scenarios = "scenarios";
  delegsim::bench::DirectoryShape shape;
  bool skip_library = false;
  bool skip_diff = false;
  bool full_too = true;
  int max_hops = 4;
  app.add_option("--scenarios", scenarios, "The scenario library folder");
  app.add_option("--users", shape.users, "users per generated directory")
      ->check(CLI::PositiveNumber);
  delegsim::bench::AddShapeOptions(app, &shape);
  app.add_option("--max-hops", max_hops, "longest chain reach follows in the diff (default 4)")
      ->check(CLI::Range(1, 16));
  app.add_flag("--no-library", skip_library, "Skip the why-not figures");
  app.add_flag("--no-diff", skip_diff, "Skip the diff figures");
  app.add_flag("!--no-full", full_too,
               "Skip reach over the second directory with every chain simulated again (the "
               "figure the incremental reach is compared with)");
  CLI11_PARSE(app, argc, argv);
  if (!skip_library) {
    if (int rc = delegsim::bench::WhyNotLibrary(scenarios); rc != 0) return rc;
  }
  if (!skip_diff) return delegsim::bench::DiffDirectories(shape, max_hops, full_too);
  return 0;
}
