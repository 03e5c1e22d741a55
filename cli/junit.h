// The JUnit XML report of `delegsim check --junit`: one <testcase> per scenario, with a
// <failure> holding the problems or failed expectations. Written with libxml2's text
// writer, so the file is well-formed XML whatever the names say: markup is escaped by
// the library, and characters XML 1.0 cannot carry at all (NUL, ESC, ...) are first
// written visibly by EscapeUnsafe (common/text.h).
//
//   JUnitReport report;
//   report.AddCase("two-hop", "scenarios/two-hop.json", 0.012, "");  // passed
//   std::string xml = report.Render();
#ifndef DELEGSIM_CLI_JUNIT_H_
#define DELEGSIM_CLI_JUNIT_H_

#include <string>
#include <vector>

namespace delegsim::cli {

class JUnitReport {
 public:
  // `failure` empty: the case passed; otherwise its text (several lines allowed).
  void AddCase(std::string name, std::string file, double seconds, std::string failure);
  // The whole document, UTF-8, with the XML declaration.
  std::string Render() const;

 private:
  struct Case {
    std::string name;
    std::string file;
    double seconds = 0;
    std::string failure;
  };
  std::vector<Case> cases_;
};

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_JUNIT_H_
