// libFuzzer entry point of the scenario target; the logic is FuzzScenario (fuzz/targets.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  delegsim::fuzz::FuzzScenario(data, size);
  return 0;
}
