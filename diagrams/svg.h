// Graphviz DOT text drawn as SVG in-process, through Graphviz's own library (libgvc and
// libcgraph, Debian libgraphviz-dev): the HTML report embeds the pictures `export` writes
// as DOT, without a `dot` process or a temporary file.
//
//   StatusOr<std::string> svg = RenderSvg(RenderSequenceDot(diagram));
//   html += *svg;  // an <svg> element: no XML prolog, DOCTYPE or comments
//
// The result is meant to be inlined into HTML: the prolog and the DOCTYPE (which names an
// external DTD) are dropped, and so are comments, which Graphviz fills with node names
// (a name holding "-->" must not end a comment early). Labels arrive XML-escaped by
// Graphviz. Input larger than kMaxSvgDotBytes is refused before layout (layout time grows
// faster than linearly with the graph). Not thread-safe: Graphviz keeps global state; the
// CLI calls it from one thread.
#ifndef DELEGSIM_DIAGRAMS_SVG_H_
#define DELEGSIM_DIAGRAMS_SVG_H_

#include <cstddef>
#include <string>

#include "common/status.h"

namespace delegsim::diagrams {

inline constexpr size_t kMaxSvgDotBytes = 1 << 20;

// kInvalidArgument when `dot` does not parse (with Graphviz's message) or is too large;
// kInternal when layout or rendering fails.
StatusOr<std::string> RenderSvg(const std::string& dot);

}  // namespace delegsim::diagrams

#endif  // DELEGSIM_DIAGRAMS_SVG_H_
