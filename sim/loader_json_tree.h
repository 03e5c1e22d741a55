// The loader's JSON reader: nlohmann's SAX parser building the document while it records
// the line of every JSON path (PathLines), so that every problem can name its line.
// Duplicate keys are problems; a syntax error or nesting beyond kMaxJsonDepth stops.
// ReadScenarioJson first reads without the lines (most files have no problem to locate)
// and falls back to ParseWithLines when the text has a syntax error, excessive nesting
// or a duplicate key; the lines of a file read quickly are found when first asked.
#ifndef DELEGSIM_SIM_LOADER_JSON_TREE_H_
#define DELEGSIM_SIM_LOADER_JSON_TREE_H_

#include "sim/loader_internal.h"

namespace delegsim::sim::loader_internal {

// The document `text` holds, the line of each of its paths, and the problems met.
struct ParsedText {
  Json root;
  PathLines lines{LineTable{}};
  std::optional<Raw> fatal;  // a syntax error or excessive nesting: no document
  std::vector<Raw> soft;     // duplicate keys
};
// Every line kept while parsing.
ParsedText ParseWithLines(std::string_view text);
// The same document, problems and lines (`text` must outlive the result): read quickly
// when the text is well-formed, within kMaxJsonDepth and without duplicate keys, and
// otherwise by ParseWithLines.
ParsedText ReadScenarioJson(std::string_view text);

}  // namespace delegsim::sim::loader_internal

#endif  // DELEGSIM_SIM_LOADER_JSON_TREE_H_
