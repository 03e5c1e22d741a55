// Scenario loader: reads a scenario file (JSON, docs/scenario-format.md) into a
// sim::Scenario, or reports every problem it finds, each with its JSON path and line.
//
//   LoadResult r = LoadScenarioFile("scenarios/double-hop.json");
//   if (!r.ok()) for (const Problem& p : r.problems) std::cerr << p.ToString() << "\n";
//
// The loader checks syntax, types, field names, enum values, names that refer to
// nothing, duplicate names and SPNs, and combinations no real deployment allows (an
// ncalrpc call across hosts, Kerberos from or to a workgroup host, ...). A scenario it
// accepts builds into a World without name-resolution failures. It never throws, and it
// is the only part of the project that includes <nlohmann/json.hpp>.
#ifndef DELEGSIM_SIM_LOADER_H_
#define DELEGSIM_SIM_LOADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario.h"

namespace delegsim::sim {

// Limits on what the loader reads.
inline constexpr size_t kMaxScenarioBytes = 8u << 20;  // 8 MiB
// Operations nest (`then`, `create_process`, `logon_user`) at most this deep. Each level
// adds two protobuf messages (Operation, CallSpec); 32 keeps a serialized call well under
// protobuf's default recursion limit of 100.
inline constexpr int kMaxOperationDepth = 32;
// JSON arrays and objects nest at most this deep (a guard for hostile input).
inline constexpr int kMaxJsonDepth = 256;
// The scenario clock moves at most 100 years (36,500 days) in all: each `advance_clock`
// step and their sum. Keeps every sum of simulated times far from int64 overflow.
inline constexpr int64_t kMaxClockAdvanceMs = int64_t{36'500} * 86'400'000;

// One thing wrong with a scenario file.
struct Problem {
  std::string file;     // as given to the loader
  int line = 0;         // 1-based; 0 when the problem concerns the whole file
  std::string path;     // JSON path of the offending value, "$.hosts[2].domain"; may be empty
  std::string message;  // "unknown domain 'CORPX' (did you mean 'CORP.EXAMPLE'?)"

  // "file:12: $.hosts[2].domain: unknown domain 'CORPX' (did you mean 'CORP.EXAMPLE'?)";
  // the line and path parts are left out when unknown.
  std::string ToString() const;
};

// Either a scenario (and no problems) or the problems (and no scenario). Problems are
// ordered by line, then in the order they were found.
struct LoadResult {
  std::optional<Scenario> scenario;
  std::vector<Problem> problems;

  bool ok() const { return scenario.has_value() && problems.empty(); }
};

// Parses and validates `text`. `file_name` only labels the problems.
LoadResult LoadScenarioText(std::string_view text, std::string file_name);
// Reads the file at `path` and loads it; a file that cannot be read, or that is larger
// than kMaxScenarioBytes, gives one problem.
LoadResult LoadScenarioFile(const std::string& path);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_LOADER_H_
