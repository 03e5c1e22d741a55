// Imports the project's own collector files (tests/importer/data, written for delegsim by
// make_fixtures.py: three domains in two forests, a forest trust, an external trust, and
// every delegation kind) and checks the scenario they map to, field by field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/import_command.h"
#include "importer/bloodhound_file.h"
#include "importer/bloodhound_import.h"
#include "importer/spn_services.h"
#include "kdc/directory.h"
#include "sim/loader.h"
#include "sim/scenario_writer.h"

namespace delegsim::importer {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

fs::path SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}
fs::path Data(const std::string& name) {
  return SourceDir() / "tests" / "importer" / "data" / name;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fresh temporary folder, removed with the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "delegsim-import-XXXXXX").string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    path_ = mkdtemp(name.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Zips every file of `folder` into `zip_path` (as the collector does), with libzip.
void ZipFolder(const fs::path& folder, const fs::path& zip_path) {
  int error = 0;
  zip_t* zip = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(zip, nullptr);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> contents;
  contents.reserve(files.size());
  for (const fs::path& f : files) {
    contents.push_back(ReadFile(f));
    zip_source_t* src = zip_source_buffer(zip, contents.back().data(), contents.back().size(), 0);
    ASSERT_GE(zip_file_add(zip, f.filename().c_str(), src, ZIP_FL_ENC_UTF_8), 0);
  }
  ASSERT_EQ(zip_close(zip), 0);
}

const sim::AccountSpec& Account(const sim::Scenario& s, const std::string& name) {
  auto it = std::find_if(s.accounts.begin(), s.accounts.end(),
                         [&](const sim::AccountSpec& a) { return a.name == name; });
  if (it == s.accounts.end()) throw std::runtime_error("no account " + name);
  return *it;
}
const sim::GroupSpec& Group(const sim::Scenario& s, const std::string& name,
                            const std::string& domain) {
  auto it = std::find_if(s.groups.begin(), s.groups.end(), [&](const sim::GroupSpec& g) {
    return g.name == name && g.domain == domain;
  });
  if (it == s.groups.end()) throw std::runtime_error("no group " + name);
  return *it;
}
const sim::ServiceSpec& Service(const sim::Scenario& s, const std::string& name) {
  auto it = std::find_if(s.services.begin(), s.services.end(),
                         [&](const sim::ServiceSpec& v) { return v.name == name; });
  if (it == s.services.end()) throw std::runtime_error("no service " + name);
  return *it;
}
const sim::DomainSpec& Domain(const sim::Scenario& s, const std::string& realm) {
  auto it = std::find_if(s.domains.begin(), s.domains.end(),
                         [&](const sim::DomainSpec& d) { return d.realm == realm; });
  if (it == s.domains.end()) throw std::runtime_error("no domain " + realm);
  return *it;
}

ImportResult ImportV6() { return ImportBloodHound({Data("corp-v6").string()}, {.name = "corp"}); }

TEST(BloodHoundImport, MapsDomainsForestsAndTrusts) {
  ImportResult r = ImportV6();
  ASSERT_TRUE(r.ok()) << r.problems.front().ToString();
  const sim::Scenario& s = *r.scenario;
  EXPECT_EQ(s.name, "corp");
  ASSERT_EQ(s.domains.size(), 4u);
  EXPECT_EQ(Domain(s, "CORP.EXAMPLE").functional_level, 7);     // "2016"
  EXPECT_EQ(Domain(s, "CORP.EXAMPLE").dc_host, "dc1");          // IsDC
  EXPECT_EQ(Domain(s, "EU.CORP.EXAMPLE").functional_level, 6);  // "2012 R2"
  // The child domain joins the root's forest through the within-forest trust.
  EXPECT_EQ(Domain(s, "EU.CORP.EXAMPLE").forest, "CORP.EXAMPLE");
  EXPECT_EQ(Domain(s, "PARTNER.EXAMPLE").forest, "PARTNER.EXAMPLE");
  // LEGACY.EXAMPLE is known only from EU's trust: added with the defaults, and said so.
  EXPECT_EQ(Domain(s, "LEGACY.EXAMPLE").functional_level, 7);
  EXPECT_THAT(r.summary.notes, testing::Contains(HasSubstr("LEGACY.EXAMPLE: known only from a "
                                                           "trust of EU.CORP.EXAMPLE")));
  // The parent-child trust is implied by the forest; two explicit trusts remain.
  ASSERT_EQ(s.trusts.size(), 2u);
  const sim::TrustSpec& forest = s.trusts[0];
  EXPECT_EQ(forest.trusting, "CORP.EXAMPLE");
  EXPECT_EQ(forest.trusted, "PARTNER.EXAMPLE");
  EXPECT_TRUE(forest.two_way);
  EXPECT_EQ(forest.attributes, kdc::trust_attr::kForestTransitive);
  const sim::TrustSpec& external = s.trusts[1];  // EU trusts LEGACY (outbound), one way
  EXPECT_EQ(external.trusting, "EU.CORP.EXAMPLE");
  EXPECT_EQ(external.trusted, "LEGACY.EXAMPLE");
  EXPECT_FALSE(external.two_way);
  EXPECT_EQ(external.attributes,
            kdc::trust_attr::kQuarantinedDomain | kdc::trust_attr::kNonTransitive);
  EXPECT_EQ(r.summary.Count("within-forest trusts"), 1u);
  EXPECT_EQ(r.summary.Count("forests"), 3u);
}

TEST(BloodHoundImport, MapsEveryDelegationKind) {
  ImportResult r = ImportV6();
  ASSERT_TRUE(r.ok());
  const sim::Scenario& s = *r.scenario;
  // Unconstrained (TRUSTED_FOR_DELEGATION), on a service account and on every DC.
  EXPECT_TRUE(Account(s, "svc_web").trusted_for_delegation);
  EXPECT_TRUE(Account(s, "DC1$").trusted_for_delegation);
  EXPECT_FALSE(Account(s, "WEB1$").trusted_for_delegation);
  // Constrained with protocol transition.
  const sim::AccountSpec& app = Account(s, "svc_app");
  EXPECT_TRUE(app.trusted_to_auth_for_delegation);
  EXPECT_THAT(app.allowed_to_delegate_to,
              ElementsAre("MSSQLSvc/db1.corp.example:1433", "MSSQLSvc/db1:1433"));
  EXPECT_EQ(app.kind, sim::AccountKind::kService);
  // Constrained, Kerberos only, on a computer account.
  const sim::AccountSpec& fs1 = Account(s, "EUFS1$");
  EXPECT_FALSE(fs1.trusted_to_auth_for_delegation);
  EXPECT_THAT(fs1.allowed_to_delegate_to, ElementsAre("cifs/eufs2.eu.corp.example"));
  EXPECT_EQ(fs1.domain, "EU.CORP.EXAMPLE");
  // Resource-based: DB1 lets svc_web act; the unknown SID beside it is skipped.
  EXPECT_THAT(Account(s, "DB1$").allowed_to_act, ElementsAre("svc_web@CORP.EXAMPLE"));
  EXPECT_EQ(r.summary.skipped.at("allowed-to-act entry: SID not in the collection").count, 1u);
  // Sensitive -> NOT_DELEGATED; disabled.
  EXPECT_TRUE(Account(s, "bob").not_delegated);
  EXPECT_FALSE(Account(s, "alice").not_delegated);
  EXPECT_TRUE(Account(s, "dave").disabled);
  EXPECT_TRUE(Account(s, "EUFS2$").disabled);
  EXPECT_EQ(Account(s, "alice").kind, sim::AccountKind::kUser);
  EXPECT_EQ(Account(s, "svc_eu").kind, sim::AccountKind::kService);  // a gMSA
  EXPECT_EQ(Account(s, "WEB1$").kind, sim::AccountKind::kComputer);
  EXPECT_EQ(r.summary.Count("unconstrained"), 4u);
  EXPECT_EQ(r.summary.Count("constrained"), 2u);
  EXPECT_EQ(r.summary.Count("protocol transition"), 1u);
  EXPECT_EQ(r.summary.Count("resource-based"), 1u);
}

TEST(BloodHoundImport, MapsGroupsNestingPrimaryGroupsAndProtectedUsersByRid) {
  ImportResult r = ImportV6();
  ASSERT_TRUE(r.ok());
  const sim::Scenario& s = *r.scenario;
  EXPECT_THAT(Group(s, "Staff", "CORP.EXAMPLE").members,
              ElementsAre("alice@CORP.EXAMPLE", "Web Admins@CORP.EXAMPLE", "erik@EU.CORP.EXAMPLE"));
  EXPECT_THAT(Group(s, "Protected Users", "CORP.EXAMPLE").members,
              ElementsAre("carol@CORP.EXAMPLE"));
  // RID 525 under another name is Protected Users to the simulator (PU-*).
  EXPECT_THAT(Group(s, "Protected Users", "EU.CORP.EXAMPLE").members,
              ElementsAre("erik@EU.CORP.EXAMPLE"));
  EXPECT_THAT(r.summary.notes, testing::Contains(HasSubstr("RID 525, imported as")));
  // The primary group is not in the group's Members: it comes from PrimaryGroupSID.
  EXPECT_THAT(Account(s, "alice").member_of, ElementsAre("Domain Users@CORP.EXAMPLE"));
  EXPECT_THAT(Account(s, "DC1$").member_of, ElementsAre("Domain Controllers@CORP.EXAMPLE"));
  EXPECT_EQ(r.summary.skipped.at("group member: SID not in the collection").examples.at(0),
            "Staff@CORP.EXAMPLE: S-1-5-21-1000-2000-3000-1999");
  EXPECT_EQ(r.summary.skipped.count("krbtgt (the simulated KDC's own account)"), 1u);
}

TEST(BloodHoundImport, MakesServicesFromSpnsWithTheirTransports) {
  ImportResult r = ImportV6();
  ASSERT_TRUE(r.ok());
  const sim::Scenario& s = *r.scenario;
  ASSERT_EQ(s.hosts.size(), 10u);
  EXPECT_EQ(s.hosts[1].name, "web1");
  EXPECT_EQ(s.hosts[1].domain, "CORP.EXAMPLE");
  // HOST and RestrictedKrbHost, short and qualified: one service of the machine.
  const sim::ServiceSpec& host = Service(s, "web1:host");
  EXPECT_EQ(host.account, "WEB1$@CORP.EXAMPLE");
  EXPECT_EQ(host.spn, "HOST/web1.corp.example");
  EXPECT_THAT(host.transports, ElementsAre(v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP,
                                           v1::TRANSPORT_NCACN_NP));
  const sim::ServiceSpec& web = Service(s, "web1:http");
  EXPECT_EQ(web.account, "svc_web@CORP.EXAMPLE");
  EXPECT_THAT(web.transports, ElementsAre(v1::TRANSPORT_NCACN_IP_TCP));
  const sim::ServiceSpec& sql = Service(s, "db1:mssqlsvc:1433");
  EXPECT_EQ(sql.account, "svc_sql@CORP.EXAMPLE");
  EXPECT_EQ(sql.spn, "MSSQLSvc/db1.corp.example:1433");
  EXPECT_EQ(
      r.summary.skipped.at("SPN of a host not in the collection (no service made)").examples.at(0),
      "svc_old@CORP.EXAMPLE: http/old.corp.example");
}

TEST(BloodHoundImport, TheScenarioLoads) {
  ImportResult r = ImportV6();
  ASSERT_TRUE(r.ok());
  sim::LoadResult loaded = sim::LoadScenarioText(sim::WriteScenarioJson(*r.scenario), "corp.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.front().ToString();
  EXPECT_TRUE(loaded.scenario->steps.empty());
}

TEST(BloodHoundImport, VersionFiveAndSixOfOneDirectoryImportAlike) {
  ImportResult v5 = ImportBloodHound({Data("corp-v5").string()}, {.name = "corp"});
  ImportResult v6 = ImportV6();
  ASSERT_TRUE(v5.ok()) << v5.problems.front().ToString();
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(sim::WriteScenarioJson(*v5.scenario), sim::WriteScenarioJson(*v6.scenario));
}

TEST(BloodHoundImport, ReadsAZipAndFilesNamedOneByOne) {
  TempDir tmp;
  ZipFolder(Data("corp-v6"), tmp / "20250101000000_collection.zip");
  ImportResult zipped =
      ImportBloodHound({(tmp / "20250101000000_collection.zip").string()}, {.name = "corp"});
  ASSERT_TRUE(zipped.ok()) << zipped.problems.front().ToString();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(Data("corp-v6"))) files.push_back(e.path());
  ImportResult named = ImportBloodHound(files, {.name = "corp"});
  ASSERT_TRUE(named.ok());
  std::string expected = sim::WriteScenarioJson(*ImportV6().scenario);
  EXPECT_EQ(sim::WriteScenarioJson(*zipped.scenario), expected);
  EXPECT_EQ(sim::WriteScenarioJson(*named.scenario), expected);
  EXPECT_THAT(zipped.summary.files.at(0), HasSubstr("collection.zip!20250101000000_computers"));
}

// --- bad input ---------------------------------------------------------------------------

std::vector<std::string> Problems(const ImportResult& r) {
  std::vector<std::string> out;
  for (const ImportProblem& p : r.problems) out.push_back(p.ToString());
  return out;
}

TEST(BloodHoundImportErrors, ATruncatedZipNamesTheFile) {
  TempDir tmp;
  ZipFolder(Data("corp-v6"), tmp / "full.zip");
  std::string bytes = ReadFile(tmp / "full.zip");
  std::ofstream(tmp / "cut.zip", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  ImportResult r = ImportBloodHound({(tmp / "cut.zip").string()}, {});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(Problems(r), ElementsAre(HasSubstr("cut.zip: not a readable zip archive")));
}

TEST(BloodHoundImportErrors, AFileOfAnotherFormat) {
  TempDir tmp;
  std::ofstream(tmp / "scenario.json") << ReadFile(SourceDir() / "scenarios" / "two-hop.json");
  std::ofstream(tmp / "picture.zip") << "\x89PNG\r\n\x1a\n not a zip";
  ImportResult r = ImportBloodHound({(tmp / "scenario.json").string()}, {});
  EXPECT_THAT(Problems(r), ElementsAre(HasSubstr("scenario.json: not a BloodHound collector "
                                                 "file")));
  r = ImportBloodHound({(tmp / "picture.zip").string()}, {});
  EXPECT_THAT(Problems(r), ElementsAre(HasSubstr("picture.zip: not a readable zip archive")));
}

TEST(BloodHoundImportErrors, MalformedJsonGivesTheLine) {
  TempDir tmp;
  std::ofstream(tmp / "x_users.json") << "{\"data\": [\n  {\"ObjectIdentifier\": \"S-1\",\n"
                                         "   \"Properties\": {\"enabled\": tru}}\n]}";
  ImportResult r = ImportBloodHound({(tmp / "x_users.json").string()}, {});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_THAT(r.problems[0].ToString(), HasSubstr("x_users.json:3: malformed JSON at column"));
}

TEST(BloodHoundImportErrors, AnUnknownVersionNamesMetaVersion) {
  TempDir tmp;
  std::ofstream(tmp / "old_users.json") << R"({"users": [], "data": [], "meta": {"type": "users",
    "count": 0, "version": 3}})";
  ImportResult r = ImportBloodHound({(tmp / "old_users.json").string()}, {});
  EXPECT_THAT(Problems(r),
              ElementsAre(HasSubstr("old_users.json: $.meta.version: unsupported collector format "
                                    "version 3")));
}

