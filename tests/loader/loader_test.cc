// Scenario loader: one test per class of problem, with the exact message, path and line;
// every problem of a file reported at once; a full scenario into the expected model.
#include "sim/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "nodes/token.h"
#include "nodes/topology.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/loader/test_files.h"

namespace delegsim::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

using delegsim::testing::ReadFile;
using delegsim::testing::SourceDir;

// The ```json blocks of docs/scenario-format.md, in order.
std::vector<std::string> DocJsonBlocks() {
  std::istringstream in(ReadFile(SourceDir() + "/docs/scenario-format.md"));
  std::vector<std::string> blocks;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside && line == "```json") {
      blocks.emplace_back();
      inside = true;
    } else if (inside && line == "```") {
      inside = false;
    } else if (inside) {
      blocks.back() += line + "\n";
    }
  }
  return blocks;
}

// Each problem as Problem::ToString() prints it, for file "t.json". A file with
// problems must give no scenario.
std::vector<std::string> Problems(std::string_view text) {
  LoadResult r = LoadScenarioText(text, "t.json");
  EXPECT_FALSE(r.scenario.has_value());
  EXPECT_FALSE(r.ok());
  std::vector<std::string> out;
  for (const Problem& p : r.problems) out.push_back(p.ToString());
  return out;
}

Scenario LoadOk(std::string_view text) {
  LoadResult r = LoadScenarioText(text, "t.json");
  std::string all;
  for (const Problem& p : r.problems) all += p.ToString() + "\n";
  EXPECT_TRUE(r.ok()) << all;
  return r.scenario.value_or(Scenario{});
}

// A small valid world on lines 1-8; tests append sections from line 9 on and close the
// object themselves.
constexpr char kWorld[] = R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"},
            {"name": "db1", "domain": "CORP.EXAMPLE"}, {"name": "kiosk"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"}, {"name": "admin", "domain": "kiosk"},
               {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"}, {"name": "db", "host": "db1", "account": "svc_web"}],
)";

std::string WithWorld(std::string_view rest) { return std::string(kWorld) + std::string(rest); }

TEST(LoaderTest, TheTestWorldIsValid) {
  Scenario s =
      LoadOk(WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web"}]
})"));
  EXPECT_THAT(s.steps, SizeIs(1));
}

TEST(LoaderTest, MalformedJsonIsOneProblemWithLineAndColumn) {
  // Line 4 has a trailing comma; the unknown field on line 2 is not reported: a file
  // that does not parse gives exactly one problem.
  EXPECT_THAT(Problems(R"({
  "nme": "t",
  "hosts": [
    {"name": "ws1",},
  ]
})"),
              ElementsAre("t.json:4: $.hosts[0]: malformed JSON at column 20: syntax error while "
                          "parsing object key - unexpected '}'; expected string literal"));
  EXPECT_THAT(Problems(""), ElementsAre("t.json:1: $: malformed JSON at column 1: syntax error "
                                        "while parsing value - unexpected end of input; "
                                        "expected '[', '{', or a literal"));
  EXPECT_THAT(Problems("{\"name\": \"t\"}\n}"),
              ElementsAre("t.json:2: $: malformed JSON at column 1: syntax error while parsing "
                          "value - unexpected '}'; expected end of input"));
}

TEST(LoaderTest, WrongType) {
  EXPECT_THAT(
      Problems(R"({
  "name": "t",
  "seed": "42",
  "hosts": {"name": "ws1"},
  "options": {"hop_limit": 0, "legacy_rbcd": "yes"}
})"),
      ElementsAre("t.json:3: $.seed: expected a non-negative integer, got string \"42\"",
                  "t.json:4: $.hosts: expected an array, got object",
                  "t.json:5: $.options.legacy_rbcd: expected a boolean, got string \"yes\"",
                  "t.json:5: $.options.hop_limit: expected an integer from 1 to 100, got 0"));
}

TEST(LoaderTest, UnknownFieldWithDidYouMean) {
  EXPECT_THAT(
      Problems(
          WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
              "then": [{"opne": "x"}, {"open": "x", "right": ["read"]}]}],
  "colour": "blue",
  "a b": 1
})")),
      ElementsAre("t.json:10: $.steps[0].then[0].opne: unknown field 'opne' (did you mean 'open'?)",
                  "t.json:10: $.steps[0].then[1].right: unknown field 'right' (did you mean "
                  "'rights'?)",
                  "t.json:11: $.colour: unknown field 'colour' (expected one of: $schema, name, "
                  "description, profile, options, seed, domains, trusts, hosts, accounts, groups, "
                  "services, objects, steps, expect, invariants, faults)",
                  "t.json:12: $[\"a b\"]: unknown field 'a b' (expected one of: $schema, name, "
                  "description, profile, options, seed, domains, trusts, hosts, accounts, groups, "
                  "services, objects, steps, expect, invariants, faults)"));
}

TEST(LoaderTest, MissingRequiredField) {
  EXPECT_THAT(Problems(WithWorld(R"(  "steps": [{"name": "c1", "from": "ws1", "call": "web"}]
})")),
              ElementsAre("t.json:9: $.steps[0]: missing required field 'user'"));
}

TEST(LoaderTest, UnknownEnumValue) {
  EXPECT_THAT(Problems(WithWorld(
                  R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
              "transport": "ncacn_ip_tpc", "level": "Delegate", "package": "spnego"}]
})")),
              ElementsAre("t.json:10: $.steps[0].transport: unknown transport 'ncacn_ip_tpc' (did "
                          "you mean 'ncacn_ip_tcp'?)",
                          "t.json:10: $.steps[0].package: unknown security package 'spnego' "
                          "(expected one of: kerberos, ntlm, schannel, negotiate, forms)",
                          "t.json:10: $.steps[0].level: unknown impersonation level 'Delegate' "
                          "(did you mean 'delegate'?)"));
}

