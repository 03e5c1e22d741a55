#include "kdc/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <memory>

namespace delegsim::kdc {
namespace {

// HMAC-SHA256 (RFC 2104) over OpenSSL's SHA-256. The digest implementation is fetched
// once and the digest contexts are reused: OpenSSL's one-shot HMAC()/EVP_Q_mac and
// EVP_MAC_init set all of that up on every call, which dominated the cost of a hop.
constexpr size_t kBlock = 64;

struct Deleter {
  void operator()(EVP_MD* m) const { EVP_MD_free(m); }
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const EVP_MD* Sha256() {
  static std::unique_ptr<EVP_MD, Deleter> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md.get();
}

}  // namespace

std::string Hmac(std::string_view key, std::string_view data) {
  thread_local std::unique_ptr<EVP_MD_CTX, Deleter> ctx(EVP_MD_CTX_new());
  const EVP_MD* md = Sha256();
  unsigned char key_block[kBlock] = {};
  unsigned int len = 0;
  if (key.size() > kBlock) {
    if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), key.data(), key.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), key_block, &len) != 1) {
      return std::string();
    }
  } else {
    std::copy(key.begin(), key.end(), key_block);
  }
  std::array<unsigned char, kBlock> pad;
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned char out[EVP_MAX_MD_SIZE];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = key_block[i] ^ 0x36;
  if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), pad.data(), kBlock) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), inner, &len) != 1) {
    return std::string();
  }
  for (size_t i = 0; i < kBlock; ++i) pad[i] = key_block[i] ^ 0x5c;
  unsigned int out_len = 0;
  if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), pad.data(), kBlock) != 1 ||
      EVP_DigestUpdate(ctx.get(), inner, len) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &out_len) != 1) {
    return std::string();  // never equal to a real 32-byte MAC
  }
  OPENSSL_cleanse(key_block, sizeof key_block);
  return std::string(reinterpret_cast<char*>(out), out_len);
}

bool MacEquals(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace delegsim::kdc
