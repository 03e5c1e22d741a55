// Connection: one end of a TCP connection between two simulated hosts. It owns the
// socket, runs the handshake (net/handshake.h) that proves both ends hold the run's
// secret, then decodes incoming frames (net/frame.h) and writes queued frames one
// async_write at a time. It knows bytes and frames, not nodes: what an envelope means
// and who may send it is decided by its owner (AsioRuntime) through Connection::Events,
// like the asio HTTP server's connection, which hands requests to a handler.
//
//   auto c = Connection::Open(io, id, events, local_host, remote_listener, max, handshake);
//   c->Start();                         // bind, connect, handshake, then read and write
//   c->Write(*EncodeFrame(env));        // queued until authenticated
//
// Nothing but handshake messages crosses the connection before the handshake completes:
// frames written meanwhile wait, and a peer that does not complete it within
// kHandshakeTimeout (real time) or deviates from it is reported (OnHandshakeFailed) and
// closed; no frame from it is ever decoded.
//
// Lifetime: shared; every pending completion handler holds a reference, so the object
// lives until its last operation has completed. Close() ends it.
// Threading: all calls and all events happen on the thread running the io_context.
// Internal to net/: this header includes <asio.hpp>.
#ifndef DELEGSIM_NET_CONNECTION_H_
#define DELEGSIM_NET_CONNECTION_H_

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "common/status.h"
#include "net/frame.h"
#include "net/handshake.h"
#include "proto/envelope.pb.h"

namespace delegsim::net {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static constexpr std::chrono::seconds kHandshakeTimeout{10};

  // What a connection reports to its owner. Each call comes from one of the
  // connection's completion handlers, never from inside Write() or Start().
  class Events {
   public:
    virtual ~Events() = default;
    // Accepted connections: HELLO claims to come from node `from` for node `to`. A non-OK
    // result refuses the claim: OnHandshakeFailed(result) and OnClosed follow.
    virtual Status OnHello(Connection& connection, uint32_t from, uint32_t to) = 0;
    // The peer proved it holds the run secret; frames may flow (peer_node() is known).
    virtual void OnAuthenticated(Connection& connection) = 0;
    // The handshake failed or timed out; nothing the peer sent is delivered. OnClosed
    // follows at once.
    virtual void OnHandshakeFailed(Connection& connection, const Status& error) = 0;
    // A frame decoded into `env`. A non-OK result rejects it: the connection closes
    // with the Status message as reason (the owner records why beforehand).
    virtual Status OnFrame(Connection& connection, v1::Envelope env) = 0;
    // A frame was oversized or undecodable; OnClosed follows at once.
    virtual void OnWireError(Connection& connection, const Status& error) = 0;
    // The connection closed for `reason` ("peer closed the connection", "read: ...",
    // the wire error's message). Called exactly once, unless CloseQuietly() came first.
    virtual void OnClosed(Connection& connection, const std::string& reason) = 0;
  };

  // A connection `local_address` -> `remote`: Start() binds the local end to
  // `local_address` (ephemeral port), so the peer sees that address, then connects.
  // `handshake` is an initiator's (Handshake::Initiator).
  static std::shared_ptr<Connection> Open(asio::io_context& io, uint64_t id, Events& events,
                                          const asio::ip::address& local_address,
                                          const asio::ip::tcp::endpoint& remote,
                                          size_t max_frame_body_bytes, Handshake handshake);
  // A connection accepted by a listener; `socket` is connected; `handshake` is a
  // responder's (Handshake::Responder).
  static std::shared_ptr<Connection> Adopt(asio::ip::tcp::socket socket, uint64_t id,
                                           Events& events, size_t max_frame_body_bytes,
                                           Handshake handshake);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Begins connecting (opened) or reading (accepted). A bind or connect failure closes
  // the connection from a completion handler, with the failure as reason.
  void Start();
  // Queues `bytes` (whole frames, or anything a test wants on the wire) behind earlier
  // writes. Ignored once closed.
  void Write(std::string bytes);
  // Closes the socket and reports OnClosed(reason). Idempotent.
  void Close(const std::string& reason);
  // Closes the socket without reporting anything (runtime shutdown).
  void CloseQuietly();

  uint64_t id() const { return id_; }
  bool accepted() const { return accepted_; }
  // The handshake completed: the peer holds the run secret.
  bool authenticated() const { return authenticated_; }
  // The node at the other end, as the handshake established (0 before HELLO).
  uint32_t peer_node() const { return accepted_ ? handshake_.from() : handshake_.to(); }
  bool closed() const { return closed_; }
  // This end's address and port; before connecting, the bind address with port 0.
  const asio::ip::tcp::endpoint& local_endpoint() const { return local_; }
  // The other end; for an opened connection, the listener it connects to.
  const asio::ip::tcp::endpoint& remote_endpoint() const { return remote_; }

 private:
  Connection(asio::ip::tcp::socket socket, uint64_t id, Events& events, bool accepted,
             asio::ip::tcp::endpoint local, asio::ip::tcp::endpoint remote,
             size_t max_frame_body_bytes, Handshake handshake);

  void Connect();
  void OnConnected(const asio::error_code& error);
  void ReadSome();
  void OnRead(const asio::error_code& error, size_t bytes_read);
  void WriteQueued();
  void OnWritten(const asio::error_code& error);
  void Reject(const Status& error);
  // Feeds handshake bytes; false when the connection closed. On completion, `bytes`
  // becomes what followed the handshake (the first frames).
  bool AdvanceHandshake(std::string& bytes);
  void FailHandshake(const Status& error);
  void NoDelay();  // TCP_NODELAY: frames go out at once
  void StartHandshakeTimer();
  // Handshake messages go to the head of the line: they are written before any frame.
  void WriteHandshakeOutput();

  asio::ip::tcp::socket socket_;
  const uint64_t id_;
  Events& events_;
  const bool accepted_;
  asio::ip::tcp::endpoint local_;
  asio::ip::tcp::endpoint remote_;
  FrameDecoder decoder_;
  Handshake handshake_;
  asio::steady_timer handshake_timer_;
  std::deque<std::string> held_;  // frames written before the handshake completed
  std::array<char, 16 * 1024> read_buffer_;
  std::deque<std::string> write_queue_;  // front: the frames being written
  size_t frames_in_flight_ = 0;          // queued frames handed to the current async_write
  bool connected_ = false;
  bool authenticated_ = false;
  bool hello_checked_ = false;  // OnHello was asked (accepted connections)
  bool closed_ = false;
};

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_CONNECTION_H_