TEST(LoaderTest, DanglingReferences) {
  EXPECT_THAT(
      Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"},
            {"name": "db1", "domain": "CORPX"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE", "member_of": ["Staf"]},
               {"name": "svc_web", "domain": "CORP.EXAMPLE"}],
  "groups": [{"name": "Staff", "domain": "CORP.EXAMPLE", "members": ["bobby"]}],
  "services": [{"name": "web", "host": "web2", "account": "svc_wbe"}],
  "objects": [{"name": "f", "host": "web1", "owner": "svc_web", "acl": [{"allow": "alicia", "rights": ["read"]}]}],
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "then": [{"call": "dbb"}]}],
  "expect": [{"path": "c2/web", "verdict": "allowed"}, {"path": "c1/web/db", "verdict": "allowed"}]
})"),
      ElementsAre(
          "t.json:5: $.hosts[2].domain: unknown domain 'CORPX' (did you mean 'CORP.EXAMPLE'?)",
          "t.json:6: $.accounts[0].member_of[0]: unknown group 'Staf' (did you mean 'Staff'?)",
          "t.json:8: $.groups[0].members[0]: unknown account or group 'bobby'",
          "t.json:9: $.services[0].host: unknown host 'web2' (did you mean 'web1'?)",
          "t.json:9: $.services[0].account: unknown account 'svc_wbe' (did you mean 'svc_web'?)",
          "t.json:10: $.objects[0].acl[0].allow: unknown account or group 'alicia' (did you mean "
          "'alice'?)",
          "t.json:11: $.steps[0].then[0].call: unknown service 'dbb'",
          "t.json:12: $.expect[0].path: unknown step 'c2' (did you mean 'c1'?); a path starts "
          "with a step name, as in 'c1/web'",
          "t.json:12: $.expect[1].path: no call 'db' from 'c1/web' (did you mean 'dbb'?)"));
}

TEST(LoaderTest, ObjectsNamedByOperationsAndExpectationsNeedNotExist) {
  LoadOk(WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
             "then": [{"open": "made-later"}, {"check": "nowhere"}]}],
  "expect": [{"path": "c1/web", "access": "no-such-object", "verdict": "denied"}]
})"));
}

TEST(LoaderTest, DuplicateNames) {
  EXPECT_THAT(
      Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}, {"name": "corp.example"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"},
            {"name": "WS1", "domain": "CORP.EXAMPLE"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"}, {"name": "Alice", "domain": "CORP.EXAMPLE"}],
  "services": [{"name": "web", "host": "ws1", "account": "alice@CORP.EXAMPLE"},
               {"name": "web", "host": "ws1", "account": "CORP\\alice"}],
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web"},
            {"name": "c1", "user": "alice", "from": "ws1", "call": "web"}]
})"),
      ElementsAre(
          "t.json:3: $.domains[1].name: duplicate domain 'corp.example' (first declared at "
          "line 3)",
          "t.json:5: $.hosts[1].name: duplicate host 'WS1' (first declared at line 4)",
          "t.json:6: $.accounts[1].name: duplicate account 'Alice' in 'CORP.EXAMPLE' "
          "(first declared at line 6)",
          "t.json:8: $.services[1].name: duplicate service 'web' (first declared at line 7)",
          "t.json:10: $.steps[1].name: duplicate step name 'c1' (first declared at line 9)"));
}

TEST(LoaderTest, DuplicateKeyInAnObject) {
  EXPECT_THAT(Problems(R"({
  "name": "t",
  "seed": 1,
  "seed": 2
})"),
              ElementsAre("t.json:4: $.seed: duplicate key 'seed' (first at line 3)"));
}

TEST(LoaderTest, DuplicateSpnIgnoresCase) {
  EXPECT_THAT(Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "accounts": [{"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]},
               {"name": "svc_db", "type": "service", "domain": "CORP.EXAMPLE",
                "spns": ["MSSQLSvc/db1", "HTTP/Web1"]}]
})"),
              ElementsAre("t.json:6: $.accounts[1].spns[1]: SPN 'HTTP/Web1' is already registered "
                          "on account 'svc_web' (line 4)"));
}

TEST(LoaderTest, NcalrpcAcrossHosts) {
  EXPECT_THAT(
      Problems(WithWorld(
          R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "transport": "ncalrpc",
             "then": [{"call": "db", "transport": "ncalrpc"}, {"call": "web", "transport": "ncalrpc"}]}]
})")),
      ElementsAre("t.json:9: $.steps[0].transport: ncalrpc is local RPC: caller host 'ws1' differs "
                  "from host 'web1' of service 'web'",
                  "t.json:10: $.steps[0].then[0].transport: ncalrpc is local RPC: caller service "
                  "'web' runs on host 'web1', which differs from host 'db1' of service 'db'"));
}

TEST(LoaderTest, KerberosFromOrToAWorkgroupHost) {
  EXPECT_THAT(
      Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "kiosk"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE"}, {"name": "admin", "domain": "kiosk"},
               {"name": "svc", "domain": "CORP.EXAMPLE"}],
  "services": [{"name": "app", "host": "kiosk", "account": "admin"}, {"name": "web", "host": "ws1", "account": "svc"}],
  "steps": [{"name": "c1", "user": "admin", "from": "kiosk", "call": "web", "package": "kerberos"},
            {"name": "c2", "user": "alice", "from": "ws1", "call": "app", "package": "kerberos"},
            {"name": "c3", "user": "alice", "from": "kiosk", "call": "web"},
            {"name": "c4", "user": "alice", "from": "ws1", "call": "app", "package": "ntlm",
             "then": [{"call": "web", "package": "kerberos"}]}]
})"),
      ElementsAre("t.json:8: $.steps[0].package: Kerberos cannot be used from workgroup host "
                  "'kiosk' (it has no domain)",
                  "t.json:9: $.steps[1].package: Kerberos cannot be used to reach service 'app' "
                  "on workgroup host 'kiosk' (it has no domain)",
                  "t.json:12: $.steps[3].then[0].package: Kerberos cannot be used from workgroup "
                  "host 'kiosk' (it has no domain)"));
}

TEST(LoaderTest, AccountsMustBelongWhereTheyAreUsed) {
  EXPECT_THAT(
      Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}, {"name": "PARTNER.EXAMPLE"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "kiosk"}, {"name": "nas"}],
  "accounts": [{"name": "carol", "domain": "PARTNER.EXAMPLE"}, {"name": "admin", "domain": "kiosk"},
               {"name": "local", "domain": "nas", "trusted_for_delegation": true}],
  "services": [{"name": "web", "host": "ws1", "account": "carol"},
               {"name": "app", "host": "kiosk", "account": "carol"}],
  "steps": [{"name": "c1", "user": "admin", "from": "nas", "call": "web"}]
})"),
      ElementsAre("t.json:6: $.accounts[2]: 'local' is a local account of workgroup host 'nas'; "
                  "trusted_for_delegation exist only in a domain",
                  "t.json:7: $.services[0].account: service 'web' on host 'ws1' of domain "
                  "'CORP.EXAMPLE' must run as an account of that domain; 'carol' is in "
                  "'PARTNER.EXAMPLE'",
                  "t.json:8: $.services[1].account: service 'app' on workgroup host 'kiosk' must "
                  "run as a local account of 'kiosk'; 'carol' is in 'PARTNER.EXAMPLE'",
                  "t.json:9: $.steps[0].user: 'admin' is a local account of workgroup host "
                  "'kiosk'; it cannot log on at 'nas'"));
}

