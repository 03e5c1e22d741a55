// Saturating arithmetic for simulated time. Clock steps, ticket lifetimes, timer delays
// and run budgets are added to the current time; a sum past the range of int64_t would be
// undefined behaviour, so it sticks at the limit instead ("the end of time").
//
//   Time end = SaturatingAdd(now, kDefaultTicketLife);  // never wraps to the past
#ifndef DELEGSIM_COMMON_SATURATING_H_
#define DELEGSIM_COMMON_SATURATING_H_

#include <cstdint>
#include <limits>

namespace delegsim {

// a + b, clamped to [INT64_MIN, INT64_MAX].
constexpr int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// a - b, clamped to [INT64_MIN, INT64_MAX].
constexpr int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t diff = 0;
  if (!__builtin_sub_overflow(a, b, &diff)) return diff;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace delegsim

#endif  // DELEGSIM_COMMON_SATURATING_H_
