// Identity classes: principals that every rule treats alike.
//
// A decision reads a principal's kind, domain, userAccountControl bits, Protected Users
// membership and the groups that some rule input names (an RBCD descriptor, a
// selective-authentication list, an ACL); it reads the principal itself only where a rule
// input names it directly (an ACL entry, a LogonUser or S4U target) or where it runs a
// service of the chain (TK-8 compares the identity with the server's account): the
// prober simulates those chains for the principal itself.
// Principals that agree on all of that get the same verdict, level and net_creds in every
// chain, so `delegsim reach` simulates one representative per class and carries the
// answer to the others. tests/analysis/replay_test.cc checks the claim by replaying flows
// of non-representatives in the simulator.
//
//   IdentityClasses classes(world.directory(), scenario);
//   ClassId c = classes.Of(alice);
//   PrincipalId rep = classes.Representative(c);
#ifndef DELEGSIM_ANALYSIS_IDENTITY_CLASSES_H_
#define DELEGSIM_ANALYSIS_IDENTITY_CLASSES_H_

#include <cstdint>
#include <vector>

#include "kdc/directory.h"
#include "sim/scenario.h"

namespace delegsim::analysis {

using kdc::PrincipalId;
using ClassId = uint32_t;

class IdentityClasses {
 public:
  // Every user, computer and service principal of `dir` gets a class; groups and krbtgt
  // accounts get none. Borrows nothing.
  IdentityClasses(const kdc::Directory& dir, const sim::Scenario& scenario);

  ClassId Of(PrincipalId id) const { return class_of_[id]; }
  PrincipalId Representative(ClassId c) const { return members_[c].front(); }
  // Members in ascending id order; the representative is the first.
  const std::vector<PrincipalId>& Members(ClassId c) const { return members_[c]; }
  size_t size() const { return members_.size(); }
  // True for principals that can be a calling identity (users, computers, services).
  bool HasClass(PrincipalId id) const { return id < class_of_.size() && class_of_[id] != kNone; }

  static constexpr ClassId kNone = UINT32_MAX;

 private:
  std::vector<ClassId> class_of_;  // by principal id
  std::vector<std::vector<PrincipalId>> members_;
};

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_IDENTITY_CLASSES_H_