TEST(LoaderTest, AmbiguousBareNameMustBeQualified) {
  EXPECT_THAT(Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}, {"name": "PARTNER.EXAMPLE"}],
  "accounts": [{"name": "bob", "domain": "CORP.EXAMPLE"}, {"name": "bob", "domain": "PARTNER.EXAMPLE"}],
  "groups": [{"name": "g", "domain": "CORP.EXAMPLE", "members": ["bob", "PARTNER\\bob", "bob@CORP.EXAMPLE"]}]
})"),
              ElementsAre("t.json:5: $.groups[0].members[0]: ambiguous account or group 'bob': "
                          "qualify it as 'bob@CORP.EXAMPLE' or 'bob@PARTNER.EXAMPLE'"));
}

TEST(LoaderTest, NestingTooDeep) {
  // 121 nested calls: the 121st `then` is one level too deep.
  std::string ops = R"({"open": "x"})";
  for (int i = 0; i < kMaxOperationDepth; ++i) ops = R"({"call": "web", "then": [)" + ops + "]}";
  std::vector<std::string> problems = Problems(WithWorld(
      R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "then": [)" +
      ops + "]}]\n}"));
  std::string path = "$.steps[0]";
  for (int i = 0; i <= kMaxOperationDepth; ++i) path += ".then[0]";
  path.resize(path.size() - 3);  // the `then` array of the innermost call
  EXPECT_THAT(problems,
              ElementsAre("t.json:9: " + path +
                          ": operations nested deeper than 120 levels (the nesting limit; a chain "
                          "has at most 100 hops)"));

  // Raw JSON nesting is bounded too, before any recursion.
  EXPECT_THAT(Problems(std::string(300, '[') + std::string(300, ']')),
              ElementsAre(::testing::EndsWith("[0]: JSON nested deeper than 256 levels")));
}

TEST(LoaderTest, ReportsEveryProblemAtOnce) {
  EXPECT_THAT(
      Problems(R"({
  "name": "five",
  "domains": [{"name": "CORP.EXAMPLE", "functional_level": "2019"}],
  "hosts": [{"name": "ws1", "domain": "CORP.EXAMPLE"}, {"name": "web1", "domain": "CORP.EXAMPLE"}],
  "accounts": [{"name": "alice", "domain": "CORP.EXAMPLE", "sensitve": true},
               {"name": "svc_web", "type": "service", "domain": "CORP.EXAMPLE", "spns": ["http/web1"]}],
  "services": [{"name": "web", "host": "web1", "account": "svc_web"}],
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "transport": "ncalrpc"},
            {"advance_clock": "11 hours"}],
  "expect": [{"path": "c1/web", "decided_by": "KCD-2x"}]
})"),
      ElementsAre(
          "t.json:3: $.domains[0].functional_level: unknown functional level '2019' "
          "(expected 0 to 10 or one of: 2003, 2008, 2008R2, 2012, 2012R2, 2016; Windows Server "
          "2019 and 2022 domains use 2016)",
          "t.json:5: $.accounts[0].sensitve: unknown field 'sensitve' (did you mean "
          "'sensitive'?)",
          "t.json:8: $.steps[0].transport: ncalrpc is local RPC: caller host 'ws1' "
          "differs from host 'web1' of service 'web'",
          "t.json:9: $.steps[1].advance_clock: invalid duration '11 hours' (expected a "
          "whole number followed by ms, s, m, h or d, e.g. \"11h\")",
          "t.json:10: $.expect[0].decided_by: unknown rule id 'KCD-2x' (did you mean "
          "'KCD-2'?)"));
}

TEST(LoaderTest, ExpectationChecks) {
  EXPECT_THAT(
      Problems(
          WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web"}],
  "expect": [{"path": "c1"},
             {"path": "c1/web", "op": "open", "level": "delegate"},
             {"path": "c1/web", "access": "f", "level": "delegate"},
             {"path": "c1/web", "rules": ["UD-3", "ZZ-99"], "net_creds": "tgtt", "error": "denied",
              "ticket_flags": {"ok_as_delegate": 1, "forwardible": true}}]
})")),
      ElementsAre(
          "t.json:10: $.expect[0]: the expectation checks nothing (give verdict, identity, level, "
          "net_creds, error, decided_by, rules, not_rules, ticket_flags or tickets)",
          "t.json:10: $.expect[0].path: 'c1' names a step, not a hop; the step's first hop is "
          "'c1/web'",
          "t.json:11: $.expect[1].level: 'level' describes a hop; an expectation with 'op' is "
          "about an operation (drop 'op' or move this check to its own entry)",
          "t.json:12: $.expect[2].level: 'level' describes a hop; an expectation with 'access' is "
          "about an operation (drop 'access' or move this check to its own entry)",
          "t.json:13: $.expect[3].net_creds: unknown net_creds 'tgtt' (did you mean 'tgt'?)",
          "t.json:13: $.expect[3].error: 'denied' is not an error name (expected an upper-case "
          "symbol such as ERROR_ACCESS_DENIED or KDC_ERR_BADOPTION)",
          "t.json:13: $.expect[3].rules[1]: unknown rule id 'ZZ-99' (rule ids are listed in "
          "RULES.md, e.g. 'KCD-2')",
          "t.json:14: $.expect[3].ticket_flags.forwardible: unknown field 'forwardible' (did you "
          "mean 'forwardable'?)",
          "t.json:14: $.expect[3].ticket_flags.ok_as_delegate: expected a boolean, got integer 1"));
}

TEST(LoaderTest, DurationsLevelsAndAttributes) {
  Scenario s = LoadOk(R"({
  "name": "t",
  "steps": [{"advance_clock": "500ms"}, {"advance_clock": "30s"}, {"advance_clock": "15m"},
            {"advance_clock": "11h"}, {"advance_clock": "2d"}, {"advance_clock": 1234}],
  "domains": [{"name": "CORP.EXAMPLE", "functional_level": 0}, {"name": "A.EXAMPLE", "functional_level": "2003"},
              {"name": "B.EXAMPLE", "functional_level": "2008R2"}, {"name": "C.EXAMPLE", "functional_level": 10}],
  "trusts": [{"trusting": "A.EXAMPLE", "trusted": "B.EXAMPLE", "attributes": 2056},
             {"trusting": "A.EXAMPLE", "trusted": "C.EXAMPLE",
              "attributes": ["non_transitive", "uplevel_only", "quarantined", "forest_transitive",
                             "cross_organization", "within_forest", "treat_as_external", "uses_rc4",
                             "no_tgt_delegation", "pim_trust", "enable_tgt_delegation"]},
             {"trusting": "B.EXAMPLE", "trusted": "C.EXAMPLE", "attributes": ["selective_authentication"]}]
})");
  std::vector<int64_t> ms;
  for (const StepSpec& st : s.steps) {
    EXPECT_EQ(st.kind, StepSpec::Kind::kAdvanceClock);
    ms.push_back(st.advance_ms);
  }
  EXPECT_THAT(ms, ElementsAre(500, 30'000, 900'000, 39'600'000, 172'800'000, 1234));
  ASSERT_THAT(s.domains, SizeIs(4));
  EXPECT_EQ(s.domains[0].functional_level, 0);
  EXPECT_EQ(s.domains[1].functional_level, 2);
  EXPECT_EQ(s.domains[2].functional_level, 4);
  EXPECT_EQ(s.domains[3].functional_level, 10);
  ASSERT_THAT(s.trusts, SizeIs(3));
  EXPECT_EQ(s.trusts[0].attributes, 2056u);
  EXPECT_EQ(s.trusts[1].attributes, 0xeffu);
  EXPECT_EQ(s.trusts[2].attributes, kdc::trust_attr::kCrossOrganization);
  EXPECT_TRUE(s.trusts[0].two_way);
}

