// Prober: runs candidate chains through the simulator — the one engine — and answers
// what each hop of the chain decided.
//
// It builds one World for the scenario's directory (virtual runtime, its steps left out)
// with a domain-joined workstation per domain for users to call from, and runs each
// chain as an ordinary call, exactly as `delegsim run` would run it written as a step.
// Answers are remembered per identity class (analysis/identity_classes.h), so a chain is
// simulated once for all principals that every rule treats alike.
//
//   Prober p(scenario);                      // check p.status()
//   Chain c{"alice", p.Workstation(alice), {{"web", TRANSPORT_NCACN_IP_TCP}}};
//   std::vector<HopOutcome> hops = p.Run(c);
#ifndef DELEGSIM_ANALYSIS_PROBER_H_
#define DELEGSIM_ANALYSIS_PROBER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/identity_classes.h"
#include "analysis/service_classes.h"
#include "common/status.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace delegsim::analysis {

// How the identity reached a hop's service: sim/mechanism.h's classification of the hop
// (HopMechanism), whose names MechanismName gives.
enum class Mechanism : uint8_t {
  kDirect,              // the user's own session called it
  kUnconstrained,       // a forwarded TGT (IL-5, UD-*)
  kConstrained,         // S4U2proxy under msDS-AllowedToDelegateTo (KCD-*)
  kProtocolTransition,  // S4U2self, then S4U2proxy (S4U-*, AC-3)
  kRbcd,                // S4U2proxy under the target's RBCD descriptor (RB-*)
  kLocalSession,        // the caller's own logon session from an ncalrpc hop (LC-1)
  kLogonUser,           // a LogonUser token with the password (TK-6)
};
std::string_view MechanismName(Mechanism m);

// One hop of a chain: the service called and how.
struct HopPlan {
  HopPlan() = default;
  HopPlan(std::string s, v1::Transport t) : service(std::move(s)), transport(t) {}

  std::string service;
  v1::Transport transport = v1::TRANSPORT_NCACN_IP_TCP;
  bool protocol_transition = false;
  std::string on_behalf_of;  // with protocol_transition: S4U2self for this account
  std::string logon_user;    // the hop runs inside a LogonUser of this account...
  std::string password;      // ...with this password (TK-6)
};

// A chain: `user`'s session on `from_host` calls hops[0], which calls hops[1], ...
struct Chain {
  std::string user;
  std::string from_host;
  std::vector<HopPlan> hops;
};

// What one hop decided.
struct HopOutcome {
  bool allowed = false;
  std::string identity;  // bare account name the server saw; empty = anonymous or refused
  std::string level;     // "impersonate", ...
  std::string net_creds;
  std::string decided_by;
  std::string error;
  std::vector<std::string> rules;
  Mechanism mechanism = Mechanism::kDirect;
};

class Prober {
 public:
  // With `service_classes`, each chain is simulated with its services replaced by
  // stand-ins it cannot tell apart (analysis/service_classes.h), so that chains through
  // alike services share one simulation; false simulates every chain as given (the
  // reference the tests compare with).
  explicit Prober(const sim::Scenario& scenario, bool service_classes = true);
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Not OK when the scenario did not build (then nothing else may be called).
  const Status& status() const { return status_; }
  const kdc::Directory& directory() const { return world_->directory(); }
  const nodes::Topology& topology() const { return world_->topology(); }
  const IdentityClasses& classes() const { return *classes_; }
  const ServiceClasses& service_classes() const { return *service_classes_; }
  bool uses_service_classes() const { return use_service_classes_; }
  // What `chain` holds apart from its hop `except_hop` (pass chain.hops.size() for all).
  ServiceClasses::View ViewOf(const Chain& chain, size_t except_hop) const;
  // The index of `s` in topology().services().
  size_t IndexOf(const nodes::ServiceInfo& s) const { return &s - topology().services().data(); }
  // The directory as simulated: the scenario without its steps, plus the workstations.
  const sim::Scenario& scenario() const { return scenario_; }
  // The scenario's own steps (where they hold passwords for LogonUser, TK-6).
  const std::vector<sim::StepSpec>& steps() const { return steps_; }

