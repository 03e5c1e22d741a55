#include "cli/html_page.h"

#include "common/rules.h"
#include "common/sources.h"
#include "common/text.h"

namespace delegsim::cli {
namespace {

// Page styles: light, printable, readable without any script (details/summary expand).
constexpr std::string_view kStyles = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
       margin: 0 auto; max-width: 72rem; padding: 1.5rem; background: #fbfbfd; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
       border-bottom: 1px solid #d8dce6; padding-bottom: .2rem; } h3 { font-size: 1.05rem; }
.meta { color: #5a6275; margin: 0 0 1rem; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.4rem; margin: 0;
       border-left: 1px dashed #c3c8d4; }
ul.tree { border-left: none; padding-left: 0; }
li.hop, li.op { margin: .35rem 0; }
.verdict { display: inline-block; font-weight: 600; font-size: 11px; padding: 1px 6px;
       border-radius: 3px; letter-spacing: .03em; }
.allowed .verdict, .verdict.allowed, .pass { background: #dcf3e1; color: #17622a; }
.denied .verdict, .verdict.denied, .fail { background: #fbe0e0; color: #9b1c1c; }
.pass, .fail { font-weight: 600; padding: 1px 6px; border-radius: 3px; font-size: 11px; }
details { margin: .2rem 0 .4rem; } summary { cursor: pointer; color: #3b4a6b; }
table { border-collapse: collapse; margin: .4rem 0 .8rem; font-size: 13px; }
th, td { border: 1px solid #d8dce6; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef0f6; }
a.rule { font-family: ui-monospace, monospace; font-size: 12px; color: #2446a8;
       text-decoration: none; background: #eef2ff; padding: 0 3px; border-radius: 2px; }
.effect-deny { color: #9b1c1c; font-weight: 600; } .effect-set, .effect-clear { color: #6b3fa0; }
.diagram { overflow-x: auto; background: #fff; border: 1px solid #d8dce6; padding: .5rem; }
.diagram svg { max-width: 100%; height: auto; } .diagram.graph svg { max-width: none; }
.note { color: #5a6275; font-style: italic; }
dl.glossary dt { font-weight: 600; margin-top: .6rem; } dl.glossary dd { margin-left: 1.2rem; }
)css";

const SourceInfo* SourceFor(std::string_view item) {
  while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
  if (const SourceInfo* s = FindSource(item)) return s;
  return FindSource(item.substr(0, item.find(' ')));
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  // Control and bidirectional-formatting characters written visibly ("\x1b", "\u202e"),
  // so that a name can neither hide nor reorder what the reader sees.
  std::string visible = EscapeUnsafe(text);
  std::string out;
  out.reserve(visible.size());
  for (char c : visible) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlPage::RuleRef(const std::string& id) {
  std::optional<RuleId> rule = ParseRuleId(id);
  if (!rule) return "<code>" + HtmlEscape(id) + "</code>";
  std::string code(RuleCode(*rule));
  rules_.insert(code);
  return "<a class=\"rule\" href=\"#rule-" + code + "\" title=\"" +
         HtmlEscape(Rule(*rule).statement) + "\">" + code + "</a>";
}

std::string HtmlPage::Finish() const {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"" + std::string(kReportCsp) + "\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"delegsim\">\n";
  out += "<title>" + HtmlEscape(title_) + "</title>\n<style>" + std::string(kStyles) +
         "</style>\n</head>\n<body>\n";
  out += body_;
  if (!rules_.empty()) {
    out += "<section id=\"rules\">\n<h2>Rules named in this report</h2>\n<dl class=\"glossary\">\n";
    for (const RuleInfo& r : AllRules()) {
      std::string code(r.code);
      if (!rules_.count(code)) continue;
      out += "<dt id=\"rule-" + code + "\">" + code + " <span class=\"note\">(enforced by " +
             std::string(EnforcerName(r.enforcer)) + ")</span></dt>\n<dd>" +
             HtmlEscape(r.statement) + "<br>sources: ";
      std::string_view sources = r.sources;
      bool first = true;
      while (!sources.empty()) {
        size_t semi = sources.find(';');
        std::string_view item = sources.substr(0, semi);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        if (!first) out += "; ";
        first = false;
        const SourceInfo* s = SourceFor(item);
        std::string_view links = s ? s->links : std::string_view();
        std::string_view link = links.substr(0, links.find(' '));
        if (!link.empty()) {
          out += "<a href=\"" + HtmlEscape(link) + "\" title=\"" + HtmlEscape(s->title) + "\">" +
                 HtmlEscape(item) + "</a>";
        } else {
          out += "<span title=\"" + HtmlEscape(s ? s->title : std::string_view()) + "\">" +
                 HtmlEscape(item) + "</span>";
        }
        if (semi == std::string_view::npos) break;
        sources.remove_prefix(semi + 1);
      }
      out += "</dd>\n";
    }
    out += "</dl>\n</section>\n";
  }
  out +=
      "<footer class=\"note\">Generated by delegsim; every decision names the rule that made "
      "it (delegsim rules).</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace delegsim::cli