TEST(LoaderTest, LevelAndRightNamesAgreeWithNodes) {
  const char* levels[] = {"anonymous", "identify", "impersonate", "delegate"};
  const char* rights[] = {"read",      "write",   "delete", "read_control",
                          "write_dac", "execute", "full"};
  for (const char* level : levels) {
    Scenario s = LoadOk(WithWorld(
        std::string(
            R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "level": ")") +
        level + R"(", "then": [{"duplicate_token": ")" + level + R"("}]}]
})"));
    ASSERT_THAT(s.steps, SizeIs(1));
    EXPECT_EQ(s.steps[0].call.level(), nodes::ToWire(*nodes::ParseLevel(level)));
    EXPECT_EQ(s.steps[0].call.ops(0).duplicate_token().level(),
              nodes::ToWire(*nodes::ParseLevel(level)));
  }
  for (const char* right : rights) {
    EXPECT_TRUE(nodes::ParseRight(right).has_value()) << right;
    LoadOk(WithWorld(
        std::string(
            R"(  "objects": [{"name": "f", "host": "web1", "owner": "alice", "acl": [{"allow": "alice", "rights": [")") +
        right + R"("]}]}]
})"));
  }
}

TEST(LoaderTest, Defaults) {
  LoadResult r = LoadScenarioFile(SourceDir() + "/tests/loader/data/minimal.json");
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].ToString());
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.options.profile, "windows");
  EXPECT_EQ(s.options.client_policy, "windows");
  EXPECT_FALSE(s.options.legacy_rbcd_nonforwardable_ok);
  EXPECT_EQ(s.options.hop_limit, 16);
  EXPECT_EQ(s.seed, 1u);
  ASSERT_THAT(s.domains, SizeIs(1));
  EXPECT_EQ(s.domains[0].forest, "CORP.EXAMPLE");
  EXPECT_EQ(s.domains[0].functional_level, 7);
  EXPECT_EQ(s.domains[0].dc_host, "dc.corp.example");
  EXPECT_EQ(s.accounts[0].kind, AccountKind::kUser);
  ASSERT_THAT(s.services, SizeIs(1));
  EXPECT_THAT(
      s.services[0].transports,
      ElementsAre(v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP, v1::TRANSPORT_NCACN_NP));
  EXPECT_THAT(s.services[0].privileges, ElementsAre("SeImpersonatePrivilege"));
  EXPECT_EQ(s.services[0].spn, "");
  ASSERT_THAT(s.steps, SizeIs(1));
  const v1::CallSpec& c = s.steps[0].call;
  EXPECT_EQ(c.transport(), v1::TRANSPORT_NCACN_IP_TCP);
  EXPECT_EQ(c.package(), v1::PACKAGE_NEGOTIATE);
  EXPECT_EQ(c.level(), v1::LEVEL_DEFAULT);
  EXPECT_EQ(c.api(), v1::API_UNSPECIFIED);
  EXPECT_TRUE(c.mutual());
  EXPECT_FALSE(c.ignore_delegate_failure());
  EXPECT_EQ(c.label(), "");  // the runtime names the first hop after the service
}

