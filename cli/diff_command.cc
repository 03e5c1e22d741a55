#include "cli/diff_command.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "analysis/diff.h"
#include "analysis/scenario_edit.h"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "cli/why_not_command.h"
#include "common/text.h"

namespace delegsim::cli {
namespace {

int Compare(const sim::Scenario& a, const sim::Scenario& b, const std::string& a_name,
            const std::string& b_name, const DiffCommandOptions& o, std::ostream& out,
            std::ostream& err) {
  analysis::DiffOptions options;
  options.reach = o.reach;
  options.max_hops = o.max_hops;
  StatusOr<analysis::DiffResult> d = analysis::DiffScenarios(a, b, options);
  if (!d.ok()) {
    err << "diff: did not complete: " << EscapeUnsafe(d.status().message(), true) << "\n";
    return kExitInvalid;
  }
  // Names come from the files: shown escaped, never as terminal commands (common/text.h).
  out << (o.json ? analysis::RenderDiffJson(*d)
                 : EscapeUnsafe(analysis::RenderDiffText(*d, a_name, b_name),
                                /*keep_line_breaks=*/true));
  return d->violations.empty() ? kExitOk : kExitExpectationFailed;
}

std::optional<sim::Scenario> Load(const std::string& file, size_t max_bytes, std::string* text,
                                  std::ostream& err) {
  if (!ReadScenarioText(file, max_bytes, text, err)) return std::nullopt;
  sim::LoadResult r = sim::LoadScenarioText(*text, file, max_bytes);
  return std::move(r.scenario);
}

}  // namespace

int DiffCommand(const DiffCommandOptions& o, std::ostream& out, std::ostream& err) {
  std::string ta;
  std::string tb;
  std::optional<sim::Scenario> a = Load(o.before, o.max_file_bytes, &ta, err);
  std::optional<sim::Scenario> b = Load(o.after, o.max_file_bytes, &tb, err);
  if (!a || !b) return kExitInvalid;
  return Compare(*a, *b, o.before, o.after, o, out, err);
}

int WhatIfCommand(const DiffCommandOptions& o, std::ostream& out, std::ostream& err) {
  if (o.sets.empty()) {
    err << "what-if: give at least one --set PATH=VALUE (e.g. --set "
           "accounts.svc_web.trusted_for_delegation=true)\n";
    return kExitInvalid;
  }
  if (Status st = CheckOutputPaths({o.before}, {{"-o", o.output}}); !st.ok()) {
    err << "what-if: " << st.message() << "\n";
    return kExitInvalid;
  }
  std::string text;
  std::optional<sim::Scenario> a = Load(o.before, o.max_file_bytes, &text, err);
  if (!a) return kExitInvalid;
  // Every bad --set at once, each named by its position and text.
  std::vector<analysis::Edit> edits;
  bool bad = false;
  for (size_t i = 0; i < o.sets.size(); ++i) {
    StatusOr<analysis::Edit> e = analysis::ParseEdit(o.sets[i]);
    if (!e.ok()) {
      err << "--set #" << i + 1 << " " << EscapeUnsafe(e.status().message()) << "\n";
      bad = true;
    } else {
      edits.push_back(*e);
    }
  }
  if (bad) return kExitInvalid;
  analysis::EditedScenario edited = analysis::ApplyEdits(text, o.before, edits);
  if (!edited.scenario) {
    for (const std::string& p : edited.problems) {
      err << o.before << ": --set " << EscapeUnsafe(p) << "\n";
    }
    err << o.before << ": " << edited.problems.size() << " problem"
        << (edited.problems.size() == 1 ? "" : "s") << " with the edits; nothing was compared\n";
    return kExitInvalid;
  }
  if (!o.output.empty()) {
    StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(o.output);
    if (!f.ok()) {
      err << "what-if: " << f.status().message() << "\n";
      return kExitInvalid;
    }
    (*f)->stream() << edited.text;
    if (Status st = (*f)->Commit(); !st.ok()) {
      err << "what-if: " << st.message() << "\n";
      return kExitInvalid;
    }
  }
  // The edits never touch `expect` or `invariants`: point their origins at the file's lines.
  for (sim::InvariantSpec& inv : edited.scenario->invariants) {
    for (const sim::InvariantSpec& orig : a->invariants) {
      if (orig.origin.path == inv.origin.path) inv.origin.line = orig.origin.line;
    }
  }
  if (!o.json) {
    out << "what-if " << o.before << ", edited:\n";
    for (const analysis::Edit& e : edits) out << "  " << EscapeUnsafe(e.ToString()) << "\n";
    out << "\n";
  }
  return Compare(*a, *edited.scenario, o.before, o.before + " (edited)", o, out, err);
}

std::function<int()> RegisterDiffCommands(CLI::App& app) {
  auto d = std::make_shared<DiffCommandOptions>();
  auto w = std::make_shared<DiffCommandOptions>();
  CLI::App* diff = app.add_subcommand(
      "diff", "Compare two scenarios: hop verdicts, expectations, credential flows opened/closed");
  diff->add_option("before", d->before, "The scenario before the change (JSON)")->required();
  diff->add_option("after", d->after, "The scenario after the change (JSON)")->required();
  CLI::App* what_if = app.add_subcommand(
      "what-if", "What an edit to a scenario would change (diff against FILE with --set edits)");
  what_if->add_option("file", w->before, "Scenario file (JSON)")->required();
  what_if->add_option("--set", w->sets,
                      "An edit: PATH=VALUE, PATH+=VALUE or PATH-=VALUE, e.g. "
                      "accounts.svc_web.trusted_for_delegation=false or "
                      "'groups.Protected Users.members+=adm_bob'");
  what_if->add_option("-o,--output", w->output, "Also write the edited scenario here");
  for (auto [cmd, o] : {std::pair{diff, d}, std::pair{what_if, w}}) {
    cmd->add_flag("--json", o->json, "Print the comparison as JSON");
    cmd->add_flag(
        "--no-reach", [o = o](int64_t) { o->reach = false; },
        "Compare the runs only, not the credential flows");
    cmd->add_option("--max-hops", o->max_hops, "Longest chain reach follows (default 4)")
        ->check(CLI::Range(1, 16));
    cmd->add_option("--max-file-size", o->max_file_bytes,
                    "Largest scenario file read (default 64MiB; units B, KB, MB, GB, KiB, MiB, "
                    "GiB)")
        ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true));
  }
  return [diff, what_if, d, w]() -> int {
    if (diff->parsed()) return DiffCommand(*d, std::cout, std::cerr);
    if (what_if->parsed()) return WhatIfCommand(*w, std::cout, std::cerr);
    return -1;
  };
}

}  // namespace delegsim::cli
