// Where a kept trace's memory goes, per hop: delegsim-bench --trace-breakdown FILE runs
// the scenario in virtual time keeping every trace record (as `run --show-trace`) and
// prints the bytes per hop of each part of the records (the record itself, its strings,
// decision, hop result, ticket and token), and the records per hop of each kind. An
// estimate from object sizes and string capacities (allocator overhead not counted); the
// scaling mode (bench/scale.h) measures the whole, as resident memory.
#ifndef DELEGSIM_BENCH_TRACE_BREAKDOWN_H_
#define DELEGSIM_BENCH_TRACE_BREAKDOWN_H_

#include <string>

namespace delegsim::bench {

// Returns the process exit status: 0 when the scenario loaded and ran.
int PrintTraceBreakdown(const std::string& file);

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_TRACE_BREAKDOWN_H_
