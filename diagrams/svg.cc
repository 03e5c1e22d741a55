#include "diagrams/svg.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>

namespace delegsim::diagrams {
namespace {

// Graphviz reports errors through a global callback; the CLI is single-threaded, so one
// buffer per call suffices. Bounded: a pathological input cannot grow it without limit.
std::string* g_messages = nullptr;

int CollectMessage(char* text) {
  if (g_messages != nullptr && text != nullptr && g_messages->size() < 4096) {
    g_messages->append(text);
  }
  return 0;
}

// Installs CollectMessage for the lifetime of the object, restoring the previous handler.
class ErrorCapture {
 public:
  explicit ErrorCapture(std::string* buffer) : previous_(agseterrf(CollectMessage)) {
    g_messages = buffer;
    agreseterrors();
  }
  ~ErrorCapture() {
    agseterrf(previous_);
    g_messages = nullptr;
  }
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;

 private:
  agusererrf previous_;
};

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "no message" : s;
}

// `svg` from its <svg element on, without comments.
std::string ForInlining(const std::string& svg) {
  size_t start = svg.find("<svg");
  if (start == std::string::npos) return "";
  std::string out;
  out.reserve(svg.size() - start);
  size_t pos = start;
  while (pos < svg.size()) {
    size_t open = svg.find("<!--", pos);
    if (open == std::string::npos) {
      out.append(svg, pos, std::string::npos);
      break;
    }
    out.append(svg, pos, open - pos);
    size_t close = svg.find("-->", open + 4);
    if (close == std::string::npos) break;  // an unterminated comment: drop the rest
    pos = close + 3;
  }
  return out;
}

}  // namespace

StatusOr<std::string> RenderSvg(const std::string& dot) {
  if (dot.size() > kMaxSvgDotBytes) {
    return InvalidArgument("the graph is too large to draw (" + std::to_string(dot.size()) +
                           " bytes of DOT; at most " + std::to_string(kMaxSvgDotBytes) + ")");
  }
  std::string messages;
  ErrorCapture capture(&messages);
  std::unique_ptr<GVC_t, decltype(&gvFreeContext)> gvc(gvContext(), &gvFreeContext);
  if (!gvc) return Internal("Graphviz: cannot create a context");
  std::unique_ptr<Agraph_t, decltype(&agclose)> graph(agmemread(dot.c_str()), &agclose);
  if (!graph) return InvalidArgument("Graphviz cannot parse the graph: " + Trimmed(messages));
  if (gvLayout(gvc.get(), graph.get(), "dot") != 0) {
    return Internal("Graphviz layout failed: " + Trimmed(messages));
  }
  char* data = nullptr;
  unsigned int length = 0;
  int rendered = gvRenderData(gvc.get(), graph.get(), "svg", &data, &length);
  std::string svg = data != nullptr ? std::string(data, length) : std::string();
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), graph.get());
  if (rendered != 0 || svg.empty()) {
    return Internal("Graphviz could not render SVG: " + Trimmed(messages));
  }
  std::string inline_svg = ForInlining(svg);
  if (inline_svg.empty()) return Internal("Graphviz produced no <svg> element");
  return inline_svg;
}

}  // namespace delegsim::diagrams
