// The inside of a process node, shared by the files that implement it and by no one
// else: an execution's frames, an outbound call's state, and small helpers. The files:
//   process_node.cc       running an operation list (ProcessNode basics)
//   token_operations.cc   operations that finish at once: objects, processes, LogonUser,
//                         privileges, thread tokens, DuplicateToken, S4U logons
//   kdc_exchanges.cc      asking the KDC: TGTs, explicit s4u2self / s4u2proxy / tgs
//   outbound_call.cc      the initiator side of a call: package, tickets, delegation
//   service_node.cc       the server side: authentication, hop context, replies
//   client_node.cc        a user's logon session that starts calls
#ifndef DELEGSIM_NODES_PROCESS_NODE_INTERNAL_H_
#define DELEGSIM_NODES_PROCESS_NODE_INTERNAL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nodes/process_node.h"

namespace delegsim::nodes {

using google::protobuf::RepeatedPtrField;

struct ProcessNode::Frame {
  // Points into the execution's plan. Each operation runs once, so a call may move its
  // nested operations out (into the Call it sends).
  RepeatedPtrField<v1::Operation>* ops = nullptr;
  int next = 0;
  Token process;                // the process's primary token
  std::optional<Token> thread;  // the impersonation token, when impersonating
  const Token& Effective() const { return thread ? *thread : process; }
};

struct ProcessNode::Execution {
  std::string path;
  std::vector<std::string> chain;  // services on the path so far, this one last
  v1::Call plan;                   // owns every operation list the frames point into
  v1::HopResult result;
  std::vector<Frame> frames;
  std::map<std::string, int> child_labels;
  std::shared_ptr<const v1::HopResult> last_hop;  // the outcome of the last call made
  // The last ticket each explicit KDC request obtained, by role ("s4u2self", ...), for a
  // later call's use_ticket.
  std::map<std::string, std::pair<v1::SealedTicket, v1::TicketBody>> obtained;
  std::function<void(Execution&, NodeContext&)> done;
  bool running = false;  // Run's loop is on the stack
  bool resumed = false;  // an operation that waits finished at once and called Run
};

struct ProcessNode::Outbound {
  ExecPtr x;
  const v1::CallSpec* spec = nullptr;
  // The token the call is made as: the effective token of the execution's top frame,
  // which stays put while a call is out (Run resumes only when the call finishes).
  const Token* as = nullptr;
  Token acting;  // the identity of an `on_behalf_of` protocol transition; `as` then points here
  const ServiceInfo* target = nullptr;
  const HostInfo* target_host = nullptr;
  std::string path;
  Decision d;
  Level level = Level::kImpersonate;
  bool want_deleg = false;       // delegate asked (or TR-2 on a remote pipe)
  bool level_explicit = true;    // false when TR-2 decides the level
  bool level_defaulted = false;  // no level was asked: the server applies its API default (DF-1)
  v1::Level WireLevel(Level l) const { return level_defaulted ? v1::LEVEL_DEFAULT : ToWire(l); }
  v1::Call call;
  std::vector<std::string> kdc_steps;  // KDC decisions on the way, serialized records
  std::vector<v1::HopTicket> tickets;  // every ticket obtained (or refused) on the way
  // Kerberos state.
  v1::SealedTicket tgt;
  v1::TicketBody tgt_view;
  v1::SealedTicket ticket;
  v1::TicketBody ticket_view;
  bool referral_chain_ok = true;  // every referral TGT crossed was OK-AS-DELEGATE (C7)
  std::string forward_realm;      // realm of the TGT being forwarded (UD-3)
  std::optional<v1::Call> sent;   // a copy of the call sent, kept only to replay it (DS-16)
  bool is_replay = false;
  int referrals = 0;
};

namespace internal {

// At most this many referrals on the way to one service ticket (DS-10).
inline constexpr int kMaxReferrals = 4;

// DS-13: how long a caller waits for the reply to a call at hop path `path` ("c1/web/db").
// One request timeout for each hop the chain may still take, so that a server further
// down gives up first and the caller hears of the deepest failure, not of its own wait.
Time CallReplyTimeout(const Options& options, const std::string& path);
// DS-13: the error of a call whose server could not be asked. A server that cannot be
// reached at all (its host down, a fault) answers RPC_S_SERVER_UNAVAILABLE; one that was
// reached but gave no usable reply in time, RPC_S_CALL_FAILED.
const char* CallFailure(const v1::Envelope* reply, const Status& status);
bool TicketValid(const v1::TicketBody& t, Time now);
// The token snapshot IMPERSONATE, REVERT and PROCESS records carry (`delegsim step`).
std::shared_ptr<const TokenView> ViewOf(const Token& t);
// The KDC's answer as a step of the hop (a serialized record): the issuing decision as it
// came, without decoding it, or the refusal.
std::string KdcStep(bool ok, v1::KdcRep* rep, const v1::DecisionRecord& refusal);
// The outbound call fails for the reason the KDC (or the KDC plumbing) gave.
void DenyFromKdc(Decision& d, const v1::DecisionRecord& record);

}  // namespace internal
}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_PROCESS_NODE_INTERNAL_H_
