// The connection handshake on its own (sans I/O): both ends prove the run secret, bind
// the node ids, and any deviation is final. Over real sockets: asio_runtime_test.cc.
#include "net/handshake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace delegsim::net {
namespace {

using ::testing::HasSubstr;

const std::string kSecret(kRunSecretBytes, 's');

std::string Nonce(char c) { return std::string(kHandshakeNonceBytes, c); }

// Runs a whole exchange; returns the responder (the initiator through *out).
Handshake Exchange(const std::string& initiator_secret, const std::string& responder_secret,
                   Handshake* out) {
  Handshake initiator = Handshake::Initiator(initiator_secret, 3, 7, Nonce('i'));
  Handshake responder = Handshake::Responder(responder_secret, Nonce('r'));
  const std::string hello = initiator.TakeOutput();
  EXPECT_EQ(hello.size(), kHelloBytes);
  EXPECT_TRUE(responder.Feed(hello).ok());
  EXPECT_TRUE(responder.hello_received());
  EXPECT_EQ(responder.from(), 3u);
  EXPECT_EQ(responder.to(), 7u);
  EXPECT_TRUE(responder.TakeOutput().empty());  // nothing before the ids are accepted
  responder.Accept();
  const std::string challenge = responder.TakeOutput();
  EXPECT_EQ(challenge.size(), kChallengeBytes);
  if (initiator.Feed(challenge).ok() && initiator.done()) {
    const std::string proof = initiator.TakeOutput();
    EXPECT_EQ(proof.size(), kProofBytes);
    (void)responder.Feed(proof + "first frame");
  }
  *out = std::move(initiator);
  return responder;
}

TEST(Handshake, BothEndsWithTheSecretAuthenticateEachOther) {
  Handshake initiator = Handshake::Responder("", "");
  Handshake responder = Exchange(kSecret, kSecret, &initiator);
  EXPECT_TRUE(initiator.done());
  EXPECT_TRUE(responder.done());
  EXPECT_FALSE(responder.failed());
  EXPECT_EQ(responder.TakeRemainder(), "first frame");
}

TEST(Handshake, InitiatorRefusesAResponderWithoutTheSecret) {
  Handshake initiator = Handshake::Responder("", "");
  Handshake responder = Exchange(kSecret, std::string(kRunSecretBytes, 'x'), &initiator);
  EXPECT_FALSE(initiator.done());
  EXPECT_EQ(initiator.failure().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(initiator.failure().message(), HasSubstr("does not hold the run secret"));
  EXPECT_TRUE(initiator.TakeOutput().empty());  // no proof for an impostor
  EXPECT_FALSE(responder.done());
}

TEST(Handshake, ResponderRefusesAnInitiatorWithoutTheSecret) {
  Handshake responder = Handshake::Responder(kSecret, Nonce('r'));
  Handshake initiator = Handshake::Initiator(std::string(kRunSecretBytes, 'x'), 3, 7, Nonce('i'));
  ASSERT_TRUE(responder.Feed(initiator.TakeOutput()).ok());
  responder.Accept();
  // The initiator cannot verify the challenge; a forger writes a made-up proof instead.
  EXPECT_FALSE(initiator.Feed(responder.TakeOutput()).ok());
  const Status fed = responder.Feed("DSPROOF1" + std::string(kHandshakeMacBytes, 'm'));
  EXPECT_EQ(fed.code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(responder.done());
  EXPECT_TRUE(responder.TakeRemainder().empty());
}

TEST(Handshake, ProofIsBoundToTheNodeIds) {
  // A proof captured for 3 -> 7 is worth nothing for 4 -> 7, even with the same nonces.
  Handshake honest = Handshake::Initiator(kSecret, 3, 7, Nonce('i'));
  Handshake responder = Handshake::Responder(kSecret, Nonce('r'));
  ASSERT_TRUE(responder.Feed(honest.TakeOutput()).ok());
  responder.Accept();
  ASSERT_TRUE(honest.Feed(responder.TakeOutput()).ok());
  const std::string proof = honest.TakeOutput();

  Handshake replay_target = Handshake::Responder(kSecret, Nonce('r'));
  Handshake claimant = Handshake::Initiator(kSecret, 4, 7, Nonce('i'));
  ASSERT_TRUE(replay_target.Feed(claimant.TakeOutput()).ok());
  replay_target.Accept();
  EXPECT_EQ(replay_target.Feed(proof).code(), StatusCode::kUnauthenticated);
}

TEST(Handshake, ResponderMacIsNeverAValidInitiatorProof) {
  // Reflection: the challenge's MAC, sent back as a proof, does not verify.
  Handshake responder = Handshake::Responder(kSecret, Nonce('r'));
  Handshake initiator = Handshake::Initiator(kSecret, 3, 7, Nonce('i'));
  ASSERT_TRUE(responder.Feed(initiator.TakeOutput()).ok());
  responder.Accept();
  const std::string challenge = responder.TakeOutput();
  const std::string reflected = "DSPROOF1" + challenge.substr(8 + kHandshakeNonceBytes);
  EXPECT_EQ(responder.Feed(reflected).code(), StatusCode::kUnauthenticated);
}

TEST(Handshake, StrangerBytesFailAtOnceAndStayFailed) {
  Handshake responder = Handshake::Responder(kSecret, Nonce('r'));
  const Status fed = responder.Feed(std::string("\0\0\0\x10", 4));  // a frame header
  EXPECT_EQ(fed.code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(fed.message(), HasSubstr("the first bytes are not a HELLO"));
  EXPECT_EQ(responder.Feed("DSHELLO1").code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(responder.TakeOutput().empty());
}

TEST(Handshake, RejectedClaimSendsNoChallenge) {
  Handshake responder = Handshake::Responder(kSecret, Nonce('r'));
  Handshake initiator = Handshake::Initiator(kSecret, 3, 7, Nonce('i'));
  ASSERT_TRUE(responder.Feed(initiator.TakeOutput()).ok());
  responder.Reject(InvalidArgument("not from that host"));
  EXPECT_TRUE(responder.failed());
  EXPECT_TRUE(responder.TakeOutput().empty());
}

TEST(Handshake, WorksWhateverTheChunking) {
  Handshake initiator = Handshake::Initiator(kSecret, 1, 2, Nonce('i'));
  Handshake responder = Handshake::Responder(kSecret, Nonce('r'));
  for (char c : initiator.TakeOutput()) ASSERT_TRUE(responder.Feed(std::string(1, c)).ok());
  responder.Accept();
  for (char c : responder.TakeOutput()) ASSERT_TRUE(initiator.Feed(std::string(1, c)).ok());
  ASSERT_TRUE(initiator.done());
  for (char c : initiator.TakeOutput()) ASSERT_TRUE(responder.Feed(std::string(1, c)).ok());
  EXPECT_TRUE(responder.done());
}

TEST(Handshake, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  StatusOr<std::string> mac = HmacSha256("Jefe", "what do ya want for nothing?");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(HexEncode(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(RunSecret, FreshSecretsDifferAndHaveTheirSize) {
  StatusOr<std::string> a = NewRunSecret();
  StatusOr<std::string> b = NewRunSecret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), kRunSecretBytes);
  EXPECT_NE(*a, *b);
}

TEST(RunSecret, FromTheEnvironmentIsReadOnceAndRemoved) {
  const std::string hex = HexEncode(kSecret);
  ASSERT_EQ(::setenv(kRunSecretEnv, hex.c_str(), 1), 0);
  StatusOr<std::string> secret = RunSecretFromEnvironment();
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(*secret, kSecret);
  EXPECT_EQ(::getenv(kRunSecretEnv), nullptr);
  EXPECT_EQ(RunSecretFromEnvironment().status().code(), StatusCode::kNotFound);
  ASSERT_EQ(::setenv(kRunSecretEnv, "abcd", 1), 0);
  EXPECT_EQ(RunSecretFromEnvironment().status().code(), StatusCode::kInvalidArgument);
}

TEST(RunSecret, FromAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string line = HexEncode(kSecret) + "\n";
  ASSERT_EQ(::write(fds[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::close(fds[1]);
  StatusOr<std::string> secret = ReadRunSecret(fds[0]);
  ::close(fds[0]);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(*secret, kSecret);
}

}  // namespace
}  // namespace delegsim::net
