// Directory: the mock Active Directory the KDC and the nodes read.
//
// Domains (realm, forest, functional level), principals (users, computers, service
// accounts, groups, one krbtgt per realm) with their userAccountControl flags (AD UF_*
// encoding, AC-2), SPNs, msDS-AllowedToDelegateTo (A2D2, AC-4),
// msDS-AllowedToActOnBehalfOfOtherIdentity (RBCD, AC-5), group membership, privileges
// and long-term keys, and trusts with their trustAttributes (XR-*).
//
// Build it with the Add* calls, then call Finalize() once: it interns SPNs, expands
// nested group membership, marks Protected Users members (PU-1) and derives keys.
// After Finalize the directory is read-only and every lookup on a decision path is by
// integer id. Every lookup by name goes through a hash index; the cost of Finalize is
// linear in the number of principals, memberships and SPNs. An inter-realm key is
// derived the first time a referral needs it (there is one per ordered pair of domains,
// and every workgroup host is a domain), always to the same value for the same secret.
// Index() builds only the name indexes, for resolving references before Finalize.
//
//   Directory dir;
//   DomainId corp = dir.AddDomain("CORP.EXAMPLE", "corp.example", 7);
//   PrincipalId web = dir.AddPrincipal(PrincipalKind::kService, "svc_web", corp);
//   dir.Mutable(web).spns = {"http/web.corp.example"};
//   Status s = dir.Finalize("seed-42");
#ifndef DELEGSIM_KDC_DIRECTORY_H_
#define DELEGSIM_KDC_DIRECTORY_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace delegsim::kdc {

using PrincipalId = uint32_t;  // 0 = nobody (anonymous); real ids start at 1
using DomainId = uint16_t;
using SpnId = uint32_t;
inline constexpr PrincipalId kNobody = 0;
inline constexpr DomainId kNoDomain = UINT16_MAX;

// domainControllerFunctionality values (MS-ADTS 6.1.4.2).
inline constexpr int kLevel2012R2 = 6;
inline constexpr int kLevel2016 = 7;

std::string ToLower(std::string_view s);
// ASCII case-insensitive equality, without allocating.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

enum class PrincipalKind : uint8_t { kUser, kComputer, kService, kGroup, kKrbtgt };
std::string_view PrincipalKindName(PrincipalKind k);

namespace trust_attr {  // trustAttributes (MS-ADTS 6.1.6.7.9)
inline constexpr uint32_t kNonTransitive = 0x00000001;
inline constexpr uint32_t kUplevelOnly = 0x00000002;
inline constexpr uint32_t kQuarantinedDomain = 0x00000004;
inline constexpr uint32_t kForestTransitive = 0x00000008;
inline constexpr uint32_t kCrossOrganization = 0x00000010;  // selective authentication
inline constexpr uint32_t kWithinForest = 0x00000020;
inline constexpr uint32_t kTreatAsExternal = 0x00000040;
inline constexpr uint32_t kUsesRc4Encryption = 0x00000080;
inline constexpr uint32_t kCrossOrganizationNoTgtDelegation = 0x00000200;
inline constexpr uint32_t kPimTrust = 0x00000400;
inline constexpr uint32_t kCrossOrganizationEnableTgtDelegation = 0x00000800;
}  // namespace trust_attr

struct Domain {
  DomainId id = kNoDomain;
  std::string realm;   // "CORP.EXAMPLE"
  std::string forest;  // forest root name; domains sharing it trust each other (WITHIN_FOREST)
  int functional_level = kLevel2016;
  bool workgroup = false;  // a workgroup host's local account database: no KDC, no Kerberos
  PrincipalId krbtgt = kNobody;
};

// A trust: accounts of `trusted` may use resources of `trusting`. A two-way trust also
// works the other way. Domains of one forest trust each other implicitly with
// WITHIN_FOREST; explicit trusts are for other forests and external domains.
struct Trust {
  DomainId trusting = kNoDomain;
  DomainId trusted = kNoDomain;
  bool two_way = true;
  uint32_t attributes = 0;  // trust_attr bits
};

struct Principal {
  PrincipalId id = kNobody;
  PrincipalKind kind = PrincipalKind::kUser;
  std::string name;  // sAMAccountName, unique within its domain
  DomainId domain = kNoDomain;
  uint32_t uac = 0;  // AD UF_* bits (kdc/uac.h)
  std::vector<std::string> spns;
  std::vector<std::string> allowed_to_delegate_to;   // A2D2 as configured (SPNs)
  std::vector<PrincipalId> allowed_to_act;           // RBCD: principals/groups allowed (AC-5)
  std::vector<PrincipalId> allowed_to_authenticate;  // XR-3: who may authenticate across a
                                                     // selective-authentication trust
  std::vector<PrincipalId> member_of;                // direct group memberships
  std::vector<std::string> privileges;               // "SeImpersonatePrivilege", ...
  std::string password;                              // empty: a random key is derived

  // Filled by Finalize().
  std::vector<PrincipalId> groups;  // every group, nested membership expanded, ascending
  std::vector<SpnId> a2d2;          // allowed_to_delegate_to, interned
  bool protected_user = false;      // member (direct or nested) of a Protected Users group
  std::string key;                  // 32-byte long-term key
  std::string full_name;            // "name@REALM"
};

