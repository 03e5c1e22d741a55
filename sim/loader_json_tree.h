// The loader's JSON reader: nlohmann's SAX parser building the document while it records
// the line of every JSON path (PathLines), so that every problem can name its line.
// Duplicate keys are problems; a syntax error or nesting beyond kMaxJsonDepth stops.
#ifndef DELEGSIM_SIM_LOADER_JSON_TREE_H_
#define DELEGSIM_SIM_LOADER_JSON_TREE_H_

#include "sim/loader_internal.h"

namespace delegsim::sim::loader_internal {

// The document `text` holds, the line of each of its paths, and the problems met.
struct ParsedText {
  Json root;
  PathLines lines;
  std::optional<Raw> fatal;  // a syntax error or excessive nesting: no document
  std::vector<Raw> soft;     // duplicate keys
};
ParsedText ParseWithLines(std::string_view text);

}  // namespace delegsim::sim::loader_internal

#endif  // DELEGSIM_SIM_LOADER_JSON_TREE_H_
