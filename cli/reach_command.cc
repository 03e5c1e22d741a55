#include "cli/reach_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "analysis/invariants.h"
#include "analysis/prober.h"
#include "analysis/reach.h"
#include "analysis/report.h"
#include "cli/commands.h"
#include "cli/output_file.h"
#include "sim/loader.h"
#include "sim/suggest.h"

namespace delegsim::cli {
namespace {

using analysis::Flow;
using kdc::PrincipalId;

// Groups whose members count as privileged in --blast-radius (besides --privileged).
constexpr std::string_view kPrivilegedGroups[] = {"Domain Admins", "Enterprise Admins",
                                                  "Administrators", "Schema Admins", "Tier0"};

// A progress bar on stderr for work that takes longer than a second, only on a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(Clock::now()) {}
  ~Progress() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
  }
  void operator()(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    auto now = Clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(100))
      return;
    last_ = now;
    shown_ = true;
    size_t filled = done * 30 / total;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(30 - filled, ' ') << "] " << done
              << "/" << total << std::flush;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_;
  Clock::time_point last_;
};

class Resolver {
 public:
  explicit Resolver(const analysis::Prober& p) : p_(p) {}

  std::optional<PrincipalId> Account(const std::string& name, std::ostream& err) const {
    const kdc::Directory& dir = p_.directory();
    std::optional<PrincipalId> id = dir.Find(name);
    if (id && p_.classes().HasClass(*id)) return id;
    std::vector<std::string> names;
    for (PrincipalId i = 1; i <= dir.principal_count(); ++i) {
      if (p_.classes().HasClass(i)) names.push_back(dir.Name(i));
    }
    err << "unknown account '" << name << "'" << sim::DidYouMean(name, names) << "\n";
    return std::nullopt;
  }
  bool Host(const std::string& name, std::ostream& err) const {
    if (p_.topology().FindHost(name)) return true;
    std::vector<std::string> names;
    for (const nodes::HostInfo& h : p_.topology().hosts()) names.push_back(h.name);
    err << "unknown host '" << name << "'" << sim::DidYouMean(name, names) << "\n";
    return false;
  }
  bool Service(const std::string& name, std::ostream& err) const {
    if (p_.topology().FindService(name)) return true;
    std::vector<std::string> names;
    for (const nodes::ServiceInfo& s : p_.topology().services()) names.push_back(s.name);
    err << "unknown service '" << name << "'" << sim::DidYouMean(name, names) << "\n";
    return false;
  }
  std::optional<PrincipalId> Group(const std::string& name, std::ostream& err) const {
    const kdc::Directory& dir = p_.directory();
    std::optional<PrincipalId> id = dir.Find(name);
    if (id && dir.Get(*id).kind == kdc::PrincipalKind::kGroup) return id;
    std::vector<std::string> names;
    for (PrincipalId i = 1; i <= dir.principal_count(); ++i) {
      if (dir.Get(i).kind == kdc::PrincipalKind::kGroup) names.push_back(dir.Name(i));
    }
    err << "unknown group '" << name << "'" << sim::DidYouMean(name, names) << "\n";
    return std::nullopt;
  }

 private:
  const analysis::Prober& p_;
};

std::optional<std::string> HostPart(const std::string& s) {
  if (s.rfind("host:", 0) == 0) return s.substr(5);
  return std::nullopt;
}

