// The JSON Schema of the scenario format (docs/scenario.schema.json), embedded in the
// binary at build time so that the loader validates against exactly the file that is
// shipped and installed:
//
//   nlohmann::json schema = nlohmann::json::parse(ScenarioSchemaText());
#ifndef DELEGSIM_SIM_SCENARIO_SCHEMA_H_
#define DELEGSIM_SIM_SCENARIO_SCHEMA_H_

#include <string_view>

namespace delegsim::sim {

// The text of docs/scenario.schema.json as it was when the library was built.
std::string_view ScenarioSchemaText();

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SCENARIO_SCHEMA_H_
