// Topology: the static facts every node may read — hosts, services, securable objects,
// which node serves which KDC realm — plus the options of the simulated environment.
//
// It borrows the finalized Directory and the Kdc engine. Node ids follow the order the
// world builder adds nodes to its runtime; the builder records them here.
// Securable objects are the one mutable part: services create objects on their host
// (TK-1). Access is single-threaded (see nodes/runtime.h).
#ifndef DELEGSIM_NODES_TOPOLOGY_H_
#define DELEGSIM_NODES_TOPOLOGY_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kdc/directory.h"
#include "kdc/kdc.h"
#include "nodes/context.h"
#include "nodes/token.h"

namespace delegsim::nodes {

struct HostInfo {
  std::string name;
  kdc::DomainId domain = kdc::kNoDomain;  // the domain, or the workgroup host's own SAM
  bool workgroup = false;
  std::string address;  // loopback address of the simulated host, "127.0.1.2"
};

struct ServiceInfo {
  std::string name;
  std::string host;
  PrincipalId account = kdc::kNobody;
  std::string spn;  // empty: no SPN (Negotiate falls back to NTLM, PK-4)
  std::vector<v1::Transport> transports;
  std::vector<std::string> privileges;   // of the service process (SeImpersonatePrivilege, ...)
  std::vector<std::string> s4u_targets;  // the account's own A2D2 SPNs (KCD-7); RBCD: ask the KDC
  NodeId node = 0;
};

namespace rights {
inline constexpr uint32_t kRead = 0x01;
inline constexpr uint32_t kWrite = 0x02;
inline constexpr uint32_t kDelete = 0x04;
inline constexpr uint32_t kReadControl = 0x08;
inline constexpr uint32_t kWriteDac = 0x10;
inline constexpr uint32_t kExecute = 0x20;
inline constexpr uint32_t kFull = 0x3f;
}  // namespace rights
// "read" -> kRead, ..., "full" -> kFull; nullopt for an unknown name.
std::optional<uint32_t> ParseRight(std::string_view name);
std::string RightsNames(uint32_t mask);

struct Ace {
  PrincipalId who = kdc::kNobody;  // a user, computer, service account or group
  bool allow = true;
  uint32_t mask = 0;
};

struct SecurableObject {
  std::string name;
  std::string host;
  PrincipalId owner = kdc::kNobody;
  std::vector<Ace> dacl;  // evaluated: deny entries first, then allows (TK-11)
};

enum class DelegPolicy : uint8_t {
  kWindows,  // forward the TGT only to OK-AS-DELEGATE services (UD-2, C6)
  kAlways,   // MIT GSS_C_DELEG_FLAG: forward whenever asked
};

// The initiator's security library, where the two differ on the wire (RULES.md MA-1, MA-2,
// C17).
enum class ClientLibrary : uint8_t {
  kSspi,    // Windows SSPI: delegation needs mutual authentication (MA-1); a failed
            // delegation fails the call unless ignored (MA-2)
  kMitGss,  // MIT GSS-API: FORWARDABLE on a TGS request copied from the TGT; delegation
            // without mutual authentication; a failed delegation is dropped silently
};

struct Options {
  DelegPolicy deleg_policy = DelegPolicy::kWindows;
  ClientLibrary client_library = ClientLibrary::kSspi;
  // C17: windows clients ask for forwardable service tickets whenever the TGT is; the mit
  // client only when configured (krb5.conf forwardable = true).
  bool client_forwardable = true;
  // DS-15: clients ask RENEWABLE on their AS and TGS requests (windows: always).
  bool client_renewable = true;
  bool ignore_delegate_failure = false;  // MA-2 policy default for every caller
  bool logon_user_requires_tcb = false;  // C15: Windows 2000 and earlier
  int hop_limit = 16;                    // DS-4
  Time request_timeout_ms = 10'000;      // bound on every wait for a reply
};

class Topology {
 public:
  Topology(const kdc::Directory& dir, const kdc::Kdc& kdc, Options options)
      : dir_(dir), kdc_(kdc), options_(options) {}
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const kdc::Directory& directory() const { return dir_; }
  const kdc::Kdc& kdc() const { return kdc_; }
  const Options& options() const { return options_; }

  // A second host or service of the same name is kept but never found by name.
  void AddHost(HostInfo host);
  void AddService(ServiceInfo service);
  void AddObject(SecurableObject object);
  void SetKdcNode(kdc::DomainId domain, NodeId node) { kdc_nodes_[domain] = node; }

  const HostInfo* FindHost(std::string_view name) const;
  const ServiceInfo* FindService(std::string_view name) const;
  ServiceInfo* MutableService(std::string_view name);
  const std::vector<HostInfo>& hosts() const { return hosts_; }
  const std::vector<ServiceInfo>& services() const { return services_; }
  std::optional<NodeId> KdcNode(kdc::DomainId domain) const;

  SecurableObject* FindObject(std::string_view host, std::string_view name);
  // The domain whose KDC a host's principals use, or nullopt for a workgroup host.
  std::optional<kdc::DomainId> KerberosDomain(const HostInfo& host) const;

 private:
  // Hashes std::string keys and looks them up by string_view, without a copy.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using NameIndex = std::unordered_map<std::string, size_t, NameHash, std::equal_to<>>;

  const kdc::Directory& dir_;
  const kdc::Kdc& kdc_;
  Options options_;
  std::vector<HostInfo> hosts_;
  std::vector<ServiceInfo> services_;
  NameIndex host_index_;     // name -> position in hosts_; looked up, never iterated
  NameIndex service_index_;  // name -> position in services_
  std::map<std::pair<std::string, std::string>, SecurableObject> objects_;
  std::map<kdc::DomainId, NodeId> kdc_nodes_;
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_TOPOLOGY_H_
