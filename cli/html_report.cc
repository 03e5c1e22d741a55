#include "cli/html_report.h"

#include <memory>
#include <string_view>

#include "cli/commands.h"
#include "cli/html_page.h"
#include "cli/output_file.h"
#include "diagrams/sequence.h"
#include "diagrams/svg.h"
#include "kdc/kdc.h"
#include "kdc/ticket.h"
#include "nodes/token.h"
#include "sim/durations.h"
#include "sim/mechanism.h"

namespace delegsim::cli {
namespace {

std::string_view EffectName(v1::CheckEffect e) {
  switch (e) {
    case v1::CHECK_EFFECT_DENY:
      return "deny";
    case v1::CHECK_EFFECT_SET:
      return "set";
    case v1::CHECK_EFFECT_CLEAR:
      return "clear";
    default:
      return "read";
  }
}

// Who took a decision, from the enforcer of its deciding rule.
std::string_view Taker(const v1::DecisionRecord& d) {
  std::optional<RuleId> rule = ParseRuleId(d.rule());
  if (!rule) return "decision";
  switch (Rule(*rule).enforcer) {
    case Enforcer::kClient:
      return "caller";
    case Enforcer::kKdc:
      return "KDC";
    case Enforcer::kOs:
      return "server";
    case Enforcer::kSimulator:
      return "simulator";
  }
  return "decision";
}

std::string VerdictBadge(const std::string& verdict) {
  bool allowed = verdict == "allowed";
  return std::string("<span class=\"verdict ") + (allowed ? "allowed" : "denied") + "\">" +
         (allowed ? "ALLOWED" : "DENIED") + "</span>";
}

std::string Explained(const v1::DecisionRecord& d) {
  return kdc::FromRecord(d).Explain(
      [](const Fact& f) { return sim::ReadableFact(f.name(), f.value()); });
}

// One decision: verdict, deciding rule, explanation, then each check with its facts.
void RenderDecision(const v1::DecisionRecord& d, HtmlPage& page, std::string& out) {
  out += "<div class=\"decision\" data-rule=\"" + HtmlEscape(d.rule()) + "\">";
  out += "<p><b>" + std::string(Taker(d)) + "</b> " + VerdictBadge(d.verdict());
  if (!d.rule().empty()) out += " by " + page.RuleRef(d.rule());
  if (!d.error().empty()) out += " <code>" + HtmlEscape(d.error()) + "</code>";
  if (!d.status().empty()) out += " <code>" + HtmlEscape(d.status()) + "</code>";
  out += ": " + HtmlEscape(Explained(d)) + "</p>\n";
  if (d.checks_size() > 0) {
    out +=
        "<table class=\"checks\"><tr><th>#</th><th>rule</th><th>effect</th><th>facts "
        "read</th></tr>\n";
    int n = 0;
    for (const v1::CheckRecord& c : d.checks()) {
      std::string effect(EffectName(c.effect()));
      out += "<tr><td>" + std::to_string(++n) + "</td><td>" + page.RuleRef(c.rule()) +
             "</td><td class=\"effect-" + effect + "\">" + effect;
      if (!c.what().empty()) out += " " + HtmlEscape(c.what());
      out += "</td><td class=\"mono\">";
      bool first = true;
      for (const std::string& f : kdc::RecordFacts(c)) {
        out += (first ? "" : "<br>") + HtmlEscape(f);
        first = false;
      }
      out += "</td></tr>\n";
    }
    out += "</table>\n";
  }
  if (d.causes_size() > 0) {
    out += "<p>because:</p><ul>";
    for (const std::string& cause : d.causes()) out += "<li class=\"mono\">" + HtmlEscape(cause);
    out += "</ul>\n";
  }
  out += "</div>\n";
}

void RenderHop(const v1::HopResult& h, HtmlPage& page, std::string& out) {
  const bool allowed = h.verdict() == "allowed";
  out += "<li class=\"hop " + std::string(allowed ? "allowed" : "denied") + "\" data-path=\"" +
         HtmlEscape(h.path()) + "\" data-verdict=\"" + HtmlEscape(h.verdict()) + "\">";
  out += "<b>" + HtmlEscape(h.service()) + "</b> on " + HtmlEscape(h.host()) + " " +
         VerdictBadge(h.verdict()) + " ";
  if (allowed) {
    out += HtmlEscape(h.identity().empty() ? "anonymous" : h.identity()) + " · " +
           HtmlEscape(sim::HopLevel(h)) + " · net_creds=" + HtmlEscape(h.net_creds()) + " · " +
           HtmlEscape(nodes::PackageName(h.package()));
    if (h.ticket_flags()) out += " · ticket " + HtmlEscape(kdc::KlistFlags(h.ticket_flags()));
  } else {
    out += "identity none · level none";
  }
  out += "<br><span class=\"note\">" + HtmlEscape(h.path()) + "</span> decided by " +
         (h.decision().rule().empty() ? std::string("-") : page.RuleRef(h.decision().rule()));
  if (!h.decision().error().empty())
    out += " <code>" + HtmlEscape(h.decision().error()) + "</code>";
  if (allowed) {
    sim::HopMechanismInfo in = sim::DescribeMechanism(h);
    std::string onward_rule;
    std::string onward = sim::OnwardMechanism(h, &onward_rule);
    out += "<br>reached by <b>" + HtmlEscape(sim::MechanismLabel(in.mechanism)) + "</b>";
    for (const std::string& r : in.rules) out += " " + page.RuleRef(r);
    if (onward != "none") {
      out += "; carries the identity on by <b>" + HtmlEscape(onward) + "</b> " +
             page.RuleRef(onward_rule);
    }
  }
  out += "<br>rules:";
  for (const std::string& r : sim::HopRules(h)) out += " " + page.RuleRef(r);
  out += "\n<details><summary>" + std::to_string(h.steps_size()) + " decision" +
         (h.steps_size() == 1 ? "" : "s") + " with their facts</summary>\n";
  for (const std::string& step : h.steps()) RenderDecision(kdc::DecodeRecord(step), page, out);
  if (h.steps_size() == 0) RenderDecision(h.decision(), page, out);
  out += "</details>\n";
  if (h.ops_size() + h.children_size() > 0) {
    out += "<ul>\n";
    for (const v1::OpResult& op : h.ops()) {
      out += "<li class=\"op " + std::string(op.verdict() == "allowed" ? "allowed" : "denied") +
             "\">" + HtmlEscape(op.op()) +
             (op.target().empty() ? "" : " <b>" + HtmlEscape(op.target()) + "</b>") +
             (op.rights().empty() ? "" : " (" + HtmlEscape(op.rights()) + ")") + " as " +
             HtmlEscape(op.identity().empty() ? "anonymous" : op.identity()) + " " +
             VerdictBadge(op.verdict()) + " by " + page.RuleRef(op.decision().rule()) + ": " +
             HtmlEscape(Explained(op.decision())) +
             (op.detail().empty() ? "" : " [" + HtmlEscape(op.detail()) + "]") + "</li>\n";
    }
    for (const v1::HopResult& c : h.children()) RenderHop(c, page, out);
    out += "</ul>\n";
  }
  out += "</li>\n";
}

// The sequence diagram of call `label` as inline SVG, or a note saying why there is none.
std::string SequenceSvg(const sim::World& world, const std::string& label) {
  StatusOr<diagrams::SequenceDiagram> d =
      diagrams::BuildSequence(world.trace(), world.scenario(), label);
  if (!d.ok())
    return "<p class=\"note\">no sequence diagram: " + HtmlEscape(d.status().message()) + "</p>\n";
  StatusOr<std::string> svg = diagrams::RenderSvg(diagrams::RenderSequenceDot(*d));
  if (!svg.ok())
    return "<p class=\"note\">no sequence diagram: " + HtmlEscape(svg.status().message()) +
           "</p>\n";
  return "<div class=\"diagram sequence\">" + *svg + "</div>\n";
}

std::string ExpectationText(const sim::Expectation& e) {
  std::string what = e.path;
  if (!e.op.empty() || !e.op_target.empty()) {
    what += " " + (e.op.empty() ? std::string("operation") : e.op) +
            (e.op_target.empty() ? "" : " on " + e.op_target);
  }
  std::string fields;
  auto add = [&](const std::string& name, const std::optional<std::string>& v) {
    if (v) fields += (fields.empty() ? "" : ", ") + name + "=" + *v;
  };
  add("verdict", e.verdict);
  add("identity", e.identity);
  add("level", e.level);
  add("net_creds", e.net_creds);
  add("decided_by", e.decided_by);
  add("error", e.error);
  for (const std::string& r : e.rules) fields += (fields.empty() ? "" : ", ") + ("names " + r);
  for (const std::string& r : e.not_rules) {
    fields += (fields.empty() ? "" : ", ") + ("does not name " + r);
  }
  for (const auto& [flag, set] : e.ticket_flags) {
    fields += (fields.empty() ? "" : ", ") + flag + (set ? " set" : " clear");
  }
  return what + ": " + fields;
}

void RenderExpectations(const sim::Scenario& s, const sim::ExpectationReport& report,
                        const std::string& file, std::string& out) {
  out += "<section id=\"expectations\"><h2>Expectations: " + std::to_string(report.passed) +
         " passed, " + std::to_string(report.failed) + " failed</h2>\n";
  if (s.expectations.empty()) {
    out += "<p class=\"note\">The scenario states no expectations.</p></section>\n";
    return;
  }
  out += "<table><tr><th></th><th>line</th><th>expectation</th><th>what happened</th></tr>\n";
  for (const sim::Expectation& e : s.expectations) {
    std::string failures;
    for (const sim::ExpectationFailure& f : report.failures) {
      if (f.origin.line == e.origin.line && f.origin.path == e.origin.path) {
        failures += (failures.empty() ? "" : "<br>") +
                    HtmlEscape(f.field + ": expected " + f.expected + ", got " + f.actual);
      }
    }
    out += "<tr class=\"expectation\"><td>" +
           std::string(failures.empty() ? "<span class=\"pass\">PASS</span>"
                                        : "<span class=\"fail\">FAIL</span>") +
           "</td><td>" + HtmlEscape(file) + ":" + std::to_string(e.origin.line) + "</td><td>" +
           HtmlEscape(ExpectationText(e)) + "</td><td>" +
           (failures.empty() ? "as expected" : failures) + "</td></tr>\n";
  }
  out += "</table></section>\n";
}

}  // namespace

std::string RenderRunHtml(const sim::World& world, const sim::ExpectationReport& expectations,
                          const std::string& file, const std::vector<sim::SecurityEvent>& events) {
  const sim::Scenario& s = world.scenario();
  HtmlPage page("delegsim run: " + s.name);
  std::string& out = page.body();
  out += "<header><h1>Scenario " + HtmlEscape(s.name) + "</h1>\n";
  if (!s.description.empty()) out += "<p>" + HtmlEscape(s.description) + "</p>\n";
  out += "<p class=\"meta\">" + HtmlEscape(file) + " · profile " + HtmlEscape(s.options.profile) +
         " · client policy " + HtmlEscape(s.options.client_policy) + " · seed " +
         std::to_string(s.seed) + " · runtime " +
         HtmlEscape(const_cast<sim::World&>(world).runtime().kind()) + " · " +
         (expectations.failed == 0 ? "<span class=\"pass\">expectations held</span>"
                                   : "<span class=\"fail\">expectations failed</span>") +
         "</p></header>\n";
  size_t call_index = 0;
  for (const sim::StepSpec& step : s.steps) {
    if (step.kind == sim::StepSpec::Kind::kAdvanceClock) {
      out += "<p class=\"note clock\">clock +" + HtmlEscape(sim::HumanDuration(step.advance_ms)) +
             "</p>\n";
      continue;
    }
    if (call_index >= world.outcomes().size()) break;
    const sim::CallOutcome& o = world.outcomes()[call_index++];
    out += "<section class=\"call\" data-call=\"" + HtmlEscape(o.label) + "\">\n<h2>Call " +
           HtmlEscape(o.label) + ": " + HtmlEscape(step.user) + " on " +
           HtmlEscape(step.from_host) + "</h2>\n";
    if (!o.status.ok()) {
      out += "<p class=\"fail\">did not complete: " + HtmlEscape(o.status.ToString()) +
             "</p></section>\n";
      continue;
    }
    out += "<ul class=\"tree\">\n";
    RenderHop(o.result, page, out);
    out += "</ul>\n<h3>Sequence</h3>\n" + SequenceSvg(world, o.label) + "</section>\n";
  }
  RenderExpectations(s, expectations, file, out);
  if (!events.empty()) {
    out += "<section id=\"events\"><h2>Predicted security events (" +
           std::to_string(events.size()) +
           ")</h2>\n<table><tr><th>event</th><th>logged "
           "on</th><th>hop</th><th>fields</th></tr>\n";
    for (const sim::SecurityEvent& e : events) {
      out += "<tr class=\"event\"><td>" + std::to_string(e.id) + " " + HtmlEscape(e.Title()) +
             "</td><td>" + HtmlEscape(e.computer) + "</td><td>" + HtmlEscape(e.path) +
             "</td><td class=\"mono\">";
      bool first = true;
      for (const auto& [name, value] : e.fields) {
        out += (first ? "" : "<br>") + HtmlEscape(name + "=" + value);
        first = false;
      }
      out += "</td></tr>\n";
    }
    out += "</table></section>\n";
  }
  return page.Finish();
}

std::string RenderReachHtml(const ReachHtml& r) {
  HtmlPage page("delegsim reach: " + r.title);
  std::string& out = page.body();
  out += "<header><h1>" + HtmlEscape(r.title) + "</h1>\n<p class=\"meta\">" + HtmlEscape(r.file) +
         " · delegsim reach: every flow found by running candidate chains through the "
         "simulator</p></header>\n";
  if (r.exposures != nullptr) {
    out +=
        "<section id=\"blast-radius\"><h2>Blast radius: what each key exposes</h2>\n<table>"
        "<tr><th>account</th><th>key on hosts</th><th>identities exposed</th><th>privileged "
        "among them</th><th>services reached</th></tr>\n";
    for (const analysis::Exposure& e : *r.exposures) {
      std::string hosts;
      for (const std::string& h : e.hosts) hosts += (hosts.empty() ? "" : ", ") + h;
      std::string privileged;
      for (const std::string& p : e.privileged) privileged += (privileged.empty() ? "" : ", ") + p;
      out += "<tr class=\"exposure\"><td>" + HtmlEscape(e.account) + "</td><td>" +
             HtmlEscape(hosts) + "</td><td>" + std::to_string(e.identities) + "</td><td>" +
             HtmlEscape(privileged) + "</td><td>" + std::to_string(e.services) + "</td></tr>\n";
    }
    out += "</table></section>\n";
  }
  if (r.flows != nullptr) {
    out += "<section id=\"flows\"><h2>Flows (" + std::to_string(r.flows->size()) + ")</h2>\n";
    if (r.flows->empty()) {
      out += "<p class=\"note\">No flow: the credentials reach nothing.</p>\n";
    } else {
      out +=
          "<table><tr><th>#</th><th>identity</th><th>arrives at</th><th>level</th>"
          "<th>net_creds</th><th>mechanism</th><th>chain</th><th>rules</th><th>keys "
          "used</th></tr>\n";
      size_t n = 0;
      for (const analysis::Flow& f : *r.flows) {
        std::string chain = f.identity;
        for (const std::string& s : f.chain) chain += " → " + s;
        std::string mechanism(analysis::MechanismName(f.mechanism));
        out += "<tr class=\"flow\" data-mechanism=\"" + HtmlEscape(mechanism) + "\"><td>" +
               std::to_string(++n) + "</td><td>" + HtmlEscape(f.identity) + "</td><td><b>" +
               HtmlEscape(f.service) + "</b> on " + HtmlEscape(f.host) + "</td><td>" +
               HtmlEscape(f.level) + "</td><td>" + HtmlEscape(f.net_creds) + "</td><td>" +
               HtmlEscape(mechanism) + "</td><td>" + HtmlEscape(chain) + "</td><td>";
        for (const std::string& rule : f.rules) out += page.RuleRef(rule) + " ";
        out += "</td><td>" + HtmlEscape(f.via) + "</td></tr>\n";
      }
      out += "</table>\n";
    }
    out += "</section>\n";
  }
  if (!r.graph_dot.empty()) {
    out += "<section id=\"graph\"><h2>Delegation graph with the flows</h2>\n";
    StatusOr<std::string> svg = diagrams::RenderSvg(r.graph_dot);
    out += svg.ok()
               ? "<div class=\"diagram graph\">" + *svg + "</div>\n"
               : "<p class=\"note\">no graph: " + HtmlEscape(svg.status().message()) + "</p>\n";
    out += "</section>\n";
  }
  return page.Finish();
}

int WriteHtmlReport(const std::string& path, const std::function<std::string()>& render,
                    std::ostream& err) {
  StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(path);
  if (!file.ok()) {
    err << file.status().message() << "\n";
    return kExitInvalid;
  }
  (*file)->stream() << render();
  if (Status st = (*file)->Commit(); !st.ok()) {
    err << st.message() << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace delegsim::cli
