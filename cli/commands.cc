#include "cli/commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/diff_command.h"
#include "cli/export_command.h"
#include "cli/host_command.h"
#include "cli/html_report.h"
#include "cli/import_command.h"
#include "cli/junit.h"
#include "cli/output_file.h"
#include "cli/reach_command.h"
#include "cli/rules_command.h"
#include "cli/step.h"
#include "cli/terminal.h"
#include "cli/version.h"
#include "cli/why_not_command.h"
#include "common/rules.h"
#include "common/text.h"
#include "net/asio_runtime.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/security_events.h"
#include "sim/trace_json.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;

// Loads a scenario and applies command-line overrides; problems go to `err`.
std::optional<sim::Scenario> Load(const std::string& file, size_t max_file_bytes, std::ostream& err,
                                  const std::vector<std::string>& fault_arguments = {}) {
  sim::LoadResult r = sim::LoadScenarioFile(file, max_file_bytes, fault_arguments);
  if (!r.ok()) {
    for (const sim::Problem& p : r.problems) err << p.ToString() << "\n";
    err << file << ": " << r.problems.size() << " problem" << (r.problems.size() == 1 ? "" : "s")
        << "; nothing was run\n";
    return std::nullopt;
  }
  return std::move(r.scenario);
}

struct Outcome {
  std::unique_ptr<sim::World> world;
  sim::ExpectationReport expectations;
  size_t hops = 0;  // hops the calls made, as sim::AllHops counts them
  bool completed = false;
  std::string error;
};

// `keep_trace`: the world keeps every trace record (for --show-trace); otherwise records
// are built only for `trace`, and nothing is kept that nobody reads. `keep_trees`: the
// world's outcomes keep every call's hop tree (for reports); otherwise each call's
// expectations are checked as it completes and its tree is dropped.
// The scenario moves into the world (o.world->scenario()), so that it is held once.
Outcome Execute(sim::Scenario scenario, const std::string& runtime_kind, std::ostream* trace,
                bool keep_trace, bool capture_messages = false, size_t parallel_calls = 1,
                const RunOptions* run = nullptr, bool keep_trees = true) {
  Outcome o;
  StatusOr<std::unique_ptr<nodes::Runtime>> rt =
      run && IsProcessRuntime(runtime_kind) ? MakeProcessRuntime(*run) : MakeRuntime(runtime_kind);
  if (!rt.ok()) {
    o.error = rt.status().ToString();
    return o;
  }
  // Envelopes for --events and for the trace's from/to/message fields (sim/trace_json.h).
  if (capture_messages || trace) (*rt)->CaptureMessages(true);
  StatusOr<std::unique_ptr<sim::World>> world =
      sim::World::Build(std::move(scenario), std::move(rt).value());
  if (!world.ok()) {
    o.error = world.status().ToString();
    return o;
  }
  o.world = std::move(world).value();
  if (run) {
    if (Status st = ConfigureProcessRuntime(*o.world, *run); !st.ok()) {
      o.error = st.ToString();
      return o;
    }
  }
  o.world->KeepTrace(keep_trace);
  o.world->SetParallelCalls(parallel_calls);
  if (trace) {
    o.world->SetTraceSink([trace, world = o.world.get()](const nodes::TraceRecord& r) {
      *trace << sim::TraceLineJsonForTools(r, *world) << "\n";
    });
  }
  std::optional<sim::ExpectationChecker> checker;
  if (!keep_trees) {
    checker.emplace(o.world->scenario());
    o.world->KeepOutcomeTrees(false);
    o.world->SetOutcomeSink([&](const sim::CallOutcome& c) {
      checker->Add(c);
      o.hops += sim::HopCount(c);
    });
  }
  Status st = o.world->Run();
  o.world->SetOutcomeSink(nullptr);
  if (keep_trees) o.hops = sim::AllHops(o.world->outcomes()).size();
  if (!st.ok()) {
    o.error = st.ToString();
    return o;
  }
  o.completed = true;
  for (const sim::CallOutcome& c : o.world->outcomes()) {
    if (!c.status.ok()) {
      o.completed = false;
      o.error = "call " + c.label + ": " + c.status.ToString();
    }
  }
  o.expectations = checker ? checker->Finish()
                           : sim::CheckExpectations(o.world->scenario(), o.world->outcomes());
  return o;
}

