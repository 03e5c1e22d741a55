#include "sim/fault_plan.h"

#include "sim/durations.h"

namespace delegsim::sim {

std::string DescribeFault(const FaultSpec& f) {
  const std::string link =
      f.both_ways ? "between " + f.from + " and " + f.to : "from " + f.from + " to " + f.to;
  switch (f.kind) {
    case FaultSpec::Kind::kHostDown:
      return "host " + f.host + " is down";
    case FaultSpec::Kind::kKdcUnreachable:
      return "cannot contact any KDC for realm " + f.domain;
    case FaultSpec::Kind::kDrop:
      return "frames " + link + " are dropped";
    case FaultSpec::Kind::kDelay:
      return "frames " + link + " are delayed by " + HumanDuration(f.by_ms);
    case FaultSpec::Kind::kSlowHost:
      return "host " + f.host + " is slow: everything it sends takes " + HumanDuration(f.by_ms) +
             " longer";
  }
  return "fault";
}

StatusOr<std::shared_ptr<const nodes::FaultPlan>> BuildFaultPlan(
    const Scenario& scenario, const nodes::Topology& topology,
    const std::function<StatusOr<kdc::DomainId>(const std::string&)>& domain_of) {
  auto plan = std::make_shared<nodes::FaultPlan>(topology.options().request_timeout_ms);
  auto address = [&](const std::string& host) -> StatusOr<std::string> {
    const nodes::HostInfo* h = topology.FindHost(host);
    if (h == nullptr) return NotFound("fault: unknown host '" + host + "'");
    return h->address;
  };
  for (const FaultSpec& f : scenario.faults) {
    nodes::Fault fault;
    fault.name = f.name;
    fault.what = DescribeFault(f);
    fault.start_ms = f.start_ms;
    if (f.end_ms) fault.end_ms = *f.end_ms;
    switch (f.kind) {
      case FaultSpec::Kind::kHostDown: {
        StatusOr<std::string> a = address(f.host);
        if (!a.ok()) return a.status();
        fault.kind = nodes::Fault::Kind::kHostDown;
        fault.hosts = {*a};
        break;
      }
      case FaultSpec::Kind::kKdcUnreachable: {
        StatusOr<kdc::DomainId> d = domain_of(f.domain);
        if (!d.ok()) return d.status();
        std::optional<nodes::NodeId> kdc = topology.KdcNode(*d);
        if (!kdc) return NotFound("fault: realm '" + f.domain + "' has no KDC");
        fault.kind = nodes::Fault::Kind::kKdcUnreachable;
        fault.kdcs = {*kdc};
        break;
      }
      case FaultSpec::Kind::kDrop:
      case FaultSpec::Kind::kDelay: {
        StatusOr<std::string> from = address(f.from);
        if (!from.ok()) return from.status();
        StatusOr<std::string> to = address(f.to);
        if (!to.ok()) return to.status();
        fault.kind = f.kind == FaultSpec::Kind::kDrop ? nodes::Fault::Kind::kDrop
                                                      : nodes::Fault::Kind::kDelay;
        fault.delay_ms = f.by_ms;
        fault.from = {*from};
        fault.to = {*to};
        if (f.both_ways) {
          nodes::Fault back = fault;
          std::swap(back.from, back.to);
          plan->Add(std::move(back));
        }
        break;
      }
      case FaultSpec::Kind::kSlowHost: {
        StatusOr<std::string> a = address(f.host);
        if (!a.ok()) return a.status();
        fault.kind = nodes::Fault::Kind::kDelay;
        fault.delay_ms = f.by_ms;
        fault.from = {*a};  // to any host
        break;
      }
    }
    plan->Add(std::move(fault));
  }
  return std::shared_ptr<const nodes::FaultPlan>(std::move(plan));
}

}  // namespace delegsim::sim