TEST(LoaderTest, FullScenarioRoundTrip) {
  LoadResult r = LoadScenarioFile(SourceDir() + "/tests/loader/data/full.json");
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].ToString());
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.name, "full");
  EXPECT_EQ(s.options.profile, "mit");
  EXPECT_TRUE(s.options.legacy_rbcd_nonforwardable_ok);
  EXPECT_TRUE(s.options.ignore_delegate_failure);
  EXPECT_TRUE(s.options.logon_user_requires_tcb);
  EXPECT_EQ(s.options.client_policy, "mit");
  EXPECT_EQ(s.options.hop_limit, 8);
  EXPECT_EQ(s.seed, 42u);

  ASSERT_THAT(s.domains, SizeIs(2));
  EXPECT_EQ(s.domains[0].realm, "CORP.EXAMPLE");
  EXPECT_EQ(s.domains[0].forest, "corp.example");
  EXPECT_EQ(s.domains[0].functional_level, 6);
  EXPECT_EQ(s.domains[0].dc_host, "dc1");
  EXPECT_EQ(s.domains[1].forest, "PARTNER.EXAMPLE");
  EXPECT_EQ(s.domains[1].functional_level, 4);
  EXPECT_EQ(s.domains[1].dc_host, "dc.partner.example");
  ASSERT_THAT(s.trusts, SizeIs(1));
  EXPECT_FALSE(s.trusts[0].two_way);
  EXPECT_EQ(s.trusts[0].attributes, kdc::trust_attr::kForestTransitive |
                                        kdc::trust_attr::kCrossOrganization |
                                        kdc::trust_attr::kCrossOrganizationEnableTgtDelegation);
  ASSERT_THAT(s.hosts, SizeIs(6));
  EXPECT_EQ(s.hosts[4].domain, "");  // "domain": null
  EXPECT_EQ(s.hosts[5].domain, "");  // absent

  ASSERT_THAT(s.accounts, SizeIs(7));
  const AccountSpec& bob = s.accounts[1];
  EXPECT_TRUE(bob.not_delegated);
  const AccountSpec& web = s.accounts[3];
  EXPECT_EQ(web.kind, AccountKind::kService);
  EXPECT_TRUE(web.trusted_for_delegation);
  EXPECT_TRUE(web.trusted_to_auth_for_delegation);
  EXPECT_THAT(web.spns, ElementsAre("http/web1.corp.example", "http/web"));
  EXPECT_THAT(web.allowed_to_delegate_to, ElementsAre("MSSQLSvc/db1.corp.example:1433"));
  EXPECT_THAT(web.privileges, ElementsAre("SeImpersonatePrivilege", "SeTcbPrivilege"));
  const AccountSpec& db = s.accounts[4];
  EXPECT_THAT(db.allowed_to_act, ElementsAre("svc_web", "CORP\\Staff"));
  EXPECT_THAT(db.allowed_to_authenticate, ElementsAre("carol@PARTNER.EXAMPLE"));
  EXPECT_EQ(s.accounts[5].kind, AccountKind::kComputer);
  EXPECT_EQ(s.accounts[6].domain, "kiosk");
  EXPECT_EQ(s.accounts[0].password, "alice-pw");
  EXPECT_THAT(s.accounts[0].member_of, ElementsAre("Staff"));
  ASSERT_THAT(s.groups, SizeIs(2));
  EXPECT_THAT(s.groups[1].members, ElementsAre("bob", "Staff"));

  ASSERT_THAT(s.services, SizeIs(3));
  EXPECT_EQ(s.services[0].spn, "http/web1.corp.example");
  EXPECT_THAT(s.services[0].transports,
              ElementsAre(v1::TRANSPORT_NCACN_IP_TCP, v1::TRANSPORT_NCALRPC));
  EXPECT_THAT(s.services[2].privileges, IsEmpty());
  ASSERT_THAT(s.objects, SizeIs(2));
  ASSERT_THAT(s.objects[0].acl, SizeIs(2));
  EXPECT_EQ(s.objects[0].acl[0].who, "alice");
  EXPECT_TRUE(s.objects[0].acl[0].allow);
  EXPECT_THAT(s.objects[0].acl[0].rights, ElementsAre("read", "write"));
  EXPECT_EQ(s.objects[0].acl[1].who, "Staff");
  EXPECT_FALSE(s.objects[0].acl[1].allow);

  ASSERT_THAT(s.steps, SizeIs(5));
  const StepSpec& c1 = s.steps[0];
  EXPECT_EQ(c1.origin.path, "$.steps[0]");
  EXPECT_EQ(c1.origin.line, 56);
  EXPECT_EQ(c1.kind, StepSpec::Kind::kCall);
  EXPECT_EQ(c1.label, "c1");
  EXPECT_EQ(c1.user, "alice");
  EXPECT_EQ(c1.from_host, "ws1");
  const v1::CallSpec& call = c1.call;
  EXPECT_EQ(call.service(), "web");
  EXPECT_EQ(call.transport(), v1::TRANSPORT_NCACN_NP);
  EXPECT_EQ(call.package(), v1::PACKAGE_KERBEROS);
  EXPECT_EQ(call.level(), v1::LEVEL_DELEGATE);
  EXPECT_FALSE(call.mutual());
  EXPECT_EQ(call.api(), v1::API_NAMED_PIPE);
  EXPECT_TRUE(call.ignore_delegate_failure());
  EXPECT_TRUE(call.protocol_transition());
  EXPECT_TRUE(call.by_ip_address());
  EXPECT_EQ(call.transport_level(), v1::LEVEL_IDENTIFY);
  ASSERT_EQ(call.ops_size(), 14);
  EXPECT_EQ(call.ops(0).open().object(), "paystub-alice");
  EXPECT_THAT(call.ops(0).open().rights(), ElementsAre("read"));
  EXPECT_FALSE(call.ops(0).open().check_only());
  EXPECT_TRUE(call.ops(1).open().check_only());
  EXPECT_THAT(call.ops(1).open().rights(), ElementsAre("read", "write"));
  EXPECT_TRUE(call.ops(2).open().create());
  const v1::CallSpec& nested = call.ops(3).call();
  EXPECT_EQ(nested.service(), "db");
  EXPECT_EQ(nested.label(), "db-main");
  EXPECT_EQ(nested.level(), v1::LEVEL_IMPERSONATE);
  EXPECT_EQ(nested.package(), v1::PACKAGE_NTLM);
  EXPECT_EQ(nested.transport(), v1::TRANSPORT_NCACN_IP_TCP);
  EXPECT_TRUE(nested.mutual());
  ASSERT_EQ(nested.ops_size(), 1);
  EXPECT_EQ(nested.ops(0).open().object(), "table1");
  EXPECT_EQ(call.ops(4).call().transport(), v1::TRANSPORT_NCALRPC);
  ASSERT_EQ(call.ops(5).create_process().ops_size(), 1);
  EXPECT_EQ(call.ops(5).create_process().ops(0).open().object(), "svc-log");
  EXPECT_EQ(call.ops(6).create_process_as_user().ops(0).call().service(), "db");
  EXPECT_EQ(call.ops(7).logon_user().user(), "bob");
  EXPECT_EQ(call.ops(7).logon_user().password(), "pw");
  EXPECT_EQ(call.ops(7).logon_user().ops(0).call().service(), "db");
  EXPECT_TRUE(call.ops(8).has_revert());
  EXPECT_EQ(call.ops(9).privilege_check().privilege(), "SeTcbPrivilege");
  EXPECT_TRUE(call.ops(10).open_thread_token().open_as_self());
  EXPECT_TRUE(call.ops(11).duplicate_token().self());
  EXPECT_EQ(call.ops(11).duplicate_token().level(), v1::LEVEL_IDENTIFY);
  EXPECT_FALSE(call.ops(12).duplicate_token().self());
  EXPECT_EQ(call.ops(12).duplicate_token().level(), v1::LEVEL_IMPERSONATE);
  EXPECT_EQ(call.ops(13).s4u_logon().user(), "alice");
  EXPECT_TRUE(call.ops(13).s4u_logon().identify());
  EXPECT_EQ(s.steps[1].kind, StepSpec::Kind::kAdvanceClock);
  EXPECT_EQ(s.steps[1].advance_ms, 11 * 3'600'000);
  EXPECT_EQ(s.steps[1].origin.line, 77);
  EXPECT_EQ(s.steps[2].advance_ms, 1500);
  EXPECT_EQ(s.steps[3].user, "CORP\\bob");

  ASSERT_THAT(s.expectations, SizeIs(5));
  const Expectation& e0 = s.expectations[0];
  EXPECT_EQ(e0.origin.path, "$.expect[0]");
  EXPECT_EQ(e0.origin.line, 83);
  EXPECT_EQ(e0.path, "c1/web");
  EXPECT_EQ(e0.verdict, "allowed");
  EXPECT_EQ(e0.identity, "alice");
  EXPECT_EQ(e0.level, "delegate");
  EXPECT_EQ(e0.net_creds, "tgt");
  EXPECT_THAT(e0.rules, ElementsAre("UD-3"));
  EXPECT_THAT(e0.not_rules, ElementsAre("MA-2"));  // ids are stored as the table spells them
  EXPECT_EQ(e0.decided_by, "IL-6");
  EXPECT_THAT(e0.ticket_flags,
              ElementsAre(Pair("forwardable", false), Pair("ok_as_delegate", true)));
  const Expectation& e1 = s.expectations[1];
  EXPECT_EQ(e1.op_target, "paystub-bob");
  EXPECT_EQ(e1.op, "check");
  EXPECT_EQ(e1.error, "ERROR_ACCESS_DENIED");
  EXPECT_FALSE(e1.level.has_value());
  EXPECT_EQ(s.expectations[2].identity, "anonymous");  // null
  EXPECT_EQ(s.expectations[2].net_creds, "s4u_proxy{cifs/db1.corp.example}");
  EXPECT_EQ(s.expectations[3].level, "none");
}

