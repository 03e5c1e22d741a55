// libFuzzer entry point of the node target; the logic is FuzzNode (fuzz/targets.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  delegsim::fuzz::FuzzNode(data, size);
  return 0;
}
