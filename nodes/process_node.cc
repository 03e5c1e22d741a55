#include "nodes/process_node.h"

#include <algorithm>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"

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

namespace {

constexpr int kMaxReferrals = 4;

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

}  // namespace

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

// ---------------------------------------------------------------------------------------
// Operations that finish at once.

void ProcessNode::AddOpResult(Execution& x, const std::string& op, const std::string& target,
                              const Token& as, const Decision& d, const std::string& detail,
                              NodeContext& ctx, TraceKind kind) {
  v1::OpResult* r = x.result.add_ops();
  r->set_op(op);
  r->set_target(target);
  r->set_identity(as.anonymous() ? "" : dir_.FullName(as.user));
  r->set_verdict(std::string(VerdictName(d.verdict())));
  *r->mutable_decision() = kdc::ToRecord(d);
  r->set_detail(detail);
  if (!ctx.Tracing()) return;
  std::string who = as.anonymous() ? "anonymous" : dir_.FullName(as.user);
  TraceRecord rec;
  rec.kind = kind;
  rec.path = x.path;
  rec.summary = op + " " + target + " as " + who + (detail.empty() ? "" : " [" + detail + "]");
  rec.decision = std::make_shared<const Decision>(d);
  // `as` is then what the thread (or the new process) runs as.
  if (kind == TraceKind::kImpersonate || kind == TraceKind::kRevert || kind == TraceKind::kProcess)
    rec.token = ViewOf(as);
  ctx.Trace(std::move(rec));
}

void ProcessNode::RunSync(Execution& x, v1::Operation& op, NodeContext& ctx) {
  switch (op.op_case()) {
    case v1::Operation::kOpen:
      OpOpen(x, op.open(), ctx);
      return;
    case v1::Operation::kCreateProcess:
      OpCreateProcess(x, *op.mutable_create_process(), false, ctx);
      return;
    case v1::Operation::kCreateProcessAsUser:
      OpCreateProcess(x, *op.mutable_create_process_as_user(), true, ctx);
      return;
    case v1::Operation::kRevert: {
      // TK-7: RevertToSelf clears the thread token; later work runs as the process.
      Frame& f = x.frames.back();
      Decision d;
      d.Read(RuleId::kTK7, {{"was_impersonating", f.thread.has_value()}});
      d.Allow(RuleId::kTK7);
      f.thread.reset();
      AddOpResult(x, "revert", "", f.process, d, "", ctx, TraceKind::kRevert);
      return;
    }
    case v1::Operation::kPrivilegeCheck:
      OpPrivilegeCheck(x, op.privilege_check(), ctx);
      return;
    case v1::Operation::kOpenThreadToken:
      OpOpenThreadToken(x, op.open_thread_token(), ctx);
      return;
    case v1::Operation::kDuplicateToken:
      OpDuplicateToken(x, op.duplicate_token(), ctx);
      return;
    case v1::Operation::kS4ULogon:
      OpS4uLogon(x, op.s4u_logon(), ctx);
      return;
    default:
      return;
  }
}

void ProcessNode::OpOpen(Execution& x, const v1::OpenObject& op, NodeContext& ctx) {
  const Frame& f = x.frames.back();
  const Token& as = f.Effective();
  uint32_t wanted = 0;
  for (const std::string& r : op.rights()) wanted |= ParseRight(r).value_or(0);
  if (wanted == 0) wanted = rights::kRead;
  const char* kind = op.create() ? "create" : (op.check_only() ? "check" : "open");
  Decision d;
  std::string who = as.anonymous() ? "anonymous" : dir_.Name(as.user);
  auto record = [&](const Decision& d, const std::string& detail) {
    AddOpResult(x, kind, op.object(), as, d, detail, ctx, TraceKind::kAccessCheck);
    x.result.mutable_ops(x.result.ops_size() - 1)->set_rights(RightsNames(wanted));
  };

  if (f.thread) {
    if (as.level == Level::kAnonymous || as.anonymous()) {
      // IL-2: an anonymous token carries no client and opens nothing as the client.
      d.Deny(RuleId::kIL2, "ERROR_BAD_IMPERSONATION_LEVEL", {},
             {{"thread.level", LevelName(as.level)}, {"thread.identity", "anonymous"}});
      record(d, "");
      return;
    }
    if (as.level == Level::kIdentify && !op.check_only()) {
      // IL-3: an identification token may be checked, not used to open or create.
      d.Deny(RuleId::kIL3, "ERROR_BAD_IMPERSONATION_LEVEL", {},
             {{"thread.level", "identify"}, {"operation", kind}});
      record(d, "");
      return;
    }
    if (as.level == Level::kIdentify)
      d.Read(RuleId::kIL3, {{"thread.level", "identify"}, {"operation", kind}});
  }

  SecurableObject* obj = topology_.FindObject(host_, op.object());
  if (!obj && op.create()) {
    // TK-1: an object created while impersonating belongs to the client's default owner.
    SecurableObject created;
    created.name = op.object();
    created.host = host_;
    created.owner = as.user;
    created.dacl = {Ace{as.user, true, rights::kFull}, Ace{account_, true, rights::kFull}};
    topology_.AddObject(created);
    d.Set(RuleId::kTK1, "owner", {{"owner", who}, {"impersonating", f.thread.has_value()}});
    d.Allow(RuleId::kTK1);
    record(d, "owner=" + dir_.FullName(as.user));
    return;
  }
  if (!obj) {
    d.Deny(RuleId::kTK11, "ERROR_FILE_NOT_FOUND", {}, {{op.object() + ".exists", false}});
    record(d, "");
    return;
  }

  // TK-11: the client's identity and groups against the DACL: denies first, then allows.
  uint32_t granted = 0;
  uint32_t denied = 0;
  std::vector<Fact> facts = {{"identity", who}, {"requested", RightsNames(wanted)}};
  if (!as.anonymous() && obj->owner == as.user) granted |= rights::kReadControl | rights::kWriteDac;
  for (const Ace& ace : obj->dacl) {
    bool matches = !as.anonymous() && dir_.Matches(as.user, ace.who);
    if (!matches || !(ace.mask & wanted)) continue;
    facts.emplace_back(std::string(ace.allow ? "allow(" : "deny(") + dir_.Name(ace.who) + ")",
                       RightsNames(ace.mask));
    if (ace.allow) {
      granted |= ace.mask;
    } else {
      denied |= ace.mask;
    }
  }
  uint32_t effective = granted & ~denied;
  if ((effective & wanted) != wanted) {
    facts.emplace_back("granted", RightsNames(effective & wanted));
    d.Deny(RuleId::kTK11, "ERROR_ACCESS_DENIED", {}, std::move(facts));
    record(d, "");
    return;
  }
  d.Read(RuleId::kTK11, std::move(facts));
  d.Allow(as.level == Level::kIdentify && f.thread ? RuleId::kIL3 : RuleId::kTK11);
  record(d, "granted=" + RightsNames(wanted));
}

void ProcessNode::OpCreateProcess(Execution& x, v1::ProcessSpec& op, bool as_user,
                                  NodeContext& ctx) {
  Frame& f = x.frames.back();
  Decision d;
  Token child;
  if (!as_user) {
    // TK-2: CreateProcess gives the child the process's primary token, never the client's.
    child = f.process;
    d.Set(RuleId::kTK2, "child_identity",
          {{"impersonating", f.thread.has_value()}, {"child", dir_.Name(child.user)}});
    d.Allow(RuleId::kTK2);
  } else {
    if (!f.thread || f.thread->level < Level::kImpersonate || f.thread->anonymous()) {
      // IL-3: only an impersonation-level token can become a primary token.
      d.Deny(RuleId::kIL3, "ERROR_BAD_IMPERSONATION_LEVEL", {},
             {{"thread.level", f.thread ? LevelName(f.thread->level) : "none"}});
      AddOpResult(x, "create_process_as_user", "", f.Effective(), d, "", ctx, TraceKind::kProcess);
      return;
    }
    // TK-5: DuplicateTokenEx + CreateProcessAsUser: the client's identity, but network
    // credentials only when the client's context carried a forwarded TGT.
    child = *f.thread;
    child.primary = true;
    bool keeps = child.creds.kind == NetCredsKind::kTgt;
    if (!keeps) {
      child.creds = NetCreds{};
      child.creds.why = RuleId::kTK5;
    }
    d.Set(RuleId::kTK5, "child_net_creds",
          {{"source.net_creds", NetCredsName(f.thread->creds)},
           {"child.net_creds", NetCredsName(child.creds)}});
    d.Allow(RuleId::kTK5);
  }
  std::string detail =
      "process as " + dir_.FullName(child.user) + ", net_creds=" + NetCredsName(child.creds);
  AddOpResult(x, as_user ? "create_process_as_user" : "create_process", "", child, d, detail, ctx,
              TraceKind::kProcess);
  Frame nf;
  nf.ops = op.mutable_ops();
  nf.process = std::move(child);
  x.frames.push_back(std::move(nf));
}