TEST(BloodHoundImportErrors, WrongTypesAreReportedEachWithItsPath) {
  TempDir tmp;
  std::ofstream(tmp / "bad_users.json") << R"({"data": [
    {"ObjectIdentifier": "S-1-5-21-1-2-3-1000", "Properties": {"name": "A@X.EXAMPLE",
      "enabled": "yes", "allowedtodelegate": ["http/a", 7]}},
    {"Properties": {"name": "B@X.EXAMPLE"}},
    {"ObjectIdentifier": "S-1-5-21-1-2-3-1002", "Properties": {"name": "C@X.EXAMPLE"},
     "AllowedToAct": [{"ObjectType": "User"}]}
  ], "meta": {"type": "users", "count": 3, "version": 6}})";
  ImportResult r = ImportBloodHound({(tmp / "bad_users.json").string()}, {});
  std::string f = (tmp / "bad_users.json").string();
  EXPECT_THAT(Problems(r),
              ElementsAre(f + ": $.data[0].Properties.enabled: expected a boolean, got string",
                          f + ": $.data[0].Properties.allowedtodelegate[1]: expected a string, "
                              "got number",
                          f + ": $.data[1].ObjectIdentifier: missing the object's SID",
                          f + ": $.data[2].AllowedToAct[0].ObjectIdentifier: missing the "
                              "principal's SID"));
}

