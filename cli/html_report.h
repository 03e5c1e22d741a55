// The HTML reports of `delegsim run FILE --html OUT` and `delegsim reach FILE ... --html
// OUT`: one self-contained page each (cli/html_page.h: styles inline, no script, no fetch).
//
// A run's page shows each call as a tree of hops with their verdicts; under each hop every
// decision taken for it (the caller's, the KDC's, the server's) with its deciding rule,
// the checks that ran in order with the facts each read, and what a check set or cleared;
// the operations at the hop; each call's sequence diagram as inline SVG (drawn by
// Graphviz's library); the expectations, passed and failed; the predicted security events
// when asked; and a glossary of every rule named, with its statement and sources.
//
//   std::string html = RenderRunHtml(*world, expectations, "two-hop.json", events);
//
// A reach page shows the question, the flows found (identity, service, level, net_creds,
// mechanism, chain, rules, the compromised key used), or the blast-radius table, and the
// delegation graph with the flows drawn on it.
#ifndef DELEGSIM_CLI_HTML_REPORT_H_
#define DELEGSIM_CLI_HTML_REPORT_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/reach.h"
#include "analysis/report.h"
#include "sim/results.h"
#include "sim/security_events.h"
#include "sim/world.h"

namespace delegsim::cli {

// `world` must have run with its trace kept and messages captured, for the sequence
// diagrams; without them each diagram is replaced by a note saying why.
std::string RenderRunHtml(const sim::World& world, const sim::ExpectationReport& expectations,
                          const std::string& file, const std::vector<sim::SecurityEvent>& events);

struct ReachHtml {
  std::string file;
  std::string title;                                   // the question, as the text report heads it
  const std::vector<analysis::Flow>* flows = nullptr;  // or...
  const std::vector<analysis::Exposure>* exposures = nullptr;  // ...--blast-radius
  std::string graph_dot;  // the delegation graph with the flows; empty: none
};
std::string RenderReachHtml(const ReachHtml& report);

// Writes `render()` to `path` through an OutputFile (cli/output_file.h: whole or not at
// all; the caller has already refused a path that is an input, CheckOutputPaths). On
// failure says so on `err` and returns kExitInvalid, else kExitOk.
int WriteHtmlReport(const std::string& path, const std::function<std::string()>& render,
                    std::ostream& err);

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_HTML_REPORT_H_