bool ProcessNode::OpLogonUser(const ExecPtr& x, v1::LogonUserSpec& op, NodeContext& ctx) {
  const Frame& f = x->frames.back();
  Decision d;
  if (topology_.options().logon_user_requires_tcb) {
    // TK-3 (C15): on Windows 2000 LogonUser needs SE_TCB_NAME, checked in the primary token.
    bool tcb = f.process.HasPrivilege("SeTcbPrivilege");
    if (!tcb) {
      d.Deny(RuleId::kTK3, "ERROR_PRIVILEGE_NOT_HELD", {},
             {{"primary.SeTcbPrivilege", false}, {"os_version", "windows2000"}});
      AddOpResult(*x, "logon_user", op.user(), f.Effective(), d, "", ctx, TraceKind::kProcess);
      return false;
    }
    d.Read(RuleId::kTK3, {{"primary.SeTcbPrivilege", true}});
  }
  std::optional<PrincipalId> user = dir_.Find(op.user());
  if (!user || dir_.Get(*user).kind == kdc::PrincipalKind::kGroup) {
    d.Deny(RuleId::kDS12, "ERROR_LOGON_FAILURE", "STATUS_NO_SUCH_USER", {{"user", op.user()}});
    AddOpResult(*x, "logon_user", op.user(), f.Effective(), d, "", ctx, TraceKind::kProcess);
    return false;
  }
  const kdc::Principal& p = dir_.Get(*user);
  std::string key = kdc::KeyFromPassword(dir_.GetDomain(p.domain).realm, p.name, op.password());
  auto finish = [this, x, op_ptr = &op, user = *user, key](Decision d, v1::SealedTicket tgt,
                                                           v1::TicketBody view, NodeContext& ctx) {
    Token t;
    t.user = user;
    t.groups = dir_.Get(user).groups;
    t.privileges = dir_.Get(user).privileges;
    t.primary = true;
    t.level = Level::kDelegate;
    t.host = host_;
    if (!d.allowed()) {
      AddOpResult(*x, "logon_user", dir_.Name(user), x->frames.back().Effective(), d, "", ctx,
                  TraceKind::kProcess);
      Run(x, ctx);
      return;
    }
    // TK-6: the password gives a primary token with network credentials of its own.
    t.creds.kind = NetCredsKind::kOwnSession;
    t.creds.why = RuleId::kTK6;
    t.creds.key = key;
    t.creds.tgt = std::move(tgt);
    t.creds.tgt_view = std::move(view);
    d.Set(RuleId::kTK6, "net_creds", {{"password_supplied", true}, {"net_creds", "own_session"}});
    d.Allow(RuleId::kTK6);
    AddOpResult(*x, "logon_user", dir_.Name(user), t, d,
                "process as " + dir_.FullName(user) + ", net_creds=own_session", ctx,
                TraceKind::kProcess);
    Frame nf;
    nf.ops = op_ptr->mutable_ops();
    nf.process = std::move(t);
    x->frames.push_back(std::move(nf));
    Run(x, ctx);
  };
  const kdc::Domain& dom = dir_.GetDomain(p.domain);
  if (dom.workgroup) {
    // A local account: the host's own SAM checks the password.
    Decision local;
    if (!kdc::MacEquals(key, dir_.KeyOf(*user))) {
      local.Deny(RuleId::kDS12, "ERROR_LOGON_FAILURE", "STATUS_WRONG_PASSWORD",
                 {{p.name + ".password_valid", false}});
    } else {
      local.Read(RuleId::kDS12, {{p.name + ".password_valid", true}});
    }
    finish(std::move(local), {}, {}, ctx);
    return true;
  }
  tgt_cache_.erase(*user);  // a fresh logon, with the password given
  GetTgt(
      *user, key, x->path,
      [finish](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        if (!ok) return finish(kdc::FromRecord(kr), {}, {}, ctx);
        finish(Decision(), rep->ticket(), rep->view(), ctx);
      },
      ctx);
  return true;
}

void ProcessNode::OpPrivilegeCheck(Execution& x, const v1::PrivilegeCheck& op, NodeContext& ctx) {
  const Frame& f = x.frames.back();
  // TK-3: TCB and audit privileges are checked in the primary token, not the thread's.
  bool primary_has = f.process.HasPrivilege(op.privilege());
  bool thread_has = f.thread && f.thread->HasPrivilege(op.privilege());
  Decision d;
  std::vector<Fact> facts = {{"primary." + op.privilege(), primary_has},
                             {"thread." + op.privilege(), thread_has}};
  if (!primary_has) {
    d.Deny(RuleId::kTK3, "ERROR_PRIVILEGE_NOT_HELD", {}, std::move(facts));
  } else {
    d.Read(RuleId::kTK3, std::move(facts));
    d.Allow(RuleId::kTK3);
  }
  // The result names the token the privilege was looked up in (TK-3).
  AddOpResult(x, "privilege_check", op.privilege(), f.process, d, "token=primary", ctx,
              TraceKind::kAccessCheck);
}

void ProcessNode::OpOpenThreadToken(Execution& x, const v1::OpenThreadTokenSpec& op,
                                    NodeContext& ctx) {
  const Frame& f = x.frames.back();
  Decision d;
  if (!f.thread) {
    d.Deny(RuleId::kTK4, "ERROR_NO_TOKEN", {}, {{"impersonating", false}});
    AddOpResult(x, "open_thread_token", "", f.process, d, "", ctx, TraceKind::kAccessCheck);
    return;
  }
  // TK-4: OpenAsSelf checks access to the token object as the process; otherwise as the
  // impersonated client, which needs an impersonation-level token to open anything.
  const Token& checker = op.open_as_self() ? f.process : *f.thread;
  std::vector<Fact> facts = {{"open_as_self", op.open_as_self()},
                             {"checked_as", dir_.Name(checker.user)},
                             {"thread.level", LevelName(f.thread->level)}};
  if (!op.open_as_self() && (f.thread->level < Level::kImpersonate || f.thread->anonymous())) {
    d.Deny(RuleId::kTK4, "ERROR_BAD_IMPERSONATION_LEVEL", {}, std::move(facts));
  } else {
    d.Read(RuleId::kTK4, std::move(facts));
    d.Allow(RuleId::kTK4);
  }
  AddOpResult(x, "open_thread_token", "", checker, d, "checked as " + dir_.FullName(checker.user),
              ctx, TraceKind::kAccessCheck);
}

void ProcessNode::OpDuplicateToken(Execution& x, const v1::DuplicateSpec& op, NodeContext& ctx) {
  Frame& f = x.frames.back();
  Decision d;
  Level wanted = FromWire(op.level()).value_or(Level::kImpersonate);
  if (op.self()) {
    // TK-9: ImpersonateSelf gives the thread a copy of the process token at the level asked.
    Token t = f.process;
    t.primary = false;
    t.level = wanted;
    d.Set(RuleId::kTK9, "thread.level", {{"source", "process"}, {"level", LevelName(wanted)}});
    d.Allow(RuleId::kTK9);
    f.thread = t;
    AddOpResult(x, "impersonate_self", "", t, d, "level=" + std::string(LevelName(wanted)), ctx,
                TraceKind::kImpersonate);
    return;
  }
  if (!f.thread) {
    d.Deny(RuleId::kTK9, "ERROR_NO_TOKEN", {}, {{"impersonating", false}});
    AddOpResult(x, "duplicate_token", "", f.process, d, "", ctx, TraceKind::kImpersonate);
    return;
  }
  std::vector<Fact> facts = {{"source.level", LevelName(f.thread->level)},
                             {"requested", LevelName(wanted)}};
  if (wanted > f.thread->level) {
    // TK-9: a duplicate is never above its source.
    d.Deny(RuleId::kTK9, "ERROR_BAD_IMPERSONATION_LEVEL", {}, std::move(facts));
    AddOpResult(x, "duplicate_token", "", *f.thread, d, "", ctx, TraceKind::kImpersonate);
    return;
  }
  d.Set(RuleId::kTK9, "thread.level", std::move(facts));
  d.Allow(RuleId::kTK9);
  f.thread->level = wanted;
  AddOpResult(x, "duplicate_token", "", *f.thread, d, "level=" + std::string(LevelName(wanted)),
              ctx, TraceKind::kImpersonate);
}

void ProcessNode::OpS4uLogon(Execution& x, const v1::S4uLogonSpec& op, NodeContext& ctx) {
  Frame& f = x.frames.back();
  Decision d;
  std::optional<PrincipalId> user = dir_.Find(op.user());
  if (!user) {
    d.Deny(RuleId::kDS12, "STATUS_NO_SUCH_USER", {}, {{"user", op.user()}});
    AddOpResult(x, "s4u_logon", op.user(), f.Effective(), d, "", ctx, TraceKind::kProcess);
    return;
  }
  // TK-10: an S4U logon yields an impersonation token only for a TCB caller and without
  // the identify flag; otherwise an identification token.
  bool tcb = f.process.HasPrivilege("SeTcbPrivilege");
  Level level = (tcb && !op.identify()) ? Level::kImpersonate : Level::kIdentify;
  Token t;
  t.user = *user;
  t.groups = dir_.Get(*user).groups;
  t.privileges = dir_.Get(*user).privileges;
  t.level = level;
  t.host = host_;
  t.creds.why = RuleId::kTK10;
  d.Set(RuleId::kTK10, "thread.level",
        {{"primary.SeTcbPrivilege", tcb},
         {"identify_flag", op.identify()},
         {"level", LevelName(level)}});
  d.Allow(RuleId::kTK10);
  f.thread = t;
  AddOpResult(x, "s4u_logon", dir_.Name(*user), t, d, "level=" + std::string(LevelName(level)), ctx,
              TraceKind::kImpersonate);
}

// ---------------------------------------------------------------------------------------
// KDC plumbing.

namespace {
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
}  // namespace

void ProcessNode::AddTicket(Outbound& ob, std::string role, bool ok, const v1::KdcRep* rep,
                            const v1::DecisionRecord& refusal, std::string sname) {
  ob.tickets.push_back(TicketRecord(std::move(role), ok, rep, refusal, std::move(sname)));
}

v1::HopTicket ProcessNode::TicketRecord(std::string role, bool ok, const v1::KdcRep* rep,
                                        const v1::DecisionRecord& refusal,
                                        std::string sname) const {
  v1::HopTicket t;
  t.set_role(std::move(role));
  t.set_sname(std::move(sname));
  if (ok && rep != nullptr) {
    *t.mutable_view() = rep->view();
    t.set_sname(rep->view().sname());
    PrincipalId c = rep->view().client();
    PrincipalId s = rep->view().server();
    if (c != kdc::kNobody && c <= dir_.principal_count()) t.set_client(dir_.FullName(c));
    if (s != kdc::kNobody && s <= dir_.principal_count()) t.set_server(dir_.Name(s));
    if (!rep->decision().empty()) t.set_rule(kdc::DecodeRecord(rep->decision()).rule());
    const v1::Pac& pac = rep->view().pac();
    if (rep->view().has_pac()) {
      t.add_pac_groups(pac.service_asserted() ? "SERVICE_ASSERTED_IDENTITY"
                                              : "AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY");
      if (pac.other_organization()) t.add_pac_groups("OTHER_ORGANIZATION");
      for (uint32_t g : pac.groups()) {
        if (g != kdc::kNobody && g <= dir_.principal_count()) t.add_pac_groups(dir_.FullName(g));
      }
    }
    return t;
  }
  t.set_error(refusal.error());
  t.set_rule(refusal.rule());
  return t;
}

