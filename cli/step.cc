#include "cli/step.h"

#include <google/protobuf/text_format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "common/decision.h"
#include "common/rules.h"
#include "common/saturating.h"
#include "common/text.h"
#include "kdc/kdc.h"
#include "kdc/ticket.h"
#include "nodes/context.h"
#include "nodes/envelope.h"
#include "nodes/token.h"
#include "sim/durations.h"
#include "sim/loader.h"
#include "sim/mechanism.h"
#include "sim/results.h"
#include "sim/world.h"

#ifdef DELEGSIM_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

namespace delegsim::cli {
namespace {

using nodes::TraceKind;
using nodes::TraceRecord;

constexpr std::string_view kPrompt = "(step) ";
// Facts shown with an event; `why` shows them all.
constexpr size_t kMaxEventFacts = 6;
// Bytes fields (seals, keys, sealed bodies) show this many leading bytes in `message`.
constexpr size_t kBytesShown = 8;

// ---------------------------------------------------------------------------------------
// Command sources.

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// `s` safe to print on a terminal: control bytes as \xNN, at most `max` bytes of it.
std::string Printable(std::string_view s, size_t max = 200) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

class ScriptSource final : public CommandSource {
 public:
  ScriptSource(std::string_view script, std::ostream& out) : out_(out) {
    std::string current;
    for (char c : script) {
      if (c == ';' || c == '\n') {
        commands_.push_back(Trim(current));
        current.clear();
      } else {
        current += c;
      }
    }
    if (!Trim(current).empty()) commands_.push_back(Trim(current));
  }
  std::optional<std::string> Next(const std::string& prompt) override {
    if (next_ >= commands_.size()) return std::nullopt;
    out_ << prompt << Printable(commands_[next_]) << "\n";
    return commands_[next_++];
  }

 private:
  std::ostream& out_;
  std::vector<std::string> commands_;
  size_t next_ = 0;
};

class StreamSource final : public CommandSource {
 public:
  StreamSource(std::istream& in, std::ostream& out) : in_(in), out_(out) {}
  std::optional<std::string> Next(const std::string& prompt) override {
    std::string line;
    if (!std::getline(in_, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out_ << prompt << Printable(line) << "\n";
    return line;
  }

 private:
  std::istream& in_;
  std::ostream& out_;
};

// The commands of the prompt, as completed (aliases are not offered).
constexpr const char* kCommands[] = {"next",    "continue", "break", "delete", "token", "ticket",
                                     "message", "why",      "list",  "back",   "help",  "quit"};

#ifdef DELEGSIM_HAVE_LIBEDIT
// libedit calls plain functions: the names of the one terminal source reading a line.
const CompletionNames* g_completion_names = nullptr;
std::vector<std::string> g_matches;

char* NextMatch(const char* /*text*/, int state) {
  static size_t next = 0;
  if (state == 0) next = 0;
  if (next >= g_matches.size()) return nullptr;
  return strdup(g_matches[next++].c_str());
}

char** AttemptCompletion(const char* text, int /*start*/, int end) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  if (g_completion_names == nullptr) return nullptr;
  g_matches = CompleteStepCommand(std::string_view(rl_line_buffer, static_cast<size_t>(end)),
                                  *g_completion_names);
  if (g_matches.empty()) return nullptr;
  // "host:" waits for its name: no space after it.
  bool all_kinds = std::all_of(g_matches.begin(), g_matches.end(),
                               [](const std::string& m) { return m.back() == ':'; });
  rl_completion_append_character = all_kinds ? '\0' : ' ';
  return rl_completion_matches(text, NextMatch);
}
#endif

class TerminalSource final : public CommandSource {
 public:
  TerminalSource() {
#ifdef DELEGSIM_HAVE_LIBEDIT
    // Words end at spaces and ';' ("n;br<TAB>"); ':' stays inside "host:web1".
    static char breaks[] = " \t\n;";
    rl_completer_word_break_characters = breaks;
    rl_attempted_completion_function = AttemptCompletion;
#endif
  }
  ~TerminalSource() override {
#ifdef DELEGSIM_HAVE_LIBEDIT
    if (g_completion_names == &names_) g_completion_names = nullptr;
#endif
  }
  TerminalSource(const TerminalSource&) = delete;
  TerminalSource& operator=(const TerminalSource&) = delete;

  void SetCompletions(CompletionNames names) override { names_ = std::move(names); }

