// A problem with the input of an import: which file, where in it, and what. An importer
// reports every problem it finds (up to a bound) and writes nothing when there is one.
//
//   ImportProblem p{"20240101_users.json", "$.data[3].Properties.enabled",
//                   "expected a boolean, got string"};
//   std::cerr << p.ToString();  // "20240101_users.json: $.data[3]...: expected a boolean, ..."
#ifndef DELEGSIM_IMPORTER_IMPORT_PROBLEM_H_
#define DELEGSIM_IMPORTER_IMPORT_PROBLEM_H_

#include <string>

namespace delegsim::importer {

struct ImportProblem {
  std::string file;     // as the user named it; "collection.zip!20240101_users.json" inside a zip
  std::string path;     // JSON path, "$.meta.version"; empty when about the whole file
  std::string message;  // what is wrong
  int line = 0;         // 1-based line of a JSON syntax error; 0 when unknown

  // "file:LINE: $.path: message", leaving out the parts that are unknown.
  std::string ToString() const {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!path.empty()) s += path + ": ";
    return s + message;
  }
};

}  // namespace delegsim::importer

#endif  // DELEGSIM_IMPORTER_IMPORT_PROBLEM_H_
