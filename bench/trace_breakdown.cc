#include "bench/trace_breakdown.h"

#include <cstdio>
#include <map>
#include <memory>

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

size_t DecisionBytes(const Decision& d) {
  size_t bytes = sizeof(Decision) + HeapBytes(d.error()) + HeapBytes(d.status());
  for (const Check& c : d.checks()) {
    bytes += sizeof(Check) + HeapBytes(c.what);
    for (const Fact& f : c.facts) bytes += sizeof(Fact) + f.HeapBytes();
  }
  for (const Cause& c : d.causes()) {
    bytes += sizeof(Cause) + c.fact.HeapBytes();
  }
  return bytes;
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
  std::map<std::string, size_t> bytes;
  std::map<std::string, size_t> records;
  for (const nodes::TraceRecord& r : (*world)->trace()) {
    ++records[std::string(nodes::TraceKindName(r.kind))];
    bytes["record"] += sizeof(nodes::TraceRecord);
    bytes["strings (node, path, summary)"] +=
        HeapBytes(r.node) + HeapBytes(r.path) + HeapBytes(r.summary);
    if (r.decision) bytes["decision"] += kSharedPtr + DecisionBytes(*r.decision);
    if (r.hop) bytes["hop result"] += kSharedPtr + r.hop->SpaceUsedLong();
    if (r.ticket) bytes["ticket"] += kSharedPtr + r.ticket->SpaceUsedLong();
    if (r.token) {
      bytes["token"] +=
          kSharedPtr + sizeof(nodes::TokenView) + r.token->groups.capacity() * sizeof(uint32_t);
    }
    if (r.message) bytes["message"] += kSharedPtr + r.message->SpaceUsedLong();
  }
  size_t total = 0;
  for (const auto& [part, n] : bytes) total += n;
  std::printf(
      "%s: %zu hops, %zu trace records (%.1f per hop), about %.0f bytes per hop "
      "(goal 1,000)\n",
      file.c_str(), hops, (*world)->trace().size(),
      static_cast<double>((*world)->trace().size()) / hops, static_cast<double>(total) / hops);
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