  std::optional<std::string> Next(const std::string& prompt) override {
    std::cout.flush();
#ifdef DELEGSIM_HAVE_LIBEDIT
    g_completion_names = &names_;
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) {
      std::cout << "\n";
      return std::nullopt;
    }
    std::string line(raw);
    std::free(raw);
    if (!Trim(line).empty()) add_history(line.c_str());
    return line;
#else
    std::cout << prompt << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) {
      std::cout << "\n";
      return std::nullopt;
    }
    return line;
#endif
  }

 private:
  CompletionNames names_;
};

// ---------------------------------------------------------------------------------------
// Rendering helpers.

// ANSI colours, or nothing.
class Paint {
 public:
  explicit Paint(bool on) : on_(on) {}
  std::string Bold(std::string_view s) const { return Wrap("1", s); }
  std::string Dim(std::string_view s) const { return Wrap("2", s); }
  std::string Red(std::string_view s) const { return Wrap("1;31", s); }
  std::string Green(std::string_view s) const { return Wrap("32", s); }
  std::string Yellow(std::string_view s) const { return Wrap("33", s); }
  std::string Cyan(std::string_view s) const { return Wrap("36", s); }

 private:
  std::string Wrap(std::string_view code, std::string_view s) const {
    if (!on_) return std::string(s);
    return "\033[" + std::string(code) + "m" + std::string(s) + "\033[0m";
  }
  bool on_;
};

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Seq(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "#%04llu", static_cast<unsigned long long>(seq));
  return buf;
}

std::string LevelText(v1::Level l) {
  std::optional<nodes::Level> level = nodes::FromWire(l);
  return level ? std::string(nodes::LevelName(*level)) : "default";
}

std::string EffectName(Effect e) {
  switch (e) {
    case Effect::kRead:
      return "read";
    case Effect::kDeny:
      return "deny";
    case Effect::kSet:
      return "set";
    case Effect::kClear:
      return "clear";
  }
  return "?";
}

// The sealed part of a ticket, read without verifying the seal (a debugger's privilege).
std::optional<v1::TicketBody> Peek(const v1::SealedTicket& sealed) {
  if (sealed.body().empty()) return std::nullopt;
  v1::TicketBody body;
  if (!body.ParseFromString(sealed.body())) return std::nullopt;
  return body;
}

// Text format with bytes fields (seals, keys, sealed ticket bodies, challenges) shown as
// their size and first bytes in hex, "<32 bytes 9f3a...>", which people can read.
class BytesPrinter final : public google::protobuf::TextFormat::FastFieldValuePrinter {
 public:
  void PrintBytes(const std::string& val,
                  google::protobuf::TextFormat::BaseTextGenerator* out) const override {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s = "\"<" + std::to_string(val.size()) + " bytes";
    if (!val.empty()) s += " ";
    for (size_t i = 0; i < std::min(val.size(), kBytesShown); ++i) {
      s += kHex[static_cast<unsigned char>(val[i]) >> 4];
      s += kHex[static_cast<unsigned char>(val[i]) & 0xf];
    }
    s += val.size() > kBytesShown ? "...>\"" : ">\"";
    out->PrintString(s);
  }
};

// The opaque decision records a message carries (KdcRep.decision, HopResult.steps) shown
// decoded and explained: "<decision record: allowed by DS-9; forwardable set by UD-5>".
class RecordPrinter final : public google::protobuf::TextFormat::FastFieldValuePrinter {
 public:
  void PrintBytes(const std::string& val,
                  google::protobuf::TextFormat::BaseTextGenerator* out) const override {
    v1::DecisionRecord record;
    if (!record.ParseFromString(val)) {
      out->PrintString("\"<" + std::to_string(val.size()) + " bytes: not a decision record>\"");
      return;
    }
    out->PrintString("\"<decision record: " + kdc::FromRecord(record).Explain() + ">\"");
  }
};

bool IsMessage(const TraceRecord& r) {
  return r.kind == TraceKind::kSend || r.kind == TraceKind::kDeliver;
}

// The hop path an event belongs to: its own, or the path of the call or reply it carries.
std::string PathOf(const TraceRecord& r) {
  if (!r.path.empty()) return r.path;
  if (r.message) {
    if (r.message->has_call()) return r.message->call().path();
    if (r.message->has_call_reply()) return r.message->call_reply().result().path();
  }
  return "";
}

bool IsAncestorOrSelf(std::string_view ancestor, std::string_view path) {
  if (ancestor.empty() || ancestor.size() > path.size()) return false;
  if (path.substr(0, ancestor.size()) != ancestor) return false;
  return ancestor.size() == path.size() || path[ancestor.size()] == '/';
}

