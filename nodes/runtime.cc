#include "nodes/runtime.h"

#include <utility>

#include "nodes/process_node.h"

namespace delegsim::nodes {

void Runtime::PostCall(NodeId client, const std::string& label, const v1::CallSpec& spec,
                       CallDone done) {
  Post(client, [label, spec, done = std::move(done)](Node& node, NodeContext& ctx) {
    static_cast<ClientNode&>(node).StartCall(
        label, spec, ctx, [done](const v1::HopResult& result, NodeContext&) { done(result); });
  });
}

}  // namespace delegsim::nodes
