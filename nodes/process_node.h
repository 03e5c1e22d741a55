// Process nodes: a service (which is also every downstream server) and a client logon
// session, both running operation lists the way a Windows process would.
//
// A ServiceNode accepts calls: it authenticates the caller (Kerberos AP-REQ, NTLM,
// Schannel, anonymous, or the caller's own logon session over ncalrpc), derives the hop
// context (nodes/hop_context.h), impersonates the client and runs the call's operations:
// open objects (TK-11, IL-2, IL-3, TK-1), call the next service, create processes
// (TK-2, TK-5), LogonUser (TK-6), RevertToSelf (TK-7), privilege checks (TK-3),
// OpenThreadToken (TK-4), DuplicateToken (TK-9), S4U logons (TK-10). It replies with a
// HopResult tree. A ClientNode is a user's interactive session that starts calls.
//
// Outbound calls (the initiator side) choose the package (PK-4, PK-5), obtain tickets
// from the KDC nodes, decide whether to delegate (MA-1, UD-2, UD-3, MA-2, XR-1) and
// use the token's network credentials as LC-5 allows.
//
// The implementation is split by concern (nodes/process_node_internal.h lists the files):
// process_node.cc (the operation loop), token_operations.cc, kdc_exchanges.cc,
// outbound_call.cc, service_node.cc and client_node.cc.
//
//   auto web = std::make_unique<ServiceNode>(topology, *topology.FindService("web"));
//   auto alice = std::make_unique<ClientNode>(topology, "ws1", alice_id, alice_key);
//   // later, as an event of the runtime:
//   alice_node.StartCall("c1", spec, ctx, [](const v1::HopResult& r, NodeContext&) {...});
#ifndef DELEGSIM_NODES_PROCESS_NODE_H_
#define DELEGSIM_NODES_PROCESS_NODE_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nodes/context.h"
#include "nodes/hop_context.h"
#include "nodes/pending.h"
#include "nodes/token.h"
#include "nodes/topology.h"

namespace delegsim::nodes {

class ProcessNode : public Node {
 public:
  ProcessNode(const ProcessNode&) = delete;
  ProcessNode& operator=(const ProcessNode&) = delete;

  std::string_view name() const override { return name_; }
  const std::string& host() const { return host_; }
  void OnMessage(v1::Envelope& env, NodeContext& ctx) override;
  void OnTimer(TimerId timer, NodeContext& ctx) override;
  void OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx) override;

 protected:
  // `topology` is borrowed and must outlive the node. `account` is the identity of the
  // process's primary token and `key` its long-term key.
  ProcessNode(std::string name, std::string host, Topology& topology, PrincipalId account,
              std::string key);

  struct Frame;
  struct Execution;
  struct Outbound;
  using ExecPtr = std::shared_ptr<Execution>;
  // When `ok`, `rep` is the KDC's reply, its decision the serialized record in
  // rep->decision() (empty for a cached TGT); `rep` belongs to the caller of `done`, which
  // discards it afterwards, so `done` may move parts out. Otherwise `refusal` is the KDC's
  // refusal, or the local reason no KDC answered.
  using KdcDone =
      std::function<void(bool ok, v1::KdcRep* rep, v1::DecisionRecord refusal, NodeContext&)>;

  // Requests that are not replies: a service answers calls and NTLM negotiation.
  virtual void HandleRequest(v1::Envelope& env, NodeContext& ctx) = 0;

  Token PrimaryToken() const;
  ExecPtr NewExecution(std::string path, std::vector<std::string> chain, Token process,
                       std::optional<Token> thread);
  // Runs the execution's operations in order until one waits (a call, a logon) or all
  // are done (then `done`). An operation that waits calls Run again when it finishes,
  // later or at once; either way the operations run as a loop, without recursion.
  void Run(ExecPtr x, NodeContext& ctx);
  void Trace(NodeContext& ctx, TraceKind kind, const std::string& path, std::string summary,
             const Decision* d = nullptr);

  Topology& topology_;
  const kdc::Directory& dir_;
  const std::string name_;
  const std::string host_;
  const HostInfo* host_info_;
  const PrincipalId account_;
  const std::string key_;
  Pending pending_;
  // Privileges the process holds besides its account's (a service's configured ones).
  std::vector<std::string> process_privileges_;

 private:
  // Operations.
  void RunSync(Execution& x, v1::Operation& op, NodeContext& ctx);
  void OpOpen(Execution& x, const v1::OpenObject& op, NodeContext& ctx);
  void OpCreateProcess(Execution& x, v1::ProcessSpec& op, bool as_user, NodeContext& ctx);
  bool OpLogonUser(const ExecPtr& x, v1::LogonUserSpec& op, NodeContext& ctx);
  void OpPrivilegeCheck(Execution& x, const v1::PrivilegeCheck& op, NodeContext& ctx);
  void OpOpenThreadToken(Execution& x, const v1::OpenThreadTokenSpec& op, NodeContext& ctx);
  void OpDuplicateToken(Execution& x, const v1::DuplicateSpec& op, NodeContext& ctx);
  void OpS4uLogon(Execution& x, const v1::S4uLogonSpec& op, NodeContext& ctx);
  void AddOpResult(Execution& x, const std::string& op, const std::string& target, const Token& as,
                   const Decision& d, const std::string& detail, NodeContext& ctx, TraceKind kind);

