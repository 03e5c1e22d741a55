// DirectoryChange: what differs between two versions of a scenario, as the chains the
// prober simulates can read it, so that `delegsim diff` simulates again only the chains a
// change can affect (Prober::AdoptAnswers) and takes every other answer from the first
// directory. Nothing here decides anything: an answer is kept only when every input its
// decisions could read (Prober::Reads) is unchanged, and re-simulated otherwise.
//
//   DirectoryChange change(before_prober, after_prober);
//   after_prober.AdoptAnswers(before_prober,
//                             [&](const Prober::Reads& r) { return change.Unaffected(r); });
//
// Compared: settings every chain reads (options, seed, domains, objects, faults, steps:
// any difference makes every chain affected); trusts (a difference affects the chains
// that involve two realms or more); accounts (every field), the nested group membership
// of every principal, SPN ownership; hosts; and services as the topology resolved them
// (account, SPN, transports, privileges, S4U2proxy targets).
#ifndef DELEGSIM_ANALYSIS_DIRECTORY_CHANGE_H_
#define DELEGSIM_ANALYSIS_DIRECTORY_CHANGE_H_

#include <string>
#include <unordered_set>

#include "analysis/prober.h"

namespace delegsim::analysis {

class DirectoryChange {
 public:
  // Both probers must have built.
  DirectoryChange(const Prober& before, const Prober& after);

  // True when no input of a chain with these reads differs between the two versions.
  bool Unaffected(const Prober::Reads& reads) const;

  bool everything() const { return everything_; }
  bool trusts() const { return trusts_; }
  // Principals (full and bare names), services and hosts whose inputs differ.
  const std::unordered_set<std::string>& principals() const { return principals_; }
  const std::unordered_set<std::string>& services() const { return services_; }
  const std::unordered_set<std::string>& hosts() const { return hosts_; }

 private:
  void CompareAccounts(const Prober& before, const Prober& after);
  void CompareGroups(const Prober& before, const Prober& after);
  void CompareServices(const Prober& before, const Prober& after);

  bool everything_ = false;
  bool trusts_ = false;
  std::unordered_set<std::string> principals_;
  std::unordered_set<std::string> services_;
  std::unordered_set<std::string> hosts_;
  std::unordered_set<std::string> spns_;  // lower-case SPNs of changed accounts
};

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_DIRECTORY_CHANGE_H_