// What the loader accepts, the world builder can build and run: every name resolves.
TEST(LoaderTest, LoadedScenariosBuildAndRun) {
  for (const char* name : {"full.json", "minimal.json"}) {
    LoadResult r = LoadScenarioFile(SourceDir() + "/tests/loader/data/" + name);
    ASSERT_TRUE(r.ok()) << name;
    StatusOr<std::unique_ptr<World>> w =
        World::Build(*r.scenario, std::make_unique<VirtualRuntime>());
    ASSERT_TRUE(w.ok()) << name << ": " << w.status().ToString();
    EXPECT_TRUE((*w)->Run().ok()) << name;
  }
}

TEST(LoaderTest, ProblemToString) {
  EXPECT_EQ((Problem{"f.json", 12, "$.hosts[2].domain", "unknown domain 'X'"}).ToString(),
            "f.json:12: $.hosts[2].domain: unknown domain 'X'");
  EXPECT_EQ((Problem{"f.json", 0, "", "cannot read: No such file or directory"}).ToString(),
            "f.json: cannot read: No such file or directory");
}

TEST(LoaderTest, UnreadableOrOversizedFile) {
  LoadResult r = LoadScenarioFile("/nonexistent/scenario.json");
  EXPECT_FALSE(r.scenario.has_value());
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].ToString(),
            "/nonexistent/scenario.json: cannot read: No such file or directory");

  // The limit is the caller's (--max-file-size); the message names it and the option.
  const size_t limit = size_t{1} << 20;
  std::string big(limit + 1, ' ');
  EXPECT_THAT(LoadScenarioText(big, "t.json", limit).problems,
              ElementsAre(::testing::Field(
                  &Problem::message,
                  "file is 1048577 bytes; the limit is 1048576 (1 MiB) (raise it with "
                  "--max-file-size)")));
  std::filesystem::path tmp = std::filesystem::temp_directory_path() / "delegsim_loader_big.json";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << big;
  }
  r = LoadScenarioFile(tmp.string(), limit);
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].message,
            "file is 1048577 bytes; the limit is 1048576 (1 MiB) (raise it with --max-file-size)");
  r = LoadScenarioFile(tmp.string(), 1000);
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_EQ(r.problems[0].message,
            "file is 1048577 bytes; the limit is 1000 (raise it with --max-file-size)");
  // Under a larger limit the same file is read and parsed (it is not JSON).
  r = LoadScenarioFile(tmp.string(), limit + 1);
  std::filesystem::remove(tmp);
  ASSERT_THAT(r.problems, SizeIs(1));
  EXPECT_THAT(r.problems[0].message, ::testing::HasSubstr("malformed JSON"));
  // The default admits a world of 100,000 hosts and calls (about 44 MB).
  EXPECT_GE(kMaxScenarioBytes, size_t{44'000'000});
}

// The example of a bad file in docs/scenario-format.md, with the problems it reports.
TEST(LoaderTest, DocumentedBadExample) {
  LoadResult r = LoadScenarioFile(SourceDir() + "/tests/loader/data/bad.json");
  std::vector<std::string> got;
  for (const Problem& p : r.problems) got.push_back(p.ToString().substr(p.file.size() - 8));
  EXPECT_THAT(got,
              ElementsAre("bad.json:6: $.hosts[1].domain: unknown domain 'CORPX' (did you mean "
                          "'CORP.EXAMPLE'?)",
                          "bad.json:9: $.accounts[1].trusted_for_delegaton: unknown field "
                          "'trusted_for_delegaton' (did you mean 'trusted_for_delegation'?)",
                          "bad.json:13: $.services[1].transports[1]: unknown transport 'tcp' "
                          "(expected one of: ncalrpc, ncacn_ip_tcp, ncacn_np)",
                          "bad.json:15: $.steps[0].transport: ncalrpc is local RPC: caller host "
                          "'ws1' differs from host 'web1' of service 'web'",
                          "bad.json:16: $.steps[0].then[0].call: unknown service 'dbb' (did you "
                          "mean 'db'?)",
                          "bad.json:19: $.expect[0].level: unknown impersonation level "
                          "'delegation' (did you mean 'delegate'?)"));
}

// The clock moves at most 100 years, each step and in total: beyond that, sums of
// simulated times would overflow int64 (undefined behaviour).
TEST(LoaderTest, ClockStepsAreBoundedEachAndInTotal) {
  EXPECT_THAT(
      Problems(R"({"name": "t", "steps": [
  {"advance_clock": 9223372036854775807},
  {"advance_clock": "9000000000d"},
  {"advance_clock": "36501d"},
  {"advance_clock": 3153600000001}
]})"),
      ElementsAre(
          "t.json:2: $.steps[0].advance_clock: a clock step of 9223372036854775807 ms is longer "
          "than 100 years (36500d), the most a scenario's clock may move",
          "t.json:3: $.steps[1].advance_clock: a clock step of '9000000000d' is longer than 100 "
          "years (36500d), the most a scenario's clock may move",
          "t.json:4: $.steps[2].advance_clock: a clock step of '36501d' is longer than 100 years "
          "(36500d), the most a scenario's clock may move",
          "t.json:5: $.steps[3].advance_clock: a clock step of 3153600000001 ms is longer than "
          "100 years (36500d), the most a scenario's clock may move"));
  // Each step within the bound, their sum past it: the step that crosses is named.
  EXPECT_THAT(Problems(R"({"name": "t", "steps": [
  {"advance_clock": "20000d"},
  {"advance_clock": "16500d"},
  {"advance_clock": "1ms"},
  {"advance_clock": "1ms"}
]})"),
              ElementsAre("t.json:4: $.steps[2].advance_clock: the clock steps up to here add up "
                          "to more than 100 years (36500d), the most a scenario's clock may move"));
  Scenario s = LoadOk(R"({"name": "t", "steps": [{"advance_clock": "20000d"},
                                              {"advance_clock": "16500d"}]})");
  ASSERT_THAT(s.steps, SizeIs(2));
  EXPECT_EQ(s.steps[0].advance_ms + s.steps[1].advance_ms, kMaxClockAdvanceMs);
}

