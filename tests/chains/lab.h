// A small delegation lab for end-to-end chain tests: one domain CORP.EXAMPLE, a
// workstation, three servers, users and service accounts, built as a sim::Scenario so
// that tests run it through real nodes under either runtime.
#ifndef DELEGSIM_TESTS_CHAINS_LAB_H_
#define DELEGSIM_TESTS_CHAINS_LAB_H_

#include <memory>
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/world.h"

namespace delegsim::testing {

struct Lab {
  Lab();

  sim::AccountSpec& Account(const std::string& name);
  sim::ServiceSpec& Service(const std::string& name);
  // A call to `service` at `level` ("delegate", ...), over ncacn_ip_tcp with Negotiate
  // and mutual authentication unless changed.
  static v1::CallSpec Call(const std::string& service, const std::string& level,
                           v1::Transport transport = v1::TRANSPORT_NCACN_IP_TCP);
  // Appends `child` to what `parent`'s service does, and returns the child as stored.
  static v1::CallSpec& Then(v1::CallSpec& parent, const v1::CallSpec& child);
  static v1::Operation Open(const std::string& object, const std::string& right,
                            bool check_only = false);
  void AddCall(const std::string& label, const std::string& user, const std::string& host,
               const v1::CallSpec& call);

  // Builds and runs the world on the virtual ("virtual") or Asio ("tcp") runtime.
  std::unique_ptr<sim::World> Run(const std::string& runtime = "virtual");

  sim::Scenario scenario;
};

// The hop with this path in a world's outcomes, or nullptr.
const v1::HopResult* FindHop(const sim::World& world, const std::string& path);
// The rule ids named by every decision of a hop, decider of each first.
std::vector<std::string> HopRules(const v1::HopResult& hop);
std::string LevelOf(const v1::HopResult& hop);
// The trace as text, for failure messages.
std::string TraceText(const sim::World& world);

}  // namespace delegsim::testing

#endif  // DELEGSIM_TESTS_CHAINS_LAB_H_