void ProcessNode::OpKdcRequest(const ExecPtr& x, const v1::KdcRequestSpec& op, NodeContext& ctx) {
  const Token as = x->frames.back().Effective();
  std::string role = op.kind() == v1::KDC_REQUEST_S4U2SELF    ? "s4u2self"
                     : op.kind() == v1::KDC_REQUEST_S4U2PROXY ? "s4u2proxy"
                                                              : "tgs";
  std::string target = op.target();
  // Files the outcome as an operation result and a ticket of the hop, then resumes.
  auto finish = [this, x, role, target, as](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr,
                                            NodeContext& ctx) {
    v1::HopTicket t = TicketRecord(role, ok, rep, kr, target);
    Decision d = kdc::FromRecord(ok ? kdc::DecodeRecord(rep->decision()) : kr);
    std::string detail =
        ok ? "ticket " + kdc::KlistFlags(rep->view().flags()) : "error " + kr.error();
    if (ok) x->obtained[role] = {rep->ticket(), rep->view()};
    x->result.add_tickets()->Swap(&t);
    AddOpResult(*x, role, target, as, d, detail, ctx, TraceKind::kAuthDecision);
    Run(x, ctx);
  };
  auto refuse = [finish](RuleId rule, std::string error, Fact fact, NodeContext& ctx) {
    Decision d;
    d.Deny(rule, std::move(error), {}, {std::move(fact)});
    finish(false, nullptr, kdc::ToRecord(d), ctx);
  };
  if (op.kind() == v1::KDC_REQUEST_TGS) {
    // The current identity's TGT: the forwarded TGT or logon session of an impersonated
    // client, or the process account's own.
    if (!as.primary && as.creds.tgt.body().empty()) {
      return refuse(as.creds.why, "SEC_E_NO_CREDENTIALS", Fact(dir_.Name(as.user) + ".tgt", false),
                    ctx);
    }
    auto with_tgt = [this, op, finish, path = x->path](const v1::SealedTicket& tgt,
                                                       NodeContext& ctx) {
      v1::Envelope env;
      v1::TgsReq* req = env.mutable_tgs_req();
      *req->mutable_tgt() = tgt;
      req->set_sname(op.target());
      *req->mutable_options() = op.options();
      // "krbtgt/REALM": the clear-text sname of a ticket that came from the wire.
      const std::string& sname = tgt.sname();
      std::optional<kdc::DomainId> realm =
          dir_.FindDomain(sname.size() > 7 ? sname.substr(7) : std::string());
      AskKdc(realm.value_or(kdc::kNoDomain), std::move(env), path, finish, ctx);
    };
    if (!as.primary) return with_tgt(as.creds.tgt, ctx);
    return GetTgt(
        account_, key_, x->path,
        [with_tgt, finish](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
          if (!ok) return finish(false, nullptr, std::move(kr), ctx);
          with_tgt(rep->ticket(), ctx);
        },
        ctx);
  }
  v1::SealedTicket evidence;
  if (op.kind() == v1::KDC_REQUEST_S4U2PROXY) {
    if (op.evidence() == v1::EVIDENCE_S4U2SELF) {
      auto it = x->obtained.find("s4u2self");
      if (it == x->obtained.end()) {
        return refuse(RuleId::kKCD5, "KDC_ERR_BADOPTION", Fact("s4u2self_ticket", false), ctx);
      }
      evidence = it->second.first;
    } else if (!as.primary && !as.creds.evidence.body().empty()) {
      evidence = as.creds.evidence;
    } else {
      return refuse(RuleId::kKCD5, "KDC_ERR_BADOPTION", Fact("incoming_ticket", false), ctx);
    }
  }
  GetTgt(
      account_, key_, x->path,
      [this, op, finish, evidence, path = x->path](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr,
                                                   NodeContext& ctx) {
        if (!ok) return finish(false, nullptr, std::move(kr), ctx);
        v1::Envelope env;
        v1::TgsReq* req = env.mutable_tgs_req();
        *req->mutable_tgt() = rep->ticket();
        *req->mutable_options() = op.options();
        if (op.kind() == v1::KDC_REQUEST_S4U2SELF) {
          // S4U-1: the ticket is to this account itself, for the user named.
          const ServiceInfo* me = topology_.FindService(name_);
          const kdc::Principal& self = dir_.Get(account_);
          req->set_sname(me && !me->spn.empty() ? me->spn
                         : !self.spns.empty()   ? self.spns.front()
                                                : self.name);
          std::optional<PrincipalId> user = dir_.Find(op.target());
          req->set_for_user(user ? dir_.FullName(*user) : op.target());
        } else {
          req->set_sname(op.target());
          req->mutable_options()->set_cname_in_addl_tkt(true);
          *req->mutable_evidence() = evidence;
          req->set_rbcd(op.rbcd());
        }
        AskKdc(dir_.Get(account_).domain, std::move(env), path, finish, ctx);
      },
      ctx);
}

void ProcessNode::AskKdc(kdc::DomainId realm, v1::Envelope req, const std::string& path,
                         KdcDone done, NodeContext& ctx) {
  std::optional<NodeId> kdc = topology_.KdcNode(realm);
  if (!kdc) {
    // `realm` may be kNoDomain: a ticket's realm comes from its clear-text sname, which a
    // peer on the wire may have set to anything (found by fuzz/ node target).
    const std::string name =
        realm < dir_.domains().size() ? dir_.GetDomain(realm).realm : "unknown realm";
    Decision d;
    d.Deny(RuleId::kPK5, "SEC_E_NO_AUTHENTICATING_AUTHORITY", {}, {{"kdc(" + name + ")", false}});
    return done(false, nullptr, kdc::ToRecord(d), ctx);
  }
  pending_.Request(
      ctx, *kdc, std::move(req), topology_.options().request_timeout_ms,
      [this, done, path](v1::Envelope* reply, const Status& status, NodeContext& ctx) {
        if (!reply) {
          Decision d;
          d.Deny(RuleId::kDS13, "KDC_ERR_SVC_UNAVAILABLE", {}, {{"kdc_reply", status.message()}});
          Trace(ctx, TraceKind::kCallRefused, path, "KDC unreachable: " + status.message(), &d);
          return done(false, nullptr, kdc::ToRecord(d), ctx);
        }
        if (reply->has_kdc_rep()) {
          return done(true, reply->mutable_kdc_rep(), v1::DecisionRecord(), ctx);
        }
        done(false, nullptr, std::move(*reply->mutable_kdc_error()->mutable_decision()), ctx);
      });
}

void ProcessNode::GetTgt(PrincipalId who, const std::string& key, const std::string& path,
                         KdcDone done, NodeContext& ctx) {
  auto cached = tgt_cache_.find(who);
  if (cached != tgt_cache_.end() && TicketValid(cached->second.second, ctx.Now())) {
    v1::KdcRep rep;
    *rep.mutable_ticket() = cached->second.first;
    *rep.mutable_view() = cached->second.second;
    return done(true, &rep, v1::DecisionRecord(), ctx);  // a cached TGT: no KDC decision
  }
  const kdc::Principal& p = dir_.Get(who);
  v1::Envelope env;
  v1::AsReq* as = env.mutable_as_req();
  as->set_client(p.name);
  as->mutable_options()->set_forwardable(topology_.options().client_forwardable);
  as->mutable_options()->set_renewable(topology_.options().client_renewable);
  as->set_preauth_etype(v1::ETYPE_AES256);
  as->set_timestamp_ms(ctx.Now());
  as->set_preauth(kdc::PreauthProof(key, ctx.Now()));
  AskKdc(
      p.domain, std::move(env), path,
      [this, who, done](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        if (ok) tgt_cache_[who] = {rep->ticket(), rep->view()};
        done(ok, rep, std::move(kr), ctx);
      },
      ctx);
}

// ---------------------------------------------------------------------------------------
// The initiator side of a call.

