// NetnsSwitch: the network of `run --runtime netns` (net/process_runtime.h). Every host
// process runs in a Linux network namespace of its own, with its own loopback and one
// interface (eth0) whose veth peer sits on a bridge. The bridge lives in a namespace of its
// own too (the "switch"), so the machine's network stack is never touched: no interface,
// address or route is added outside the namespaces the run creates. Addresses are private
// and exist inside those namespaces only: the bridge is 10.77.0.1/16, host i is
// AddressOf(i) (10.77.0.2, 10.77.0.3, ...).
//
// Nothing outlives the run. A namespace lives while a process is in it or a descriptor
// refers to it: the switch's is held by one descriptor of this process (closed by the
// destructor, or by the kernel however the process ends); a host's by its host process.
// When a namespace goes, its interfaces go with it, and a veth pair goes with either end.
//
//   StatusOr<std::unique_ptr<NetnsSwitch>> net = NetnsSwitch::Create();
//   pid_t pid = fork();  // the child: unshare(CLONE_NEWNET), wait for the parent, exec
//   Status s = (*net)->Attach(pid, 0);                 // eth0 = AddressOf(0) = 10.77.0.2
//   (*net)->InSwitch([&] { connection->Start(); });    // its socket lives in the switch
//
// Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2's `ip`; Create() fails with
// kFailedPrecondition saying which is missing. Threading: one thread; InSwitch moves the
// calling thread only, and back.
#ifndef DELEGSIM_NET_NETNS_H_
#define DELEGSIM_NET_NETNS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace delegsim::net {

class NetnsSwitch {
 public:
  // Creates the switch namespace and its bridge. kFailedPrecondition when this process
  // may not create network namespaces or interfaces, or `ip` is missing.
  static StatusOr<std::unique_ptr<NetnsSwitch>> Create();
  // Releases the switch namespace (and with it the bridge and the switch ends of veths).
  ~NetnsSwitch();
  NetnsSwitch(const NetnsSwitch&) = delete;
  NetnsSwitch& operator=(const NetnsSwitch&) = delete;

  // The address of host `index` (0-based) inside its namespace; at most kMaxHosts hosts.
  static std::string AddressOf(size_t index);
  static constexpr size_t kMaxHosts = 65'000;
  static constexpr const char* kBridgeAddress = "10.77.0.1";

  // Joins the network namespace of process `pid` (which unshared one and waits) to the
  // bridge: veth "dsh<index>" on the bridge, its peer eth0 in the process's namespace with
  // AddressOf(index)/16, eth0 and lo up. Bounded in time (kToolTimeoutMs per `ip` run).
  Status Attach(pid_t pid, size_t index);
  // Runs `fn` with the calling thread in the switch namespace (sockets `fn` creates live
  // there, and reach every host), then moves it back.
  Status InSwitch(const std::function<void()>& fn);
  // "net:[4026532771]": the namespace of process `pid`, for reports; empty if unknown.
  static std::string NamespaceOf(pid_t pid);
  // The switch namespace, in the same form.
  std::string Identity() const;

  static constexpr int kToolTimeoutMs = 10'000;

 private:
  explicit NetnsSwitch(int switch_fd) : switch_fd_(switch_fd) {}
  int switch_fd_;
};

}  // namespace delegsim::net

#endif  // DELEGSIM_NET_NETNS_H_
