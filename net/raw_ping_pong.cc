#include "net/raw_ping_pong.h"

#include <array>
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "net/frame.h"

namespace delegsim::net {
namespace {

// One end: reads frames, and for each decoded envelope calls `on_envelope`.
struct End {
  explicit End(asio::io_context& io) : socket(io) {}
  asio::ip::tcp::socket socket;
  FrameDecoder decoder;
  std::array<char, 64 * 1024> buffer{};
  std::function<void(v1::Envelope)> on_envelope;
  Status error;

  void Read() {
    socket.async_read_some(asio::buffer(buffer), [this](std::error_code ec, size_t n) {
      if (ec) {
        error = Unavailable(ec.message());
        return;
      }
      decoder.Feed(std::string_view(buffer.data(), n));
      for (;;) {
        StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
        if (!next.ok()) {
          error = next.status();
          return;
        }
        if (!next->has_value()) break;
        on_envelope(std::move(**next));
      }
      Read();
    });
  }
  void Write(const v1::Envelope& env) {
    auto frame = std::make_shared<std::string>(EncodeFrame(env).value());
    asio::async_write(socket, asio::buffer(*frame), [frame](std::error_code, size_t) {});
  }
};

}  // namespace

StatusOr<PingPongResult> RawPingPong(int round_trips, const v1::Envelope& sample) {
  try {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(
        io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.9.2"), 0));
    End server(io), client(io);
    client.socket.open(asio::ip::tcp::v4());
    client.socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.9.1"), 0));
    client.socket.set_option(asio::ip::tcp::no_delay(true));
    bool accepted = false;
    acceptor.async_accept(server.socket, [&](std::error_code ec) { accepted = !ec; });
    client.socket.connect(acceptor.local_endpoint());
    for (int i = 0; i < 50 && !accepted; ++i) io.run_one_for(std::chrono::milliseconds(100));
    if (!accepted) return Unavailable("raw ping-pong: accept did not complete");
    io.restart();  // the accept was the only work: run_one_for stopped the context
    server.socket.set_option(asio::ip::tcp::no_delay(true));

    int done = 0;
    server.on_envelope = [&](v1::Envelope env) { server.Write(env); };
    client.on_envelope = [&](v1::Envelope env) {
      if (++done < round_trips) client.Write(env);
    };
    server.Read();
    client.Read();
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::seconds(60);
    client.Write(sample);
    while (done < round_trips && server.error.ok() && client.error.ok()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Status(StatusCode::kDeadlineExceeded, "raw ping-pong did not finish in 60 s");
      }
      io.run_one_for(std::chrono::milliseconds(100));
    }
    PingPongResult r;
    r.round_trips = done;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!server.error.ok()) return server.error;
    if (!client.error.ok()) return client.error;
    return r;
  } catch (const std::exception& e) {
    return Unavailable(std::string("raw ping-pong: ") + e.what());
  }
}

}  // namespace delegsim::net
