#include "importer/spn_services.h"

#include <algorithm>

#include "kdc/directory.h"

namespace delegsim::importer {
namespace {

// Service classes that stand for the machine itself: the SMB server, the RPC endpoint
// mapper and the services registered under HOST (MS-ADTS sPNMappings: HOST covers cifs,
// rpcss, http, ...). RestrictedKrbHost is HOST for restricted Kerberos.
bool IsHostClass(std::string_view c) { return c == "host" || c == "restrictedkrbhost"; }

std::string Sanitized(std::string s) {
  for (char& c : s) {
    if (c == '/' || c == '#' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  return s;
}

}  // namespace

std::optional<Spn> ParseSpn(std::string_view spn) {
  size_t slash = spn.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == spn.size()) return std::nullopt;
  Spn out;
  out.service_class = std::string(spn.substr(0, slash));
  std::string_view rest = spn.substr(slash + 1);
  rest = rest.substr(0, rest.find('/'));  // the service name part, if any
  rest = rest.substr(0, rest.find('@'));  // a realm, if any
  size_t colon = rest.find(':');
  out.host = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) out.port = std::string(rest.substr(colon + 1));
  if (out.host.empty()) return std::nullopt;
  return out;
}

std::vector<v1::Transport> TransportsOfServiceClass(std::string_view service_class) {
  std::string c = kdc::ToLower(service_class);
  // The machine: local RPC, RPC over TCP (endpoint mapper) and SMB named pipes.
  if (IsHostClass(c)) {
    return {v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP, v1::TRANSPORT_NCACN_NP};
  }
  if (c == "cifs") return {v1::TRANSPORT_NCACN_NP};                              // SMB
  if (c == "rpcss") return {v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP};  // RPC
  // http, https, wsman, termsrv, ldap, gc, mssqlsvc, dns, exchange*, ...: a TCP service.
  return {v1::TRANSPORT_NCACN_IP_TCP};
}

void SpnServiceBuilder::Add(const Spn& spn, const std::string& text, const std::string& host,
                            const std::string& account) {
  std::string c = kdc::ToLower(spn.service_class);
  if (IsHostClass(c)) c = "host";
  std::string port = kdc::ToLower(spn.port);
  Key key{host, c, port, account};
  auto it = index_.find(key);
  if (it != index_.end()) {
    // The same service under its short and its qualified name: ask for the qualified one.
    sim::ServiceSpec& s = services_[it->second];
    if (ParseSpn(s.spn)->host.find('.') == std::string::npos &&
        spn.host.find('.') != std::string::npos) {
      s.spn = text;
    }
    return;
  }
  sim::ServiceSpec s;
  s.name = Sanitized(host + ":" + c + (port.empty() ? "" : ":" + port));
  if (!names_.insert(s.name).second) {
    s.name += "~" + Sanitized(account.substr(0, account.find('@')));
    names_.insert(s.name);
  }
  s.host = host;
  s.account = account;
  s.spn = text;
  s.transports = TransportsOfServiceClass(c);
  index_[key] = services_.size();
  services_.push_back(std::move(s));
}

std::vector<sim::ServiceSpec> SpnServiceBuilder::Services() const { return services_; }

}  // namespace delegsim::importer
