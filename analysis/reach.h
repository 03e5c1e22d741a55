// Reach: where an identity's credentials can flow, what holding an account's keys gains,
// and who can arrive at a service — answered from the directory alone by running
// candidate chains through the simulator (analysis/prober.h), so every flow carries the
// same rule ids a run would show and can be replayed as an ordinary step.
//
//   Prober prober(scenario);
//   Reach reach(prober, {.max_hops = 4});
//   StatusOr<std::vector<Flow>> flows = reach.ForIdentity(*dir.Find("alice"));
#ifndef DELEGSIM_ANALYSIS_REACH_H_
#define DELEGSIM_ANALYSIS_REACH_H_

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analysis/prober.h"
#include "common/status.h"

namespace delegsim::analysis {

// An identity arriving at a service.
struct Flow {
  std::string identity;  // full name, "alice@CORP.EXAMPLE"
  std::string service;
  std::string host;
  std::string level;
  std::string net_creds;
  Mechanism mechanism = Mechanism::kDirect;
  std::vector<std::string> chain;  // service names, in call order
  std::vector<std::string> rules;  // every rule the arriving hop named
  std::string via;                 // --compromised: the account whose keys were used
  Chain replay;                    // the chain that produced it, for `run` and `step`
};

struct ReachOptions {
  int max_hops = 4;
  size_t max_flows = 1'000'000;
  // Accounts an attacker can make authenticate to a compromised host (coercion); with
  // coerce_everyone, every account.
  std::vector<PrincipalId> coerce;
  bool coerce_everyone = false;
  // Follow what the obtained credentials reach onward (false: only what the keys give).
  bool onward = true;
  // ForCompromised: false returns one flow per identity class (its representative's);
  // ForEachMember then walks the members. --blast-radius counts this way.
  bool expand_classes = true;
  // Called after each unit of work with (done, total), for a progress display.
  std::function<void(size_t, size_t)> progress;
};

class Reach {
 public:
  // Borrows `prober`, which must have built (prober.status().ok()).
  Reach(Prober& prober, ReachOptions options) : prober_(prober), options_(std::move(options)) {}
  Reach(const Reach&) = delete;
  Reach& operator=(const Reach&) = delete;

  // Every service where `who`'s identity can arrive, and a shortest chain for each
  // (service, level, net_creds, mechanism).
  StatusOr<std::vector<Flow>> ForIdentity(PrincipalId who);
  // What an attacker holding the keys of `accounts` gains: S4U2self for any principal
  // followed by S4U2proxy where A2D2 or RBCD allows it, and the forwarded TGTs of accounts
  // that authenticate to an unconstrained service the keys run; then (options.onward)
  // where those credentials reach.
  StatusOr<std::vector<Flow>> ForCompromised(const std::vector<PrincipalId>& accounts);
  // Every flow that ends at `services`: from every identity, then from every account
  // holding a key on some host (flows with `via` set).
  StatusOr<std::vector<Flow>> ToServices(const std::vector<std::string>& services);

  // Accounts that hold a key on some host: service accounts of services and the computer
  // accounts of hosts, ascending.
  std::vector<PrincipalId> KeyHolders() const;
  // Every member of the class of `flow`'s identity, as its own flow (members the chain
  // compares with a hop's account are simulated for themselves).
  void Expand(const Flow& flow, std::vector<Flow>* out);
  // The same, one member at a time, without keeping the flows.
  void ForEachMember(const Flow& flow, const std::function<void(PrincipalId, const Flow&)>& fn);
  // The same for `members` only, each a member of the class of `flow`'s identity.
  void ForMembers(const Flow& flow, const std::vector<PrincipalId>& members,
                  const std::function<void(PrincipalId, const Flow&)>& fn);
  // The accounts `flow`'s chain compares the identity with (TK-8): its caller and the
  // accounts of its hops' services. Only those members of a class get their own simulation
  // in ForEachMember; every other member's flow is the representative's, renamed.
  std::vector<PrincipalId> ComparedAccounts(const Flow& flow) const;

 private:
  struct State;
  struct Sweep;
  Status Search(std::vector<State> start, std::vector<Flow>* flows);
  Status Add(const Chain& chain, const std::vector<HopOutcome>& hops, const std::string& via,
             std::vector<Flow>* flows, std::vector<State>* next);
  // Probes sweep.prefix + {t, transport} and adds what it reaches. Where the prober uses
  // service classes and the chain cannot tell t from the other members of its class, one
  // answer per class serves them all.
  Status Probe(Sweep& sweep, const nodes::ServiceInfo& t, v1::Transport transport,
               std::vector<Flow>* flows, std::vector<State>* next);

  Prober& prober_;
  ReachOptions options_;
  // Per search: states already expanded, and flows already listed.
  std::unordered_set<std::string> seen_;
  std::unordered_set<std::string> listed_;
  // Per search, by (outcome, service class, transport): the members already added with
  // that outcome, whose Add would change nothing again.
  std::unordered_map<std::string, std::vector<bool>> carried_;
};

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_REACH_H_
