// Faults a scenario injects into its simulated network (the `faults` section of a scenario,
// `delegsim run --fault`): a host that is down, the KDC of a realm that cannot be reached,
// frames between two hosts that are dropped or delayed, a slow host. Each holds for a
// window of simulated time.
//
// Both runtimes ask one FaultPlan what happens to each envelope when it is sent, at the
// simulated time of sending, so a fault has the same effect under either (DS-13):
//   - kRefuse: the envelope is not sent; a request's sender hears at once, as a separate
//     event, with an Unavailable status naming the fault (RPC_S_SERVER_UNAVAILABLE,
//     KDC_ERR_SVC_UNAVAILABLE at the node).
//   - kDrop: the envelope is lost; the request it belongs to ends at its requester's
//     reply deadline, in simulated time (RPC_S_CALL_FAILED).
//   - kDeliver with `delay_ms` > 0: it arrives that much later in simulated time.
//
//   FaultPlan plan(10'000);
//   Fault down;
//   down.kind = Fault::Kind::kHostDown;
//   down.what = "host web1 is down";
//   down.hosts = {"127.0.1.3"};
//   plan.Add(down);
//   LinkEffect e = plan.Effect({2, "127.0.1.2"}, {4, "127.0.1.3"}, /*now=*/0,
//                              /*is_reply=*/false);  // kRefuse
#ifndef DELEGSIM_NODES_FAULTS_H_
#define DELEGSIM_NODES_FAULTS_H_

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "nodes/context.h"

namespace delegsim::nodes {

struct Fault {
  enum class Kind : uint8_t {
    kHostDown,        // nothing reaches or leaves the host at `hosts`
    kKdcUnreachable,  // nothing reaches the KDC node in `kdcs`
    kDrop,            // envelopes from `from` to `to` are lost
    kDelay,           // envelopes from `from` to `to` take `delay_ms` longer
  };
  Kind kind = Kind::kHostDown;
  std::string name;  // as the scenario names it ("web1-reboot"); may be empty
  std::string what;  // what it does, for traces and statuses: "host web1 is down"
  // Hosts are named by their addresses, so that nodes added later (sessions) count too.
  std::vector<std::string> hosts;                  // kHostDown
  std::vector<NodeId> kdcs;                        // kKdcUnreachable
  std::vector<std::string> from, to;               // kDrop, kDelay: host addresses; empty: any host
  Time start_ms = 0;                               // holds from start_ms (inclusive)...
  Time end_ms = std::numeric_limits<Time>::max();  // ...to end_ms (exclusive)
  Time delay_ms = 0;                               // kDelay
};

// One end of an envelope's trip.
struct Endpoint {
  NodeId node = 0;
  std::string_view host;  // the node's host address
};

struct LinkEffect {
  enum class Action : uint8_t { kDeliver, kRefuse, kDrop };
  Action action = Action::kDeliver;
  Time delay_ms = 0;             // kDeliver: extra travel time (the sum of every delay)
  const Fault* fault = nullptr;  // kRefuse, kDrop: the fault that decided it
};

class FaultPlan {
 public:
  // `reply_deadline_ms`: how long a requester waits for a reply (Topology's request
  // timeout), after which a dropped request or reply is noticed.
  explicit FaultPlan(Time reply_deadline_ms) : reply_deadline_ms_(reply_deadline_ms) {}

  void Add(Fault fault);
  bool empty() const { return faults_.empty(); }
  const std::vector<Fault>& faults() const { return faults_; }
  Time reply_deadline_ms() const { return reply_deadline_ms_; }

  // What happens to an envelope `from` sends to `to` at simulated time `now`. Refusal
  // outranks a drop, which outranks delays; delays add up. A reply that would be refused
  // is dropped instead: its requester is left waiting, as when a host dies mid-call.
  LinkEffect Effect(Endpoint from, Endpoint to, Time now, bool is_reply) const;

  // The status a refused request ends with: "host web1 is down (fault 'web1-reboot')".
  static Status Refusal(const Fault& fault);
  // The text of a DROP record: "lost: frames from ws1 to web1 are dropped (fault 'x')".
  static std::string Describe(const Fault& fault);

 private:
  Time reply_deadline_ms_;
  std::vector<Fault> faults_;  // lists sorted
};

}  // namespace delegsim::nodes

#endif  // DELEGSIM_NODES_FAULTS_H_
