// Imports a SharpHound / BloodHound CE collection (a collector zip, a folder, or the JSON
// files) as a delegation scenario: domains with their functional levels and trusts, hosts
// from computer objects, user, service and computer accounts with their delegation
// settings, groups with nesting, and services from the accounts' SPNs. The mapping is
// documented in docs/bloodhound-import.md.
//
//   ImportResult r = ImportBloodHound({"20240101_collection.zip"}, {.name = "corp"});
//   if (!r.ok()) for (const ImportProblem& p : r.problems) std::cerr << p.ToString() << "\n";
//   else std::cout << r.summary.ToText(), Save(sim::WriteScenarioJson(*r.scenario));
//
// The scenario has no steps: it describes the directory, for `validate`, `export` and the
// analyses; steps are added by hand. Whatever the collection does not let the importer
// map (an unknown SID, an SPN of a host not collected, a duplicate name) is left out and
// listed in the summary with the reason. Nothing here writes files.
#ifndef DELEGSIM_IMPORTER_BLOODHOUND_IMPORT_H_
#define DELEGSIM_IMPORTER_BLOODHOUND_IMPORT_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "importer/import_problem.h"
#include "sim/scenario.h"

namespace delegsim::importer {

struct ImportOptions {
  std::string name = "bloodhound-import";  // the scenario's name
};

// What an import produced, and what it left out and why.
struct ImportSummary {
  std::vector<std::string> files;  // the collector files read, with their type and version
  std::vector<std::string> notes;  // assumptions made (a domain known only from a trust, ...)
  // Counts by what was imported: "domains", "forests", "trusts", "hosts", "users", ...
  std::map<std::string, size_t> imported;
  // Left out: reason -> the items (the first few are kept as examples, all are counted).
  struct Skipped {
    size_t count = 0;
    std::vector<std::string> examples;
  };
  std::map<std::string, Skipped> skipped;

  void Skip(const std::string& reason, const std::string& item);
  size_t Count(const std::string& what) const;
  size_t SkippedCount() const;
  // The summary for people, one line per kind of object and per reason of skipping.
  std::string ToText() const;
};

struct ImportResult {
  std::optional<sim::Scenario> scenario;
  ImportSummary summary;
  std::vector<ImportProblem> problems;  // when not empty, there is no scenario
  bool ok() const { return scenario.has_value() && problems.empty(); }
};

// Reads the collection under `paths` (zips, folders or JSON files) and maps it.
ImportResult ImportBloodHound(const std::vector<std::string>& paths, const ImportOptions& options);

}  // namespace delegsim::importer

#endif  // DELEGSIM_IMPORTER_BLOODHOUND_IMPORT_H_
