#include "net/handshake.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

namespace delegsim::net {
namespace {

constexpr std::string_view kHelloMagic = "DSHELLO1";
constexpr std::string_view kChallengeMagic = "DSCHALL1";
constexpr std::string_view kProofMagic = "DSPROOF1";
constexpr std::string_view kResponderLabel = "delegsim/v1 responder";
constexpr std::string_view kInitiatorLabel = "delegsim/v1 initiator";
constexpr size_t kMaxSecretFileBytes = 1024;

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

uint32_t GetU32(std::string_view in) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(in[i])); };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

bool EqualsConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// Fetched once: EVP_MAC_fetch looks the algorithm up in the provider tables.
EVP_MAC* HmacAlgorithm() {
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac.get();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

StatusOr<std::string> ParseSecret(std::string_view hex, const std::string& where) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
  StatusOr<std::string> secret = HexDecode(hex);
  if (!secret.ok()) return InvalidArgument(where + ": " + secret.status().message());
  if (secret->size() < kRunSecretBytes) {
    return InvalidArgument(where + ": a run secret has at least " +
                           std::to_string(kRunSecretBytes) + " bytes (" +
                           std::to_string(2 * kRunSecretBytes) + " hex digits), got " +
                           std::to_string(secret->size()));
  }
  return secret;
}

}  // namespace

StatusOr<std::string> RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    return Internal("OpenSSL RAND_bytes failed");
  }
  return bytes;
}

StatusOr<std::string> NewRunSecret() { return RandomBytes(kRunSecretBytes); }

StatusOr<std::string> RunSecretOrNew(std::string given) {
  if (given.empty()) return NewRunSecret();
  if (given.size() < kRunSecretBytes) {
    return InvalidArgument("the run secret has " + std::to_string(given.size()) +
                           " bytes, at least " + std::to_string(kRunSecretBytes) + " are needed");
  }
  return given;
}

StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data) {
  EVP_MAC* algorithm = HmacAlgorithm();
  if (algorithm == nullptr) return Internal("OpenSSL has no HMAC (EVP_MAC_fetch failed)");
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(algorithm));
  if (ctx == nullptr) return Internal("OpenSSL EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  std::string out(EVP_MAX_MD_SIZE, '\0');
  size_t length = 0;
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length, out.size()) !=
          1) {
    return Internal("OpenSSL HMAC-SHA256 failed");
  }
  out.resize(length);
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

StatusOr<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("odd number of hex digits");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigit(hex[2 * i]);
    const int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return InvalidArgument("not a hex digit at offset " + std::to_string(2 * i));
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

StatusOr<std::string> RunSecretFromEnvironment() {
  const char* value = std::getenv(kRunSecretEnv);
  if (value == nullptr) return NotFound(std::string(kRunSecretEnv) + " is not set");
  StatusOr<std::string> secret = ParseSecret(value, kRunSecretEnv);
  ::unsetenv(kRunSecretEnv);
  return secret;
}

StatusOr<std::string> ReadRunSecret(int fd) {
  std::string hex;
  char buffer[256];
  while (hex.size() <= kMaxSecretFileBytes) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Unavailable("reading the run secret: " + std::string(std::strerror(errno)));
    if (got == 0) break;
    hex.append(buffer, static_cast<size_t>(got));
    if (hex.find('\n') != std::string::npos) break;
  }
  if (hex.size() > kMaxSecretFileBytes) {
    return InvalidArgument("run secret on fd " + std::to_string(fd) + ": longer than " +
                           std::to_string(kMaxSecretFileBytes) + " bytes");
  }
  hex = hex.substr(0, hex.find('\n'));
  return ParseSecret(hex, "run secret on fd " + std::to_string(fd));
}

// ---------------------------------------------------------------------------------------
// Handshake.

Handshake::Handshake(Role role, std::string secret, std::string nonce)
    : role_(role), secret_(std::move(secret)), own_nonce_(std::move(nonce)) {}

Handshake Handshake::Initiator(std::string secret, uint32_t from, uint32_t to, std::string nonce) {
  Handshake h(Role::kInitiator, std::move(secret), std::move(nonce));
  h.from_ = from;
  h.to_ = to;
  h.hello_received_ = true;  // an initiator knows both ids from the start
  h.output_.append(kHelloMagic);
  PutU32(h.output_, from);
  PutU32(h.output_, to);
  h.output_.append(h.own_nonce_);
  return h;
}

Handshake Handshake::Responder(std::string secret, std::string nonce) {
  return Handshake(Role::kResponder, std::move(secret), std::move(nonce));
}

