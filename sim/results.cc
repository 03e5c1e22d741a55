#include "sim/results.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>

#include "common/text.h"
#include "kdc/kdc.h"
#include "kdc/ticket.h"
#include "nodes/token.h"
#include "sim/durations.h"
#include "sim/mechanism.h"
#include "sim/ticket_expectations.h"

namespace delegsim::sim {
namespace {

void Walk(const v1::HopResult& h, const std::function<void(const v1::HopResult&)>& fn) {
  fn(h);
  for (const v1::HopResult& c : h.children()) Walk(c, fn);
}

void AddUnique(std::vector<std::string>& out, const std::string& s) {
  if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
}

bool SameIdentity(const std::string& expected, const std::string& actual) {
  if (expected == "anonymous") return actual.empty();
  if (actual.empty()) return false;
  std::string e = kdc::ToLower(expected);
  std::string a = kdc::ToLower(actual);
  if (e.find('@') == std::string::npos) a = a.substr(0, a.find('@'));
  return e == a;
}

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// The fields hops and operations share: verdict, identity, deciding rule, error, rules.
template <typename Fail>
void CheckOutcome(const Expectation& e, const std::string& verdict, const std::string& identity,
                  const v1::DecisionRecord& decision, const std::vector<std::string>& rules,
                  const Fail& fail) {
  if (e.verdict && *e.verdict != verdict) fail("verdict", *e.verdict, verdict);
  if (e.identity && !SameIdentity(*e.identity, identity)) {
    fail("identity", *e.identity, identity.empty() ? "anonymous" : identity);
  }
  if (e.decided_by && *e.decided_by != decision.rule()) {
    fail("decided_by", *e.decided_by, decision.rule());
  }
  if (e.error && *e.error != decision.error()) fail("error", *e.error, decision.error());
  for (const std::string& r : e.rules) {
    if (std::find(rules.begin(), rules.end(), r) == rules.end()) {
      fail("rules", "to name " + r, Join(rules));
    }
  }
  for (const std::string& r : e.not_rules) {
    if (std::find(rules.begin(), rules.end(), r) != rules.end()) {
      fail("not_rules", "not to name " + r, Join(rules));
    }
  }
}

}  // namespace

const v1::HopResult* FindHop(const std::vector<CallOutcome>& outcomes, const std::string& path) {
  const v1::HopResult* found = nullptr;
  for (const CallOutcome& o : outcomes) {
    Walk(o.result, [&](const v1::HopResult& h) {
      if (!found && h.path() == path) found = &h;
    });
  }
  return found;
}

std::vector<const v1::HopResult*> AllHops(const std::vector<CallOutcome>& outcomes) {
  std::vector<const v1::HopResult*> out;
  for (const CallOutcome& o : outcomes) {
    if (o.result.path().empty()) continue;
    Walk(o.result, [&](const v1::HopResult& h) { out.push_back(&h); });
  }
  return out;
}

size_t HopCount(const CallOutcome& outcome) {
  if (outcome.result.path().empty()) return 0;
  size_t n = 0;
  Walk(outcome.result, [&n](const v1::HopResult&) { ++n; });
  return n;
}

std::vector<std::string> RecordRules(const v1::DecisionRecord& d) {
  std::vector<std::string> out;
  Decision decision = kdc::FromRecord(d);
  for (RuleId r : decision.Rules()) out.emplace_back(RuleCode(r));
  return out;
}

std::vector<std::string> HopRules(const v1::HopResult& hop) {
  std::vector<std::string> out;
  if (hop.has_decision() && !hop.decision().rule().empty()) AddUnique(out, hop.decision().rule());
  for (const std::string& step : hop.steps()) {
    for (const std::string& r : RecordRules(kdc::DecodeRecord(step))) AddUnique(out, r);
  }
  return out;
}

std::vector<std::string> HopFacts(const v1::HopResult& hop) {
  std::vector<std::string> out;
  for (const std::string& step : hop.steps()) {
    const v1::DecisionRecord record = kdc::DecodeRecord(step);
    for (const v1::CheckRecord& c : record.checks()) {
      for (const std::string& f : kdc::RecordFacts(c)) AddUnique(out, f);
    }
  }
  return out;
}

std::string HopLevel(const v1::HopResult& hop) {
  std::optional<nodes::Level> l = nodes::FromWire(hop.level());
  return l ? std::string(nodes::LevelName(*l)) : "none";
}

std::string ExpectationFailure::ToString(const std::string& file) const {
  std::string out = file;
  if (origin.line > 0) {
    out += ':';
    out += std::to_string(origin.line);
  }
  out += ": ";
  out += path + " " + field + ": expected " + expected + ", got " + actual;
  return out;
}

namespace {

// The failures of expectation `e` at `hop` (nullptr: no hop has its path).
std::vector<ExpectationFailure> CheckExpectation(const Expectation& e, const v1::HopResult* hop) {
  std::vector<ExpectationFailure> failures;
  auto fail = [&](const std::string& field, const std::string& expected,
                  const std::string& actual) {
    std::string path = e.path;
    if (!e.op_target.empty() || !e.op.empty())
      path += "#" + (e.op_target.empty() ? e.op : e.op_target);
    failures.push_back({e.origin, path, field, expected, actual});
  };
  if (!hop) {
    fail("hop", "a hop at " + e.path, "no such hop (the chain stopped earlier)");
  } else if (!e.op_target.empty() || !e.op.empty()) {
    const v1::OpResult* op = nullptr;
    int seen = 0;
    for (const v1::OpResult& o : hop->ops()) {
      if ((e.op_target.empty() || o.target() == e.op_target) && (e.op.empty() || e.op == o.op()) &&
          ++seen == e.nth) {
        op = &o;
        break;
      }
    }
    if (!op) {
      fail("operation",
           (e.nth > 1 ? "operation #" + std::to_string(e.nth) + ": " : std::string()) +
               (e.op.empty() ? std::string("an operation") : e.op) +
               (e.op_target.empty() ? "" : " on " + e.op_target),
           seen > 0 ? std::to_string(seen) + " ran" : "none ran");
    } else {
      CheckOutcome(e, op->verdict(), op->identity(), op->decision(), RecordRules(op->decision()),
                   fail);
      if (e.token) {
        std::string where = op->detail().rfind("token=", 0) == 0 ? op->detail().substr(6) : "";
        if (where != *e.token) fail("token", *e.token, where.empty() ? "not recorded" : where);
      }
    }
  } else {
    CheckOutcome(e, hop->verdict(), hop->identity(), hop->decision(), HopRules(*hop), fail);
    if (e.level && *e.level != HopLevel(*hop)) fail("level", *e.level, HopLevel(*hop));
    if (e.net_creds) {
      const std::string& actual = hop->net_creds();
      bool ok = *e.net_creds == actual || (e.net_creds->find('{') == std::string::npos &&
                                           actual.rfind(*e.net_creds + "{", 0) == 0);
      if (!ok) fail("net_creds", *e.net_creds, actual);
    }
    for (const auto& [flag, want] : e.ticket_flags) {
      bool have = hop->ticket_flags() & kdc::FlagBit(flag);
      if (have != want) {
        fail("ticket_flags." + flag, want ? "set" : "clear",
             (have ? "set" : "clear") + std::string(" (flags ") +
                 kdc::KlistFlags(hop->ticket_flags()) + ")");
      }
    }
    for (const TicketExpectation& t : e.tickets) CheckTicketExpectation(t, *hop, fail);
    if (e.transport_level) {
      std::optional<nodes::Level> l = nodes::FromWire(hop->transport_level());
      std::string have = l ? std::string(nodes::LevelName(*l)) : "none";
      if (have != *e.transport_level) fail("transport_level", *e.transport_level, have);
    }
    for (const auto& [flag, want] : e.gss_flags) {
      const v1::GssFlags& g = hop->gss_flags();
      bool have = flag == "deleg"      ? g.deleg()
                  : flag == "mutual"   ? g.mutual()
                  : flag == "identify" ? g.identify()
                                       : g.anonymous();
      if (have != want) fail("gss_flags." + flag, want ? "set" : "clear", have ? "set" : "clear");
    }
  }
  return failures;
}

}  // namespace

ExpectationChecker::ExpectationChecker(const Scenario& scenario)
    : scenario_(scenario), results_(scenario.expectations.size()) {
  for (size_t i = 0; i < scenario.expectations.size(); ++i)
    waiting_[scenario.expectations[i].path].push_back(i);
}

void ExpectationChecker::Add(const CallOutcome& outcome) {
  if (waiting_.empty()) return;
  // The first hop with an expectation's path, in walk order over the outcomes in step
  // order, is the one it is checked against; later hops with that path are not.
  Walk(outcome.result, [&](const v1::HopResult& h) {
    auto it = waiting_.find(h.path());
    if (it == waiting_.end()) return;
    for (size_t i : it->second) results_[i] = CheckExpectation(scenario_.expectations[i], &h);
    waiting_.erase(it);
  });
}

ExpectationReport ExpectationChecker::Finish() {
  ExpectationReport report;
  for (size_t i = 0; i < results_.size(); ++i) {
    if (!results_[i]) results_[i] = CheckExpectation(scenario_.expectations[i], nullptr);
    std::vector<ExpectationFailure>& failures = *results_[i];
    if (failures.empty()) {
      ++report.passed;
    } else {
      ++report.failed;
      std::move(failures.begin(), failures.end(), std::back_inserter(report.failures));
    }
  }
  waiting_.clear();
  results_.clear();
  return report;
}

ExpectationReport CheckExpectations(const Scenario& scenario,
                                    const std::vector<CallOutcome>& outcomes) {
  ExpectationChecker checker(scenario);
  for (const CallOutcome& o : outcomes) checker.Add(o);
  return checker.Finish();
}

namespace {

// JSON text with every non-ASCII character escaped (\u202e) and malformed UTF-8 replaced
// (U+FFFD), so that no control character, bidi override or invalid byte from the wire
// reaches a file or terminal, and dump() never throws.
std::string DumpAscii(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', /*ensure_ascii=*/true,
                nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string TraceLineText(nodes::TraceView r) {
  char head[64];
  std::snprintf(head, sizeof head, "[%8lld ms] #%04llu ", static_cast<long long>(r.time()),
                static_cast<unsigned long long>(r.seq()));
  std::string kind(nodes::TraceKindName(r.kind()));
  kind.resize(std::max<size_t>(kind.size(), 17), ' ');
  std::string node(r.node());
  node.resize(std::max<size_t>(node.size(), 22), ' ');
  std::string out = head + node + " " + kind + " ";
  if (!r.path().empty()) out.append(r.path()).append("  ");
  out += r.summary();
  // A kept decision is rebuilt on each read: read it once.
  std::shared_ptr<const Decision> d = r.decision();
  if (d) out += ": " + d->Explain();
  std::vector<std::string> rules = r.Rules(d.get());
  if (!rules.empty()) out += "  [" + Join(rules, ",") + "]";
  // Summaries quote names from the wire, where a peer may send anything.
  return EscapeUnsafe(out);
}

std::string TraceLineJson(nodes::TraceView r) {
  nlohmann::ordered_json j;
  j["time"] = r.time();
  j["seq"] = r.seq();
  j["node"] = std::string(r.node());
  j["kind"] = std::string(nodes::TraceKindName(r.kind()));
  j["path"] = std::string(r.path());
  j["summary"] = std::string(r.summary());
  std::shared_ptr<const Decision> d = r.decision();  // rebuilt on each read: once
  j["rules"] = r.Rules(d.get());
  j["facts"] = r.Facts(d.get());
  if (d) j["explain"] = d->Explain();
  return DumpAscii(j, -1);
}

namespace {

struct Painter {
  bool color;
  bool ascii = false;  // "`-- ", "|-- ", "|   ", " - " instead of box characters and " · "
  const char* Last() const { return ascii ? "`-- " : "└── "; }
  const char* Branch() const { return ascii ? "|-- " : "├── "; }
  const char* Pipe() const { return ascii ? "|   " : "│   "; }
  const char* Dot() const { return ascii ? " - " : " · "; }
  std::string operator()(const std::string& s, const char* code) const {
    return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  }
  std::string Verdict(const std::string& v) const {
    return v == "allowed" ? (*this)("ALLOWED", "32") : (*this)("DENIED", "31;1");
  }
};

// A decision explained with readable durations for the facts in milliseconds.
std::string ExplainReadably(const Decision& d) {
  return d.Explain([](const Fact& f) { return ReadableFact(f.name(), f.value()); });
}

// Report text from outcomes and the scenario is escaped (common/text.h) before it is
// painted: outcomes carry names from the wire.
std::string Safe(std::string_view s) { return EscapeUnsafe(s); }

}  // namespace

std::string WrapLine(const std::string& first, const std::string& text, size_t width) {
  const std::string rest(first.size(), ' ');
  if (width == 0 || first.size() + text.size() <= width || width <= first.size() + 20) {
    return first + text + "\n";
  }
  std::string out;
  const std::string* prefix = &first;
  size_t pos = 0;
  const size_t room = width - first.size();
  while (pos < text.size()) {
    size_t len = text.size() - pos;
    if (len > room) {
      // Break at the last space that fits; a word longer than the room is cut.
      size_t space = text.rfind(' ', pos + room);
      len = (space != std::string::npos && space > pos) ? space - pos : room;
    }
    out += *prefix + text.substr(pos, len) + "\n";
    pos += len;
    while (pos < text.size() && text[pos] == ' ') ++pos;
    prefix = &rest;
  }
  return out;
}

std::string OnwardMechanism(const v1::HopResult& hop, std::string* rule) {
  if (hop.verdict() != "allowed") return "none";
  for (const v1::CheckRecord& c : hop.decision().checks()) {
    if (c.effect() != v1::CHECK_EFFECT_SET || c.what() != "net_creds") continue;
    if (rule != nullptr) *rule = c.rule();
    if (c.rule() == "IL-5") return "unconstrained";
    if (c.rule() == "KCD-7") return "constrained";
    if (c.rule() == "S4U-3") return "protocol_transition";
    if (c.rule() == "LC-1") return "local_session";
  }
  return "none";
}

namespace {

std::string OnwardLabel(const std::string& onward) {
  // KCD-7: the KDC decides per target whether the classic list (KCD-1) or the target's
  // resource-based ACL (RB-1) allows the S4U2proxy request.
  if (onward == "constrained") return "constrained or resource-based delegation (S4U2proxy)";
  return std::string(MechanismLabel(onward));
}

void RenderHop(const v1::HopResult& h, const std::string& indent, bool last, const Painter& paint,
               size_t width, std::string& out) {
  std::string branch = indent + (last ? paint.Last() : paint.Branch());
  std::string child_indent = indent + (last ? "    " : paint.Pipe());
  const std::string dot = paint.Dot();
  const bool allowed = h.verdict() == "allowed";
  std::string who = h.identity().empty() ? (allowed ? "anonymous" : "none") : Safe(h.identity());
  out += branch + paint(Safe(h.service()), "1") + " on " + Safe(h.host()) + "  " +
         paint.Verdict(h.verdict());
  if (allowed) {
    out += "  " + who + dot + HopLevel(h) + dot + "net_creds=" + Safe(h.net_creds()) + dot +
           std::string(nodes::PackageName(h.package()));
    if (h.ticket_flags()) out += dot + "ticket " + kdc::KlistFlags(h.ticket_flags());
  } else {
    out += "  identity none" + dot + "level none";
  }
  out += "\n";
  // The box characters count one column each; the prefix's width is in characters.
  auto line = [&](const std::string& label, const std::string& text) {
    std::string prefix = child_indent + "  " + label;
    size_t columns = 0;
    for (unsigned char c : prefix) columns += (c & 0xc0) != 0x80;
    std::string wrapped = WrapLine(std::string(columns, ' '), text, width);
    out += prefix + wrapped.substr(columns);
  };
  Decision d = kdc::FromRecord(h.decision());
  // The caller's side (package, delegation, MA-*, UD-2) is the first step of every hop.
  if (allowed && h.steps_size() > 0) {
    line("caller: ", Safe(ExplainReadably(kdc::FromRecord(kdc::DecodeRecord(h.steps(0))))));
  }
  line(allowed ? "server: " : "why: ", Safe(ExplainReadably(d)));
  if (allowed) {
    // How the identity got here and how this hop may carry it on (LC-5), when either is
    // delegation: a hop reached with the caller's own logon that holds nothing says nothing.
    HopMechanismInfo in = DescribeMechanism(h);
    std::string rule;
    std::string onward = OnwardMechanism(h, &rule);
    std::vector<std::string> parts;
    if (in.mechanism != "direct") {
      parts.push_back("reached by " + std::string(MechanismLabel(in.mechanism)) + " [" +
                      Join(in.rules) + "]");
    }
    if (onward != "none") {
      parts.push_back("carries the identity on by " + OnwardLabel(onward) + " [" + rule + "]");
    }
    if (!parts.empty()) line("delegation: ", Safe(Join(parts, "; ")));
  }
  if (std::optional<nodes::Level> tl = nodes::FromWire(h.transport_level())) {
    line("transport level: ", std::string(nodes::LevelName(*tl)) + " (SMB layer, TR-3)");
  }
  if (h.tickets_size() > 0) {
    std::vector<std::string> tickets;
    for (const v1::HopTicket& t : h.tickets()) tickets.push_back(DescribeHopTicket(t));
    line("tickets: ", Safe(Join(tickets, "; ")));
  }
  line("rules: ", Safe(Join(HopRules(h))));
  size_t items = static_cast<size_t>(h.ops_size() + h.children_size());
  size_t i = 0;
  for (const v1::OpResult& op : h.ops()) {
    bool is_last = ++i == items;
    Decision od = kdc::FromRecord(op.decision());
    out += child_indent + (is_last ? paint.Last() : paint.Branch()) + Safe(op.op()) +
           (op.target().empty() ? "" : " " + Safe(op.target())) +
           (op.rights().empty() ? "" : " (" + Safe(op.rights()) + ")") + " as " +
           (op.identity().empty() ? (op.verdict() == "allowed" ? "anonymous" : "none")
                                  : Safe(op.identity())) +
           ": " + paint(Safe(ExplainReadably(od)), op.verdict() == "allowed" ? "32" : "31") +
           (op.detail().empty() ? "" : " [" + Safe(op.detail()) + "]") + "\n";
  }
  for (const v1::HopResult& c : h.children()) {
    RenderHop(c, child_indent, ++i == items, paint, width, out);
  }
}

}  // namespace

std::string RenderReport(const World& world, const ExpectationReport& expectations,
                         const std::string& file, const ReportStyle& style) {
  Painter paint{style.color, style.ascii};
  const size_t width = style.width;
  const std::string dot = paint.Dot();
  const Scenario& s = world.scenario();
  std::string out = paint("scenario " + Safe(s.name), "1") +
                    (s.description.empty() ? "" : ": " + Safe(s.description)) + "\n";
  out += "profile " + s.options.profile + dot + "client policy " + s.options.client_policy + dot +
         "seed " + std::to_string(s.seed) + dot + "runtime " +
         std::string(const_cast<World&>(world).runtime().kind()) + "\n";
  size_t call_index = 0;
  for (const StepSpec& step : s.steps) {
    if (step.kind == StepSpec::Kind::kAdvanceClock) {
      out += '\n';
      std::string clock = "clock +" + HumanDuration(step.advance_ms);
      if (step.advance_ms >= 1000) clock += " (" + std::to_string(step.advance_ms) + " ms)";
      out += paint(clock, "2");
      out += '\n';
      continue;
    }
    const CallOutcome& o = world.outcomes().at(call_index++);
    // Appended piecewise: GCC 12 -O3 warns (-Wrestrict, a false positive) on "\n" + string.
    out += '\n';
    out += paint(Safe(o.label), "1");
    out += "  " + Safe(step.user) + " on " + Safe(step.from_host) + "\n";
    if (!o.status.ok()) {
      out += paint.Last() + paint("did not complete: " + Safe(o.status.ToString()), "31") + "\n";
      continue;
    }
    RenderHop(o.result, "", true, paint, width, out);
  }
  out += "\nexpectations: " + std::to_string(expectations.passed) + " passed, " +
         std::to_string(expectations.failed) + " failed\n";
  for (const ExpectationFailure& f : expectations.failures)
    out += "  " + paint("FAIL", "31;1") + " " + Safe(f.ToString(file)) + "\n";
  return out;
}

std::string RenderJson(const World& world, const ExpectationReport& expectations) {
  nlohmann::ordered_json j;
  const Scenario& s = world.scenario();
  j["scenario"] = s.name;
  j["profile"] = s.options.profile;
  j["seed"] = s.seed;
  j["runtime"] = std::string(const_cast<World&>(world).runtime().kind());
  nlohmann::ordered_json hops = nlohmann::ordered_json::array();
  nlohmann::ordered_json accesses = nlohmann::ordered_json::array();
  for (const v1::HopResult* h : AllHops(world.outcomes())) {
    nlohmann::ordered_json hj;
    hj["path"] = h->path();
    hj["from_host"] = h->from_host();
    hj["service"] = h->service();
    hj["host"] = h->host();
    // A refused hop has no identity ("none", as its level); an allowed one without an
    // identity is anonymous (null).
    hj["identity"] = h->verdict() != "allowed" ? nlohmann::ordered_json("none")
                     : h->identity().empty()   ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(h->identity());
    hj["level"] = HopLevel(*h);
    hj["net_creds"] = h->net_creds();
    hj["package"] = std::string(nodes::PackageName(h->package()));
    hj["verdict"] = h->verdict();
    hj["decided_by"] = h->decision().rule();
    hj["error"] = h->decision().error();
    hj["reason"] = kdc::FromRecord(h->decision()).Explain();
    hj["rules"] = HopRules(*h);
    hj["facts"] = HopFacts(*h);
    hj["ticket_flags"] = kdc::FlagNames(h->ticket_flags());
    nlohmann::ordered_json tickets = nlohmann::ordered_json::array();
    for (const v1::HopTicket& t : h->tickets()) {
      nlohmann::ordered_json tj;
      tj["role"] = t.role();
      tj["sname"] = t.sname();
      tj["issued"] = t.error().empty() && t.has_view();
      tj["error"] = t.error();
      tj["decided_by"] = t.rule();
      if (t.has_view()) {
        const v1::TicketBody& v = t.view();
        tj["client"] = t.client();
        tj["server"] = t.server();
        tj["klist"] = kdc::KlistFlags(v.flags());
        tj["flags"] = kdc::FlagNames(v.flags());
        tj["start_ms"] = v.start_ms();
        tj["end_ms"] = v.end_ms();
        tj["renew_till_ms"] = v.renew_till_ms();
        tj["pac_groups"] = std::vector<std::string>(t.pac_groups().begin(), t.pac_groups().end());
        tj["pac_user_flags"] = PacUserFlagNames(v.pac().user_account_control());
        tj["transited"] = std::vector<std::string>(v.pac().transited_services().begin(),
                                                   v.pac().transited_services().end());
      }
      tickets.push_back(std::move(tj));
    }
    hj["tickets"] = std::move(tickets);
    std::optional<nodes::Level> tl = nodes::FromWire(h->transport_level());
    hj["transport_level"] = tl ? std::string(nodes::LevelName(*tl)) : "none";
    nlohmann::ordered_json gss;
    gss["deleg"] = h->gss_flags().deleg();
    gss["mutual"] = h->gss_flags().mutual();
    gss["identify"] = h->gss_flags().identify();
    gss["anonymous"] = h->gss_flags().anonymous();
    hj["gss_flags"] = std::move(gss);
    HopMechanismInfo mechanism = DescribeMechanism(*h);
    hj["mechanism"] = std::string(mechanism.mechanism);
    hj["mechanism_rules"] = mechanism.rules;
    hj["onward"] = OnwardMechanism(*h, nullptr);
    hops.push_back(hj);
    for (const v1::OpResult& op : h->ops()) {
      nlohmann::ordered_json aj;
      aj["path"] = h->path();
      aj["op"] = op.op();
      aj["object"] = op.target();
      aj["rights"] = op.rights();
      aj["identity"] = op.identity().empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(op.identity());
      aj["verdict"] = op.verdict();
      aj["decided_by"] = op.decision().rule();
      aj["rules"] = RecordRules(op.decision());
      aj["detail"] = op.detail();
      accesses.push_back(aj);
    }
  }
  j["hops"] = hops;
  j["accesses"] = accesses;
  nlohmann::ordered_json ej;
  ej["passed"] = expectations.passed;
  ej["failed"] = expectations.failed;
  ej["failures"] = nlohmann::ordered_json::array();
  for (const ExpectationFailure& f : expectations.failures) {
    ej["failures"].push_back({{"line", f.origin.line},
                              {"json_path", f.origin.path},
                              {"path", f.path},
                              {"field", f.field},
                              {"expected", f.expected},
                              {"actual", f.actual}});
  }
  j["expectations"] = ej;
  return DumpAscii(j, 2);
}

}  // namespace delegsim::sim
