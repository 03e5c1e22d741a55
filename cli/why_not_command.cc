#include "cli/why_not_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "common/text.h"

namespace delegsim::cli {

bool ReadScenarioText(const std::string& file, size_t max_bytes, std::string* text,
                      std::ostream& err) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err << file << ": cannot read the file\n";
    return false;
  }
  // At most one byte more than allowed: the loader names the limit.
  std::string buf(max_bytes + 1, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<size_t>(in.gcount()));
  sim::LoadResult r = sim::LoadScenarioText(buf, file, max_bytes);
  if (!r.ok()) {
    for (const sim::Problem& p : r.problems) err << p.ToString() << "\n";
    err << file << ": " << r.problems.size() << " problem" << (r.problems.size() == 1 ? "" : "s")
        << "; nothing was analysed\n";
    return false;
  }
  *text = std::move(buf);
  return true;
}

int WhyNotCommand(const WhyNotCommandOptions& o, std::ostream& out, std::ostream& err) {
  if (o.apply && o.output.empty()) {
    err << "why-not: --apply needs -o NEW.json\n";
    return kExitInvalid;
  }
  if (!o.output.empty() && !o.apply) {
    err << "why-not: -o writes the scenario of --apply N; give --apply\n";
    return kExitInvalid;
  }
  if (Status st = CheckOutputPaths({o.file}, {{"-o", o.output}}); !st.ok()) {
    err << "why-not: " << st.message() << "\n";
    return kExitInvalid;
  }
  analysis::WhyNotGoal goal;
  goal.path = o.path;
  bool bad = false;
  for (const std::string& w : o.wants) {
    if (Status st = analysis::AddWant(w, &goal); !st.ok()) {
      err << "why-not: " << EscapeUnsafe(st.message()) << "\n";
      bad = true;
    }
  }
  if (bad) return kExitInvalid;
  std::string text;
  if (!ReadScenarioText(o.file, o.max_file_bytes, &text, err)) return kExitInvalid;
  // --apply N runs the same search as the listing (collateral included: it ranks the
  // answers), so N is the number the listing shows.
  StatusOr<analysis::WhyNotAnswer> a = analysis::WhyNot(text, o.file, goal, o.search);
  if (!a.ok()) {
    err << EscapeUnsafe(o.file + ": " + a.status().message(), /*keep_line_breaks=*/true) << "\n";
    return kExitInvalid;
  }
  if (o.apply) {
    if (a->answers.empty() || *o.apply == 0 || *o.apply > a->answers.size()) {
      err << "why-not: --apply " << *o.apply << ": there "
          << (a->answers.size() == 1 ? "is 1 answer"
                                     : "are " + std::to_string(a->answers.size()) + " answers")
          << (a->already ? " (the goal already holds)" : "") << "\n";
      return kExitInvalid;
    }
    const analysis::ChangeSet& cs = a->answers[*o.apply - 1];
    analysis::EditedScenario edited = analysis::ApplyEdits(text, o.file, cs.edits);
    if (!edited.scenario) {
      for (const std::string& p : edited.problems) err << o.file << ": " << EscapeUnsafe(p) << "\n";
      return kExitInvalid;
    }
    StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(o.output);
    if (!f.ok()) {
      err << "why-not: " << f.status().message() << "\n";
      return kExitInvalid;
    }
    (*f)->stream() << edited.text;
    if (Status st = (*f)->Commit(); !st.ok()) {
      err << "why-not: " << st.message() << "\n";
      return kExitInvalid;
    }
    err << "wrote " << o.output << " with answer #" << *o.apply << " applied:\n";
    for (const analysis::Edit& e : cs.edits) err << "  " << EscapeUnsafe(e.ToString()) << "\n";
    err << "check it with: delegsim run " << o.output << " --runtime virtual\n";
    return kExitOk;
  }
  // Names come from the file: shown escaped, never as terminal commands (common/text.h).
  out << (o.json ? analysis::RenderWhyNotJson(*a)
                 : EscapeUnsafe(analysis::RenderWhyNotText(*a, o.file), /*keep_line_breaks=*/true));
  return a->already || !a->answers.empty() ? kExitOk : kExitExpectationFailed;
}

std::function<int()> RegisterWhyNotCommand(CLI::App& app) {
  auto o = std::make_shared<WhyNotCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "why-not",
      "The smallest changes that make a hop work, verified, with what they open or break");
  cmd->add_option("file", o->file, "Scenario file (JSON)")->required();
  cmd->add_option("path", o->path, "Hop path, e.g. c1/web/db")->required();
  cmd->add_option("--want", o->wants,
                  "More than 'allowed': level=LEVEL (at least), net_creds=tgt|own_session|"
                  "s4u_proxy, access=OBJECT (the hop's operation on it is allowed)");
  cmd->add_option("--max-changes", o->search.max_changes, "Largest change set tried (default 3)")
      ->check(CLI::Range(1, 4));
  cmd->add_option("--max-runs", o->search.max_runs,
                  "Simulations the search may make (default 3000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-seconds", o->search.max_seconds, "Time the search may take (default 20)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--alternatives", o->search.alternatives,
                "Also search larger sets after the smallest answers (each still minimal)");
  cmd->add_flag(
      "--no-collateral", [o](int64_t) { o->search.collateral = false; },
      "Skip measuring what each answer breaks and opens (faster)");
  cmd->add_option("--reach-hops", o->search.reach_hops,
                  "Longest chain followed when measuring opened flows (default 4)")
      ->check(CLI::Range(1, 16));
  cmd->add_option("--apply", o->apply, "Write the scenario with answer N applied (with -o)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-o,--output", o->output, "Where --apply writes");
  cmd->add_flag("--json", o->json, "Print the answer as JSON");
  cmd->add_option("--max-file-size", o->max_file_bytes,
                  "Largest scenario file read (default 64MiB; units B, KB, MB, GB, KiB, MiB, GiB)")
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true));
  return [cmd, o]() -> int {
    if (!cmd->parsed()) return -1;
    return WhyNotCommand(*o, std::cout, std::cerr);
  };
}

}  // namespace delegsim::cli
