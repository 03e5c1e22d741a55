// Framing (net/frame.h) and envelope classification (net/envelope_info.h): frames survive
// any chunking of the byte stream; an oversized header is refused before its body is
// buffered; a body that is not an Envelope is refused; refusals are final.
#include "net/frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "net/envelope_info.h"

namespace delegsim::net {
namespace {

using ::testing::HasSubstr;

v1::Envelope MakeCall(uint32_t from, uint32_t to, uint64_t correlation) {
  v1::Envelope env;
  env.set_from(from);
  env.set_to(to);
  env.set_correlation(correlation);
  env.mutable_call()->set_path("c1/web");
  env.mutable_call()->set_service("web");
  env.mutable_call()->add_chain(std::string(correlation % 50, 'x'));  // vary the size
  return env;
}

// Bytes from a fixed seed that do not parse as a v1::Envelope (checked by a test below).
std::string GarbageBytes(size_t size) {
  std::mt19937 rng(20240611);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(rng() & 0xff);
  return bytes;
}

// Feeds `stream` in chunks whose sizes cycle through `chunk_sizes`, collecting every
// envelope; fails the test on a decode error.
std::vector<v1::Envelope> DecodeInChunks(const std::string& stream,
                                         const std::vector<size_t>& chunk_sizes) {
  FrameDecoder decoder;
  std::vector<v1::Envelope> envelopes;
  size_t offset = 0;
  for (size_t i = 0; offset < stream.size(); ++i) {
    const size_t size = std::min(chunk_sizes[i % chunk_sizes.size()], stream.size() - offset);
    decoder.Feed(std::string_view(stream).substr(offset, size));
    offset += size;
    for (;;) {
      StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      if (!next.ok() || !next->has_value()) break;
      envelopes.push_back(std::move(**next));
    }
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return envelopes;
}

TEST(Frame, HeaderIsFourBytesBigEndian) {
  EXPECT_EQ(EncodeFrameHeader(0x01020304), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(EncodeFrameHeader(0x7fffffff), std::string("\x7f\xff\xff\xff", 4));
}

TEST(Frame, EncodedFrameIsHeaderThenSerializedEnvelope) {
  const v1::Envelope env = MakeCall(1, 2, 7);
  StatusOr<std::string> frame = EncodeFrame(env);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  const std::string body = env.SerializeAsString();
  EXPECT_EQ(*frame, EncodeFrameHeader(static_cast<uint32_t>(body.size())) + body);
}

TEST(Frame, RoundTripsWholeFrames) {
  std::string stream;
  for (uint64_t i = 1; i <= 20; ++i) stream += *EncodeFrame(MakeCall(1, 2, i));
  const std::vector<v1::Envelope> envelopes = DecodeInChunks(stream, {stream.size()});
  ASSERT_EQ(envelopes.size(), 20u);
  for (uint64_t i = 1; i <= 20; ++i) {
    EXPECT_EQ(envelopes[i - 1].SerializeAsString(), MakeCall(1, 2, i).SerializeAsString());
  }
}

TEST(Frame, RoundTripsWhenBytesArriveOneAtATime) {
  std::string stream;
  for (uint64_t i = 1; i <= 20; ++i) stream += *EncodeFrame(MakeCall(3, 4, i));
  const std::vector<v1::Envelope> envelopes = DecodeInChunks(stream, {1});
  ASSERT_EQ(envelopes.size(), 20u);
  for (uint64_t i = 1; i <= 20; ++i) EXPECT_EQ(envelopes[i - 1].correlation(), i);
}

TEST(Frame, RoundTripsAcrossIrregularChunkBoundaries) {
  std::string stream;
  for (uint64_t i = 1; i <= 200; ++i) stream += *EncodeFrame(MakeCall(3, 4, i));
  // Chunks that split headers (sizes 1..3) and bodies, and span several frames.
  const std::vector<v1::Envelope> envelopes = DecodeInChunks(stream, {3, 1, 2, 17, 5, 64, 2, 301});
  ASSERT_EQ(envelopes.size(), 200u);
  for (uint64_t i = 1; i <= 200; ++i) {
    EXPECT_EQ(envelopes[i - 1].SerializeAsString(), MakeCall(3, 4, i).SerializeAsString());
  }
}

TEST(Frame, IncompleteFrameWaitsForMoreBytes) {
  const std::string frame = *EncodeFrame(MakeCall(1, 2, 9));
  FrameDecoder decoder;
  decoder.Feed(frame.substr(0, 2));
  StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  decoder.Feed(frame.substr(2, frame.size() - 3));
  next = decoder.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  decoder.Feed(frame.substr(frame.size() - 1));
  next = decoder.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->correlation(), 9u);
}

TEST(Frame, OversizedHeaderIsRejectedBeforeTheBody) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrameHeader(0x7fffffff));
  // Rejected on the header alone: nothing is kept, no body is awaited.
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(next.status().message(), HasSubstr("oversized frame"));
  EXPECT_THAT(next.status().message(), HasSubstr("2147483647"));
  EXPECT_THAT(next.status().message(), HasSubstr("1048576"));
}

TEST(Frame, OversizedHeaderBehindAGoodFrameIsRejectedWhenReached) {
  FrameDecoder decoder;
  decoder.Feed(*EncodeFrame(MakeCall(1, 2, 1)) + EncodeFrameHeader(0x7fffffff) + "abc");
  StatusOr<std::optional<v1::Envelope>> first = decoder.Next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  StatusOr<std::optional<v1::Envelope>> second = decoder.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
}

TEST(Frame, MaximumIsConfigurableAndInclusive) {
  v1::Envelope env;
  env.mutable_call()->set_path(std::string(40, 'p'));
  const std::string frame = *EncodeFrame(env);
  const size_t body_bytes = frame.size() - kFrameHeaderBytes;

  FrameDecoder at_limit(body_bytes);
  at_limit.Feed(frame);
  StatusOr<std::optional<v1::Envelope>> accepted = at_limit.Next();
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_TRUE(accepted->has_value());

  FrameDecoder below_limit(body_bytes - 1);
  below_limit.Feed(frame);
  StatusOr<std::optional<v1::Envelope>> refused = below_limit.Next();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);

