// Keyed MACs for seals and proofs, and key derivation, through OpenSSL 3's EVP_MAC and
// EVP_KDF interfaces (HMAC-SHA256; HKDF-Extract with SHA-256).
//
//   std::string mac = Hmac(key, body);            // 32 bytes
//   bool ok = MacEquals(mac, sealed.mac());       // constant time
//   std::string k = DeriveKey(secret, "key|corp.example|alice");  // 32 bytes
//
// Thread safety: every function may be called from any thread; the per-key MAC contexts
// are cached per thread.
#ifndef DELEGSIM_KDC_CRYPTO_H_
#define DELEGSIM_KDC_CRYPTO_H_

#include <string>
#include <string_view>

namespace delegsim::kdc {

// HMAC-SHA256(key, data) (RFC 2104): 32 raw bytes. Empty only if OpenSSL fails, which a
// MAC comparison (MacEquals) then refuses.
std::string Hmac(std::string_view key, std::string_view data);
// Constant-time comparison of two MACs; false when either is empty.
bool MacEquals(std::string_view a, std::string_view b);

// HKDF-Extract(salt, input) with SHA-256 (RFC 5869 section 2.2): a 32-byte pseudorandom
// key. HKDF-Extract is HMAC-SHA256 keyed with the salt, so DeriveKey(s, x) == Hmac(s, x):
// keys derived before the switch to HKDF are unchanged. Empty only if OpenSSL fails.
std::string DeriveKey(std::string_view salt, std::string_view input);

}  // namespace delegsim::kdc

#endif  // DELEGSIM_KDC_CRYPTO_H_
