// Where a kept trace's memory goes, per hop: delegsim-bench --trace-breakdown FILE runs
// the scenario in virtual time keeping every trace record (as `run --show-trace`) and
// prints the bytes per hop of each part the kept trace holds (nodes::TraceLog: its entries,
// string pool with its index, payload index, packed decisions with their strings, issued
// tickets; the tokens, envelopes and hop results it alone keeps, each counted once), and
// the records per hop of each kind.
// Hop results shared with the call trees of the outcomes are not the trace's and are
// not counted. An estimate from object sizes and capacities (allocator overhead not
// counted); the scaling mode (bench/scale.h) measures the whole, as resident memory.
#ifndef DELEGSIM_BENCH_TRACE_BREAKDOWN_H_
#define DELEGSIM_BENCH_TRACE_BREAKDOWN_H_

#include <string>

namespace delegsim::bench {

// Returns the process exit status: 0 when the scenario loaded and ran.
int PrintTraceBreakdown(const std::string& file);

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_TRACE_BREAKDOWN_H_