class Directory {
 public:
  Directory() = default;

  DomainId AddDomain(std::string realm, std::string forest, int functional_level,
                     bool workgroup = false);
  PrincipalId AddPrincipal(PrincipalKind kind, std::string name, DomainId domain);
  void AddMember(PrincipalId group, PrincipalId member);
  void AddTrust(const Trust& trust);
  Principal& Mutable(PrincipalId id) { return principals_[id]; }

  // Resolves and derives everything (see the header comment). Fails on a duplicate SPN,
  // an A2D2 entry naming no SPN is kept but matches nothing. `secret` seeds every key.
  Status Finalize(std::string_view secret);
  // Builds the indexes of domains, names and SPNs only (Find, FindIn, FindDomain,
  // FindSpn work afterwards), so that references can be resolved before Finalize.
  // Fails on a duplicate SPN. Names and SPNs must not change afterwards: Finalize keeps
  // these indexes when no domain or principal was added since (each would be built twice
  // otherwise: a third of the build of a 100,000-host world).
  Status Index();
  // Room for this many principals (krbtgt accounts included), so that adding them does
  // not move the ones already added.
  void Reserve(size_t principals) { principals_.reserve(principals + 1); }

  const Principal& Get(PrincipalId id) const { return principals_[id]; }
  const Domain& GetDomain(DomainId id) const { return domains_[id]; }
  size_t principal_count() const { return principals_.size() - 1; }
  const std::vector<Domain>& domains() const { return domains_; }
  const std::vector<Trust>& trusts() const { return trusts_; }

  std::optional<DomainId> FindDomain(std::string_view realm) const;
  // "alice", "alice@CORP.EXAMPLE" or "CORP\alice"; a bare name must be unique.
  std::optional<PrincipalId> Find(std::string_view name) const;
  std::optional<PrincipalId> FindIn(DomainId domain, std::string_view name) const;
  std::optional<SpnId> FindSpn(std::string_view spn) const;
  PrincipalId SpnOwner(SpnId spn) const { return spns_[spn].owner; }
  const std::string& SpnName(SpnId spn) const { return spns_[spn].name; }

  // "alice@CORP.EXAMPLE"; "nobody" for kNobody.
  const std::string& FullName(PrincipalId id) const;
  const std::string& Name(PrincipalId id) const { return principals_[id].name; }

  // True if `who` is `principal` or a (nested) member of it. `principal` may be a group.
  bool Matches(PrincipalId who, PrincipalId principal) const;
  // True if `who` or one of its groups is in `list`.
  bool AnyMatches(PrincipalId who, const std::vector<PrincipalId>& list) const;
  // The trust that lets accounts of `account_domain` use `resource_domain`, if any. For
  // two domains of one forest this is an implicit WITHIN_FOREST trust.
  std::optional<Trust> TrustPath(DomainId account_domain, DomainId resource_domain) const;

  // Long-term keys. Tickets for a TGT of realm R are sealed with KrbtgtKey(R); a referral
  // from realm A to realm B with InterRealmKey(A, B).
  const std::string& KeyOf(PrincipalId id) const { return principals_[id].key; }
  const std::string& KrbtgtKey(DomainId realm) const;
  const std::string& InterRealmKey(DomainId from, DomainId to) const;
  // The key that verifies a ticket whose clear-text realm and sname are given; empty
  // when no such service exists.
  const std::string& TicketKey(std::string_view realm, std::string_view sname) const;
  // Key a Schannel certificate of this domain is signed with.
  std::string CertificateAuthorityKey(DomainId domain) const;

 private:
  struct SpnEntry {
    std::string name;  // lower-case, without realm
    PrincipalId owner;
  };

  // ASCII-case-insensitive hashing and equality, for lookups by string_view.
  struct CaseInsensitiveHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  struct CaseInsensitiveEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return EqualsIgnoreCase(a, b); }
  };
  using DomainIndex = std::unordered_map<std::string, std::vector<DomainId>, CaseInsensitiveHash,
                                         CaseInsensitiveEqual>;

  std::string secret_;
  std::vector<Domain> domains_;
  DomainIndex realm_index_;    // realm -> domains with that realm, any case, ascending
  DomainIndex netbios_index_;  // first label of the realm -> domains, ascending
  // InterRealmKey(from, to), derived on first use; the map's nodes never move, so the
  // references handed out stay valid. Guarded by the mutex (the directory is otherwise
  // read-only after Finalize and may be read from any thread).
  mutable std::mutex inter_realm_mutex_;
  mutable std::unordered_map<uint32_t, std::string> inter_realm_keys_;
  std::vector<Principal> principals_ = std::vector<Principal>(1);  // [0] = nobody
  std::vector<Trust> trusts_;
  std::vector<SpnEntry> spns_;
  std::unordered_map<std::string, SpnId> spn_index_;
  std::unordered_map<std::string, PrincipalId> name_index_;  // "name@realm", lower-case
  std::unordered_map<std::string, std::vector<PrincipalId>> bare_index_;  // "name"
  // principals_.size() when Index() last succeeded; 0: never (or a principal added since).
  size_t indexed_principals_ = 0;
};

// Derives a long-term key from a password, salted with realm and name (string2key).
std::string KeyFromPassword(std::string_view realm, std::string_view name,
                            std::string_view password);
}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_DIRECTORY_H_
