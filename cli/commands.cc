#include "cli/commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/junit.h"
#include "cli/output_file.h"
#include "cli/reach_command.h"
#include "cli/step.h"
#include "common/rules.h"
#include "common/text.h"
#include "net/asio_runtime.h"
#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::cli {
namespace {

namespace fs = std::filesystem;

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Loads a scenario and applies command-line overrides; problems go to `err`.
std::optional<sim::Scenario> Load(const std::string& file, std::ostream& err) {
  sim::LoadResult r = sim::LoadScenarioFile(file);
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
  bool completed = false;
  std::string error;
};

Outcome Execute(const sim::Scenario& scenario, const std::string& runtime_kind,
                std::ostream* trace) {
  Outcome o;
  StatusOr<std::unique_ptr<nodes::Runtime>> rt = MakeRuntime(runtime_kind);
  if (!rt.ok()) {
    o.error = rt.status().ToString();
    return o;
  }
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario, std::move(rt).value());
  if (!world.ok()) {
    o.error = world.status().ToString();
    return o;
  }
  o.world = std::move(world).value();
  if (trace) {
    o.world->SetTraceSink(
        [trace](const nodes::TraceRecord& r) { *trace << sim::TraceLineJson(r) << "\n"; });
  }
  Status st = o.world->Run();
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
  o.expectations = sim::CheckExpectations(scenario, o.world->outcomes());
  return o;
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
  if (Status st = CheckOutputPaths({options.file}, {{"--trace", options.trace_file}}); !st.ok()) {
    err << "delegsim run: " << st.message() << "\n";
    return kExitInvalid;
  }
  std::optional<sim::Scenario> scenario = Load(options.file, err);
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
  Outcome o = Execute(*scenario, options.runtime, trace ? &trace->stream() : nullptr);
  if (!o.world) {
    err << options.file << ": " << o.error << "\n";
    return kExitInvalid;
  }
  if (trace) {
    if (Status st = trace->Commit(); !st.ok()) {
      err << st.message() << "\n";
      return kExitInvalid;
    }
  }
  if (options.json) {
    out << sim::RenderJson(*o.world, o.expectations) << "\n";
  } else {
    out << sim::RenderReport(*o.world, o.expectations, options.file, options.color);
    if (options.show_trace) {
      out << "\ntrace (" << o.world->trace().size() << " records)\n";
      for (const nodes::TraceRecord& r : o.world->trace()) out << sim::TraceLineText(r) << "\n";
    }
  }
  if (!o.completed) {
    err << options.file << ": the run did not complete: " << EscapeUnsafe(o.error) << "\n";
    return kExitInvalid;
  }
  return o.expectations.failed > 0 ? kExitExpectationFailed : kExitOk;
}

int ValidateCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  bool invalid = false;
  for (const std::string& f : files) {
    if (Load(f, err)) {
      out << f << ": ok\n";
    } else {
      invalid = true;
    }
  }
  return invalid ? kExitInvalid : kExitOk;
}

