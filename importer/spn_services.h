// Services from SPNs: each account's SPNs on a host of the collection become a service of
// that host running as the account, listening on the transports such a service normally
// uses (docs/bloodhound-import.md lists them).
//
//   SpnServiceBuilder b;
//   b.Add(*ParseSpn("MSSQLSvc/db1.corp.example:1433"), "MSSQLSvc/db1...", "db1", "svc_sql@CORP");
//   std::vector<sim::ServiceSpec> services = b.Services();  // "db1:mssqlsvc:1433"
//
// HOST and RestrictedKrbHost are one service ("web1:host"); the short and the fully
// qualified form of one SPN are one service, which asks tickets for the qualified form.
#ifndef DELEGSIM_IMPORTER_SPN_SERVICES_H_
#define DELEGSIM_IMPORTER_SPN_SERVICES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "proto/envelope.pb.h"
#include "sim/scenario.h"

namespace delegsim::importer {

// "service/host[:port][/name]".
struct Spn {
  std::string service_class;  // "MSSQLSvc"
  std::string host;           // "db1.corp.example"
  std::string port;           // "1433", an instance name, or empty
};

// The parts of an SPN; nullopt when it is not "class/host...".
std::optional<Spn> ParseSpn(std::string_view spn);

// The transports a service of this class (case-insensitive) listens on.
std::vector<v1::Transport> TransportsOfServiceClass(std::string_view service_class);

class SpnServiceBuilder {
 public:
  // One SPN of `account` (a qualified name) on the scenario host `host`.
  void Add(const Spn& spn, const std::string& text, const std::string& host,
           const std::string& account);
  // The services, in the order their first SPN was added.
  std::vector<sim::ServiceSpec> Services() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;  // host, class,
                                                                               // port, account
  std::map<Key, size_t> index_;
  std::unordered_set<std::string> names_;
  std::vector<sim::ServiceSpec> services_;
};

}  // namespace delegsim::importer

#endif  // DELEGSIM_IMPORTER_SPN_SERVICES_H_
