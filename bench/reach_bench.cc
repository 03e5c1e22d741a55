// delegsim-reach-bench: `delegsim reach --blast-radius` over generated directories of
// realistic shape (bench/directory_generator.h), at growing sizes. Prints build and
// analysis time, chains simulated per second, flows found per second (hop verdicts
// carried to every member of an identity class), exposures and peak memory. Figures only.
//
//   delegsim-reach-bench [--users 1000,10000,100000] [--hosts 2000] [--services 3000]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "analysis/prober.h"
#include "analysis/reach.h"
#include "bench/directory_generator.h"

namespace delegsim::bench {
namespace {

int Run(const DirectoryShape& shape) {
  auto t0 = std::chrono::steady_clock::now();
  sim::Scenario s = GenerateDirectory(shape);
  analysis::Prober prober(s);
  if (!prober.status().ok()) {
    std::fprintf(stderr, "build failed: %s\n", prober.status().ToString().c_str());
    return 1;
  }
  double build = SecondsSince(t0);
  auto t1 = std::chrono::steady_clock::now();
  analysis::ReachOptions options;
  options.onward = false;
  options.coerce_everyone = true;
  options.expand_classes = false;
  analysis::Reach reach(prober, options);
  size_t exposures = 0;
  size_t identity_decisions = 0;  // hop verdicts carried to every member of a class
  std::vector<kdc::PrincipalId> holders = reach.KeyHolders();
  for (kdc::PrincipalId x : holders) {
    StatusOr<std::vector<analysis::Flow>> flows = reach.ForCompromised({x});
    if (!flows.ok()) {
      std::fprintf(stderr, "analysis failed: %s\n", flows.status().ToString().c_str());
      return 1;
    }
    std::vector<bool> exposed(prober.directory().principal_count() + 1, false);
    for (const analysis::Flow& f : *flows) {
      reach.ForEachMember(f, [&](kdc::PrincipalId m, const analysis::Flow&) {
        exposed[m] = true;
        ++identity_decisions;
      });
    }
    exposures += static_cast<size_t>(std::count(exposed.begin(), exposed.end(), true));
  }
  double analysis = SecondsSince(t1);
  std::printf(
      "%8d users %6d hosts %6d services | classes %5zu | key holders %6zu | build %7.2f s | "
      "blast radius %7.2f s | chains simulated %8llu (asked %8llu, %6.0f /s) | "
      "flows found %9zu (%10.0f /s) | exposures %9zu | peak %6ld MB\n",
      shape.users, shape.hosts, shape.services, prober.classes().size(), holders.size(), build,
      analysis, static_cast<unsigned long long>(prober.chains_simulated()),
      static_cast<unsigned long long>(prober.chains_answered()),
      prober.chains_simulated() / analysis, identity_decisions, identity_decisions / analysis,
      exposures, PeakRssMb());
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace delegsim::bench

int main(int argc, char** argv) {
  CLI::App app{"delegsim-reach-bench: blast radius over generated directories"};
  std::vector<int> users = {1'000, 10'000, 100'000};
  delegsim::bench::DirectoryShape shape;
  app.add_option("--users", users, "directory sizes in users (comma-separated)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  delegsim::bench::AddShapeOptions(app, &shape);
  CLI11_PARSE(app, argc, argv);
  for (int n : users) {
    shape.users = n;
    if (int rc = delegsim::bench::Run(shape); rc != 0) return rc;
  }
  return 0;
}