void ProcessNode::StartOutbound(const ExecPtr& x, v1::CallSpec& spec, NodeContext& ctx) {
  auto ob = std::make_shared<Outbound>();
  ob->x = x;
  ob->spec = &spec;
  ob->as = &x->frames.back().Effective();
  std::string label = spec.label().empty() ? spec.service() : spec.label();
  int n = ++x->child_labels[label];
  ob->path = x->path + "/" + label + (n > 1 ? "#" + std::to_string(n) : "");
  ob->target = topology_.FindService(spec.service());
  Decision& d = ob->d;

  if (!ob->target) {
    d.Deny(RuleId::kDS6, "EPT_S_NOT_REGISTERED", {},
           {{"service", spec.service()}, {"exists", false}});
    return RefuseOutbound(ob, ctx);
  }
  ob->target_host = topology_.FindHost(ob->target->host);
  bool same_host = ob->target->host == host_;
  v1::Transport transport =
      spec.transport() == v1::TRANSPORT_UNSPECIFIED ? v1::TRANSPORT_NCACN_IP_TCP : spec.transport();
  std::optional<Level> requested = FromWire(spec.level());
  ob->level = requested.value_or(DefaultLevel(spec.api()));
  ob->level_defaulted = !requested;
  if (!requested) {
    d.Set(RuleId::kDF1, "level",
          {{"api", ApiName(spec.api())}, {"default_level", LevelName(ob->level)}});
  }

  v1::Call& call = ob->call;
  call.set_path(ob->path);
  call.set_service(spec.service());
  call.set_from_host(host_);
  call.set_transport(transport);
  call.set_api(spec.api());
  call.set_transport_level(spec.transport_level());
  call.mutable_ops()->Swap(spec.mutable_ops());  // they run at the callee, not here
  for (const std::string& s : x->chain) call.add_chain(s);

  // DS-3: ncalrpc never leaves the host.
  if (transport == v1::TRANSPORT_NCALRPC && !same_host) {
    d.Deny(RuleId::kDS3, "RPC_S_PROTSEQ_NOT_SUPPORTED", {},
           {{"transport", "ncalrpc"}, {"from_host", host_}, {"to_host", ob->target->host}});
    return RefuseOutbound(ob, ctx);
  }
  // IL-2 / IL-3: a thread below impersonate cannot act as the client at all.
  if (!ob->as->primary && (ob->as->level < Level::kImpersonate || ob->as->anonymous())) {
    RuleId rule = ob->as->level == Level::kIdentify ? RuleId::kIL3 : RuleId::kIL2;
    d.Deny(rule, "ERROR_BAD_IMPERSONATION_LEVEL", {}, {{"thread.level", LevelName(ob->as->level)}});
    return RefuseOutbound(ob, ctx);
  }
  if (!spec.on_behalf_of().empty()) {
    // S4U-1: S4U2self names any user without authenticating them; the account's key is all
    // it takes. The call then goes on as that user by protocol transition (S4U-3).
    std::optional<PrincipalId> user = dir_.Find(spec.on_behalf_of());
    if (!user || !spec.protocol_transition()) {
      d.Deny(RuleId::kDS12, "STATUS_NO_SUCH_USER", {},
             {{"on_behalf_of", spec.on_behalf_of()},
              {"exists", user.has_value()},
              {"protocol_transition", spec.protocol_transition()}});
      return RefuseOutbound(ob, ctx);
    }
    const kdc::Principal& p = dir_.Get(*user);
    ob->acting.user = *user;
    ob->acting.groups = p.groups;
    ob->acting.privileges = p.privileges;
    ob->acting.host = host_;
    ob->acting.creds.why = RuleId::kS4U1;
    ob->as = &ob->acting;
    d.Read(RuleId::kS4U1, {{"on_behalf_of", dir_.FullName(*user)}, {"user_authenticated", false}});
  }
  std::string who = dir_.Name(ob->as->user);

  if (transport == v1::TRANSPORT_NCALRPC) {
    // LC-1: a local server gets the caller's own logon session.
    v1::LocalSession* s = call.mutable_local_session();
    s->set_user(ob->as->user);
    s->set_host(host_);
    bool has_creds =
        ob->as->creds.kind == NetCredsKind::kOwnSession || ob->as->creds.kind == NetCredsKind::kTgt;
    if (has_creds && !ob->as->creds.tgt.body().empty()) {
      *s->mutable_tgt() = ob->as->creds.tgt;
      *s->mutable_tgt_view() = ob->as->creds.tgt_view;
    }
    if (has_creds && !ob->as->creds.key.empty()) s->set_key(ob->as->creds.key);
    call.set_package(v1::PACKAGE_NTLM);
    call.set_requested_level(ob->WireLevel(ob->level));
    if (!ob->as->primary) call.set_caller_net_creds(NetCredsName(ob->as->creds));
    d.Read(RuleId::kLC1, {{"transport", "ncalrpc"},
                          {"same_host", true},
                          {"caller.net_creds", NetCredsName(ob->as->creds)}});
    return SendCall(ob, ctx);
  }

  // A network call as this identity needs network credentials (LC-5).
  // The same outcome (RULES.md C18) for an impersonating thread and for a process whose
  // token has no credentials (TK-5).
  if (!same_host && ob->as->creds.kind == NetCredsKind::kNone && !spec.protocol_transition() &&
      spec.use_ticket().empty()) {
    d.Read(ob->as->creds.why, {{who + ".net_creds", "none"}});
    d.Deny(RuleId::kLC5, "DOWNSTREAM_NO_CREDS", "SEC_E_NO_CREDENTIALS",
           {{"caller.net_creds", "none"}, {"to_host", ob->target->host}});
    d.Because(ob->as->creds.why, Fact(who + ".net_creds", "none"));
    if (ob->as->creds.why == RuleId::kLC2) {
      // LC-3: only a delegate-level call from the local server would have carried it on.
      d.Because(RuleId::kLC3, Fact("local_server_asked_delegate", false));
    }
    return RefuseOutbound(ob, ctx);
  }

  // PK-4 / PK-5: Negotiate picks Kerberos when it can work, NTLM otherwise.
  v1::Package asked =
      spec.package() == v1::PACKAGE_UNSPECIFIED ? v1::PACKAGE_NEGOTIATE : spec.package();
  std::optional<kdc::DomainId> my_domain =
      host_info_ ? topology_.KerberosDomain(*host_info_) : std::nullopt;
  std::optional<kdc::DomainId> their_domain =
      ob->target_host ? topology_.KerberosDomain(*ob->target_host) : std::nullopt;
  const kdc::Principal& user = dir_.Get(ob->as->user);
  bool user_in_domain = !ob->as->anonymous() && !dir_.GetDomain(user.domain).workgroup;
  bool kerberos_ok = my_domain && their_domain && user_in_domain && !ob->target->spn.empty() &&
                     !spec.by_ip_address();
  std::vector<Fact> pk = {
      {host_ + ".in_domain", my_domain.has_value()},
      {ob->target->host + ".in_domain", their_domain.has_value()},
      {who + ".domain_account", user_in_domain},
      {spec.service() + ".spn", ob->target->spn.empty() ? "none" : ob->target->spn},
      {"by_ip_address", spec.by_ip_address()}};
  v1::Package package = asked;
  if (asked == v1::PACKAGE_NEGOTIATE) {
    if (same_host) {
      package = v1::PACKAGE_NTLM;
      pk.emplace_back("same_host", true);
      d.Set(RuleId::kPK4, "package", std::move(pk));
    } else {
      package = kerberos_ok ? v1::PACKAGE_KERBEROS : v1::PACKAGE_NTLM;
      RuleId rule = (!my_domain || !their_domain || !user_in_domain) ? RuleId::kPK5 : RuleId::kPK4;
      d.Set(rule, "package", std::move(pk));
    }
  } else if (asked == v1::PACKAGE_KERBEROS && !kerberos_ok) {
    RuleId rule = (!my_domain || !their_domain || !user_in_domain) ? RuleId::kPK5 : RuleId::kPK4;
    d.Deny(rule, "SEC_E_NO_AUTHENTICATING_AUTHORITY", {}, std::move(pk));
    return RefuseOutbound(ob, ctx);
  }
  call.set_package(package);
  // Only an impersonating server's credentials explain anything downstream (LC-2).
  if (!ob->as->primary) call.set_caller_net_creds(NetCredsName(ob->as->creds));
  // LC-5: the credentials this call presents for the identity, named by the rule that gave
  // them (IL-5, KCD-7, S4U-3, LC-1, TK-6, ...); a process's or user's own logon (LC-5) is
  // not delegation. The report reads the delegation mechanism from it (sim/mechanism.h).
  if (ob->as->creds.why != RuleId::kLC5) {
    d.Read(ob->as->creds.why, {{who + ".net_creds", NetCredsName(ob->as->creds)}});
  }

  if (package == v1::PACKAGE_KERBEROS) {
    // TR-2: on a remote named pipe the client's level is ignored; whether the server gets
    // delegate depends on its account (the client delegates to OK-AS-DELEGATE servers).
    if (transport == v1::TRANSPORT_NCACN_NP && !same_host) {
      ob->level_explicit = false;
      ob->want_deleg = true;
    } else {
      ob->want_deleg = ob->level == Level::kDelegate;
    }
    return OutboundKerberos(ob, ctx);
  }
  if (package == v1::PACKAGE_FORMS) {
    // A front door that signs the user in itself: the name and a proof of the password.
    if (ob->as->anonymous() || ob->as->creds.key.empty()) {
      d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", {}, {{who + ".password_known", false}});
      return RefuseOutbound(ob, ctx);
    }
    v1::FormsLogin* login = call.mutable_forms();
    login->set_user(dir_.FullName(ob->as->user));
    login->set_proof(kdc::Hmac(ob->as->creds.key, "forms:" + spec.service()));
    call.set_requested_level(ob->WireLevel(ob->level));
    return SendCall(ob, ctx);
  }
  if (package == v1::PACKAGE_SCHANNEL) {
    // A client certificate mapped to the account, signed by the account domain's CA.
    if (ob->as->anonymous() || ob->as->creds.key.empty()) {
      d.Deny(RuleId::kPK3, "SEC_E_NO_CREDENTIALS", {}, {{who + ".certificate", false}});
      return RefuseOutbound(ob, ctx);
    }
    v1::SchannelCredential* c = call.mutable_schannel();
    c->set_subject(dir_.FullName(ob->as->user));
    c->set_signature(kdc::Hmac(dir_.CertificateAuthorityKey(user.domain), c->subject()));
    call.set_requested_level(ob->WireLevel(ob->level));
    return SendCall(ob, ctx);
  }
  return OutboundNtlm(ob, ctx);
}

void ProcessNode::OutboundNtlm(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  Decision& d = ob->d;
  std::string who = dir_.Name(ob->as->user);
  if (ob->as->anonymous()) {
    ob->call.set_anonymous(true);
    ob->call.set_package(v1::PACKAGE_UNSPECIFIED);
    ob->call.set_requested_level(ob->WireLevel(ob->level));
    return SendCall(ob, ctx);
  }
  if (ob->as->creds.key.empty()) {
    // NTLM answers a challenge with the password's key; a forwarded TGT or S4U ticket
    // cannot (PK-1: only Kerberos carries delegated credentials).
    d.Deny(RuleId::kPK1, "SEC_E_NO_CREDENTIALS", {},
           {{who + ".net_creds", NetCredsName(ob->as->creds)}, {"package", "ntlm"}});
    return RefuseOutbound(ob, ctx);
  }
  v1::Envelope env;
  env.mutable_ntlm_negotiate()->set_workstation(host_);
  pending_.Request(ctx, ob->target->node, std::move(env), topology_.options().request_timeout_ms,
                   [this, ob](v1::Envelope* reply, const Status& status, NodeContext& ctx) {
                     if (!reply || !reply->has_ntlm_challenge()) {
                       ob->d.Deny(
                           RuleId::kDS13, CallFailure(reply, status), {},
                           {{"ntlm_challenge", reply != nullptr ? "missing" : status.message()}});
                       return RefuseOutbound(ob, ctx);
                     }
                     const kdc::Principal& p = dir_.Get(ob->as->user);
                     v1::NtlmAuthenticate* a = ob->call.mutable_ntlm();
                     a->set_user(p.name);
                     a->set_domain(dir_.GetDomain(p.domain).realm);
                     a->set_challenge(reply->ntlm_challenge().server_challenge());
                     a->set_proof(kdc::NtlmProof(ob->as->creds.key, a->challenge()));
                     a->set_workstation(host_);
                     ob->call.set_requested_level(ob->WireLevel(ob->level));
                     SendCall(ob, ctx);
                   });
}