// How an allowed hop's identity got there and how the hop may carry it on: the delegation
// mechanism (sim/mechanism.h) rather than the rule that settled its level.
std::string Delegation(const v1::HopResult& hop) {
  sim::HopMechanismInfo in = sim::DescribeMechanism(hop);
  std::string rule;
  std::string onward = sim::OnwardMechanism(hop, &rule);
  std::string text = in.mechanism == "direct"
                         ? "reached with " + std::string(sim::MechanismLabel("direct"))
                         : "reached by " + std::string(sim::MechanismLabel(in.mechanism)) + " [" +
                               Join(in.rules, ", ") + "]";
  if (onward != "none") {
    text +=
        "; carries the identity on by " +
        std::string(onward == "constrained" ? "constrained or resource-based delegation (S4U2proxy)"
                                            : sim::MechanismLabel(onward)) +
        " [" + rule + "]";
  }
  return text;
}

// ---------------------------------------------------------------------------------------
// The stepper.

struct Breakpoint {
  enum class Kind { kHost, kService, kRule, kDenial };
  int id = 0;
  Kind kind = Kind::kDenial;
  std::string value;  // host, service or rule id

  std::string Label() const {
    switch (kind) {
      case Kind::kHost:
        return "host:" + value;
      case Kind::kService:
        return "service:" + value;
      case Kind::kRule:
        return "rule:" + value;
      case Kind::kDenial:
        return "denial";
    }
    return "?";
  }
};

class Stepper {
 public:
  Stepper(sim::Scenario scenario, const StepOptions& options, CommandSource& commands,
          std::ostream& out, std::ostream& err)
      : scenario_(std::move(scenario)),
        options_(options),
        commands_(commands),
        out_(out),
        err_(err),
        paint_(options.color),
        replays_(options.runtime == "virtual") {}
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;

  int Run();

 private:
  enum class Mode { kStep, kContinue };
  enum class End { kNone, kQuit, kEndOfInput };

  Status BuildWorld();
  void OnRecord(const TraceRecord& rec);
  void Stop(size_t index, const Breakpoint* hit);
  // Reads and runs commands until one resumes the world (or ends the session).
  void Prompt();
  // Runs one command; true when the world should resume.
  bool Execute(const std::string& command);
  void Halt();
  void Summary(const Status& run);

  // Commands.
  bool CmdNext(const std::string& arg);
  bool CmdContinue();
  void CmdBreak(const std::string& arg);
  void CmdDelete(const std::string& arg);
  bool CmdBack();
  void CmdList(const std::string& arg);
  void CmdToken();
  void CmdTicket();
  void CmdMessage();
  void CmdWhy();
  void CmdHelp();

  const Breakpoint* Hit(const TraceRecord& rec) const;
  std::optional<Breakpoint> ParseBreakpoint(const std::string& spec, std::string& error) const;

  // Rendering.
  void ShowEvent(const TraceRecord& r);
  std::string Header(const TraceRecord& r) const;
  std::string NodeName(uint32_t id) const;
  std::string Principal(uint32_t id) const;
  std::string DescribeMessage(const v1::Envelope& env) const;
  std::string TicketLine(const v1::TicketBody& t) const;
  void ShowDecision(const Decision& d, const std::string& summary);
  void ShowTicket(const v1::TicketBody& t, const std::string& title);
  std::string RuleLine(RuleId id) const;

  sim::Scenario scenario_;
  const StepOptions options_;
  CommandSource& commands_;
  std::ostream& out_;
  std::ostream& err_;
  Paint paint_;
  const bool replays_;  // `back` replays (virtual); otherwise it walks the history (tcp)

  std::unique_ptr<sim::World> world_;
  std::vector<std::string> node_names_;         // by NodeId - 1
  std::map<std::string, std::string> host_of_;  // node name -> host
  std::set<std::string> hosts_;

  std::vector<TraceRecord> history_;   // every event of the current run, in order
  std::vector<TraceRecord> previous_;  // the run `back` replays, to check it is the same
  size_t cursor_ = 0;                  // index of the event shown
  Mode mode_ = Mode::kStep;
  uint64_t steps_left_ = 1;
  std::optional<size_t> replay_to_;  // index to stop at while replaying (virtual `back`)
  bool restart_ = false;             // rebuild and re-run the world (virtual `back`)
  bool diverged_ = false;
  End end_ = End::kNone;
  std::vector<Breakpoint> breakpoints_;
  int next_breakpoint_ = 1;
  std::vector<std::string> pending_;  // commands left on the last line read (';')
};

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

// ---------------------------------------------------------------------------------------
// Showing events.

std::string Stepper::NodeName(uint32_t id) const {
  if (id >= 1 && id <= node_names_.size()) return node_names_[id - 1];
  return "node " + std::to_string(id);
}

