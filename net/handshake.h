// Handshake: how two ends of a connection prove to each other that they belong to the
// same run before any envelope crosses it. Any local process can bind a 127.x address and
// connect to a node's listener, so neither the source address nor an envelope's `from`
// proves anything; a secret that only the run's nodes hold does.
//
// Every run has a secret of kRunSecretBytes random bytes (NewRunSecret). The end that
// opens a connection (the initiator, node `from`) and the end that accepts it (the
// responder, node `to`) exchange three fixed-size messages, then frames (net/frame.h):
//
//   initiator -> responder  HELLO      "DSHELLO1" from:u32 to:u32 nonce_i[16]     32 bytes
//   responder -> initiator  CHALLENGE  "DSCHALL1" nonce_r[16] mac_r[32]          56 bytes
//   initiator -> responder  PROOF      "DSPROOF1" mac_i[32]                       40 bytes
//
//   mac_r = HMAC-SHA256(secret, "delegsim/v1 responder" | from | to | nonce_i | nonce_r)
//   mac_i = HMAC-SHA256(secret, "delegsim/v1 initiator" | from | to | nonce_i | nonce_r)
//
// (u32 big-endian; HMAC through OpenSSL's EVP_MAC.) The responder proves itself first but
// only over a fresh nonce of its own, and the two MACs carry different labels, so no answer
// can be replayed or reflected as the other's proof; both bind the node ids, so a proof for
// one pair of nodes is worth nothing for another. The initiator writes its frames right
// behind PROOF; the responder accepts frames only after PROOF verified. Any deviation (bad
// magic, wrong MAC, a node id the responder does not accept) is final: the caller closes
// the connection.
//
//   Handshake h = Handshake::Initiator(secret, from, to, *RandomBytes(16));
//   Write(h.TakeOutput());                       // HELLO
//   Status s = h.Feed(bytes);                    // CHALLENGE: PROOF is now in TakeOutput()
//   if (h.done()) { Write(h.TakeOutput()); Frames(h.TakeRemainder()); }
//
// Multi-process runs: a parent that starts one process per host hands each the secret
// out of band, never in argv: in the environment variable kRunSecretEnv (hex), read and
// removed by RunSecretFromEnvironment(), or on a pipe read by ReadRunSecret(fd).
//
// Threading: no shared state; a Handshake belongs to one connection.
#ifndef DELEGSIM_NET_HANDSHAKE_H_
#define DELEGSIM_NET_HANDSHAKE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace delegsim::net {

inline constexpr size_t kRunSecretBytes = 32;
inline constexpr size_t kHandshakeNonceBytes = 16;
inline constexpr size_t kHandshakeMacBytes = 32;
inline constexpr size_t kHelloBytes = 8 + 4 + 4 + kHandshakeNonceBytes;
inline constexpr size_t kChallengeBytes = 8 + kHandshakeNonceBytes + kHandshakeMacBytes;
inline constexpr size_t kProofBytes = 8 + kHandshakeMacBytes;
inline constexpr const char* kRunSecretEnv = "DELEGSIM_RUN_SECRET";

// `count` bytes from OpenSSL's CSPRNG; kInternal if it fails.
StatusOr<std::string> RandomBytes(size_t count);
// A fresh run secret (kRunSecretBytes random bytes).
StatusOr<std::string> NewRunSecret();
// The secret a runtime uses: `given`, or a fresh one when `given` is empty.
// kInvalidArgument when `given` is shorter than kRunSecretBytes.
StatusOr<std::string> RunSecretOrNew(std::string given);
// HMAC-SHA256(key, data) through EVP_MAC; kInternal if OpenSSL fails.
StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex, and back (kInvalidArgument for odd length or a non-hex digit).
std::string HexEncode(std::string_view bytes);
StatusOr<std::string> HexDecode(std::string_view hex);
// The secret a parent process put in kRunSecretEnv (hex, at least kRunSecretBytes bytes);
// the variable is removed so that the process's own children do not inherit it.
// kNotFound when unset, kInvalidArgument when malformed.
StatusOr<std::string> RunSecretFromEnvironment();
// The secret a parent wrote on `fd` (hex, then end of file or a newline); reads at most
// 1 KiB. kInvalidArgument when malformed, kUnavailable when the read fails.
StatusOr<std::string> ReadRunSecret(int fd);

class Handshake {
 public:
  enum class Role : uint8_t { kInitiator, kResponder };

  // Node `from` opening a connection to node `to`; HELLO is ready in TakeOutput().
  // `nonce` is kHandshakeNonceBytes random bytes.
  static Handshake Initiator(std::string secret, uint32_t from, uint32_t to, std::string nonce);
  // A listener's end; it learns `from` and `to` from HELLO.
  static Handshake Responder(std::string secret, std::string nonce);

  Handshake(Handshake&&) = default;
  Handshake& operator=(Handshake&&) = default;
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // Consumes received bytes. Bytes past the handshake are kept for TakeRemainder().
  // Failures are final (every later call returns the same Status):
  //  - kUnauthenticated "handshake: ..." for a wrong magic or MAC;
  //  - kInvalidArgument from Reject().
  // A responder stops after HELLO until Accept() or Reject() is called: the caller checks
  // the claimed node ids (hello_received(), from(), to()) first.
  Status Feed(std::string_view bytes);
  // Responder, after HELLO: the claimed ids are acceptable; CHALLENGE goes to the output.
  void Accept();
  // Responder, after HELLO: the claimed ids are not acceptable; fails with `why`.
  void Reject(Status why);

  // Bytes to write to the peer now (HELLO, CHALLENGE or PROOF).
  std::string TakeOutput();
  // Bytes received after the handshake completed: the first frames.
  std::string TakeRemainder();

  Role role() const { return role_; }
  bool hello_received() const { return hello_received_; }
  // The peer proved it holds the secret (and, for the initiator, PROOF is in the output).
  bool done() const { return done_; }
  bool failed() const { return !failure_.ok(); }
  const Status& failure() const { return failure_; }
  // The ids HELLO names (set from the start for an initiator).
  uint32_t from() const { return from_; }
  uint32_t to() const { return to_; }

 private:
  Handshake(Role role, std::string secret, std::string nonce);
  Status Fail(Status why);
  StatusOr<std::string> Mac(std::string_view label) const;
  Status FeedInitiator();
  Status FeedResponder();

  Role role_;
  std::string secret_;
  std::string own_nonce_;
  std::string peer_nonce_;
  uint32_t from_ = 0;
  uint32_t to_ = 0;
  std::string input_;   // received, not yet consumed
  std::string output_;  // to write
  bool hello_received_ = false;
  bool accepted_ = false;  // responder: Accept() called
  bool challenge_sent_ = false;
  bool done_ = false;
  Status failure_;
};

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_HANDSHAKE_H_
