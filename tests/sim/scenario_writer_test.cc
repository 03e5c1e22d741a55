// The scenario writer is the loader's inverse: for every scenario of the library (and the
// loader's every-field example), load(write(s)) equals s, and writing is deterministic.
#include "sim/scenario_writer.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "kdc/directory.h"
#include "sim/loader.h"

namespace delegsim::sim {
namespace {

namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");  // set by delegsim_test
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}

auto Key(const DomainSpec& d) { return std::tie(d.realm, d.forest, d.functional_level, d.dc_host); }
auto Key(const TrustSpec& t) { return std::tie(t.trusting, t.trusted, t.two_way, t.attributes); }
auto Key(const HostSpec& h) { return std::tie(h.name, h.domain); }
auto Key(const AccountSpec& a) {
  return std::tie(a.name, a.domain, a.kind, a.spns, a.trusted_for_delegation, a.not_delegated,
                  a.trusted_to_auth_for_delegation, a.disabled, a.allowed_to_delegate_to,
                  a.allowed_to_act, a.allowed_to_authenticate, a.member_of, a.privileges,
                  a.password);
}
auto Key(const GroupSpec& g) { return std::tie(g.name, g.domain, g.members); }
auto Key(const ServiceSpec& s) {
  return std::tie(s.name, s.host, s.account, s.spn, s.transports, s.privileges);
}
auto Key(const AceSpec& a) { return std::tie(a.who, a.allow, a.rights); }
auto Key(const TicketExpectation& t) {
  return std::tie(t.role, t.index, t.issued, t.klist, t.flags, t.lifetime_ms, t.renew_ms, t.client,
                  t.server, t.pac_groups, t.not_pac_groups, t.pac_user_flags, t.transited, t.error,
                  t.decided_by);
}
auto Key(const Expectation& e) {
  return std::tie(e.path, e.op_target, e.op, e.nth, e.verdict, e.identity, e.level, e.net_creds,
                  e.decided_by, e.error, e.rules, e.not_rules, e.ticket_flags, e.token,
                  e.transport_level, e.gss_flags);
}
auto Key(const Options& o) {
  return std::tie(o.profile, o.legacy_rbcd_nonforwardable_ok, o.ignore_delegate_failure,
                  o.client_policy, o.logon_user_requires_tcb, o.hop_limit, o.client_forwardable,
                  o.client_renewable, o.max_ticket_life_ms, o.max_renew_life_ms);
}
auto Key(const InvariantSpec& i) {
  return std::tie(i.name, i.kind, i.identities, i.targets, i.min_level, i.holders, i.net_creds,
                  i.spn, i.service, i.via);
}
auto Key(const FaultSpec& f) {
  return std::tie(f.name, f.kind, f.host, f.domain, f.from, f.to, f.both_ways, f.by_ms, f.start_ms,
                  f.end_ms);
}

template <typename T>
bool SameList(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Key(a[i]) != Key(b[i])) return false;
  }
  return true;
}

bool SameObjects(const std::vector<ObjectSpec>& a, const std::vector<ObjectSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tie(a[i].name, a[i].host, a[i].owner) != std::tie(b[i].name, b[i].host, b[i].owner) ||
        !SameList(a[i].acl, b[i].acl)) {
      return false;
    }
  }
  return true;
}

bool SameSteps(const std::vector<StepSpec>& a, const std::vector<StepSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tie(a[i].kind, a[i].label, a[i].user, a[i].from_host, a[i].advance_ms) !=
            std::tie(b[i].kind, b[i].label, b[i].user, b[i].from_host, b[i].advance_ms) ||
        !google::protobuf::util::MessageDifferencer::Equals(a[i].call, b[i].call)) {
      return false;
    }
  }
  return true;
}

// Every field of the two scenarios; the origins (lines of a file) are not compared.
void ExpectSameScenario(const Scenario& a, const Scenario& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_TRUE(Key(a.options) == Key(b.options)) << "options";
  EXPECT_TRUE(SameList(a.domains, b.domains)) << "domains";
  EXPECT_TRUE(SameList(a.trusts, b.trusts)) << "trusts";
  EXPECT_TRUE(SameList(a.hosts, b.hosts)) << "hosts";
  EXPECT_TRUE(SameList(a.accounts, b.accounts)) << "accounts";
  EXPECT_TRUE(SameList(a.groups, b.groups)) << "groups";
  EXPECT_TRUE(SameList(a.services, b.services)) << "services";
  EXPECT_TRUE(SameObjects(a.objects, b.objects)) << "objects";
  EXPECT_TRUE(SameSteps(a.steps, b.steps)) << "steps";
  EXPECT_TRUE(SameList(a.expectations, b.expectations)) << "expectations";
  for (size_t i = 0; i < a.expectations.size() && i < b.expectations.size(); ++i) {
    EXPECT_TRUE(SameList(a.expectations[i].tickets, b.expectations[i].tickets))
        << "tickets of expectation " << i;
  }
  EXPECT_TRUE(SameList(a.invariants, b.invariants)) << "invariants";
  EXPECT_TRUE(SameList(a.faults, b.faults)) << "faults";
}

