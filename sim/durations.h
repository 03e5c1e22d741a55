// Simulated times and lifetimes as people read them: "10h", "1h 30m", "59m 59.982s".
#ifndef DELEGSIM_SIM_DURATIONS_H_
#define DELEGSIM_SIM_DURATIONS_H_

#include <cstdint>
#include <string>

namespace delegsim::sim {

// Milliseconds in hours, minutes and seconds, leaving out the trailing zero parts:
// 36000000 -> "10h", 5400000 -> "1h 30m", 14400001 -> "4h 0m 0.001s", 250 -> "250 ms",
// 0 -> "0 ms". Negative values get a leading '-'.
std::string HumanDuration(int64_t ms);

// `name=value` of a fact, with a duration reading added when the name says milliseconds
// ("ticket.end_ms=14400001 (4h 0m 0.001s)"); other facts unchanged.
std::string ReadableFact(const std::string& name, const std::string& value);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_DURATIONS_H_
