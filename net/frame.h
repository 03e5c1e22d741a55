// Framing: how envelopes travel on a TCP byte stream.
//
// A frame is a 4-byte big-endian body length followed by that many bytes of a serialized
// v1::Envelope. The length is bounded (default 1 MiB): a decoder rejects an oversized
// header as soon as its 4 bytes are in, before buffering any of the body, like the asio
// chat example's chat_message::decode_header. A body that does not parse as a
// v1::Envelope is rejected too. Both rejections are final: a stream that carried a bad
// frame cannot be resynchronised, so the caller closes the connection.
//
//   StatusOr<std::string> bytes = EncodeFrame(env);     // header + body
//   FrameDecoder decoder;  decoder.Feed(chunk);         // any chunking
//   for (;;) {
//     StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
//     if (!next.ok()) { Close(next.status()); break; }  // oversized or undecodable
//     if (!next->has_value()) break;                    // needs more bytes
//     Handle(**next);
//   }
//
// Threading: no shared state; a FrameDecoder belongs to one connection.
#ifndef DELEGSIM_NET_FRAME_H_
#define DELEGSIM_NET_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "nodes/envelope.h"
#include "proto/envelope.pb.h"

namespace delegsim::net {

inline constexpr size_t kFrameHeaderBytes = 4;
// Default bound on a frame's body (the value of its length header), in bytes.
inline constexpr size_t kDefaultMaxFrameBodyBytes = nodes::kMaxEnvelopeBytes;

// The 4-byte big-endian header announcing a body of `body_bytes` bytes. Exposed so that
// tests can build tampered frames (a header that lies, a garbage body).
std::string EncodeFrameHeader(uint32_t body_bytes);

// Header followed by env's serialization. kResourceExhausted if the body would exceed
// `max_body_bytes`; kInternal if protobuf refuses to serialize.
StatusOr<std::string> EncodeFrame(const v1::Envelope& env,
                                  size_t max_body_bytes = kDefaultMaxFrameBodyBytes);

// Incremental decoder for one byte stream. Feed() bytes as they arrive, in chunks of any
// size, then call Next() until it yields no envelope.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_body_bytes = kDefaultMaxFrameBodyBytes);
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Appends received bytes. Bytes fed after a failure are discarded.
  void Feed(std::string_view bytes);

  // The next complete envelope; std::nullopt when more bytes are needed. Failures, which
  // are sticky (every later call returns the same Status):
  //  - kResourceExhausted "oversized frame: header announces N bytes, maximum is M"
  //    as soon as a header above the maximum is complete, whatever follows it;
  //  - kInvalidArgument "undecodable frame: N-byte body is not a v1::Envelope".
  StatusOr<std::optional<v1::Envelope>> Next();

  // Bytes received but not yet returned as envelopes (header and body bytes).
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  bool failed() const { return !failure_.ok(); }

 private:
  size_t max_body_bytes_;
  std::string buffer_;  // received bytes; [0, consumed_) already decoded
  size_t consumed_ = 0;
  Status failure_;  // first failure; OK while the stream is healthy
};

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_FRAME_H_
