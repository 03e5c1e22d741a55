// "did you mean" suggestions for names a user typed: the one edit distance of the project
// (the loader, reach queries and scenario edits all use it).
//
//   DidYouMean("alcie", {"alice", "bob"})                 // " (did you mean 'alice'?)"
//   ClosestName("CORPX", {{"CORP", "CORP.EXAMPLE"}})     // "CORP.EXAMPLE"
#ifndef DELEGSIM_SIM_SUGGEST_H_
#define DELEGSIM_SIM_SUGGEST_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace delegsim::sim {

// Optimal-string-alignment distance between a and b, ignoring case: insertions,
// deletions, substitutions and transpositions of neighbours each cost 1.
size_t EditDistance(std::string_view a, std::string_view b);

// " (did you mean 'alice'?)" naming the closest candidates by edit distance
// (case-insensitive), or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

// A name a misspelling is compared with (`key`) and the name to suggest for it (`shown`):
// a domain is also compared by its NetBIOS name ("CORP" for "CORP.EXAMPLE").
struct SuggestCandidate {
  std::string key;
  std::string shown;
};

// The one closest candidate to `word`, if it is close enough to be a likely misspelling
// (the loader's stricter test): at most a third of the word's length (at least 1) and
// less than the whole word; a candidate equal to `word` is never suggested.
std::optional<std::string> ClosestName(std::string_view word,
                                       const std::vector<SuggestCandidate>& candidates);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SUGGEST_H_
