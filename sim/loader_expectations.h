// Decoding of the `tickets` member of an expectation (docs/scenario-format.md, "Ticket
// expectations"): what each ticket a hop involved must look like.
//
// It lives beside sim/loader.cc and borrows the loader's reporting and JSON-path helpers
// through LoaderHooks, so every problem is reported with the same located messages:
//
//   LoaderHooks hooks{...};  // from the loader's Decoder
//   DecodeTicketExpectations(json["tickets"], "$.expect[2].tickets", hooks, &e.tickets);
#ifndef DELEGSIM_SIM_LOADER_EXPECTATIONS_H_
#define DELEGSIM_SIM_LOADER_EXPECTATIONS_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario.h"

namespace delegsim::sim {

// The loader's helpers, so this decoder reports and names paths exactly as it does.
struct LoaderHooks {
  // Records a problem at a JSON path ("$.expect[0].tickets.tgt.klist").
  std::function<void(const std::string& path, std::string message)> report;
  // The line of a JSON path (0 when unknown).
  std::function<int(const std::string& path)> line;
  // "$.a" + "b" -> "$.a.b" (or $.a["b#2"]); "$.a" + 3 -> "$.a[3]".
  std::function<std::string(const std::string& path, std::string_view key)> member;
  // A duration ("10h", "7d", a number of milliseconds), or nullopt after reporting.
  std::function<std::optional<int64_t>(const nlohmann::json& v, const std::string& path)> duration;
  // A rule id, canonical ("KCD-2"), or nullopt after reporting.
  std::function<std::optional<std::string>(const nlohmann::json& v, const std::string& path)>
      rule_id;
};

// Ticket roles a hop can involve (HopTicket.role), in the order a hop meets them.
std::span<const std::string_view> TicketRoles();
// The well-known SIDs a PAC expectation can name besides groups of the directory.
std::span<const std::string_view> WellKnownPacSids();

// Decodes `v` (an object: role[#n] -> ticket expectation) into `out`; every problem is
// reported through `hooks` and the entry it concerns is left out.
void DecodeTicketExpectations(const nlohmann::json& v, const std::string& path,
                              const LoaderHooks& hooks, std::vector<TicketExpectation>* out);

// IL-1: a level written as a number in one of its two numberings,
// {"rpc_c_imp_level": 3} (RPC_C_IMP_LEVEL_*: 0 default, 1 anonymous, 2 identify,
// 3 impersonate, 4 delegate) or {"security_impersonation_level": 2}
// (SECURITY_IMPERSONATION_LEVEL: 0 anonymous ... 3 delegation), as the wire enum. Unknown
// values, and 0 = default where `allow_default` is false, are reported (naming IL-1).
std::optional<v1::Level> DecodeNumericLevel(const nlohmann::json& v, const std::string& path,
                                            const LoaderHooks& hooks, bool allow_default);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_LOADER_EXPECTATIONS_H_