std::string Stepper::Principal(uint32_t id) const {
  if (id == kdc::kNobody) return "anonymous";
  if (id > world_->directory().principal_count()) return "principal " + std::to_string(id);
  return world_->directory().FullName(id);
}

std::string Stepper::TicketLine(const v1::TicketBody& t) const {
  return Principal(t.client()) + " -> " + t.sname() + " [" + kdc::KlistFlags(t.flags()) + "]";
}

std::string Stepper::Header(const TraceRecord& r) const {
  std::string head = paint_.Dim("[" + Seq(r.seq) + " " + std::to_string(r.time) + " ms]") + " " +
                     paint_.Bold(r.node) + "  " + paint_.Cyan(nodes::TraceKindName(r.kind));
  std::string path = PathOf(r);
  if (!path.empty()) head += "  " + path;
  return head;
}

std::string Stepper::DescribeMessage(const v1::Envelope& env) const {
  switch (env.body_case()) {
    case v1::Envelope::kAsReq: {
      const v1::AsReq& req = env.as_req();
      return "AS-REQ: a TGT for " + req.client() +
             (req.options().forwardable() ? ", forwardable asked" : "") +
             (req.preauth().empty() ? ", no pre-authentication" : ", pre-authenticated");
    }
    case v1::Envelope::kTgsReq: {
      const v1::TgsReq& req = env.tgs_req();
      std::optional<v1::TicketBody> tgt = Peek(req.tgt());
      std::string as = tgt ? " (TGT of " + Principal(tgt->client()) + ")" : "";
      std::string opts = req.options().forwardable() ? ", forwardable asked" : "";
      if (req.options().cname_in_addl_tkt()) {
        std::optional<v1::TicketBody> ev = Peek(req.evidence());
        return "TGS-REQ with S4U2Proxy: a ticket to " + req.sname() + " for " +
               (ev ? Principal(ev->client()) : std::string("?")) + as + opts +
               (req.rbcd() ? ", resource-based" : "") + (ev ? "; evidence " + TicketLine(*ev) : "");
      }
      if (!req.for_user().empty()) {
        return "TGS-REQ with S4U2Self: a ticket to " + req.sname() + " for " + req.for_user() + as +
               opts;
      }
      if (req.options().forwarded()) return "TGS-REQ: a forwarded TGT" + as + opts;
      return "TGS-REQ: a ticket to " + req.sname() + as + opts;
    }
    case v1::Envelope::kKdcRep:
      return "KDC-REP: ticket " + TicketLine(env.kdc_rep().view());
    case v1::Envelope::kKdcError: {
      const v1::DecisionRecord& d = env.kdc_error().decision();
      return "KRB-ERROR " + env.kdc_error().error() +
             (d.rule().empty() ? "" : " (denied by " + d.rule() + ")");
    }
    case v1::Envelope::kCall: {
      const v1::Call& c = env.call();
      std::string s = "CALL " + c.path() + " to " + c.service() + " at requested level " +
                      LevelText(c.requested_level()) + " over " +
                      std::string(nodes::TransportName(c.transport())) + ", " +
                      std::string(nodes::PackageName(c.package()));
      switch (c.auth_case()) {
        case v1::Call::kKerberos: {
          const v1::ApReq& ap = c.kerberos();
          std::optional<v1::TicketBody> t = Peek(ap.ticket());
          s += "; AP-REQ with ticket " + (t ? TicketLine(*t) : ap.ticket().sname());
          s += ap.flags().deleg() && !ap.forwarded_tgt().tgt().body().empty()
                   ? ", TGT forwarded [" + kdc::KlistFlags(ap.forwarded_tgt().view().flags()) + "]"
                   : ", no TGT forwarded";
          if (ap.flags().mutual()) s += ", mutual";
          break;
        }
        case v1::Call::kNtlm:
          s += "; NTLM AUTHENTICATE as " + c.ntlm().user() + "@" + c.ntlm().domain();
          break;
        case v1::Call::kSchannel:
          s += "; client certificate of " + c.schannel().subject();
          break;
        case v1::Call::kAnonymous:
          s += "; no credentials (anonymous)";
          break;
        case v1::Call::kForms:
          s += "; forms sign-in as " + c.forms().user() + " (the service checks the password)";
          break;
        default:
          if (c.has_local_session()) {
            s += "; the caller's logon session (" + Principal(c.local_session().user()) + ")";
          }
          break;
      }
      if (!c.caller_net_creds().empty()) s += "; caller net_creds=" + c.caller_net_creds();
      return s;
    }
    case v1::Envelope::kCallReply: {
      const v1::HopResult& h = env.call_reply().result();
      if (h.verdict() == "denied") {
        return "REPLY " + h.path() + ": denied by " + h.decision().rule() +
               (h.decision().error().empty() ? "" : " (" + h.decision().error() + ")");
      }
      return "REPLY " + h.path() + ": allowed as " +
             (h.identity().empty() ? "anonymous" : h.identity()) + ", level " +
             LevelText(h.level()) + ", net_creds=" + h.net_creds();
    }
    default:
      return nodes::DescribeEnvelope(env);
  }
}

