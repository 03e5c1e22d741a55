// A generator of directories of realistic shape for the analysis benchmarks: two forests
// with a forest trust, users in department groups, hosts each running services under
// their own service accounts, and the delegation settings in the proportions the issue
// names (about 5% unconstrained, 5% constrained of which half with protocol transition,
// 2% RBCD targets, 3% sensitive users, 1% Protected Users). Deterministic for a seed.
#ifndef DELEGSIM_BENCH_DIRECTORY_GENERATOR_H_
#define DELEGSIM_BENCH_DIRECTORY_GENERATOR_H_

#include <cstdint>

#include "sim/scenario.h"

namespace delegsim::bench {

struct DirectoryShape {
  int users = 10'000;
  int hosts = 2'000;
  int services = 3'000;
  uint64_t seed = 1;
};

sim::Scenario GenerateDirectory(const DirectoryShape& shape);

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_DIRECTORY_GENERATOR_H_
