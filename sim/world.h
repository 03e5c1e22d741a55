// World: a scenario brought to life — the directory, the KDC engine, the topology and
// one node per KDC realm, service and calling user session, on a runtime.
//
//   StatusOr<std::unique_ptr<World>> w = World::Build(scenario,
//   std::make_unique<VirtualRuntime>()); Status s = (*w)->Run();                 // every step, in
//   order for (const CallOutcome& o : (*w)->outcomes()) ...o.result...   // the hop tree of each
//   call
#ifndef DELEGSIM_SIM_WORLD_H_
#define DELEGSIM_SIM_WORLD_H_

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kdc/directory.h"
#include "kdc/kdc.h"
#include "nodes/runtime.h"
#include "nodes/topology.h"
#include "nodes/trace_log.h"
#include "sim/scenario.h"

namespace delegsim::sim {

struct CallOutcome {
  std::string label;
  v1::HopResult result;  // the first hop's tree
  Status status;         // not OK when the call did not complete (runtime failure)
};

class World {
 public:
  // Fails with a located message when a name in the scenario resolves to nothing (the
  // loader validates first, so this is a programming error for loaded scenarios). The
  // world keeps the scenario: move it in when the caller needs no copy.
  static StatusOr<std::unique_ptr<World>> Build(Scenario scenario,
                                                std::unique_ptr<nodes::Runtime> runtime);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs every step in order; each call runs until its reply (bounded). Fails when the
  // runtime cannot start or fails itself (Runtime::Failure): the run did not complete,
  // and outcomes() holds the calls up to the one that failed.
  Status Run();
  // How many calls Run() keeps in flight at once (default 1: one after another). Up to
  // `calls` consecutive call steps overlap on the runtime, a new one starting as soon as
  // one completes; a clock step waits for every call before it. outcomes() stay in step
  // order. Calls still share what the simulated world shares (a session's ticket cache, a
  // service's replay cache, the clock that fault windows and lifetimes read).
  void SetParallelCalls(size_t calls) { parallel_calls_ = calls == 0 ? 1 : calls; }
  // Runs one call step (a call not among the scenario's steps, e.g. a chain `delegsim
  // reach` probes) and returns its outcome; the session of step.user on step.from_host is
  // created when the scenario has none (virtual runtime: the Asio runtime binds its
  // listeners at the first call). Fails when a name resolves to nothing.
  StatusOr<CallOutcome> RunCall(const StepSpec& step);
  // Bound on one call, in ms of the runtime's time: at least kCallBudgetMs, and room for
  // the longest wait a call can make (DS-13: a request timeout per hop the chain may take,
  // plus the caller's own KDC exchanges).
  static constexpr nodes::Time kCallBudgetMs = 120'000;
  nodes::Time CallBudgetMs() const;

  // Called with every trace record (set before Run()).
  void SetTraceSink(std::function<void(const nodes::TraceRecord&)> sink) {
    extra_sink_ = std::move(sink);
  }
  // Whether trace() keeps every record (default). Benchmarks turn it off; with no sink,
  // no kept trace and no assembled outcomes, no trace record is built at all.
  void KeepTrace(bool keep) { keep_trace_ = keep; }
  // Whether each call's hop tree is assembled into outcomes() (default). Benchmarks that
  // only measure throughput turn it off; outcomes() then carry labels and statuses only.
  void AssembleOutcomes(bool assemble) { assemble_ = assemble; }
  // Called with each call's outcome during Run(), in step order, as soon as it is known
  // (before Run() returns; set before Run()).
  void SetOutcomeSink(std::function<void(const CallOutcome&)> sink) {
    outcome_sink_ = std::move(sink);
  }
  // Whether outcomes() keep each call's hop tree once the outcome sink has seen it
  // (default). Off, and while no trace is kept (a kept trace's HOP records are the trees'
  // nodes), Run() drops each tree after the sink, so that a run keeps nothing per hop that
  // nobody reads: outcomes() then carry labels and statuses, and results empty.
  void KeepOutcomeTrees(bool keep) { keep_trees_ = keep; }
  const std::vector<CallOutcome>& outcomes() const { return outcomes_; }
  // The kept trace. A HOP record's hop result is shared with the node of its call's tree
  // in outcomes() that holds the same hop, so the world must outlive any view of it.
  const nodes::TraceLog& trace() const { return trace_; }
  const kdc::Directory& directory() const { return *dir_; }
  const nodes::Topology& topology() const { return *topology_; }
  nodes::Runtime& runtime() { return *runtime_; }
  const Scenario& scenario() const { return scenario_; }
  // Node id of a service, or 0.
  nodes::NodeId ServiceNode(std::string_view service) const;
  // Node id of the session of `user` on `host`, or 0.
  nodes::NodeId ClientNode(std::string_view user, std::string_view host) const;

