#include "net/frame.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "nodes/envelope.h"

namespace delegsim::net {
namespace {

// protobuf parses from an int-sized buffer; no bound may exceed that.
constexpr size_t kLargestParsableBody = INT_MAX;
// Decoded bytes are erased from the front of the buffer once they are this many and
// more than half of it, so the buffer stays bounded without moving bytes on every frame.
constexpr size_t kCompactThreshold = 64 * 1024;

uint32_t DecodeHeader(const char* header) {
  auto byte = [header](int i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(header[i]));
  };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

Status OversizedFrame(uint32_t announced, size_t max_body_bytes) {
  return Status(StatusCode::kResourceExhausted,
                "oversized frame: header announces " + std::to_string(announced) +
                    " bytes, maximum is " + std::to_string(max_body_bytes));
}

}  // namespace

std::string EncodeFrameHeader(uint32_t body_bytes) {
  std::string header(kFrameHeaderBytes, '\0');
  header[0] = static_cast<char>((body_bytes >> 24) & 0xff);
  header[1] = static_cast<char>((body_bytes >> 16) & 0xff);
  header[2] = static_cast<char>((body_bytes >> 8) & 0xff);
  header[3] = static_cast<char>(body_bytes & 0xff);
  return header;
}

StatusOr<std::string> EncodeFrame(const v1::Envelope& env, size_t max_body_bytes) {
  const size_t body_bytes = env.ByteSizeLong();
  const size_t limit = std::min(max_body_bytes, kLargestParsableBody);
  if (body_bytes > limit) {
    return Status(StatusCode::kResourceExhausted, "envelope of " + std::to_string(body_bytes) +
                                                      " bytes exceeds the frame maximum of " +
                                                      std::to_string(limit));
  }
  std::string frame = EncodeFrameHeader(static_cast<uint32_t>(body_bytes));
  frame.resize(kFrameHeaderBytes + body_bytes);
  if (!env.SerializeToArray(frame.data() + kFrameHeaderBytes, static_cast<int>(body_bytes))) {
    return Internal("protobuf could not serialize a v1::Envelope of " + std::to_string(body_bytes) +
                    " bytes");
  }
  return frame;
}

FrameDecoder::FrameDecoder(size_t max_body_bytes)
    : max_body_bytes_(std::min(max_body_bytes, kLargestParsableBody)) {}

void FrameDecoder::Feed(std::string_view bytes) {
  if (failed()) return;
  buffer_.append(bytes.data(), bytes.size());
  // Reject an oversized header now, so that its body is never buffered.
  if (buffered_bytes() >= kFrameHeaderBytes) {
    const uint32_t announced = DecodeHeader(buffer_.data() + consumed_);
    if (announced > max_body_bytes_) {
      failure_ = OversizedFrame(announced, max_body_bytes_);
      buffer_.clear();
      consumed_ = 0;
    }
  }
}

StatusOr<std::optional<v1::Envelope>> FrameDecoder::Next() {
  if (failed()) return failure_;
  if (buffered_bytes() < kFrameHeaderBytes) return std::optional<v1::Envelope>();
  const uint32_t announced = DecodeHeader(buffer_.data() + consumed_);
  if (announced > max_body_bytes_) {
    failure_ = OversizedFrame(announced, max_body_bytes_);
    buffer_.clear();
    consumed_ = 0;
    return failure_;
  }
  if (buffered_bytes() < kFrameHeaderBytes + announced) return std::optional<v1::Envelope>();

  v1::Envelope env;
  if (Status parsed = nodes::ParseEnvelope(
          std::string_view(buffer_.data() + consumed_ + kFrameHeaderBytes, announced), env);
      !parsed.ok()) {
    failure_ = InvalidArgument("undecodable frame: " + std::to_string(announced) + "-byte body " +
                               parsed.message());
    buffer_.clear();
    consumed_ = 0;
    return failure_;
  }
  consumed_ += kFrameHeaderBytes + announced;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ >= kCompactThreshold && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return std::optional<v1::Envelope>(std::move(env));
}

}  // namespace delegsim::net