std::vector<fs::path> LibraryFiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(SourceDir() / "scenarios")) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  files.push_back(SourceDir() / "tests" / "loader" / "data" / "full.json");
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ScenarioWriter, RoundTripsEveryLibraryScenarioThroughTheLoader) {
  std::vector<fs::path> files = LibraryFiles();
  ASSERT_GT(files.size(), 10u) << "scenarios not found under " << SourceDir();
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    LoadResult original = LoadScenarioFile(file.string());
    ASSERT_TRUE(original.ok()) << original.problems.front().ToString();
    std::string text = WriteScenarioJson(*original.scenario);
    LoadResult again = LoadScenarioText(text, file.filename().string() + " (written)");
    ASSERT_TRUE(again.ok()) << again.problems.front().ToString() << "\n" << text;
    ExpectSameScenario(*original.scenario, *again.scenario);
    EXPECT_EQ(WriteScenarioJson(*again.scenario), text) << "writing is not a fixed point";
  }
}

TEST(ScenarioWriter, LeavesDefaultsOutAndNamesTrustAttributes) {
  Scenario s;
  s.name = "tiny";
  s.domains.push_back({"CORP.EXAMPLE", "CORP.EXAMPLE", 7, "dc.corp.example"});
  s.domains.push_back({"PARTNER.EXAMPLE", "PARTNER.EXAMPLE", 6, "pdc"});
  s.trusts.push_back({"CORP.EXAMPLE", "PARTNER.EXAMPLE", false,
                      kdc::trust_attr::kForestTransitive | kdc::trust_attr::kQuarantinedDomain});
  std::string text = WriteScenarioJson(s);
  EXPECT_EQ(text,
            "{\n"
            "  \"name\": \"tiny\",\n"
            "  \"domains\": [\n"
            "    {\n"
            "      \"name\": \"CORP.EXAMPLE\",\n"
            "      \"functional_level\": 7\n"
            "    },\n"
            "    {\n"
            "      \"name\": \"PARTNER.EXAMPLE\",\n"
            "      \"functional_level\": 6,\n"
            "      \"dc\": \"pdc\"\n"
            "    }\n"
            "  ],\n"
            "  \"trusts\": [\n"
            "    {\n"
            "      \"trusting\": \"CORP.EXAMPLE\",\n"
            "      \"trusted\": \"PARTNER.EXAMPLE\",\n"
            "      \"direction\": \"one-way\",\n"
            "      \"attributes\": [\n"
            "        \"quarantined\",\n"
            "        \"forest_transitive\"\n"
            "      ]\n"
            "    }\n"
            "  ]\n"
            "}\n");
}

TEST(ScenarioWriter, WritesUnnamedTrustBitsAsTheRawInteger) {
  Scenario s;
  s.name = "bits";
  s.domains.push_back({"A.EXAMPLE", "A.EXAMPLE", 7, "dc.a.example"});
  s.domains.push_back({"B.EXAMPLE", "B.EXAMPLE", 7, "dc.b.example"});
  s.trusts.push_back({"A.EXAMPLE", "B.EXAMPLE", true, 0x1000 | 0x8});
  LoadResult r = LoadScenarioText(WriteScenarioJson(s), "bits.json");
  ASSERT_TRUE(r.ok()) << r.problems.front().ToString();
  EXPECT_EQ(r.scenario->trusts.at(0).attributes, 0x1008u);
}

TEST(ScenarioWriter, WritesANestedCallOnBehalfOfAUser) {
  const char* text = R"({"name": "s4u", "domains": [{"name": "CORP.EXAMPLE"}],
    "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"}],
    "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"}, {"name": "bob", "domain": "CORP.EXAMPLE"},
      {"name": "svc", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]}],
    "services": [{"name": "web", "host": "web1", "account": "svc"}],
    "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
      "then": [{"call": "web", "name": "again", "protocol_transition": true,
                "on_behalf_of": "bob", "level": "impersonate"}]}]})";
  LoadResult original = LoadScenarioText(text, "s4u.json");
  ASSERT_TRUE(original.ok()) << original.problems.front().ToString();
  std::string written = WriteScenarioJson(*original.scenario);
  EXPECT_NE(written.find("\"on_behalf_of\": \"bob\""), std::string::npos) << written;
  LoadResult again = LoadScenarioText(written, "s4u (written)");
  ASSERT_TRUE(again.ok()) << again.problems.front().ToString();
  ExpectSameScenario(*original.scenario, *again.scenario);
}

}  // namespace
}  // namespace delegsim::sim
