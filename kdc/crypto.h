// Keyed MACs for seals and proofs: HMAC-SHA256 from OpenSSL.
#ifndef DELEGSIM_KDC_CRYPTO_H_
#define DELEGSIM_KDC_CRYPTO_H_

#include <string>
#include <string_view>

namespace delegsim::kdc {

// HMAC-SHA256(key, data): 32 raw bytes.
std::string Hmac(std::string_view key, std::string_view data);
// Constant-time comparison of two MACs.
bool MacEquals(std::string_view a, std::string_view b);

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_CRYPTO_H_
