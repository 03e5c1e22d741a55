// ProcessNode: the operations that finish at once (TK-*, IL-2, IL-3).
#include <algorithm>

#include "common/saturating.h"
#include "kdc/crypto.h"
#include "kdc/uac.h"
#include "nodes/kdc_node.h"
#include "nodes/process_node_internal.h"

namespace delegsim::nodes {

using internal::ViewOf;

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
    d.Deny(RuleId::kTK11, "ERROR_FILE_NOT_FOUND", {}, {{op.object(), ".exists", false}});
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
                 {{p.name, ".password_valid", false}});
    } else {
      local.Read(RuleId::kDS12, {{p.name, ".password_valid", true}});
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

}  // namespace delegsim::nodes
