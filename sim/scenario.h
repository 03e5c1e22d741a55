// Scenario: the in-memory model of a delegation design — domains, trusts, hosts,
// accounts, groups, services, securable objects, the calls to run and the clock steps
// between them, and the expectations to check. The JSON loader (sim/loader.h) fills it
// from a file; tests may build it directly. Names are resolved when a World is built.
#ifndef DELEGSIM_SIM_SCENARIO_H_
#define DELEGSIM_SIM_SCENARIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/envelope.pb.h"

namespace delegsim::sim {

// Where a value was written in the scenario file, for messages.
struct Origin {
  std::string path;  // JSON path, "$.expect[3]"
  int line = 0;      // 1-based; 0 when unknown (built in code)
};

struct DomainSpec {
  std::string realm;   // "CORP.EXAMPLE"
  std::string forest;  // defaults to the realm
  int functional_level = 7;
  std::string dc_host;  // host of the domain controller; default "dc.<realm lower-case>"
};

struct TrustSpec {
  std::string trusting;  // resource domain
  std::string trusted;   // account domain
  bool two_way = true;
  uint32_t attributes = 0;  // kdc::trust_attr bits
};

struct HostSpec {
  std::string name;
  std::string domain;  // empty: workgroup host
};

enum class AccountKind : uint8_t { kUser, kComputer, kService };

struct AccountSpec {
  std::string name;
  std::string domain;  // realm, or a workgroup host name for a local account
  AccountKind kind = AccountKind::kUser;
  std::vector<std::string> spns;
  bool trusted_for_delegation = false;          // TD
  bool not_delegated = false;                   // ND ("sensitive")
  bool trusted_to_auth_for_delegation = false;  // T2A4D
  bool disabled = false;
  std::vector<std::string> allowed_to_delegate_to;   // A2D2 (SPNs)
  std::vector<std::string> allowed_to_act;           // RBCD: account or group names
  std::vector<std::string> allowed_to_authenticate;  // XR-3
  std::vector<std::string> member_of;
  std::vector<std::string> privileges;
  std::string password;
};

struct GroupSpec {
  std::string name;
  std::string domain;
  std::vector<std::string> members;  // accounts or groups
};

struct ServiceSpec {
  std::string name;
  std::string host;
  std::string account;
  std::string spn;  // empty: the account's first SPN, if any
  std::vector<v1::Transport> transports;
  std::vector<std::string> privileges = {"SeImpersonatePrivilege"};
};

struct AceSpec {
  std::string who;
  bool allow = true;
  std::vector<std::string> rights;
};

struct ObjectSpec {
  std::string name;
  std::string host;
  std::string owner;
  std::vector<AceSpec> acl;
};

struct StepSpec {
  Origin origin;
  enum class Kind : uint8_t { kCall, kAdvanceClock } kind = Kind::kCall;
  std::string label;  // the call's name: the first element of its hop paths
  std::string user;
  std::string from_host;
  v1::CallSpec call;       // the first hop and, nested in its ops, everything after
  int64_t advance_ms = 0;  // kAdvanceClock
};

// One assertion about a hop (addressed by its path, "c1/web/db") or about one of the
// operations a hop ran (`op_target` set: the object, privilege or user it named).
struct Expectation {
  Origin origin;
  std::string path;
  // An expectation with a target, a kind or both is about the first operation at the hop
  // that matches them; with neither it is about the hop itself.
  std::string op_target;  // the object, privilege or user the operation named
  std::string op;         // the operation kind ("open", "create_process", "revert", ...)
  std::optional<std::string> verdict;     // "allowed" | "denied"
  std::optional<std::string> identity;    // full or bare name, or "anonymous"
  std::optional<std::string> level;       // "anonymous" | "identify" | "impersonate" | "delegate"
  std::optional<std::string> net_creds;   // "none", "tgt", "own_session", "s4u_proxy{...}"
  std::optional<std::string> decided_by;  // the deciding rule id
  std::optional<std::string> error;       // the protocol error
  std::vector<std::string> rules;         // each must be among the rules named
  std::vector<std::string> not_rules;     // none of these may be named
  std::vector<std::pair<std::string, bool>> ticket_flags;  // {"ok_as_delegate", true}
};

// A property of the design that `delegsim check` proves over every credential flow
// `delegsim reach` finds (analysis/invariants.h), not only over the steps.
struct InvariantSpec {
  Origin origin;
  std::string name;
  enum class Kind : uint8_t {
    kNoReach,      // no identity of `identities` arrives at `targets` at `min_level` or above
    kOnlyHolders,  // only `holders` end up holding `net_creds` (for `spn`)
    kOnlyThrough,  // every identity arrives at `service` through one of `via`
  } kind = Kind::kNoReach;
  std::vector<std::string> identities;  // kNoReach: accounts or groups
  std::vector<std::string> targets;     // kNoReach: "host:NAME", "service:NAME", or a group
  std::string min_level = "impersonate";
  std::vector<std::string> holders;  // kOnlyHolders: accounts or groups
  std::string net_creds;             // kOnlyHolders: "tgt" | "own_session" | "s4u_proxy"
  std::string spn;                   // kOnlyHolders with s4u_proxy: only targets naming it
  std::string service;               // kOnlyThrough
  std::vector<std::string> via;      // kOnlyThrough: services
};

// A fault injected into the simulated network (nodes/faults.h), for a window of
// simulated time since the start of the run.
struct FaultSpec {
  Origin origin;
  std::string name;  // optional
  enum class Kind : uint8_t {
    kHostDown,
    kKdcUnreachable,
    kDrop,
    kDelay,
    kSlowHost
  } kind = Kind::kHostDown;
  std::string host;        // kHostDown, kSlowHost
  std::string domain;      // kKdcUnreachable
  std::string from;        // kDrop, kDelay: the sending host
  std::string to;          // kDrop, kDelay: the receiving host
  bool both_ways = false;  // kDrop, kDelay: also from `to` to `from`
  int64_t by_ms = 0;       // kDelay, kSlowHost
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;  // absent: until the end of the run
};

struct Options {
  std::string profile = "windows";
  bool legacy_rbcd_nonforwardable_ok = false;
  bool ignore_delegate_failure = false;
  std::string client_policy = "windows";  // "windows" | "mit"
  bool logon_user_requires_tcb = false;
  int hop_limit = 16;
};

struct Scenario {
  std::string name;
  std::string description;
  Options options;
  uint64_t seed = 1;
  std::vector<DomainSpec> domains;
  std::vector<TrustSpec> trusts;
  std::vector<HostSpec> hosts;
  std::vector<AccountSpec> accounts;
  std::vector<GroupSpec> groups;
  std::vector<ServiceSpec> services;
  std::vector<ObjectSpec> objects;
  std::vector<StepSpec> steps;
  std::vector<Expectation> expectations;
  std::vector<InvariantSpec> invariants;
  std::vector<FaultSpec> faults;
};

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SCENARIO_H_
