// RawPingPong: the baseline the benchmark compares the TCP runtime against — two
// sockets between two loopback addresses on one io_context thread, exchanging the same
// length-prefixed protobuf Envelope frames the runtime uses (encode, send, receive,
// decode on both sides), with no node logic at all.
#ifndef DELEGSIM_NET_RAW_PING_PONG_H_
#define DELEGSIM_NET_RAW_PING_PONG_H_

#include <cstdint>

#include "common/status.h"
#include "proto/envelope.pb.h"

namespace delegsim::net {

struct PingPongResult {
  int round_trips = 0;
  double seconds = 0;  // wall time of all round trips
  double MicrosPerRoundTrip() const { return round_trips ? seconds * 1e6 / round_trips : 0; }
};

// Sends `sample` from 127.0.9.1 to 127.0.9.2 and back, `round_trips` times. Bounded: fails
// with kDeadlineExceeded after 60 s.
StatusOr<PingPongResult> RawPingPong(int round_trips, const v1::Envelope& sample);

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_RAW_PING_PONG_H_