void ProcessNode::OutboundKerberos(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  if (!ob->spec->use_ticket().empty()) {
    // A ticket an explicit KDC request of this hop obtained is presented as it is.
    auto it = ob->x->obtained.find(ob->spec->use_ticket());
    if (it == ob->x->obtained.end()) {
      ob->d.Deny(RuleId::kDS7, "SEC_E_NO_CREDENTIALS", {},
                 {{"obtained(" + ob->spec->use_ticket() + ")", false}});
      return RefuseOutbound(ob, ctx);
    }
    ob->ticket = it->second.first;
    ob->ticket_view = it->second.second;
    ob->d.Read(RuleId::kDS9,
               {{"use_ticket", ob->spec->use_ticket()}, {"ticket.sname", ob->ticket_view.sname()}});
    return OutboundDelegation(ob, ctx);
  }
  const NetCreds& creds = ob->as->creds;
  bool s4u = ob->spec->protocol_transition() ||
             (!ob->as->primary && creds.kind == NetCredsKind::kS4uProxy);
  if (s4u) return OutboundS4U(ob, ctx);
  auto with_tgt = [this, ob](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
    AddTicket(*ob, "tgt", ok, rep, kr,
              "krbtgt/" + dir_.GetDomain(dir_.Get(ob->as->user).domain).realm);
    if (!ok) {
      ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
      DenyFromKdc(ob->d, kr);
      return RefuseOutbound(ob, ctx);
    }
    ob->tgt = std::move(*rep->mutable_ticket());
    ob->tgt_view = std::move(*rep->mutable_view());
    OutboundServiceTicket(ob, ctx);
  };
  if (!creds.tgt.body().empty() && TicketValid(creds.tgt_view, ctx.Now())) {
    ob->tgt = creds.tgt;
    ob->tgt_view = creds.tgt_view;
    v1::KdcRep held;
    *held.mutable_view() = creds.tgt_view;
    AddTicket(*ob, "tgt", true, &held, {}, creds.tgt_view.sname());
    return OutboundServiceTicket(ob, ctx);
  }
  if (creds.key.empty()) {
    Decision kd;
    kd.Deny(creds.tgt.body().empty() ? creds.why : RuleId::kDS2, "SEC_E_NO_CREDENTIALS", {},
            {{dir_.Name(ob->as->user) + ".tgt_valid", false}});
    return with_tgt(false, nullptr, kdc::ToRecord(kd), ctx);
  }
  GetTgt(ob->as->user, creds.key, ob->path, with_tgt, ctx);
}

void ProcessNode::OutboundServiceTicket(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  const Options& opt = topology_.options();
  bool tgt_forwardable = kdc::HasFlag(ob->tgt_view, v1::TICKET_FLAG_FORWARDABLE);
  v1::Envelope env;
  v1::TgsReq* req = env.mutable_tgs_req();
  // "krbtgt/REALM": the clear-text sname, which may be anything a peer sent.
  const std::string& tgt_sname = ob->tgt.sname();
  std::optional<kdc::DomainId> realm =
      dir_.FindDomain(tgt_sname.size() > 7 ? tgt_sname.substr(7) : std::string());
  *req->mutable_tgt() = std::move(ob->tgt);  // not needed again: a referral brings the next
  req->set_sname(ob->target->spn);
  // C17: windows clients ask for forwardable service tickets whenever the TGT is one; the
  // mit policy asks when configured (client_forwardable), whatever the TGT says. MIT's
  // GSS-API library copies FORWARDABLE from the TGT: never asked on a non-forwardable one.
  bool forwardable =
      opt.deleg_policy == DelegPolicy::kWindows || opt.client_library == ClientLibrary::kMitGss
          ? tgt_forwardable && opt.client_forwardable
          : opt.client_forwardable;
  req->mutable_options()->set_forwardable(forwardable);
  req->mutable_options()->set_renewable(opt.client_renewable);
  AskKdc(
      realm.value_or(kdc::kNoDomain), std::move(env), ob->path,
      [this, ob](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        AddTicket(*ob, ok && kdc::IsTgt(rep->view()) ? "referral" : "service", ok, rep, kr,
                  ob->target->spn);
        ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
        bool negotiated = ob->spec->package() == v1::PACKAGE_NEGOTIATE ||
                          ob->spec->package() == v1::PACKAGE_UNSPECIFIED;
        if (!ok && negotiated && kr.rule() == RuleCode(RuleId::kDS7) &&
            !ob->as->creds.key.empty()) {
          // PK-4: Negotiate falls back to NTLM when Kerberos cannot work (no such SPN),
          // silently losing delegation.
          ob->d.Set(RuleId::kPK4, "package",
                    {{ob->target->spn + ".registered", false}, {"package", "ntlm"}});
          ob->d.Because(RuleId::kDS7, Fact("sname", ob->target->spn));
          ob->call.set_package(v1::PACKAGE_NTLM);
          return OutboundNtlm(ob, ctx);
        }
        if (!ok) {
          DenyFromKdc(ob->d, kr);
          return RefuseOutbound(ob, ctx);
        }
        if (kdc::IsTgt(rep->view())) {
          // A referral: ask the next realm's KDC with the cross-realm TGT.
          if (++ob->referrals > kMaxReferrals) {
            ob->d.Deny(RuleId::kDS10, "KDC_ERR_PATH_NOT_ACCEPTED", {},
                       {{"referrals", ob->referrals}});
            return RefuseOutbound(ob, ctx);
          }
          bool ok_as_delegate = kdc::HasFlag(rep->view(), v1::TICKET_FLAG_OK_AS_DELEGATE);
          ob->referral_chain_ok = ob->referral_chain_ok && ok_as_delegate;
          ob->tgt = std::move(*rep->mutable_ticket());
          ob->tgt_view = std::move(*rep->mutable_view());
          return OutboundServiceTicket(ob, ctx);
        }
        ob->ticket = std::move(*rep->mutable_ticket());
        ob->ticket_view = std::move(*rep->mutable_view());
        OutboundDelegation(ob, ctx);
      },
      ctx);
}

void ProcessNode::OutboundS4U(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  // The service acts for the client with its own TGT: S4U2self (protocol transition,
  // S4U-3) when asked, then S4U2proxy with the client's ticket as evidence (KCD-*, RB-*).
  auto proxy = [this, ob](v1::SealedTicket own_tgt, v1::SealedTicket evidence, NodeContext& ctx) {
    v1::Envelope env;
    v1::TgsReq* req = env.mutable_tgs_req();
    *req->mutable_tgt() = own_tgt;
    req->set_sname(ob->target->spn);
    req->mutable_options()->set_cname_in_addl_tkt(true);
    req->mutable_options()->set_forwardable(true);
    req->mutable_options()->set_renewable(topology_.options().client_renewable);
    *req->mutable_evidence() = std::move(evidence);
    req->set_rbcd(true);  // Windows 2012+ always offers resource-based delegation (SFU-CP)
    AskKdc(
        dir_.Get(account_).domain, std::move(env), ob->path,
        [this, ob](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
          AddTicket(*ob, "s4u2proxy", ok, rep, kr, ob->target->spn);
          ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
          if (!ok) {
            DenyFromKdc(ob->d, kr);
            const NetCreds& creds = ob->as->creds;
            bool not_allowed =
                kr.rule() == RuleCode(RuleId::kRB1) || kr.rule() == RuleCode(RuleId::kKCD1);
            if (not_allowed && !ob->spec->protocol_transition() &&
                creds.no_tgt_why != RuleId::kLC5) {
              // Neither delegation path: no A2D2 or RBCD entry (the KDC's rule) and no
              // forwarded TGT, for the reason the hop context gave (IL-4, LC-2 with LC-3).
              ob->d.Because(creds.no_tgt_why, Fact(dir_.Name(ob->as->user) + ".tgt", false));
              if (creds.no_tgt_why == RuleId::kLC2)
                ob->d.Because(RuleId::kLC3, Fact("local_server_asked_delegate", false));
            }
            return RefuseOutbound(ob, ctx);
          }
          ob->ticket = std::move(*rep->mutable_ticket());
          ob->ticket_view = std::move(*rep->mutable_view());
          ob->d.Read(RuleId::kKCD7, {{"ticket_from", "s4u2proxy"}});
          OutboundDelegation(ob, ctx);
        },
        ctx);
  };
  GetTgt(
      account_, key_, ob->path,
      [this, ob, proxy](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        AddTicket(*ob, "s4u_tgt", ok, rep, kr,
                  "krbtgt/" + dir_.GetDomain(dir_.Get(account_).domain).realm);
        if (!ok) {
          ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
          DenyFromKdc(ob->d, kr);
          return RefuseOutbound(ob, ctx);
        }
        v1::SealedTicket own_tgt = rep->ticket();
        if (!ob->spec->protocol_transition()) return proxy(own_tgt, ob->as->creds.evidence, ctx);
        const ServiceInfo* me = topology_.FindService(name_);
        v1::Envelope env;
        v1::TgsReq* req = env.mutable_tgs_req();
        *req->mutable_tgt() = own_tgt;
        // The ticket is to this account: its service's SPN, else the account's first SPN.
        const kdc::Principal& self = dir_.Get(account_);
        req->set_sname(me && !me->spn.empty() ? me->spn
                       : !self.spns.empty()   ? self.spns.front()
                                              : self.name);
        req->set_for_user(dir_.FullName(ob->as->user));
        req->mutable_options()->set_forwardable(true);
        req->mutable_options()->set_renewable(topology_.options().client_renewable);
        std::string self_sname = req->sname();
        AskKdc(
            dir_.Get(account_).domain, std::move(env), ob->path,
            [this, ob, proxy, own_tgt, self_sname](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr,
                                                   NodeContext& ctx) {
              AddTicket(*ob, "s4u2self", ok, rep, kr, self_sname);
              ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
              if (!ok) {
                DenyFromKdc(ob->d, kr);
                return RefuseOutbound(ob, ctx);
              }
              proxy(own_tgt, rep->ticket(), ctx);
            },
            ctx);
      },
      ctx);
}