TEST(BloodHoundImportErrors, FilesOfUnusedTypesAreReadButNotMapped) {
  TempDir tmp;
  fs::copy(Data("corp-v6"), tmp.path(), fs::copy_options::recursive);
  std::ofstream(tmp / "20250101000000_gpos.json")
      << R"({"data": [{"weird": true}], "meta": {"type": "gpos", "count": 1, "version": 6}})";
  std::ofstream(tmp / "readme.txt") << "not json";
  ImportResult r = ImportBloodHound({tmp.path().string()}, {.name = "corp"});
  ASSERT_TRUE(r.ok()) << r.problems.front().ToString();
  EXPECT_THAT(r.summary.files, testing::Contains(HasSubstr("gpos.json (gpos, v6, not used)")));
  EXPECT_EQ(r.summary.skipped.at("not a JSON file").count, 1u);
}

TEST(BloodHoundImportErrors, NestingTooDeepIsRefused) {
  std::string text = "{\"data\": [" + std::string(100, '[') + std::string(100, ']') +
                     "], \"meta\": {\"type\": \"users\", \"version\": 6}}";
  BhFile f = ParseBloodHoundFile("deep.json", text);
  ASSERT_EQ(f.problems.size(), 1u);
  EXPECT_THAT(f.problems[0].ToString(), HasSubstr("nested deeper than 64 levels"));
}

