// The two text forms of a delegation graph: Graphviz DOT and a Mermaid flowchart.
#include <functional>
#include <string>

#include "diagrams/delegation_graph.h"

namespace delegsim::diagrams {
namespace {

// A DOT double-quoted string; '\n' becomes a centred line break.
std::string DotString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out + "\"";
}

// Mermaid label text inside "...": quotes and markup characters as entities, lines as <br/>.
std::string MermaidString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "#quot;";
        break;
      case '<':
        out += "#lt;";
        break;
      case '>':
        out += "#gt;";
        break;
      case '#':
        out += "#35;";
        break;
      case '\n':
        out += "<br/>";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
  }
  return out + "\"";
}

const char* DotNodeStyle(const GraphNode& n) {
  switch (n.kind) {
    case NodeKind::kDomain:
      return "shape=house, style=filled, fillcolor=\"#dde8f7\"";
    case NodeKind::kService:
      return "shape=box, style=\"rounded,filled\", fillcolor=\"#eef7ee\"";
    case NodeKind::kGroup:
      return "shape=folder";
    case NodeKind::kHost:
      return "shape=box3d, color=gray50";
    case NodeKind::kAnyService:
      return "shape=doubleoctagon, style=filled, fillcolor=\"#fde2e2\"";
    case NodeKind::kSpn:
      return "shape=note, style=dashed";
    default:
      return n.highlighted ? "shape=ellipse, style=filled, fillcolor=\"#fff1c9\"" : "shape=ellipse";
  }
}

const char* DotEdgeStyle(EdgeKind k) {
  switch (k) {
    case EdgeKind::kRunsAs:
      return "style=dashed, color=gray40";
    case EdgeKind::kUnconstrained:
      return "color=red, penwidth=2";
    case EdgeKind::kConstrained:
      return "color=blue";
    case EdgeKind::kProtocolTransition:
      return "color=purple, penwidth=2";
    case EdgeKind::kResourceBased:
      return "color=darkgreen";
    case EdgeKind::kTrust:
      return "color=black, style=bold";
    case EdgeKind::kTrustTwoWay:
      return "color=black, style=bold, dir=both";
    case EdgeKind::kFlow:
      return "color=darkorange, style=dashed, penwidth=2";
  }
  return "";
}

const char* MermaidArrow(EdgeKind k) {
  switch (k) {
    case EdgeKind::kRunsAs:
      return "-.->";
    case EdgeKind::kUnconstrained:
    case EdgeKind::kProtocolTransition:
      return "==>";
    case EdgeKind::kTrustTwoWay:
      return "<==>";
    case EdgeKind::kFlow:
      return "--o";
    default:
      return "-->";
  }
}

// Calls `emit(cluster)` for the top clusters; `children` gives each cluster's sub-clusters.
std::vector<std::vector<int>> Children(const DelegationGraph& g) {
  std::vector<std::vector<int>> children(g.clusters.size() + 1);
  for (size_t i = 0; i < g.clusters.size(); ++i) {
    int parent = g.clusters[i].parent;
    children[parent < 0 ? g.clusters.size() : static_cast<size_t>(parent)].push_back(
        static_cast<int>(i));
  }
  return children;
}

}  // namespace

std::string RenderDot(const DelegationGraph& g) {
  std::string out = "digraph delegation {\n";
  out += "  label=" + DotString("delegation graph: " + g.title) + ";\n";
  out += "  labelloc=t; rankdir=LR; fontname=\"Helvetica\";\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  std::vector<std::vector<int>> children = Children(g);
  std::function<void(int, const std::string&)> emit_cluster = [&](int c, const std::string& pad) {
    const GraphCluster& cl = g.clusters[static_cast<size_t>(c)];
    out += pad + "subgraph " + cl.id + " {\n";
    out += pad + "  label=" + DotString(cl.label) + "; style=rounded; color=gray60;\n";
    for (const GraphNode& n : g.nodes) {
      if (n.cluster == c) {
        out +=
            pad + "  " + n.id + " [label=" + DotString(n.label) + ", " + DotNodeStyle(n) + "];\n";
      }
    }
    for (int child : children[static_cast<size_t>(c)]) emit_cluster(child, pad + "  ");
    out += pad + "}\n";
  };
  for (int c : children.back()) emit_cluster(c, "  ");
  for (const GraphNode& n : g.nodes) {
    if (n.cluster < 0) {
      out += "  " + n.id + " [label=" + DotString(n.label) + ", " + DotNodeStyle(n) + "];\n";
    }
  }
  for (const GraphEdge& e : g.edges) {
    out += "  " + e.from + " -> " + e.to + " [label=" + DotString(e.label) + ", " +
           DotEdgeStyle(e.kind) + "];\n";
  }
  return out + "}\n";
}

std::string RenderMermaid(const DelegationGraph& g) {
  std::string out = "---\ntitle: " + MermaidString("delegation graph: " + g.title) + "\n---\n";
  out += "flowchart LR\n";
  std::vector<std::vector<int>> children = Children(g);
  auto node_text = [](const GraphNode& n) {
    std::string label = MermaidString(n.label);
    switch (n.kind) {
      case NodeKind::kDomain:
        return n.id + "[/" + label + "\\]";
      case NodeKind::kService:
        return n.id + "(" + label + ")";
      case NodeKind::kAnyService:
        return n.id + "{{" + label + "}}";
      case NodeKind::kSpn:
        return n.id + ">" + label + "]";
      case NodeKind::kGroup:
        return n.id + "[[" + label + "]]";
      case NodeKind::kHost:
        return n.id + "[" + label + "]";
      default:
        return n.id + "([" + label + "])";
    }
  };
  std::function<void(int, const std::string&)> emit_cluster = [&](int c, const std::string& pad) {
    const GraphCluster& cl = g.clusters[static_cast<size_t>(c)];
    out += pad + "subgraph " + cl.id + "[" + MermaidString(cl.label) + "]\n";
    for (const GraphNode& n : g.nodes) {
      if (n.cluster == c) out += pad + "  " + node_text(n) + "\n";
    }
    for (int child : children[static_cast<size_t>(c)]) emit_cluster(child, pad + "  ");
    out += pad + "end\n";
  };
  for (int c : children.back()) emit_cluster(c, "  ");
  for (const GraphNode& n : g.nodes) {
    if (n.cluster < 0) out += "  " + node_text(n) + "\n";
  }
  for (const GraphEdge& e : g.edges) {
    out += "  " + e.from + " " + MermaidArrow(e.kind) + "|" + MermaidString(e.label) + "| " + e.to +
           "\n";
  }
  out += "  classDef flagged fill:#fff1c9,stroke:#b58900\n";
  for (const GraphNode& n : g.nodes) {
    if (n.highlighted) out += "  class " + n.id + " flagged\n";
  }
  return out;
}

}  // namespace delegsim::diagrams
