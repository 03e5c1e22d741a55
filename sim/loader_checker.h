// The loader's checker: names that refer to nothing, duplicates and combinations no
// real deployment allows, across sections (sim/loader_check_*.cc, section by section;
// sim/loader_checker.cc: the indexes and name resolution they share).
#ifndef DELEGSIM_SIM_LOADER_CHECKER_H_
#define DELEGSIM_SIM_LOADER_CHECKER_H_

#include "sim/loader_internal.h"

namespace delegsim::sim::loader_internal {

class Checker {
 public:
  Checker(const Scenario& s, const Sources& src, const PathLines& lines, std::vector<Raw>* problems)
      : s_(s), src_(src), lines_(lines), problems_(problems) {}
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void Run();

 private:
  // A realm, or a workgroup host's local account database.
  struct Realm {
    std::string name;
    bool workgroup;
    std::string path;  // where it was declared
  };
  struct Host {
    std::string name;
    std::string domain;  // empty: workgroup
    std::string path;    // empty: a domain controller host the world builder adds
  };
  static constexpr size_t kNoRealm = static_cast<size_t>(-1);
  struct Principal {
    std::string name;
    size_t realm;  // index into realms_; kNoRealm when its domain is unknown (reported)
    bool group;
    bool builtin;      // krbtgt
    std::string path;  // where it was declared
  };

  void Report(const LazyPath& path, std::string message);

  int Line(const std::string& path) const { return LineOfPath(lines_, path); }
  std::string AtLine(const std::string& path) const;

  // --- Indexes.

  void IndexDomains();

  void IndexHosts();

  void AddPrincipal(Principal p);

  static std::string QualifiedKey(size_t realm, std::string_view name);

  void IndexPrincipals();

  std::string FirstAt(const std::string& path) const;

  std::optional<size_t> FindRealm(std::string_view name) const;

  void AddRealm(Realm r);

  // The realm a "DOMAIN\name" reference names: by realm, then by NetBIOS name.
  std::optional<size_t> FindRealmPrefix(const std::string& lower) const;

  const Host* FindHost(const std::string& name) const;

  void AddHost(Host h);

  // DidYouMean over the candidates `make` builds, within a budget of comparisons for the
  // whole load: a huge broken file gets suggestions for its first problems only.
  std::string Suggest(std::string_view word, const std::function<std::vector<Candidate>()>& make);

  std::vector<Candidate> RealmCandidates(bool workgroups) const;

  // The realm (declared domain or, with `workgroups`, a workgroup host) named `name`.
  std::optional<size_t> ResolveRealm(const std::string& name, const LazyPath& path,
                                     bool workgroups);

  const Host* ResolveHost(const std::string& name, const LazyPath& path);

  enum class Want { kAny, kAccount, kGroup };

  // Resolves a principal reference as the directory does: "alice", "alice@CORP.EXAMPLE"
  // or "CORP\alice"; a bare name must be unique. Reports and returns nullptr on failure.
  const Principal* ResolvePrincipal(const std::string& name, const LazyPath& path, Want want);

  std::string Qualified(const Principal& p) const;

  // --- Checks, section by section.

  void CheckDomains();

  void CheckTrusts();

  void CheckHosts();

  void CheckAccounts();

  void CheckGroups();

  void CheckServices();

  void CheckObjects();

  void CheckSteps();

  const Host* ServiceHost(const std::string& service) const;

  void CheckCalls();

  // Every name an invariant uses resolves: accounts and groups, hosts, services.
  void CheckFaults();

  void CheckInvariants();

  void CheckExpectations();

  const Scenario& s_;
  const Sources& src_;
  const PathLines& lines_;
  std::vector<Raw>* problems_;
  std::vector<Realm> realms_;  // declared domains, then workgroup hosts (as the world adds them)
  std::vector<Host> hosts_;
  std::vector<Principal> principals_;
  std::set<std::string> step_names_;
  // Indexes over the vectors above and the scenario, for lookups by name.
  // Looked up, never iterated: hash tables.
  std::unordered_map<std::string, size_t> realm_index_;    // lower-case realm -> realms_ (first)
  std::unordered_map<std::string, size_t> netbios_index_;  // lower-case first label -> realms_
  std::unordered_map<std::string, size_t> host_index_;     // name -> hosts_
  std::unordered_map<std::string, std::vector<size_t>> bare_index_;  // lower-case name
  std::unordered_map<std::string, size_t> qualified_index_;          // QualifiedKey -> principals_
  std::unordered_map<std::string, size_t> service_index_;            // name -> s_.services (first)
  uint64_t suggestion_budget_ = 500'000;                             // candidates compared, in all
};

}  // namespace delegsim::sim::loader_internal

#endif  // DELEGSIM_SIM_LOADER_CHECKER_H_
