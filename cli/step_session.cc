// `delegsim step`: the world and its event loop, stopping at events and breakpoints, the
// prompt and the summary at the end.
#include "cli/step_internal.h"

namespace delegsim::cli::step_internal {

Status Stepper::BuildWorld() {
  StatusOr<std::unique_ptr<nodes::Runtime>> rt = MakeRuntime(options_.runtime);
  if (!rt.ok()) return rt.status();
  (*rt)->CaptureMessages(true);
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario_, std::move(*rt));
  if (!world.ok()) return world.status();
  world_ = std::move(*world);
  world_->KeepTrace(false);
  world_->SetTraceSink([this](const TraceRecord& rec) { OnRecord(rec); });

  // Node ids follow the world's order: KDCs, services, client sessions (sim/world.cc);
  // the names are the nodes' own.
  std::vector<std::string> node_hosts;
  for (const sim::DomainSpec& d : scenario_.domains) {
    node_hosts.push_back(d.dc_host.empty() ? "dc." + Lower(d.realm) : d.dc_host);
  }
  for (const nodes::ServiceInfo& s : world_->topology().services()) node_hosts.push_back(s.host);
  std::set<std::string> sessions;
  for (const sim::StepSpec& step : scenario_.steps) {
    if (step.kind == sim::StepSpec::Kind::kCall &&
        sessions.insert(step.user + "@" + step.from_host).second) {
      node_hosts.push_back(step.from_host);
    }
  }
  node_names_.clear();
  host_of_.clear();
  for (size_t i = 0; i < node_hosts.size(); ++i) {
    std::string name(world_->runtime().GetNode(static_cast<nodes::NodeId>(i + 1)).name());
    host_of_[name] = node_hosts[i];
    node_names_.push_back(std::move(name));
  }
  hosts_.clear();
  for (const nodes::HostInfo& h : world_->topology().hosts()) hosts_.insert(h.name);
  CompletionNames names;
  names.hosts.assign(hosts_.begin(), hosts_.end());
  for (const nodes::ServiceInfo& svc : world_->topology().services()) {
    names.services.push_back(svc.name);
  }
  for (const RuleInfo& r : AllRules()) names.rules.emplace_back(r.code);
  commands_.SetCompletions(std::move(names));
  return Status::Ok();
}

int Stepper::Run() {
  size_t calls = 0;
  for (const sim::StepSpec& s : scenario_.steps) calls += s.kind == sim::StepSpec::Kind::kCall;
  out_ << paint_.Bold("delegsim step") << ": scenario " << scenario_.name << " (" << calls
       << (calls == 1 ? " call" : " calls") << "), runtime " << options_.runtime << ", seed "
       << scenario_.seed << "\n"
       << "Enter or n: next event, c: continue, help: every command\n";
  Status run;
  while (true) {
    if (Status st = BuildWorld(); !st.ok()) {
      err_ << options_.file << ": " << st.ToString() << "\n";
      return kExitInvalid;
    }
    run = world_->Run();
    if (!restart_) break;
    // `back` on the virtual runtime: run again from the start, silently up to replay_to_.
    restart_ = false;
    previous_ = std::move(history_);
    history_.clear();
    world_.reset();
  }
  if (!run.ok() && history_.empty()) {
    err_ << options_.file << ": " << run.ToString() << "\n";
    return kExitInvalid;
  }
  Summary(run);
  world_.reset();
  return kExitOk;
}

void Stepper::OnRecord(const TraceRecord& raw) {
  if (end_ != End::kNone || restart_) return;
  // Names in summaries may come from the wire: shown escaped (common/text.h).
  TraceRecord rec = raw;
  rec.node = EscapeUnsafe(rec.node);
  rec.path = EscapeUnsafe(rec.path);
  rec.summary = EscapeUnsafe(rec.summary);
  history_.push_back(rec);
  const size_t index = history_.size() - 1;
  if (replay_to_) {
    if (!diverged_ && index < previous_.size()) {
      const TraceRecord& was = previous_[index];
      if (was.seq != rec.seq || was.kind != rec.kind || was.node != rec.node ||
          was.summary != rec.summary) {
        diverged_ = true;
        out_ << paint_.Red("warning") << ": the replay differs from the first run at "
             << Seq(rec.seq) << "\n";
      }
    }
    if (index < *replay_to_) return;
    replay_to_.reset();
    Stop(index, nullptr);
    return;
  }
  const Breakpoint* hit = Hit(rec);
  if (mode_ == Mode::kStep) {
    if (steps_left_ > 1 && hit == nullptr) {
      --steps_left_;
      return;
    }
  } else if (hit == nullptr) {
    return;
  }
  Stop(index, hit);
}