void Stepper::ShowDecision(const Decision& d, const std::string& summary) {
  out_ << "  " << summary << "\n";
  std::string verdict = d.allowed() ? paint_.Green("ALLOWED") : paint_.Red("DENIED");
  out_ << "  " << verdict << " by " << paint_.Yellow(RuleCode(d.rule()));
  if (!d.error().empty()) out_ << " (" << d.error() << ")";
  out_ << "\n";
  std::vector<std::string> effects;
  for (const Check& c : d.checks()) {
    if (c.effect == Effect::kSet || c.effect == Effect::kClear) {
      effects.push_back(c.what + (c.effect == Effect::kSet ? " set by " : " cleared by ") +
                        std::string(RuleCode(c.rule)));
    }
  }
  if (!effects.empty()) out_ << "  effects: " << Join(effects, ", ") << "\n";
  // The facts the deciding rule read (all facts when it read none), without repeats.
  std::vector<std::string> facts;
  auto add = [&](const Fact& f) {
    std::string s = f.ToString();
    if (std::find(facts.begin(), facts.end(), s) == facts.end()) facts.push_back(s);
  };
  for (const Check& c : d.checks()) {
    if (c.rule == d.rule()) std::for_each(c.facts.begin(), c.facts.end(), add);
  }
  if (facts.empty()) {
    for (const Fact& f : d.Facts()) add(f);
  }
  if (!facts.empty()) {
    size_t shown = std::min(facts.size(), kMaxEventFacts);
    std::vector<std::string> head(facts.begin(), facts.begin() + shown);
    out_ << "  facts: " << EscapeUnsafe(Join(head, ", "));
    if (shown < facts.size()) out_ << " (+" << facts.size() - shown << " more: why)";
    out_ << "\n";
  }
  std::string reason = std::string(Rule(d.rule()).statement);
  std::vector<std::string> causes;
  for (const Cause& c : d.causes()) {
    causes.push_back(std::string(RuleCode(c.rule)) + ": " + c.fact.ToString());
  }
  if (!causes.empty()) reason += " Because " + Join(causes, "; ") + ".";
  out_ << "  reason: " << EscapeUnsafe(reason) << "\n";
}

void Stepper::ShowEvent(const TraceRecord& r) {
  out_ << Header(r) << "\n";
  if (r.decision) {
    ShowDecision(*r.decision, r.summary);
  } else if (IsMessage(r) && r.message) {
    const v1::Envelope& env = *r.message;
    out_ << "  " << NodeName(env.from()) << " -> " << NodeName(env.to()) << ": "
         << EscapeUnsafe(DescribeMessage(env)) << "\n";
  } else {
    out_ << "  " << r.summary << "\n";
    std::vector<std::string> rules = r.Rules();
    if (r.kind == TraceKind::kHop && r.hop && r.hop->verdict() == "allowed") {
      out_ << "  delegation: " << Delegation(*r.hop) << "\n";
    } else if (r.kind == TraceKind::kHop && !rules.empty()) {
      out_ << "  decided by " << paint_.Yellow(rules.front()) << "\n";
    }
  }
  if (r.token) {
    const nodes::TokenView& t = *r.token;
    out_ << "  token: " << Principal(t.user) << ", " << t.level << ", net_creds=" << t.net_creds
         << (t.primary ? ", primary token" : ", thread token") << "\n";
  }
}

// ---------------------------------------------------------------------------------------
// Inspecting.

