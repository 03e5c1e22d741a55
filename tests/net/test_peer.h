// TestPeer: a peer played by hand over a real loopback socket, from outside the runtime
// (blocking POSIX calls, no Asio): a stranger that writes whatever it likes, or, given the
// run secret, a member of the run that completes the handshake (net/handshake.h) and then
// speaks frames (net/frame.h). Tests use it to attack a running AsioRuntime.
//
// The runtime runs on the test's thread, so a peer is pumped from RunUntil conditions:
//
//   auto peer = TestPeer::Connect("127.0.1.2", rt.HostAddress(web), rt.ListenPort(web));
//   peer->StartHandshake(rt.run_secret(), alice, web);
//   rt.RunUntil([&] { return peer->AdvanceHandshake(); }, 3000);
//   peer->SendEnvelope(call);
//   rt.RunUntil([&] { return (reply = peer->NextEnvelope()).has_value(); }, 3000);
#ifndef DELEGSIM_TESTS_NET_TEST_PEER_H_
#define DELEGSIM_TESTS_NET_TEST_PEER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/frame.h"
#include "net/handshake.h"
#include "proto/envelope.pb.h"

namespace delegsim::testing {

class TestPeer {
 public:
  // Connects from `local_address` (ephemeral port) to remote:port; nullptr on failure. The
  // runtime need not be running: the kernel completes the TCP handshake for a listener.
  static std::unique_ptr<TestPeer> Connect(const std::string& local_address,
                                           const std::string& remote_address, uint16_t port);
  TestPeer(const TestPeer&) = delete;
  TestPeer& operator=(const TestPeer&) = delete;
  ~TestPeer();

  bool SendAll(std::string_view bytes);
  // Moves whatever has arrived into received(), without blocking. False once the peer
  // has closed (EOF or reset).
  bool Poll();
  const std::string& received() const { return received_; }
  bool closed() const { return closed_; }

  // Writes HELLO as node `from` for node `to`, proving `secret`.
  void StartHandshake(const std::string& secret, uint32_t from, uint32_t to);
  // Polls; answers the challenge with PROOF. True once the handshake completed.
  bool AdvanceHandshake();
  const Status& handshake_status() const { return handshake_status_; }

  bool SendEnvelope(const v1::Envelope& env);
  // Polls; the next envelope received after the handshake, if a whole frame is in.
  std::optional<v1::Envelope> NextEnvelope();

 private:
  explicit TestPeer(int fd) : fd_(fd) {}

  int fd_;
  std::string received_;
  bool closed_ = false;
  std::optional<net::Handshake> handshake_;
  Status handshake_status_;
  size_t consumed_ = 0;  // bytes of received_ taken by the handshake
  net::FrameDecoder decoder_;
};

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_NET_TEST_PEER_H_
