// delegsim-import-bench: imports a generated SharpHound (v6) collection of N objects and
// prints the time and peak memory. A benchmark, not a test: figures are printed, nothing
// is asserted but that the import succeeds.
//
//   build/bench/delegsim-import-bench --objects 100000
//
// The collection: 2 domains in one forest, 55% users (a tenth with SPNs, some with each
// delegation kind, some sensitive), 30% computers (RBCD on some), 15% groups (nested, with
// 20 members each), written to a temporary folder and removed afterwards.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "importer/bloodhound_import.h"
#include "sim/scenario_writer.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kDomainSid[] = {"S-1-5-21-500-600-700", "S-1-5-21-510-610-710"};
constexpr const char* kRealm[] = {"CORP.EXAMPLE", "EU.CORP.EXAMPLE"};

std::string Sid(int domain, size_t rid) {
  return std::string(kDomainSid[domain]) + "-" + std::to_string(rid);
}

// CPU time (user + system) of this process so far, in milliseconds: on a shared machine a
// fairer figure than the wall clock.
double CpuMs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

// Peak resident set size of this process, in MiB.
double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// One collector file, written as SharpHound does: {"data": [...], "meta": {...}}.
class CollectorFile {
 public:
  CollectorFile(const fs::path& path, std::string type) : out_(path), type_(std::move(type)) {
    out_ << "{\"data\":[";
  }
  void Add(const std::string& object) { out_ << (count_++ ? "," : "") << object; }
  ~CollectorFile() {
    out_ << "],\"meta\":{\"methods\":521215,\"type\":\"" << type_ << "\",\"count\":" << count_
         << ",\"version\":6,\"collectorversion\":\"2.5.7.0\"}}";
  }

 private:
  std::ofstream out_;
  std::string type_;
  size_t count_ = 0;
};

std::string Common(int d, const std::string& sid, const std::string& name) {
  return "\"ObjectIdentifier\":\"" + sid + "\",\"IsDeleted\":false,\"IsACLProtected\":false," +
         "\"Aces\":[],\"ContainedBy\":{\"ObjectIdentifier\":\"" + kDomainSid[d] +
         "\",\"ObjectType\":\"Domain\"},\"Properties\":{\"name\":\"" + name + "\",\"domain\":\"" +
         kRealm[d] + "\",\"domainsid\":\"" + kDomainSid[d] +
         "\",\"highvalue\":false,\"description\":null,\"whencreated\":1700000000,";
}

