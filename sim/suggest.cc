#include "sim/suggest.h"

#include <algorithm>

#include "kdc/directory.h"

namespace delegsim::sim {
namespace {

size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string w = kdc::ToLower(word);
  size_t best = std::max<size_t>(2, w.size() / 3) + 1;
  std::vector<std::string> closest;
  for (const std::string& c : candidates) {
    size_t d = Distance(w, kdc::ToLower(c));
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

}  // namespace delegsim::sim