  // The workstation a user of `id`'s domain calls from: a domain-joined host the prober
  // adds per domain, or the workgroup host that holds a local account.
  const std::string& Workstation(PrincipalId id) const;

  // The outcome of each hop the chain reached, in order: every hop up to and including the
  // first that was not allowed. An empty vector means the call did not complete (a
  // runtime failure, reported in `failure`).
  std::vector<HopOutcome> Run(const Chain& chain);
  // The chain as the step `delegsim run` would run, labelled `label`.
  static sim::StepSpec ToStep(const Chain& chain, const std::string& label);
  // The chain as a person reads it, "alice@CORP.EXAMPLE on ws1 -> web -> db".
  static std::string Describe(const Chain& chain);

  // Indexes over the directory (built once).
  const nodes::ServiceInfo* Service(std::string_view name) const;
  // KCD-7: the services `account` may reach by S4U2proxy: its A2D2 SPNs and the SPNs of
  // accounts whose RBCD descriptor lists it or one of its groups.
  const std::vector<const nodes::ServiceInfo*>& S4uTargets(PrincipalId account);
  // The hosts where `account`'s key lives: those running its services, and the host whose
  // computer account it is.
  const std::vector<std::string>& HostsOf(PrincipalId account) const;
  // The accounts whose keys live on `host`, ascending.
  std::vector<PrincipalId> KeysOnHost(const std::string& host) const;

  // What a chain's simulation could read of the world: the principals it names or runs
  // under (full names, or the name as written when it resolves to none), the services and
  // hosts it passes through, and the realms of all of them.
  struct Reads {
    std::vector<std::string> principals;
    std::vector<std::string> services;
    std::vector<std::string> hosts;
    std::vector<std::string> realms;
  };
  // Takes over the answers `before` simulated (for another version of the scenario) whose
  // reads `unaffected` accepts, so that they are not simulated again. Returns how many.
  size_t AdoptAnswers(const Prober& before, const std::function<bool(const Reads&)>& unaffected);

  const std::string& failure() const { return failure_; }
  uint64_t chains_simulated() const { return simulated_; }
  uint64_t hops_simulated() const { return hops_simulated_; }
  uint64_t chains_answered() const { return answered_; }

 private:
  std::optional<PrincipalId> ComputerAccount(const std::string& host) const;

  sim::Scenario scenario_;
  std::vector<sim::StepSpec> steps_;
  Status status_;
  bool use_service_classes_ = true;
  std::unique_ptr<sim::World> world_;
  std::unique_ptr<IdentityClasses> classes_;
  std::unique_ptr<ServiceClasses> service_classes_;
  std::vector<std::string> workstation_of_domain_;
  Reads ReadsOf(const Chain& chain) const;
  void UseStandIns(Chain* chain) const;
  void AddHostReads(const std::string& host, Reads* reads) const;
  void AddPrincipalReads(const std::string& name, Reads* reads) const;

  struct Answer {
    std::vector<HopOutcome> hops;
    Reads reads;
  };
  // By chain key (the chain as simulated, in representatives' names).
  std::unordered_map<std::string, Answer> memo_;
  std::unordered_map<std::string, const nodes::ServiceInfo*> service_by_name_;
  std::unordered_map<std::string, const nodes::ServiceInfo*> service_by_spn_;  // lower-case
  std::vector<std::vector<std::string>> hosts_of_;                             // by principal
  std::unordered_map<PrincipalId, std::vector<std::string>> rbcd_listed_;      // -> target SPNs
  std::vector<std::unique_ptr<std::vector<const nodes::ServiceInfo*>>> s4u_targets_;
  std::string failure_;
  uint64_t simulated_ = 0;
  uint64_t hops_simulated_ = 0;
  uint64_t answered_ = 0;
};

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_PROBER_H_