std::vector<analysis::Exposure> BlastRadius(analysis::Prober& prober,
                                            analysis::ReachOptions options,
                                            const std::vector<PrincipalId>& privileged_groups,
                                            Status* status) {
  const kdc::Directory& dir = prober.directory();
  auto progress = options.progress;
  options.onward = false;
  options.coerce_everyone = true;
  options.expand_classes = false;
  options.progress = nullptr;
  analysis::Reach reach(prober, options);
  std::vector<PrincipalId> holders = reach.KeyHolders();
  std::vector<analysis::Exposure> rows;
  for (size_t i = 0; i < holders.size(); ++i) {
    PrincipalId x = holders[i];
    StatusOr<std::vector<Flow>> flows = reach.ForCompromised({x});
    if (!flows.ok()) {
      *status = flows.status();
      return {};
    }
    analysis::Exposure e;
    e.account = dir.FullName(x);
    e.hosts = prober.HostsOf(x);
    std::vector<bool> exposed(dir.principal_count() + 1, false);
    std::set<std::string> services;
    for (const Flow& f : *flows) {
      reach.ForEachMember(f, [&](PrincipalId m, const Flow& mine) {
        if (m == x || m == kdc::kNobody) return;
        exposed[m] = true;
        services.insert(mine.service);
      });
    }
    e.identities = static_cast<size_t>(std::count(exposed.begin(), exposed.end(), true));
    e.services = services.size();
    for (PrincipalId id = 1; id < exposed.size(); ++id) {
      if (!exposed[id]) continue;
      for (PrincipalId g : privileged_groups) {
        if (dir.Matches(id, g)) {
          e.privileged.push_back(dir.FullName(id));
          break;
        }
      }
    }
    rows.push_back(std::move(e));
    if (progress) progress(i + 1, holders.size());
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.privileged.size() != b.privileged.size())
      return a.privileged.size() > b.privileged.size();
    return a.identities > b.identities;
  });
  return rows;
}

}  // namespace

CLI::App* AddReachSubcommand(CLI::App& app, ReachCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "reach", "Where credentials can flow, what compromised keys give, who arrives where");
  cmd->add_option("file", o.file, "Scenario file (JSON); its steps are not needed")->required();
  cmd->add_option("--identity", o.identity,
                  "Every service this account's identity can arrive at, and how");
  cmd->add_option("--compromised", o.compromised,
                  "Accounts (or host:NAME) whose keys an attacker holds: what they gain");
  cmd->add_option("--coerce", o.coerce,
                  "With --compromised: accounts the attacker can make authenticate to the "
                  "compromised hosts ('*' for every account)");
  cmd->add_option("--to", o.to, "A service (or host:NAME): which identities can arrive there");
  cmd->add_flag("--blast-radius", o.blast_radius,
                "For every account holding a key on some host: what its compromise exposes");
  cmd->add_option("--privileged", o.privileged,
                  "With --blast-radius: groups whose members count as privileged (besides "
                  "Domain Admins, Enterprise Admins, Administrators, Schema Admins, Tier0)");
  cmd->add_option("--max-hops", o.max_hops, "Longest chain followed (default 4)")
      ->check(CLI::Range(1, 16));
  cmd->add_option("--max-flows", o.max_flows, "Stop when more flows than this are found")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o.json, "Print the answer as JSON");
  cmd->add_flag("--quiet,-q", o.quiet, "No progress bar");
  cmd->add_option("--emit-scenario", o.emit, "Write flow N as a runnable scenario (with -o)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-o,--output", o.output, "Where --emit-scenario writes");
  return cmd;
}

