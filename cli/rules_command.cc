#include "cli/rules_command.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/rules.h"
#include "common/sources.h"

namespace delegsim::cli {
namespace {

std::vector<std::string> Links(std::string_view links) {
  std::vector<std::string> out;
  while (!links.empty()) {
    size_t space = links.find(' ');
    if (space != 0) out.emplace_back(links.substr(0, space));
    if (space == std::string_view::npos) break;
    links.remove_prefix(space + 1);
  }
  return out;
}

}  // namespace

int RulesCommand(bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const RuleInfo& r : AllRules()) {
      rules.push_back({{"id", std::string(r.code)},
                       {"enforcer", std::string(EnforcerName(r.enforcer))},
                       {"statement", std::string(r.statement)},
                       {"sources", std::string(r.sources)}});
    }
    out << rules.dump(2) << "\n";
    return kExitOk;
  }
  for (const RuleInfo& r : AllRules()) {
    std::string id(r.code);
    id.resize(7, ' ');
    std::string who(EnforcerName(r.enforcer));
    who.resize(10, ' ');
    out << id << who << r.statement << "\n"
        << std::string(17, ' ') << "sources: " << r.sources << "\n";
  }
  out << "\nsource keys (SFU-K, KILE-TF, ...): delegsim rules --sources\n";
  return kExitOk;
}

int SourcesCommand(bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json sources = nlohmann::ordered_json::array();
    for (const SourceInfo& s : AllSources()) {
      sources.push_back({{"key", std::string(s.key)},
                         {"source", std::string(s.title)},
                         {"links", Links(s.links)}});
    }
    out << sources.dump(2) << "\n";
    return kExitOk;
  }
  out << "The sources rules cite (`sources:` in delegsim rules). A key followed by more words\n"
         "points inside the source: RFC4120 2.6 is its section 2.6, RULES.md C10 item C10.\n\n";
  for (const SourceInfo& s : AllSources()) {
    std::string key(s.key);
    key.resize(std::max<size_t>(key.size() + 1, 10), ' ');
    out << key << s.title << "\n";
    for (const std::string& link : Links(s.links)) out << std::string(10, ' ') << link << "\n";
  }
  return kExitOk;
}

}  // namespace delegsim::cli
