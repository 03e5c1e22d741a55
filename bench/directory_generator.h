// A generator of directories of realistic shape for the analysis benchmarks: two forests
// with a forest trust, users in department groups, hosts each running services under
// their own service accounts, and the delegation settings in the proportions the issue
// names (about 5% unconstrained, 5% constrained of which half with protocol transition,
// 2% RBCD targets, 3% sensitive users, 1% Protected Users). Deterministic for a seed.
// Also what the benchmarks over such directories share: their shape options, a few AD
// changes to compare a directory with, and the clock and memory figures they print.
//
//   DirectoryShape shape;
//   AddShapeOptions(app, &shape);            // --hosts, --services, --seed
//   sim::Scenario before = GenerateDirectory(shape);
//   sim::Scenario after = before;
//   ApplyAdChanges(&after);
#ifndef DELEGSIM_BENCH_DIRECTORY_GENERATOR_H_
#define DELEGSIM_BENCH_DIRECTORY_GENERATOR_H_

#include <chrono>
#include <cstdint>

#include "sim/scenario.h"

namespace CLI {
class App;
}

namespace delegsim::bench {

struct DirectoryShape {
  int users = 10'000;
  int hosts = 2'000;
  int services = 3'000;
  uint64_t seed = 1;
};

sim::Scenario GenerateDirectory(const DirectoryShape& shape);

// --hosts, --services and --seed, into `shape` (each benchmark names its own --users).
void AddShapeOptions(CLI::App& app, DirectoryShape* shape);

// A few AD changes of the kind `delegsim diff` guards: unconstrained delegation turned on
// for the first `unconstrained` service accounts without delegation settings, and the
// sensitive flag cleared on the first `sensitive` sensitive users.
void ApplyAdChanges(sim::Scenario* s, int unconstrained = 3, int sensitive = 2);

// Seconds since `since`, on the steady clock.
double SecondsSince(std::chrono::steady_clock::time_point since);
// The CPU time this process has used so far (user + system), in seconds: on a shared
// machine, beside the wall-clock time, what the work itself cost.
double CpuSeconds();
// This process's peak resident set size, in MB.
long PeakRssMb();

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_DIRECTORY_GENERATOR_H_
