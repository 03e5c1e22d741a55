// The sources rules cite: each key of a rule's `sources` (SFU-K, KILE-TF, RFC4120, ...)
// with what it is and its public links, from the source key table of RULES.md.
//
//   const SourceInfo* s = FindSource("SFU-K");  // s->links: "https://learn.microsoft..."
#ifndef DELEGSIM_COMMON_SOURCES_H_
#define DELEGSIM_COMMON_SOURCES_H_

#include <span>
#include <string_view>

namespace delegsim {

struct SourceInfo {
  std::string_view key;    // "SFU-K"
  std::string_view title;  // "[MS-SFU] 3.2.5.2.1 Using ServicesAllowedToSendForwardedTicketsTo"
  std::string_view links;  // public URLs separated by single spaces; empty when none
};

// Every source, in the order of RULES.md's table, then the other names rules use.
std::span<const SourceInfo> AllSources();
// The source with this key, or nullptr.
const SourceInfo* FindSource(std::string_view key);

}  // namespace delegsim

#endif  // DELEGSIM_COMMON_SOURCES_H_
