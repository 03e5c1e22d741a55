#include "kdc/crypto.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but EVP's
// per-call dispatch cost more than the hashing itself for our short messages, and it
// cannot snapshot a context as cheaply as copying a SHA256_CTX.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <string>
#include <unordered_map>

namespace delegsim::kdc {
namespace {

// HMAC-SHA256 (RFC 2104). The hash states after the inner and outer padded keys depend
// on the key only, so they are computed once per key and copied for every MAC: a MAC of
// a short message then costs three SHA-256 blocks instead of five.
constexpr size_t kBlock = 64;

struct PaddedKey {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

PaddedKey Pad(std::string_view key) {
  unsigned char key_block[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), key_block);
  } else {
    std::copy(key.begin(), key.end(), key_block);
  }
  unsigned char pad[kBlock];
  PaddedKey k;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = key_block[i] ^ 0x36;
  SHA256_Init(&k.inner);
  SHA256_Update(&k.inner, pad, kBlock);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = key_block[i] ^ 0x5c;
  SHA256_Init(&k.outer);
  SHA256_Update(&k.outer, pad, kBlock);
  OPENSSL_cleanse(key_block, sizeof key_block);
  OPENSSL_cleanse(pad, sizeof pad);
  return k;
}

// The padded states of the keys seen lately. A simulation uses a few keys per principal;
// the bound only keeps a long-running process from growing without end.
const PaddedKey& PaddedFor(std::string_view key) {
  constexpr size_t kMaxKeys = 4096;
  thread_local std::unordered_map<std::string, PaddedKey> cache;
  thread_local std::string lookup;
  lookup.assign(key);
  auto it = cache.find(lookup);
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxKeys) cache.clear();
  return cache.emplace(lookup, Pad(key)).first->second;
}

}  // namespace

std::string Hmac(std::string_view key, std::string_view data) {
  const PaddedKey& k = PaddedFor(key);
  unsigned char inner[SHA256_DIGEST_LENGTH];
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256_CTX ctx = k.inner;
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner, &ctx);
  ctx = k.outer;
  SHA256_Update(&ctx, inner, sizeof inner);
  SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

bool MacEquals(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace delegsim::kdc