int ReachCommand(const ReachCommandOptions& o, std::ostream& out, std::ostream& err) {
  int queries = (o.identity ? 1 : 0) + (o.compromised.empty() ? 0 : 1) + (o.to ? 1 : 0) +
                (o.blast_radius ? 1 : 0);
  if (queries != 1) {
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
  Resolver resolve(prober);
  const kdc::Directory& dir = prober.directory();

  bool interactive = isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr && !o.quiet;
  Progress progress(interactive);
  analysis::ReachOptions options;
  options.max_hops = o.max_hops;
  options.max_flows = o.max_flows;
  options.progress = [&progress](size_t d, size_t t) { progress(d, t); };

  bool bad = false;
  std::vector<Flow> flows;
  std::string title;
  Status status;
  if (o.blast_radius) {
    std::vector<PrincipalId> groups;
    for (std::string_view g : kPrivilegedGroups) {
      if (std::optional<PrincipalId> id = dir.Find(g);
          id && dir.Get(*id).kind == kdc::PrincipalKind::kGroup) {
        groups.push_back(*id);
      }
    }
    for (const std::string& g : o.privileged) {
      if (std::optional<PrincipalId> id = resolve.Group(g, err)) {
        groups.push_back(*id);
      } else {
        bad = true;
      }
    }
    if (bad) return kExitInvalid;
    std::vector<analysis::Exposure> rows = BlastRadius(prober, options, groups, &status);
    if (!status.ok()) {
      err << o.file << ": the analysis did not complete: " << status.ToString() << "\n";
      return kExitInvalid;
    }
    out << (o.json ? analysis::RenderExposuresJson(rows) : analysis::RenderExposuresText(rows));
    return kExitOk;
  }

  analysis::Reach reach(prober, options);
  StatusOr<std::vector<Flow>> result = std::vector<Flow>();
  if (o.identity) {
    std::optional<PrincipalId> who = resolve.Account(*o.identity, err);
    if (!who) return kExitInvalid;
    title = "where " + dir.FullName(*who) + "'s identity can arrive (up to " +
            std::to_string(o.max_hops) + " hops)";
    result = reach.ForIdentity(*who);
  } else if (!o.compromised.empty()) {
    std::vector<PrincipalId> keys;
    for (const std::string& c : o.compromised) {
      if (std::optional<std::string> host = HostPart(c)) {
        if (!resolve.Host(*host, err)) {
          bad = true;
          continue;
        }
        for (PrincipalId id : prober.KeysOnHost(*host)) keys.push_back(id);
      } else if (std::optional<PrincipalId> id = resolve.Account(c, err)) {
        keys.push_back(*id);
      } else {
        bad = true;
      }
    }
    for (const std::string& c : o.coerce) {
      if (c == "*") {
        options.coerce_everyone = true;
      } else if (std::optional<PrincipalId> id = resolve.Account(c, err)) {
        options.coerce.push_back(*id);
      } else {
        bad = true;
      }
    }
    if (bad) return kExitInvalid;
    analysis::Reach attack(prober, options);
    std::string names;
    for (PrincipalId k : keys) names += (names.empty() ? "" : ", ") + dir.Name(k);
    title = "what the keys of " + (names.empty() ? std::string("nobody") : names) + " give";
    result = attack.ForCompromised(keys);
  } else {
    std::vector<std::string> services;
    if (std::optional<std::string> host = HostPart(*o.to)) {
      if (!resolve.Host(*host, err)) return kExitInvalid;
      for (const nodes::ServiceInfo& s : prober.topology().services()) {
        if (s.host == *host) services.push_back(s.name);
      }
    } else {
      if (!resolve.Service(*o.to, err)) return kExitInvalid;
      services.push_back(*o.to);
    }
    title = "who can arrive at " + *o.to;
    result = reach.ToServices(services);
  }
  if (!result.ok()) {
    err << o.file << ": the analysis did not complete: " << result.status().ToString() << "\n";
    return kExitInvalid;
  }
  flows = std::move(result).value();
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
    // Never an input, and only whole (cli/output_file.h).
    Status st = CheckOutputPaths({o.file}, {{"-o", o.output}});
    if (st.ok()) {
      StatusOr<std::unique_ptr<OutputFile>> f = OutputFile::Create(o.output);
      st = f.ok() ? Status::Ok() : f.status();
      if (st.ok()) {
        (*f)->stream() << *doc;
        st = (*f)->Commit();
      }
    }
    if (!st.ok()) {
      err << "reach: " << st.message() << "\n";
      return kExitInvalid;
    }
    err << "wrote flow #" << *o.emit << " to " << o.output << " (run it with: delegsim run "
        << o.output << ")\n";
    return kExitOk;
  }
  out << (o.json ? analysis::RenderFlowsJson(flows) : analysis::RenderFlowsText(title, flows));
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