Status Handshake::Fail(Status why) {
  if (failure_.ok()) failure_ = std::move(why);
  input_.clear();
  output_.clear();
  return failure_;
}

StatusOr<std::string> Handshake::Mac(std::string_view label) const {
  const std::string& nonce_i = role_ == Role::kInitiator ? own_nonce_ : peer_nonce_;
  const std::string& nonce_r = role_ == Role::kInitiator ? peer_nonce_ : own_nonce_;
  std::string data(label);
  data.push_back('\0');
  PutU32(data, from_);
  PutU32(data, to_);
  data.append(nonce_i);
  data.append(nonce_r);
  return HmacSha256(secret_, data);
}

Status Handshake::Feed(std::string_view bytes) {
  if (failed()) return failure_;
  input_.append(bytes.data(), bytes.size());
  return role_ == Role::kInitiator ? FeedInitiator() : FeedResponder();
}

Status Handshake::FeedInitiator() {
  if (done_ || input_.size() < kChallengeBytes) return Status::Ok();
  std::string_view in(input_);
  if (in.substr(0, 8) != kChallengeMagic) {
    return Fail(Unauthenticated("handshake: the peer did not answer with a challenge"));
  }
  peer_nonce_ = std::string(in.substr(8, kHandshakeNonceBytes));
  StatusOr<std::string> expected = Mac(kResponderLabel);
  if (!expected.ok()) return Fail(expected.status());
  if (!EqualsConstantTime(*expected, in.substr(8 + kHandshakeNonceBytes, kHandshakeMacBytes))) {
    return Fail(Unauthenticated("handshake: the peer does not hold the run secret"));
  }
  StatusOr<std::string> proof = Mac(kInitiatorLabel);
  if (!proof.ok()) return Fail(proof.status());
  output_.append(kProofMagic);
  output_.append(*proof);
  input_.erase(0, kChallengeBytes);
  done_ = true;
  return Status::Ok();
}

Status Handshake::FeedResponder() {
  if (!hello_received_) {
    if (input_.size() < kHelloBytes) {
      // Reject a stranger as soon as its first bytes show it does not speak the protocol.
      const size_t n = std::min(input_.size(), kHelloMagic.size());
      if (std::string_view(input_).substr(0, n) != kHelloMagic.substr(0, n)) {
        return Fail(Unauthenticated("handshake: the first bytes are not a HELLO"));
      }
      return Status::Ok();
    }
    std::string_view in(input_);
    if (in.substr(0, 8) != kHelloMagic) {
      return Fail(Unauthenticated("handshake: the first bytes are not a HELLO"));
    }
    from_ = GetU32(in.substr(8, 4));
    to_ = GetU32(in.substr(12, 4));
    peer_nonce_ = std::string(in.substr(16, kHandshakeNonceBytes));
    input_.erase(0, kHelloBytes);
    hello_received_ = true;
  }
  if (!accepted_ || done_) return Status::Ok();
  if (input_.size() < kProofBytes) {
    const size_t n = std::min(input_.size(), kProofMagic.size());
    if (std::string_view(input_).substr(0, n) != kProofMagic.substr(0, n)) {
      return Fail(Unauthenticated("handshake: the peer sent no proof"));
    }
    return Status::Ok();
  }
  std::string_view in(input_);
  if (in.substr(0, 8) != kProofMagic) {
    return Fail(Unauthenticated("handshake: the peer sent no proof"));
  }
  StatusOr<std::string> expected = Mac(kInitiatorLabel);
  if (!expected.ok()) return Fail(expected.status());
  if (!EqualsConstantTime(*expected, in.substr(8, kHandshakeMacBytes))) {
    return Fail(Unauthenticated("handshake: the peer does not hold the run secret"));
  }
  input_.erase(0, kProofBytes);
  done_ = true;
  return Status::Ok();
}

void Handshake::Accept() {
  if (failed() || role_ != Role::kResponder || !hello_received_ || accepted_) return;
  accepted_ = true;
  StatusOr<std::string> mac = Mac(kResponderLabel);
  if (!mac.ok()) {
    Fail(mac.status());
    return;
  }
  output_.append(kChallengeMagic);
  output_.append(own_nonce_);
  output_.append(*mac);
  challenge_sent_ = true;
  // PROOF may already be buffered behind HELLO.
  FeedResponder();
}

void Handshake::Reject(Status why) { Fail(std::move(why)); }

std::string Handshake::TakeOutput() { return std::exchange(output_, std::string()); }

std::string Handshake::TakeRemainder() {
  if (!done_) return std::string();
  return std::exchange(input_, std::string());
}

}  // namespace delegsim::net
