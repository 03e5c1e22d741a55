// ProcessNode basics: executions, the operation loop, tracing, and the helpers every
// part of the node shares (nodes/process_node_internal.h).
#include <algorithm>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node_internal.h"

namespace delegsim::nodes {

using internal::CallFailure;
using internal::CallReplyTimeout;
using internal::DenyFromKdc;
using internal::KdcStep;
using internal::TicketValid;
using internal::ViewOf;

namespace internal {

// DS-13: the error of a call whose server could not be asked. A server that cannot be
// reached at all (its host down, a fault) answers RPC_S_SERVER_UNAVAILABLE; one that was
// reached but gave no usable reply in time, RPC_S_CALL_FAILED.
// DS-13: how long a caller waits for the reply to a call at hop path `path` ("c1/web/db").
// One request timeout for each hop the chain may still take, so that a server further
// down gives up first and the caller hears of the deepest failure, not of its own wait.
Time CallReplyTimeout(const Options& options, const std::string& path) {
  const int depth = static_cast<int>(std::count(path.begin(), path.end(), '/'));
  const int remaining = std::max(1, options.hop_limit - depth + 1);
  return SaturatingMul(options.request_timeout_ms, remaining);
}

const char* CallFailure(const v1::Envelope* reply, const Status& status) {
  if (reply == nullptr && status.code() == StatusCode::kUnavailable) {
    return "RPC_S_SERVER_UNAVAILABLE";
  }
  return "RPC_S_CALL_FAILED";
}

bool TicketValid(const v1::TicketBody& t, Time now) {
  return t.start_ms() <= now && now < t.end_ms();
}

// The token snapshot IMPERSONATE, REVERT and PROCESS records carry (`delegsim step`).
std::shared_ptr<const TokenView> ViewOf(const Token& t) {
  auto v = std::make_shared<TokenView>();
  v->user = t.user;
  v->groups = t.groups;
  v->privileges = t.privileges;
  v->level = LevelName(t.level);
  v->net_creds = NetCredsName(t.creds);
  v->net_creds_rule = RuleCode(t.creds.why);
  v->primary = t.primary;
  v->host = t.host;
  return v;
}

// The outbound call fails for the reason the KDC (or the KDC plumbing) gave.
// The KDC's answer as a step of the hop (a serialized record): the issuing decision as it
// came, without decoding it, or the refusal.
std::string KdcStep(bool ok, v1::KdcRep* rep, const v1::DecisionRecord& refusal) {
  return ok ? std::move(*rep->mutable_decision()) : refusal.SerializeAsString();
}

void DenyFromKdc(Decision& d, const v1::DecisionRecord& record) {
  Decision kd = kdc::FromRecord(record);
  d.Deny(kd.rule(), kd.error(), kd.status(), kd.Facts());
  d.Because(kd.causes());
}

}  // namespace internal

// ---------------------------------------------------------------------------------------
// Basics.

ProcessNode::ProcessNode(std::string name, std::string host, Topology& topology,
                         PrincipalId account, std::string key)
    : topology_(topology),
      dir_(topology.directory()),
      name_(std::move(name)),
      host_(std::move(host)),
      host_info_(topology.FindHost(host_)),
      account_(account),
      key_(std::move(key)) {}

void ProcessNode::OnMessage(v1::Envelope& env, NodeContext& ctx) {
  if (pending_.OnReply(env, ctx)) return;
  if (IsReply(env)) return;  // a late reply to a request that already timed out
  HandleRequest(env, ctx);
}

void ProcessNode::OnTimer(TimerId timer, NodeContext& ctx) {
  if (pending_.OnTimer(timer, ctx)) {
    Trace(ctx, TraceKind::kTimeout, "", "a request timed out");
  }
}

void ProcessNode::OnUndeliverable(const v1::Envelope& env, const Status& why, NodeContext& ctx) {
  pending_.OnUndeliverable(env, why, ctx);
}

Token ProcessNode::PrimaryToken() const {
  const kdc::Principal& p = dir_.Get(account_);
  Token t;
  t.user = account_;
  t.groups = p.groups;
  t.privileges = p.privileges;
  for (const std::string& priv : process_privileges_) {
    if (!t.HasPrivilege(priv)) t.privileges.push_back(priv);
  }
  t.primary = true;
  t.level = Level::kDelegate;  // a primary token is not limited by an impersonation level
  t.host = host_;
  t.creds.kind = NetCredsKind::kOwnSession;  // the process's own logon: it holds its key
  t.creds.why = RuleId::kLC5;
  t.creds.key = key_;
  return t;
}

ProcessNode::ExecPtr ProcessNode::NewExecution(std::string path, std::vector<std::string> chain,
                                               Token process, std::optional<Token> thread) {
  auto x = std::make_shared<Execution>();
  x->path = std::move(path);
  x->chain = std::move(chain);
  Frame f;
  f.ops = x->plan.mutable_ops();
  f.process = std::move(process);
  f.thread = std::move(thread);
  x->frames.push_back(std::move(f));
  return x;
}

void ProcessNode::Trace(NodeContext& ctx, TraceKind kind, const std::string& path,
                        std::string summary, const Decision* d) {
  if (!ctx.Tracing()) return;
  TraceRecord rec;
  rec.kind = kind;
  rec.path = path;
  rec.summary = std::move(summary);
  if (d) rec.decision = std::make_shared<const Decision>(*d);
  ctx.Trace(std::move(rec));
}

void ProcessNode::Run(ExecPtr x, NodeContext& ctx) {
  // An operation that waits (a call, a logon) resumes the execution by calling Run when
  // it finishes. When it finished at once (a call refused at the caller, a local logon),
  // the loop below is still on the stack: note it and let the loop go on, so that a long
  // list of such operations runs as a loop, not as a recursion.
  if (x->running) {
    x->resumed = true;
    return;
  }
  x->running = true;
  while (!x->frames.empty()) {
    Frame& f = x->frames.back();
    if (f.next >= f.ops->size()) {
      x->frames.pop_back();
      continue;
    }
    v1::Operation& op = *f.ops->Mutable(f.next++);
    if (op.has_call() || op.has_logon_user() || op.has_kdc_request()) {
      x->resumed = false;
      bool waits = true;
      if (op.has_call()) {
        StartOutbound(x, *op.mutable_call(), ctx);
      } else if (op.has_kdc_request()) {
        OpKdcRequest(x, op.kdc_request(), ctx);
      } else {
        waits = OpLogonUser(x, *op.mutable_logon_user(), ctx);
      }
      if (waits && !x->resumed) {
        x->running = false;
        return;  // Run is called again when the operation finishes
      }
      continue;
    }
    RunSync(*x, op, ctx);
  }
  x->running = false;
  auto done = std::move(x->done);
  if (done) done(*x, ctx);
}

}  // namespace delegsim::nodes
