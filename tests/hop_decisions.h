// The decisions of a world's run, one line per hop in hop order (path, verdict, identity,
// level, net_creds, deciding rule and error, every rule named, KDC operations), for tests
// that compare runtimes: two runs agree when these strings are equal.
#ifndef DELEGSIM_TESTS_HOP_DECISIONS_H_
#define DELEGSIM_TESTS_HOP_DECISIONS_H_

#include <string>

#include "sim/results.h"
#include "sim/world.h"

namespace delegsim::testing {

// Runs `world` and describes its decisions; a run or call that did not complete says so.
inline std::string RunAndDescribeDecisions(sim::World& world) {
  std::string out;
  if (Status st = world.Run(); !st.ok()) out += "run did not complete: " + st.ToString() + "\n";
  for (const sim::CallOutcome& o : world.outcomes()) {
    if (!o.status.ok()) out += o.label + " did not complete: " + o.status.ToString() + "\n";
  }
  for (const v1::HopResult* h : sim::AllHops(world.outcomes())) {
    out += h->path() + " " + h->verdict() + " identity=" + h->identity() +
           " level=" + sim::HopLevel(*h) + " net_creds=" + h->net_creds() +
           " decided_by=" + h->decision().rule() + " error=" + h->decision().error() + " rules=";
    for (const std::string& r : sim::HopRules(*h)) out += r + ",";
    for (const v1::OpResult& op : h->ops()) {
      out += " | " + op.op() + " " + op.target() + " " + op.verdict() + " " + op.decision().rule();
    }
    out += "\n";
  }
  return out;
}

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_HOP_DECISIONS_H_
