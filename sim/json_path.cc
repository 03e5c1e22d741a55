#include "sim/json_path.h"

#include <algorithm>
#include <cctype>

namespace delegsim::sim {

bool IsIdentifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
}

std::string Member(const std::string& path, std::string_view key) {
  if (IsIdentifier(key)) return path + "." + std::string(key);
  std::string quoted = "[\"";
  for (char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return path + quoted + "\"]";
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string_view TypeName(const nlohmann::json& v) {
  using Type = nlohmann::json::value_t;
  switch (v.type()) {
    case Type::object:
      return "object";
    case Type::array:
      return "array";
    case Type::string:
      return "string";
    case Type::boolean:
      return "boolean";
    case Type::number_integer:
    case Type::number_unsigned:
      return "integer";
    case Type::number_float:
      return "number";
    case Type::null:
      return "null";
    default:
      return "value";
  }
}

std::string DescribeValue(const nlohmann::json& v) {
  std::string out(TypeName(v));
  if (v.is_primitive() && !v.is_null()) {
    std::string shown = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (shown.size() > 40) shown = shown.substr(0, 36) + "...\"";
    out += " " + shown;
  }
  return out;
}

}  // namespace delegsim::sim