  // The initiator side of a call.
  void StartOutbound(const ExecPtr& x, v1::CallSpec& spec, NodeContext& ctx);
  void OutboundKerberos(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void OutboundServiceTicket(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void OutboundS4U(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void OutboundDelegation(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void OutboundNtlm(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void SendCall(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void FinishOutbound(const std::shared_ptr<Outbound>& ob, v1::HopResult child, NodeContext& ctx);
  // Sends the call `ob` sent once more, unchanged, as hop "<path>#replay" (DS-16).
  void ReplayOutbound(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);
  void RefuseOutbound(const std::shared_ptr<Outbound>& ob, NodeContext& ctx);

  // KDC plumbing.
  // Files a ticket of the hop (HopResult.tickets) under `role`: the view of `rep` when
  // `ok`, else the error and rule of `refusal`. Call it before anything moves out of `rep`.
  void AddTicket(Outbound& ob, std::string role, bool ok, const v1::KdcRep* rep,
                 const v1::DecisionRecord& refusal, std::string sname);
  // The record of one ticket of a hop (see AddTicket).
  v1::HopTicket TicketRecord(std::string role, bool ok, const v1::KdcRep* rep,
                             const v1::DecisionRecord& refusal, std::string sname) const;
  // An explicit KDC exchange at the hop (S4U2self, S4U2proxy, TGS); always waits for the
  // KDC, then resumes the execution.
  void OpKdcRequest(const ExecPtr& x, const v1::KdcRequestSpec& op, NodeContext& ctx);
  void AskKdc(kdc::DomainId realm, v1::Envelope req, const std::string& path, KdcDone done,
              NodeContext& ctx);
  void GetTgt(PrincipalId who, const std::string& key, const std::string& path, KdcDone done,
              NodeContext& ctx);

  std::map<PrincipalId, std::pair<v1::SealedTicket, v1::TicketBody>> tgt_cache_;
  uint64_t authenticator_seq_ = 0;  // ApReq.seq of the next AP-REQ this process sends
};

class ServiceNode final : public ProcessNode {
 public:
  ServiceNode(Topology& topology, const ServiceInfo& service);

 private:
  void HandleRequest(v1::Envelope& env, NodeContext& ctx) override;
  void HandleCall(v1::Envelope& env, NodeContext& ctx);
  void Authenticated(v1::Envelope& env, PrincipalId user, std::vector<PrincipalId> groups,
                     Decision auth, NodeContext& ctx);
  // Why ids that came from the wire (a NetLogon reply, a local session, a ticket) do not
  // name a logon: a user that is not an account of the directory (out of range, a group,
  // a krbtgt) or a group id that is not a group. nullopt when they do.
  std::optional<Fact> InvalidLogon(PrincipalId user,
                                   const google::protobuf::RepeatedField<uint32_t>& groups) const;
  void Reply(NodeId to, uint64_t correlation, v1::HopResult result, NodeContext& ctx);
  void Refuse(const v1::Envelope& request, Decision d, NodeContext& ctx);

  const ServiceInfo service_;
  std::map<NodeId, std::string> challenges_;  // last NTLM challenge issued to each peer
  uint64_t challenge_counter_ = 0;
  // DS-16: a replay cache of the authenticators accepted (ticket seal, ctime, sequence),
  // each kept until the clock skew has passed; the queue holds them by expiry, oldest
  // first. Bounded: beyond kMaxReplayEntries the oldest entry is forgotten.
  static constexpr size_t kMaxReplayEntries = 100'000;
  std::set<std::string> replay_seen_;
  std::deque<std::pair<Time, std::string>> replay_expiry_;
  // True when this authenticator was seen before (a replay); records it otherwise.
  bool IsReplay(const v1::ApReq& ap, Time now);
};

class ClientNode final : public ProcessNode {
 public:
  using CallDone = std::function<void(const v1::HopResult& result, NodeContext& ctx)>;

  // A logon session of `user` (holding `key`) on `host`.
  ClientNode(Topology& topology, std::string host, PrincipalId user, std::string key);

  // Runs one call (`spec`) as the user; `label` names it in result paths ("c1").
  // `done` receives the hop tree of the called service (verdict denied when the call
  // was refused before or at the service).
  void StartCall(const std::string& label, const v1::CallSpec& spec, NodeContext& ctx,
                 CallDone done);

 private:
  void HandleRequest(v1::Envelope&, NodeContext&) override {}
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_PROCESS_NODE_H_
