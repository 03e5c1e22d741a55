#include "bench/directory_generator.h"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <string>

namespace delegsim::bench {
namespace {

// splitmix64: the same numbers on every platform (no std distributions).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // True with probability percent / 100.
  bool Chance(int percent) { return static_cast<int>(Next() % 100) < percent; }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

constexpr const char* kRealms[] = {"CORP.EXAMPLE", "PARTNER.EXAMPLE"};
constexpr const char* kSuffix[] = {".corp.example", ".partner.example"};

}  // namespace

sim::Scenario GenerateDirectory(const DirectoryShape& shape) {
  Random rnd(shape.seed);
  sim::Scenario s;
  s.name = "generated-" + std::to_string(shape.users) + "-users";
  s.seed = shape.seed;
  for (const char* realm : kRealms) s.domains.push_back({realm, realm, 7, ""});
  s.trusts.push_back({kRealms[0], kRealms[1], true, 0x8 /* forest_transitive */});
  // About four in five objects in the main forest.
  auto forest = [&](int i, int n) { return i * 5 < n * 4 ? 0 : 1; };

  for (int f = 0; f < 2; ++f) {
    s.groups.push_back({"Domain Admins", kRealms[f], {}});
    s.groups.push_back({"Protected Users", kRealms[f], {}});
    for (int d = 0; d < 10; ++d) {
      s.groups.push_back({"dept" + std::to_string(d), kRealms[f], {}});
    }
  }
  auto group = [&](int f, const std::string& name) -> sim::GroupSpec& {
    for (sim::GroupSpec& g : s.groups) {
      if (g.domain == kRealms[f] && g.name == name) return g;
    }
    return s.groups.front();
  };
  for (int i = 0; i < shape.users; ++i) {
    int f = forest(i, shape.users);
    sim::AccountSpec a;
    a.name = "user" + std::to_string(i);
    a.domain = kRealms[f];
    a.not_delegated = rnd.Chance(3);
    s.accounts.push_back(a);
    group(f, "dept" + std::to_string(rnd.Below(10))).members.push_back(a.name);
    if (rnd.Chance(1)) group(f, "Protected Users").members.push_back(a.name);
    if (i % 500 == 0) group(f, "Domain Admins").members.push_back(a.name);
  }
  for (int h = 0; h < shape.hosts; ++h) {
    int f = forest(h, shape.hosts);
    std::string name = "host" + std::to_string(h);
    s.hosts.push_back({name, kRealms[f]});
    sim::AccountSpec computer;
    computer.name = name + "$";
    computer.domain = kRealms[f];
    computer.kind = sim::AccountKind::kComputer;
    computer.spns = {"host/" + name + kSuffix[f]};
    s.accounts.push_back(computer);
  }
  // Services: round-robin over the hosts, one service account each.
  std::vector<std::string> spns;
  std::vector<int> forest_of;
  size_t first_service_account = s.accounts.size();
  for (int i = 0; i < shape.services; ++i) {
    int h = i % shape.hosts;
    int f = forest(h, shape.hosts);
    std::string host = "host" + std::to_string(h);
    sim::AccountSpec a;
    a.name = "svc" + std::to_string(i);
    a.domain = kRealms[f];
    a.kind = sim::AccountKind::kService;
    spns.push_back("app" + std::to_string(i) + "/" + host + kSuffix[f]);
    forest_of.push_back(f);
    a.spns = {spns.back()};
    s.accounts.push_back(a);
    sim::ServiceSpec svc;
    svc.name = "app" + std::to_string(i);
    svc.host = host;
    svc.account = a.name;
    svc.transports = {v1::TRANSPORT_NCACN_IP_TCP};
    s.services.push_back(svc);
  }
  // Delegation settings on the service accounts.
  for (int i = 0; i < shape.services; ++i) {
    sim::AccountSpec& a = s.accounts[first_service_account + i];
    int roll = rnd.Below(100);
    if (roll < 5) {
      a.trusted_for_delegation = true;
    } else if (roll < 10) {
      a.trusted_to_auth_for_delegation = roll < 8;
      int targets = 1 + rnd.Below(3);
      for (int t = 0; t < targets; ++t) {
        // Classic KCD stays within the domain (KCD-3).
        int j = rnd.Below(shape.services);
        if (forest_of[j] == forest_of[i]) a.allowed_to_delegate_to.push_back(spns[j]);
      }
    } else if (roll < 12) {
      int front_ends = 1 + rnd.Below(2);
      for (int t = 0; t < front_ends; ++t) {
        int j = rnd.Below(shape.services);  // RBCD may cross the trust (RB-3)
        a.allowed_to_act.push_back("svc" + std::to_string(j) + "@" + kRealms[forest_of[j]]);
      }
    }
  }
  return s;
}

void AddShapeOptions(CLI::App& app, DirectoryShape* shape) {
  app.add_option("--hosts", shape->hosts, "hosts per directory")->check(CLI::PositiveNumber);
  app.add_option("--services", shape->services, "services per directory")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", shape->seed, "seed of the generator (the same directory for a seed)");
}

void ApplyAdChanges(sim::Scenario* s, int unconstrained, int sensitive) {
  for (sim::AccountSpec& acc : s->accounts) {
    if (unconstrained > 0 && acc.kind == sim::AccountKind::kService &&
        !acc.trusted_for_delegation && acc.allowed_to_delegate_to.empty()) {
      acc.trusted_for_delegation = true;
      --unconstrained;
    } else if (sensitive > 0 && acc.kind == sim::AccountKind::kUser && acc.not_delegated) {
      acc.not_delegated = false;
      --sensitive;
    }
  }
}

double SecondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace delegsim::bench