TEST(BloodHoundFile, ReadsTrustEnumsByNameOrNumberAndRebuildsVersionFiveAttributes) {
  std::string text = R"({"data": [{"ObjectIdentifier": "S-1-5-21-9-9-9",
    "Properties": {"name": "A.EXAMPLE", "functionallevel": "2012"},
    "Trusts": [{"TargetDomainName": "B.EXAMPLE", "TrustDirection": 2, "TrustType": 2,
                "IsTransitive": true, "TGTDelegationEnabled": true},
               {"TargetDomainName": "C.EXAMPLE", "TrustDirection": "Inbound",
                "TrustType": "External", "TrustAttributes": "68"}]}],
    "meta": {"type": "domains", "count": 1, "version": 5}})";
  BhFile f = ParseBloodHoundFile("d.json", text);
  ASSERT_TRUE(f.problems.empty()) << f.problems[0].ToString();
  ASSERT_EQ(f.objects.at(0).trusts.size(), 2u);
  EXPECT_EQ(f.objects[0].trusts[0].direction, 2);
  EXPECT_EQ(f.objects[0].trusts[0].type, "Forest");
  EXPECT_EQ(f.objects[0].trusts[1].attributes, 68u);
  TempDir tmp;
  std::ofstream(tmp / "d.json") << text;
  ImportResult r = ImportBloodHound({(tmp / "d.json").string()}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.scenario->trusts.size(), 2u);
  // A trusts B (outbound); a forest trust with TGT delegation enabled (XR-1's 0x800).
  EXPECT_EQ(r.scenario->trusts[0].trusting, "A.EXAMPLE");
  EXPECT_EQ(
      r.scenario->trusts[0].attributes,
      kdc::trust_attr::kForestTransitive | kdc::trust_attr::kCrossOrganizationEnableTgtDelegation);
  // C trusts A (inbound), attributes as collected.
  EXPECT_EQ(r.scenario->trusts[1].trusting, "C.EXAMPLE");
  EXPECT_EQ(r.scenario->trusts[1].trusted, "A.EXAMPLE");
  EXPECT_EQ(r.scenario->trusts[1].attributes, 68u);
  EXPECT_EQ(r.scenario->domains[0].functional_level, 5);
}

