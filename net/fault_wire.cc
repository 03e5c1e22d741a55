#include "net/fault_wire.h"

#include <string>
#include <utility>

namespace delegsim::net {

v1::HostFaultPlan ToWire(const nodes::FaultPlan& plan) {
  v1::HostFaultPlan wire;
  wire.set_reply_deadline_ms(plan.reply_deadline_ms());
  for (const nodes::Fault& f : plan.faults()) {
    v1::HostFault* w = wire.add_faults();
    w->set_kind(static_cast<uint32_t>(f.kind));
    w->set_name(f.name);
    w->set_what(f.what);
    for (const std::string& h : f.hosts) w->add_hosts(h);
    for (nodes::NodeId k : f.kdcs) w->add_kdcs(k);
    for (const std::string& h : f.from) w->add_from(h);
    for (const std::string& h : f.to) w->add_to(h);
    w->set_start_ms(f.start_ms);
    w->set_end_ms(f.end_ms);
    w->set_delay_ms(f.delay_ms);
  }
  return wire;
}

StatusOr<std::shared_ptr<const nodes::FaultPlan>> FromWire(const v1::HostFaultPlan& wire) {
  if (wire.reply_deadline_ms() < 0) {
    return InvalidArgument("fault plan: reply_deadline_ms " +
                           std::to_string(wire.reply_deadline_ms()) + " is negative");
  }
  auto plan = std::make_shared<nodes::FaultPlan>(wire.reply_deadline_ms());
  for (int i = 0; i < wire.faults_size(); ++i) {
    const v1::HostFault& w = wire.faults(i);
    const std::string where = "fault plan: faults[" + std::to_string(i) + "] ('" + w.name() + "')";
    if (w.kind() > static_cast<uint32_t>(nodes::Fault::Kind::kDelay)) {
      return InvalidArgument(where + ": kind " + std::to_string(w.kind()) + " is unknown");
    }
    if (w.end_ms() < w.start_ms()) return InvalidArgument(where + ": ends before it starts");
    if (w.delay_ms() < 0) return InvalidArgument(where + ": delay_ms is negative");
    nodes::Fault f;
    f.kind = static_cast<nodes::Fault::Kind>(w.kind());
    f.name = w.name();
    f.what = w.what();
    f.hosts.assign(w.hosts().begin(), w.hosts().end());
    f.kdcs.assign(w.kdcs().begin(), w.kdcs().end());
    f.from.assign(w.from().begin(), w.from().end());
    f.to.assign(w.to().begin(), w.to().end());
    f.start_ms = w.start_ms();
    f.end_ms = w.end_ms();
    f.delay_ms = w.delay_ms();
    plan->Add(std::move(f));
  }
  return std::shared_ptr<const nodes::FaultPlan>(std::move(plan));
}

}  // namespace delegsim::net