// The name closest to `word` by edit distance, when it is close enough to be a typo.
std::string Nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = 3;  // at most two edits
  for (const std::string& name : names) {
    std::vector<size_t> row(name.size() + 1);
    for (size_t j = 0; j <= name.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= name.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                           diagonal + (std::tolower(word[i - 1]) == name[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    if (row[name.size()] < best_distance) {
      best_distance = row[name.size()];
      best = name;
    }
  }
  return best;
}

std::vector<std::string> ScenarioFiles(const std::vector<std::string>& paths, std::ostream& err,
                                       bool& missing) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(p, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json")
          files.push_back(entry.path().string());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      err << p << ": no such file or directory\n";
      missing = true;
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

StatusOr<std::unique_ptr<nodes::Runtime>> MakeRuntime(const std::string& kind) {
  if (kind == "virtual")
    return std::unique_ptr<nodes::Runtime>(std::make_unique<sim::VirtualRuntime>());
  if (kind == "tcp") return std::unique_ptr<nodes::Runtime>(std::make_unique<net::AsioRuntime>());
  return InvalidArgument("unknown runtime '" + kind + "' (expected tcp or virtual)");
}

bool UseColor(bool stdout_stream) {
  if (std::getenv("NO_COLOR") != nullptr) return false;
  return isatty(stdout_stream ? STDOUT_FILENO : STDERR_FILENO);
}

int RunCommand(const RunOptions& options, std::ostream& out, std::ostream& err) {
  if (std::error_code ec; fs::is_directory(options.file, ec)) {
    err << options.file << ": is a folder; run takes one scenario file. To run every scenario "
        << "in it and check their expectations: delegsim check " << options.file << "\n";
    return kExitInvalid;
  }
  if (Status st = CheckOutputPaths(
          {options.file}, {{"--trace", options.trace_file}, {"--html", options.html_file}});
      !st.ok()) {
    err << "delegsim run: " << st.message() << "\n";
    return kExitInvalid;
  }
  std::optional<sim::Scenario> scenario =
      Load(options.file, options.max_file_bytes, err, options.faults);
  if (!scenario) return kExitInvalid;
  if (options.seed) scenario->seed = *options.seed;
  if (options.profile) scenario->options.profile = *options.profile;
  // Written beside its target and renamed into place once the run is over.
  std::unique_ptr<OutputFile> trace;
  if (!options.trace_file.empty()) {
    StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(options.trace_file);
    if (!file.ok()) {
      err << file.status().message() << "\n";
      return kExitInvalid;
    }
    trace = std::move(file).value();
  }
  const bool html = !options.html_file.empty();
  Outcome o = Execute(std::move(*scenario), options.runtime, trace ? &trace->stream() : nullptr,
                      options.show_trace || options.events || html, options.events || html,
                      options.parallel, &options);
  if (!o.world) {
    err << options.file << ": " << o.error << "\n";
    return kExitInvalid;
  }
  if (!o.completed) {
    // No report: a call that did not complete has no verdict to show. The trace so far is
    // kept: it shows where the run stopped.
    if (trace) (void)trace->Commit();
    if (options.show_trace) {
      out << "trace (" << o.world->trace().size() << " records)\n";
      for (nodes::TraceView r : o.world->trace()) out << sim::TraceLineText(r) << "\n";
    }
    err << options.file << ": the run did not complete: " << EscapeUnsafe(o.error) << "\n";
    err << EscapeUnsafe(ProcessHostsText(*o.world), /*keep_line_breaks=*/true);
    return kExitInvalid;
  }
  std::vector<sim::SecurityEvent> events;
  if (options.events) {
    events = sim::PredictSecurityEvents(*o.world);
    if (trace) {
      for (const sim::SecurityEvent& e : events)
        trace->stream() << sim::SecurityEventTraceLine(e) << "\n";
    }
  }
  if (trace) {
    if (Status st = trace->Commit(); !st.ok()) {
      err << st.message() << "\n";
      return kExitInvalid;
    }
  }
  if (html) {
    if (int code = WriteHtmlReport(
            options.html_file,
            [&] { return RenderRunHtml(*o.world, o.expectations, options.file, events); }, err);
        code != kExitOk) {
      return code;
    }
  }
  if (options.json) {
    std::string json = sim::RenderJson(*o.world, o.expectations);
    if (options.events) json = sim::AddEventsToJson(json, events);
    if (IsProcessRuntime(options.runtime)) json = AddHostsToJson(json, ProcessHostsJson(*o.world));
    out << json << "\n";
  } else {
    out << sim::RenderReport(
        *o.world, o.expectations, options.file,
        {.color = options.color, .width = options.width, .ascii = options.ascii});
    if (options.events) out << sim::SecurityEventsText(events);
    out << EscapeUnsafe(ProcessHostsText(*o.world), /*keep_line_breaks=*/true);
    if (options.show_trace) {
      out << "\ntrace (" << o.world->trace().size() << " records)\n";
      for (nodes::TraceView r : o.world->trace()) out << sim::TraceLineText(r) << "\n";
    }
  }
  return o.expectations.failed > 0 ? kExitExpectationFailed : kExitOk;
}

int ValidateCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                    size_t max_file_bytes) {
  bool invalid = false;
  for (const std::string& f : files) {
    if (Load(f, max_file_bytes, err)) {
      out << f << ": ok\n";
    } else {
      invalid = true;
    }
  }
  return invalid ? kExitInvalid : kExitOk;
}

int CheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  bool missing = false;
  bool incomplete = false;  // a run that did not complete is no verdict: exit 2
  std::vector<std::string> files = ScenarioFiles(options.paths, err, missing);
  if (Status st = CheckOutputPaths(files, {{"--junit", options.junit_file}}); !st.ok()) {
    err << "delegsim check: " << st.message() << "\n";
    return kExitInvalid;
  }
  int passed = 0;
  int failed = 0;
  bool invalid = false;  // a scenario did not load
  JUnitReport junit;
  for (const std::string& f : files) {
    auto start = std::chrono::steady_clock::now();
    std::ostringstream problems;
    std::optional<sim::Scenario> scenario = Load(f, options.max_file_bytes, problems);
    std::string name = scenario ? scenario->name : fs::path(f).stem().string();
    std::string line;
    std::string failure;
    if (!scenario) {
      invalid = true;
      failure = problems.str();
      line = "FAIL  " + name + "  invalid scenario (" + f + ")";
      err << EscapeUnsafe(failure, /*keep_line_breaks=*/true);
    } else {
      // The invariants are proved on the scenario before it moves into the world.
      bool analysed = true;
      std::string broken = InvariantFailures(*scenario, f, &analysed);
      const size_t invariants = scenario->invariants.size();
      // Nothing reads the hop trees once each call's expectations are checked.
      Outcome o = Execute(std::move(*scenario), options.runtime, nullptr, /*keep_trace=*/false,
                          /*capture_messages=*/false, options.parallel, /*run=*/nullptr,
                          /*keep_trees=*/false);
      size_t hops = o.hops;
      bool ok = o.world && o.completed && o.expectations.failed == 0;
      if (!o.world || !o.completed) {
        incomplete = true;
        failure = "the run did not complete: " + o.error + "\n";
      }
      for (const sim::ExpectationFailure& e : o.expectations.failures)
        failure += e.ToString(f) + "\n";
      failure += broken;
      ok = ok && broken.empty() && analysed;

      line = std::string(ok ? "PASS  " : "FAIL  ") + name + "  hops=" + std::to_string(hops) +
             "  expectations=" + std::to_string(o.expectations.passed) + "/" +
             std::to_string(o.expectations.passed + o.expectations.failed);
      if (invariants > 0) {
        line += "  invariants=" + std::to_string(invariants) + " " +
                (broken.empty() && analysed ? "held" : "BROKEN");
      }
      if (!ok) err << EscapeUnsafe(failure, /*keep_line_breaks=*/true);
    }
    out << EscapeUnsafe(line) << "\n";  // file names may say anything
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (failure.empty() ? ++passed : ++failed);
    junit.AddCase(name, f, seconds, failure);
  }
  out << passed << " passed, " << failed << " failed\n";
  if (!options.junit_file.empty()) {
    StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(options.junit_file);
    Status st = file.ok() ? Status::Ok() : file.status();
    if (st.ok()) {
      (*file)->stream() << junit.Render();
      st = (*file)->Commit();
    }
    if (!st.ok()) {
      err << st.message() << "\n";
      return kExitInvalid;
    }
  }
  // Invalid input (a file that is missing or does not load, a run that did not complete)
  // outranks failed expectations, as under `run`.
  if (missing || invalid || incomplete) return kExitInvalid;
  return failed > 0 ? kExitExpectationFailed : kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"delegsim: a simulator of Windows / Kerberos impersonation and delegation"};
  app.require_subcommand(1);
  app.set_version_flag("--version", VersionString());

  bool rules_json = false;
  bool rules_sources = false;
  CLI::App* rules = app.add_subcommand(
      "rules", "List the rule table: every rule id with its statement and sources");
  rules->add_flag("--json", rules_json, "Print the table as JSON");
  rules->add_flag("--sources", rules_sources,
                  "Explain the source keys rules cite (SFU-K, KILE-TF, ...) with their links");

  RunOptions run;
  bool no_color = false;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and print the report");
  run_cmd->add_option("file", run.file, "Scenario file (JSON)")->required();
  run_cmd
      ->add_option("--runtime", run.runtime,
                   "tcp (default: the nodes really exchange messages over loopback sockets) or "
                   "virtual (deterministic, simulated time); procs: every host its own process "
                   "(netns: and its own network namespace, root only)")
      ->check(CLI::IsMember({"tcp", "virtual", "procs", "netns"}));
  run_cmd->add_option("--remote", run.remotes,
                      "procs: use a hand-started `delegsim host` for host NAME, NAME=ADDR:PORT");
  run_cmd->add_option("--trace", run.trace_file, "Write the trace as JSON Lines to this file");
  run_cmd->add_flag("--json", run.json, "Print the result as one JSON document");
  run_cmd->add_flag("--show-trace", run.show_trace, "Print the trace as text after the report");
  run_cmd->add_flag("--events", run.events,
                    "Predict the Windows security events of each hop (4768, 4769, 4624, ...)");
  run_cmd->add_option("--fault", run.faults,
                      "Inject a fault, as the scenario's faults section would (repeatable): "
                      "host_down:HOST, kdc_unreachable:REALM, drop:A->B, drop:A<->B, "
                      "delay:A->B,by=500ms, slow_host:HOST,by=2s; each may add "
                      ",start=DURATION,end=DURATION,name=NAME (docs/scenario-format.md)");
  run_cmd->add_option("--html", run.html_file,
                      "Write a self-contained HTML report (hop tree, decisions with their facts, "
                      "sequence diagrams, expectations) to this file");
  run_cmd->add_option("--seed", run.seed, "Override the scenario's seed");
  run_cmd->add_option("--profile", run.profile, "Override the KDC profile")
      ->check(CLI::IsMember({"windows", "mit", "heimdal"}));
  run_cmd
      ->add_option("--parallel", run.parallel,
                   "Keep up to N calls in flight at once (default 1: one after another); a "
                   "clock step waits for the calls before it")
      ->check(CLI::Range(1, 4096));
  run_cmd->add_flag("--no-color", no_color, "Never colour the report");

  std::vector<std::string> validate_files;
  CLI::App* validate =
      app.add_subcommand("validate", "Load scenario files and report every problem");
  validate->add_option("files", validate_files, "Scenario files")->required();

  CheckOptions check;
  CLI::App* check_cmd =
      app.add_subcommand("check", "Run every scenario under the paths and check expectations");
  check_cmd->add_option("paths", check.paths, "Scenario files or folders")->required();
  check_cmd->add_option("--junit", check.junit_file, "Write a JUnit XML report");
  check_cmd
      ->add_option("--runtime", check.runtime,
                   "virtual (default: deterministic and fast, as the golden traces are) or tcp")
      ->check(CLI::IsMember({"tcp", "virtual"}));
  check_cmd
      ->add_option("--parallel", check.parallel,
                   "Keep up to N calls of each scenario in flight at once (default 1)")
      ->check(CLI::Range(1, 4096));

  StepOptions step;
  std::optional<std::string> step_script;
  bool step_no_color = false;
  CLI::App* step_cmd =
      app.add_subcommand("step", "Step through a scenario one event at a time (a debugger)");
  step_cmd->add_option("file", step.file, "Scenario file (JSON)")->required();
  step_cmd
      ->add_option("--runtime", step.runtime,
                   "tcp (nodes over loopback sockets) or virtual (deterministic: back replays)")
      ->check(CLI::IsMember({"tcp", "virtual"}));
  step_cmd->add_option("--commands", step_script,
                       "Commands to run instead of reading them, separated by ';' "
                       "(\"n;n;break rule:KCD-2;c;why\")");
  step_cmd->add_flag("--no-color", step_no_color, "Never colour the output");

  std::function<int()> import_cmd = RegisterImportCommand(app);
  std::function<int()> export_cmd = RegisterExportCommand(app);
  std::function<int()> why_not_cmd = RegisterWhyNotCommand(app);
  std::function<int()> diff_cmds = RegisterDiffCommands(app);
  std::function<int()> host_cmd = RegisterHostCommand(app);
  ReachCommandOptions reach;
  CLI::App* reach_cmd = AddReachSubcommand(app, reach);

  // Every command that reads scenarios bounds their size; "100MB", "1GiB" or bytes.
  size_t max_file_bytes = sim::kMaxScenarioBytes;
  for (CLI::App* cmd : {run_cmd, validate, check_cmd, step_cmd, reach_cmd}) {
    cmd->add_option("--max-file-size", max_file_bytes,
                    "Largest scenario file read (default 64MiB; units B, KB, MB, GB, KiB, MiB, "
                    "GiB)")
        ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true));
  }

  // An unknown first word is a mistyped command, not a missing one: name it and list them.
  if (argc > 1 && argv[1][0] != '-') {
    std::string word = argv[1];
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      std::cerr << "delegsim: unknown command '" << word << "'";
      std::string near = Nearest(word, names);
      if (!near.empty()) std::cerr << " (did you mean " << near << "?)";
      std::cerr << "\ncommands:";
      for (const CLI::App* sub : app.get_subcommands({})) {
        std::string name = sub->get_name();
        name.resize(std::max<size_t>(name.size() + 2, 10), ' ');
        std::cerr << "\n  " << name << sub->get_description();
      }
      std::cerr << "\nRun delegsim COMMAND --help for a command's options.\n";
      return kExitInvalid;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInvalid;
  }
  run.max_file_bytes = check.max_file_bytes = step.max_file_bytes = reach.max_file_bytes =
      max_file_bytes;
  if (int code = import_cmd(); code >= 0) return code;
  if (int code = export_cmd(); code >= 0) return code;
  if (int code = why_not_cmd(); code >= 0) return code;
  if (int code = diff_cmds(); code >= 0) return code;
  if (int code = host_cmd(); code >= 0) return code;
  if (rules->parsed()) {
    return rules_sources ? SourcesCommand(rules_json, std::cout)
                         : RulesCommand(rules_json, std::cout);
  }
  if (run_cmd->parsed()) {
    run.color = !no_color && !run.json && UseColor(true);
    run.width = TerminalWidth();
    run.ascii = !LocaleIsUtf8();
    return RunCommand(run, std::cout, std::cerr);
  }
  if (validate->parsed())
    return ValidateCommand(validate_files, std::cout, std::cerr, max_file_bytes);
  if (check_cmd->parsed()) return CheckCommand(check, std::cout, std::cerr);
  if (reach_cmd->parsed()) return ReachCommand(reach, std::cout, std::cerr);
  if (step_cmd->parsed()) {
    step.color = !step_no_color && UseColor(true);
    return StepMain(step, step_script);
  }
  return kExitInvalid;
}

}  // namespace delegsim::cli
