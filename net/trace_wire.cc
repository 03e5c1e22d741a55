#include "net/trace_wire.h"

#include <memory>
#include <string>

#include "kdc/kdc.h"
#include "nodes/envelope.h"

namespace delegsim::net {

v1::HostTraceRecord ToWire(const nodes::TraceRecord& record) {
  v1::HostTraceRecord wire;
  wire.set_lamport(record.seq);
  wire.set_time_ms(record.time);
  wire.set_node(record.node);
  wire.set_kind(static_cast<uint32_t>(record.kind));
  wire.set_path(record.path);
  wire.set_summary(record.summary);
  if (record.decision) wire.set_decision(kdc::EncodeRecord(*record.decision));
  if (record.hop) wire.set_hop(record.hop->SerializeAsString());
  if (record.ticket) wire.set_ticket(record.ticket->SerializeAsString());
  if (record.message) wire.set_message(record.message->SerializeAsString());
  if (record.token) {
    const nodes::TokenView& t = *record.token;
    v1::HostTokenView* view = wire.mutable_token();
    view->set_user(t.user);
    for (uint32_t g : t.groups) view->add_groups(g);
    for (const std::string& p : t.privileges) view->add_privileges(p);
    view->set_level(t.level);
    view->set_net_creds(t.net_creds);
    view->set_net_creds_rule(t.net_creds_rule);
    view->set_primary(t.primary);
    view->set_host(t.host);
  }
  return wire;
}

StatusOr<nodes::TraceRecord> FromWire(const v1::HostTraceRecord& wire) {
  nodes::TraceRecord record;
  if (wire.kind() > static_cast<uint32_t>(nodes::TraceKind::kHostDown)) {
    return InvalidArgument("trace record kind " + std::to_string(wire.kind()) + " is unknown");
  }
  record.kind = static_cast<nodes::TraceKind>(wire.kind());
  record.seq = wire.lamport();
  record.time = wire.time_ms();
  record.node = wire.node();
  record.path = wire.path();
  record.summary = wire.summary();
  if (wire.has_decision()) {
    v1::DecisionRecord d;
    if (!d.ParseFromString(wire.decision())) {
      return InvalidArgument("trace record decision: not a DecisionRecord");
    }
    record.decision = std::make_shared<const Decision>(kdc::FromRecord(d));
  }
  if (wire.has_hop()) {
    auto hop = std::make_shared<v1::HopResult>();
    if (!hop->ParseFromString(wire.hop())) {
      return InvalidArgument("trace record hop: not a HopResult");
    }
    record.hop = std::move(hop);
  }
  if (wire.has_ticket()) {
    auto ticket = std::make_shared<v1::TicketBody>();
    if (!ticket->ParseFromString(wire.ticket())) {
      return InvalidArgument("trace record ticket: not a TicketBody");
    }
    record.ticket = std::move(ticket);
  }
  if (wire.has_message()) {
    auto message = std::make_shared<v1::Envelope>();
    if (Status s = nodes::ParseEnvelope(wire.message(), *message); !s.ok()) {
      return InvalidArgument("trace record message: " + s.message());
    }
    record.message = std::move(message);
  }
  if (wire.has_token()) {
    const v1::HostTokenView& view = wire.token();
    auto t = std::make_shared<nodes::TokenView>();
    t->user = view.user();
    t->groups.assign(view.groups().begin(), view.groups().end());
    t->privileges.assign(view.privileges().begin(), view.privileges().end());
    t->level = view.level();
    t->net_creds = view.net_creds();
    t->net_creds_rule = view.net_creds_rule();
    t->primary = view.primary();
    t->host = view.host();
    record.token = std::move(t);
  }
  return record;
}

}  // namespace delegsim::net
