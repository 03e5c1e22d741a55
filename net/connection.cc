#include "net/connection.h"

#include <utility>
#include <vector>

namespace delegsim::net {
namespace {

std::string ToString(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

std::shared_ptr<Connection> Connection::Open(asio::io_context& io, uint64_t id, Events& events,
                                             const asio::ip::address& local_address,
                                             const asio::ip::tcp::endpoint& remote,
                                             size_t max_frame_body_bytes, Handshake handshake) {
  // The constructor is private, hence no std::make_shared.
  return std::shared_ptr<Connection>(
      new Connection(asio::ip::tcp::socket(io), id, events, /*accepted=*/false,
                     asio::ip::tcp::endpoint(local_address, 0), remote, max_frame_body_bytes,
                     std::move(handshake)));
}

std::shared_ptr<Connection> Connection::Adopt(asio::ip::tcp::socket socket, uint64_t id,
                                              Events& events, size_t max_frame_body_bytes,
                                              Handshake handshake) {
  asio::error_code ignored;
  asio::ip::tcp::endpoint local = socket.local_endpoint(ignored);
  asio::ip::tcp::endpoint remote = socket.remote_endpoint(ignored);
  return std::shared_ptr<Connection>(new Connection(std::move(socket), id, events,
                                                    /*accepted=*/true, local, remote,
                                                    max_frame_body_bytes, std::move(handshake)));
}

Connection::Connection(asio::ip::tcp::socket socket, uint64_t id, Events& events, bool accepted,
                       asio::ip::tcp::endpoint local, asio::ip::tcp::endpoint remote,
                       size_t max_frame_body_bytes, Handshake handshake)
    : socket_(std::move(socket)),
      id_(id),
      events_(events),
      accepted_(accepted),
      local_(std::move(local)),
      remote_(std::move(remote)),
      decoder_(max_frame_body_bytes),
      handshake_(std::move(handshake)),
      handshake_timer_(socket_.get_executor()) {}

void Connection::Start() {
  StartHandshakeTimer();
  if (accepted_) {
    connected_ = true;
    NoDelay();
    ReadSome();
    return;
  }
  Connect();
}

void Connection::NoDelay() {
  // Every frame is a whole message someone waits for: Nagle's algorithm would hold a small
  // one back until the previous one is acknowledged, and a delayed ACK makes that 40 ms.
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

void Connection::StartHandshakeTimer() {
  handshake_timer_.expires_after(kHandshakeTimeout);
  handshake_timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (error || self->closed_ || self->authenticated_) return;
    self->FailHandshake(Unauthenticated(
        "handshake: not completed within " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(kHandshakeTimeout).count()) +
        " s"));
  });
}

void Connection::FailHandshake(const Status& error) {
  if (closed_) return;
  events_.OnHandshakeFailed(*this, error);
  Close(error.message());
}

void Connection::WriteHandshakeOutput() {
  std::string output = handshake_.TakeOutput();
  if (output.empty()) return;
  write_queue_.push_back(std::move(output));
  if (connected_ && frames_in_flight_ == 0) WriteQueued();
}

bool Connection::AdvanceHandshake(std::string& bytes) {
  Status fed = handshake_.Feed(bytes);
  bytes.clear();
  if (fed.ok() && accepted_ && handshake_.hello_received() && !hello_checked_) {
    // Once: the owner checks who HELLO claims to be before the challenge goes out.
    hello_checked_ = true;
    Status claim = events_.OnHello(*this, handshake_.from(), handshake_.to());
    if (closed_) return false;
    if (claim.ok()) {
      handshake_.Accept();
    } else {
      handshake_.Reject(claim);
    }
    fed = handshake_.failed() ? handshake_.failure() : Status::Ok();
  }
  if (!fed.ok()) {
    FailHandshake(fed);
    return false;
  }
  WriteHandshakeOutput();
  if (!handshake_.done()) return true;
  authenticated_ = true;
  handshake_timer_.cancel();
  events_.OnAuthenticated(*this);
  if (closed_) return false;
  for (std::string& frame : held_) write_queue_.push_back(std::move(frame));
  held_.clear();
  if (connected_ && frames_in_flight_ == 0 && !write_queue_.empty()) WriteQueued();
  bytes = handshake_.TakeRemainder();
  return true;
}

void Connection::Connect() {
  asio::error_code error;
  socket_.open(remote_.protocol(), error);
  if (!error) socket_.bind(local_, error);
  if (error) {
    // Report from a handler: the caller may be a node in the middle of Send().
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), reason = "bind " + local_.address().to_string() + ": " +
                                                    error.message()] { self->Close(reason); });
    return;
  }
  asio::error_code ignored;
  local_ = socket_.local_endpoint(ignored);
  socket_.async_connect(remote_, [self = shared_from_this()](const asio::error_code& result) {
    self->OnConnected(result);
  });
}

