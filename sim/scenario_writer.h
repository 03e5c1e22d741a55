// Scenario writer: the inverse of the loader. Turns a sim::Scenario into the JSON text of
// docs/scenario-format.md, so that code which builds a scenario (the BloodHound importer,
// tests) can hand it to every tool that reads scenario files.
//
//   std::string text = WriteScenarioJson(scenario);
//   LoadResult r = LoadScenarioText(text, "imported.json");  // r.scenario == scenario
//
// Contract: for a scenario the loader accepted, loading the written text gives back an
// equal scenario, invariants and faults included (the origins of steps, expectations,
// invariants and faults aside, which name lines of the original file). Transport,
// package and API names are nodes/token.h's, the names the loader reads. Fields equal to their
// documented default are left out; object keys come in the order of the format reference. The
// output is deterministic: the same scenario always gives the same bytes. Nothing here can fail.
#ifndef DELEGSIM_SIM_SCENARIO_WRITER_H_
#define DELEGSIM_SIM_SCENARIO_WRITER_H_

#include <string>

#include "sim/scenario.h"

namespace delegsim::sim {

// The scenario as a JSON document, indented by two spaces, ending with a newline.
std::string WriteScenarioJson(const Scenario& scenario);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_SCENARIO_WRITER_H_
