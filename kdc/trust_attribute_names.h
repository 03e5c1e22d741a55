// The trust attributes (kdc::trust_attr, MS-ADTS 6.1.6.7.9) by name, as scenarios spell
// them (docs/scenario-format.md): one name per bit, in bit order. The loader reads them,
// the scenario writer, why-not and the diagrams write them.
#ifndef DELEGSIM_KDC_TRUST_ATTRIBUTE_NAMES_H_
#define DELEGSIM_KDC_TRUST_ATTRIBUTE_NAMES_H_

#include <cstdint>
#include <string_view>

#include "kdc/directory.h"

namespace delegsim::kdc {

struct TrustAttributeName {
  std::string_view name;
  uint32_t bit;
};

inline constexpr TrustAttributeName kTrustAttributeNames[] = {
    {"non_transitive", trust_attr::kNonTransitive},
    {"uplevel_only", trust_attr::kUplevelOnly},
    {"quarantined", trust_attr::kQuarantinedDomain},
    {"forest_transitive", trust_attr::kForestTransitive},
    {"cross_organization", trust_attr::kCrossOrganization},
    {"within_forest", trust_attr::kWithinForest},
    {"treat_as_external", trust_attr::kTreatAsExternal},
    {"uses_rc4", trust_attr::kUsesRc4Encryption},
    {"no_tgt_delegation", trust_attr::kCrossOrganizationNoTgtDelegation},
    {"pim_trust", trust_attr::kPimTrust},
    {"enable_tgt_delegation", trust_attr::kCrossOrganizationEnableTgtDelegation}};

// What scenarios may also write for kCrossOrganization, and what diagrams call it.
inline constexpr std::string_view kSelectiveAuthentication = "selective_authentication";

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_TRUST_ATTRIBUTE_NAMES_H_
