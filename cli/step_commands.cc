// `delegsim step`: the commands that move through the run (next, continue, back) and
// manage breakpoints (break, delete, list), and help.
#include "cli/step_internal.h"

namespace delegsim::cli::step_internal {

// Parses a count argument: empty gives `fallback`; nullopt for anything but 1..10^9.
std::optional<uint64_t> ParseCount(const std::string& arg, uint64_t fallback) {
  if (arg.empty()) return fallback;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
  if (ec != std::errc() || end != arg.data() + arg.size() || n == 0 || n > 1'000'000'000) {
    return std::nullopt;
  }
  return n;
}

bool Stepper::CmdNext(const std::string& arg) {
  std::optional<uint64_t> n = ParseCount(arg, 1);
  if (!n) {
    out_ << "next takes a count from 1 to 1000000000, not '" << Printable(arg, 40) << "'\n";
    return false;
  }
  const size_t live = history_.size() - 1;
  if (cursor_ < live) {
    // Walking the recorded history (tcp `back`): forward through it, up to the live event.
    cursor_ += static_cast<size_t>(std::min<uint64_t>(*n, live - cursor_));
    if (cursor_ == live) out_ << paint_.Dim("(back at the live event)") << "\n";
    ShowEvent(history_[cursor_]);
    return false;
  }
  mode_ = Mode::kStep;
  steps_left_ = *n;
  return true;
}

bool Stepper::CmdContinue() {
  cursor_ = history_.size() - 1;
  mode_ = Mode::kContinue;
  return true;
}

std::optional<Breakpoint> Stepper::ParseBreakpoint(const std::string& spec,
                                                   std::string& error) const {
  std::string kind = spec;
  std::string value;
  if (size_t sep = spec.find_first_of(": \t"); sep != std::string::npos) {
    kind = spec.substr(0, sep);
    value = Trim(spec.substr(sep + 1));
  }
  kind = Lower(kind);
  Breakpoint b;
  if (kind == "denial" || kind == "deny" || kind == "denied") {
    b.kind = Breakpoint::Kind::kDenial;
    if (!value.empty()) {
      error = "break denial takes no value";
      return std::nullopt;
    }
    return b;
  }
  if (kind != "host" && kind != "service" && kind != "rule") {
    error = "cannot break on '" + Printable(kind, 40) +
            "': use host:NAME, service:NAME, rule:ID or denial";
    return std::nullopt;
  }
  if (value.empty()) {
    error = "break " + kind + ": which " + kind + "? (break " + kind +
            (kind == "rule" ? ":ID)" : ":NAME)");
    return std::nullopt;
  }
  if (kind == "host") {
    if (!hosts_.count(value)) {
      std::vector<std::string> names(hosts_.begin(), hosts_.end());
      error = "no host '" + Printable(value, 40) +
              "' in the scenario (hosts: " + Join(names, ", ") + ")";
      return std::nullopt;
    }
    b.kind = Breakpoint::Kind::kHost;
  } else if (kind == "service") {
    if (world_->topology().FindService(value) == nullptr) {
      std::vector<std::string> names;
      for (const nodes::ServiceInfo& s : world_->topology().services()) names.push_back(s.name);
      error = "no service '" + Printable(value, 40) +
              "' in the scenario (services: " + Join(names, ", ") + ")";
      return std::nullopt;
    }
    b.kind = Breakpoint::Kind::kService;
  } else if (kind == "rule") {
    std::optional<RuleId> id = ParseRuleId(value);
    if (!id) {
      error = "unknown rule id '" + Printable(value, 40) + "' (delegsim rules lists them)";
      return std::nullopt;
    }
    b.kind = Breakpoint::Kind::kRule;
    value = std::string(RuleCode(*id));
  }
  b.value = value;
  return b;
}

void Stepper::CmdBreak(const std::string& arg) {
  if (arg.empty()) {
    if (breakpoints_.empty()) out_ << "no breakpoints\n";
    for (const Breakpoint& b : breakpoints_) {
      out_ << "breakpoint " << b.id << ": " << b.Label() << "\n";
    }
    return;
  }
  std::string error;
  std::optional<Breakpoint> b = ParseBreakpoint(arg, error);
  if (!b) {
    out_ << error << "\n";
    return;
  }
  b->id = next_breakpoint_++;
  out_ << "breakpoint " << b->id << ": " << b->Label() << "\n";
  breakpoints_.push_back(std::move(*b));
}

void Stepper::CmdDelete(const std::string& arg) {
  if (arg.empty() || arg == "all") {
    out_ << "deleted " << breakpoints_.size() << " breakpoint"
         << (breakpoints_.size() == 1 ? "" : "s") << "\n";
    breakpoints_.clear();
    return;
  }
  std::optional<uint64_t> id = ParseCount(arg, 0);
  auto it = std::find_if(breakpoints_.begin(), breakpoints_.end(),
                         [&](const Breakpoint& b) { return id && b.id == static_cast<int>(*id); });
  if (it == breakpoints_.end()) {
    out_ << "no breakpoint '" << Printable(arg, 40) << "' (break lists them)\n";
    return;
  }
  out_ << "deleted breakpoint " << it->id << ": " << it->Label() << "\n";
  breakpoints_.erase(it);
}

bool Stepper::CmdBack() {
  if (cursor_ == 0) {
    out_ << "already at the first event\n";
    return false;
  }
  if (replays_) {
    // Deterministic: run the scenario again from the start and stop one event earlier.
    replay_to_ = cursor_ - 1;
    restart_ = true;
    pending_.clear();
    out_ << paint_.Dim("(replaying from the start to " + Seq(history_[cursor_ - 1].seq) + ")")
         << "\n";
    Halt();
    return true;
  }
  --cursor_;
  out_ << paint_.Dim("(tcp runs are not replayed: the event as recorded)") << "\n";
  ShowEvent(history_[cursor_]);
  return false;
}

void Stepper::CmdList(const std::string& arg) {
  std::optional<uint64_t> n = ParseCount(arg, 10);
  if (!n) {
    out_ << "list takes a count from 1 to 1000000000, not '" << Printable(arg, 40) << "'\n";
    return;
  }
  size_t first = cursor_ + 1 > *n ? cursor_ + 1 - static_cast<size_t>(*n) : 0;
  for (size_t i = first; i <= cursor_; ++i) {
    out_ << (i == cursor_ ? "> " : "  ") << sim::TraceLineText(history_[i]) << "\n";
  }
}

const Breakpoint* Stepper::Hit(const TraceRecord& rec) const {
  for (const Breakpoint& b : breakpoints_) {
    switch (b.kind) {
      case Breakpoint::Kind::kHost: {
        auto it = host_of_.find(rec.node);
        if (it != host_of_.end() && it->second == b.value) return &b;
        break;
      }
      case Breakpoint::Kind::kService:
        // Entering the service: a call delivered to it (not every later event of the hop).
        if (rec.kind == TraceKind::kDeliver && rec.message && rec.message->has_call() &&
            rec.message->call().service() == b.value) {
          return &b;
        }
        break;
      case Breakpoint::Kind::kRule: {
        // Decisions only: a HOP record repeats the decision that settled its hop.
        if (!rec.decision) break;
        std::vector<std::string> rules = rec.Rules();
        if (std::find(rules.begin(), rules.end(), b.value) != rules.end()) return &b;
        break;
      }
      case Breakpoint::Kind::kDenial:
        if (rec.decision && !rec.decision->allowed()) return &b;
        break;
    }
  }
  return nullptr;
}

void Stepper::CmdHelp() {
  out_ << "commands (several on one line: n;n;why)\n"
          "  next [N]       n, Enter  run to the next event (or the Nth); the world waits\n"
          "  continue       c         run until a breakpoint or the end of the scenario\n"
          "  break WHAT     b         stop at events on host:NAME, at service:NAME, naming\n"
          "                           rule:ID, or at every denial; `break` lists them\n"
          "  delete [N]     d         delete breakpoint N (all without N)\n"
          "  token                    the current server thread's token\n"
          "  ticket                   this event's ticket, or the last one issued\n"
          "  message        m         this event's message (or the last), protobuf text\n"
          "  why            w         the last decision in full: checks, facts, rules, sources\n"
          "  list [N]       l         the last N events (10)\n"
          "  back                     step back one event: ";
  out_ << (replays_ ? "replays the scenario from the start (virtual runtime: the same run)\n"
                    : "shows the recorded event (tcp runs are not replayed)\n");
  out_ << "  help           h, ?      this list\n"
          "  quit           q         stop the run and leave\n";
}

}  // namespace delegsim::cli::step_internal
