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

// Assertions about one ticket a hop involved (HopResult.tickets), addressed by its role
// and, for a role that occurs several times at a hop, its position ("referral#2").
struct TicketExpectation {
  Origin origin;
  std::string role;  // "tgt", "referral", "service", "forwarded_tgt", "s4u_tgt", "s4u2self",
                     // "s4u2proxy", "tgs"
  int index = 1;     // the Nth exchange of that role at the hop, from 1
  std::optional<bool> issued;                       // false: the exchange failed (or never ran)
  std::optional<std::string> klist;                 // the exact `klist -f` letters, "FfRA"
  std::vector<std::pair<std::string, bool>> flags;  // {"renewable", true}
  std::optional<int64_t> lifetime_ms;               // end - start
  std::optional<int64_t> renew_ms;                  // renew-till - start (0: not renewable)
  std::optional<std::string> client;                // full or bare name
  std::optional<std::string> server;                // account name or SPN (sname)
  std::vector<std::string> pac_groups;      // each present: a group, or a well-known SID name
  std::vector<std::string> not_pac_groups;  // none present
  std::optional<std::vector<std::string>> pac_user_flags;  // exactly these USER_* bits
  std::optional<std::vector<std::string>> transited;       // S4U_DELEGATION_INFO, in order
  std::optional<std::string> error;                        // the KDC error of the exchange
  std::optional<std::string> decided_by;                   // the rule that decided it
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
  int nth = 1;            // with op/access: the Nth matching operation at the hop, from 1
  std::optional<std::string> verdict;     // "allowed" | "denied"
  std::optional<std::string> identity;    // full or bare name, or "anonymous"
  std::optional<std::string> level;       // "anonymous" | "identify" | "impersonate" | "delegate"
  std::optional<std::string> net_creds;   // "none", "tgt", "own_session", "s4u_proxy{...}"
  std::optional<std::string> decided_by;  // the deciding rule id
  std::optional<std::string> error;       // the protocol error
  std::vector<std::string> rules;         // each must be among the rules named
  std::vector<std::string> not_rules;     // none of these may be named
  std::vector<std::pair<std::string, bool>> ticket_flags;  // {"ok_as_delegate", true}
  std::vector<TicketExpectation> tickets;                  // the tickets of the hop's KDC exchanges
  std::optional<std::string> token;  // operations: "primary" | "thread", where it looked (TK-3)
  std::optional<std::string> transport_level;           // hops: the TR-3 level received, or "none"
  std::vector<std::pair<std::string, bool>> gss_flags;  // hops: {"deleg", true} (TR-4)
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
  // The initiator's security library: "sspi" (Windows) or "mit_gss" (MIT's GSS-API, which
  // copies FORWARDABLE from the TGT and does not tie delegation to mutual authentication).
  std::string client_library = "sspi";
  bool logon_user_requires_tcb = false;
  int hop_limit = 16;
  // Client options: whether clients ask FORWARDABLE (kinit -F, krb5.conf forwardable =
  // false: a non-forwardable logon) and RENEWABLE (windows policy: yes; mit: only with
  // renew_lifetime); unset takes the client policy's default.
  std::optional<bool> client_forwardable;
  std::optional<bool> client_renewable;
  // Realm ticket policy (DS-15), overriding the profile's defaults; ms.
  std::optional<int64_t> max_ticket_life_ms;
  std::optional<int64_t> max_renew_life_ms;
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
