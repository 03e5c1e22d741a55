// userAccountControl bits in their two encodings (AC-2, RULES.md C11).
//
// The directory stores the AD attribute values (UF_*, MS-ADTS 2.2.16). PAC structures
// carry the SAMR values (USER_*, MS-SAMR 2.2.1.12). Convert only through these
// functions, which implement the MS-SAMR 3.1.5.14.2 mapping.
//
//   uint32_t pac_uac = UacToSamr(account.uac);
//   bool sensitive = pac_uac & samr::kUserNotDelegated;
#ifndef DELEGSIM_KDC_UAC_H_
#define DELEGSIM_KDC_UAC_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace delegsim::kdc {

namespace uf {  // AD userAccountControl (UF_* / ADS_UF_*)
inline constexpr uint32_t kAccountDisable = 0x00000002;
inline constexpr uint32_t kHomedirRequired = 0x00000008;
inline constexpr uint32_t kLockout = 0x00000010;
inline constexpr uint32_t kPasswdNotReqd = 0x00000020;
inline constexpr uint32_t kEncryptedTextPasswordAllowed = 0x00000080;
inline constexpr uint32_t kTempDuplicateAccount = 0x00000100;
inline constexpr uint32_t kNormalAccount = 0x00000200;
inline constexpr uint32_t kInterdomainTrustAccount = 0x00000800;
inline constexpr uint32_t kWorkstationTrustAccount = 0x00001000;
inline constexpr uint32_t kServerTrustAccount = 0x00002000;
inline constexpr uint32_t kDontExpirePasswd = 0x00010000;
inline constexpr uint32_t kMnsLogonAccount = 0x00020000;
inline constexpr uint32_t kSmartcardRequired = 0x00040000;
inline constexpr uint32_t kTrustedForDelegation = 0x00080000;  // TD
inline constexpr uint32_t kNotDelegated = 0x00100000;          // ND
inline constexpr uint32_t kUseDesKeyOnly = 0x00200000;
inline constexpr uint32_t kDontRequirePreauth = 0x00400000;
inline constexpr uint32_t kPasswordExpired = 0x00800000;
inline constexpr uint32_t kTrustedToAuthForDelegation = 0x01000000;  // T2A4D
inline constexpr uint32_t kNoAuthDataRequired = 0x02000000;
inline constexpr uint32_t kPartialSecretsAccount = 0x04000000;
}  // namespace uf

namespace samr {  // SAMR / PAC USER_* account codes
inline constexpr uint32_t kUserAccountDisabled = 0x00000001;
inline constexpr uint32_t kUserHomeDirectoryRequired = 0x00000002;
inline constexpr uint32_t kUserPasswordNotRequired = 0x00000004;
inline constexpr uint32_t kUserTempDuplicateAccount = 0x00000008;
inline constexpr uint32_t kUserNormalAccount = 0x00000010;
inline constexpr uint32_t kUserMnsLogonAccount = 0x00000020;
inline constexpr uint32_t kUserInterdomainTrustAccount = 0x00000040;
inline constexpr uint32_t kUserWorkstationTrustAccount = 0x00000080;
inline constexpr uint32_t kUserServerTrustAccount = 0x00000100;
inline constexpr uint32_t kUserDontExpirePassword = 0x00000200;
inline constexpr uint32_t kUserAccountAutoLocked = 0x00000400;
inline constexpr uint32_t kUserEncryptedClearTextPasswordAllowed = 0x00000800;
inline constexpr uint32_t kUserSmartcardRequired = 0x00001000;
inline constexpr uint32_t kUserTrustedForDelegation = 0x00002000;
inline constexpr uint32_t kUserNotDelegated = 0x00004000;
inline constexpr uint32_t kUserUseDesKeyOnly = 0x00008000;
inline constexpr uint32_t kUserDontRequirePreauth = 0x00010000;
inline constexpr uint32_t kUserPasswordExpired = 0x00020000;
inline constexpr uint32_t kUserTrustedToAuthenticateForDelegation = 0x00040000;
inline constexpr uint32_t kUserNoAuthDataRequired = 0x00080000;
inline constexpr uint32_t kUserPartialSecretsAccount = 0x00100000;
}  // namespace samr

// The MS-SAMR 2.2.1.12 names of the USER_* bits ("USER_NOT_DELEGATED"), in bit order:
// what a ticket's PAC user flags are called in reports and expectations.
struct SamrBitName {
  std::string_view name;
  uint32_t bit;
};
std::span<const SamrBitName> SamrBitNames();

// AD UF_* -> SAMR USER_*; bits without a counterpart are dropped.
uint32_t UacToSamr(uint32_t uf_bits);
// SAMR USER_* -> AD UF_*; bits without a counterpart are dropped.
uint32_t SamrToUac(uint32_t samr_bits);

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_UAC_H_
