// `delegsim step`: where commands come from (a script, a stream, the terminal with
// libedit's line editing and history) and the completion of commands and breakpoints.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/step_internal.h"

#ifdef DELEGSIM_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

namespace delegsim::cli {
namespace {

using step_internal::Lower;
using step_internal::Printable;
using step_internal::Trim;

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

}  // namespace delegsim::cli
