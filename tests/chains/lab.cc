#include "tests/chains/lab.h"

#include <algorithm>
#include <functional>

#include "kdc/kdc.h"
#include "nodes/token.h"
#include "sim/virtual_runtime.h"

#ifdef DELEGSIM_HAVE_NET
#include "net/asio_runtime.h"
#endif

namespace delegsim::testing {

Lab::Lab() {
  scenario.name = "lab";
  scenario.domains = {{"CORP.EXAMPLE", "corp.example", 7, ""}};
  scenario.hosts = {
      {"ws1", "CORP.EXAMPLE"}, {"a", "CORP.EXAMPLE"}, {"b", "CORP.EXAMPLE"}, {"c", "CORP.EXAMPLE"}};
  auto user = [&](const std::string& name) {
    sim::AccountSpec a;
    a.name = name;
    a.domain = "CORP.EXAMPLE";
    a.password = name + "-pw";
    scenario.accounts.push_back(a);
  };
  user("alice");
  user("bob");
  for (const char* host : {"a", "b", "c"}) {
    sim::AccountSpec svc;
    svc.name = std::string("svc_") + host;
    svc.domain = "CORP.EXAMPLE";
    svc.kind = sim::AccountKind::kService;
    svc.spns = {std::string("http/") + host + ".corp.example"};
    scenario.accounts.push_back(svc);
    sim::ServiceSpec s;
    s.name = host;
    s.host = host;
    s.account = svc.name;
    scenario.services.push_back(s);
  }
}

sim::AccountSpec& Lab::Account(const std::string& name) {
  for (sim::AccountSpec& a : scenario.accounts) {
    if (a.name == name) return a;
  }
  sim::AccountSpec a;
  a.name = name;
  a.domain = "CORP.EXAMPLE";
  scenario.accounts.push_back(a);
  return scenario.accounts.back();
}

sim::ServiceSpec& Lab::Service(const std::string& name) {
  for (sim::ServiceSpec& s : scenario.services) {
    if (s.name == name) return s;
  }
  scenario.services.push_back({});
  scenario.services.back().name = name;
  return scenario.services.back();
}

v1::CallSpec Lab::Call(const std::string& service, const std::string& level,
                       v1::Transport transport) {
  v1::CallSpec c;
  c.set_service(service);
  c.set_transport(transport);
  c.set_package(v1::PACKAGE_NEGOTIATE);
  c.set_level(nodes::ToWire(*nodes::ParseLevel(level)));
  c.set_mutual(true);
  return c;
}

v1::CallSpec& Lab::Then(v1::CallSpec& parent, const v1::CallSpec& child) {
  v1::Operation* op = parent.add_ops();
  *op->mutable_call() = child;
  return *op->mutable_call();
}

v1::Operation Lab::Open(const std::string& object, const std::string& right, bool check_only) {
  v1::Operation op;
  op.mutable_open()->set_object(object);
  op.mutable_open()->add_rights(right);
  op.mutable_open()->set_check_only(check_only);
  return op;
}

void Lab::AddCall(const std::string& label, const std::string& user, const std::string& host,
                  const v1::CallSpec& call) {
  sim::StepSpec step;
  step.label = label;
  step.user = user;
  step.from_host = host;
  step.call = call;
  scenario.steps.push_back(step);
}

std::unique_ptr<sim::World> Lab::Run(const std::string& runtime) {
  std::unique_ptr<nodes::Runtime> rt;
#ifdef DELEGSIM_HAVE_NET
  if (runtime == "tcp") rt = std::make_unique<net::AsioRuntime>();
#endif
  if (!rt) rt = std::make_unique<sim::VirtualRuntime>();
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario, std::move(rt));
  if (!world.ok()) return nullptr;
  Status st = (*world)->Run();
  if (!st.ok()) return nullptr;
  return std::move(world).value();
}

const v1::HopResult* FindHop(const sim::World& world, const std::string& path) {
  std::function<const v1::HopResult*(const v1::HopResult&)> walk =
      [&](const v1::HopResult& h) -> const v1::HopResult* {
    if (h.path() == path) return &h;
    for (const v1::HopResult& c : h.children()) {
      if (const v1::HopResult* f = walk(c)) return f;
    }
    return nullptr;
  };
  for (const sim::CallOutcome& o : world.outcomes()) {
    if (const v1::HopResult* f = walk(o.result)) return f;
  }
  return nullptr;
}

std::vector<std::string> HopRules(const v1::HopResult& hop) {
  std::vector<std::string> out;
  for (const std::string& step : hop.steps()) {
    Decision d = kdc::FromRecord(kdc::DecodeRecord(step));
    for (RuleId r : d.Rules()) {
      std::string code(RuleCode(r));
      if (std::find(out.begin(), out.end(), code) == out.end()) out.push_back(code);
    }
  }
  return out;
}

std::string LevelOf(const v1::HopResult& hop) {
  std::optional<nodes::Level> l = nodes::FromWire(hop.level());
  return l ? std::string(nodes::LevelName(*l)) : "none";
}

std::string TraceText(const sim::World& world) {
  std::string out;
  for (nodes::TraceView r : world.trace()) {
    if (r.kind() == nodes::TraceKind::kSend || r.kind() == nodes::TraceKind::kDeliver) continue;
    out += std::to_string(r.time()) + " " + std::string(r.node()) + " " +
           std::string(nodes::TraceKindName(r.kind())) + " " + std::string(r.summary()) + "\n";
  }
  return out;
}

}  // namespace delegsim::testing