void Stepper::CmdToken() {
  const TraceRecord& cur = history_[cursor_];
  // The thread of the hop this event belongs to, on this event's node: never a token of
  // another call or another node.
  const std::string path = PathOf(cur);
  if (path.empty()) {
    out_ << "no server thread at this event: " << cur.node << " " << nodes::TraceKindName(cur.kind)
         << " belongs to no hop (a client's logon or a KDC exchange)\n";
    return;
  }
  const TraceRecord* found = nullptr;
  for (size_t i = cursor_ + 1; found == nullptr && i-- > 0;) {
    const TraceRecord& r = history_[i];
    if (r.token && r.node == cur.node && IsAncestorOrSelf(r.path, path)) found = &r;
  }
  if (found == nullptr) {
    out_ << "no token for " << path << " on " << cur.node << " yet: "
         << (cur.node.find('@') != std::string::npos
                 ? "a client runs as its own logon session"
                 : "the service has not impersonated the caller at this event")
         << "\n";
    return;
  }
  std::string where = "token of " + found->node + "'s thread for " + found->path;
  const nodes::TokenView& t = *found->token;
  std::vector<std::string> groups;
  for (uint32_t g : t.groups) groups.push_back(Principal(g));
  out_ << where << " (" << Seq(found->seq) << " " << nodes::TraceKindName(found->kind) << ")\n"
       << "  identity    " << paint_.Bold(Principal(t.user)) << "\n"
       << "  groups      " << (groups.empty() ? "none" : Join(groups, ", ")) << "\n"
       << "  privileges  " << (t.privileges.empty() ? "none" : Join(t.privileges, ", ")) << "\n"
       << "  level       " << t.level << "\n"
       << "  net_creds   " << t.net_creds << " (" << t.net_creds_rule << ")\n"
       << "  type        "
       << (t.primary ? "primary (process) token" : "impersonation (thread) token") << " on "
       << t.host << "\n";
}

void Stepper::ShowTicket(const v1::TicketBody& t, const std::string& title) {
  out_ << title << "\n"
       << "  client     " << paint_.Bold(Principal(t.client())) << "\n"
       << "  server     " << EscapeUnsafe(t.sname()) << " (realm " << EscapeUnsafe(t.realm())
       << ")\n";
  std::string letters = kdc::KlistFlags(t.flags());
  std::string names = kdc::FlagNames(t.flags());
  out_ << "  flags      " << (letters.empty() ? "-" : letters) << " ("
       << (names.empty() ? "none" : names) << ")\n"
       << "  valid      from t=" << sim::HumanDuration(t.start_ms())
       << " to t=" << sim::HumanDuration(t.end_ms()) << " (lifetime "
       << sim::HumanDuration(SaturatingSub(t.end_ms(), t.start_ms())) << ")\n";
  const v1::Pac& pac = t.pac();
  std::vector<std::string> groups;
  for (uint32_t g : pac.groups()) groups.push_back(Principal(g));
  out_ << "  pac        user " << Principal(pac.user()) << "; groups "
       << (groups.empty() ? "none" : Join(groups, ", "))
       << (pac.service_asserted() ? "; service-asserted identity (S4U2Self)" : "") << "\n";
  std::vector<std::string> transited(pac.transited_services().begin(),
                                     pac.transited_services().end());
  out_ << "  transited  " << (transited.empty() ? "none" : EscapeUnsafe(Join(transited, ", ")))
       << "\n";
  if (!pac.s4u2proxy_target().empty()) {
    out_ << "  s4u2proxy  target " << EscapeUnsafe(pac.s4u2proxy_target()) << "\n";
  }
  if (!t.referral_from().empty()) {
    out_ << "  referral   from " << EscapeUnsafe(t.referral_from()) << "\n";
  }
  for (const v1::FlagCause& c : t.causes()) {
    out_ << "  no " << EscapeUnsafe(c.flag()) << ": " << EscapeUnsafe(c.rule()) << " ("
         << EscapeUnsafe(c.fact()) << ")\n";
  }
}