void ProcessNode::OutboundDelegation(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  Decision& d = ob->d;
  const Options& opt = topology_.options();
  bool via_s4u = ob->ticket_view.pac().transited_services_size() > 0 ||
                 ob->spec->protocol_transition() ||
                 (!ob->as->primary && ob->as->creds.kind == NetCredsKind::kS4uProxy);
  v1::ApReq* ap = ob->call.mutable_kerberos();
  *ap->mutable_ticket() = std::move(ob->ticket);  // ticket_view stays for the hop's flags
  ap->set_client(dir_.FullName(ob->as->user));
  ap->set_ctime_ms(ctx.Now());
  ap->set_seq(++authenticator_seq_);
  bool mutual = ob->spec->mutual() || ob->call.transport() == v1::TRANSPORT_NCACN_NP;
  ap->mutable_flags()->set_mutual(mutual);

  auto send = [this, ob](bool delegated, NodeContext& ctx) {
    Decision& d = ob->d;
    v1::GssFlags* flags = ob->call.mutable_kerberos()->mutable_flags();
    Level level = ob->level;
    if (ob->want_deleg && !delegated && ob->level_explicit) {
      // MA-2: delegate was asked but the context has none. MIT's GSS-API clears
      // GSS_C_DELEG_FLAG silently where the Windows RPC runtime fails the call.
      bool mit_gss = topology_.options().client_library == ClientLibrary::kMitGss;
      bool ignore =
          ob->spec->ignore_delegate_failure() || topology_.options().ignore_delegate_failure;
      if (!ignore && !mit_gss) {
        d.Deny(RuleId::kMA2, "RPC_S_SEC_PKG_ERROR", {},
               {{"requested_level", "delegate"},
                {"delegated", false},
                {"ignore_delegate_failure", false}});
        return RefuseOutbound(ob, ctx);
      }
      std::vector<Fact> facts = {{"ignore_delegate_failure", ignore}, {"level", "impersonate"}};
      if (mit_gss) facts.emplace_back("client_library", "mit_gss");
      d.Clear(RuleId::kMA2, "level", std::move(facts));
      level = Level::kImpersonate;
    }
    if (!ob->level_explicit) level = delegated ? Level::kDelegate : Level::kImpersonate;
    // TR-4: the level travels as GSS flags.
    flags->set_deleg(delegated);
    flags->set_identify(level == Level::kIdentify);
    flags->set_anonymous(level == Level::kAnonymous);
    std::vector<Fact> gss = {{"gss.deleg", delegated},
                             {"gss.identify", level == Level::kIdentify},
                             {"gss.mutual", flags->mutual()}};
    if (delegated || level == Level::kIdentify || level == Level::kAnonymous) {
      d.Set(RuleId::kTR4, "gss_flags", std::move(gss));  // the level became a GSS flag
    } else {
      d.Read(RuleId::kTR4, std::move(gss));
    }
    ob->call.set_requested_level(ob->WireLevel(ob->level_explicit ? level : ob->level));
    SendCall(ob, ctx);
  };

  if (!ob->want_deleg) return send(false, ctx);
  if (via_s4u) {
    // KCD-7 / MA-2: constrained delegation never puts delegation on the context.
    d.Read(RuleId::kMA2, {{"constrained_delegation", true}});
    return send(false, ctx);
  }
  if (!mutual) {
    if (opt.client_library != ClientLibrary::kMitGss) {
      // MA-1: no mutual authentication, no delegation.
      d.Clear(RuleId::kMA1, "delegate", {{"mutual_requested", false}});
      return send(false, ctx);
    }
    // MA-1 is the Windows client's rule: MIT's GSS-API forwards without mutual
    // authentication (init_sec_context.c does not couple the two).
    d.Read(RuleId::kMA1, {{"mutual_requested", false}, {"client_library", "mit_gss"}});
  }
  // UD-2 (with C6, C7, XR-1): forward the TGT only to OK-AS-DELEGATE services, over a
  // referral chain that is OK-AS-DELEGATE too (windows policy), or always (mit policy).
  bool ok_as_delegate = kdc::HasFlag(ob->ticket_view, v1::TICKET_FLAG_OK_AS_DELEGATE);
  std::vector<Fact> facts = {
      {"ticket.ok_as_delegate", ok_as_delegate},
      {"client_policy", opt.deleg_policy == DelegPolicy::kWindows ? "windows" : "always"}};
  if (ob->referrals > 0) facts.emplace_back("referral_chain.ok_as_delegate", ob->referral_chain_ok);
  bool forward =
      opt.deleg_policy == DelegPolicy::kAlways || (ok_as_delegate && ob->referral_chain_ok);
  if (!forward) {
    d.Clear(RuleId::kUD2, "delegate", facts);
    for (const v1::FlagCause& c : ob->ticket_view.causes()) {
      if (c.flag() != "ok_as_delegate") continue;
      std::optional<RuleId> r = ParseRuleId(c.rule());
      size_t eq = c.fact().find('=');
      if (r)
        d.Because(*r, Fact(c.fact().substr(0, eq),
                           eq == std::string::npos ? "" : c.fact().substr(eq + 1)));
    }
    if (ob->referrals > 0 && !ob->referral_chain_ok)
      d.Because(RuleId::kXR1, Fact("referral_chain.ok_as_delegate", false));
    return send(false, ctx);
  }
  d.Read(RuleId::kUD2, std::move(facts));
  // UD-3: ask the home KDC for a FORWARDED TGT.
  auto cached = tgt_cache_.find(ob->as->user);
  const v1::SealedTicket& user_tgt = ob->as->creds.tgt.body().empty() && cached != tgt_cache_.end()
                                         ? cached->second.first
                                         : ob->as->creds.tgt;
  kdc::DomainId home_kdc = dir_.FindDomain(user_tgt.realm()).value_or(kdc::kNoDomain);
  v1::Envelope env;
  v1::TgsReq* req = env.mutable_tgs_req();
  *req->mutable_tgt() = user_tgt;
  req->set_sname("krbtgt/" + user_tgt.realm());
  ob->forward_realm = user_tgt.realm();
  req->mutable_options()->set_forwarded(true);
  req->mutable_options()->set_forwardable(true);
  req->mutable_options()->set_renewable(opt.client_renewable);
  AskKdc(
      home_kdc, std::move(env), ob->path,
      [this, ob, send](bool ok, v1::KdcRep* rep, v1::DecisionRecord kr, NodeContext& ctx) {
        AddTicket(*ob, "forwarded_tgt", ok, rep, kr, "krbtgt/" + ob->forward_realm);
        if (!ok) {
          // UD-4 (AC-1, PU-1): no forwarded TGT; the context has no delegation.
          ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
          Decision kd = kdc::FromRecord(kr);
          ob->d.Clear(kd.rule(), "delegate", kd.Facts());
          ob->d.Because(kd.causes());
          return send(false, ctx);
        }
        ob->kdc_steps.push_back(KdcStep(ok, rep, kr));
        v1::KrbCred* cred = ob->call.mutable_kerberos()->mutable_forwarded_tgt();
        *cred->mutable_tgt() = std::move(*rep->mutable_ticket());
        *cred->mutable_view() = std::move(*rep->mutable_view());
        ob->d.Set(RuleId::kUD3, "delegate", {{"forwarded_tgt", true}});
        send(true, ctx);
      },
      ctx);
}

void ProcessNode::SendCall(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  // The caller's decision is allowed by the first rule that shaped the call (package,
  // delegation, level), or by IL-6 (the client picks the level) when none changed it.
  RuleId decider = RuleId::kIL6;
  for (const Check& c : ob->d.checks()) {
    if (c.effect == Effect::kSet || c.effect == Effect::kClear) {
      decider = c.rule;
      break;
    }
  }
  ob->d.Allow(decider);
  if (ctx.Tracing()) {
    std::string who = ob->as->anonymous() ? "anonymous" : dir_.FullName(ob->as->user);
    Trace(ctx, TraceKind::kAuthDecision, ob->path,
          "call " + ob->target->name + " as " + who + " over " +
              std::string(TransportName(ob->call.transport())) + "/" +
              std::string(PackageName(ob->call.package())),
          &ob->d);
  }
  // The call moves into the envelope; only what a refusal reports stays behind.
  v1::Envelope env;
  env.mutable_call()->Swap(&ob->call);
  if (ob->spec->replay_authenticator() && !ob->is_replay) ob->sent = env.call();
  ob->call.set_transport(env.call().transport());
  ob->call.set_package(env.call().package());
  pending_.Request(
      ctx, ob->target->node, std::move(env), CallReplyTimeout(topology_.options(), ob->path),
      [this, ob](v1::Envelope* reply, const Status& status, NodeContext& ctx) {
        if (!reply || !reply->has_call_reply()) {
          ob->d.Deny(RuleId::kDS13, CallFailure(reply, status), {},
                     {{"reply", reply != nullptr ? "not a call reply" : status.message()}});
          return RefuseOutbound(ob, ctx);
        }
        FinishOutbound(ob, std::move(*reply->mutable_call_reply()->mutable_result()), ctx);
      });
}

void ProcessNode::RefuseOutbound(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  v1::HopResult child;
  child.set_path(ob->path);
  child.set_service(ob->spec->service());
  child.set_host(ob->target ? ob->target->host : "");
  child.set_from_host(host_);
  child.set_level(v1::LEVEL_DEFAULT);
  child.set_net_creds("none");
  child.set_package(ob->call.package());
  child.set_verdict("denied");
  Trace(ctx, TraceKind::kCallRefused, ob->path,
        "call " + ob->spec->service() + " refused at the caller", &ob->d);
  FinishOutbound(ob, std::move(child), ctx);
}

void ProcessNode::FinishOutbound(const std::shared_ptr<Outbound>& ob, v1::HopResult child,
                                 NodeContext& ctx) {
  // The caller's decision comes first, then the KDC's, then the callee's own steps.
  google::protobuf::RepeatedPtrField<std::string> steps;
  steps.Add(kdc::EncodeRecord(ob->d));
  for (std::string& r : ob->kdc_steps) steps.Add(std::move(r));
  for (std::string& r : *child.mutable_steps()) steps.Add(std::move(r));
  child.mutable_steps()->Swap(&steps);
  if (child.verdict() == "denied" && !child.has_decision())
    *child.mutable_decision() = kdc::ToRecord(ob->d);
  if (!ob->ticket_view.sname().empty()) child.set_ticket_flags(ob->ticket_view.flags());
  for (v1::HopTicket& t : ob->tickets) child.add_tickets()->Swap(&t);
  // The hop is recorded once, here, by its caller; its own calls were recorded before it.
  auto hop = std::make_shared<const v1::HopResult>(std::move(child));
  // A replay is reported beside the call it repeats, never in its place.
  if (!ob->is_replay) ob->x->last_hop = hop;
  if (ctx.Tracing()) {
    TraceRecord rec;
    rec.kind = TraceKind::kHop;
    rec.path = ob->path;
    rec.summary =
        ob->spec->service() + " " + hop->verdict() +
        (hop->identity().empty() ? "" : " as " + hop->identity()) + ", level " +
        std::string(FromWire(hop->level()) ? LevelName(*FromWire(hop->level())) : "none") +
        ", net_creds=" + hop->net_creds();
    rec.hop = hop;
    ctx.Trace(std::move(rec));
  }
  if (ob->sent) return ReplayOutbound(ob, ctx);
  Run(ob->x, ctx);
}

