# Writes OUT, a C++ source defining ScenarioSchemaText() as the text of IN
# (docs/scenario.schema.json): the loader validates against the very file that is
# shipped and installed, so the schema is the one source of truth for the format's
# fields, types and enumerations.
file(READ "${IN}" schema)
if(schema MATCHES "\\)delegsim_schema\"")
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )delegsim_schema\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from docs/scenario.schema.json by sim/embed_schema.cmake. Do not edit.
#include \"sim/scenario_schema.h\"

namespace delegsim::sim {

std::string_view ScenarioSchemaText() {
  static constexpr char kText[] = R\"delegsim_schema(${schema})delegsim_schema\";
  return std::string_view(kText, sizeof kText - 1);
}

}  // namespace delegsim::sim
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
