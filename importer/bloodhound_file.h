// One SharpHound / BloodHound CE collector file (users, computers, groups, domains, ...),
// reduced to what a delegation design needs. A collector file is one JSON object:
//
//   {"data": [ {"ObjectIdentifier": "S-1-5-21-...-1104", "Properties": {...}, ...}, ... ],
//    "meta": {"type": "users", "version": 6, "count": 1, "methods": ..., ...}}
//
// Supported format versions (meta.version): 5 (SharpHound 1.x, BloodHound 4.x) and
// 6 (SharpHound 2.x, BloodHound CE). The file is parsed as a stream: each element of
// `data` is reduced to a BhObject as soon as it is complete and then dropped, so memory
// stays proportional to what is kept, not to the JSON document tree.
//
//   BhFile f = ParseBloodHoundFile("20240101_users.json", text);
//   if (!f.problems.empty()) ...;  else for (const BhObject& o : f.objects) ...
#ifndef DELEGSIM_IMPORTER_BLOODHOUND_FILE_H_
#define DELEGSIM_IMPORTER_BLOODHOUND_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "importer/import_problem.h"

namespace delegsim::importer {

inline constexpr int kMinBloodHoundVersion = 5;
inline constexpr int kMaxBloodHoundVersion = 6;
// JSON nesting deeper than this is refused (collector files nest about 6 levels).
inline constexpr int kMaxBloodHoundDepth = 64;

// The kinds of collector file (meta.type) the importer uses; others are skipped.
enum class BhKind : uint8_t { kUsers, kComputers, kGroups, kDomains, kOther };

// One entry of a domain's Trusts (SharpHoundCommon OutputTypes/DomainTrust).
struct BhTrust {
  std::string path;  // "$.data[0].Trusts[1]", for messages
  std::string target_sid;
  std::string target_name;             // TargetDomainName
  int direction = -1;                  // TrustDirection: 0 disabled, 1 inbound, 2 outbound, 3 both
  std::string type;                    // TrustType: ParentChild, CrossLink, Forest, External, ...
  std::optional<bool> transitive;      // IsTransitive
  std::optional<bool> sid_filtering;   // SidFilteringEnabled
  std::optional<bool> tgt_delegation;  // TGTDelegationEnabled (v6)
  std::optional<uint32_t> attributes;  // TrustAttributes (v6): trustAttributes bits
};

// One element of `data`: the fields of users, computers, groups and domains that matter.
struct BhObject {
  size_t index = 0;              // position in `data`
  std::string sid;               // ObjectIdentifier
  std::string name;              // Properties.name: "ALICE@CORP.EXAMPLE", "WEB1.CORP.EXAMPLE"
  std::string sam;               // Properties.samaccountname
  std::string domain;            // Properties.domain: "CORP.EXAMPLE"
  std::string domain_sid;        // Properties.domainsid
  bool deleted = false;          // IsDeleted
  bool enabled = true;           // Properties.enabled
  bool sensitive = false;        // Properties.sensitive (NOT_DELEGATED)
  bool unconstrained = false;    // Properties.unconstraineddelegation (TRUSTED_FOR_DELEGATION)
  bool trusted_to_auth = false;  // Properties.trustedtoauth (TRUSTED_TO_AUTH_FOR_DELEGATION)
  bool is_dc = false;            // IsDC or Properties.isdc
  bool managed = false;          // Properties.gmsa or .msa: a managed service account
  std::vector<std::string> allowed_to_delegate;  // Properties.allowedtodelegate (SPNs)
  std::vector<std::string> spns;                 // Properties.serviceprincipalnames
  std::vector<std::string> allowed_to_act;       // AllowedToAct[].ObjectIdentifier
  std::vector<std::string> members;              // Members[].ObjectIdentifier
  std::string primary_group_sid;                 // PrimaryGroupSID
  std::string functional_level;                  // Properties.functionallevel ("2016")
  std::string forest_root_sid;                   // ForestRootIdentifier (v6)
  std::vector<BhTrust> trusts;                   // Trusts
};

struct BhFile {
  std::string label;
  BhKind kind = BhKind::kOther;
  std::string type;             // meta.type as written
  int version = 0;              // meta.version
  int64_t declared_count = -1;  // meta.count; -1 when absent
  std::vector<BhObject> objects;
  std::vector<ImportProblem> problems;  // empty when the file was read
};

// Parses one collector file. Never throws. A file that is not JSON, not a collector file
// (no `data` array or no `meta` object), of an unsupported version, or with a field of
// the wrong type gives problems naming the file and the JSON path.
BhFile ParseBloodHoundFile(const std::string& label, std::string_view text);

}  // namespace delegsim::importer

#endif  // DELEGSIM_IMPORTER_BLOODHOUND_FILE_H_