TEST(SpnServices, ParsesSpnsAndKnowsTransports) {
  std::optional<Spn> s = ParseSpn("MSSQLSvc/db1.corp.example:1433");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->service_class, "MSSQLSvc");
  EXPECT_EQ(s->host, "db1.corp.example");
  EXPECT_EQ(s->port, "1433");
  EXPECT_EQ(ParseSpn("ldap/dc1.corp.example/corp.example")->host, "dc1.corp.example");
  EXPECT_FALSE(ParseSpn("nohost"));
  EXPECT_FALSE(ParseSpn("/x"));
  EXPECT_THAT(TransportsOfServiceClass("cifs"), ElementsAre(v1::TRANSPORT_NCACN_NP));
  EXPECT_THAT(TransportsOfServiceClass("HTTP"), ElementsAre(v1::TRANSPORT_NCACN_IP_TCP));
}

// --- the command ---------------------------------------------------------------------------

TEST(ImportCommand, WritesALoadableScenarioAndPrintsTheSummary) {
  TempDir tmp;
  std::ostringstream out, err;
  cli::ImportOptions options{{Data("corp-v6").string()}, (tmp / "corp.json").string(), ""};
  EXPECT_EQ(cli::ImportBloodHoundCommand(options, out, err), cli::kExitOk) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("4 domains in 3 forests"));
  EXPECT_THAT(out.str(), HasSubstr("1 krbtgt (the simulated KDC's own account)"));
  sim::LoadResult loaded = sim::LoadScenarioFile((tmp / "corp.json").string());
  ASSERT_TRUE(loaded.ok()) << loaded.problems.front().ToString();
  EXPECT_EQ(loaded.scenario->name, "corp-v6");
  // Nothing but the scenario is left in the folder (no temporary file).
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

