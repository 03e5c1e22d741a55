#include "kdc/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace delegsim::kdc {
namespace {

constexpr size_t kMacSize = 32;  // SHA-256

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// The HMAC implementation, fetched once per process (EVP_MAC_fetch is costly; the fetched
// object is reference-counted and thread-safe to share).
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// A MAC context keyed with `key`. The key's inner and outer padded hash states are
// computed once, here; EVP_MAC_init with a null key later reuses them, so a MAC of a short
// message costs three SHA-256 blocks instead of five.
MacCtx NewKeyedContext(std::string_view key) {
  if (HmacAlgorithm() == nullptr) return nullptr;
  MacCtx ctx(EVP_MAC_CTX_new(HmacAlgorithm()));
  if (!ctx) return nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  // A zero-length key is still a key (HMAC pads it with zeros); OpenSSL wants a pointer.
  static const unsigned char kEmpty = 0;
  const unsigned char* bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), bytes, key.size(), params) != 1) return nullptr;
  return ctx;
}

// The keyed contexts of the keys seen lately. A simulation uses a few keys per principal;
// the bound only keeps a long-running process from growing without end.
EVP_MAC_CTX* ContextFor(std::string_view key) {
  constexpr size_t kMaxKeys = 4096;
  thread_local std::unordered_map<std::string, MacCtx> cache;
  thread_local std::string lookup;
  lookup.assign(key);
  auto it = cache.find(lookup);
  if (it != cache.end()) return it->second.get();
  MacCtx ctx = NewKeyedContext(key);
  if (!ctx) return nullptr;
  if (cache.size() >= kMaxKeys) cache.clear();
  return cache.emplace(lookup, std::move(ctx)).first->second.get();
}

}  // namespace

std::string Hmac(std::string_view key, std::string_view data) {
  EVP_MAC_CTX* ctx = ContextFor(key);
  std::string out(kMacSize, '\0');
  size_t written = 0;
  if (ctx == nullptr || EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &written, out.size()) != 1 ||
      written != kMacSize) {
    return "";
  }
  return out;
}

bool MacEquals(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string DeriveKey(std::string_view salt, std::string_view input) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return "";
  KdfCtx ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);  // the context holds its own reference
  if (!ctx) return "";
  char digest[] = "SHA256";
  int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
  // OSSL_PARAM wants non-const buffers; OpenSSL only reads them.
  std::string salt_copy(salt);
  std::string input_copy(input);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, input_copy.data(), input_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size()),
      OSSL_PARAM_construct_end()};
  std::string out(kMacSize, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) !=
      1) {
    return "";
  }
  OPENSSL_cleanse(input_copy.data(), input_copy.size());
  return out;
}

}  // namespace delegsim::kdc