void Stepper::CmdTicket() {
  const TraceRecord& cur = history_[cursor_];
  if (cur.ticket) return ShowTicket(*cur.ticket, "ticket issued at " + Seq(cur.seq));
  // A KDC decision: the tickets of the request it decided (delivered just before).
  const TraceRecord* request = &cur;
  if (cur.kind == TraceKind::kKdcDecision) {
    for (size_t i = cursor_; i-- > 0;) {
      if (history_[i].node == cur.node && history_[i].kind == TraceKind::kDeliver) {
        request = &history_[i];
        break;
      }
    }
  }
  if (request->message) {
    const v1::Envelope& env = *request->message;
    std::string at = " (" + Seq(request->seq) + ")";
    if (env.has_kdc_rep()) return ShowTicket(env.kdc_rep().view(), "ticket in the KDC-REP" + at);
    if (env.has_call() && env.call().has_kerberos()) {
      const v1::ApReq& ap = env.call().kerberos();
      if (std::optional<v1::TicketBody> t = Peek(ap.ticket())) {
        ShowTicket(*t, "ticket presented in the AP-REQ" + at);
      }
      if (!ap.forwarded_tgt().tgt().body().empty()) {
        ShowTicket(ap.forwarded_tgt().view(), "forwarded TGT in the AP-REQ" + at);
      }
      return;
    }
    if (env.has_tgs_req()) {
      const v1::TgsReq& req = env.tgs_req();
      if (std::optional<v1::TicketBody> t = Peek(req.tgt())) {
        ShowTicket(*t, "TGT presented in the TGS-REQ" + at);
      }
      if (std::optional<v1::TicketBody> ev = Peek(req.evidence())) {
        ShowTicket(*ev, "evidence ticket of the S4U2Proxy request" + at);
      }
      return;
    }
  }
  // Otherwise the ticket this event's hop was called with: never one of another call.
  const std::string path = PathOf(cur);
  if (path.empty()) {
    out_ << "no ticket at this event (tickets show at KDC requests, replies and decisions, "
            "and on a hop's events)\n";
    return;
  }
  // A call that never reached its service (refused at the caller) has none: then the
  // ticket its caller's hop was called with, up the same chain.
  std::string note;
  for (std::string hop = path; !hop.empty();) {
    for (size_t i = cursor_ + 1; i-- > 0;) {
      const TraceRecord& r = history_[i];
      if (r.kind != TraceKind::kDeliver || !r.message || !r.message->has_call() ||
          r.message->call().path() != hop) {
        continue;
      }
      const v1::Call& call = r.message->call();
      std::optional<v1::TicketBody> t =
          call.has_kerberos() ? Peek(call.kerberos().ticket()) : std::nullopt;
      out_ << note;
      if (!t) {
        out_ << "no ticket: the call into " << hop << " (" << Seq(r.seq) << ") used "
             << nodes::PackageName(call.package()) << ", not Kerberos\n";
        return;
      }
      ShowTicket(*t, "ticket " + hop + " was called with (" + Seq(r.seq) + ")");
      return;
    }
    note += "no ticket for " + hop + ": the call has not reached its service\n";
    size_t slash = hop.rfind('/');
    hop = slash == std::string::npos ? "" : hop.substr(0, slash);
    // The first segment is the step's name, not a hop.
    if (hop.find('/') == std::string::npos) break;
  }
  out_ << note;
}

void Stepper::CmdMessage() {
  size_t i = cursor_ + 1;
  while (i-- > 0 && !history_[i].message) {
  }
  if (i == static_cast<size_t>(-1)) {
    out_ << "no message has been sent yet\n";
    return;
  }
  const TraceRecord& r = history_[i];
  const v1::Envelope& env = *r.message;
  google::protobuf::TextFormat::Printer printer;
  // The printer takes ownership of its field value printer.
  printer.SetDefaultFieldValuePrinter(std::make_unique<BytesPrinter>().release());
  for (const google::protobuf::FieldDescriptor* record_field :
       {v1::KdcRep::descriptor()->FindFieldByName("decision"),
        v1::HopResult::descriptor()->FindFieldByName("steps")}) {
    auto record_printer = std::make_unique<RecordPrinter>();
    if (printer.RegisterFieldValuePrinter(record_field, record_printer.get())) {
      record_printer.release();  // the printer owns it now
    }
  }
  std::string text;
  printer.PrintToString(env, &text);
  out_ << (i == cursor_ ? "message of this event" : "last message, at " + Seq(r.seq)) << ": "
       << NodeName(env.from()) << " -> " << NodeName(env.to()) << " ("
       << nodes::TraceKindName(r.kind) << ", " << env.ByteSizeLong() << " bytes on the wire)\n";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out_ << "  " << line << "\n";
}

std::string Stepper::RuleLine(RuleId id) const {
  const RuleInfo& info = Rule(id);
  std::string code(info.code);
  code.resize(std::max<size_t>(code.size(), 6), ' ');
  return "    " + paint_.Yellow(code) + " " + std::string(info.statement) + "\n" +
         std::string(11, ' ') + "enforced by the " + std::string(EnforcerName(info.enforcer)) +
         "; sources: " + std::string(info.sources) + "\n";
}

