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

#include "nodes/envelope.h"
#include "sim/scenario.h"

namespace delegsim::sim {

// Limits on what the loader reads.
// Default bound on a scenario file's size: a guard against reading the wrong file, large
// enough for a world of 100,000 hosts and calls (about 44 MB). Callers may pass another
// bound (`delegsim --max-file-size`).
inline constexpr size_t kMaxScenarioBytes = size_t{64} << 20;  // 64 MiB
// Operations nest (`then`, `create_process`, `logon_user`) at most this deep: room for a
// chain of nodes::kMaxChainHops hops (the largest `hop_limit`), and every call nested this
// deep decodes on the wire (nodes/envelope.h says how the limits agree).
inline constexpr int kMaxOperationDepth = nodes::kMaxOperationDepth;
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

// Parses and validates `text`. `file_name` only labels the problems. Text longer than
// `max_bytes` gives one problem, naming the limit and the option that raises it.
LoadResult LoadScenarioText(std::string_view text, std::string file_name,
                            size_t max_bytes = kMaxScenarioBytes);
// Reads the file at `path` and loads it; a file that cannot be read, or that is larger
// than `max_bytes`, gives one problem.
LoadResult LoadScenarioFile(const std::string& path, size_t max_bytes = kMaxScenarioBytes);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_LOADER_H_