// Control characters and bidi overrides in any name (or other text) are refused with
// their JSON path and line; the messages show them escaped, never raw.
TEST(LoaderTest, ControlAndBidiCharactersInNamesAreRefused) {
  const std::string kRule =
      "; names and text may not contain control or bidirectional formatting characters";
  std::vector<std::string> declared = Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}, {"name": "EVIL\u001b[2J.EXAMPLE"}],
  "hosts": [{"name": "web1", "domain": "CORP.EXAMPLE"}, {"name": "host\u0000x"}],
  "accounts": [{"name": "svc", "domain": "CORP.EXAMPLE"},
               {"name": "mallory\u202etxt.exe", "domain": "CORP.EXAMPLE"}],
  "services": [{"name": "svc\u009b31m", "host": "web1", "account": "svc"}]
})");
  EXPECT_THAT(
      declared,
      ElementsAre(
          "t.json:3: $.domains[1].name: 'EVIL\\x1b[2J.EXAMPLE' contains U+001B (ESC) at byte 4" +
              kRule,
          "t.json:4: $.hosts[1].name: 'host\\x00x' contains U+0000 (NUL) at byte 4" + kRule,
          "t.json:6: $.accounts[1].name: 'mallory\\u202etxt.exe' contains U+202E (RIGHT-TO-LEFT "
          "OVERRIDE) at byte 7" +
              kRule,
          "t.json:7: $.services[0].name: 'svc\\u009b31m' contains U+009B (CSI) at byte 3" + kRule));
  std::vector<std::string> used = Problems(std::string(kWorld) + R"(
  "description": "bell\u0007",
  "groups": [{"name": "g\u0085", "domain": "CORP.EXAMPLE"},
             {"name": "g2", "domain": "CORP.EXAMPLE", "members": ["alice\u2066"]}],
  "objects": [{"name": "obj\u200f", "host": "web1", "owner": "alice"},
              {"name": "o2", "host": "web1", "owner": "alice", "acl": [{"allow": "alice\u001f", "rights": ["read"]}]}],
  "steps": [{"name": "c\u0007", "user": "alice", "from": "ws1", "call": "web"}]
})");
  EXPECT_THAT(
      used,
      ElementsAre(
          "t.json:10: $.description: 'bell\\x07' contains U+0007 (BEL) at byte 4" + kRule,
          "t.json:11: $.groups[0].name: 'g\\u0085' contains U+0085 (C1 control) at byte 1" + kRule,
          "t.json:12: $.groups[1].members[0]: 'alice\\u2066' contains U+2066 (LEFT-TO-RIGHT "
          "ISOLATE) at byte 5" +
              kRule,
          "t.json:13: $.objects[0].name: 'obj\\u200f' contains U+200F (RIGHT-TO-LEFT MARK) at "
          "byte 3" +
              kRule,
          "t.json:14: $.objects[1].acl[0].allow: 'alice\\x1f' contains U+001F (US) at byte 5" +
              kRule,
          "t.json:15: $.steps[0].name: 'c\\x07' contains U+0007 (BEL) at byte 1" + kRule));
  for (const std::string& p : declared) {
    EXPECT_EQ(p.find('\x1b'), std::string::npos);
    EXPECT_EQ(p.find("\xe2\x80\xae"), std::string::npos);
  }
  for (const std::string& p : used) EXPECT_EQ(p.find('\x07'), std::string::npos);
}

// '=' cannot be part of a directory name (Active Directory refuses it in sAMAccountName;
// DNS and NetBIOS names cannot hold it) and would make a decision's "name=value" facts
// ambiguous: refused with its path and line.
TEST(LoaderTest, EqualsSignInDirectoryNamesIsRefused) {
  EXPECT_THAT(
      Problems(R"({
  "name": "t",
  "domains": [{"name": "CORP.EXAMPLE"}, {"name": "A=B.EXAMPLE"}],
  "hosts": [{"name": "web1", "domain": "CORP.EXAMPLE"}, {"name": "h=1"}],
  "accounts": [{"name": "svc", "domain": "CORP.EXAMPLE"}, {"name": "x.not_delegated=true", "domain": "CORP.EXAMPLE"}],
  "groups": [{"name": "g=1", "domain": "CORP.EXAMPLE"}],
  "services": [{"name": "web=1", "host": "web1", "account": "svc"}]
})"),
      ElementsAre("t.json:3: $.domains[1].name: 'A=B.EXAMPLE' must not contain '='",
                  "t.json:4: $.hosts[1].name: 'h=1' must not contain '='",
                  "t.json:5: $.accounts[1].name: 'x.not_delegated=true' must not contain '='",
                  "t.json:6: $.groups[0].name: 'g=1' must not contain '='",
                  "t.json:7: $.services[0].name: 'web=1' must not contain '='"));
}

// What the file says is quoted escaped in every problem: an unknown field named with an
// escape sequence does not reach the terminal raw.
TEST(LoaderTest, ProblemsShowHostileTextEscaped) {
  std::vector<std::string> problems =
      Problems("{\"name\": \"t\", \"\\u001b]0;pwned\\u0007\": 1, \"profile\": \"\\u202ewin\"}");
  ASSERT_THAT(problems, SizeIs(2));
  EXPECT_THAT(problems[0], ::testing::HasSubstr("unknown field '\\x1b]0;pwned\\x07'"));
  EXPECT_THAT(problems[1], ::testing::HasSubstr("unknown profile '\\u202ewin'"));
}

// The examples of docs/scenario-format.md: the bad one is tests/loader/data/bad.json and
// the page shows exactly its problems; every other one loads.
TEST(LoaderTest, DocumentationExamples) {
  std::string doc = ReadFile(SourceDir() + "/docs/scenario-format.md");
  std::string bad = ReadFile(SourceDir() + "/tests/loader/data/bad.json");
  std::vector<std::string> blocks = DocJsonBlocks();
  ASSERT_THAT(blocks, SizeIs(2));
  EXPECT_EQ(blocks[1], bad);
  LoadResult r = LoadScenarioText(bad, "tests/loader/data/bad.json");
  ASSERT_THAT(r.problems, SizeIs(6));
  for (const Problem& p : r.problems) {
    EXPECT_NE(doc.find("\n" + p.ToString() + "\n"), std::string::npos) << p.ToString();
  }
  LoadOk(blocks[0]);
}

