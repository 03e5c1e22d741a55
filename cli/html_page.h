// The frame every HTML report of delegsim shares: one self-contained page (styles inline,
// no script, no external font, image or stylesheet) whose Content-Security-Policy forbids
// every fetch and every script, so that a report opened from a mail attachment or a CI
// artifact neither calls home nor runs anything, even if a name slipped past escaping.
//
//   HtmlPage page("delegsim run: two-hop");
//   page.body() += "<h2>" + HtmlEscape(hop.service()) + "</h2>";
//   std::string html = page.Finish();
//
// Every piece of text from a scenario or a run is hostile input: it goes through
// HtmlEscape (element content and quoted attribute values alike), which also writes
// control and bidirectional-override characters visibly.
#ifndef DELEGSIM_CLI_HTML_PAGE_H_
#define DELEGSIM_CLI_HTML_PAGE_H_

#include <set>
#include <string>
#include <string_view>

namespace delegsim::cli {

// `text` safe as HTML element content or as a double- or single-quoted attribute value.
std::string HtmlEscape(std::string_view text);

// The Content-Security-Policy of every report: no fetch of any kind and no script.
inline constexpr std::string_view kReportCsp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'";

class HtmlPage {
 public:
  explicit HtmlPage(std::string title) : title_(std::move(title)) {}
  HtmlPage(const HtmlPage&) = delete;
  HtmlPage& operator=(const HtmlPage&) = delete;

  std::string& body() { return body_; }
  // Notes a rule id ("KCD-2") for the glossary at the end of the page; unknown ids are
  // ignored. Returns the id as a link to its glossary entry.
  std::string RuleRef(const std::string& id);
  // The whole document: head with the policy and styles, the body, then the glossary of
  // every rule referenced (statement, enforcer, sources with their titles and links).
  std::string Finish() const;

 private:
  std::string title_;
  std::string body_;
  std::set<std::string> rules_;
};

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_HTML_PAGE_H_
