// Scenario edits: one change to a scenario file, written in the scenario's own words, applied
// to its JSON document and re-loaded through the ordinary loader (so every check and every
// located problem of the loader applies to the edited scenario too).
//
// An edit names an element by its collection and name, one of its fields, and what to do:
//
//   accounts[svc_web].trusted_for_delegation = true
//   groups[Protected Users].members -= adm_bob
//   accounts[svc_db].allowed_to_act_on_behalf_of += svc_web
//   calls[c1/web/db].mutual = true          (the call that makes hop c1/web/db)
//   trusts[PARTNER.EXAMPLE->CORP.EXAMPLE].attributes += enable_tgt_delegation
//   options.legacy_rbcd = true              profile = mit
//
// `delegsim what-if --set` also takes the dotted form
// `accounts.svc_web.trusted_for_delegation=false`.
//
//   StatusOr<Edit> e = ParseEdit("accounts.svc_web.trusted_for_delegation=false");
//   EditedScenario r = ApplyEdits(text, "corp.json", {*e});   // r.problems lists what failed
#ifndef DELEGSIM_ANALYSIS_SCENARIO_EDIT_H_
#define DELEGSIM_ANALYSIS_SCENARIO_EDIT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sim/scenario.h"

namespace delegsim::analysis {

struct Edit {
  enum class Op : uint8_t { kSet, kAdd, kRemove };  // =, +=, -=

  // "accounts", "groups", "services", "objects", "hosts", "domains", "trusts", "calls",
  // "options", or "" for a top-level field (profile, seed).
  std::string collection;
  // The element: an account or group name (bare or qualified), a host, service, object or
  // domain name, "TRUSTING->TRUSTED" for a trust, a hop path for a call; "" for options
  // and top-level fields.
  std::string key;
  std::string field;  // "trusted_for_delegation", "members", "acl", "level", ...
  Op op = Op::kSet;
  // The value as JSON text: true, 7, "svc_web", {"allow": "alice", "rights": ["read"]}.
  std::string value;

  // "accounts[svc_web].trusted_for_delegation = true" (strings unquoted when plain).
  std::string ToString() const;
  // A total order, for canonical change sets.
  bool operator<(const Edit& o) const;
  bool operator==(const Edit& o) const;
  // True when both edits write the same field of the same element.
  bool SameTarget(const Edit& o) const;
};

// Parses "accounts.svc_web.trusted_for_delegation=false", "accounts[svc_web].sensitive = true"
// or "groups.Protected Users.members+=adm_bob". The value is JSON when it parses as JSON,
// otherwise a string. kInvalidArgument with what is wrong (no operator, unknown collection
// with did-you-mean, empty name or field).
StatusOr<Edit> ParseEdit(std::string_view text);

// The scenario `text` with `edits` applied in order, loaded by the ordinary loader.
struct EditedScenario {
  std::string text;                       // the edited document (pretty-printed JSON)
  std::optional<sim::Scenario> scenario;  // set when every edit applied and the result loaded
  // What went wrong: an edit naming nothing (with did-you-mean), removing a value that is
  // not there, or a problem the loader found in the edited document, attributed to the
  // edit that wrote the offending element when one did. Every problem, in edit order.
  std::vector<std::string> problems;
};
EditedScenario ApplyEdits(std::string_view text, const std::string& file_name,
                          const std::vector<Edit>& edits);

// OK when `hop_path` ("c1/web/db") names a call of the scenario `text`; otherwise what is
// wrong, with did-you-mean ("step 'c1' makes no call 'dbb' (did you mean 'db'?)").
Status CheckCallPath(std::string_view text, const std::string& hop_path);

// How broadly an edit can change who reaches what, for ranking answers: a call option
// changes one call (0), an ACL entry or an RBCD entry one resource (1), an A2D2 entry one
// account's targets (2), protocol transition every user of one account (3), an account's
// own protection (sensitive, Protected Users) one user everywhere (4), a service's
// transports or privileges (2), a trust or domain (5), unconstrained delegation (6),
// scenario-wide options and the KDC profile (7).
int EditBreadth(const Edit& e);

}  // namespace delegsim::analysis

#endif  // DELEGSIM_ANALYSIS_SCENARIO_EDIT_H_
