// The scaling benchmark's scenario: a world of `size` hosts and `size` calls, written as
// the JSON text a user would write, so loading it measures the real loader.
//
// The world is made of cells of ten hosts and ten calls each, every cell alike but for
// its names: a workstation, a workgroup host with a local account and service, and eight
// servers across three domains (CORP.EXAMPLE and EMEA.CORP.EXAMPLE in one forest,
// PARTNER.EXAMPLE in another, joined by a forest trust). Its calls exercise unconstrained,
// constrained and resource-based delegation, protocol transition, a sensitive user,
// cross-domain and cross-forest calls, NTLM to a workgroup host and a call refused at the
// caller (IL-3), so every part of the loader, the directory and the KDC is on the path.
//
//   std::string json = ScaleScenarioJson(10'000);   // 1,000 cells, about 4.4 MB
#ifndef DELEGSIM_BENCH_SCALE_SCENARIO_H_
#define DELEGSIM_BENCH_SCALE_SCENARIO_H_

#include <string>

namespace delegsim::bench {

// Hosts (besides one domain controller per domain) and calls per cell.
inline constexpr int kScaleCellSize = 10;

// A scenario with `size` hosts and `size` calls (rounded up to whole cells of ten), and
// one expectation per cell. Deterministic: the same size gives the same bytes.
std::string ScaleScenarioJson(int size);

}  // namespace delegsim::bench

#endif  // DELEGSIM_BENCH_SCALE_SCENARIO_H_
