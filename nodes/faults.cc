#include "nodes/faults.h"

#include <algorithm>
#include <functional>

#include "common/saturating.h"

namespace delegsim::nodes {
namespace {

template <typename T, typename U>
bool In(const std::vector<T>& sorted, const U& x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

// An empty list matches every host.
bool Matches(const std::vector<std::string>& sorted, std::string_view host) {
  return sorted.empty() || std::binary_search(sorted.begin(), sorted.end(), host, std::less<>());
}

template <typename T>
void SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

void FaultPlan::Add(Fault fault) {
  SortUnique(fault.hosts);
  SortUnique(fault.kdcs);
  SortUnique(fault.from);
  SortUnique(fault.to);
  faults_.push_back(std::move(fault));
}

LinkEffect FaultPlan::Effect(Endpoint from, Endpoint to, Time now, bool is_reply) const {
  LinkEffect effect;
  const Fault* refused = nullptr;
  const Fault* dropped = nullptr;
  for (const Fault& f : faults_) {
    if (now < f.start_ms || now >= f.end_ms) continue;
    switch (f.kind) {
      case Fault::Kind::kHostDown:
        if (std::binary_search(f.hosts.begin(), f.hosts.end(), from.host, std::less<>()) ||
            std::binary_search(f.hosts.begin(), f.hosts.end(), to.host, std::less<>())) {
          refused = refused ? refused : &f;
        }
        break;
      case Fault::Kind::kKdcUnreachable:
        if (In(f.kdcs, to.node)) refused = refused ? refused : &f;
        break;
      case Fault::Kind::kDrop:
        if (Matches(f.from, from.host) && Matches(f.to, to.host)) dropped = dropped ? dropped : &f;
        break;
      case Fault::Kind::kDelay:
        if (Matches(f.from, from.host) && Matches(f.to, to.host)) {
          effect.delay_ms = SaturatingAdd(effect.delay_ms, f.delay_ms);
        }
        break;
    }
  }
  if (refused != nullptr) {
    effect.action = is_reply ? LinkEffect::Action::kDrop : LinkEffect::Action::kRefuse;
    effect.fault = refused;
  } else if (dropped != nullptr) {
    effect.action = LinkEffect::Action::kDrop;
    effect.fault = dropped;
  }
  return effect;
}

Status FaultPlan::Refusal(const Fault& fault) {
  return Unavailable(fault.what + (fault.name.empty() ? "" : " (fault '" + fault.name + "')"));
}

std::string FaultPlan::Describe(const Fault& fault) {
  return "lost: " + fault.what + (fault.name.empty() ? "" : " (fault '" + fault.name + "')");
}

}  // namespace delegsim::nodes
