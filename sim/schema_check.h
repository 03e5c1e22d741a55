// Validation of a scenario document against the format's JSON Schema
// (docs/scenario.schema.json, embedded by sim/scenario_schema.h) with valijson, and the
// translation of valijson's terse errors into the loader's located messages.
//
//   for (const SchemaProblem& p : CheckAgainstSchema(document))
//     report(p.path, p.message);  // "$.accounts[3].sensitive", "expected a boolean, got ..."
//
// The schema owns the format's shape: which fields each object has (unknown ones are
// problems), their types, their enumerations and which are required. Value rules the
// loader states better or that std::regex cannot read over UTF-8 (patterns, lengths,
// ranges, uniqueness) are checked by the loader; they stay in the shipped schema for
// other validators and editors, and are left out of the copy valijson compiles.
#ifndef DELEGSIM_SIM_SCHEMA_CHECK_H_
#define DELEGSIM_SIM_SCHEMA_CHECK_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace delegsim::sim {

// One way the document departs from the schema, at a JSON path ("$.hosts[2].domain").
struct SchemaProblem {
  std::string path;
  std::string message;
};

// Every departure from the schema, each once, in the order valijson met them. Where a
// value may take one of several forms (`oneOf`), the form the value was meant to be is
// chosen (by its type, by the field that names its kind, ...) and only that form's
// problems are reported. Never throws for any document.
// A document that matches is told so by a quick check (sim/schema_shape.h); valijson
// runs only on one that does not, for its errors.
std::vector<SchemaProblem> CheckAgainstSchema(const nlohmann::json& document);

// For tests, the two verdicts CheckAgainstSchema rests on: valijson's, and the quick
// check's (nullopt when the schema did not compile for it). They must agree.
bool ValijsonAccepts(const nlohmann::json& document);
std::optional<bool> QuickShapeAccepts(const nlohmann::json& document);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SCHEMA_CHECK_H_
