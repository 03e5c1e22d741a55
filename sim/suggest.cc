#include "sim/suggest.h"

#include <algorithm>
#include <limits>

#include "kdc/directory.h"

namespace delegsim::sim {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::string x = kdc::ToLower(a);
  std::string y = kdc::ToLower(b);
  // Three rows: the one before the previous is needed for transpositions.
  std::vector<size_t> before(y.size() + 1), previous(y.size() + 1), row(y.size() + 1);
  for (size_t j = 0; j <= y.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= x.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= y.size(); ++j) {
      size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, row);
  }
  return previous[y.size()];
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  size_t best = std::max<size_t>(2, word.size() / 3) + 1;
  std::vector<std::string> closest;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best) {
      best = d;
      closest = {c};
    } else if (d == best && closest.size() < 3) {
      closest.push_back(c);
    }
  }
  if (closest.empty()) return "";
  std::string out = " (did you mean ";
  for (size_t i = 0; i < closest.size(); ++i) {
    out += (i ? i + 1 == closest.size() ? " or '" : ", '" : "'") + closest[i] + "'";
  }
  return out + "?)";
}

std::optional<std::string> ClosestName(std::string_view word,
                                       const std::vector<SuggestCandidate>& candidates) {
  std::optional<std::string> best;
  size_t best_d = std::numeric_limits<size_t>::max();
  size_t limit = std::max<size_t>(1, word.size() / 3);
  for (const SuggestCandidate& c : candidates) {
    // The distance is at least the difference in length: skip the hopeless cheaply.
    size_t gap =
        c.key.size() > word.size() ? c.key.size() - word.size() : word.size() - c.key.size();
    if (gap > limit) continue;
    size_t dist = EditDistance(word, c.key);
    if (dist < best_d && dist <= limit && dist < word.size() && c.shown != word) {
      best_d = dist;
      best = c.shown;
    }
  }
  return best;
}

}  // namespace delegsim::sim
