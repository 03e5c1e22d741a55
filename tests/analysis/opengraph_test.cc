// `delegsim export --format opengraph`: reach's flows as BloodHound CE OpenGraph JSON. The
// document has the schema's shape (graph.nodes with id, 1-3 kinds and primitive
// properties; graph.edges with kind, start/end {value, match_by} naming existing nodes;
// metadata.source_kind), and carries each flow's mechanism and rule ids.
#include "analysis/opengraph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "analysis/prober.h"
#include "analysis/reach.h"
#include "cli/commands.h"
#include "cli/export_command.h"
#include "sim/loader.h"
#include "tests/scenario_library.h"

namespace delegsim::analysis {
namespace {

using Json = nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;

std::string Library(const std::string& name) {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/scenarios/" + name + ".json";
}

// Every schema constraint OpenGraph states, as a list of violations ("" when none).
std::string SchemaViolations(const Json& doc) {
  std::string bad;
  auto fail = [&](const std::string& s) { bad += s + "\n"; };
  if (!doc.is_object() || !doc.contains("graph") || !doc["graph"].is_object()) {
    return "no graph object\n";
  }
  if (!doc.contains("metadata") || !doc["metadata"].value("source_kind", Json()).is_string()) {
    fail("metadata.source_kind is not a string");
  }
  const Json& g = doc["graph"];
  if (!g.value("nodes", Json()).is_array()) return bad + "graph.nodes is not an array\n";
  if (!g.value("edges", Json()).is_array()) return bad + "graph.edges is not an array\n";
  auto check_properties = [&](const Json& props, const std::string& where) {
    if (!props.is_object()) return fail(where + ".properties is not an object");
    for (const auto& [key, value] : props.items()) {
      if (value.is_object()) fail(where + ".properties." + key + " is an object");
      if (value.is_array()) {
        for (const Json& item : value) {
          if (item.is_object() || item.is_array() || item.type() != value.front().type()) {
            fail(where + ".properties." + key + " is not a homogeneous array of primitives");
            break;
          }
        }
      }
    }
  };
  std::set<std::string> ids;
  for (size_t i = 0; i < g["nodes"].size(); ++i) {
    const Json& n = g["nodes"][i];
    std::string where = "nodes[" + std::to_string(i) + "]";
    if (!n.value("id", Json()).is_string() || n["id"].get<std::string>().empty()) {
      fail(where + ".id is not a non-empty string");
      continue;
    }
    if (!ids.insert(n["id"].get<std::string>()).second) fail(where + ".id is repeated");
    const Json& kinds = n.value("kinds", Json());
    if (!kinds.is_array() || kinds.empty() || kinds.size() > 3) fail(where + ".kinds: 1 to 3");
    for (const Json& k : kinds) {
      if (!k.is_string()) fail(where + ".kinds holds a non-string");
    }
    if (n.contains("properties")) check_properties(n["properties"], where);
  }
  for (size_t i = 0; i < g["edges"].size(); ++i) {
    const Json& e = g["edges"][i];
    std::string where = "edges[" + std::to_string(i) + "]";
    if (!e.value("kind", Json()).is_string()) fail(where + ".kind is not a string");
    for (const char* end : {"start", "end"}) {
      const Json& ref = e.value(end, Json());
      if (!ref.is_object() || !ref.value("value", Json()).is_string()) {
        fail(where + "." + end + ".value is not a string");
        continue;
      }
      std::string match_by = ref.value("match_by", "id");
      if (match_by != "id" && match_by != "name") fail(where + "." + end + ".match_by");
      if (!ids.count(ref["value"].get<std::string>())) {
        fail(where + "." + end + " names no node: " + ref["value"].get<std::string>());
      }
    }
    if (e.contains("properties")) check_properties(e["properties"], where);
  }
  return bad;
}

const Json* FindEdge(const Json& doc, const std::string& start, const std::string& kind,
                     const std::string& end) {
  for (const Json& e : doc["graph"]["edges"]) {
    if (e["start"]["value"] == start && e["kind"] == kind && e["end"]["value"] == end) return &e;
  }
  return nullptr;
}

TEST(OpenGraph, AliceReachesDbByRbcdWithItsRules) {
  sim::LoadResult loaded = sim::LoadScenarioFile(Library("rbcd-resource-decides-who-may-delegate"));
  ASSERT_TRUE(loaded.ok());
  Prober prober(*loaded.scenario);
  ASSERT_TRUE(prober.status().ok());
  Reach reach(prober, {});
  StatusOr<std::vector<Flow>> flows = reach.ForIdentity(*prober.directory().Find("alice"));
  ASSERT_TRUE(flows.ok());
  Json doc = Json::parse(RenderOpenGraph(prober, *flows));
  EXPECT_EQ(SchemaViolations(doc), "");
  EXPECT_EQ(doc["metadata"]["source_kind"], "DelegSim");
  const Json* rbcd = FindEdge(doc, "ALICE@CORP.EXAMPLE", "DSRbcd", "SERVICE:db");
  ASSERT_NE(rbcd, nullptr) << doc.dump(2);
  const Json& p = (*rbcd)["properties"];
  EXPECT_EQ(p["mechanism"], "rbcd");
  EXPECT_THAT(p["rules"].get<std::vector<std::string>>(), Contains("RB-1"));
  EXPECT_EQ(p["chain"], Json({"web", "db"}));
  EXPECT_EQ(p["levels"], Json({"impersonate"}));
  // The flow's number as `reach --identity alice` numbers it (#7), for --emit-scenario.
  EXPECT_EQ(p["flow_numbers"], Json({7}));
  // Never files by RBCD; db hosted on db1.
  EXPECT_EQ(FindEdge(doc, "ALICE@CORP.EXAMPLE", "DSRbcd", "SERVICE:files"), nullptr);
  EXPECT_NE(FindEdge(doc, "SERVICE:db", "DSHostedOn", "HOST:db1"), nullptr);
  for (const Json& n : doc["graph"]["nodes"]) {
    if (n["id"] == "ALICE@CORP.EXAMPLE") {
      EXPECT_EQ(n["kinds"], Json({"DSPrincipal"}));
      EXPECT_EQ(n["properties"]["principal_kind"], "user");
    }
  }
}

TEST(OpenGraph, CompromisedKeysActAsTheIdentitiesTheyGive) {
  sim::LoadResult loaded = sim::LoadScenarioFile(Library("rbcd-resource-decides-who-may-delegate"));
  ASSERT_TRUE(loaded.ok());
  Prober prober(*loaded.scenario);
  ASSERT_TRUE(prober.status().ok());
  Reach reach(prober, {});
  StatusOr<std::vector<Flow>> flows = reach.ForCompromised({*prober.directory().Find("svc_web")});
  ASSERT_TRUE(flows.ok());
  Json doc = Json::parse(RenderOpenGraph(prober, *flows));
  EXPECT_EQ(SchemaViolations(doc), "");
  const Json* acts = FindEdge(doc, "SVC_WEB@CORP.EXAMPLE", "DSKeysActAs", "ALICE@CORP.EXAMPLE");
  ASSERT_NE(acts, nullptr) << doc.dump(2);
  EXPECT_THAT((*acts)["properties"]["services"].get<std::vector<std::string>>(), Contains("db"));
  const Json* rbcd = FindEdge(doc, "ALICE@CORP.EXAMPLE", "DSRbcd", "SERVICE:db");
  ASSERT_NE(rbcd, nullptr);
  EXPECT_EQ((*rbcd)["properties"]["via"], Json({"svc_web@CORP.EXAMPLE"}));
}

// The command: every flow of every library scenario (no question), valid for the schema.
TEST(OpenGraph, ExportOfEveryLibraryScenarioHasTheSchemasShape) {
  size_t with_edges = 0, files = 0;
  for (const std::filesystem::path& file : delegsim::testing::ScenarioFiles()) {
    ++files;
    cli::ExportOptions o;
    o.file = file.string();
    o.format = "opengraph";
    o.max_hops = 3;
    o.quiet = true;
    std::ostringstream out, err;
    ASSERT_EQ(cli::ExportCommand(o, out, err), cli::kExitOk) << file << ": " << err.str();
    Json doc = Json::parse(out.str(), nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << file;
    EXPECT_EQ(SchemaViolations(doc), "") << file;
    for (const Json& edge : doc["graph"]["edges"]) {
      if (edge["kind"] != "DSHostedOn" && edge["kind"] != "DSKeysActAs") {
        EXPECT_TRUE(edge["properties"]["mechanism"].is_string()) << file;
        EXPECT_FALSE(edge["properties"]["rules"].empty()) << file;
        ++with_edges;
      }
    }
  }
  EXPECT_GT(files, 10u);
  EXPECT_GT(with_edges, files);
}

}  // namespace
}  // namespace delegsim::analysis
