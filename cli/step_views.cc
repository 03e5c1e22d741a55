// `delegsim step`: how an event, a protocol message, a ticket, a token and a decision
// are shown (the views of `token`, `ticket`, `message` and `why`).
#include "cli/step_internal.h"

namespace delegsim::cli::step_internal {

std::string Stepper::NodeName(uint32_t id) const {
  if (id >= 1 && id <= node_names_.size()) return node_names_[id - 1];
  return "node " + std::to_string(id);
}

std::string Stepper::Principal(uint32_t id) const {
  if (id == kdc::kNobody) return "anonymous";
  if (id > world_->directory().principal_count()) return "principal " + std::to_string(id);
  return world_->directory().FullName(id);
}

std::string Stepper::TicketLine(const v1::TicketBody& t) const {
  return Principal(t.client()) + " -> " + t.sname() + " [" + kdc::KlistFlags(t.flags()) + "]";
}

std::string Stepper::Header(const TraceRecord& r) const {
  std::string head = paint_.Dim("[" + Seq(r.seq) + " " + std::to_string(r.time) + " ms]") + " " +
                     paint_.Bold(r.node) + "  " + paint_.Cyan(nodes::TraceKindName(r.kind));
  std::string path = PathOf(r);
  if (!path.empty()) head += "  " + path;
  return head;
}

std::string Stepper::DescribeMessage(const v1::Envelope& env) const {
  switch (env.body_case()) {
    case v1::Envelope::kAsReq: {
      const v1::AsReq& req = env.as_req();
      return "AS-REQ: a TGT for " + req.client() +
             (req.options().forwardable() ? ", forwardable asked" : "") +
             (req.preauth().empty() ? ", no pre-authentication" : ", pre-authenticated");
    }
    case v1::Envelope::kTgsReq: {
      const v1::TgsReq& req = env.tgs_req();
      std::optional<v1::TicketBody> tgt = Peek(req.tgt());
      std::string as = tgt ? " (TGT of " + Principal(tgt->client()) + ")" : "";
      std::string opts = req.options().forwardable() ? ", forwardable asked" : "";
      if (req.options().cname_in_addl_tkt()) {
        std::optional<v1::TicketBody> ev = Peek(req.evidence());
        return "TGS-REQ with S4U2Proxy: a ticket to " + req.sname() + " for " +
               (ev ? Principal(ev->client()) : std::string("?")) + as + opts +
               (req.rbcd() ? ", resource-based" : "") + (ev ? "; evidence " + TicketLine(*ev) : "");
      }
      if (!req.for_user().empty()) {
        return "TGS-REQ with S4U2Self: a ticket to " + req.sname() + " for " + req.for_user() + as +
               opts;
      }
      if (req.options().forwarded()) return "TGS-REQ: a forwarded TGT" + as + opts;
      return "TGS-REQ: a ticket to " + req.sname() + as + opts;
    }
    case v1::Envelope::kKdcRep:
      return "KDC-REP: ticket " + TicketLine(env.kdc_rep().view());
    case v1::Envelope::kKdcError: {
      const v1::DecisionRecord& d = env.kdc_error().decision();
      return "KRB-ERROR " + env.kdc_error().error() +
             (d.rule().empty() ? "" : " (denied by " + d.rule() + ")");
    }
    case v1::Envelope::kCall: {
      const v1::Call& c = env.call();
      std::string s = "CALL " + c.path() + " to " + c.service() + " at requested level " +
                      LevelText(c.requested_level()) + " over " +
                      std::string(nodes::TransportName(c.transport())) + ", " +
                      std::string(nodes::PackageName(c.package()));
      switch (c.auth_case()) {
        case v1::Call::kKerberos: {
          const v1::ApReq& ap = c.kerberos();
          std::optional<v1::TicketBody> t = Peek(ap.ticket());
          s += "; AP-REQ with ticket " + (t ? TicketLine(*t) : ap.ticket().sname());
          s += ap.flags().deleg() && !ap.forwarded_tgt().tgt().body().empty()
                   ? ", TGT forwarded [" + kdc::KlistFlags(ap.forwarded_tgt().view().flags()) + "]"
                   : ", no TGT forwarded";
          if (ap.flags().mutual()) s += ", mutual";
          break;
        }
        case v1::Call::kNtlm:
          s += "; NTLM AUTHENTICATE as " + c.ntlm().user() + "@" + c.ntlm().domain();
          break;
        case v1::Call::kSchannel:
          s += "; client certificate of " + c.schannel().subject();
          break;
        case v1::Call::kAnonymous:
          s += "; no credentials (anonymous)";
          break;
        case v1::Call::kForms:
          s += "; forms sign-in as " + c.forms().user() + " (the service checks the password)";
          break;
        default:
          if (c.has_local_session()) {
            s += "; the caller's logon session (" + Principal(c.local_session().user()) + ")";
          }
          break;
      }
      if (!c.caller_net_creds().empty()) s += "; caller net_creds=" + c.caller_net_creds();
      return s;
    }
    case v1::Envelope::kCallReply: {
      const v1::HopResult& h = env.call_reply().result();
      if (h.verdict() == "denied") {
        return "REPLY " + h.path() + ": denied by " + h.decision().rule() +
               (h.decision().error().empty() ? "" : " (" + h.decision().error() + ")");
      }
      return "REPLY " + h.path() + ": allowed as " +
             (h.identity().empty() ? "anonymous" : h.identity()) + ", level " +
             LevelText(h.level()) + ", net_creds=" + h.net_creds();
    }
    default:
      return nodes::DescribeEnvelope(env);
  }
}

void Stepper::ShowDecision(const Decision& d, const std::string& summary) {
  out_ << "  " << summary << "\n";
  std::string verdict = d.allowed() ? paint_.Green("ALLOWED") : paint_.Red("DENIED");
  out_ << "  " << verdict << " by " << paint_.Yellow(RuleCode(d.rule()));
  if (!d.error().empty()) out_ << " (" << d.error() << ")";
  out_ << "\n";
  std::vector<std::string> effects;
  for (const Check& c : d.checks()) {
    if (c.effect == Effect::kSet || c.effect == Effect::kClear) {
      effects.push_back(c.what + (c.effect == Effect::kSet ? " set by " : " cleared by ") +
                        std::string(RuleCode(c.rule)));
    }
  }
  if (!effects.empty()) out_ << "  effects: " << Join(effects, ", ") << "\n";
  // The facts the deciding rule read (all facts when it read none), without repeats.
  std::vector<std::string> facts;
  auto add = [&](const Fact& f) {
    std::string s = f.ToString();
    if (std::find(facts.begin(), facts.end(), s) == facts.end()) facts.push_back(s);
  };
  for (const Check& c : d.checks()) {
    if (c.rule == d.rule()) std::for_each(c.facts.begin(), c.facts.end(), add);
  }
  if (facts.empty()) {
    for (const Fact& f : d.Facts()) add(f);
  }
  if (!facts.empty()) {
    size_t shown = std::min(facts.size(), kMaxEventFacts);
    std::vector<std::string> head(facts.begin(), facts.begin() + shown);
    out_ << "  facts: " << EscapeUnsafe(Join(head, ", "));
    if (shown < facts.size()) out_ << " (+" << facts.size() - shown << " more: why)";
    out_ << "\n";
  }
  std::string reason = std::string(Rule(d.rule()).statement);
  std::vector<std::string> causes;
  for (const Cause& c : d.causes()) {
    causes.push_back(std::string(RuleCode(c.rule)) + ": " + c.fact.ToString());
  }
  if (!causes.empty()) reason += " Because " + Join(causes, "; ") + ".";
  out_ << "  reason: " << EscapeUnsafe(reason) << "\n";
}

void Stepper::ShowEvent(const TraceRecord& r) {
  out_ << Header(r) << "\n";
  if (r.decision) {
    ShowDecision(*r.decision, r.summary);
  } else if (IsMessage(r) && r.message) {
    const v1::Envelope& env = *r.message;
    out_ << "  " << NodeName(env.from()) << " -> " << NodeName(env.to()) << ": "
         << EscapeUnsafe(DescribeMessage(env)) << "\n";
  } else {
    out_ << "  " << r.summary << "\n";
    std::vector<std::string> rules = r.Rules();
    if (r.kind == TraceKind::kHop && r.hop && r.hop->verdict() == "allowed") {
      out_ << "  delegation: " << Delegation(*r.hop) << "\n";
    } else if (r.kind == TraceKind::kHop && !rules.empty()) {
      out_ << "  decided by " << paint_.Yellow(rules.front()) << "\n";
    }
  }
  if (r.token) {
    const nodes::TokenView& t = *r.token;
    out_ << "  token: " << Principal(t.user) << ", " << t.level << ", net_creds=" << t.net_creds
         << (t.primary ? ", primary token" : ", thread token") << "\n";
  }
}

void Stepper::CmdToken() {
  const TraceRecord& cur = history_[cursor_];
  // The thread of the hop this event belongs to, on this event's node: never a token of
  // another call or another node.
  const std::string path = PathOf(cur);
  if (path.empty()) {
    out_ << "no server thread at this event: " << cur.node << " " << nodes::TraceKindName(cur.kind)
         << " belongs to no hop (a client's logon or a KDC exchange)\n";
    return;
  }
  const TraceRecord* found = nullptr;
  for (size_t i = cursor_ + 1; found == nullptr && i-- > 0;) {
    const TraceRecord& r = history_[i];
    if (r.token && r.node == cur.node && IsAncestorOrSelf(r.path, path)) found = &r;
  }
  if (found == nullptr) {
    out_ << "no token for " << path << " on " << cur.node << " yet: "
         << (cur.node.find('@') != std::string::npos
                 ? "a client runs as its own logon session"
                 : "the service has not impersonated the caller at this event")
         << "\n";
    return;
  }
  std::string where = "token of " + found->node + "'s thread for " + found->path;
  const nodes::TokenView& t = *found->token;
  std::vector<std::string> groups;
  for (uint32_t g : t.groups) groups.push_back(Principal(g));
  out_ << where << " (" << Seq(found->seq) << " " << nodes::TraceKindName(found->kind) << ")\n"
       << "  identity    " << paint_.Bold(Principal(t.user)) << "\n"
       << "  groups      " << (groups.empty() ? "none" : Join(groups, ", ")) << "\n"
       << "  privileges  " << (t.privileges.empty() ? "none" : Join(t.privileges, ", ")) << "\n"
       << "  level       " << t.level << "\n"
       << "  net_creds   " << t.net_creds << " (" << t.net_creds_rule << ")\n"
       << "  type        "
       << (t.primary ? "primary (process) token" : "impersonation (thread) token") << " on "
       << t.host << "\n";
}

void Stepper::ShowTicket(const v1::TicketBody& t, const std::string& title) {
  out_ << title << "\n"
       << "  client     " << paint_.Bold(Principal(t.client())) << "\n"
       << "  server     " << EscapeUnsafe(t.sname()) << " (realm " << EscapeUnsafe(t.realm())
       << ")\n";
  std::string letters = kdc::KlistFlags(t.flags());
  std::string names = kdc::FlagNames(t.flags());
  out_ << "  flags      " << (letters.empty() ? "-" : letters) << " ("
       << (names.empty() ? "none" : names) << ")\n"
       << "  valid      from t=" << sim::HumanDuration(t.start_ms())
       << " to t=" << sim::HumanDuration(t.end_ms()) << " (lifetime "
       << sim::HumanDuration(SaturatingSub(t.end_ms(), t.start_ms())) << ")\n";
  const v1::Pac& pac = t.pac();
  std::vector<std::string> groups;
  for (uint32_t g : pac.groups()) groups.push_back(Principal(g));
  out_ << "  pac        user " << Principal(pac.user()) << "; groups "
       << (groups.empty() ? "none" : Join(groups, ", "))
       << (pac.service_asserted() ? "; service-asserted identity (S4U2Self)" : "") << "\n";
  std::vector<std::string> transited(pac.transited_services().begin(),
                                     pac.transited_services().end());
  out_ << "  transited  " << (transited.empty() ? "none" : EscapeUnsafe(Join(transited, ", ")))
       << "\n";
  if (!pac.s4u2proxy_target().empty()) {
    out_ << "  s4u2proxy  target " << EscapeUnsafe(pac.s4u2proxy_target()) << "\n";
  }
  if (!t.referral_from().empty()) {
    out_ << "  referral   from " << EscapeUnsafe(t.referral_from()) << "\n";
  }
  for (const v1::FlagCause& c : t.causes()) {
    out_ << "  no " << EscapeUnsafe(c.flag()) << ": " << EscapeUnsafe(c.rule()) << " ("
         << EscapeUnsafe(c.fact()) << ")\n";
  }
}

void Stepper::CmdTicket() {
  const TraceRecord& cur = history_[cursor_];
  if (cur.ticket) return ShowTicket(*cur.ticket, "ticket issued at " + Seq(cur.seq));
  // A KDC decision: the tickets of the request it decided (delivered just before).
  const TraceRecord* request = &cur;
  if (cur.kind == TraceKind::kKdcDecision) {
    for (size_t i = cursor_; i-- > 0;) {
      if (history_[i].node == cur.node && history_[i].kind == TraceKind::kDeliver) {
        request = &history_[i];
        break;
      }
    }
  }
  if (request->message) {
    const v1::Envelope& env = *request->message;
    std::string at = " (" + Seq(request->seq) + ")";
    if (env.has_kdc_rep()) return ShowTicket(env.kdc_rep().view(), "ticket in the KDC-REP" + at);
    if (env.has_call() && env.call().has_kerberos()) {
      const v1::ApReq& ap = env.call().kerberos();
      if (std::optional<v1::TicketBody> t = Peek(ap.ticket())) {
        ShowTicket(*t, "ticket presented in the AP-REQ" + at);
      }
      if (!ap.forwarded_tgt().tgt().body().empty()) {
        ShowTicket(ap.forwarded_tgt().view(), "forwarded TGT in the AP-REQ" + at);
      }
      return;
    }
    if (env.has_tgs_req()) {
      const v1::TgsReq& req = env.tgs_req();
      if (std::optional<v1::TicketBody> t = Peek(req.tgt())) {
        ShowTicket(*t, "TGT presented in the TGS-REQ" + at);
      }
      if (std::optional<v1::TicketBody> ev = Peek(req.evidence())) {
        ShowTicket(*ev, "evidence ticket of the S4U2Proxy request" + at);
      }
      return;
    }
  }
  // Otherwise the ticket this event's hop was called with: never one of another call.
  const std::string path = PathOf(cur);
  if (path.empty()) {
    out_ << "no ticket at this event (tickets show at KDC requests, replies and decisions, "
            "and on a hop's events)\n";
    return;
  }
  // A call that never reached its service (refused at the caller) has none: then the
  // ticket its caller's hop was called with, up the same chain.
  std::string note;
  for (std::string hop = path; !hop.empty();) {
    for (size_t i = cursor_ + 1; i-- > 0;) {
      const TraceRecord& r = history_[i];
      if (r.kind != TraceKind::kDeliver || !r.message || !r.message->has_call() ||
          r.message->call().path() != hop) {
        continue;
      }
      const v1::Call& call = r.message->call();
      std::optional<v1::TicketBody> t =
          call.has_kerberos() ? Peek(call.kerberos().ticket()) : std::nullopt;
      out_ << note;
      if (!t) {
        out_ << "no ticket: the call into " << hop << " (" << Seq(r.seq) << ") used "
             << nodes::PackageName(call.package()) << ", not Kerberos\n";
        return;
      }
      ShowTicket(*t, "ticket " + hop + " was called with (" + Seq(r.seq) + ")");
      return;
    }
    note += "no ticket for " + hop + ": the call has not reached its service\n";
    size_t slash = hop.rfind('/');
    hop = slash == std::string::npos ? "" : hop.substr(0, slash);
    // The first segment is the step's name, not a hop.
    if (hop.find('/') == std::string::npos) break;
  }
  out_ << note;
}

void Stepper::CmdMessage() {
  size_t i = cursor_ + 1;
  while (i-- > 0 && !history_[i].message) {
  }
  if (i == static_cast<size_t>(-1)) {
    out_ << "no message has been sent yet\n";
    return;
  }
  const TraceRecord& r = history_[i];
  const v1::Envelope& env = *r.message;
  google::protobuf::TextFormat::Printer printer;
  // The printer takes ownership of its field value printer.
  printer.SetDefaultFieldValuePrinter(std::make_unique<BytesPrinter>().release());
  for (const google::protobuf::FieldDescriptor* record_field :
       {v1::KdcRep::descriptor()->FindFieldByName("decision"),
        v1::HopResult::descriptor()->FindFieldByName("steps")}) {
    auto record_printer = std::make_unique<RecordPrinter>();
    if (printer.RegisterFieldValuePrinter(record_field, record_printer.get())) {
      record_printer.release();  // the printer owns it now
    }
  }
  std::string text;
  printer.PrintToString(env, &text);
  out_ << (i == cursor_ ? "message of this event" : "last message, at " + Seq(r.seq)) << ": "
       << NodeName(env.from()) << " -> " << NodeName(env.to()) << " ("
       << nodes::TraceKindName(r.kind) << ", " << env.ByteSizeLong() << " bytes on the wire)\n";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out_ << "  " << line << "\n";
}

std::string Stepper::RuleLine(RuleId id) const {
  const RuleInfo& info = Rule(id);
  std::string code(info.code);
  code.resize(std::max<size_t>(code.size(), 6), ' ');
  return "    " + paint_.Yellow(code) + " " + std::string(info.statement) + "\n" +
         std::string(11, ' ') + "enforced by the " + std::string(EnforcerName(info.enforcer)) +
         "; sources: " + std::string(info.sources) + "\n";
}

void Stepper::CmdWhy() {
  size_t i = cursor_ + 1;
  while (i-- > 0 && !history_[i].decision) {
  }
  if (i == static_cast<size_t>(-1)) {
    out_ << "no decision has been made yet\n";
    return;
  }
  const TraceRecord& r = history_[i];
  const Decision& d = *r.decision;
  out_ << "why: " << Seq(r.seq) << " " << r.node << " " << nodes::TraceKindName(r.kind);
  if (!r.path.empty()) out_ << " " << r.path;
  out_ << ": " << r.summary << "\n";
  out_ << "  " << (d.allowed() ? paint_.Green("allowed") : paint_.Red("denied")) << " by "
       << paint_.Yellow(RuleCode(d.rule()));
  if (!d.error().empty()) out_ << ", error " << d.error();
  if (!d.status().empty()) out_ << ", status " << d.status();
  out_ << "\n  checks, in the order they ran:\n";
  for (size_t k = 0; k < d.checks().size(); ++k) {
    const Check& c = d.checks()[k];
    std::vector<std::string> facts;
    for (const Fact& f : c.facts) facts.push_back(f.ToString());
    std::string code(RuleCode(c.rule));
    code.resize(std::max<size_t>(code.size(), 6), ' ');
    std::string effect = EffectName(c.effect) + (c.what.empty() ? "" : " " + c.what);
    out_ << "    " << k + 1 << ". " << code << " " << effect;
    if (!facts.empty()) out_ << ": " << EscapeUnsafe(Join(facts, ", "));
    out_ << "\n";
  }
  if (!d.causes().empty()) {
    out_ << "  because:\n";
    for (const Cause& c : d.causes()) {
      out_ << "    " << RuleCode(c.rule) << ": " << c.fact.ToString() << "\n";
    }
  }
  // Every rule named, decider first, then every other rule consulted.
  std::vector<RuleId> rules = d.Rules();
  for (RuleId id : d.RulesConsulted()) {
    if (std::find(rules.begin(), rules.end(), id) == rules.end()) rules.push_back(id);
  }
  out_ << "  rules:\n";
  for (RuleId id : rules) out_ << RuleLine(id);
}

}  // namespace delegsim::cli::step_internal
