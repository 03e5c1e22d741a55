// The benchmark scenario: one user and an N-hop chain of services, each on its own host
// and trusted for delegation, each calling the next at delegate level, repeated.
#ifndef DELEGSIM_BENCH_CHAIN_H_
#define DELEGSIM_BENCH_CHAIN_H_

#include "sim/scenario.h"

namespace delegsim::bench {

// `hops` services s1..sN on hosts h1..hN; `calls` repetitions of the whole chain.
sim::Scenario ChainScenario(int hops, int calls);

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_CHAIN_H_
