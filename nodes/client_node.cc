// ClientNode: a user's logon session that starts calls.
#include "nodes/process_node_internal.h"

namespace delegsim::nodes {

// ---------------------------------------------------------------------------------------
// ClientNode.

ClientNode::ClientNode(Topology& topology, std::string host, PrincipalId user, std::string key)
    : ProcessNode(topology.directory().Name(user) + "@" + host, host, topology, user,
                  std::move(key)) {}

void ClientNode::StartCall(const std::string& label, const v1::CallSpec& spec, NodeContext& ctx,
                           CallDone done) {
  ExecPtr x = NewExecution(label, {}, PrimaryToken(), std::nullopt);
  *x->plan.add_ops()->mutable_call() = spec;
  x->done = [done = std::move(done)](Execution& x, NodeContext& ctx) {
    done(x.last_hop ? *x.last_hop : v1::HopResult(), ctx);
  };
  Run(x, ctx);
}

}  // namespace delegsim::nodes
