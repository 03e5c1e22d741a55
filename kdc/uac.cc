#include "kdc/uac.h"

#include <array>
#include <utility>

namespace delegsim::kdc {
namespace {

// MS-SAMR 3.1.5.14.2: userAccountControl <-> UserAccountControl.
constexpr std::array<std::pair<uint32_t, uint32_t>, 21> kMapping = {{
    {uf::kAccountDisable, samr::kUserAccountDisabled},
    {uf::kHomedirRequired, samr::kUserHomeDirectoryRequired},
    {uf::kPasswdNotReqd, samr::kUserPasswordNotRequired},
    {uf::kTempDuplicateAccount, samr::kUserTempDuplicateAccount},
    {uf::kNormalAccount, samr::kUserNormalAccount},
    {uf::kMnsLogonAccount, samr::kUserMnsLogonAccount},
    {uf::kInterdomainTrustAccount, samr::kUserInterdomainTrustAccount},
    {uf::kWorkstationTrustAccount, samr::kUserWorkstationTrustAccount},
    {uf::kServerTrustAccount, samr::kUserServerTrustAccount},
    {uf::kDontExpirePasswd, samr::kUserDontExpirePassword},
    {uf::kLockout, samr::kUserAccountAutoLocked},
    {uf::kEncryptedTextPasswordAllowed, samr::kUserEncryptedClearTextPasswordAllowed},
    {uf::kSmartcardRequired, samr::kUserSmartcardRequired},
    {uf::kTrustedForDelegation, samr::kUserTrustedForDelegation},
    {uf::kNotDelegated, samr::kUserNotDelegated},
    {uf::kUseDesKeyOnly, samr::kUserUseDesKeyOnly},
    {uf::kDontRequirePreauth, samr::kUserDontRequirePreauth},
    {uf::kPasswordExpired, samr::kUserPasswordExpired},
    {uf::kTrustedToAuthForDelegation, samr::kUserTrustedToAuthenticateForDelegation},
    {uf::kNoAuthDataRequired, samr::kUserNoAuthDataRequired},
    {uf::kPartialSecretsAccount, samr::kUserPartialSecretsAccount},
}};

}  // namespace

uint32_t UacToSamr(uint32_t uf_bits) {
  uint32_t out = 0;
  for (const auto& [ad, sam] : kMapping) {
    if (uf_bits & ad) out |= sam;
  }
  return out;
}

uint32_t SamrToUac(uint32_t samr_bits) {
  uint32_t out = 0;
  for (const auto& [ad, sam] : kMapping) {
    if (samr_bits & sam) out |= ad;
  }
  return out;
}

}  // namespace delegsim::kdc
