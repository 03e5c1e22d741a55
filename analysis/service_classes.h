// Service classes: services that every rule treats alike as the target of a hop.
//
// A hop to a service reads the service's transports, privileges and whether it has an
// SPN; its account's kind, domain, userAccountControl bits, groups, Protected Users
// membership and privileges; and its host's domain. It reads the service by name only
// where a rule input names it or its account: an A2D2 entry naming one of the account's
// SPNs (KCD-7), the account's own A2D2, RBCD or allowed-to-authenticate entries, an ACL,
// a step, a fault on its host or a domain controller there, a password (TK-6), or an
// account running several services.
// Such services are classes of their own. Two members of a class called from the same
// place by the same identity get the same verdict, level, net_creds and rules, except
// where the chain itself tells them apart: a caller on the member's own host (ncalrpc,
// LC-1) or an identity or earlier hop running under the member's account (TK-8).
// `delegsim reach` simulates one member per class and carries the answer to the others
// (analysis/reach.cc); tests/analysis/service_classes_test.cc compares that with
// simulating every service.
//
//   ServiceClasses classes(world.directory(), world.topology(), scenario);
//   ServiceClassId c = classes.Of(service_index);
#ifndef DELEGSIM_ANALYSIS_SERVICE_CLASSES_H_
#define DELEGSIM_ANALYSIS_SERVICE_CLASSES_H_

#include <cstdint>
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
  // steps and faults name services, hosts and accounts). Borrows nothing.
  ServiceClasses(const kdc::Directory& dir, const nodes::Topology& topology,
                 const sim::Scenario& scenario);

  ServiceClassId Of(size_t service) const { return class_of_[service]; }
  // Service indexes in ascending order.
  const std::vector<size_t>& Members(ServiceClassId c) const { return members_[c]; }
  size_t size() const { return members_.size(); }

 private:
  std::vector<ServiceClassId> class_of_;  // by service index
  std::vector<std::vector<size_t>> members_;
};

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_SERVICE_CLASSES_H_
