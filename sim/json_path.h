// JSON paths as the loader writes them in problems ("$.steps[0].then[2].call",
// $.faults["a b"]), and how a JSON value is described in a message.
//
//   std::string p = Index(Member("$", "hosts"), 2);  // "$.hosts[2]"
//   "expected a boolean, got " + DescribeValue(v)    // "got string \"yes\""
#ifndef DELEGSIM_SIM_JSON_PATH_H_
#define DELEGSIM_SIM_JSON_PATH_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace delegsim::sim {

// Whether `key` can follow a '.' in a path (letters, digits, '_' and '$', not a digit first).
bool IsIdentifier(std::string_view key);
// `path` + ".key", or `path` + "[\"key\"]" when the key is not an identifier.
std::string Member(const std::string& path, std::string_view key);
// `path` + "[i]".
std::string Index(const std::string& path, size_t i);
// "object", "array", "string", "boolean", "integer", "number" or "null".
std::string_view TypeName(const nlohmann::json& v);
// The type, and for a scalar its value cut to about 40 characters: "string \"yes\"",
// "integer 12", "object".
std::string DescribeValue(const nlohmann::json& v);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_JSON_PATH_H_
