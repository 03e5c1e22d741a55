// KdcNode: the domain controller of one realm, serving the kdc::Kdc engine on the wire.
//
// It answers AsReq and TgsReq with KdcRep (the sealed ticket, its client-readable view
// and the decision) or KdcError (the protocol error and the decision), and validates
// NTLM responses for the realm (NetLogon). Every decision and every issued ticket is
// traced with its rule ids and facts.
#ifndef DELEGSIM_NODES_KDC_NODE_H_
#define DELEGSIM_NODES_KDC_NODE_H_

#include <string>

#include "kdc/kdc.h"
#include "nodes/context.h"

namespace delegsim::nodes {

class KdcNode final : public Node {
 public:
  // Borrows `kdc`, which must outlive the node.
  KdcNode(std::string name, const kdc::Kdc& kdc, kdc::DomainId realm);

  std::string_view name() const override { return name_; }
  void OnMessage(v1::Envelope& env, NodeContext& ctx) override;
  void OnTimer(TimerId, NodeContext&) override {}
  void OnUndeliverable(const v1::Envelope&, const Status&, NodeContext&) override {}

 private:
  void Answer(const v1::Envelope& request, kdc::KdcResult result, NodeContext& ctx);
  // One line naming an AS or TGS request, for the trace.
  static std::string Describe(const v1::Envelope& request);

  std::string name_;
  const kdc::Kdc& kdc_;
  kdc::DomainId realm_;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_KDC_NODE_H_
