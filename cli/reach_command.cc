#include "cli/reach_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "analysis/invariants.h"
#include "analysis/prober.h"
#include "analysis/reach.h"
#include "analysis/report.h"
#include "cli/commands.h"
#include "cli/html_report.h"
#include "cli/output_file.h"
#include "cli/reach_query.h"
#include "sim/loader.h"

namespace delegsim::cli {

using analysis::Flow;
using kdc::PrincipalId;

CLI::App* AddReachSubcommand(CLI::App& app, ReachCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "reach", "Where credentials can flow, what compromised keys give, who arrives where");
  cmd->add_option("file", o.file, "Scenario file (JSON); its steps are not needed")->required();
  AddReachQueryOptions(cmd, o);
  cmd->add_flag("--json", o.json, "Print the answer as JSON");
  cmd->add_option("--emit-scenario", o.emit, "Write flow N as a runnable scenario (with -o)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-o,--output", o.output, "Where --emit-scenario writes");
  cmd->add_option("--html", o.html_file,
                  "Also write the answer as a self-contained HTML report, with the delegation "
                  "graph and the flows drawn on it");
  return cmd;
}

int ReachCommand(const ReachCommandOptions& o, std::ostream& out, std::ostream& err) {
  if (CountReachQueries(o) != 1) {
    err << "reach: give exactly one of --identity, --compromised, --to, --blast-radius\n";
    return kExitInvalid;
  }
  if (o.emit && o.output.empty()) {
    err << "reach: --emit-scenario needs -o FILE\n";
    return kExitInvalid;
  }
  if (!o.coerce.empty() && o.compromised.empty()) {
    err << "reach: --coerce applies to --compromised\n";
    return kExitInvalid;
  }
  // Never an input, and only whole (cli/output_file.h): checked before any work.
  if (Status st = CheckOutputPaths(
          {o.file}, {{"-o", o.emit ? o.output : std::string()}, {"--html", o.html_file}});
      !st.ok()) {
    err << "reach: " << st.message() << "\n";
    return kExitInvalid;
  }
  sim::LoadResult loaded = sim::LoadScenarioFile(o.file, o.max_file_bytes);
  if (!loaded.ok()) {
    for (const sim::Problem& p : loaded.problems) err << p.ToString() << "\n";
    err << o.file << ": " << loaded.problems.size() << " problem"
        << (loaded.problems.size() == 1 ? "" : "s") << "; nothing was analysed\n";
    return kExitInvalid;
  }
  analysis::Prober prober(*loaded.scenario);
  if (!prober.status().ok()) {
    err << o.file << ": " << prober.status().ToString() << "\n";
    return kExitInvalid;
  }
  ReachAnswer answer;
  // The HTML report draws the flows of a blast radius on the graph too.
  if (int code = AnswerReachQuery(o, o.file, prober, /*keep_blast_flows=*/!o.html_file.empty(),
                                  &answer, err);
      code != kExitOk) {
    return code;
  }
  const std::vector<Flow>& flows = answer.flows;
  if (!o.html_file.empty()) {
    int code = WriteHtmlReport(
        o.html_file,
        [&] {
          return RenderReachHtml({.file = o.file,
                                  .title = answer.title,
                                  .flows = answer.blast_radius ? nullptr : &flows,
                                  .exposures = answer.blast_radius ? &answer.exposures : nullptr,
                                  .graph_dot = FlowGraphDot(*loaded.scenario, flows)});
        },
        err);
    if (code != kExitOk) return code;
  }
  if (answer.blast_radius) {
    out << (o.json ? analysis::RenderExposuresJson(answer.exposures)
                   : analysis::RenderExposuresText(answer.exposures));
    return kExitOk;
  }
  if (o.emit) {
    if (*o.emit > flows.size()) {
      err << "reach: --emit-scenario " << *o.emit << ": there are " << flows.size() << " flows\n";
      return kExitInvalid;
    }
    std::ifstream in(o.file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    StatusOr<std::string> doc = analysis::EmitScenario(text.str(), prober, flows[*o.emit - 1]);
    if (!doc.ok()) {
      err << o.file << ": " << doc.status().ToString() << "\n";
      return kExitInvalid;
    }
    StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(o.output);
    Status st = f.ok() ? Status::Ok() : f.status();
    if (st.ok()) {
      (*f)->stream() << *doc;
      st = (*f)->Commit();
    }
    if (!st.ok()) {
      err << "reach: " << st.message() << "\n";
      return kExitInvalid;
    }
    err << "wrote flow #" << *o.emit << " to " << o.output << " (run it with: delegsim run "
        << o.output << ")\n";
    return kExitOk;
  }
  out << (o.json ? analysis::RenderFlowsJson(flows)
                 : analysis::RenderFlowsText(answer.title, flows));
  return kExitOk;
}

std::string InvariantFailures(const sim::Scenario& scenario, const std::string& file,
                              bool* completed) {
  *completed = true;
  if (scenario.invariants.empty()) return "";
  analysis::Prober prober(scenario);
  if (!prober.status().ok()) {
    *completed = false;
    return file + ": invariants: " + prober.status().ToString() + "\n";
  }
  constexpr int kMaxHops = 4;
  Status status;
  std::vector<analysis::Violation> broken =
      analysis::CheckInvariants(prober, scenario.invariants, kMaxHops, &status);
  if (!status.ok()) {
    *completed = false;
    return file + ": invariants: the analysis did not complete: " + status.ToString() + "\n";
  }
  std::string out;
  for (const analysis::Violation& v : broken) {
    const sim::InvariantSpec& inv = *v.invariant;
    const Flow& f = v.counterexample;
    out += file + ":" + std::to_string(inv.origin.line) + ": " + inv.origin.path + ": invariant '" +
           inv.name + "' is broken: " + v.message + "\n";
    out += "  counterexample: " + analysis::Prober::Describe(f.replay) + " (" +
           std::string(analysis::MechanismName(f.mechanism)) + "; rules " +
           [&] {
             std::string r;
             for (const std::string& id : f.rules) r += (r.empty() ? "" : ", ") + id;
             return r;
           }() +
           ")\n";
    // The flow's number in `reach --identity`, so it can be written out and replayed.
    analysis::ReachOptions options;
    options.max_hops = kMaxHops;
    analysis::Reach reach(prober, options);
    std::optional<PrincipalId> who = prober.directory().Find(f.identity);
    StatusOr<std::vector<Flow>> mine =
        who ? reach.ForIdentity(*who) : StatusOr<std::vector<Flow>>(NotFound(f.identity));
    if (mine.ok()) {
      for (size_t i = 0; i < mine->size(); ++i) {
        const Flow& g = (*mine)[i];
        if (g.service == f.service && g.level == f.level && g.net_creds == f.net_creds &&
            g.mechanism == f.mechanism) {
          out += "  replay: delegsim reach " + file + " --identity " + f.identity +
                 " --emit-scenario " + std::to_string(i + 1) + " -o counterexample.json\n";
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace delegsim::cli