void Generate(const fs::path& dir, size_t objects) {
  size_t users = objects * 55 / 100;
  size_t computers = objects * 30 / 100;
  size_t groups = objects - users - computers - 2;
  {
    CollectorFile f(dir / "20250101000000_domains.json", "domains");
    for (int d = 0; d < 2; ++d) {
      std::string trust = std::string("{\"TargetDomainSid\":\"") + kDomainSid[1 - d] +
                          "\",\"TargetDomainName\":\"" + kRealm[1 - d] +
                          "\",\"IsTransitive\":true,\"SidFilteringEnabled\":false,"
                          "\"TGTDelegationEnabled\":true,\"TrustAttributes\":32,"
                          "\"TrustDirection\":\"Bidirectional\",\"TrustType\":\"ParentChild\"}";
      f.Add("{" + Common(d, kDomainSid[d], kRealm[d]) +
            "\"functionallevel\":\"2016\"},\"Trusts\":[" + trust +
            "],\"Links\":[],\"ChildObjects\":[],\"ForestRootIdentifier\":\"" + kDomainSid[0] +
            "\"}");
    }
  }
  {
    CollectorFile f(dir / "20250101000000_computers.json", "computers");
    for (size_t i = 0; i < computers; ++i) {
      int d = i % 7 == 0 ? 1 : 0;
      std::string host = "host" + std::to_string(i);
      std::string fqdn = host + "." + kRealm[d];
      std::string act;
      if (i % 50 == 1)
        act = "{\"ObjectIdentifier\":\"" + Sid(d, 100000 + i) + "\",\"ObjectType\":\"User\"}";
      f.Add("{" + Common(d, Sid(d, 200000 + i), fqdn) + "\"samaccountname\":\"" + host +
            "$\",\"enabled\":" + (i % 40 == 3 ? "false" : "true") +
            ",\"unconstraineddelegation\":" + (i % 500 == 0 ? "true" : "false") +
            ",\"trustedtoauth\":false,\"isdc\":" + (i < 2 ? "true" : "false") +
            ",\"operatingsystem\":\"Windows Server 2022\",\"serviceprincipalnames\":[\"HOST/" +
            host + "\",\"HOST/" + fqdn + "\",\"RestrictedKrbHost/" + fqdn + "\",\"TERMSRV/" + fqdn +
            "\"]},\"PrimaryGroupSID\":\"" + Sid(d, 515) +
            "\",\"AllowedToDelegate\":[],\"AllowedToAct\":[" + act +
            "],\"HasSIDHistory\":[],\"Sessions\":{\"Results\":[],\"Collected\":false},"
            "\"LocalGroups\":[],\"UserRights\":[],\"IsDC\":" +
            (i < 2 ? "true" : "false") + "}");
    }
  }
  {
    CollectorFile f(dir / "20250101000000_users.json", "users");
    for (size_t i = 0; i < users; ++i) {
      int d = i % 7 == 0 ? 1 : 0;
      std::string sam = "user" + std::to_string(i);
      std::string spns;
      std::string a2d2;
      if (i % 10 == 0) {
        spns = "\"http/host" + std::to_string(i % computers) + "." +
               kRealm[i % computers % 7 == 0 ? 1 : 0] + "\"";
      }
      if (i % 100 == 0) a2d2 = "\"MSSQLSvc/host" + std::to_string((i + 1) % computers) + ":1433\"";
      f.Add("{" + Common(d, Sid(d, 100000 + i), sam + "@" + kRealm[d]) + "\"samaccountname\":\"" +
            sam + "\",\"enabled\":true,\"sensitive\":" + (i % 25 == 0 ? "true" : "false") +
            ",\"unconstraineddelegation\":" + (i % 1000 == 0 ? "true" : "false") +
            ",\"trustedtoauth\":" + (i % 200 == 0 ? "true" : "false") +
            ",\"serviceprincipalnames\":[" + spns + "],\"allowedtodelegate\":[" + a2d2 +
            "],\"hasspn\":" + (spns.empty() ? "false" : "true") +
            ",\"sidhistory\":[]},\"PrimaryGroupSID\":\"" + Sid(d, 513) +
            "\",\"AllowedToDelegate\":[],\"HasSIDHistory\":[],\"SPNTargets\":[],"
            "\"UnconstrainedDelegation\":false,\"DomainSID\":\"" +
            kDomainSid[d] + "\"}");
    }
  }
  {
    CollectorFile f(dir / "20250101000000_groups.json", "groups");
    for (size_t g = 0; g < groups; ++g) {
      int d = g % 7 == 0 ? 1 : 0;
      size_t rid = g == 0 ? 513 : g == 1 ? 515 : g == 2 ? 525 : 300000 + g;
      std::string name = g == 0   ? "Domain Users"
                         : g == 1 ? "Domain Computers"
                         : g == 2 ? "Protected Users"
                                  : "group" + std::to_string(g);
      if (g < 3) d = 0;
      std::string members;
      for (size_t m = 0; m < 20 && g >= 3; ++m) {
        size_t u = (g * 20 + m) % users;
        int ud = u % 7 == 0 ? 1 : 0;
        members += (m ? "," : "") + std::string("{\"ObjectIdentifier\":\"") + Sid(ud, 100000 + u) +
                   "\",\"ObjectType\":\"User\"}";
      }
      if (g > 3) {  // nesting
        int pd = (g - 1) % 7 == 0 ? 1 : 0;
        members +=
            ",{\"ObjectIdentifier\":\"" + Sid(pd, 300000 + g - 1) + "\",\"ObjectType\":\"Group\"}";
      }
      f.Add("{" + Common(d, Sid(d, rid), name + "@" + kRealm[d]) + "\"samaccountname\":\"" + name +
            "\",\"admincount\":false},\"Members\":[" + members + "]}");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"delegsim-import-bench: import a generated SharpHound collection"};
  size_t objects = 100'000;
  app.add_option("--objects", objects, "Objects in the collection")
      ->check(CLI::Range(size_t{100}, size_t{2'000'000}));
  CLI11_PARSE(app, argc, argv);

  std::string pattern = (fs::temp_directory_path() / "delegsim-import-bench-XXXXXX").string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (mkdtemp(name.data()) == nullptr) {
    std::cerr << "cannot create a temporary folder\n";
    return 2;
  }
  fs::path dir(name.data());
  Generate(dir, objects);
  uintmax_t bytes = 0;
  for (const auto& e : fs::directory_iterator(dir)) bytes += e.file_size();
  double rss_before = PeakRssMiB();

  double cpu0 = CpuMs();
  auto t0 = std::chrono::steady_clock::now();
  delegsim::importer::ImportResult r = delegsim::importer::ImportBloodHound({dir.string()}, {});
  auto t1 = std::chrono::steady_clock::now();
  double cpu1 = CpuMs();
  std::string text = r.ok() ? delegsim::sim::WriteScenarioJson(*r.scenario) : "";
  auto t2 = std::chrono::steady_clock::now();
  double cpu2 = CpuMs();
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!r.ok()) {
    for (const auto& p : r.problems) std::cerr << p.ToString() << "\n";
    return 1;
  }
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf("collection: %zu objects, %.1f MiB of JSON (4 files, v6)\n", objects,
              static_cast<double>(bytes) / (1 << 20));
  std::printf("import:     %.0f ms wall, %.0f ms CPU (%.1f us CPU per object)\n", ms(t0, t1),
              cpu1 - cpu0, (cpu1 - cpu0) * 1000 / objects);
  std::printf("write:      %.0f ms wall, %.0f ms CPU, scenario %.1f MiB\n", ms(t1, t2), cpu2 - cpu1,
              static_cast<double>(text.size()) / (1 << 20));
  std::printf("imported:   %zu accounts, %zu groups, %zu hosts, %zu services; %zu skipped\n",
              r.scenario->accounts.size(), r.scenario->groups.size(), r.scenario->hosts.size(),
              r.scenario->services.size(), r.summary.SkippedCount());
  std::printf("peak RSS:   %.0f MiB (%.0f MiB before the import)\n", PeakRssMiB(), rss_before);
  return 0;
}
