// One call of a run as a sequence diagram: every message between the client, the KDCs and
// the services, in the order sent, and each decision as a note naming its rule. Built
// from the structured trace (records' kinds, hop paths, decisions and, with message
// capture on, the envelopes themselves), never from the summary strings.
//
//   runtime->CaptureMessages(true);  world->Run();
//   StatusOr<SequenceDiagram> d = BuildSequence(world->trace(), world->scenario(), "c1");
//   std::cout << RenderSequenceMermaid(*d);  // or RenderSequenceDot(*d) for dot -Tsvg
#ifndef DELEGSIM_DIAGRAMS_SEQUENCE_H_
#define DELEGSIM_DIAGRAMS_SEQUENCE_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "nodes/context.h"
#include "nodes/trace_log.h"
#include "sim/scenario.h"

namespace delegsim::diagrams {

struct SequenceEvent {
  enum class Kind : uint8_t { kMessage, kNote } kind = Kind::kMessage;
  int from = 0;  // participant index: the sender, or the node a note is about
  int to = 0;    // the receiver (messages)
  std::string text;
  bool reply = false;   // a reply (drawn dashed)
  bool denied = false;  // a refusal or error (drawn in red)
};

struct SequenceDiagram {
  std::string title;                      // "two-hop: call c1"
  std::vector<std::string> participants;  // node names, in order of first appearance
  std::vector<SequenceEvent> events;
};

// The sequence of call step `label` from the trace of a completed run of `scenario`
// (records from the previous call's end to this call's first-hop HOP record). The run
// must have captured messages (Runtime::CaptureMessages). NotFound when `label` names no
// call step; FailedPrecondition when the trace has no envelopes or the call never ended.
StatusOr<SequenceDiagram> BuildSequence(const nodes::TraceLog& trace, const sim::Scenario& scenario,
                                        const std::string& label);

// A Mermaid sequenceDiagram.
std::string RenderSequenceMermaid(const SequenceDiagram& diagram);
// Graphviz DOT: a column per participant with its lifeline, a row per event.
std::string RenderSequenceDot(const SequenceDiagram& diagram);

}  // namespace delegsim::diagrams

#endif  // DELEGSIM_DIAGRAMS_SEQUENCE_H_
