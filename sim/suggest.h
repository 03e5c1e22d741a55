// "did you mean" suggestions for names a user typed.
#ifndef DELEGSIM_SIM_SUGGEST_H_
#define DELEGSIM_SIM_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace delegsim::sim {

// " (did you mean 'alice'?)" naming the closest candidates by edit distance
// (case-insensitive), or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SUGGEST_H_
