#include "bench/scale_scenario.h"

#include <algorithm>
#include <string>

namespace delegsim::bench {
namespace {

constexpr int kStaffGroups = 16;

// Appends one cell's part of each section; `k` is the cell number.
struct Writer {
  std::string hosts, accounts, groups, services, objects, steps, expect;

  static void Add(std::string& section, const std::string& element) {
    if (!section.empty()) section += ",\n";
    section += "    " + element;
  }

  void Cell(int k) {
    const std::string n = std::to_string(k);
    const std::string staff = "Staff" + std::to_string(k % kStaffGroups);
    auto host = [&](const std::string& name, const std::string& domain) {
      Add(hosts, "{\"name\": \"" + name + n + "\"" +
                     (domain.empty() ? "" : ", \"domain\": \"" + domain + "\"") + "}");
    };
    host("ws", "CORP.EXAMPLE");
    host("wg", "");
    for (const char* h : {"web", "app", "db", "kcd", "rb", "pt"}) host(h, "CORP.EXAMPLE");
    host("emea", "EMEA.CORP.EXAMPLE");
    host("pn", "PARTNER.EXAMPLE");

    Add(accounts, "{\"name\": \"u" + n + "\", \"domain\": \"CORP.EXAMPLE\", \"password\": \"pw-u" +
                      n + "\", \"member_of\": [\"" + staff + "\"]}");
    Add(accounts, "{\"name\": \"x" + n + "\", \"domain\": \"CORP.EXAMPLE\", \"password\": \"pw-x" +
                      n + "\", \"sensitive\": true, \"member_of\": [\"" + staff + "\"]}");
    Add(accounts, "{\"name\": \"local" + n + "\", \"domain\": \"wg" + n +
                      "\", \"password\": \"pw-l" + n + "\"}");
    Add(accounts, "{\"name\": \"wgsvc" + n + "\", \"type\": \"service\", \"domain\": \"wg" + n +
                      "\", \"password\": \"pw-w" + n + "\"}");
    auto service_account = [&](const std::string& name, const std::string& domain,
                               const std::string& spn, const std::string& extra) {
      Add(accounts, "{\"name\": \"svc_" + name + n + "\", \"type\": \"service\", \"domain\": \"" +
                        domain + "\", \"spns\": [\"" + spn + "\"]" + extra + "}");
    };
    const std::string db_spn = "MSSQLSvc/db" + n + ".corp.example:1433";
    service_account("web", "CORP.EXAMPLE", "http/web" + n + ".corp.example",
                    ", \"trusted_for_delegation\": true");
    service_account("app", "CORP.EXAMPLE", "http/app" + n + ".corp.example",
                    ", \"allowed_to_delegate_to\": [\"" + db_spn + "\"]");
    service_account("db", "CORP.EXAMPLE", db_spn, "");
    service_account("kcd", "CORP.EXAMPLE", "http/kcd" + n + ".corp.example", "");
    service_account("rb", "CORP.EXAMPLE", "cifs/rb" + n + ".corp.example",
                    ", \"allowed_to_act_on_behalf_of\": [\"svc_kcd" + n + "\"]");
    service_account("pt", "CORP.EXAMPLE", "http/pt" + n + ".corp.example",
                    ", \"trusted_to_auth_for_delegation\": true, \"allowed_to_delegate_to\": [\"" +
                        db_spn + "\"]");
    service_account("emea", "EMEA.CORP.EXAMPLE", "http/emea" + n + ".emea.corp.example", "");
    service_account("pn", "PARTNER.EXAMPLE", "http/pn" + n + ".partner.example",
                    ", \"trusted_for_delegation\": true");

    for (const char* s : {"web", "app", "db", "kcd", "rb", "pt", "emea", "pn"}) {
      Add(services, "{\"name\": \"" + std::string(s) + n + "\", \"host\": \"" + s + n +
                        "\", \"account\": \"svc_" + s + n + "\"}");
    }
    Add(services,
        "{\"name\": \"wgs" + n + "\", \"host\": \"wg" + n + "\", \"account\": \"wgsvc" + n + "\"}");
    Add(objects, "{\"name\": \"orders" + n + "\", \"host\": \"db" + n + "\", \"owner\": \"svc_db" +
                     n + "\", \"acl\": [{\"allow\": \"" + staff + "\", \"rights\": [\"read\"]}]}");

    auto step = [&](const std::string& name, const std::string& user, const std::string& from,
                    const std::string& call, const std::string& rest) {
      Add(steps, "{\"name\": \"" + name + n + "\", \"user\": \"" + user + n + "\", \"from\": \"" +
                     from + n + "\", \"call\": \"" + call + n + "\"" + rest + "}");
    };
    const std::string open_db = "{\"call\": \"db" + n +
                                "\", \"level\": \"impersonate\", \"then\": [{\"open\": \"orders" +
                                n + "\"}]}";
    // Unconstrained: web gets alice's TGT and reaches db as her.
    step("a", "u", "ws", "web", ", \"level\": \"delegate\", \"then\": [" + open_db + "]");
    // Constrained (A2D2) from a Kerberos front end.
    step("b", "u", "ws", "app", ", \"level\": \"impersonate\", \"then\": [" + open_db + "]");
    // Resource-based: rb lists kcd's account.
    step("c", "u", "ws", "kcd",
         ", \"level\": \"impersonate\", \"then\": [{\"call\": \"rb" + n +
             "\", \"level\": \"impersonate\"}]");
    // Protocol transition from an NTLM front end.
    step("d", "u", "ws", "pt",
         ", \"package\": \"ntlm\", \"level\": \"impersonate\", \"then\": [{\"call\": \"db" + n +
             "\", \"level\": \"impersonate\", \"protocol_transition\": true}]");
    // A sensitive user: no forwardable TGT, so web cannot go on as her.
    step("e", "x", "ws", "web", ", \"level\": \"delegate\", \"then\": [" + open_db + "]");
    // Cross-domain within the forest, then cross-forest over the forest trust.
    step("f", "u", "ws", "emea", ", \"level\": \"impersonate\"");
    step("g", "u", "ws", "pn", ", \"level\": \"delegate\"");
    // NTLM to a workgroup host with its local account.
    step("h", "local", "wg", "wgs", ", \"level\": \"impersonate\"");
    // Identify level: the onward call is refused at the caller (IL-3).
    step("i", "u", "ws", "web",
         ", \"level\": \"identify\", \"then\": [{\"call\": \"db" + n + "\"}]");
    // Three tiers: unconstrained, then constrained.
    step("j", "u", "ws", "web",
         ", \"level\": \"delegate\", \"then\": [{\"call\": \"app" + n +
             "\", \"level\": \"impersonate\", \"then\": [" + open_db + "]}]");

    Add(expect, "{\"path\": \"a" + n + "/web" + n + "/db" + n +
                    "\", \"verdict\": \"allowed\", \"identity\": \"u" + n + "\"}");
  }
};

}  // namespace

std::string ScaleScenarioJson(int size) {
  const int cells = std::max(1, (size + kScaleCellSize - 1) / kScaleCellSize);
  Writer w;
  for (int g = 0; g < std::min(cells, kStaffGroups); ++g) {
    Writer::Add(w.groups,
                "{\"name\": \"Staff" + std::to_string(g) + "\", \"domain\": \"CORP.EXAMPLE\"}");
  }
  for (int k = 0; k < cells; ++k) w.Cell(k);
  std::string out;
  out.reserve(w.hosts.size() + w.accounts.size() + w.services.size() + w.objects.size() +
              w.steps.size() + w.expect.size() + 4096);
  out += "{\n  \"name\": \"scale-" + std::to_string(cells * kScaleCellSize) + "\",\n";
  out += "  \"description\": \"delegsim-bench --scale: " + std::to_string(cells) +
         " cells of ten hosts and ten calls\",\n";
  out += "  \"seed\": 1,\n";
  out += "  \"domains\": [\n    {\"name\": \"CORP.EXAMPLE\", \"forest\": \"corp.example\"},\n";
  out += "    {\"name\": \"EMEA.CORP.EXAMPLE\", \"forest\": \"corp.example\"},\n";
  out += "    {\"name\": \"PARTNER.EXAMPLE\"}\n  ],\n";
  out += "  \"trusts\": [\n    {\"trusting\": \"PARTNER.EXAMPLE\", \"trusted\": \"CORP.EXAMPLE\", ";
  out += "\"attributes\": [\"forest_transitive\", \"enable_tgt_delegation\"]}\n  ],\n";
  auto section = [&](const char* name, const std::string& body, bool last) {
    out += "  \"";
    out += name;
    out += "\": [\n" + body + "\n  ]";
    out += last ? "\n" : ",\n";
  };
  section("hosts", w.hosts, false);
  section("accounts", w.accounts, false);
  section("groups", w.groups, false);
  section("services", w.services, false);
  section("objects", w.objects, false);
  section("steps", w.steps, false);
  section("expect", w.expect, true);
  out += "}\n";
  return out;
}

}  // namespace delegsim::bench