TEST(ImportCommand, BadInputWritesNothingAndExitsTwo) {
  TempDir tmp;
  std::ofstream(tmp / "old.json") << "previous contents";
  std::ofstream(tmp / "broken_users.json") << "{\"data\": [";
  std::ostringstream out, err;
  cli::ImportOptions options{
      {(tmp / "broken_users.json").string()}, (tmp / "old.json").string(), ""};
  EXPECT_EQ(cli::ImportBloodHoundCommand(options, out, err), cli::kExitInvalid);
  EXPECT_THAT(err.str(), HasSubstr("broken_users.json:1: malformed JSON"));
  EXPECT_THAT(err.str(), HasSubstr("nothing was written"));
  EXPECT_EQ(ReadFile(tmp / "old.json"), "previous contents");
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 2);
}

TEST(ImportCommand, TheImportedDirectoryRunsACall) {
  TempDir tmp;
  ImportResult r = ImportV6();
  ASSERT_TRUE(r.ok());
  sim::Scenario s = *r.scenario;
  // alice on ws1 -> web1:http (svc_web, unconstrained) at delegate -> db1's SQL service.
  sim::StepSpec step;
  step.label = "c1";
  step.user = "alice";
  step.from_host = "ws1";
  step.call.set_service("web1:http");
  step.call.set_transport(v1::TRANSPORT_NCACN_IP_TCP);
  step.call.set_package(v1::PACKAGE_NEGOTIATE);
  step.call.set_level(v1::LEVEL_DELEGATE);
  step.call.set_mutual(true);
  v1::CallSpec* next = step.call.add_ops()->mutable_call();
  next->set_service("db1:mssqlsvc:1433");
  next->set_transport(v1::TRANSPORT_NCACN_IP_TCP);
  next->set_package(v1::PACKAGE_NEGOTIATE);
  next->set_mutual(true);
  s.steps.push_back(step);
  sim::Expectation e;
  e.path = "c1/web1:http/db1:mssqlsvc:1433";
  e.verdict = "allowed";
  e.identity = "alice@CORP.EXAMPLE";
  s.expectations.push_back(e);
  std::ofstream(tmp / "run.json") << sim::WriteScenarioJson(s);
  std::ostringstream out, err;
  cli::RunOptions run;
  run.file = (tmp / "run.json").string();
  run.runtime = "virtual";
  EXPECT_EQ(cli::RunCommand(run, out, err), cli::kExitOk) << out.str() << err.str();
  EXPECT_THAT(out.str(), HasSubstr("expectations: 1 passed, 0 failed"));
}

}  // namespace
}  // namespace delegsim::importer
