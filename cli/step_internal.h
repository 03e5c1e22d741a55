// The parts of `delegsim step` (cli/step.h) its files share: the stepper session, its
// breakpoints and the rendering helpers. Only the step files include this header.
//
//   cli/step_session.cc   the world, the event loop, stopping and the prompt; the summary
//   cli/step_commands.cc  next, continue, break, delete, back, list, help
//   cli/step_views.cc     how events, messages, tickets, tokens and decisions are shown
//   cli/step_input.cc     where commands come from (script, stream, terminal) and completion
//   cli/step.cc           StepCommand and StepMain
#ifndef DELEGSIM_CLI_STEP_INTERNAL_H_
#define DELEGSIM_CLI_STEP_INTERNAL_H_

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
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/step.h"
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

namespace delegsim::cli::step_internal {

using nodes::TraceKind;
using nodes::TraceRecord;

inline constexpr std::string_view kPrompt = "(step) ";
// Facts shown with an event; `why` shows them all.
inline constexpr size_t kMaxEventFacts = 6;
// Bytes fields (seals, keys, sealed bodies) show this many leading bytes in `message`.
inline constexpr size_t kBytesShown = 8;

// ---------------------------------------------------------------------------------------
// Command sources.

inline std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// `s` safe to print on a terminal: control bytes as \xNN, at most `max` bytes of it.
inline std::string Printable(std::string_view s, size_t max = 200) {
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

inline std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string Seq(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "#%04llu", static_cast<unsigned long long>(seq));
  return buf;
}

inline std::string LevelText(v1::Level l) {
  std::optional<nodes::Level> level = nodes::FromWire(l);
  return level ? std::string(nodes::LevelName(*level)) : "default";
}

inline std::string EffectName(Effect e) {
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
inline std::optional<v1::TicketBody> Peek(const v1::SealedTicket& sealed) {
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

inline bool IsMessage(const TraceRecord& r) {
  return r.kind == TraceKind::kSend || r.kind == TraceKind::kDeliver;
}

// The hop path an event belongs to: its own, or the path of the call or reply it carries.
inline std::string PathOf(const TraceRecord& r) {
  if (!r.path.empty()) return r.path;
  if (r.message) {
    if (r.message->has_call()) return r.message->call().path();
    if (r.message->has_call_reply()) return r.message->call_reply().result().path();
  }
  return "";
}

inline bool IsAncestorOrSelf(std::string_view ancestor, std::string_view path) {
  if (ancestor.empty() || ancestor.size() > path.size()) return false;
  if (path.substr(0, ancestor.size()) != ancestor) return false;
  return ancestor.size() == path.size() || path[ancestor.size()] == '/';
}

// How an allowed hop's identity got there and how the hop may carry it on: the delegation
// mechanism (sim/mechanism.h) rather than the rule that settled its level.
inline std::string Delegation(const v1::HopResult& hop) {
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

}  // namespace delegsim::cli::step_internal

#endif  // DELEGSIM_CLI_STEP_INTERNAL_H_
