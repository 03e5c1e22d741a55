// libFuzzer entry point of the frame target; the logic is FuzzFrames (fuzz/targets.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  delegsim::fuzz::FuzzFrames(data, size);
  return 0;
}