int CheckCommand(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  bool missing = false;
  std::vector<std::string> files = ScenarioFiles(options.paths, err, missing);
  if (Status st = CheckOutputPaths(files, {{"--junit", options.junit_file}}); !st.ok()) {
    err << "delegsim check: " << st.message() << "\n";
    return kExitInvalid;
  }
  int passed = 0;
  int failed = 0;
  bool invalid = false;  // a scenario did not load or its run did not complete
  JUnitReport junit;
  for (const std::string& f : files) {
    auto start = std::chrono::steady_clock::now();
    std::ostringstream problems;
    std::optional<sim::Scenario> scenario = Load(f, problems);
    std::string name = scenario ? scenario->name : fs::path(f).stem().string();
    std::string line;
    std::string failure;
    if (!scenario) {
      invalid = true;
      failure = problems.str();
      line = "FAIL  " + name + "  invalid scenario (" + f + ")";
      err << EscapeUnsafe(failure, /*keep_line_breaks=*/true);
    } else {
      Outcome o = Execute(*scenario, options.runtime, nullptr);
      size_t hops = o.world ? sim::AllHops(o.world->outcomes()).size() : 0;
      bool ok = o.world && o.completed && o.expectations.failed == 0;
      if (!o.world || !o.completed) {
        invalid = true;
        failure = "the run did not complete: " + o.error + "\n";
      }
      for (const sim::ExpectationFailure& e : o.expectations.failures)
        failure += e.ToString(f) + "\n";
      bool analysed = true;
      std::string broken = InvariantFailures(*scenario, f, &analysed);
      failure += broken;
      ok = ok && broken.empty() && analysed;

      line = std::string(ok ? "PASS  " : "FAIL  ") + name + "  hops=" + std::to_string(hops) +
             "  expectations=" + std::to_string(o.expectations.passed) + "/" +
             std::to_string(o.expectations.passed + o.expectations.failed);
      if (!scenario->invariants.empty()) {
        line += "  invariants=" + std::to_string(scenario->invariants.size()) + " " +
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
  if (missing || invalid) return kExitInvalid;
  return failed > 0 ? kExitExpectationFailed : kExitOk;
}

int RulesCommand(bool json, std::ostream& out) {
  if (json) {
    out << "[\n";
    bool first = true;
    for (const RuleInfo& r : AllRules()) {
      out << (first ? "" : ",\n") << "  {\"id\": \"" << r.code << "\", \"enforcer\": \""
          << EnforcerName(r.enforcer) << "\", \"statement\": \"" << JsonEscape(r.statement)
          << "\", \"sources\": \"" << JsonEscape(r.sources) << "\"}";
      first = false;
    }
    out << "\n]\n";
    return kExitOk;
  }
  for (const RuleInfo& r : AllRules()) {
    std::string id(r.code);
    id.resize(7, ' ');
    std::string who(EnforcerName(r.enforcer));
    who.resize(10, ' ');
    out << id << who << r.statement << "\n"
        << std::string(17, ' ') << "sources: " << r.sources << "\n";
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"delegsim: a simulator of Windows / Kerberos impersonation and delegation"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "delegsim 0.1.0");

  bool rules_json = false;
  CLI::App* rules = app.add_subcommand(
      "rules", "List the rule table: every rule id with its statement and sources");
  rules->add_flag("--json", rules_json, "Print the table as JSON");

  RunOptions run;
  bool no_color = false;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and print the report");
  run_cmd->add_option("file", run.file, "Scenario file (JSON)")->required();
  run_cmd->add_option("--runtime", run.runtime, "tcp (nodes over loopback sockets) or virtual")
      ->check(CLI::IsMember({"tcp", "virtual"}));
  run_cmd->add_option("--trace", run.trace_file, "Write the trace as JSON Lines to this file");
  run_cmd->add_flag("--json", run.json, "Print the result as one JSON document");
  run_cmd->add_flag("--show-trace", run.show_trace, "Print the trace as text after the report");
  run_cmd->add_option("--seed", run.seed, "Override the scenario's seed");
  run_cmd->add_option("--profile", run.profile, "Override the KDC profile")
      ->check(CLI::IsMember({"windows", "mit", "heimdal"}));
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
  check_cmd->add_option("--runtime", check.runtime, "virtual (default) or tcp")
      ->check(CLI::IsMember({"tcp", "virtual"}));

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

  ReachCommandOptions reach;
  CLI::App* reach_cmd = AddReachSubcommand(app, reach);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInvalid;
  }
  if (rules->parsed()) return RulesCommand(rules_json, std::cout);
  if (run_cmd->parsed()) {
    run.color = !no_color && !run.json && UseColor(true);
    return RunCommand(run, std::cout, std::cerr);
  }
  if (validate->parsed()) return ValidateCommand(validate_files, std::cout, std::cerr);
  if (check_cmd->parsed()) return CheckCommand(check, std::cout, std::cerr);
  if (reach_cmd->parsed()) return ReachCommand(reach, std::cout, std::cerr);
  if (step_cmd->parsed()) {
    step.color = !step_no_color && UseColor(true);
    return StepMain(step, step_script);
  }
  return kExitInvalid;
}

}  // namespace delegsim::cli
