// Service classes (analysis/service_classes.h): reach simulates one member of a class of
// services where a hop may go to any service and carries the answer to the others. This
// proves it changes nothing: over generated directories (and edits that tell services
// apart: a local transport, a shared account, an A2D2 entry naming a service, a password)
// and over every scenario of the library, reach with classes finds exactly the flows of
// simulating every service, in the same order and with the same chains, for every identity
// class and for compromised keys followed onward, while simulating fewer chains.
#include "analysis/service_classes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "analysis/reach.h"
#include "bench/directory_generator.h"
#include "sim/loader.h"
#include "tests/scenario_library.h"

namespace delegsim::analysis {
namespace {

// Everything a flow says, its replay chain included.
std::string Describe(const Flow& f) {
  std::string out = f.identity + " " + f.service + "@" + f.host + " " + f.level + " " +
                    f.net_creds + " " + std::string(MechanismName(f.mechanism)) + " via=" + f.via +
                    " rules=";
  for (const std::string& r : f.rules) out += r + ",";
  out += " replay=" + f.replay.user + "@" + f.replay.from_host;
  for (const HopPlan& h : f.replay.hops) {
    out += "|" + h.service + "," + std::to_string(h.transport) + "," +
           (h.protocol_transition ? "pt" : "") + "," + h.on_behalf_of + "," + h.logon_user;
  }
  return out;
}

struct Answers {
  std::vector<std::string> flows;  // in the order reach returned them
  uint64_t chains_simulated = 0;
};

// Reach for every identity class, then for every key holder's keys followed onward.
Answers Everything(const sim::Scenario& scenario, bool service_classes, int max_hops) {
  Prober prober(scenario, service_classes);
  EXPECT_TRUE(prober.status().ok()) << prober.status().ToString();
  Answers out;
  if (!prober.status().ok()) return out;
  ReachOptions options;
  options.max_hops = max_hops;
  Reach reach(prober, options);
  auto take = [&](const std::string& what, StatusOr<std::vector<Flow>> flows) {
    if (!flows.ok()) {
      out.flows.push_back(what + ": " + flows.status().ToString());
      return;
    }
    out.flows.push_back(what + ":");
    for (const Flow& f : *flows) out.flows.push_back(Describe(f));
  };
  const IdentityClasses& classes = prober.classes();
  for (ClassId c = 0; c < classes.size(); ++c) {
    PrincipalId rep = classes.Representative(c);
    take("identity " + prober.directory().FullName(rep), reach.ForIdentity(rep));
  }
  for (PrincipalId x : reach.KeyHolders()) {
    take("keys of " + prober.directory().FullName(x), reach.ForCompromised({x}));
  }
  out.chains_simulated = prober.chains_simulated();
  return out;
}

sim::Scenario Generated(uint64_t seed) {
  bench::DirectoryShape shape;
  shape.users = 120;
  shape.hosts = 24;
  shape.services = 40;
  shape.seed = seed;
  return bench::GenerateDirectory(shape);
}

class GeneratedDirectories : public ::testing::TestWithParam<uint64_t> {};

TEST_P(GeneratedDirectories, ClassesFindWhatSimulatingEveryServiceFinds) {
  const sim::Scenario s = Generated(GetParam());
  Answers every = Everything(s, /*service_classes=*/false, /*max_hops=*/3);
  Answers classed = Everything(s, /*service_classes=*/true, /*max_hops=*/3);
  EXPECT_EQ(classed.flows, every.flows);
  EXPECT_LT(classed.chains_simulated, every.chains_simulated);
}

// Edits that make services differ in what a rule reads, or name them.
TEST_P(GeneratedDirectories, EditsThatTellServicesApart) {
  sim::Scenario s = Generated(GetParam());
  s.services[3].transports.push_back(v1::TRANSPORT_NCALRPC);  // local calls on its host
  s.services[4].account = s.services[5].account;              // one account, two services
  s.services[6].privileges.clear();                           // no SeImpersonatePrivilege
  for (sim::AccountSpec& a : s.accounts) {
    if (a.name == s.services[7].account) a.password = "Secret-7";
    if (a.name == s.services[8].account) a.member_of.push_back("dept2@" + a.domain);
    if (a.name == s.services[9].account) a.not_delegated = true;
  }
  s.accounts.front().allowed_to_authenticate.push_back(s.services[10].account);
  Answers every = Everything(s, false, 3);
  Answers classed = Everything(s, true, 3);
  EXPECT_EQ(classed.flows, every.flows);
}

INSTANTIATE_TEST_SUITE_P(Seeds, GeneratedDirectories, ::testing::Values(1, 2, 3));

class Library : public ::testing::TestWithParam<std::string> {};

TEST_P(Library, ClassesFindWhatSimulatingEveryServiceFinds) {
  sim::LoadResult loaded = sim::LoadScenarioFile(GetParam());
  ASSERT_TRUE(loaded.scenario) << GetParam();
  Answers every = Everything(*loaded.scenario, false, 3);
  Answers classed = Everything(*loaded.scenario, true, 3);
  EXPECT_EQ(classed.flows, every.flows) << GetParam();
}

std::vector<std::string> LibraryFiles() {
  std::vector<std::string> out;
  for (const std::filesystem::path& p : testing::ScenarioFiles()) out.push_back(p.string());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Library, ::testing::ValuesIn(LibraryFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return delegsim::testing::ScenarioTestName(info.param);
                         });

// The classes themselves: plain services on different hosts share one; what a rule reads
// sets a service apart, and so do its relations with a chain.
TEST(ServiceClasses, WhatSetsAServiceApart) {
  sim::Scenario s = Generated(7);
  Prober prober(s);
  ASSERT_TRUE(prober.status().ok());
  const ServiceClasses& classes = prober.service_classes();
  const std::vector<nodes::ServiceInfo>& services = prober.topology().services();
  EXPECT_LT(classes.size(), services.size());
  const kdc::Directory& dir = prober.directory();
  for (size_t i = 0; i < services.size(); ++i) {
    const kdc::Principal& a = dir.Get(services[i].account);
    for (size_t m : classes.Members(classes.Of(i))) {
      const kdc::Principal& b = dir.Get(services[m].account);
      EXPECT_EQ(a.uac, b.uac) << services[i].name << " and " << services[m].name;
      EXPECT_EQ(a.domain, b.domain) << services[i].name << " and " << services[m].name;
      EXPECT_EQ(a.a2d2.size(), b.a2d2.size()) << services[i].name << " and " << services[m].name;
      EXPECT_EQ(services[i].transports, services[m].transports);
    }
    // A chain holding an account whose A2D2 names this service tells it apart (KCD-7), as
    // does a chain on its host or under its account.
    ServiceClasses::View on_host{{services[i].host}, {}};
    EXPECT_TRUE(classes.Distinguishes(on_host, i)) << services[i].name;
    ServiceClasses::View as_account{{}, {services[i].account}};
    EXPECT_TRUE(classes.Distinguishes(as_account, i)) << services[i].name;
    for (kdc::PrincipalId id = 1; id <= dir.principal_count(); ++id) {
      for (kdc::SpnId spn : dir.Get(id).a2d2) {
        if (dir.SpnOwner(spn) != services[i].account) continue;
        ServiceClasses::View delegating{{}, {id}};
        EXPECT_TRUE(classes.Distinguishes(delegating, i))
            << dir.FullName(id) << " may delegate to " << services[i].name;
      }
    }
  }
}

}  // namespace
}  // namespace delegsim::analysis
