#include "bench/trace_breakdown.h"

#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "nodes/trace_log.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::bench {
namespace {

// Heap bytes of a string (none while it fits the small-string buffer).
size_t HeapBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

}  // namespace

int PrintTraceBreakdown(const std::string& file) {
  sim::LoadResult loaded = sim::LoadScenarioFile(file, sim::kMaxScenarioBytes * 16);
  if (!loaded.ok()) {
    for (const sim::Problem& p : loaded.problems)
      std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return 2;
  }
  StatusOr<std::unique_ptr<sim::World>> world =
      sim::World::Build(std::move(*loaded.scenario), std::make_unique<sim::VirtualRuntime>());
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 2;
  }
  if (Status st = (*world)->Run(); !st.ok()) {
    std::fprintf(stderr, "did not complete: %s\n", st.ToString().c_str());
    return 2;
  }
  const size_t hops = sim::AllHops((*world)->outcomes()).size();
  if (hops == 0) {
    std::fprintf(stderr, "%s: no hop\n", file.c_str());
    return 2;
  }
  constexpr size_t kSharedPtr = 16;  // the control block of each shared part, about
  const nodes::TraceLog& trace = (*world)->trace();
  std::map<std::string, size_t> bytes;
  std::map<std::string, size_t> records;
  const nodes::TraceLog::Memory log = trace.MemoryBytes();
  bytes["entries (kind, ids, time, seq)"] = log.entries;
  bytes["string pool (node, path, summary)"] = log.strings;
  bytes["payload tables (index, pointer)"] = log.payloads;
  bytes["tickets (serialized)"] = log.tickets;
  bytes["decisions (packed, with their strings)"] = log.decisions;
  // Each payload object once, however many records share it.
  std::set<const void*> seen;
  auto first = [&seen](const void* p) { return p != nullptr && seen.insert(p).second; };
  for (size_t i = 0; i < trace.size(); ++i) {
    nodes::TraceView r = trace[i];
    ++records[std::string(nodes::TraceKindName(r.kind()))];
    // A hop shared with its call's tree is the tree's (outcomes), not the trace's.
    if (trace.OwnsHop(i) && first(r.hop())) {
      bytes["hop result (not in a call tree)"] += kSharedPtr + r.hop()->SpaceUsedLong();
    }
    if (first(r.token())) {
      const nodes::TokenView& t = *r.token();
      bytes["token"] += kSharedPtr + sizeof(nodes::TokenView) +
                        t.groups.capacity() * sizeof(uint32_t) +
                        t.privileges.capacity() * sizeof(std::string) + HeapBytes(t.level) +
                        HeapBytes(t.net_creds) + HeapBytes(t.net_creds_rule) + HeapBytes(t.host);
      for (const std::string& p : t.privileges) bytes["token"] += HeapBytes(p);
    }
    if (first(r.message())) bytes["message"] += kSharedPtr + r.message()->SpaceUsedLong();
  }
  size_t total = 0;
  for (const auto& [part, n] : bytes) total += n;
  std::printf(
      "%s: %zu hops, %zu trace records (%.1f per hop, %.1f distinct strings per hop), about "
      "%.0f bytes per hop (goal 1,000)\n",
      file.c_str(), hops, trace.size(), static_cast<double>(trace.size()) / hops,
      static_cast<double>(trace.distinct_strings()) / hops, static_cast<double>(total) / hops);
  for (const auto& [part, n] : bytes) {
    std::printf("  %-30s %7.0f bytes/hop  %4.1f%%\n", part.c_str(), static_cast<double>(n) / hops,
                100.0 * n / total);
  }
  std::printf("records per hop:\n");
  for (const auto& [kind, n] : records) {
    std::printf("  %-30s %7.1f\n", kind.c_str(), static_cast<double>(n) / hops);
  }
  return 0;
}

}  // namespace delegsim::bench
