// Checks of invariants and expectations against the calls the steps make.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/rules.h"
#include "common/text.h"
#include "nodes/topology.h"
#include "sim/json_path.h"
#include "sim/loader_checker.h"

namespace delegsim::sim::loader_internal {

void Checker::CheckInvariants() {
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < s_.invariants.size(); ++i) {
    const InvariantSpec& inv = s_.invariants[i];
    const std::string& path = src_.invariants[i];
    auto [it, fresh] = seen.emplace(Lower(inv.name), path);
    if (!fresh) {
      Report(Member(path, "name"),
             "duplicate invariant '" + inv.name + "'" + FirstAt(Member(it->second, "name")));
    }
    auto list = [&](std::string_view kind, std::string_view field, size_t j) {
      return Index(Member(Member(path, kind), field), j);
    };
    auto service = [&](const std::string& name, const std::string& at) {
      if (service_index_.count(name)) return;
      Report(at, "unknown service '" + name + "'" + Suggest(name, [&] {
                   std::vector<Candidate> cands;
                   for (const ServiceSpec& svc : s_.services) cands.push_back({svc.name, svc.name});
                   return cands;
                 }));
    };
    switch (inv.kind) {
      case InvariantSpec::Kind::kNoReach:
        for (size_t j = 0; j < inv.identities.size(); ++j) {
          ResolvePrincipal(inv.identities[j], list("no_reach", "identities", j), Want::kAny);
        }
        for (size_t j = 0; j < inv.targets.size(); ++j) {
          const std::string& t = inv.targets[j];
          std::string at = list("no_reach", "targets", j);
          if (t.rfind("host:", 0) == 0) {
            ResolveHost(t.substr(5), at);
          } else if (t.rfind("service:", 0) == 0) {
            service(t.substr(8), at);
          } else {
            ResolvePrincipal(t, at, Want::kGroup);
          }
        }
        break;
      case InvariantSpec::Kind::kOnlyHolders:
        for (size_t j = 0; j < inv.holders.size(); ++j) {
          ResolvePrincipal(inv.holders[j], list("only_holders", "accounts", j), Want::kAny);
        }
        break;
      case InvariantSpec::Kind::kOnlyThrough:
        service(inv.service, Member(Member(path, "only_through"), "service"));
        for (size_t j = 0; j < inv.via.size(); ++j) {
          service(inv.via[j], list("only_through", "via", j));
        }
        break;
    }
  }
}

void Checker::CheckExpectations() {
  auto steps = [&] {
    std::vector<Candidate> cands;
    for (const std::string& n : step_names_) cands.push_back({n, n});
    return cands;
  };
  for (size_t i = 0; i < s_.expectations.size(); ++i) {
    const Expectation& e = s_.expectations[i];
    if (e.path.empty()) continue;
    const LazyPath at(src_.expectations[i], "path");
    std::vector<std::string> segs;
    for (size_t start = 0;;) {
      size_t slash = e.path.find('/', start);
      segs.push_back(e.path.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!step_names_.count(segs[0])) {
      Report(at, "unknown step '" + segs[0] + "'" + Suggest(segs[0], steps) +
                     "; a path starts with a step name, as in 'c1/web'");
      continue;
    }
    if (segs.size() == 1) {
      auto it = src_.callees.find(segs[0]);
      std::string eg = it != src_.callees.end() && !it->second.empty()
                           ? segs[0] + "/" + it->second.front()
                           : segs[0] + "/<service>";
      Report(at, "'" + e.path + "' names a step, not a hop; the step's first hop is '" + eg + "'");
      continue;
    }
    std::string prefix = segs[0];
    for (size_t k = 1; k < segs.size(); ++k) {
      // The runtime tells repeated calls from one hop apart as "db", "db#2", ...
      std::string label = segs[k].substr(0, segs[k].find('#'));
      std::string next = prefix + "/" + label;
      if (!src_.hops.count(next)) {
        std::string dym = Suggest(label, [&] {
          std::vector<Candidate> cands;
          if (auto it = src_.callees.find(prefix); it != src_.callees.end()) {
            for (const std::string& c : it->second) cands.push_back({c, c});
          }
          return cands;
        });
        Report(at, "no call '" + segs[k] + "' from '" + prefix + "'" + dym);
        break;
      }
      prefix = next;
    }
  }
}

}  // namespace delegsim::sim::loader_internal