void ProcessNode::ReplayOutbound(const std::shared_ptr<Outbound>& ob, NodeContext& ctx) {
  auto again = std::make_shared<Outbound>();
  again->x = ob->x;
  again->spec = ob->spec;
  again->as = ob->as;
  again->target = ob->target;
  again->target_host = ob->target_host;
  again->path = ob->path + "#replay";
  again->is_replay = true;
  again->call = std::move(*ob->sent);
  ob->sent.reset();
  again->call.set_path(again->path);
  again->d.Read(RuleId::kDS16,
                {{"replay_of", ob->path},
                 {"authenticator.seq", static_cast<int64_t>(again->call.kerberos().seq())}});
  SendCall(again, ctx);
}

// ---------------------------------------------------------------------------------------
// ServiceNode.

ServiceNode::ServiceNode(Topology& topology, const ServiceInfo& service)
    : ProcessNode(service.name, service.host, topology, service.account,
                  topology.directory().KeyOf(service.account)),
      service_(service) {
  // The service process runs with the privileges granted to it (TK-3, TK-8, TK-10).
  process_privileges_ = service.privileges;
}

void ServiceNode::HandleRequest(v1::Envelope& env, NodeContext& ctx) {
  if (env.has_ntlm_negotiate()) {
    // A fresh, deterministic 8-byte challenge per negotiation.
    std::string challenge =
        kdc::Hmac(key_, name_ + "/" + std::to_string(++challenge_counter_)).substr(0, 8);
    challenges_[env.from()] = challenge;
    v1::Envelope reply;
    reply.set_to(env.from());
    reply.set_correlation(env.correlation());
    reply.mutable_ntlm_challenge()->set_server_challenge(challenge);
    ctx.Send(std::move(reply));
    return;
  }
  if (env.has_call()) HandleCall(env, ctx);
}

void ServiceNode::HandleCall(v1::Envelope& env, NodeContext& ctx) {
  const v1::Call& call = env.call();
  Decision d;
  // Whether the caller is on this host is the runtime's word (it knows which node sent
  // the envelope), never the call's own `from_host`.
  const bool same_host = ctx.SameHost(env.from());
  if (call.transport() == v1::TRANSPORT_NCALRPC && !same_host) {
    // DS-3: ncalrpc is local only.
    d.Deny(RuleId::kDS3, "RPC_S_PROTSEQ_NOT_SUPPORTED", {},
           {{"transport", "ncalrpc"},
            {"from_host", call.from_host()},
            {"host", host_},
            {"sender_on_host", false}});
    return Refuse(env, std::move(d), ctx);
  }
  const auto& ts = service_.transports;
  if (std::find(ts.begin(), ts.end(), call.transport()) == ts.end()) {
    // DS-6: the service does not listen on that protocol sequence.
    d.Deny(RuleId::kDS6, "RPC_S_PROTSEQ_NOT_SUPPORTED", {},
           {{"transport", TransportName(call.transport())}, {name_ + ".listens", false}});
    return Refuse(env, std::move(d), ctx);
  }
  int hop_limit = topology_.options().hop_limit;
  if (call.chain_size() >= hop_limit) {
    // DS-4: chains are bounded.
    d.Deny(RuleId::kDS4, "RPC_S_CALL_FAILED", {},
           {{"hops", call.chain_size() + 1}, {"hop_limit", hop_limit}});
    return Refuse(env, std::move(d), ctx);
  }
  if (std::find(call.chain().begin(), call.chain().end(), name_) != call.chain().end()) {
    // DS-5: a chain that re-enters a service already on it is a cycle.
    d.Deny(RuleId::kDS5, "RPC_S_CALL_FAILED", {}, {{"service", name_}, {"already_on_chain", true}});
    return Refuse(env, std::move(d), ctx);
  }

  switch (call.auth_case()) {
    case v1::Call::kKerberos: {
      const v1::ApReq& ap = call.kerberos();
      StatusOr<v1::TicketBody> t = kdc::Open(ap.ticket(), key_);
      if (!t.ok()) {
        // DS-1: a forged or altered ticket.
        d.Deny(RuleId::kDS1, "KRB_AP_ERR_MODIFIED", {}, {{"ticket.seal_valid", false}});
        return Refuse(env, std::move(d), ctx);
      }
      if (InvalidLogon(t->client(), t->pac().groups())) {
        // A sealed ticket names only principals of the directory; anything else is forged.
        d.Deny(RuleId::kDS1, "KRB_AP_ERR_MODIFIED", {}, {{"ticket.client_known", false}});
        return Refuse(env, std::move(d), ctx);
      }
      if (t->server() != account_) {
        d.Deny(
            RuleId::kDS11, "KRB_AP_ERR_NOT_US", {},
            {{"ticket.server", dir_.Name(t->server())}, {"service.account", dir_.Name(account_)}});
        return Refuse(env, std::move(d), ctx);
      }
      if (ctx.Now() < t->start_ms() || ctx.Now() >= t->end_ms()) {
        d.Deny(RuleId::kDS2,
               ctx.Now() < t->start_ms() ? "KRB_AP_ERR_TKT_NYV" : "KRB_AP_ERR_TKT_EXPIRED", {},
               {{"ticket.end_ms", t->end_ms()}, {"now_ms", ctx.Now()}});
        return Refuse(env, std::move(d), ctx);
      }
      if (IsReplay(ap, ctx.Now())) {
        d.Deny(RuleId::kDS16, "KRB_AP_ERR_REPEAT", {},
               {{"authenticator.ctime_ms", ap.ctime_ms()},
                {"authenticator.seq", static_cast<int64_t>(ap.seq())},
                {"seen_before", true}});
        return Refuse(env, std::move(d), ctx);
      }
      d.Read(RuleId::kDS1,
             {{"ticket.seal_valid", true}, {"ticket.flags", kdc::KlistFlags(t->flags())}});
      d.Allow(RuleId::kDS1);
      std::vector<PrincipalId> groups(t->pac().groups().begin(), t->pac().groups().end());
      return Authenticated(env, t->client(), std::move(groups), std::move(d), ctx);
    }
    case v1::Call::kNtlm: {
      const v1::NtlmAuthenticate& a = call.ntlm();
      auto issued = challenges_.find(env.from());
      if (issued == challenges_.end() || issued->second != a.challenge()) {
        d.Deny(RuleId::kDS12, "SEC_E_INVALID_TOKEN", {}, {{"challenge_matches", false}});
        return Refuse(env, std::move(d), ctx);
      }
      challenges_.erase(issued);
      std::optional<kdc::DomainId> domain = dir_.FindDomain(a.domain());
      std::optional<kdc::DomainId> mine =
          host_info_ ? topology_.KerberosDomain(*host_info_) : std::nullopt;
      bool local = domain && dir_.GetDomain(*domain).workgroup;
      if (local || !mine) {
        // A local account (or a workgroup server): the host's SAM validates it.
        kdc::NtlmResult r = topology_.kdc().ValidateNtlm(a);
        if ((local || !mine) && !kdc::EqualsIgnoreCase(a.domain(), host_)) {
          Decision other;
          other.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_SUCH_USER",
                     {{"account_domain", a.domain()}, {"host", host_}});
          r.decision = std::move(other);
        }
        if (!r.decision.allowed()) return Refuse(env, std::move(r.decision), ctx);
        return Authenticated(env, r.user, dir_.Get(r.user).groups, std::move(r.decision), ctx);
      }
      if (!domain || !dir_.TrustPath(*domain, *mine)) {
        d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_TRUST_SAM_ACCOUNT",
               {{"account_domain", a.domain()}, {"trusted", false}});
        return Refuse(env, std::move(d), ctx);
      }
      // NetLogon pass-through to the account's domain controller.
      v1::Envelope req;
      *req.mutable_ntlm_validate_req()->mutable_authenticate() = a;
      req.mutable_ntlm_validate_req()->set_service_host(host_);
      std::optional<NodeId> dc = topology_.KdcNode(*domain);
      if (!dc) {
        d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_LOGON_SERVERS",
               {{"dc", a.domain()}});
        return Refuse(env, std::move(d), ctx);
      }
      pending_.Request(
          ctx, *dc, std::move(req), topology_.options().request_timeout_ms,
          [this, env](v1::Envelope* reply, const Status& status, NodeContext& ctx) mutable {
            Decision d;
            if (!reply || !reply->has_ntlm_validate_rep()) {
              d.Deny(RuleId::kDS13, "STATUS_NO_LOGON_SERVERS", {},
                     {{"netlogon", reply != nullptr ? "bad reply" : status.message()}});
              return Refuse(env, std::move(d), ctx);
            }
            const v1::NtlmValidateRep& rep = reply->ntlm_validate_rep();
            d = kdc::FromRecord(rep.decision());
            if (!rep.ok()) return Refuse(env, std::move(d), ctx);
            // Ids from the wire become principals only when they name one.
            if (std::optional<Fact> bad = InvalidLogon(rep.user(), rep.groups()); bad) {
              Decision invalid;
              invalid.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", "STATUS_NO_SUCH_USER",
                           {std::move(*bad)});
              return Refuse(env, std::move(invalid), ctx);
            }
            std::vector<PrincipalId> groups(rep.groups().begin(), rep.groups().end());
            Authenticated(env, rep.user(), std::move(groups), std::move(d), ctx);
          });
      return;
    }
    case v1::Call::kSchannel: {
      const v1::SchannelCredential& c = call.schannel();
      std::optional<PrincipalId> user = dir_.Find(c.subject());
      bool ok =
          user && kdc::MacEquals(
                      kdc::Hmac(dir_.CertificateAuthorityKey(dir_.Get(*user).domain), c.subject()),
                      c.signature());
      if (!ok) {
        d.Deny(RuleId::kDS12, "SEC_E_CERT_UNKNOWN", {}, {{"certificate_valid", false}});
        return Refuse(env, std::move(d), ctx);
      }
      d.Read(RuleId::kDS12, {{"certificate_valid", true}, {"subject", c.subject()}});
      d.Allow(RuleId::kDS12);
      return Authenticated(env, *user, dir_.Get(*user).groups, std::move(d), ctx);
    }
    case v1::Call::kForms: {
      // The front door checks the password itself (against the account, as an LDAP bind
      // would); it gets the user's name, not a Windows logon.
      const v1::FormsLogin& login = call.forms();
      std::optional<PrincipalId> user = dir_.Find(login.user());
      bool ok =
          user && kdc::MacEquals(kdc::Hmac(dir_.KeyOf(*user), "forms:" + name_), login.proof());
      if (!ok) {
        d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", {},
               {{"forms.user", login.user()}, {"password_valid", false}});
        return Refuse(env, std::move(d), ctx);
      }
      d.Read(RuleId::kDS12, {{"forms.user", login.user()}, {"password_valid", true}});
      d.Allow(RuleId::kDS12);
      return Authenticated(env, *user, dir_.Get(*user).groups, std::move(d), ctx);
    }
    case v1::Call::kAnonymous:
      d.Read(RuleId::kIL2, {{"credentials", "none"}});
      d.Allow(RuleId::kIL2);
      return Authenticated(env, kdc::kNobody, {}, std::move(d), ctx);
    default:
      if (call.has_local_session() && call.transport() == v1::TRANSPORT_NCALRPC) {
        PrincipalId user = call.local_session().user();
        if (InvalidLogon(user, {})) {
          d.Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE", {},
                 {{"local_session.user", static_cast<int64_t>(user)}});
          return Refuse(env, std::move(d), ctx);
        }
        d.Read(RuleId::kLC1, {{"local_session", dir_.Name(user)}});
        d.Allow(RuleId::kLC1);
        return Authenticated(env, user, dir_.Get(user).groups, std::move(d), ctx);
      }
      d.Deny(RuleId::kDS12, "SEC_E_INVALID_TOKEN", {}, {{"credentials", "missing"}});
      return Refuse(env, std::move(d), ctx);
  }
}

