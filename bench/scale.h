// The scaling mode of delegsim-bench: how load, build and run time and peak memory grow
// with the size of the world, beside nlohmann/json merely parsing the same file.
//
// For each size the parent writes the scenario (bench/scale_scenario.h) to a temporary
// file and measures it in fresh child processes (this executable again, in a hidden
// child mode), so that each peak resident set size belongs to one measurement alone:
//   - "parse": read the file, nlohmann::json::parse it (the baseline);
//   - "delegsim": read the file, load it (parse + validate, sim/loader.h), build the
//     World, run every call in virtual time and check the expectations, as
//     `delegsim check` does.
// The parent reads each child's peak RSS and CPU time from wait4(2).
//
//   delegsim-bench --scale 1000,10000,100000
#ifndef DELEGSIM_BENCH_SCALE_H_
#define DELEGSIM_BENCH_SCALE_H_

#include <string>
#include <vector>

namespace delegsim::bench {

// Prints the scaling table for `sizes` (hosts = calls). `self` is the path of this
// executable, re-run for each measurement. Returns the process exit status: 0 when
// every run completed and every expectation held.
int RunScale(const std::string& self, const std::vector<int>& sizes);

// The child side: measures `mode` ("parse" or "delegsim") on `file` and prints one line
// of `key=value` figures to stdout. Returns the exit status.
int ScaleChild(const std::string& mode, const std::string& file);

// Writes the scenario of `size` hosts and calls to `file`. Returns the exit status.
int WriteScaleScenario(int size, const std::string& file);

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_SCALE_H_
