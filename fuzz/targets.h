// Fuzz targets: what each libFuzzer executable of fuzz/ does with one input, as plain
// functions so that tests/fuzz can replay every input a fuzzer ever crashed on
// (fuzz/regressions/<target>/) in the ordinary and sanitizer builds.
//
//   FuzzScenario(data, size);  // bytes -> LoadScenarioText; a scenario it accepts runs
//   FuzzFrames(data, size);    // bytes -> FrameDecoder, in chunks the input chooses
//   FuzzNode(data, size);      // one envelope delivered to a node of a library world
//
// Each returns normally for every input; a crash, a sanitizer report, a hang or unbounded
// memory is the bug. Each checks the invariants its layer promises (named in its comment)
// and aborts when one breaks, so that the fuzzer reports it.
#ifndef DELEGSIM_FUZZ_TARGETS_H_
#define DELEGSIM_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace delegsim::fuzz {

// The scenario loader on arbitrary bytes. Invariants: a file with problems gives no
// scenario, every problem has a message, a file it accepts builds into a World and runs
// on the virtual runtime (all names resolve), and problem lines are printable.
void FuzzScenario(const uint8_t* data, size_t size);

// The frame decoder and envelope handling: the first byte picks a chunk size, the rest
// is a byte stream fed in such chunks. Invariants: a failure is sticky, an oversized
// header fails before its body is buffered, each decoded envelope re-encodes into a frame
// that decodes to the same envelope, and describing it (trace text) never fails.
void FuzzFrames(const uint8_t* data, size_t size);

// A node fed an arbitrary envelope: byte 0 picks the receiver among the nodes of a small
// library world (KDC, service and client nodes), byte 1 the sender, byte 2 whether it
// arrives before the scenario's calls run (while they are in flight) or after; the rest
// is the serialized v1::Envelope. It travels through the virtual runtime (serialized,
// parsed on delivery). Invariant: the world keeps running to completion within its
// budgets.
void FuzzNode(const uint8_t* data, size_t size);

// The scenario FuzzNode builds its world from (a file of scenarios/).
std::string NodeWorldScenario();

}  // namespace delegsim::fuzz

#endif  // DELEGSIM_FUZZ_TARGETS_H_
