// Service classes: services that every rule treats alike wherever a chain passes.
//
// A hop to (or from) a service reads the service's transports, privileges and SPN shape
// (its realm suffix, and whether it is a krbtgt); its account's kind, domain, userAccountControl
// bits, groups, Protected Users membership, privileges, and its own A2D2, RBCD and
// allowed-to-authenticate lists; and its host's domain. Beyond those, a chain can tell two
// such services apart only through its relations with the rest of the chain: a host it
// shares with another hop or the caller (ncalrpc, LC-1), an account it shares with the
// identity or another hop (TK-8), an A2D2 entry of the chain naming one of its SPNs
// (KCD-7), or an RBCD or allowed-to-authenticate entry relating it to the chain's
// accounts (RB-1, XR-3). Services that rule inputs name from outside any chain (an ACL,
// a step, a fault on their host, a domain controller there, a password for LogonUser
// (TK-6), an account running several services) are classes of their own.
// The prober (analysis/prober.h) simulates each chain with its services replaced by
// stand-ins that the chain does not tell apart, and reach carries one answer to a
// class's other members; tests/analysis/service_classes_test.cc compares both with
// simulating every service.
//
//   ServiceClasses classes(world.directory(), world.topology(), scenario);
//   ServiceClasses::View view = ...;           // the chain's hosts and principals
//   size_t s = classes.StandIn(view, index);   // a member the chain cannot tell apart
#ifndef DELEGSIM_ANALYSIS_SERVICE_CLASSES_H_
#define DELEGSIM_ANALYSIS_SERVICE_CLASSES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kdc/directory.h"
#include "nodes/topology.h"
#include "sim/scenario.h"

namespace delegsim::analysis {

using kdc::PrincipalId;
using ServiceClassId = uint32_t;

class ServiceClasses {
 public:
  // Classes of topology.services(), by index. `scenario` is the scenario as written (its
  // steps and faults name services, hosts and accounts). Borrows `dir` and `topology`.
  ServiceClasses(const kdc::Directory& dir, const nodes::Topology& topology,
                 const sim::Scenario& scenario);

  ServiceClassId Of(size_t service) const { return class_of_[service]; }
  // Service indexes in ascending order.
  const std::vector<size_t>& Members(ServiceClassId c) const { return members_[c]; }
  size_t size() const { return members_.size(); }

  // What the rest of a chain holds: the hosts it runs on or calls from, and its
  // principals (caller, identity, on_behalf_of and LogonUser accounts, hops' accounts).
  struct View {
    std::vector<std::string> hosts;
    std::vector<PrincipalId> accounts;
  };
  // Whether a chain whose rest is `view` tells `service` apart from its class.
  bool Distinguishes(const View& view, size_t service) const;
  // The first member of `service`'s class that `view` does not tell apart, or `service`
  // itself when the view tells it apart.
  size_t StandIn(const View& view, size_t service) const;

 private:
  const kdc::Directory& dir_;
  const nodes::Topology& topology_;
  std::vector<ServiceClassId> class_of_;  // by service index
  std::vector<std::vector<size_t>> members_;
};

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_SERVICE_CLASSES_H_