  StatusOr<std::string> too_big = EncodeFrame(env, body_bytes - 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::kResourceExhausted);
}

TEST(Frame, GarbageBytesAreNotAnEnvelope) {
  v1::Envelope env;
  EXPECT_FALSE(env.ParseFromString(GarbageBytes(64)));
}

TEST(Frame, GarbageBodyIsRejected) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrameHeader(64) + GarbageBytes(64));
  StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(next.status().message(), HasSubstr("undecodable frame: 64-byte body"));
}

TEST(Frame, FailureIsFinal) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrameHeader(64) + GarbageBytes(64));
  ASSERT_FALSE(decoder.Next().ok());
  decoder.Feed(*EncodeFrame(MakeCall(1, 2, 1)));
  StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_THAT(next.status().message(), HasSubstr("undecodable"));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(Frame, EmptyBodyIsAnEmptyEnvelope) {
  // Framing accepts it; whether from/to make sense is the runtime's check.
  FrameDecoder decoder;
  decoder.Feed(EncodeFrameHeader(0));
  StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->to(), 0u);
}

TEST(EnvelopeInfo, ClassifiesRequestsAndReplies) {
  v1::Envelope env;
  EXPECT_FALSE(IsRequest(env));
  EXPECT_FALSE(IsReply(env));
  EXPECT_EQ(BodyName(env), "empty");
  env.mutable_as_req();
  EXPECT_TRUE(IsRequest(env));
  env.mutable_tgs_req();
  EXPECT_TRUE(IsRequest(env));
  env.mutable_ntlm_negotiate();
  EXPECT_TRUE(IsRequest(env));
  env.mutable_ntlm_validate_req();
  EXPECT_TRUE(IsRequest(env));
  env.mutable_call();
  EXPECT_TRUE(IsRequest(env));
  EXPECT_EQ(BodyName(env), "call");
  env.mutable_kdc_rep();
  EXPECT_TRUE(IsReply(env));
  env.mutable_kdc_error();
  EXPECT_TRUE(IsReply(env));
  env.mutable_ntlm_challenge();
  EXPECT_TRUE(IsReply(env));
  env.mutable_ntlm_validate_rep();
  EXPECT_TRUE(IsReply(env));
  env.mutable_call_reply();
  EXPECT_TRUE(IsReply(env));
  EXPECT_FALSE(IsRequest(env));
  EXPECT_EQ(BodyName(env), "call_reply");
}

TEST(EnvelopeInfo, UnansweredRequestsAnswerTheOldestAndListInSendOrder) {
  UnansweredRequests unanswered;
  unanswered.Add(10, MakeCall(1, 2, 5));
  unanswered.Add(11, MakeCall(1, 2, 6));
  unanswered.Add(12, MakeCall(1, 2, 5));
  EXPECT_FALSE(unanswered.Answer(99));
  EXPECT_TRUE(unanswered.Answer(5));  // the one sent as seq 10
  EXPECT_EQ(unanswered.size(), 2u);
  std::vector<v1::Envelope> left = unanswered.TakeAll();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].correlation(), 6u);
  EXPECT_EQ(left[1].correlation(), 5u);
  EXPECT_EQ(unanswered.size(), 0u);
  EXPECT_FALSE(unanswered.Answer(5));
}

}  // namespace
}  // namespace delegsim::net
