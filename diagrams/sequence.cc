#include "diagrams/sequence.h"

#include <map>

#include "common/decision.h"
#include "nodes/envelope.h"

namespace delegsim::diagrams {
namespace {

using nodes::TraceKind;
using nodes::TraceView;

// A call step's first hop ends with a HOP record whose path is "LABEL/SERVICE".
bool IsFirstHopOf(TraceView r, const std::string* label) {
  if (r.kind() != TraceKind::kHop) return false;
  size_t slash = r.path().find('/');
  if (slash == std::string_view::npos || r.path().find('/', slash + 1) != std::string_view::npos)
    return false;
  return label == nullptr || r.path().substr(0, slash) == *label;
}

bool IsDecision(TraceKind k) {
  return k == TraceKind::kKdcDecision || k == TraceKind::kAuthDecision ||
         k == TraceKind::kImpersonate || k == TraceKind::kAccessCheck ||
         k == TraceKind::kCallRefused || k == TraceKind::kProcess || k == TraceKind::kRevert;
}

// The note of a record with a decision; sets `denied`.
std::string DecisionNote(TraceView r, bool* denied) {
  std::string text(nodes::TraceKindName(r.kind()));
  if (!r.path().empty()) text.append(" ").append(r.path());
  std::shared_ptr<const Decision> d = r.decision();
  std::vector<std::string> rules = r.Rules(d.get());
  text += d->allowed() ? ": allowed" : ": denied";
  if (!rules.empty()) text += " by " + rules.front();
  if (!d->error().empty()) text += " (" + d->error() + ")";
  *denied = !d->allowed();
  return text;
}

class Builder {
 public:
  int Participant(const std::string& name) {
    auto [it, added] = index_.emplace(name, static_cast<int>(diagram_.participants.size()));
    if (added) diagram_.participants.push_back(name);
    return it->second;
  }
  SequenceDiagram& diagram() { return diagram_; }

 private:
  SequenceDiagram diagram_;
  std::map<std::string, int> index_;
};

}  // namespace

StatusOr<SequenceDiagram> BuildSequence(const nodes::TraceLog& trace, const sim::Scenario& scenario,
                                        const std::string& label) {
  // Which call step this is (k-th call step), and the calls before it.
  int position = -1;
  int calls = 0;
  std::string known;
  for (const sim::StepSpec& step : scenario.steps) {
    if (step.kind != sim::StepSpec::Kind::kCall) continue;
    if (step.label == label) position = calls;
    known += (calls++ ? ", " : "") + step.label;
  }
  if (position < 0) {
    return NotFound("no call step '" + label + "'" +
                    (known.empty() ? " (the scenario has no steps)" : " (calls: " + known + ")"));
  }
  // Node numbers to names: a SEND record is made by the envelope's sender, a DELIVER
  // record by its receiver.
  std::map<uint32_t, std::string> names;
  bool captured = false;
  for (TraceView r : trace) {
    if (!r.message()) continue;
    captured = true;
    if (r.kind() == TraceKind::kSend) names.emplace(r.message()->from(), std::string(r.node()));
    if (r.kind() == TraceKind::kDeliver) names.emplace(r.message()->to(), std::string(r.node()));
  }
  if (!captured) return FailedPrecondition("the trace carries no messages (capture was off)");
  // The call's records: after the previous call's first-hop HOP record, up to its own.
  size_t begin = 0;
  size_t end = trace.size();
  int seen = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    if (!IsFirstHopOf(trace[i], nullptr)) continue;
    if (seen == position - 1) begin = i + 1;
    if (seen == position) {
      end = i + 1;
      break;
    }
    ++seen;
  }
  if (seen != position || end == trace.size() + 1 || !IsFirstHopOf(trace[end - 1], &label)) {
    return FailedPrecondition("call '" + label + "' did not complete in the trace");
  }
  Builder b;
  b.diagram().title = scenario.name + ": call " + label;
  for (size_t i = begin; i < end; ++i) {
    const TraceView r = trace[i];
    SequenceEvent e;
    if (r.kind() == TraceKind::kSend && r.message()) {
      e.kind = SequenceEvent::Kind::kMessage;
      e.from = b.Participant(std::string(r.node()));
      auto to = names.find(r.message()->to());
      e.to = b.Participant(to != names.end() ? to->second
                                             : "node " + std::to_string(r.message()->to()));
      e.text = nodes::DescribeEnvelope(*r.message());
      e.reply = nodes::IsReply(*r.message());
      e.denied = r.message()->has_kdc_error() ||
                 (r.message()->has_call_reply() &&
                  r.message()->call_reply().result().verdict() == "denied");
    } else if (IsDecision(r.kind()) && r.has_decision()) {
      e.kind = SequenceEvent::Kind::kNote;
      e.from = e.to = b.Participant(std::string(r.node()));
      e.text = DecisionNote(r, &e.denied);
    } else if (r.kind() == TraceKind::kTicketIssued && r.ticket()) {
      e.kind = SequenceEvent::Kind::kNote;
      e.from = e.to = b.Participant(std::string(r.node()));
      e.text = "TICKET_ISSUED " + r.ticket()->sname();
    } else if (r.kind() == TraceKind::kDrop || r.kind() == TraceKind::kTimeout ||
               r.kind() == TraceKind::kWireDecodeError) {
      e.kind = SequenceEvent::Kind::kNote;
      e.from = e.to = b.Participant(std::string(r.node()));
      e.text = std::string(nodes::TraceKindName(r.kind()));
      e.denied = true;
    } else {
      continue;
    }
    b.diagram().events.push_back(std::move(e));
  }
  return std::move(b.diagram());
}