 private:
  World() = default;
  // Starts the runtime once and installs the trace sink.
  Status Start();
  // The session node of `user` on `host`, added to the runtime when missing.
  StatusOr<nodes::NodeId> Session(const std::string& user, const std::string& host);
  CallOutcome Call(const StepSpec& step, nodes::NodeId client);
  // A call under way: StartCall posts it, FinishCall turns it into its outcome.
  struct CallState {
    bool done = false;
    v1::HopResult result;
  };
  std::shared_ptr<CallState> StartCall(const StepSpec& step, nodes::NodeId client);
  CallOutcome FinishCall(const StepSpec& step, const CallState& state, const Status& run_status);
  // Points the kept HOP records of outcomes_.back() at the nodes of its tree (hops kept
  // once), as FinishCall placed them; re-points the roots of earlier outcomes when
  // outcomes_ moved.
  void ShareHopsWithTree();
  // Runs the call steps [begin, end) of the scenario, parallel_calls_ at a time.
  Status RunCalls(size_t begin, size_t end);

  Scenario scenario_;
  std::unique_ptr<kdc::Directory> dir_;
  std::unique_ptr<kdc::Kdc> kdc_;
  std::unique_ptr<nodes::Topology> topology_;
  std::unique_ptr<nodes::Runtime> runtime_;
  std::unordered_map<std::string, nodes::NodeId> clients_;  // "user@host" -> node (looked up)
  std::vector<CallOutcome> outcomes_;
  nodes::TraceLog trace_;
  std::function<void(const nodes::TraceRecord&)> extra_sink_;
  bool keep_trace_ = true;
  bool assemble_ = true;
  bool keep_trees_ = true;
  std::function<void(const CallOutcome&)> outcome_sink_;
  bool started_ = false;
  size_t parallel_calls_ = 1;
  // HOP records of the calls under way, by call label (the first element of their
  // paths), assembled into each call's tree when it completes; with each, the index of
  // its kept record in trace_ (kNotKept when the trace is not kept).
  static constexpr size_t kNotKept = SIZE_MAX;
  struct PendingHop {
    std::shared_ptr<const v1::HopResult> hop;
    size_t entry = kNotKept;
  };
  std::unordered_map<std::string, std::vector<PendingHop>> hops_;
  // For each finished call not yet in outcomes_, by label: its kept HOP records and the
  // tree node each went to (nullptr: the root, whose address is final once in outcomes_).
  std::unordered_map<std::string, std::vector<std::pair<size_t, const v1::HopResult*>>> placed_;
  // For each outcome, the kept HOP record of its root (kNotKept if none).
  std::vector<size_t> root_entries_;
  const CallOutcome* outcomes_data_ = nullptr;  // where outcomes_ lived at the last share
};

// Builds the hop tree of call `label` from its HOP records (children in completion
// order, which is call order). The first hop's tree, or an empty result.
v1::HopResult AssembleHops(const std::string& label,
                           const std::vector<std::shared_ptr<const v1::HopResult>>& hops);

}  // namespace delegsim::sim

#endif  // DELEGSIM_SIM_WORLD_H_
