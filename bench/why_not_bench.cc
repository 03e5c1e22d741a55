// delegsim-why-not-bench: the figures of issue 10's speed goals, printed, never asserted.
//
//   1. `why-not` on every denied hop of every scenario of the library (collateral
//      included, as the command runs by default): the time per question, the slowest
//      scenario, runs and answers.
//   2. `diff` of two generated directories (bench/directory_generator.h; default 10,000
//      users) that differ by a few AD changes (unconstrained delegation turned on for some
//      service accounts, sensitive flags cleared): the time to run both, reach over both
//      and compare, and the flows opened and closed.
//
//   delegsim-why-not-bench [--scenarios DIR] [--users 10000] [--hosts 2000] [--services 3000]
#include <sys/resource.h>

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

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

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
      double s = Seconds(t0);
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

int DiffDirectories(const DirectoryShape& shape, int max_hops) {
  auto t0 = std::chrono::steady_clock::now();
  sim::Scenario a = GenerateDirectory(shape);
  sim::Scenario b = a;
  // A few AD changes: unconstrained delegation on for three service accounts without
  // delegation settings, and the sensitive flag cleared on two users.
  int td = 0;
  int sensitive = 0;
  for (sim::AccountSpec& acc : b.accounts) {
    if (td < 3 && acc.kind == sim::AccountKind::kService && !acc.trusted_for_delegation &&
        acc.allowed_to_delegate_to.empty()) {
      acc.trusted_for_delegation = true;
      ++td;
    } else if (sensitive < 2 && acc.kind == sim::AccountKind::kUser && acc.not_delegated) {
      acc.not_delegated = false;
      ++sensitive;
    }
  }
  double generate = Seconds(t0);
  {
    // The parts, for where the time goes: reach over one directory, then the comparison.
    auto tb = std::chrono::steady_clock::now();
    StatusOr<std::unique_ptr<analysis::DirectoryFlows>> fa =
        analysis::DirectoryFlows::Build(a, max_hops);
    StatusOr<std::unique_ptr<analysis::DirectoryFlows>> fb =
        analysis::DirectoryFlows::Build(b, max_hops);
    double build = Seconds(tb);
    if (!fa.ok() || !fb.ok()) return 1;
    size_t flows = 0;
    for (analysis::ClassId c = 0; c < (*fa)->prober().classes().size(); ++c) {
      flows += (*fa)->ClassFlows(c).size();
    }
    auto tc = std::chrono::steady_clock::now();
    analysis::FlowDelta delta = analysis::CompareFlows(**fa, **fb);
    std::printf(
        "  parts: reach over both directories %.2f s (%zu classes, %zu representative flows "
        "before) | compare %.2f s\n",
        build, (*fa)->prober().classes().size(), flows, Seconds(tc));
  }
  auto t1 = std::chrono::steady_clock::now();
  analysis::DiffOptions options;
  options.max_hops = max_hops;
  StatusOr<analysis::DiffResult> d = analysis::DiffScenarios(a, b, options);
  double diff = Seconds(t1);
  if (!d.ok()) {
    std::fprintf(stderr, "diff failed: %s\n", d.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "diff of two generated directories: %d users %d hosts %d services, reach up to %d hops | "
      "generate %.2f s | "
      "diff %.2f s | %zu flows opened, %zu closed | peak %ld MB\n",
      shape.users, shape.hosts, shape.services, max_hops, generate, diff, d->opened.size(),
      d->closed.size(), PeakRssMb());
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
  int max_hops = 4;
  app.add_option("--scenarios", scenarios, "The scenario library folder");
  app.add_option("--users", shape.users, "users per generated directory")
      ->check(CLI::PositiveNumber);
  app.add_option("--hosts", shape.hosts, "hosts per directory")->check(CLI::PositiveNumber);
  app.add_option("--services", shape.services, "services per directory")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-hops", max_hops, "longest chain reach follows in the diff (default 4)")
      ->check(CLI::Range(1, 16));
  app.add_flag("--no-library", skip_library, "Skip the why-not figures");
  app.add_flag("--no-diff", skip_diff, "Skip the diff figures");
  CLI11_PARSE(app, argc, argv);
  if (!skip_library) {
    if (int rc = delegsim::bench::WhyNotLibrary(scenarios); rc != 0) return rc;
  }
  if (!skip_diff) return delegsim::bench::DiffDirectories(shape, max_hops);
  return 0;
}