void Stepper::Stop(size_t index, const Breakpoint* hit) {
  cursor_ = index;
  if (hit != nullptr) {
    out_ << paint_.Yellow("breakpoint " + std::to_string(hit->id)) << " (" << hit->Label() << ")\n";
  }
  ShowEvent(history_[index]);
  Prompt();
}

void Stepper::Prompt() {
  while (end_ == End::kNone) {
    if (pending_.empty()) {
      std::optional<std::string> line = commands_.Next(std::string(kPrompt));
      if (!line) {
        end_ = End::kEndOfInput;
        Halt();
        return;
      }
      // A line may hold several commands: "n;n;why".
      std::string current;
      for (char c : *line + ";") {
        if (c == ';') {
          pending_.push_back(Trim(current));
          current.clear();
        } else {
          current += c;
        }
      }
      if (pending_.size() > 1 && pending_.back().empty()) pending_.pop_back();
    }
    std::string command = pending_.front();
    pending_.erase(pending_.begin());
    if (Execute(command)) return;
  }
}

void Stepper::Halt() {
  // Both runtimes accept Shutdown() from inside the trace sink: the rest of the run is
  // skipped and World::Run returns.
  if (world_) world_->runtime().Shutdown();
}

bool Stepper::Execute(const std::string& command) {
  std::string word = command;
  std::string arg;
  if (size_t space = command.find_first_of(" \t"); space != std::string::npos) {
    word = command.substr(0, space);
    arg = Trim(command.substr(space + 1));
  }
  word = Lower(word);
  if (word.empty() || word == "n" || word == "next" || word == "s" || word == "step") {
    return CmdNext(arg);
  }
  if (word == "c" || word == "continue" || word == "cont") return CmdContinue();
  if (word == "b" || word == "break") {
    CmdBreak(arg);
    return false;
  }
  if (word == "d" || word == "delete") {
    CmdDelete(arg);
    return false;
  }
  if (word == "back") return CmdBack();
  if (word == "l" || word == "list") {
    CmdList(arg);
    return false;
  }
  if (word == "token") {
    CmdToken();
    return false;
  }
  if (word == "ticket") {
    CmdTicket();
    return false;
  }
  if (word == "m" || word == "message" || word == "msg") {
    CmdMessage();
    return false;
  }
  if (word == "w" || word == "why") {
    CmdWhy();
    return false;
  }
  if (word == "h" || word == "help" || word == "?") {
    CmdHelp();
    return false;
  }
  if (word == "q" || word == "quit" || word == "exit") {
    end_ = End::kQuit;
    pending_.clear();
    Halt();
    return true;
  }
  out_ << "unknown command '" << Printable(command, 40) << "'; type help for the list\n";
  return false;
}

void Stepper::Summary(const Status& run) {
  const std::string at = history_.empty() ? "" : " at " + Seq(history_[cursor_].seq);
  if (end_ == End::kQuit) {
    out_ << "quit" << at << " after " << history_.size() << " events; the rest of the run was "
         << "skipped\n";
    return;
  }
  if (end_ == End::kEndOfInput) {
    out_ << "end of input" << at << " after " << history_.size()
         << " events; the rest of the run was skipped\n";
    return;
  }
  out_ << "end of scenario " << scenario_.name << ": " << history_.size() << " events\n";
  if (!run.ok()) out_ << "  the run did not complete: " << run.ToString() << "\n";
  for (const sim::CallOutcome& o : world_->outcomes()) {
    if (!o.status.ok())
      out_ << "  " << o.label << ": did not complete: " << o.status.ToString() << "\n";
  }
  std::vector<const v1::HopResult*> hops = sim::AllHops(world_->outcomes());
  size_t width = 0;
  for (const v1::HopResult* h : hops) width = std::max(width, h->path().size());
  for (const v1::HopResult* h : hops) {
    std::string path = h->path();
    path.resize(width, ' ');
    std::string line = "  " + path + "  ";
    if (h->verdict() == "denied") {
      line += paint_.Red("denied") + " by " + h->decision().rule();
      if (!h->decision().error().empty()) line += " (" + h->decision().error() + ")";
    } else {
      line += paint_.Green("allowed") + " as " +
              (h->identity().empty() ? "anonymous" : h->identity()) + ", " + sim::HopLevel(*h) +
              ", net_creds=" + h->net_creds();
    }
    out_ << line << "\n";
  }
  sim::ExpectationReport e = sim::CheckExpectations(scenario_, world_->outcomes());
  out_ << "expectations: " << e.passed << " passed, " << e.failed << " failed\n";
}

}  // namespace delegsim::cli::step_internal