void Connection::OnConnected(const asio::error_code& error) {
  if (closed_) return;
  if (error) {
    Close("connect to " + ToString(remote_) + ": " + error.message());
    return;
  }
  connected_ = true;
  NoDelay();
  asio::error_code ignored;
  local_ = socket_.local_endpoint(ignored);
  ReadSome();
  WriteHandshakeOutput();  // HELLO
}

void Connection::ReadSome() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const asio::error_code& error, size_t bytes_read) {
        self->OnRead(error, bytes_read);
      });
}

void Connection::OnRead(const asio::error_code& error, size_t bytes_read) {
  if (closed_) return;
  if (error) {
    Close(error == asio::error::eof ? "peer closed the connection" : "read: " + error.message());
    return;
  }
  if (!authenticated_) {
    std::string bytes(read_buffer_.data(), bytes_read);
    if (!AdvanceHandshake(bytes)) return;
    if (!authenticated_) {
      ReadSome();
      return;
    }
    decoder_.Feed(bytes);
  } else {
    decoder_.Feed(std::string_view(read_buffer_.data(), bytes_read));
  }
  for (;;) {
    StatusOr<std::optional<v1::Envelope>> next = decoder_.Next();
    if (!next.ok()) {
      Reject(next.status());
      return;
    }
    if (!next->has_value()) break;
    Status accepted = events_.OnFrame(*this, std::move(**next));
    if (!accepted.ok()) {
      Close(accepted.message());
      return;
    }
    if (closed_) return;
  }
  ReadSome();
}

void Connection::Reject(const Status& error) {
  events_.OnWireError(*this, error);
  Close(error.message());
}

void Connection::Write(std::string bytes) {
  if (closed_) return;
  if (!authenticated_) {
    held_.push_back(std::move(bytes));
    return;
  }
  write_queue_.push_back(std::move(bytes));
  // While connected, a non-empty queue means a write is in flight; it picks this up.
  if (connected_ && frames_in_flight_ == 0) WriteQueued();
}

void Connection::WriteQueued() {
  // Everything queued goes out in one gathered write; later frames wait for the next.
  // std::deque::push_back keeps element addresses stable, so these buffers stay valid.
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(write_queue_.size());
  for (const std::string& frame : write_queue_) buffers.push_back(asio::buffer(frame));
  frames_in_flight_ = write_queue_.size();
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const asio::error_code& error, size_t) {
                      self->OnWritten(error);
                    });
}

void Connection::OnWritten(const asio::error_code& error) {
  if (closed_) return;
  if (error) {
    Close("write: " + error.message());
    return;
  }
  write_queue_.erase(write_queue_.begin(),
                     write_queue_.begin() + static_cast<std::ptrdiff_t>(frames_in_flight_));
  frames_in_flight_ = 0;
  if (!write_queue_.empty()) WriteQueued();
}

void Connection::Close(const std::string& reason) {
  if (closed_) return;
  CloseQuietly();
  events_.OnClosed(*this, reason);
}

void Connection::CloseQuietly() {
  if (closed_) return;
  closed_ = true;
  handshake_timer_.cancel();
  // Pending operations complete with operation_aborted and find closed_ set. The write
  // queue stays untouched until then: an aborted write may still refer to it.
  asio::error_code ignored;
  socket_.close(ignored);
}

}  // namespace delegsim::net