namespace {

// Mermaid message and note text: no line breaks; ';' and '#' as entities.
std::string MermaidText(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ';') {
      out += "#59;";
    } else if (c == '#') {
      out += "#35;";
    } else if (c == '\n') {
      out += "<br/>";
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out;
}

std::string DotString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

}  // namespace

std::string RenderSequenceMermaid(const SequenceDiagram& d) {
  std::string out = "---\ntitle: \"" + MermaidText(d.title) + "\"\n---\nsequenceDiagram\n";
  for (size_t i = 0; i < d.participants.size(); ++i) {
    out += "  participant p" + std::to_string(i) + " as " + MermaidText(d.participants[i]) + "\n";
  }
  for (const SequenceEvent& e : d.events) {
    if (e.kind == SequenceEvent::Kind::kNote) {
      out += "  Note over p" + std::to_string(e.from) + ": " + MermaidText(e.text) + "\n";
      continue;
    }
    std::string arrow = e.denied ? (e.reply ? "--x" : "-x") : (e.reply ? "-->>" : "->>");
    out += "  p" + std::to_string(e.from) + arrow + "p" + std::to_string(e.to) + ": " +
           MermaidText(e.text) + "\n";
  }
  return out;
}

std::string RenderSequenceDot(const SequenceDiagram& d) {
  // Row 0 holds the participants; row t+1 one event. Within a row, invisible edges keep
  // the columns in participant order; lifelines join a column's rows.
  const size_t n = d.participants.size();
  std::string out = "digraph sequence {\n";
  out += "  label=" + DotString(d.title) + "; labelloc=t; fontname=\"Helvetica\";\n";
  out += "  rankdir=TB; splines=false; nodesep=1.2; ranksep=0.25; newrank=true;\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  auto cell = [](size_t row, size_t col) {
    return "r" + std::to_string(row) + "c" + std::to_string(col);
  };
  for (size_t row = 0; row <= d.events.size(); ++row) {
    const SequenceEvent* e = row == 0 ? nullptr : &d.events[row - 1];
    out += "  { rank=same;";
    for (size_t col = 0; col < n; ++col) {
      std::string attrs;
      if (row == 0) {
        attrs = "shape=box, style=\"rounded,filled\", fillcolor=\"#eef2f7\", label=" +
                DotString(d.participants[col]);
      } else if (e->kind == SequenceEvent::Kind::kNote && static_cast<size_t>(e->from) == col) {
        attrs = "shape=note, style=filled, fillcolor=" +
                std::string(e->denied ? "\"#fde2e2\"" : "\"#fff8dc\"") +
                ", label=" + DotString(e->text);
      } else {
        attrs = "shape=point, width=0.03, color=gray60, label=\"\"";
      }
      // One group per column keeps the lifeline straight.
      out += " " + cell(row, col) + " [group=c" + std::to_string(col) + ", " + attrs + "];";
    }
    out += " }\n";
    for (size_t col = 0; col + 1 < n; ++col) {
      out += "  " + cell(row, col) + " -> " + cell(row, col + 1) + " [style=invis];\n";
    }
    if (row > 0) {
      for (size_t col = 0; col < n; ++col) {
        out += "  " + cell(row - 1, col) + " -> " + cell(row, col) +
               " [style=dashed, color=gray70, arrowhead=none, weight=100];\n";
      }
      if (e->kind == SequenceEvent::Kind::kMessage && e->from != e->to) {
        out += "  " + cell(row, static_cast<size_t>(e->from)) + " -> " +
               cell(row, static_cast<size_t>(e->to)) +
               " [constraint=false, label=" + DotString(e->text) +
               (e->reply ? ", style=dashed" : "") +
               (e->denied ? ", color=red, fontcolor=red" : "") + "];\n";
      }
    }
  }
  return out + "}\n";
}

}  // namespace delegsim::diagrams