void Stepper::CmdWhy() {
  size_t i = cursor_ + 1;
  while (i-- > 0 && !history_[i].decision) {
  }
  if (i == static_cast<size_t>(-1)) {
    out_ << "no decision has been made yet\n";
    return;
  }
  const TraceRecord& r = history_[i];
  const Decision& d = *r.decision;
  out_ << "why: " << Seq(r.seq) << " " << r.node << " " << nodes::TraceKindName(r.kind);
  if (!r.path.empty()) out_ << " " << r.path;
  out_ << ": " << r.summary << "\n";
  out_ << "  " << (d.allowed() ? paint_.Green("allowed") : paint_.Red("denied")) << " by "
       << paint_.Yellow(RuleCode(d.rule()));
  if (!d.error().empty()) out_ << ", error " << d.error();
  if (!d.status().empty()) out_ << ", status " << d.status();
  out_ << "\n  checks, in the order they ran:\n";
  for (size_t k = 0; k < d.checks().size(); ++k) {
    const Check& c = d.checks()[k];
    std::vector<std::string> facts;
    for (const Fact& f : c.facts) facts.push_back(f.ToString());
    std::string code(RuleCode(c.rule));
    code.resize(std::max<size_t>(code.size(), 6), ' ');
    std::string effect = EffectName(c.effect) + (c.what.empty() ? "" : " " + c.what);
    out_ << "    " << k + 1 << ". " << code << " " << effect;
    if (!facts.empty()) out_ << ": " << EscapeUnsafe(Join(facts, ", "));
    out_ << "\n";
  }
  if (!d.causes().empty()) {
    out_ << "  because:\n";
    for (const Cause& c : d.causes()) {
      out_ << "    " << RuleCode(c.rule) << ": " << c.fact.ToString() << "\n";
    }
  }
  // Every rule named, decider first, then every other rule consulted.
  std::vector<RuleId> rules = d.Rules();
  for (RuleId id : d.RulesConsulted()) {
    if (std::find(rules.begin(), rules.end(), id) == rules.end()) rules.push_back(id);
  }
  out_ << "  rules:\n";
  for (RuleId id : rules) out_ << RuleLine(id);
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

}  // namespace

std::vector<std::string> CompleteStepCommand(std::string_view line, const CompletionNames& names) {
  // The command being typed: after the last ';'.
  if (size_t semi = line.rfind(';'); semi != std::string_view::npos) line.remove_prefix(semi + 1);
  std::vector<std::string> words;
  std::string current;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  std::vector<std::string> candidates;
  auto offer = [&](const std::string& word) {
    if (word.compare(0, current.size(), current) == 0) candidates.push_back(word);
  };
  if (words.empty()) {
    for (const char* c : kCommands) offer(c);
    return candidates;
  }
  const std::string command = Lower(words.front());
  if ((command != "break" && command != "b") || words.size() != 1) return candidates;
  size_t colon = current.find(':');
  if (colon == std::string::npos) {
    for (const char* kind : {"host:", "service:", "rule:", "denial"}) offer(kind);
    return candidates;
  }
  const std::string kind = Lower(current.substr(0, colon));
  const std::vector<std::string>* list = kind == "host"      ? &names.hosts
                                         : kind == "service" ? &names.services
                                         : kind == "rule"    ? &names.rules
                                                             : nullptr;
  if (list == nullptr) return candidates;
  for (const std::string& name : *list) offer(current.substr(0, colon + 1) + name);
  return candidates;
}

std::unique_ptr<CommandSource> ScriptCommands(std::string_view script, std::ostream& out) {
  return std::make_unique<ScriptSource>(script, out);
}

std::unique_ptr<CommandSource> StreamCommands(std::istream& in, std::ostream& out) {
  return std::make_unique<StreamSource>(in, out);
}

std::unique_ptr<CommandSource> TerminalCommands() { return std::make_unique<TerminalSource>(); }

int StepCommand(const StepOptions& options, CommandSource& commands, std::ostream& out,
                std::ostream& err) {
  sim::LoadResult r = sim::LoadScenarioFile(options.file, options.max_file_bytes);
  if (!r.ok()) {
    for (const sim::Problem& p : r.problems) err << p.ToString() << "\n";
    err << options.file << ": " << r.problems.size() << " problem"
        << (r.problems.size() == 1 ? "" : "s") << "; nothing was run\n";
    return kExitInvalid;
  }
  if (options.runtime != "tcp" && options.runtime != "virtual") {
    err << "unknown runtime '" << options.runtime << "' (expected tcp or virtual)\n";
    return kExitInvalid;
  }
  Stepper stepper(std::move(*r.scenario), options, commands, out, err);
  int status = stepper.Run();
  out.flush();
  return status;
}

int StepMain(const StepOptions& options, const std::optional<std::string>& script) {
  std::unique_ptr<CommandSource> source;
  if (script) {
    source = ScriptCommands(*script, std::cout);
  } else if (isatty(STDIN_FILENO)) {
    source = TerminalCommands();
  } else {
    source = StreamCommands(std::cin, std::cout);
  }
  return StepCommand(options, *source, std::cout, std::cerr);
}

}  // namespace delegsim::cli