void ServiceNode::Authenticated(v1::Envelope& env, PrincipalId user,
                                std::vector<PrincipalId> groups, Decision auth, NodeContext& ctx) {
  const v1::Call& call = env.call();
  const kdc::Principal& account = dir_.Get(account_);
  Inbound in;
  in.transport = call.transport();
  in.same_host = ctx.SameHost(env.from());
  in.package = call.auth_case() == v1::Call::kAnonymous ? v1::PACKAGE_UNSPECIFIED : call.package();
  in.requested = FromWire(call.requested_level());
  in.api = call.api();
  bool forwarded = call.has_kerberos() && call.kerberos().flags().deleg() &&
                   !call.kerberos().forwarded_tgt().tgt().body().empty();
  if (call.has_kerberos()) in.flags = call.kerberos().flags();
  in.tgt_forwarded = forwarded;
  in.transport_level = call.transport_level();
  const std::string& cc = call.caller_net_creds();
  in.caller_creds = cc == "own_session"             ? NetCredsKind::kOwnSession
                    : cc == "tgt"                   ? NetCredsKind::kTgt
                    : cc.rfind("s4u_proxy", 0) == 0 ? NetCredsKind::kS4uProxy
                                                    : NetCredsKind::kNone;
  in.caller_is_service_account = user == account_;
  const v1::LocalSession& ls = call.local_session();
  in.local_session_creds = !ls.tgt().body().empty() || !ls.key().empty();

  ServerFacts server;
  server.account = account.name;
  server.trusted_for_delegation = account.uac & kdc::uf::kTrustedForDelegation;
  server.trusted_to_auth_for_delegation = account.uac & kdc::uf::kTrustedToAuthForDelegation;
  server.has_impersonate_privilege =
      std::find(service_.privileges.begin(), service_.privileges.end(), "SeImpersonatePrivilege") !=
      service_.privileges.end();
  HopContext h = DeriveHopContext(in, server);

  Token client;
  bool hidden = h.level == Level::kAnonymous;  // IL-2: no identity at anonymous level
  client.user = hidden ? kdc::kNobody : user;
  if (!hidden) {
    client.groups = std::move(groups);
    if (user != kdc::kNobody) client.privileges = dir_.Get(user).privileges;
  }
  client.level = h.level;
  client.host = host_;
  client.creds.kind = h.creds;
  client.creds.why = h.creds_rule;
  // The ticket the client presented: evidence for an explicit S4U2proxy (KdcRequestSpec).
  if (call.has_kerberos() && h.creds != NetCredsKind::kS4uProxy && !hidden) {
    client.creds.evidence = call.kerberos().ticket();
  }
  switch (h.creds) {
    case NetCredsKind::kTgt: {
      // The forwarded TGT moves into the client's logon session; nothing reads it again.
      v1::KrbCred* forwarded_tgt = env.mutable_call()->mutable_kerberos()->mutable_forwarded_tgt();
      client.creds.tgt = std::move(*forwarded_tgt->mutable_tgt());
      client.creds.tgt_view = std::move(*forwarded_tgt->mutable_view());
      break;
    }
    case NetCredsKind::kOwnSession:
      client.creds.tgt = ls.tgt();
      client.creds.tgt_view = ls.tgt_view();
      client.creds.key = ls.key();
      break;
    case NetCredsKind::kS4uProxy:
      if (call.has_kerberos()) {
        client.creds.evidence = call.kerberos().ticket();
        client.creds.evidence_view = kdc::Open(call.kerberos().ticket(), key_).value();
      }
      client.creds.targets = service_.s4u_targets;
      client.creds.no_tgt_why = h.no_tgt_rule;
      break;
    case NetCredsKind::kNone:
      break;
  }

  v1::HopResult r;
  r.set_path(call.path());
  r.set_service(name_);
  r.set_host(host_);
  r.set_from_host(call.from_host());
  r.set_identity(client.anonymous() ? "" : dir_.FullName(client.user));
  r.set_level(ToWire(h.level));
  r.set_net_creds(NetCredsName(client.creds));
  r.set_package(in.package);
  r.set_verdict("allowed");
  if (call.transport() == v1::TRANSPORT_NCACN_NP) r.set_transport_level(call.transport_level());
  if (call.has_kerberos()) *r.mutable_gss_flags() = call.kerberos().flags();
  *r.mutable_decision() = kdc::ToRecord(h.decision);
  r.add_steps(kdc::EncodeRecord(auth));
  r.add_steps(r.decision().SerializeAsString());

  if (ctx.Tracing()) {
    TraceRecord rec;
    rec.kind = TraceKind::kImpersonate;
    rec.path = call.path();
    rec.summary = "impersonating " +
                  (client.anonymous() ? std::string("anonymous") : dir_.FullName(client.user)) +
                  " at " + std::string(LevelName(h.level)) + ", net_creds=" + r.net_creds();
    rec.decision = std::make_shared<const Decision>(std::move(h.decision));
    rec.token = ViewOf(client);
    ctx.Trace(std::move(rec));
  }

  std::vector<std::string> chain(call.chain().begin(), call.chain().end());
  chain.push_back(name_);
  ExecPtr x = NewExecution(call.path(), std::move(chain), PrimaryToken(), std::move(client));
  x->result = std::move(r);
  x->done = [this, to = env.from(), correlation = env.correlation()](Execution& x,
                                                                     NodeContext& ctx) {
    Reply(to, correlation, std::move(x.result), ctx);
  };
  x->plan.Swap(env.mutable_call());  // the plan moves in; `call` is not used after this
  Run(x, ctx);
}

bool ServiceNode::IsReplay(const v1::ApReq& ap, Time now) {
  constexpr Time kClockSkew = 5 * 60 * 1000;  // RFC 4120's customary 5 minutes
  while (!replay_expiry_.empty() &&
         (replay_expiry_.front().first <= now || replay_expiry_.size() > kMaxReplayEntries)) {
    replay_seen_.erase(replay_expiry_.front().second);
    replay_expiry_.pop_front();
  }
  std::string key = ap.ticket().mac();
  key += '|' + std::to_string(ap.ctime_ms()) + '|' + std::to_string(ap.seq());
  if (replay_seen_.count(key)) return true;
  replay_seen_.insert(key);
  replay_expiry_.emplace_back(ap.ctime_ms() + kClockSkew, std::move(key));
  return false;
}

std::optional<Fact> ServiceNode::InvalidLogon(
    PrincipalId user, const google::protobuf::RepeatedField<uint32_t>& groups) const {
  auto known = [&](PrincipalId id) { return id != kdc::kNobody && id <= dir_.principal_count(); };
  if (!known(user)) return Fact("user_id", static_cast<int64_t>(user));
  kdc::PrincipalKind kind = dir_.Get(user).kind;
  if (kind == kdc::PrincipalKind::kGroup || kind == kdc::PrincipalKind::kKrbtgt) {
    return Fact("user_kind", std::string(kdc::PrincipalKindName(kind)));
  }
  for (uint32_t g : groups) {
    if (!known(g) || dir_.Get(g).kind != kdc::PrincipalKind::kGroup) {
      return Fact("group_id", static_cast<int64_t>(g));
    }
  }
  return std::nullopt;
}

void ServiceNode::Reply(NodeId to, uint64_t correlation, v1::HopResult result, NodeContext& ctx) {
  v1::Envelope reply;
  reply.set_to(to);
  reply.set_correlation(correlation);
  *reply.mutable_call_reply()->mutable_result() = std::move(result);
  ctx.Send(std::move(reply));
}

void ServiceNode::Refuse(const v1::Envelope& request, Decision d, NodeContext& ctx) {
  const v1::Call& call = request.call();
  Trace(ctx, TraceKind::kCallRefused, call.path(), "refused " + call.path(), &d);
  v1::HopResult r;
  r.set_path(call.path());
  r.set_service(name_);
  r.set_host(host_);
  r.set_from_host(call.from_host());
  r.set_level(v1::LEVEL_DEFAULT);
  r.set_net_creds("none");
  r.set_package(call.package());
  r.set_verdict("denied");
  *r.mutable_decision() = kdc::ToRecord(d);
  r.add_steps(r.decision().SerializeAsString());
  Reply(request.from(), request.correlation(), std::move(r), ctx);
}

// ---------------------------------------------------------------------------------------
// ClientNode.

ClientNode::ClientNode(Topology& topology, std::string host, PrincipalId user, std::string key)
    : ProcessNode(topology.directory().Name(user) + "@" + host, host, topology, user,
                  std::move(key)) {}

void ClientNode::StartCall(const std::string& label, const v1::CallSpec& spec, NodeContext& ctx,
                           CallDone done) {
  ExecPtr x = NewExecution(label, {}, PrimaryToken(), std::nullopt);
  *x->plan.add_ops()->mutable_call() = spec;
  x->done = [done = std::move(done)](Execution& x, NodeContext& ctx) {
    done(x.last_hop ? *x.last_hop : v1::HopResult(), ctx);
  };
  Run(x, ctx);
}

}  // namespace delegsim::nodes
