#include "bench/chain.h"

#include <algorithm>
#include <string>

namespace delegsim::bench {

sim::Scenario ChainScenario(int hops, int calls) {
  sim::Scenario s;
  s.name = "bench-chain-" + std::to_string(hops);
  s.options.hop_limit = std::max(s.options.hop_limit, hops);  // DS-4 stays out of the way
  s.domains = {{"CORP.EXAMPLE", "corp.example", 7, ""}};
  s.hosts.push_back({"ws", "CORP.EXAMPLE"});
  sim::AccountSpec alice;
  alice.name = "alice";
  alice.domain = "CORP.EXAMPLE";
  alice.password = "pw";
  s.accounts.push_back(alice);
  for (int i = 1; i <= hops; ++i) {
    std::string n = std::to_string(i);
    s.hosts.push_back({"h" + n, "CORP.EXAMPLE"});
    sim::AccountSpec svc;
    svc.name = "svc" + n;
    svc.domain = "CORP.EXAMPLE";
    svc.kind = sim::AccountKind::kService;
    svc.spns = {"http/h" + n + ".corp.example"};
    svc.trusted_for_delegation = true;
    s.accounts.push_back(svc);
    sim::ServiceSpec service;
    service.name = "s" + n;
    service.host = "h" + n;
    service.account = svc.name;
    s.services.push_back(service);
  }
  v1::CallSpec first;
  v1::CallSpec* cur = &first;
  for (int i = 1; i <= hops; ++i) {
    cur->set_service("s" + std::to_string(i));
    cur->set_transport(v1::TRANSPORT_NCACN_IP_TCP);
    cur->set_package(v1::PACKAGE_NEGOTIATE);
    cur->set_level(v1::LEVEL_DELEGATE);
    cur->set_mutual(true);
    if (i < hops) cur = cur->add_ops()->mutable_call();
  }
  for (int c = 0; c < calls; ++c) {
    sim::StepSpec step;
    step.label = "c" + std::to_string(c + 1);
    step.user = "alice";
    step.from_host = "ws";
    step.call = first;
    s.steps.push_back(step);
  }
  return s;
}

}  // namespace delegsim::bench
