// Graphviz DOT text drawn as SVG by Graphviz's `dot -Tsvg` (Debian graphviz), for the
// HTML report, which embeds the pictures `export` writes as DOT.
//
//   StatusOr<std::string> svg = RenderSvg(RenderSequenceDot(diagram));
//   html += *svg;  // an <svg> element: no XML prolog, DOCTYPE or comments
//
// Why a process and not Graphviz's library (libgvc): Debian 12's Graphviz (2.42) corrupts
// the heap laying out our sequence diagrams (flat edges with labels; found by valgrind in
// its dot layout plugin, and a second context after gvFreeContext reads freed font state).
// In a child process such a bug can at worst fail one picture. The child is bounded: input
// over kMaxSvgDotBytes is refused before it starts, its output is capped (32 MiB), and it is
// killed after 30 s; no temporary file, no shell.
//
// The result is meant to be inlined into HTML: the prolog and the DOCTYPE (which names an
// external DTD) are dropped, and so are comments, which Graphviz fills with node names
// (a name holding "-->" must not end a comment early). Labels arrive XML-escaped by
// Graphviz.
#ifndef DELEGSIM_DIAGRAMS_SVG_H_
#define DELEGSIM_DIAGRAMS_SVG_H_

#include <cstddef>
#include <string>

#include "common/status.h"

namespace delegsim::diagrams {

inline constexpr size_t kMaxSvgDotBytes = 1 << 20;

// kInvalidArgument when `dot` does not parse (with Graphviz's message) or is too large;
// kFailedPrecondition when `dot` cannot be run; kInternal when it fails, runs too long or
// writes too much.
StatusOr<std::string> RenderSvg(const std::string& dot);

}  // namespace delegsim::diagrams

#endif  // DELEGSIM_DIAGRAMS_SVG_H_
