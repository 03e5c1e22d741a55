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

std::span<const SamrBitName> SamrBitNames() {
  static constexpr SamrBitName kNames[] = {
      {"USER_ACCOUNT_DISABLED", samr::kUserAccountDisabled},
      {"USER_HOME_DIRECTORY_REQUIRED", samr::kUserHomeDirectoryRequired},
      {"USER_PASSWORD_NOT_REQUIRED", samr::kUserPasswordNotRequired},
      {"USER_TEMP_DUPLICATE_ACCOUNT", samr::kUserTempDuplicateAccount},
      {"USER_NORMAL_ACCOUNT", samr::kUserNormalAccount},
      {"USER_MNS_LOGON_ACCOUNT", samr::kUserMnsLogonAccount},
      {"USER_INTERDOMAIN_TRUST_ACCOUNT", samr::kUserInterdomainTrustAccount},
      {"USER_WORKSTATION_TRUST_ACCOUNT", samr::kUserWorkstationTrustAccount},
      {"USER_SERVER_TRUST_ACCOUNT", samr::kUserServerTrustAccount},
      {"USER_DONT_EXPIRE_PASSWORD", samr::kUserDontExpirePassword},
      {"USER_ACCOUNT_AUTO_LOCKED", samr::kUserAccountAutoLocked},
      {"USER_ENCRYPTED_CLEAR_TEXT_PASSWORD_ALLOWED", samr::kUserEncryptedClearTextPasswordAllowed},
      {"USER_SMARTCARD_REQUIRED", samr::kUserSmartcardRequired},
      {"USER_TRUSTED_FOR_DELEGATION", samr::kUserTrustedForDelegation},
      {"USER_NOT_DELEGATED", samr::kUserNotDelegated},
      {"USER_USE_DES_KEY_ONLY", samr::kUserUseDesKeyOnly},
      {"USER_DONT_REQUIRE_PREAUTH", samr::kUserDontRequirePreauth},
      {"USER_PASSWORD_EXPIRED", samr::kUserPasswordExpired},
      {"USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION",
       samr::kUserTrustedToAuthenticateForDelegation},
      {"USER_NO_AUTH_DATA_REQUIRED", samr::kUserNoAuthDataRequired},
      {"USER_PARTIAL_SECRETS_ACCOUNT", samr::kUserPartialSecretsAccount},
  };
  return kNames;
}

}  // namespace delegsim::kdc
