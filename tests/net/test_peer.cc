#include "tests/net/test_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace delegsim::testing {
namespace {

sockaddr_in Address(const std::string& address, uint16_t port) {
  sockaddr_in result{};
  result.sin_family = AF_INET;
  result.sin_port = htons(port);
  ::inet_pton(AF_INET, address.c_str(), &result.sin_addr);
  return result;
}

}  // namespace

std::unique_ptr<TestPeer> TestPeer::Connect(const std::string& local_address,
                                            const std::string& remote_address, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return nullptr;
  auto peer = std::unique_ptr<TestPeer>(new TestPeer(fd));
  sockaddr_in local = Address(local_address, 0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return nullptr;
  sockaddr_in remote = Address(remote_address, port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) return nullptr;
  return peer;
}

TestPeer::~TestPeer() { ::close(fd_); }

bool TestPeer::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

bool TestPeer::Poll() {
  if (closed_) return false;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got > 0) {
      received_.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    closed_ = true;
    return false;
  }
}

void TestPeer::StartHandshake(const std::string& secret, uint32_t from, uint32_t to) {
  handshake_.emplace(
      net::Handshake::Initiator(secret, from, to, *net::RandomBytes(net::kHandshakeNonceBytes)));
  SendAll(handshake_->TakeOutput());
}

bool TestPeer::AdvanceHandshake() {
  if (!handshake_) return false;
  if (handshake_->done()) return true;
  Poll();
  if (received_.size() > consumed_) {
    handshake_status_ = handshake_->Feed(std::string_view(received_).substr(consumed_));
    consumed_ = received_.size();
    if (!handshake_status_.ok()) return false;
    if (handshake_->done()) {
      SendAll(handshake_->TakeOutput());
      decoder_.Feed(handshake_->TakeRemainder());
    }
  }
  return handshake_->done();
}

bool TestPeer::SendEnvelope(const v1::Envelope& env) {
  StatusOr<std::string> frame = net::EncodeFrame(env);
  return frame.ok() && SendAll(*frame);
}

std::optional<v1::Envelope> TestPeer::NextEnvelope() {
  Poll();
  if (received_.size() > consumed_) {
    decoder_.Feed(std::string_view(received_).substr(consumed_));
    consumed_ = received_.size();
  }
  StatusOr<std::optional<v1::Envelope>> next = decoder_.Next();
  if (!next.ok()) return std::nullopt;
  return std::move(next).value();
}

}  // namespace delegsim::testing