// Issue 12: ticket expectations, explicit KDC requests, numeric levels, each problem
// located and, for a misspelt name, with a suggestion.
TEST(LoaderTest, TicketExpectationProblems) {
  EXPECT_THAT(
      Problems(
          WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web"}],
  "expect": [{"path": "c1/web", "tickets": {
    "forwarded_tg": {"klist": "F"},
    "referral#0": {"klist": "F"},
    "service": {"klist": "FX", "flags": {"renewabel": true}, "lifetime": "ten hours",
                "pac_groups": ["SERVICE_ASSERTED_IDENTITIY"], "pac_user_flags": ["USER_NOT_DELEGATE"],
                "decided_by": "ds-99", "frobs": 1},
    "s4u2self": {"issued": false, "klist": "F"}}}]
})")),
      ElementsAre(
          "t.json:11: $.expect[0].tickets.forwarded_tg: unknown ticket role 'forwarded_tg' (did "
          "you mean 'forwarded_tgt'?)",
          "t.json:12: $.expect[0].tickets[\"referral#0\"]: 'referral#0': after '#' comes the "
          "position of the exchange at the hop, from 1 to 64 (e.g. 'referral#2')",
          "t.json:13: $.expect[0].tickets.service.klist: 'X' is not a klist -f flag letter (F "
          "forwardable, f forwarded, P proxiable, p proxy, R renewable, I initial, A "
          "pre-authenticated, O ok-as-delegate)",
          "t.json:13: $.expect[0].tickets.service.flags.renewabel: unknown ticket flag "
          "'renewabel' (did you mean 'renewable'?)",
          "t.json:13: $.expect[0].tickets.service.lifetime: invalid duration 'ten hours' "
          "(expected a whole number followed by ms, s, m, h or d, e.g. \"11h\")",
          "t.json:14: $.expect[0].tickets.service.pac_groups[0]: unknown well-known SID "
          "'SERVICE_ASSERTED_IDENTITIY' (did you mean 'SERVICE_ASSERTED_IDENTITY'?)",
          "t.json:14: $.expect[0].tickets.service.pac_user_flags[0]: unknown USER_* account "
          "flag 'USER_NOT_DELEGATE' (did you mean 'USER_NOT_DELEGATED'?)",
          "t.json:15: $.expect[0].tickets.service.frobs: unknown field 'frobs' (did you mean "
          "'flags'?)",
          "t.json:15: $.expect[0].tickets.service.decided_by: unknown rule id 'ds-99' (did you "
          "mean 'DS-9'?)",
          "t.json:16: $.expect[0].tickets.s4u2self.klist: 'klist' describes an issued ticket, "
          "but 'issued' is false (the exchange is expected to fail)"));
}

TEST(LoaderTest, TicketExpectationsAndKdcRequestsLoad) {
  Scenario s =
      LoadOk(WithWorld(R"(  "options": {"client_forwardable": false, "client_renewable": true,
              "max_ticket_life": "8h", "max_renew_life": "2d"},
  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web", "level": {"rpc_c_imp_level": 3},
             "then": [{"s4u2self": "alice", "forwardable": false},
                      {"s4u2proxy": "http/web1", "evidence": "s4u2self", "rbcd": false},
                      {"tgs": "http/web1", "options": {"renewable": true}},
                      {"impersonate_self": {"security_impersonation_level": 1}},
                      {"call": "db", "use_ticket": "s4u2proxy", "replay_authenticator": true}]}],
  "expect": [{"path": "c1/web", "tickets": {"referral#2": {"klist": "FRA", "renew_till": false}}},
             {"path": "c1/web", "op": "s4u2proxy", "nth": 1, "verdict": "denied"},
             {"path": "c1/web/db#replay", "error": "KRB_AP_ERR_REPEAT"}]
})"));
  EXPECT_EQ(s.options.client_forwardable, false);
  EXPECT_EQ(s.options.max_renew_life_ms, 2 * 24 * 3600 * 1000LL);
  ASSERT_THAT(s.steps, SizeIs(1));
  const v1::CallSpec& call = s.steps[0].call;
  EXPECT_EQ(call.level(), v1::LEVEL_IMPERSONATE);
  ASSERT_EQ(call.ops_size(), 5);
  EXPECT_EQ(call.ops(0).kdc_request().kind(), v1::KDC_REQUEST_S4U2SELF);
  EXPECT_FALSE(call.ops(0).kdc_request().options().forwardable());
  EXPECT_EQ(call.ops(1).kdc_request().evidence(), v1::EVIDENCE_S4U2SELF);
  EXPECT_FALSE(call.ops(1).kdc_request().rbcd());
  EXPECT_TRUE(call.ops(2).kdc_request().options().renewable());
  EXPECT_EQ(call.ops(3).duplicate_token().level(), v1::LEVEL_IDENTIFY);
  EXPECT_EQ(call.ops(4).call().use_ticket(), "s4u2proxy");
  ASSERT_THAT(s.expectations, SizeIs(3));
  ASSERT_THAT(s.expectations[0].tickets, SizeIs(1));
  EXPECT_EQ(s.expectations[0].tickets[0].role, "referral");
  EXPECT_EQ(s.expectations[0].tickets[0].index, 2);
  EXPECT_EQ(s.expectations[0].tickets[0].renew_ms, 0);
}

TEST(LoaderTest, NumericLevelsOutsideTheirNumberingAreRejected) {
  EXPECT_THAT(
      Problems(
          WithWorld(R"(  "steps": [{"name": "c1", "user": "alice", "from": "ws1", "call": "web",
    "level": {"rpc_c_imp_level": 5},
    "then": [{"duplicate_token": {"security_impersonation_level": 4}},
             {"impersonate_self": {"rpc_c_imp_level": 0}},
             {"impersonate_self": {"rpc_imp_level": 2}}]}]
})")),
      ElementsAre("t.json:10: $.steps[0].level.rpc_c_imp_level: unknown level value 5 (IL-1 "
                  "rejects values outside RPC_C_IMP_LEVEL: 0 default, 1 anonymous, 2 identify, "
                  "3 impersonate, 4 delegate)",
                  "t.json:11: $.steps[0].then[0].duplicate_token.security_impersonation_level: "
                  "unknown level value 4 (IL-1 rejects values outside "
                  "SECURITY_IMPERSONATION_LEVEL: 0 anonymous, 1 identification, 2 "
                  "impersonation, 3 delegation)",
                  "t.json:12: $.steps[0].then[1].impersonate_self.rpc_c_imp_level: 0 "
                  "(RPC_C_IMP_LEVEL_DEFAULT) is not a level here; give the level itself",
                  "t.json:13: $.steps[0].then[2].impersonate_self.rpc_imp_level: unknown level "
                  "numbering 'rpc_imp_level' (did you mean 'rpc_c_imp_level'?)"));
}

// Every scenario shipped in scenarios/ loads without problems.
TEST(LoaderTest, ShippedScenariosLoad) {
  std::filesystem::path dir = std::filesystem::path(SourceDir()) / "scenarios";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no scenarios/ folder";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    LoadResult r = LoadScenarioFile(entry.path().string());
    std::string all;
    for (const Problem& p : r.problems) all += p.ToString() + "\n";
    EXPECT_TRUE(r.ok()) << all;
  }
}

}  // namespace
}  // namespace delegsim::sim
