#include "sim/loader.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "common/rules.h"
#include "common/text.h"
#include "kdc/directory.h"
#include "nodes/token.h"
#include "nodes/topology.h"
#include "sim/loader_expectations.h"

namespace delegsim::sim {
namespace {

using Json = nlohmann::json;
using Ops = google::protobuf::RepeatedPtrField<v1::Operation>;
using Names = std::span<const std::string_view>;

// ---------------------------------------------------------------------------------------
// Vocabulary of the format. Every list here is also spelled out in
// docs/scenario.schema.json and docs/scenario-format.md.

constexpr std::string_view kTopFields[] = {
    "$schema", "name",   "description", "profile",    "options", "seed",
    "domains", "trusts", "hosts",       "accounts",   "groups",  "services",
    "objects", "steps",  "expect",      "invariants", "faults"};
constexpr std::string_view kOptionFields[] = {
    "legacy_rbcd",    "ignore_delegate_failure", "client_policy",    "logon_user_requires_tcb",
    "hop_limit",      "client_forwardable",      "client_renewable", "max_ticket_life",
    "max_renew_life", "client_library"};
constexpr std::string_view kDomainFields[] = {"name", "forest", "functional_level", "dc"};
constexpr std::string_view kTrustFields[] = {"trusting", "trusted", "direction", "attributes"};
constexpr std::string_view kHostFields[] = {"name", "domain"};
constexpr std::string_view kAccountFields[] = {"name",
                                               "type",
                                               "domain",
                                               "password",
                                               "spns",
                                               "sensitive",
                                               "trusted_for_delegation",
                                               "trusted_to_auth_for_delegation",
                                               "allowed_to_delegate_to",
                                               "allowed_to_act_on_behalf_of",
                                               "allowed_to_authenticate",
                                               "member_of",
                                               "privileges",
                                               "disabled"};
constexpr std::string_view kGroupFields[] = {"name", "domain", "members"};
constexpr std::string_view kServiceFields[] = {"name", "host",       "account",
                                               "spn",  "transports", "privileges"};
constexpr std::string_view kObjectFields[] = {"name", "host", "owner", "acl"};
constexpr std::string_view kAceFields[] = {"allow", "deny", "rights"};
// Options of a call, shared by a step's first call and a nested `call` operation.
constexpr std::string_view kCallOptionFields[] = {"transport",
                                                  "package",
                                                  "level",
                                                  "mutual",
                                                  "api",
                                                  "ignore_delegate_failure",
                                                  "protocol_transition",
                                                  "by_ip_address",
                                                  "transport_level",
                                                  "on_behalf_of",
                                                  "use_ticket",
                                                  "replay_authenticator",
                                                  "then"};
constexpr std::string_view kClockStepFields[] = {"advance_clock"};
constexpr std::string_view kInvariantFields[] = {"name", "no_reach", "only_holders",
                                                 "only_through"};
constexpr std::string_view kInvariantKinds[] = {"no_reach", "only_holders", "only_through"};
constexpr std::string_view kNoReachFields[] = {"identities", "targets", "min_level"};
constexpr std::string_view kOnlyHoldersFields[] = {"accounts", "net_creds", "spn"};
constexpr std::string_view kOnlyThroughFields[] = {"service", "via"};
constexpr std::string_view kHeldCreds[] = {"tgt", "own_session", "s4u_proxy"};
constexpr std::string_view kFaultFields[] = {"name", "kind",      "host", "domain", "from",
                                             "to",   "both_ways", "by",   "start",  "end"};
constexpr std::string_view kExpectFields[] = {
    "path",      "access", "op",         "verdict",         "identity",  "level",
    "net_creds", "error",  "decided_by", "rules",           "not_rules", "ticket_flags",
    "tickets",   "nth",    "token",      "transport_level", "gss_flags"};
// The key that names what an operation does; exactly one per operation object.
constexpr std::string_view kOpKinds[] = {"open",
                                         "check",
                                         "create",
                                         "call",
                                         "create_process",
                                         "create_process_as_user",
                                         "logon_user",
                                         "revert",
                                         "privilege_check",
                                         "open_thread_token",
                                         "impersonate_self",
                                         "duplicate_token",
                                         "s4u_logon",
                                         "s4u2self",
                                         "s4u2proxy",
                                         "tgs"};
constexpr std::string_view kTicketFlags[] = {"forwardable", "forwarded",     "proxiable",
                                             "proxy",       "renewable",     "initial",
                                             "pre_authent", "ok_as_delegate"};
bool ValidRight(std::string_view name) { return nodes::ParseRight(name).has_value(); }
// Names of nodes::ParseRight, for suggestions.
constexpr std::string_view kRights[] = {"read",      "write",   "delete", "read_control",
                                        "write_dac", "execute", "full"};
// Every Windows user right a token can hold (winnt.h SE_*_NAME).
constexpr std::string_view kPrivileges[] = {"SeAssignPrimaryTokenPrivilege",
                                            "SeAuditPrivilege",
                                            "SeBackupPrivilege",
                                            "SeChangeNotifyPrivilege",
                                            "SeCreateGlobalPrivilege",
                                            "SeCreatePagefilePrivilege",
                                            "SeCreatePermanentPrivilege",
                                            "SeCreateSymbolicLinkPrivilege",
                                            "SeCreateTokenPrivilege",
                                            "SeDebugPrivilege",
                                            "SeDelegateSessionUserImpersonatePrivilege",
                                            "SeEnableDelegationPrivilege",
                                            "SeImpersonatePrivilege",
                                            "SeIncreaseBasePriorityPrivilege",
                                            "SeIncreaseQuotaPrivilege",
                                            "SeIncreaseWorkingSetPrivilege",
                                            "SeLoadDriverPrivilege",
                                            "SeLockMemoryPrivilege",
                                            "SeMachineAccountPrivilege",
                                            "SeManageVolumePrivilege",
                                            "SeProfileSingleProcessPrivilege",
                                            "SeRelabelPrivilege",
                                            "SeRemoteShutdownPrivilege",
                                            "SeRestorePrivilege",
                                            "SeSecurityPrivilege",
                                            "SeShutdownPrivilege",
                                            "SeSyncAgentPrivilege",
                                            "SeSystemEnvironmentPrivilege",
                                            "SeSystemProfilePrivilege",
                                            "SeSystemtimePrivilege",
                                            "SeTakeOwnershipPrivilege",
                                            "SeTcbPrivilege",
                                            "SeTimeZonePrivilege",
                                            "SeTrustedCredManAccessPrivilege",
                                            "SeUndockPrivilege",
                                            "SeUnsolicitedInputPrivilege"};

template <typename T>
struct Named {
  std::string_view name;
  T value;
};

constexpr Named<std::string_view> kProfiles[] = {
    {"windows", "windows"}, {"mit", "mit"}, {"heimdal", "heimdal"}};
constexpr Named<std::string_view> kClientPolicies[] = {{"windows", "windows"}, {"mit", "mit"}};
constexpr Named<std::string_view> kClientLibraries[] = {{"sspi", "sspi"}, {"mit_gss", "mit_gss"}};
constexpr Named<std::string_view> kTokenKinds[] = {{"primary", "primary"}, {"thread", "thread"}};
constexpr Named<bool> kDirections[] = {{"two-way", true}, {"one-way", false}};
constexpr Named<AccountKind> kAccountKinds[] = {{"user", AccountKind::kUser},
                                                {"computer", AccountKind::kComputer},
                                                {"service", AccountKind::kService}};
constexpr Named<FaultSpec::Kind> kFaultKinds[] = {
    {"host_down", FaultSpec::Kind::kHostDown},
    {"kdc_unreachable", FaultSpec::Kind::kKdcUnreachable},
    {"drop", FaultSpec::Kind::kDrop},
    {"delay", FaultSpec::Kind::kDelay},
    {"slow_host", FaultSpec::Kind::kSlowHost}};
constexpr Named<v1::Transport> kTransports[] = {{"ncalrpc", v1::TRANSPORT_NCALRPC},
                                                {"ncacn_ip_tcp", v1::TRANSPORT_NCACN_IP_TCP},
                                                {"ncacn_np", v1::TRANSPORT_NCACN_NP}};
constexpr Named<v1::Package> kPackages[] = {{"kerberos", v1::PACKAGE_KERBEROS},
                                            {"ntlm", v1::PACKAGE_NTLM},
                                            {"schannel", v1::PACKAGE_SCHANNEL},
                                            {"negotiate", v1::PACKAGE_NEGOTIATE},
                                            {"forms", v1::PACKAGE_FORMS}};
constexpr Named<v1::Api> kApis[] = {{"rpc", v1::API_RPC},
                                    {"named_pipe", v1::API_NAMED_PIPE},
                                    {"com", v1::API_COM},
                                    {"wcf", v1::API_WCF}};
// Impersonation levels by their nodes::LevelName ("anonymous" ... "delegate"), after
// `first`: "default" for a call (the API's default applies, DF-1), "none" for a hop's
// effective level in an expectation (the hop was refused). `T` is v1::Level or the name.
template <typename T>
std::vector<Named<T>> LevelTable(Named<T> first) {
  std::vector<Named<T>> t = {first};
  for (nodes::Level l : {nodes::Level::kAnonymous, nodes::Level::kIdentify,
                         nodes::Level::kImpersonate, nodes::Level::kDelegate}) {
    if constexpr (std::is_same_v<T, v1::Level>) {
      t.push_back({nodes::LevelName(l), nodes::ToWire(l)});
    } else {
      t.push_back({nodes::LevelName(l), nodes::LevelName(l)});
    }
  }
  return t;
}
const std::vector<Named<v1::Level>>& CallLevels() {
  static const auto& t =
      *new std::vector<Named<v1::Level>>(LevelTable<v1::Level>({"default", v1::LEVEL_DEFAULT}));
  return t;
}
// Without "default": levels of a token (DuplicateToken) or of the SMB layer (TR-3).
std::span<const Named<v1::Level>> TokenLevels() {
  return std::span<const Named<v1::Level>>(CallLevels()).subspan(1);
}
const std::vector<Named<std::string_view>>& HopLevels() {
  static const auto& t =
      *new std::vector<Named<std::string_view>>(LevelTable<std::string_view>({"none", "none"}));
  return t;
}
constexpr Named<std::string_view> kVerdicts[] = {{"allowed", "allowed"}, {"denied", "denied"}};
// Domain functional levels by product name (msDS-Behavior-Version).
constexpr Named<int> kFunctionalLevels[] = {{"2003", 2}, {"2008", 3},   {"2008R2", 4},
                                            {"2012", 5}, {"2012R2", 6}, {"2016", 7}};
constexpr int kMaxFunctionalLevel = 10;
constexpr Named<uint32_t> kTrustAttributes[] = {
    {"non_transitive", kdc::trust_attr::kNonTransitive},
    {"uplevel_only", kdc::trust_attr::kUplevelOnly},
    {"quarantined", kdc::trust_attr::kQuarantinedDomain},
    {"forest_transitive", kdc::trust_attr::kForestTransitive},
    {"cross_organization", kdc::trust_attr::kCrossOrganization},
    {"selective_authentication", kdc::trust_attr::kCrossOrganization},
    {"within_forest", kdc::trust_attr::kWithinForest},
    {"treat_as_external", kdc::trust_attr::kTreatAsExternal},
    {"uses_rc4", kdc::trust_attr::kUsesRc4Encryption},
    {"no_tgt_delegation", kdc::trust_attr::kCrossOrganizationNoTgtDelegation},
    {"pim_trust", kdc::trust_attr::kPimTrust},
    {"enable_tgt_delegation", kdc::trust_attr::kCrossOrganizationEnableTgtDelegation}};
constexpr char kMaxClockText[] = "100 years (36500d), the most a scenario's clock may move";
constexpr Named<int64_t> kDurationUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

// ---------------------------------------------------------------------------------------
// Text helpers.

std::string Lower(std::string_view s) { return kdc::ToLower(s); }

bool Contains(Names names, std::string_view s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

template <typename T>
std::vector<std::string_view> NamesOf(std::span<const Named<T>> table) {
  std::vector<std::string_view> out;
  for (const Named<T>& n : table) out.push_back(n.name);
  return out;
}

std::string Join(Names names, std::string_view sep = ", ") {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

// Optimal-string-alignment distance between a and b, ignoring case: insertions,
// deletions, substitutions and transpositions of neighbours each cost 1.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::string x = Lower(a);
  std::string y = Lower(b);
  std::vector<std::vector<size_t>> d(x.size() + 1, std::vector<size_t>(y.size() + 1));
  for (size_t i = 0; i <= x.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= y.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= x.size(); ++i) {
    for (size_t j = 1; j <= y.size(); ++j) {
      size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[x.size()][y.size()];
}

// A name a misspelling may be compared with (`key`) and the name to suggest (`shown`):
// a domain is also compared by its NetBIOS name ("CORP" for "CORP.EXAMPLE").
struct Candidate {
  std::string key;
  std::string shown;
};

// The closest candidate to `word`, if it is close enough to be a likely misspelling:
// at most a third of the word's length (at least 1) and less than the whole word.
std::optional<std::string> Closest(std::string_view word, const std::vector<Candidate>& cands) {
  std::optional<std::string> best;
  size_t best_d = std::numeric_limits<size_t>::max();
  size_t limit = std::max<size_t>(1, word.size() / 3);
  for (const Candidate& c : cands) {
    // The distance is at least the difference in length: skip the hopeless cheaply.
    size_t gap =
        c.key.size() > word.size() ? c.key.size() - word.size() : word.size() - c.key.size();
    if (gap > limit) continue;
    size_t dist = EditDistance(word, c.key);
    if (dist < best_d && dist <= limit && dist < word.size() && c.shown != word) {
      best_d = dist;
      best = c.shown;
    }
  }
  return best;
}

std::vector<Candidate> Candidates(Names names) {
  std::vector<Candidate> out;
  for (std::string_view n : names) out.push_back({std::string(n), std::string(n)});
  return out;
}

// " (did you mean 'x'?)" or "".
std::string DidYouMean(std::string_view word, const std::vector<Candidate>& cands) {
  std::optional<std::string> best = Closest(word, cands);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

// " (did you mean 'x'?)", or the whole list when no name is close.
std::string Hint(std::string_view word, Names names) {
  std::string dym = DidYouMean(word, Candidates(names));
  return dym.empty() ? " (expected one of: " + Join(names) + ")" : dym;
}

// ---------------------------------------------------------------------------------------
// JSON paths, as in "$.steps[0].then[2].call".

bool IsIdentifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
}

std::string Member(const std::string& path, std::string_view key) {
  if (IsIdentifier(key)) return path + "." + std::string(key);
  std::string quoted = "[\"";
  for (char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return path + quoted + "\"]";
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string_view TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::null:
      return "null";
    default:
      return "value";
  }
}

// Where the parser met each JSON value: an object member is placed on the line of its
// key, an array element on the line where its value starts. Arrays keep one line per
// element (4 bytes each), so that long arrays cost no path strings.
struct PathLines {
  std::unordered_map<std::string, int> members;                // the root and members
  std::unordered_map<std::string, std::vector<int>> elements;  // array path -> lines
};

// The line recorded for exactly `path`, or 0.
int ExactLine(const PathLines& lines, const std::string& path) {
  if (auto it = lines.members.find(path); it != lines.members.end()) return it->second;
  if (path.empty() || path.back() != ']') return 0;
  size_t open = path.find_last_of('[');
  size_t digits = open == std::string::npos ? 0 : path.size() - open - 2;
  if (digits == 0 || digits > 18) return 0;
  size_t index = 0;
  for (size_t i = open + 1; i + 1 < path.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(path[i]))) return 0;
    index = index * 10 + static_cast<size_t>(path[i] - '0');
  }
  auto it = lines.elements.find(path.substr(0, open));
  return it != lines.elements.end() && index < it->second.size() ? it->second[index] : 0;
}

// The line of `path`, or of its nearest ancestor with a recorded line; 0 if none.
int LineOfPath(const PathLines& lines, std::string path) {
  while (!path.empty()) {
    if (int line = ExactLine(lines, path); line > 0) return line;
    size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    path.resize(cut);
  }
  return 0;
}

// Where each line starts, to turn byte offsets into 1-based lines.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') newlines_.push_back(i);
    }
  }
  int LineOf(size_t offset) const {
    return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), offset) -
                                newlines_.begin());
  }

 private:
  std::vector<size_t> newlines_;
};

// A forward iterator over the text that records how many characters the JSON lexer has
// consumed, so that each SAX event can be placed on a line.
class TrackingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator() = default;
  TrackingIterator(const char* base, const char* p, size_t* consumed)
      : base_(base), p_(p), consumed_(consumed) {}

  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    *consumed_ = static_cast<size_t>(p_ - base_);
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

 private:
  const char* base_ = nullptr;
  const char* p_ = nullptr;
  size_t* consumed_ = nullptr;
};

// A problem found before the file name is attached.
struct Raw {
  int line;
  std::string path;
  std::string message;
};

// SAX handler for nlohmann::json::sax_parse: builds the document as a Json value and
// records the line of every path. Duplicate keys are problems (the later value wins);
// a syntax error or excessive nesting stops the parse.
class TreeBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  TreeBuilder(std::string_view text, const size_t* consumed, PathLines* lines)
      : text_(text), index_(text), consumed_(consumed), lines_(lines) {}
  TreeBuilder(const TreeBuilder&) = delete;
  TreeBuilder& operator=(const TreeBuilder&) = delete;

  bool null() { return Scalar(nullptr, false); }
  bool boolean(bool v) { return Scalar(v, false); }
  bool number_integer(number_integer_t v) { return Scalar(v, true); }
  bool number_unsigned(number_unsigned_t v) { return Scalar(v, true); }
  bool number_float(number_float_t v, const string_t&) { return Scalar(v, true); }
  bool string(string_t& v) { return Scalar(std::move(v), false); }
  bool binary(binary_t&) { return false; }  // never produced by JSON text
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(string_t& k) {
    Frame& top = stack_.back();
    int line = CurrentLine(false);
    std::string path = Member(top.path, k);
    if (top.value->contains(k)) {
      soft_.push_back({line, path,
                       "duplicate key '" + k + "' (first at line " +
                           std::to_string(LineOfPath(*lines_, path)) + ")"});
    }
    RecordMember(path, line, top.line, IsIdentifier(k));
    top.key = std::move(k);
    top.key_line = line;
    top.has_key = true;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5:
    // syntax error while parsing object key - unexpected '}'; expected string literal".
    std::string what = e.what();
    int line = 0;
    int column = 0;
    std::string detail = what;
    if (size_t at = what.find(" at line "); at != std::string::npos) {
      if (std::sscanf(what.c_str() + at, " at line %d, column %d", &line, &column) != 2) line = 0;
      if (size_t colon = what.find(": ", at); colon != std::string::npos) {
        detail = what.substr(colon + 2);
      }
    } else if (size_t bracket = what.find("] "); bracket != std::string::npos) {
      detail = what.substr(bracket + 2);
    }
    if (line == 0) {
      size_t offset = position > 0 ? std::min(position - 1, text_.size()) : 0;
      line = index_.LineOf(offset);
    }
    fatal_ = Raw{line, ErrorPath(),
                 "malformed JSON" + (column > 0 ? " at column " + std::to_string(column) : "") +
                     ": " + detail};
    return false;
  }

  Json& root() { return root_; }
  // Problems that end parsing: a syntax error or nesting beyond kMaxJsonDepth.
  const std::optional<Raw>& fatal() const { return fatal_; }
  // Problems that do not (duplicate keys).
  std::vector<Raw>& soft() { return soft_; }

 private:
  struct Frame {
    Json* value;
    std::string path;
    int line;         // the line LineOfPath gives for `path`
    std::string key;  // objects: the key whose value comes next, and its line
    int key_line = 0;
    bool has_key = false;
    std::vector<int>* element_lines = nullptr;  // arrays: PathLines::elements[path]
  };

  // Records the line of object member `path`, unless LineOfPath can find it from the
  // parent's: the same line, and a key that cutting at the last '.' removes exactly.
  void RecordMember(const std::string& path, int line, int parent_line, bool identifier_key) {
    if (line != parent_line || !identifier_key) {
      lines_->members[path] = line;
    } else {
      lines_->members.erase(path);  // a duplicate key may have recorded another line
    }
  }

  // The line of the last token read. A number is only known to end when the lexer has
  // read the character after it, so for numbers that character is stepped over.
  int CurrentLine(bool number) const {
    size_t offset = *consumed_ > 0 ? *consumed_ - 1 : 0;
    if (number && offset > 0 && offset < text_.size()) {
      char c = text_[offset];
      bool part = std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
                  c == '+' || c == '-';
      if (!part) --offset;
    }
    return index_.LineOf(offset);
  }

  // Stores `v` where the parser is and records its line; returns where it went.
  Json* Place(Json&& v, int line) {
    if (stack_.empty()) {
      root_ = std::move(v);
      lines_->members["$"] = line;
      return &root_;
    }
    Frame& top = stack_.back();
    if (top.value->is_array()) {
      top.element_lines->push_back(line);
      top.value->push_back(std::move(v));
      return &top.value->back();
    }
    Json& slot = (*top.value)[top.key];
    slot = std::move(v);
    top.has_key = false;
    return &slot;
  }

  bool Scalar(Json&& v, bool number) {
    Place(std::move(v), CurrentLine(number));
    return true;
  }

  bool Open(Json&& container) {
    int line = CurrentLine(false);
    if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      fatal_ = Raw{line, ErrorPath(),
                   "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
      return false;
    }
    // The new container's path and line, from the parent frame before Place changes it.
    std::string path = "$";
    int path_line = line;
    if (!stack_.empty()) {
      const Frame& top = stack_.back();
      if (top.value->is_array()) {
        path = Index(top.path, top.value->size());
      } else {
        path = Member(top.path, top.key);
        path_line = top.key_line;
      }
    }
    bool array = container.is_array();
    Json* where = Place(std::move(container), line);
    Frame f{where, std::move(path), path_line, "", 0, false, nullptr};
    if (array) {
      f.element_lines = &lines_->elements[f.path];  // references survive rehashing
      f.element_lines->clear();                     // a duplicate key may have filled it
    }
    stack_.push_back(std::move(f));
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  // The path of the value being parsed when an error struck.
  std::string ErrorPath() const {
    if (stack_.empty()) return "$";
    const Frame& top = stack_.back();
    if (top.value->is_array()) return Index(top.path, top.value->size());
    if (top.has_key) return Member(top.path, top.key);
    return top.path;
  }

  std::string_view text_;
  LineIndex index_;
  const size_t* consumed_;
  PathLines* lines_;
  Json root_;
  std::vector<Frame> stack_;
  std::optional<Raw> fatal_;
  std::vector<Raw> soft_;
};

// ---------------------------------------------------------------------------------------
// Decoding: JSON values into the model, with type, field-name and enum checks. Names
// that refer to other parts of the scenario are checked afterwards (Checker).

// A JSON object being decoded.
struct Obj {
  const Json* json;
  std::string path;

  const Json* Get(std::string_view key) const {
    auto it = json->find(key);
    return it == json->end() ? nullptr : &*it;
  }
  bool Has(std::string_view key) const { return Get(key) != nullptr; }
  std::string At(std::string_view key) const { return Member(path, key); }
};

// A call in the scenario: a step's first call or a nested `call` operation.
struct CallSite {
  std::string path;            // the step or the operation object
  std::string service;         // the service called
  std::optional<size_t> step;  // the caller is this step's user session...
  std::string caller_service;  // ...or this service
  v1::Transport transport = v1::TRANSPORT_NCACN_IP_TCP;
  v1::Package package = v1::PACKAGE_NEGOTIATE;
};

// Everything the checker needs besides the model: where each element was written.
struct Sources {
  std::vector<std::string> domains, trusts, hosts, accounts, groups, services, objects, steps,
      expectations, invariants, faults;
  std::vector<CallSite> calls;
  // Hop paths the steps can produce ("c1/web/db"), and each hop's (or step's) callees.
  std::set<std::string> hops;
  std::map<std::string, std::vector<std::string>> callees;
};

class Decoder {
 public:
  Decoder(const PathLines& lines, std::vector<Raw>* problems)
      : lines_(lines), problems_(problems) {}
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  Scenario Decode(const Json& root, Sources* src) {
    src_ = src;
    Scenario s;
    std::optional<Obj> o = Object(root, "$", "a scenario object", kTopFields);
    if (!o) return s;
    Require(*o, {"name"});
    if (const Json* v = o->Get("$schema")) String(*v, o->At("$schema"), false);
    s.name = StringField(*o, "name").value_or("");
    s.description = StringField(*o, "description", false).value_or("");
    if (auto p = EnumField<std::string_view>(*o, "profile", "profile", kProfiles)) {
      s.options.profile = std::string(*p);
    }
    if (const Json* v = o->Get("options")) DecodeOptions(*v, o->At("options"), &s.options);
    if (const Json* v = o->Get("seed")) {
      if (!v->is_number_unsigned()) {  // the parser reads every integer >= 0 as unsigned
        TypeError(o->At("seed"), "a non-negative integer", *v);
      } else {
        s.seed = v->get<uint64_t>();
      }
    }
    ForEach(*o, "domains", [&](const Json& v, const std::string& p) { DecodeDomain(v, p, &s); });
    ForEach(*o, "trusts", [&](const Json& v, const std::string& p) { DecodeTrust(v, p, &s); });
    ForEach(*o, "hosts", [&](const Json& v, const std::string& p) { DecodeHost(v, p, &s); });
    ForEach(*o, "accounts", [&](const Json& v, const std::string& p) { DecodeAccount(v, p, &s); });
    ForEach(*o, "groups", [&](const Json& v, const std::string& p) { DecodeGroup(v, p, &s); });
    ForEach(*o, "services", [&](const Json& v, const std::string& p) { DecodeService(v, p, &s); });
    ForEach(*o, "objects", [&](const Json& v, const std::string& p) { DecodeObject(v, p, &s); });
    ForEach(*o, "steps", [&](const Json& v, const std::string& p) { DecodeStep(v, p, &s); });
    CheckClockTotal(s);
    ForEach(*o, "expect", [&](const Json& v, const std::string& p) { DecodeExpect(v, p, &s); });
    ForEach(*o, "invariants",
            [&](const Json& v, const std::string& p) { DecodeInvariant(v, p, &s); });
    ForEach(*o, "faults", [&](const Json& v, const std::string& p) { DecodeFault(v, p, &s); });
    return s;
  }

  // A fault given on the command line (`--fault`), as if the `faults` section listed it.
  void DecodeExtraFault(const Json& v, const std::string& path, Scenario* s) {
    DecodeFault(v, path, s);
  }

 private:
  // --- Reporting and typed access.

  void Report(const std::string& path, std::string message) {
    problems_->push_back({LineOfPath(lines_, path), path, std::move(message)});
  }

  // "expected a string, got integer 12": scalars are shown (long strings cut short).
  void TypeError(const std::string& path, std::string_view expected, const Json& v) {
    std::string got(TypeName(v));
    if (v.is_primitive() && !v.is_null()) {
      std::string shown = v.dump(-1, ' ', false, Json::error_handler_t::replace);
      if (shown.size() > 40) shown = shown.substr(0, 36) + "...\"";
      got += " " + shown;
    }
    Report(path, "expected " + std::string(expected) + ", got " + got);
  }

  // `v` as an object whose fields are all in `allowed`; unknown fields are reported.
  std::optional<Obj> Object(const Json& v, const std::string& path, std::string_view what,
                            Names allowed) {
    if (!v.is_object()) {
      TypeError(path, what, v);
      return std::nullopt;
    }
    Obj o{&v, path};
    UnknownFields(o, allowed);
    return o;
  }

  // Reports every field of `o` not in `allowed`; returns how many there were.
  int UnknownFields(const Obj& o, Names allowed) {
    int n = 0;
    for (auto it = o.json->begin(); it != o.json->end(); ++it) {
      if (Contains(allowed, it.key())) continue;
      Report(o.At(it.key()), "unknown field '" + it.key() + "'" + Hint(it.key(), allowed));
      ++n;
    }
    return n;
  }

  void Require(const Obj& o, std::initializer_list<std::string_view> keys) {
    for (std::string_view k : keys) {
      if (!o.Has(k)) Report(o.path, "missing required field '" + std::string(k) + "'");
    }
  }

  std::optional<std::string> String(const Json& v, const std::string& path, bool nonempty = true) {
    if (!v.is_string()) {
      TypeError(path, "a string", v);
      return std::nullopt;
    }
    std::string s = v.get<std::string>();
    if (nonempty && s.empty()) {
      Report(path, "must not be empty");
      return std::nullopt;
    }
    if (!SafeText(s, path)) return std::nullopt;
    return s;
  }

  // Every string of a scenario (names, references, SPNs, descriptions) is shown on
  // terminals and written to trace and JUnit files: control characters (ESC, BEL, NUL,
  // ...) and bidirectional overrides are refused rather than passed on.
  bool SafeText(const std::string& s, const std::string& path) {
    std::optional<UnsafeChar> bad = FindUnsafeChar(s);
    if (!bad) return true;
    Report(path, "'" + s + "' contains " + bad->Describe() + " at byte " +
                     std::to_string(bad->offset) +
                     "; names and text may not contain control or bidirectional formatting "
                     "characters");
    return false;
  }

  std::optional<std::string> StringField(const Obj& o, std::string_view key, bool nonempty = true) {
    const Json* v = o.Get(key);
    return v ? String(*v, o.At(key), nonempty) : std::nullopt;
  }

  // A name that must not contain any of `forbidden` (characters that would make a
  // reference or a hop path ambiguous). Names of domains, hosts, accounts, groups and
  // services also refuse '=': Active Directory refuses it in sAMAccountName, and DNS and
  // NetBIOS names cannot hold it, while every decision records its facts as name=value.
  std::optional<std::string> NameField(const Obj& o, std::string_view key,
                                       std::string_view forbidden) {
    std::optional<std::string> s = StringField(o, key);
    if (!s) return s;
    bool no_space = forbidden.find(' ') != std::string_view::npos;
    for (char c : *s) {
      bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
      if ((space && no_space) || (!space && forbidden.find(c) != std::string_view::npos)) {
        Report(o.At(key), "'" + *s + "' must not contain " +
                              (space ? std::string("white space") : "'" + std::string(1, c) + "'"));
        return std::nullopt;
      }
    }
    return s;
  }

  std::optional<bool> BoolField(const Obj& o, std::string_view key) {
    const Json* v = o.Get(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
      TypeError(o.At(key), "a boolean", *v);
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::optional<int64_t> Integer(const Json& v, const std::string& path, int64_t min, int64_t max) {
    std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v.is_number_integer()) {
      TypeError(path, range, v);
      return std::nullopt;
    }
    bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max);
    if (too_big || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      Report(path, "expected " + range + ", got " + v.dump());
      return std::nullopt;
    }
    return v.get<int64_t>();
  }

  // An array of non-empty strings (absent: empty).
  std::vector<std::string> Strings(const Obj& o, std::string_view key) {
    std::vector<std::string> out;
    const Json* v = o.Get(key);
    if (!v) return out;
    std::string path = o.At(key);
    if (!v->is_array()) {
      TypeError(path, "an array of strings", *v);
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      if (auto s = String((*v)[i], Index(path, i))) out.push_back(*s);
    }
    return out;
  }

  // An array of names each of which must be in `allowed` (privileges, rights), or pass
  // `valid` when given; `allowed` then only feeds the suggestions.
  std::vector<std::string> Vocabulary(const Obj& o, std::string_view key, std::string_view what,
                                      Names allowed, bool (*valid)(std::string_view) = nullptr) {
    std::vector<std::string> out;
    const Json* v = o.Get(key);
    if (!v) return out;
    std::string path = o.At(key);
    if (!v->is_array()) {
      TypeError(path, "an array of strings", *v);
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      std::optional<std::string> s = String((*v)[i], Index(path, i));
      if (!s) continue;
      if (valid ? valid(*s) : Contains(allowed, *s)) {
        out.push_back(*s);
      } else {
        Report(Index(path, i),
               "unknown " + std::string(what) + " '" + *s + "'" + Hint(*s, allowed));
      }
    }
    return out;
  }

  template <typename T>
  std::optional<T> Enum(const Json& v, const std::string& path, std::string_view what,
                        std::span<const Named<T>> table) {
    if (!v.is_string()) {
      TypeError(path, "a string", v);
      return std::nullopt;
    }
    std::string s = v.get<std::string>();
    for (const Named<T>& n : table) {
      if (n.name == s) return n.value;
    }
    std::vector<std::string_view> names = NamesOf(table);
    Report(path, "unknown " + std::string(what) + " '" + s + "'" + Hint(s, names));
    return std::nullopt;
  }

  template <typename T>
  std::optional<T> EnumField(const Obj& o, std::string_view key, std::string_view what,
                             std::span<const Named<T>> table) {
    const Json* v = o.Get(key);
    return v ? Enum(*v, o.At(key), what, table) : std::nullopt;
  }

  // Calls fn(element, path) for each element of the array field `key`, if present.
  void ForEach(const Obj& o, std::string_view key,
               const std::function<void(const Json&, const std::string&)>& fn) {
    const Json* v = o.Get(key);
    if (!v) return;
    if (!v->is_array()) {
      TypeError(o.At(key), "an array", *v);
      return;
    }
    for (size_t i = 0; i < v->size(); ++i) fn((*v)[i], Index(o.At(key), i));
  }

  // --- Sections.

  void DecodeOptions(const Json& v, const std::string& path, Options* out) {
    std::optional<Obj> o = Object(v, path, "an object", kOptionFields);
    if (!o) return;
    if (auto b = BoolField(*o, "legacy_rbcd")) out->legacy_rbcd_nonforwardable_ok = *b;
    if (auto b = BoolField(*o, "ignore_delegate_failure")) out->ignore_delegate_failure = *b;
    if (auto b = BoolField(*o, "logon_user_requires_tcb")) out->logon_user_requires_tcb = *b;
    if (auto p =
            EnumField<std::string_view>(*o, "client_policy", "client policy", kClientPolicies)) {
      out->client_policy = std::string(*p);
    }
    if (auto p =
            EnumField<std::string_view>(*o, "client_library", "client library", kClientLibraries)) {
      out->client_library = std::string(*p);
    }
    if (const Json* h = o->Get("hop_limit")) {
      // DS-4: at most the longest chain the simulator runs (nodes/envelope.h).
      if (auto n = Integer(*h, o->At("hop_limit"), 1, nodes::kMaxChainHops))
        out->hop_limit = static_cast<int>(*n);
    }
    out->client_forwardable = BoolField(*o, "client_forwardable");
    out->client_renewable = BoolField(*o, "client_renewable");
    if (const Json* d = o->Get("max_ticket_life")) {
      out->max_ticket_life_ms = Duration(*d, o->At("max_ticket_life"));
      if (out->max_ticket_life_ms == 0) {
        Report(o->At("max_ticket_life"), "a ticket life of 0 would issue no usable ticket");
      }
    }
    if (const Json* d = o->Get("max_renew_life")) {
      out->max_renew_life_ms = Duration(*d, o->At("max_renew_life"));
    }
  }

  void DecodeDomain(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "a domain object", kDomainFields);
    if (!o) return;
    Require(*o, {"name"});
    std::optional<std::string> name = NameField(*o, "name", " /\\@=");
    if (!name) return;
    DomainSpec d;
    d.realm = *name;
    d.forest = NameField(*o, "forest", " /\\@=").value_or(d.realm);
    if (const Json* fl = o->Get("functional_level")) {
      std::string p = o->At("functional_level");
      if (fl->is_string()) {
        // No did-you-mean here: "2019" is not a misspelling of "2012".
        std::string name = fl->get<std::string>();
        auto it = std::find_if(std::begin(kFunctionalLevels), std::end(kFunctionalLevels),
                               [&](const Named<int>& n) { return n.name == name; });
        if (it != std::end(kFunctionalLevels)) {
          d.functional_level = it->value;
        } else {
          Report(p, "unknown functional level '" + name +
                        "' (expected 0 to 10 or one of: " + Join(NamesOf<int>(kFunctionalLevels)) +
                        "; Windows Server 2019 and 2022 domains use 2016)");
        }
      } else if (fl->is_number_integer()) {
        if (auto n = Integer(*fl, p, 0, kMaxFunctionalLevel)) {
          d.functional_level = static_cast<int>(*n);
        }
      } else {
        TypeError(p, "a functional level (0 to 10, or \"2003\" ... \"2016\")", *fl);
      }
    }
    d.dc_host = NameField(*o, "dc", " /\\@=").value_or("dc." + Lower(d.realm));
    s->domains.push_back(std::move(d));
    src_->domains.push_back(path);
  }

  void DecodeTrust(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "a trust object", kTrustFields);
    if (!o) return;
    Require(*o, {"trusting", "trusted"});
    TrustSpec t;
    t.trusting = StringField(*o, "trusting").value_or("");
    t.trusted = StringField(*o, "trusted").value_or("");
    if (auto d = EnumField<bool>(*o, "direction", "trust direction", kDirections)) t.two_way = *d;
    if (const Json* a = o->Get("attributes")) {
      std::string p = o->At("attributes");
      if (a->is_number_integer()) {
        if (auto n = Integer(*a, p, 0, 0xFFFFFFFF)) t.attributes = static_cast<uint32_t>(*n);
      } else if (a->is_array()) {
        for (size_t i = 0; i < a->size(); ++i) {
          if (auto bit =
                  Enum<uint32_t>((*a)[i], Index(p, i), "trust attribute", kTrustAttributes)) {
            t.attributes |= *bit;
          }
        }
      } else {
        TypeError(p, "an array of trust attribute names or an integer", *a);
      }
    }
    s->trusts.push_back(std::move(t));
    src_->trusts.push_back(path);
  }

  void DecodeHost(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "a host object", kHostFields);
    if (!o) return;
    Require(*o, {"name"});
    std::optional<std::string> name = NameField(*o, "name", " /\\@=");
    if (!name) return;
    HostSpec h;
    h.name = *name;
    if (const Json* d = o->Get("domain"); d && !d->is_null()) {
      h.domain = String(*d, o->At("domain")).value_or("");
    }
    s->hosts.push_back(std::move(h));
    src_->hosts.push_back(path);
  }

  void DecodeAccount(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "an account object", kAccountFields);
    if (!o) return;
    Require(*o, {"name", "domain"});
    std::optional<std::string> name = NameField(*o, "name", "/\\@=");
    if (!name) return;
    AccountSpec a;
    a.name = *name;
    a.domain = StringField(*o, "domain").value_or("");
    if (auto k = EnumField<AccountKind>(*o, "type", "account type", kAccountKinds)) a.kind = *k;
    a.password = StringField(*o, "password", false).value_or("");
    a.spns = Strings(*o, "spns");
    for (size_t i = 0; i < a.spns.size(); ++i) CheckSpn(a.spns[i], Index(o->At("spns"), i));
    a.not_delegated = BoolField(*o, "sensitive").value_or(false);
    a.trusted_for_delegation = BoolField(*o, "trusted_for_delegation").value_or(false);
    a.trusted_to_auth_for_delegation =
        BoolField(*o, "trusted_to_auth_for_delegation").value_or(false);
    a.disabled = BoolField(*o, "disabled").value_or(false);
    a.allowed_to_delegate_to = Strings(*o, "allowed_to_delegate_to");
    for (size_t i = 0; i < a.allowed_to_delegate_to.size(); ++i) {
      CheckSpn(a.allowed_to_delegate_to[i], Index(o->At("allowed_to_delegate_to"), i));
    }
    a.allowed_to_act = Strings(*o, "allowed_to_act_on_behalf_of");
    a.allowed_to_authenticate = Strings(*o, "allowed_to_authenticate");
    a.member_of = Strings(*o, "member_of");
    a.privileges = Vocabulary(*o, "privileges", "privilege", kPrivileges);
    s->accounts.push_back(std::move(a));
    src_->accounts.push_back(path);
  }

  // An SPN is "service/host[:port][/name][@REALM]".
  void CheckSpn(const std::string& spn, const std::string& path) {
    size_t slash = spn.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == spn.size()) {
      Report(path,
             "'" + spn + "' is not an SPN (expected service/host, e.g. 'http/web.corp.example')");
    }
  }

  void DecodeGroup(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "a group object", kGroupFields);
    if (!o) return;
    Require(*o, {"name", "domain"});
    std::optional<std::string> name = NameField(*o, "name", "/\\@=");
    if (!name) return;
    GroupSpec g;
    g.name = *name;
    g.domain = StringField(*o, "domain").value_or("");
    g.members = Strings(*o, "members");
    s->groups.push_back(std::move(g));
    src_->groups.push_back(path);
  }

  void DecodeService(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "a service object", kServiceFields);
    if (!o) return;
    Require(*o, {"name", "host", "account"});
    std::optional<std::string> name = NameField(*o, "name", "/#=");
    if (!name) return;
    ServiceSpec svc;
    svc.name = *name;
    svc.host = StringField(*o, "host").value_or("");
    svc.account = StringField(*o, "account").value_or("");
    svc.spn = StringField(*o, "spn").value_or("");
    if (!svc.spn.empty()) CheckSpn(svc.spn, o->At("spn"));
    if (const Json* t = o->Get("transports")) {
      std::string p = o->At("transports");
      if (!t->is_array()) {
        TypeError(p, "an array of transports", *t);
      } else if (t->empty()) {
        Report(p, "a service listens on at least one transport");
      } else {
        for (size_t i = 0; i < t->size(); ++i) {
          auto tr = Enum<v1::Transport>((*t)[i], Index(p, i), "transport", kTransports);
          if (!tr) continue;
          if (std::find(svc.transports.begin(), svc.transports.end(), *tr) !=
              svc.transports.end()) {
            Report(Index(p, i), "transport '" + (*t)[i].get<std::string>() + "' listed twice");
          }
          svc.transports.push_back(*tr);
        }
      }
    } else {
      svc.transports = {v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP, v1::TRANSPORT_NCACN_NP};
    }
    if (o->Has("privileges")) {
      svc.privileges = Vocabulary(*o, "privileges", "privilege", kPrivileges);
    }
    s->services.push_back(std::move(svc));
    src_->services.push_back(path);
  }

  void DecodeObject(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "an object (securable object)", kObjectFields);
    if (!o) return;
    Require(*o, {"name", "host", "owner"});
    std::optional<std::string> name = StringField(*o, "name");
    if (!name) return;
    ObjectSpec obj;
    obj.name = *name;
    obj.host = StringField(*o, "host").value_or("");
    obj.owner = StringField(*o, "owner").value_or("");
    ForEach(*o, "acl", [&](const Json& ace_json, const std::string& p) {
      std::optional<Obj> ace = Object(ace_json, p, "an access control entry object", kAceFields);
      if (!ace) return;
      AceSpec a;
      bool allow = ace->Has("allow");
      bool deny = ace->Has("deny");
      if (allow && deny) {
        Report(p, "an entry either allows or denies: give 'allow' or 'deny', not both");
      } else if (!allow && !deny) {
        Report(p, "missing required field 'allow' or 'deny'");
      }
      Require(*ace, {"rights"});
      a.allow = !deny;
      a.who = StringField(*ace, allow || !deny ? "allow" : "deny").value_or("");
      if (ace->Has("rights")) {
        a.rights = Vocabulary(*ace, "rights", "right", kRights, ValidRight);
        if (ace->Get("rights")->is_array() && ace->Get("rights")->empty()) {
          Report(ace->At("rights"), "an entry grants or denies at least one right");
        }
      }
      obj.acl.push_back(std::move(a));
    });
    s->objects.push_back(std::move(obj));
    src_->objects.push_back(path);
  }

  void DecodeStep(const Json& v, const std::string& path, Scenario* s) {
    StepSpec step;
    step.origin = {path, LineOfPath(lines_, path)};
    if (v.is_object() && v.contains("advance_clock")) {
      std::optional<Obj> o = Object(v, path, "a step object", kClockStepFields);
      step.kind = StepSpec::Kind::kAdvanceClock;
      if (auto ms = Duration(*o->Get("advance_clock"), o->At("advance_clock"))) {
        step.advance_ms = *ms;
      }
      s->steps.push_back(std::move(step));
      src_->steps.push_back(path);
      return;
    }
    std::vector<std::string_view> allowed = {"name", "user", "from", "call"};
    allowed.insert(allowed.end(), std::begin(kCallOptionFields), std::end(kCallOptionFields));
    std::optional<Obj> o = Object(v, path, "a step object", allowed);
    if (!o) return;
    Require(*o, {"name", "user", "from", "call"});
    step.kind = StepSpec::Kind::kCall;
    step.label = NameField(*o, "name", "/#").value_or("");
    step.user = StringField(*o, "user").value_or("");
    step.from_host = StringField(*o, "from").value_or("");
    std::string service = StringField(*o, "call").value_or("");
    step.call.set_service(service);
    CallSite site;
    site.path = path;
    site.service = service;
    site.step = s->steps.size();
    std::string hop = step.label + "/" + service;
    if (!step.label.empty() && !service.empty()) {
      src_->hops.insert(hop);
      src_->callees[step.label].push_back(service);
    }
    DecodeCallOptions(*o, &step.call, &site, hop, service, 1);
    src_->calls.push_back(std::move(site));
    s->steps.push_back(std::move(step));
    src_->steps.push_back(path);
  }

  // The clock steps together move the clock at most kMaxClockAdvanceMs; the step that
  // goes past it is reported (each step is already within the bound, so the sum of two
  // cannot overflow).
  void CheckClockTotal(const Scenario& s) {
    int64_t total = 0;
    for (size_t i = 0; i < s.steps.size(); ++i) {
      if (s.steps[i].kind != StepSpec::Kind::kAdvanceClock) continue;
      total += s.steps[i].advance_ms;
      if (total > kMaxClockAdvanceMs) {
        Report(Member(src_->steps[i], "advance_clock"),
               "the clock steps up to here add up to more than " + std::string(kMaxClockText));
        return;
      }
    }
  }

  // "500ms", "30s", "15m", "11h", "2d", or a number of milliseconds; at most
  // kMaxClockAdvanceMs.
  std::optional<int64_t> Duration(const Json& v, const std::string& path) {
    const int64_t kMax = kMaxClockAdvanceMs;
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMax)) {
        Report(path, "a clock step of " + v.dump() + " ms is longer than " + kMaxClockText);
        return std::nullopt;
      }
      return Integer(v, path, 0, kMax);
    }
    if (!v.is_string()) {
      TypeError(path, "a duration (milliseconds, or a string such as \"30s\" or \"11h\")", v);
      return std::nullopt;
    }
    std::string s = v.get<std::string>();
    size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    std::string unit = s.substr(digits);
    for (const Named<int64_t>& u : kDurationUnits) {
      if (digits == 0 || digits > 18 || unit != u.name) continue;
      int64_t n = std::stoll(s.substr(0, digits));
      if (n > kMax / u.value) {
        Report(path, "a clock step of '" + s + "' is longer than " + kMaxClockText);
        return std::nullopt;
      }
      return n * u.value;
    }
    Report(path, "invalid duration '" + s +
                     "' (expected a whole number followed by ms, s, m, h or d, e.g. \"11h\")");
    return std::nullopt;
  }

  // The loader's helpers for the decoders of sim/loader_expectations.h.
  LoaderHooks Hooks() {
    LoaderHooks hooks;
    hooks.report = [this](const std::string& p, std::string m) { Report(p, std::move(m)); };
    hooks.line = [this](const std::string& p) { return LineOfPath(lines_, p); };
    hooks.member = [](const std::string& p, std::string_view k) { return Member(p, k); };
    hooks.duration = [this](const Json& j, const std::string& p) { return Duration(j, p); };
    hooks.rule_id = [this](const Json& j, const std::string& p) { return RuleIdAt(j, p); };
    return hooks;
  }

  // A level by name, or by number in either numbering (IL-1, DecodeNumericLevel).
  std::optional<v1::Level> LevelField(const Obj& o, std::string_view key,
                                      std::span<const Named<v1::Level>> names, bool allow_default) {
    const Json* v = o.Get(key);
    if (v && v->is_object()) return DecodeNumericLevel(*v, o.At(key), Hooks(), allow_default);
    return EnumField<v1::Level>(o, key, "impersonation level", names);
  }

  // The options of a call (shared by steps and `call` operations) into `call`; `hop` is
  // the hop path the call produces and `service` the service that runs its operations.
  void DecodeCallOptions(const Obj& o, v1::CallSpec* call, CallSite* site, const std::string& hop,
                         const std::string& service, int depth) {
    auto transport = EnumField<v1::Transport>(o, "transport", "transport", kTransports);
    call->set_transport(transport.value_or(v1::TRANSPORT_NCACN_IP_TCP));
    site->transport = call->transport();
    auto package = EnumField<v1::Package>(o, "package", "security package", kPackages);
    call->set_package(package.value_or(v1::PACKAGE_NEGOTIATE));
    site->package = call->package();
    call->set_level(LevelField(o, "level", CallLevels(), true).value_or(v1::LEVEL_DEFAULT));
    call->set_api(EnumField<v1::Api>(o, "api", "API", kApis).value_or(v1::API_UNSPECIFIED));
    call->set_mutual(BoolField(o, "mutual").value_or(true));
    call->set_ignore_delegate_failure(BoolField(o, "ignore_delegate_failure").value_or(false));
    call->set_protocol_transition(BoolField(o, "protocol_transition").value_or(false));
    call->set_by_ip_address(BoolField(o, "by_ip_address").value_or(false));
    if (auto who = StringField(o, "on_behalf_of")) {
      call->set_on_behalf_of(*who);
      if (!call->protocol_transition()) {
        Report(o.At("on_behalf_of"),
               "on_behalf_of needs \"protocol_transition\": true (S4U2self names the user, S4U-1)");
      }
    }
    if (auto r = BoolField(o, "replay_authenticator")) {
      call->set_replay_authenticator(*r);
      if (*r && hop.size() > 0) {
        src_->hops.insert(hop + "#replay");
      }
    }
    if (const Json* u = o.Get("use_ticket")) {
      constexpr Named<std::string_view> kUsable[] = {
          {"s4u2self", "s4u2self"}, {"s4u2proxy", "s4u2proxy"}, {"tgs", "tgs"}};
      if (auto t = Enum<std::string_view>(*u, o.At("use_ticket"), "ticket role", kUsable)) {
        call->set_use_ticket(std::string(*t));
        if (call->package() != v1::PACKAGE_KERBEROS && call->package() != v1::PACKAGE_NEGOTIATE) {
          Report(o.At("use_ticket"),
                 "use_ticket presents a Kerberos ticket: the package must be "
                 "kerberos or negotiate");
        }
      }
    }
    if (auto tl = LevelField(o, "transport_level", TokenLevels(), false)) {
      call->set_transport_level(*tl);
      if (call->transport() != v1::TRANSPORT_NCACN_NP) {
        Report(o.At("transport_level"),
               "transport_level applies only to the ncacn_np transport (TR-3)");
      }
    }
    if (const Json* then = o.Get("then")) {
      DecodeOps(*then, o.At("then"), depth, hop, service, call->mutable_ops());
    }
  }

  void DecodeOps(const Json& v, const std::string& path, int depth, const std::string& hop,
                 const std::string& service, Ops* out) {
    if (depth > kMaxOperationDepth) {
      Report(path, "operations nested deeper than " + std::to_string(kMaxOperationDepth) +
                       " levels (the nesting limit; a chain has at most " +
                       std::to_string(nodes::kMaxChainHops) + " hops)");
      return;
    }
    if (!v.is_array()) {
      TypeError(path, "an array of operations", v);
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      DecodeOp(v[i], Index(path, i), depth, hop, service, out->Add());
    }
  }

  // Extra fields each operation kind allows besides its own key.
  static std::vector<std::string_view> OpFields(std::string_view kind) {
    std::vector<std::string_view> f = {kind};
    if (kind == "open" || kind == "check" || kind == "create") f.push_back("rights");
    if (kind == "call") {
      f.push_back("name");
      f.insert(f.end(), std::begin(kCallOptionFields), std::end(kCallOptionFields));
    }
    if (kind == "logon_user") f.insert(f.end(), {"password", "then"});
    if (kind == "s4u_logon") f.push_back("identify");
    if (kind == "s4u2self") f.insert(f.end(), {"forwardable", "renewable"});
    if (kind == "s4u2proxy") f.insert(f.end(), {"evidence", "rbcd", "forwardable", "renewable"});
    if (kind == "tgs") f.push_back("options");
    return f;
  }

  void DecodeOp(const Json& v, const std::string& path, int depth, const std::string& hop,
                const std::string& service, v1::Operation* op) {
    if (!v.is_object()) {
      TypeError(path, "an operation object", v);
      return;
    }
    std::vector<std::string_view> kinds;
    for (std::string_view k : kOpKinds) {
      if (v.contains(k)) kinds.push_back(k);
    }
    Obj o{&v, path};
    if (kinds.empty()) {
      if (UnknownFields(o, kOpKinds) == 0) {
        Report(path, "an operation needs one of: " + Join(kOpKinds));
      }
      return;
    }
    if (kinds.size() > 1) {
      std::string last(kinds.back());
      kinds.pop_back();
      Report(path,
             "an operation does one thing; found '" + Join(kinds, "', '") + "' and '" + last + "'");
      return;
    }
    std::string_view kind = kinds.front();
    UnknownFields(o, OpFields(kind));
    std::string at = o.At(kind);
    const Json& arg = *o.Get(kind);
    if (kind == "open" || kind == "check" || kind == "create") {
      v1::OpenObject* open = op->mutable_open();
      open->set_object(String(arg, at).value_or(""));
      open->set_check_only(kind == "check");
      open->set_create(kind == "create");
      for (const std::string& r : Vocabulary(o, "rights", "right", kRights, ValidRight)) {
        open->add_rights(r);
      }
    } else if (kind == "call") {
      v1::CallSpec* call = op->mutable_call();
      std::string callee = String(arg, at).value_or("");
      call->set_service(callee);
      std::optional<std::string> label = NameField(o, "name", "/#");
      if (label) call->set_label(*label);
      CallSite site;
      site.path = path;
      site.service = callee;
      site.caller_service = service;
      std::string shown = label.value_or(callee);
      std::string child = hop + "/" + shown;
      if (!shown.empty()) {
        src_->hops.insert(child);
        src_->callees[hop].push_back(shown);
      }
      DecodeCallOptions(o, call, &site, child, callee, depth + 1);
      src_->calls.push_back(std::move(site));
    } else if (kind == "create_process" || kind == "create_process_as_user") {
      v1::ProcessSpec* p = kind == "create_process" ? op->mutable_create_process()
                                                    : op->mutable_create_process_as_user();
      DecodeOps(arg, at, depth + 1, hop, service, p->mutable_ops());
    } else if (kind == "logon_user") {
      v1::LogonUserSpec* l = op->mutable_logon_user();
      l->set_user(String(arg, at).value_or(""));
      l->set_password(StringField(o, "password", false).value_or(""));
      if (const Json* then = o.Get("then")) {
        DecodeOps(*then, o.At("then"), depth + 1, hop, service, l->mutable_ops());
      }
    } else if (kind == "revert") {
      op->mutable_revert();
      if (!arg.is_boolean()) {
        TypeError(at, "true", arg);
      } else if (!arg.get<bool>()) {
        Report(at, "expected true, got false (leave the operation out instead)");
      }
    } else if (kind == "privilege_check") {
      if (auto p = String(arg, at)) {
        if (Contains(kPrivileges, *p)) {
          op->mutable_privilege_check()->set_privilege(*p);
        } else {
          Report(at, "unknown privilege '" + *p + "'" + Hint(*p, kPrivileges));
        }
      }
    } else if (kind == "open_thread_token") {
      constexpr std::string_view kFields[] = {"open_as_self"};
      v1::OpenThreadTokenSpec* t = op->mutable_open_thread_token();
      if (std::optional<Obj> args = Object(arg, at, "an object", kFields)) {
        t->set_open_as_self(BoolField(*args, "open_as_self").value_or(false));
      }
    } else if (kind == "impersonate_self" || kind == "duplicate_token") {
      v1::DuplicateSpec* d = op->mutable_duplicate_token();
      d->set_self(kind == "impersonate_self");
      std::optional<v1::Level> l =
          arg.is_object() ? DecodeNumericLevel(arg, at, Hooks(), false)
                          : Enum<v1::Level>(arg, at, "impersonation level", TokenLevels());
      if (l) d->set_level(*l);
    } else if (kind == "s4u_logon") {
      v1::S4uLogonSpec* s4u = op->mutable_s4u_logon();
      s4u->set_user(String(arg, at).value_or(""));
      s4u->set_identify(BoolField(o, "identify").value_or(false));
    } else if (kind == "s4u2self" || kind == "s4u2proxy" || kind == "tgs") {
      DecodeKdcRequest(o, kind, at, arg, op->mutable_kdc_request());
    }
  }

  // An explicit KDC exchange: `s4u2self` names a user, `s4u2proxy` and `tgs` an SPN.
  void DecodeKdcRequest(const Obj& o, std::string_view kind, const std::string& at, const Json& arg,
                        v1::KdcRequestSpec* r) {
    r->set_target(String(arg, at).value_or(""));
    v1::KdcOptions* opts = r->mutable_options();
    if (kind == "tgs") {
      r->set_kind(v1::KDC_REQUEST_TGS);
      constexpr std::string_view kKdcOptions[] = {"forwardable", "forwarded", "proxiable",
                                                  "renewable"};
      if (const Json* j = o.Get("options")) {
        if (std::optional<Obj> args =
                Object(*j, o.At("options"), "an object of KDC options", kKdcOptions)) {
          opts->set_forwardable(BoolField(*args, "forwardable").value_or(false));
          opts->set_forwarded(BoolField(*args, "forwarded").value_or(false));
          opts->set_proxiable(BoolField(*args, "proxiable").value_or(false));
          opts->set_renewable(BoolField(*args, "renewable").value_or(false));
        }
      }
      return;
    }
    // S4U requests ask FORWARDABLE unless told otherwise, as Windows services do.
    opts->set_forwardable(BoolField(o, "forwardable").value_or(true));
    opts->set_renewable(BoolField(o, "renewable").value_or(false));
    if (kind == "s4u2self") {
      r->set_kind(v1::KDC_REQUEST_S4U2SELF);
      return;
    }
    r->set_kind(v1::KDC_REQUEST_S4U2PROXY);
    r->set_rbcd(BoolField(o, "rbcd").value_or(true));
    constexpr Named<v1::EvidenceSource> kEvidence[] = {{"incoming", v1::EVIDENCE_INCOMING},
                                                       {"s4u2self", v1::EVIDENCE_S4U2SELF}};
    r->set_evidence(EnumField<v1::EvidenceSource>(o, "evidence", "evidence", kEvidence)
                        .value_or(v1::EVIDENCE_INCOMING));
  }

  void DecodeInvariant(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "an invariant object", kInvariantFields);
    if (!o) return;
    Require(*o, {"name"});
    InvariantSpec inv;
    inv.origin = {path, LineOfPath(lines_, path)};
    inv.name = StringField(*o, "name").value_or("");
    int kinds = 0;
    for (std::string_view k : kInvariantKinds) kinds += o->Has(k) ? 1 : 0;
    if (kinds != 1) {
      Report(path, "an invariant has exactly one of " + Join(kInvariantKinds) + " (found " +
                       std::to_string(kinds) + ")");
      return;
    }
    if (const Json* j = o->Get("no_reach")) {
      inv.kind = InvariantSpec::Kind::kNoReach;
      std::optional<Obj> a = Object(*j, o->At("no_reach"), "an object", kNoReachFields);
      if (!a) return;
      Require(*a, {"identities", "targets"});
      inv.identities = Strings(*a, "identities");
      inv.targets = Strings(*a, "targets");
      if (auto l =
              EnumField<std::string_view>(*a, "min_level", "impersonation level", HopLevels())) {
        inv.min_level = std::string(*l);
      }
    } else if (const Json* j = o->Get("only_holders")) {
      inv.kind = InvariantSpec::Kind::kOnlyHolders;
      std::optional<Obj> a = Object(*j, o->At("only_holders"), "an object", kOnlyHoldersFields);
      if (!a) return;
      Require(*a, {"accounts", "net_creds"});
      inv.holders = Strings(*a, "accounts");
      if (auto c = StringField(*a, "net_creds")) {
        if (Contains(kHeldCreds, *c)) {
          inv.net_creds = *c;
        } else {
          Report(a->At("net_creds"), "unknown net_creds '" + *c + "' (expected " +
                                         Join(kHeldCreds) + ")" + Hint(*c, kHeldCreds));
        }
      }
      inv.spn = StringField(*a, "spn").value_or("");
      if (!inv.spn.empty() && inv.net_creds != "s4u_proxy") {
        Report(a->At("spn"), "spn applies to net_creds \"s4u_proxy\" only");
      }
    } else if (const Json* j = o->Get("only_through")) {
      inv.kind = InvariantSpec::Kind::kOnlyThrough;
      std::optional<Obj> a = Object(*j, o->At("only_through"), "an object", kOnlyThroughFields);
      if (!a) return;
      Require(*a, {"service", "via"});
      inv.service = StringField(*a, "service").value_or("");
      inv.via = Strings(*a, "via");
    }
    s->invariants.push_back(std::move(inv));
    src_->invariants.push_back(path);
  }

  // Which fields each kind of fault takes (besides name, kind, start and end).
  static std::vector<std::string_view> FaultKindFields(FaultSpec::Kind kind) {
    switch (kind) {
      case FaultSpec::Kind::kHostDown:
        return {"host"};
      case FaultSpec::Kind::kKdcUnreachable:
        return {"domain"};
      case FaultSpec::Kind::kDrop:
        return {"from", "to", "both_ways"};
      case FaultSpec::Kind::kDelay:
        return {"from", "to", "both_ways", "by"};
      case FaultSpec::Kind::kSlowHost:
        return {"host", "by"};
    }
    return {};
  }

  void DecodeFault(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "a fault object", kFaultFields);
    if (!o) return;
    Require(*o, {"kind"});
    FaultSpec f;
    f.origin = {path, LineOfPath(lines_, path)};
    f.name = NameField(*o, "name", "").value_or("");
    std::optional<FaultSpec::Kind> kind =
        EnumField<FaultSpec::Kind>(*o, "kind", "fault kind", kFaultKinds);
    if (!kind) return;
    f.kind = *kind;
    const std::vector<std::string_view> own = FaultKindFields(f.kind);
    const std::string kind_name = o->json->at("kind").get<std::string>();
    for (std::string_view field : {"host", "domain", "from", "to", "both_ways", "by"}) {
      const bool wanted = std::find(own.begin(), own.end(), field) != own.end();
      if (o->Has(field) && !wanted) {
        Report(o->At(field), "a " + kind_name + " fault has no '" + std::string(field) +
                                 "' (it takes " + Join(own) + ")");
      } else if (wanted && field != "both_ways" && !o->Has(field)) {
        Report(path, "a " + kind_name + " fault needs '" + std::string(field) + "'");
      }
    }
    f.host = StringField(*o, "host").value_or("");
    f.domain = StringField(*o, "domain").value_or("");
    f.from = StringField(*o, "from").value_or("");
    f.to = StringField(*o, "to").value_or("");
    f.both_ways = BoolField(*o, "both_ways").value_or(false);
    if (const Json* by = o->Get("by")) f.by_ms = Duration(*by, o->At("by")).value_or(0);
    if (const Json* start = o->Get("start")) {
      f.start_ms = Duration(*start, o->At("start")).value_or(0);
    }
    if (const Json* end = o->Get("end")) {
      f.end_ms = Duration(*end, o->At("end"));
      if (f.end_ms && *f.end_ms <= f.start_ms) {
        Report(o->At("end"), "the fault ends before it starts (end must be later than start)");
      }
    }
    if ((f.kind == FaultSpec::Kind::kDrop || f.kind == FaultSpec::Kind::kDelay) &&
        !f.from.empty() && f.from == f.to) {
      Report(o->At("to"), "a " + kind_name + " fault is between two different hosts");
    }
    s->faults.push_back(std::move(f));
    src_->faults.push_back(path);
  }

  void DecodeExpect(const Json& v, const std::string& path, Scenario* s) {
    std::optional<Obj> o = Object(v, path, "an expectation object", kExpectFields);
    if (!o) return;
    Require(*o, {"path"});
    Expectation e;
    e.origin = {path, LineOfPath(lines_, path)};
    e.path = StringField(*o, "path").value_or("");
    e.op_target = StringField(*o, "access").value_or("");
    if (auto op = EnumField<std::string_view>(*o, "op", "operation", OpResultKinds())) {
      e.op = std::string(*op);
    }
    if (auto x = EnumField<std::string_view>(*o, "verdict", "verdict", kVerdicts)) {
      e.verdict = std::string(*x);
    }
    if (auto t = EnumField<std::string_view>(*o, "token", "token", kTokenKinds)) {
      e.token = std::string(*t);
    }
    if (auto l = EnumField<std::string_view>(*o, "transport_level", "impersonation level",
                                             HopLevels())) {
      e.transport_level = std::string(*l);
    }
    if (const Json* g = o->Get("gss_flags")) {
      constexpr std::string_view kGss[] = {"deleg", "mutual", "identify", "anonymous"};
      if (std::optional<Obj> flags =
              Object(*g, o->At("gss_flags"), "an object of GSS flags", kGss)) {
        for (std::string_view name : kGss) {
          if (auto b = BoolField(*flags, name)) e.gss_flags.emplace_back(std::string(name), *b);
        }
      }
    }
    if (const Json* n = o->Get("nth")) {
      if (auto k = Integer(*n, o->At("nth"), 1, 1000)) e.nth = static_cast<int>(*k);
      if (!o->Has("access") && !o->Has("op")) {
        Report(o->At("nth"), "'nth' counts operations: give 'op' or 'access' too");
      }
    }
    if (const Json* id = o->Get("identity")) {
      if (id->is_null()) {
        e.identity = "anonymous";
      } else if (auto name = String(*id, o->At("identity"))) {
        e.identity = *name;
      }
    }
    if (auto l = EnumField<std::string_view>(*o, "level", "impersonation level", HopLevels())) {
      e.level = std::string(*l);
    }
    if (auto n = StringField(*o, "net_creds")) {
      if (ValidNetCreds(*n)) {
        e.net_creds = *n;
      } else {
        constexpr std::string_view kKinds[] = {"none", "own_session", "tgt", "s4u_proxy"};
        std::string dym = DidYouMean(*n, Candidates(kKinds));
        Report(o->At("net_creds"),
               "unknown net_creds '" + *n + "'" +
                   (dym.empty() ? " (expected none, own_session, tgt, s4u_proxy or "
                                  "s4u_proxy{spn,...})"
                                : dym));
      }
    }
    if (auto err = StringField(*o, "error")) {
      bool ok = std::isupper(static_cast<unsigned char>((*err)[0])) &&
                std::all_of(err->begin(), err->end(), [](char c) {
                  return std::isupper(static_cast<unsigned char>(c)) ||
                         std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                });
      if (ok) {
        e.error = *err;
      } else {
        Report(o->At("error"), "'" + *err +
                                   "' is not an error name (expected an upper-case symbol such "
                                   "as ERROR_ACCESS_DENIED or KDC_ERR_BADOPTION)");
      }
    }
    if (const Json* d = o->Get("decided_by")) {
      if (auto r = RuleIdAt(*d, o->At("decided_by"))) e.decided_by = *r;
    }
    e.rules = RuleIds(*o, "rules");
    e.not_rules = RuleIds(*o, "not_rules");
    if (const Json* f = o->Get("ticket_flags")) {
      std::string p = o->At("ticket_flags");
      if (std::optional<Obj> flags = Object(*f, p, "an object of ticket flags", kTicketFlags)) {
        for (std::string_view name : kTicketFlags) {
          if (auto b = BoolField(*flags, name)) e.ticket_flags.emplace_back(std::string(name), *b);
        }
      }
    }
    if (const Json* t = o->Get("tickets")) {
      DecodeTicketExpectations(*t, o->At("tickets"), Hooks(), &e.tickets);
    }
    constexpr std::string_view kChecks[] = {
        "verdict",    "identity",        "level",     "net_creds",    "error",
        "decided_by", "rules",           "not_rules", "ticket_flags", "tickets",
        "token",      "transport_level", "gss_flags"};
    bool checks_something = std::any_of(std::begin(kChecks), std::end(kChecks),
                                        [&](std::string_view k) { return o->Has(k); });
    // What results.cc can check: an operation has a verdict, an identity and a decision;
    // levels, net_creds and ticket flags belong to hops.
    // `access`, `op` or both make the entry about an operation: the first one at the hop
    // with that target and/or kind (create_process, revert, ... name no target).
    if (o->Has("access") || o->Has("op")) {
      const char* key = o->Has("access") ? "access" : "op";
      for (std::string_view k :
           {"level", "net_creds", "ticket_flags", "tickets", "transport_level", "gss_flags"}) {
        if (o->Has(k)) {
          Report(o->At(k), "'" + std::string(k) + "' describes a hop; an expectation with '" + key +
                               "' is about an operation (drop '" + key +
                               "' or move this check to its own entry)");
        }
      }
    }
    if (o->Has("token") && !o->Has("access") && !o->Has("op")) {
      Report(o->At("token"),
             "'token' describes an operation (a privilege check, TK-3): give 'op' "
             "or 'access' too");
    }
    if (!checks_something) {
      Report(path,
             "the expectation checks nothing (give verdict, identity, level, net_creds, error, "
             "decided_by, rules, not_rules, ticket_flags or tickets)");
    }
    s->expectations.push_back(std::move(e));
    src_->expectations.push_back(path);
  }

  static std::span<const Named<std::string_view>> OpResultKinds() {
    static const std::vector<Named<std::string_view>> table = [] {
      std::vector<Named<std::string_view>> t;
      // Every operation kind but a call reports an OpResult (a call reports a hop).
      for (std::string_view k : kOpKinds) {
        if (k != "call") t.push_back({k, k});
      }
      return t;
    }();
    return table;
  }

  static bool ValidNetCreds(const std::string& n) {
    if (n == "none" || n == "own_session" || n == "tgt" || n == "s4u_proxy") return true;
    std::string_view p = "s4u_proxy{";
    return n.size() > p.size() && n.compare(0, p.size(), p) == 0 && n.back() == '}' &&
           n.find_first_of("{}", p.size()) == n.size() - 1;
  }

  std::optional<std::string> RuleIdAt(const Json& v, const std::string& path) {
    std::optional<std::string> code = String(v, path);
    if (!code) return std::nullopt;
    if (std::optional<RuleId> id = ParseRuleId(*code)) return std::string(RuleCode(*id));
    std::vector<std::string_view> codes;
    for (const RuleInfo& r : AllRules()) codes.push_back(r.code);
    std::string dym = DidYouMean(*code, Candidates(codes));
    Report(path, "unknown rule id '" + *code + "'" +
                     (dym.empty() ? " (rule ids are listed in RULES.md, e.g. 'KCD-2')" : dym));
    return std::nullopt;
  }

  std::vector<std::string> RuleIds(const Obj& o, std::string_view key) {
    std::vector<std::string> out;
    const Json* v = o.Get(key);
    if (!v) return out;
    if (!v->is_array()) {
      TypeError(o.At(key), "an array of rule ids", *v);
      return out;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      if (auto r = RuleIdAt((*v)[i], Index(o.At(key), i))) out.push_back(*r);
    }
    return out;
  }

  const PathLines& lines_;
  std::vector<Raw>* problems_;
  Sources* src_ = nullptr;
};

// ---------------------------------------------------------------------------------------
// Checking: names that refer to nothing, duplicates, and impossible combinations.

class Checker {
 public:
  Checker(const Scenario& s, const Sources& src, const PathLines& lines, std::vector<Raw>* problems)
      : s_(s), src_(src), lines_(lines), problems_(problems) {}
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void Run() {
    IndexDomains();
    IndexHosts();
    IndexPrincipals();
    CheckDomains();
    CheckTrusts();
    CheckHosts();
    CheckAccounts();
    CheckGroups();
    CheckServices();
    CheckObjects();
    CheckSteps();
    CheckCalls();
    CheckExpectations();
    CheckInvariants();
    CheckFaults();
  }

 private:
  // A realm, or a workgroup host's local account database.
  struct Realm {
    std::string name;
    bool workgroup;
    std::string path;  // where it was declared
  };
  struct Host {
    std::string name;
    std::string domain;  // empty: workgroup
    std::string path;    // empty: a domain controller host the world builder adds
  };
  static constexpr size_t kNoRealm = static_cast<size_t>(-1);
  struct Principal {
    std::string name;
    size_t realm;  // index into realms_; kNoRealm when its domain is unknown (reported)
    bool group;
    bool builtin;      // krbtgt
    std::string path;  // where it was declared
  };

  void Report(const std::string& path, std::string message) {
    problems_->push_back({LineOfPath(lines_, path), path, std::move(message)});
  }

  int Line(const std::string& path) const { return LineOfPath(lines_, path); }
  std::string AtLine(const std::string& path) const {
    int l = Line(path);
    return l > 0 ? " (line " + std::to_string(l) + ")" : "";
  }

  // --- Indexes.

  void IndexDomains() {
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < s_.domains.size(); ++i) {
      const std::string& realm = s_.domains[i].realm;
      const std::string& path = src_.domains[i];
      auto [it, fresh] = seen.emplace(Lower(realm), i);
      if (!fresh) {
        Report(Member(path, "name"), "duplicate domain '" + realm + "'" +
                                         FirstAt(Member(src_.domains[it->second], "name")));
        continue;
      }
      AddRealm({realm, false, path});
    }
  }

  void IndexHosts() {
    std::map<std::string, std::string> seen;  // lower-case name -> path
    for (size_t i = 0; i < s_.hosts.size(); ++i) {
      const HostSpec& h = s_.hosts[i];
      std::string path = src_.hosts[i];
      auto [it, fresh] = seen.emplace(Lower(h.name), path);
      if (!fresh) {
        Report(Member(path, "name"),
               "duplicate host '" + h.name + "'" + FirstAt(Member(it->second, "name")));
        continue;
      }
      AddHost({h.name, h.domain, path});
      if (!h.domain.empty()) continue;
      // A workgroup host is also the realm of its local accounts.
      if (std::optional<size_t> r = FindRealm(h.name)) {
        Report(Member(path, "name"), "workgroup host '" + h.name + "' has the name of domain '" +
                                         realms_[*r].name + "'" +
                                         AtLine(Member(realms_[*r].path, "name")) +
                                         "; local accounts would be ambiguous");
        continue;
      }
      AddRealm({h.name, true, path});
    }
    // Domain controller hosts that the scenario does not declare are added by the world.
    for (const DomainSpec& d : s_.domains) {
      if (!FindHost(d.dc_host) && !seen.count(Lower(d.dc_host))) {
        AddHost({d.dc_host, d.realm, ""});
        seen.emplace(Lower(d.dc_host), "");
      }
    }
  }

  void AddPrincipal(Principal p) {
    bare_index_[Lower(p.name)].push_back(principals_.size());
    if (p.realm != kNoRealm) {
      qualified_index_.emplace(QualifiedKey(p.realm, p.name), principals_.size());
    }
    principals_.push_back(std::move(p));
  }

  static std::string QualifiedKey(size_t realm, std::string_view name) {
    return std::to_string(realm) + "|" + Lower(name);
  }

  void IndexPrincipals() {
    for (size_t r = 0; r < realms_.size(); ++r) {
      if (!realms_[r].workgroup) AddPrincipal({"krbtgt", r, false, true, ""});
    }
    auto add = [&](const std::string& name, const std::string& domain, bool group,
                   const std::string& path) {
      // An unknown domain is reported by CheckAccounts / CheckGroups; the principal is
      // still indexed so that references to it do not fail as well.
      std::optional<size_t> r = FindRealm(domain);
      if (!r) {
        AddPrincipal({name, kNoRealm, group, false, path});
        return;
      }
      if (auto it = qualified_index_.find(QualifiedKey(*r, name)); it != qualified_index_.end()) {
        const Principal& p = principals_[it->second];
        std::string what = group ? "group" : "account";
        if (p.builtin) {
          Report(Member(path, "name"),
                 "'" + name + "' is the built-in KDC account of domain '" + realms_[*r].name + "'");
        } else {
          Report(Member(path, "name"),
                 "duplicate " + what + " '" + name + "' in '" + realms_[*r].name + "'" +
                     (p.group != group ? " (the name is taken by a" +
                                             std::string(p.group ? " group" : "n account") +
                                             AtLine(Member(p.path, "name")) + ")"
                                       : FirstAt(Member(p.path, "name"))));
        }
        return;
      }
      AddPrincipal({name, *r, group, false, path});
    };
    for (size_t i = 0; i < s_.accounts.size(); ++i) {
      add(s_.accounts[i].name, s_.accounts[i].domain, false, src_.accounts[i]);
    }
    for (size_t i = 0; i < s_.groups.size(); ++i) {
      add(s_.groups[i].name, s_.groups[i].domain, true, src_.groups[i]);
    }
  }

  std::string FirstAt(const std::string& path) const {
    int l = Line(path);
    return l > 0 ? " (first declared at line " + std::to_string(l) + ")" : "";
  }

  std::optional<size_t> FindRealm(std::string_view name) const {
    auto it = realm_index_.find(Lower(name));
    if (it == realm_index_.end()) return std::nullopt;
    return it->second;
  }

  void AddRealm(Realm r) {
    realm_index_.emplace(Lower(r.name), realms_.size());
    if (size_t dot = r.name.find('.'); dot != std::string::npos) {
      netbios_index_.emplace(Lower(r.name.substr(0, dot)), realms_.size());
    }
    realms_.push_back(std::move(r));
  }

  // The realm a "DOMAIN\name" reference names: by realm, then by NetBIOS name.
  std::optional<size_t> FindRealmPrefix(const std::string& lower) const {
    if (auto it = realm_index_.find(lower); it != realm_index_.end()) return it->second;
    if (auto it = netbios_index_.find(lower); it != netbios_index_.end()) return it->second;
    return std::nullopt;
  }

  const Host* FindHost(const std::string& name) const {
    auto it = host_index_.find(name);
    return it == host_index_.end() ? nullptr : &hosts_[it->second];
  }

  void AddHost(Host h) {
    host_index_.emplace(h.name, hosts_.size());
    hosts_.push_back(std::move(h));
  }

  // DidYouMean over the candidates `make` builds, within a budget of comparisons for the
  // whole load: a huge broken file gets suggestions for its first problems only.
  std::string Suggest(std::string_view word, const std::function<std::vector<Candidate>()>& make) {
    if (suggestion_budget_ == 0) return "";
    std::vector<Candidate> cands = make();
    suggestion_budget_ -= std::min<uint64_t>(suggestion_budget_, cands.size() + 1);
    return DidYouMean(word, cands);
  }

  std::vector<Candidate> RealmCandidates(bool workgroups) const {
    std::vector<Candidate> out;
    for (const Realm& r : realms_) {
      if (r.workgroup && !workgroups) continue;
      out.push_back({r.name, r.name});
      if (size_t dot = r.name.find('.'); dot != std::string::npos) {
        out.push_back({r.name.substr(0, dot), r.name});  // NetBIOS name
      }
    }
    return out;
  }

  // The realm (declared domain or, with `workgroups`, a workgroup host) named `name`.
  std::optional<size_t> ResolveRealm(const std::string& name, const std::string& path,
                                     bool workgroups) {
    std::optional<size_t> r = FindRealm(name);
    if (r && (workgroups || !realms_[*r].workgroup)) return r;
    if (r) {
      Report(path, "'" + name + "' is a workgroup host, not a domain");
      return std::nullopt;
    }
    std::string extra;
    if (const Host* h = FindHost(name); h && workgroups) {
      extra = " ('" + name + "' is a host of domain '" + h->domain +
              "'; only workgroup hosts have local accounts here)";
    }
    Report(path, "unknown domain '" + name + "'" +
                     (extra.empty() ? Suggest(name, [&] { return RealmCandidates(workgroups); })
                                    : extra));
    return std::nullopt;
  }

  const Host* ResolveHost(const std::string& name, const std::string& path) {
    if (const Host* h = FindHost(name)) return h;
    std::string dym = Suggest(name, [&] {
      std::vector<Candidate> cands;
      for (const Host& h : hosts_) cands.push_back({h.name, h.name});
      return cands;
    });
    Report(path, "unknown host '" + name + "'" + dym);
    return nullptr;
  }

  enum class Want { kAny, kAccount, kGroup };

  // Resolves a principal reference as the directory does: "alice", "alice@CORP.EXAMPLE"
  // or "CORP\alice"; a bare name must be unique. Reports and returns nullptr on failure.
  const Principal* ResolvePrincipal(const std::string& name, const std::string& path, Want want) {
    std::string what = want == Want::kGroup     ? "group"
                       : want == Want::kAccount ? "account"
                                                : "account or group";
    std::vector<const Principal*> found;
    std::string key = Lower(name);
    auto qualified = [&](std::optional<size_t> realm, std::string_view bare) {
      if (!realm) return;
      auto it = qualified_index_.find(QualifiedKey(*realm, bare));
      if (it != qualified_index_.end()) found.push_back(&principals_[it->second]);
    };
    if (size_t bs = key.find('\\'); bs != std::string::npos) {
      qualified(FindRealmPrefix(key.substr(0, bs)), key.substr(bs + 1));
    } else if (size_t at = key.find('@'); at != std::string::npos) {
      qualified(FindRealm(key.substr(at + 1)), key.substr(0, at));
    } else if (auto it = bare_index_.find(key); it != bare_index_.end()) {
      for (size_t i : it->second) found.push_back(&principals_[i]);
    }
    if (found.size() > 1) {
      std::vector<std::string> full;
      for (const Principal* p : found) full.push_back("'" + Qualified(*p) + "'");
      std::vector<std::string_view> views(full.begin(), full.end());
      Report(path, "ambiguous " + what + " '" + name + "': qualify it as " + Join(views, " or "));
      return nullptr;
    }
    if (found.empty()) {
      std::string dym = Suggest(name, [&] {
        std::vector<Candidate> cands;
        for (const Principal& p : principals_) {
          if (p.builtin || (want == Want::kGroup && !p.group) ||
              (want == Want::kAccount && p.group)) {
            continue;
          }
          std::string shown =
              name.find_first_of("@\\") != std::string::npos ? Qualified(p) : p.name;
          cands.push_back({shown, shown});
        }
        return cands;
      });
      Report(path, "unknown " + what + " '" + name + "'" + dym);
      return nullptr;
    }
    const Principal* p = found.front();
    if (want == Want::kGroup && !p->group) {
      Report(path, "'" + name + "' is an account, not a group");
      return nullptr;
    }
    if (want == Want::kAccount && p->group) {
      Report(path, "'" + name + "' is a group, not an account");
      return nullptr;
    }
    return p;
  }

  std::string Qualified(const Principal& p) const {
    return p.realm == kNoRealm ? p.name : p.name + "@" + realms_[p.realm].name;
  }

  // --- Checks, section by section.

  void CheckDomains() {
    std::map<std::string, std::string> dc_owner;  // dc host -> realm
    for (size_t i = 0; i < s_.domains.size(); ++i) {
      const DomainSpec& d = s_.domains[i];
      std::string path = Member(src_.domains[i], "dc");
      auto [it, fresh] = dc_owner.emplace(d.dc_host, d.realm);
      if (!fresh && Lower(it->second) != Lower(d.realm)) {
        Report(path,
               "host '" + d.dc_host + "' is already the domain controller of '" + it->second + "'");
        continue;
      }
      const Host* h = FindHost(d.dc_host);
      if (!h || h->path.empty()) continue;
      if (h->domain.empty()) {
        Report(path, "domain controller host '" + d.dc_host + "' is a workgroup host" +
                         AtLine(h->path) + "; it must be in domain '" + d.realm + "'");
      } else if (Lower(h->domain) != Lower(d.realm)) {
        Report(path, "domain controller host '" + d.dc_host + "' is in domain '" + h->domain + "'" +
                         AtLine(h->path) + ", not '" + d.realm + "'");
      }
    }
  }

  void CheckTrusts() {
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < s_.trusts.size(); ++i) {
      const TrustSpec& t = s_.trusts[i];
      const std::string& path = src_.trusts[i];
      std::optional<size_t> a, b;
      if (!t.trusting.empty()) a = ResolveRealm(t.trusting, Member(path, "trusting"), false);
      if (!t.trusted.empty()) b = ResolveRealm(t.trusted, Member(path, "trusted"), false);
      if (!a || !b) continue;
      if (*a == *b) {
        Report(path, "domain '" + t.trusting + "' cannot trust itself");
        continue;
      }
      std::pair<std::string, std::string> key =
          std::minmax(Lower(realms_[*a].name), Lower(realms_[*b].name));
      if (!seen.insert(key).second) {
        Report(path,
               "a trust between '" + t.trusting + "' and '" + t.trusted + "' is already declared");
      }
    }
  }

  void CheckHosts() {
    for (size_t i = 0; i < s_.hosts.size(); ++i) {
      const HostSpec& h = s_.hosts[i];
      if (!h.domain.empty()) ResolveRealm(h.domain, Member(src_.hosts[i], "domain"), false);
    }
  }

  void CheckAccounts() {
    // Lower-case SPN -> the account that registers it first, and where.
    std::map<std::string, std::pair<size_t, std::string>> spns;
    for (size_t i = 0; i < s_.accounts.size(); ++i) {
      const AccountSpec& a = s_.accounts[i];
      const std::string& path = src_.accounts[i];
      std::optional<size_t> r;
      if (!a.domain.empty()) r = ResolveRealm(a.domain, Member(path, "domain"), true);
      if (r && realms_[*r].workgroup) {
        // A local account lives in a host's SAM: none of the directory's delegation data.
        std::vector<std::string_view> ad_only;
        if (!a.spns.empty()) ad_only.push_back("spns");
        if (a.trusted_for_delegation) ad_only.push_back("trusted_for_delegation");
        if (a.trusted_to_auth_for_delegation) ad_only.push_back("trusted_to_auth_for_delegation");
        if (!a.allowed_to_delegate_to.empty()) ad_only.push_back("allowed_to_delegate_to");
        if (!a.allowed_to_act.empty()) ad_only.push_back("allowed_to_act_on_behalf_of");
        if (!ad_only.empty()) {
          Report(path, "'" + a.name + "' is a local account of workgroup host '" + a.domain +
                           "'; " + Join(ad_only) + " exist only in a domain");
        }
      }
      for (size_t j = 0; j < a.spns.size(); ++j) {
        std::string at = Index(Member(path, "spns"), j);
        auto [it, fresh] = spns.emplace(Lower(a.spns[j]), std::make_pair(i, at));
        if (!fresh) {
          Report(at, "SPN '" + a.spns[j] + "' is already registered on account '" +
                         s_.accounts[it->second.first].name + "'" + AtLine(it->second.second));
        }
      }
      for (size_t j = 0; j < a.member_of.size(); ++j) {
        ResolvePrincipal(a.member_of[j], Index(Member(path, "member_of"), j), Want::kGroup);
      }
      for (size_t j = 0; j < a.allowed_to_act.size(); ++j) {
        ResolvePrincipal(a.allowed_to_act[j], Index(Member(path, "allowed_to_act_on_behalf_of"), j),
                         Want::kAny);
      }
      for (size_t j = 0; j < a.allowed_to_authenticate.size(); ++j) {
        ResolvePrincipal(a.allowed_to_authenticate[j],
                         Index(Member(path, "allowed_to_authenticate"), j), Want::kAny);
      }
    }
  }

  void CheckGroups() {
    for (size_t i = 0; i < s_.groups.size(); ++i) {
      const GroupSpec& g = s_.groups[i];
      const std::string& path = src_.groups[i];
      if (!g.domain.empty()) ResolveRealm(g.domain, Member(path, "domain"), true);
      for (size_t j = 0; j < g.members.size(); ++j) {
        ResolvePrincipal(g.members[j], Index(Member(path, "members"), j), Want::kAny);
      }
    }
  }

  void CheckServices() {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < s_.services.size(); ++i) {
      const ServiceSpec& svc = s_.services[i];
      const std::string& path = src_.services[i];
      auto [it, fresh] = seen.emplace(Lower(svc.name), path);
      if (!fresh) {
        Report(Member(path, "name"),
               "duplicate service '" + svc.name + "'" + FirstAt(Member(it->second, "name")));
      }
      service_index_.emplace(svc.name, i);
      const Host* h = svc.host.empty() ? nullptr : ResolveHost(svc.host, Member(path, "host"));
      const Principal* p =
          svc.account.empty()
              ? nullptr
              : ResolvePrincipal(svc.account, Member(path, "account"), Want::kAccount);
      // Unknown domains are reported where they are named; compare only known ones.
      if (!h || !p || p->realm == kNoRealm || (!h->domain.empty() && !FindRealm(h->domain))) {
        continue;
      }
      const Realm& realm = realms_[p->realm];
      if (h->domain.empty() && (!realm.workgroup || realm.name != h->name)) {
        Report(Member(path, "account"), "service '" + svc.name + "' on workgroup host '" + h->name +
                                            "' must run as a local account of '" + h->name +
                                            "'; '" + svc.account + "' is in '" + realm.name + "'");
      } else if (!h->domain.empty() && Lower(realm.name) != Lower(h->domain)) {
        Report(Member(path, "account"), "service '" + svc.name + "' on host '" + h->name +
                                            "' of domain '" + h->domain +
                                            "' must run as an account of that domain; '" +
                                            svc.account + "' is in '" + realm.name + "'");
      }
    }
  }

  void CheckObjects() {
    std::map<std::pair<std::string, std::string>, std::string> seen;
    for (size_t i = 0; i < s_.objects.size(); ++i) {
      const ObjectSpec& o = s_.objects[i];
      const std::string& path = src_.objects[i];
      auto [it, fresh] = seen.emplace(std::make_pair(o.host, Lower(o.name)), path);
      if (!fresh) {
        Report(Member(path, "name"), "duplicate object '" + o.name + "' on host '" + o.host + "'" +
                                         FirstAt(Member(it->second, "name")));
      }
      if (!o.host.empty()) ResolveHost(o.host, Member(path, "host"));
      if (!o.owner.empty()) ResolvePrincipal(o.owner, Member(path, "owner"), Want::kAny);
      for (size_t j = 0; j < o.acl.size(); ++j) {
        std::string ace = Index(Member(path, "acl"), j);
        if (o.acl[j].who.empty()) continue;
        ResolvePrincipal(o.acl[j].who, Member(ace, o.acl[j].allow ? "allow" : "deny"), Want::kAny);
      }
    }
  }

  void CheckSteps() {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < s_.steps.size(); ++i) {
      const StepSpec& step = s_.steps[i];
      if (step.kind != StepSpec::Kind::kCall) continue;
      const std::string& path = src_.steps[i];
      if (!step.label.empty()) {
        auto [it, fresh] = seen.emplace(Lower(step.label), path);
        if (!fresh) {
          Report(Member(path, "name"),
                 "duplicate step name '" + step.label + "'" + FirstAt(Member(it->second, "name")));
        }
        step_names_.insert(step.label);
      }
      const Host* from =
          step.from_host.empty() ? nullptr : ResolveHost(step.from_host, Member(path, "from"));
      const Principal* user =
          step.user.empty() ? nullptr
                            : ResolvePrincipal(step.user, Member(path, "user"), Want::kAccount);
      if (!from || !user || user->realm == kNoRealm) continue;
      const Realm& realm = realms_[user->realm];
      if (realm.workgroup && realm.name != from->name) {
        Report(Member(path, "user"), "'" + step.user + "' is a local account of workgroup host '" +
                                         realm.name + "'; it cannot log on at '" + from->name +
                                         "'");
      }
    }
  }

  const Host* ServiceHost(const std::string& service) const {
    auto it = service_index_.find(service);
    return it == service_index_.end() ? nullptr : FindHost(s_.services[it->second].host);
  }

  void CheckCalls() {
    for (const CallSite& c : src_.calls) {
      std::string service_path = Member(c.path, "call");
      if (c.service.empty()) continue;
      if (!service_index_.count(c.service)) {
        std::string dym = Suggest(c.service, [&] {
          std::vector<Candidate> cands;
          for (const ServiceSpec& svc : s_.services) cands.push_back({svc.name, svc.name});
          return cands;
        });
        Report(service_path, "unknown service '" + c.service + "'" + dym);
        continue;
      }
      const Host* target = ServiceHost(c.service);
      const Host* caller = nullptr;
      std::string caller_desc;
      if (c.step) {
        caller = FindHost(s_.steps[*c.step].from_host);
        caller_desc = "caller host '" + s_.steps[*c.step].from_host + "'";
      } else {
        caller = ServiceHost(c.caller_service);
        caller_desc = "caller service '" + c.caller_service + "' runs on host '" +
                      (caller ? caller->name : "?") + "', which";
      }
      if (!target || !caller) continue;
      if (c.transport == v1::TRANSPORT_NCALRPC && caller->name != target->name) {
        Report(Member(c.path, "transport"), "ncalrpc is local RPC: " + caller_desc +
                                                " differs from host '" + target->name +
                                                "' of service '" + c.service + "'");
      }
      if (c.package == v1::PACKAGE_KERBEROS) {  // only when asked: the default is Negotiate
        if (caller->domain.empty()) {
          Report(Member(c.path, "package"), "Kerberos cannot be used from workgroup host '" +
                                                caller->name + "' (it has no domain)");
        } else if (target->domain.empty()) {
          Report(Member(c.path, "package"), "Kerberos cannot be used to reach service '" +
                                                c.service + "' on workgroup host '" + target->name +
                                                "' (it has no domain)");
        }
      }
    }
  }

  // Every name an invariant uses resolves: accounts and groups, hosts, services.
  void CheckFaults() {
    for (size_t i = 0; i < s_.faults.size(); ++i) {
      const FaultSpec& f = s_.faults[i];
      const std::string& path = src_.faults[i];
      for (const char* field : {"host", "from", "to"}) {
        const std::string& name = field[0] == 'h' ? f.host : field[0] == 'f' ? f.from : f.to;
        if (!name.empty()) ResolveHost(name, Member(path, field));
      }
      if (!f.domain.empty()) ResolveRealm(f.domain, Member(path, "domain"), /*workgroups=*/false);
    }
  }

  void CheckInvariants() {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < s_.invariants.size(); ++i) {
      const InvariantSpec& inv = s_.invariants[i];
      const std::string& path = src_.invariants[i];
      auto [it, fresh] = seen.emplace(Lower(inv.name), path);
      if (!fresh) {
        Report(Member(path, "name"),
               "duplicate invariant '" + inv.name + "'" + FirstAt(Member(it->second, "name")));
      }
      auto list = [&](std::string_view kind, std::string_view field, size_t j) {
        return Index(Member(Member(path, kind), field), j);
      };
      auto service = [&](const std::string& name, const std::string& at) {
        if (service_index_.count(name)) return;
        Report(at, "unknown service '" + name + "'" + Suggest(name, [&] {
                     std::vector<Candidate> cands;
                     for (const ServiceSpec& svc : s_.services)
                       cands.push_back({svc.name, svc.name});
                     return cands;
                   }));
      };
      switch (inv.kind) {
        case InvariantSpec::Kind::kNoReach:
          for (size_t j = 0; j < inv.identities.size(); ++j) {
            ResolvePrincipal(inv.identities[j], list("no_reach", "identities", j), Want::kAny);
          }
          for (size_t j = 0; j < inv.targets.size(); ++j) {
            const std::string& t = inv.targets[j];
            std::string at = list("no_reach", "targets", j);
            if (t.rfind("host:", 0) == 0) {
              ResolveHost(t.substr(5), at);
            } else if (t.rfind("service:", 0) == 0) {
              service(t.substr(8), at);
            } else {
              ResolvePrincipal(t, at, Want::kGroup);
            }
          }
          break;
        case InvariantSpec::Kind::kOnlyHolders:
          for (size_t j = 0; j < inv.holders.size(); ++j) {
            ResolvePrincipal(inv.holders[j], list("only_holders", "accounts", j), Want::kAny);
          }
          break;
        case InvariantSpec::Kind::kOnlyThrough:
          service(inv.service, Member(Member(path, "only_through"), "service"));
          for (size_t j = 0; j < inv.via.size(); ++j) {
            service(inv.via[j], list("only_through", "via", j));
          }
          break;
      }
    }
  }

  void CheckExpectations() {
    auto steps = [&] {
      std::vector<Candidate> cands;
      for (const std::string& n : step_names_) cands.push_back({n, n});
      return cands;
    };
    for (size_t i = 0; i < s_.expectations.size(); ++i) {
      const Expectation& e = s_.expectations[i];
      if (e.path.empty()) continue;
      std::string at = Member(src_.expectations[i], "path");
      std::vector<std::string> segs;
      for (size_t start = 0;;) {
        size_t slash = e.path.find('/', start);
        segs.push_back(e.path.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
      if (!step_names_.count(segs[0])) {
        Report(at, "unknown step '" + segs[0] + "'" + Suggest(segs[0], steps) +
                       "; a path starts with a step name, as in 'c1/web'");
        continue;
      }
      if (segs.size() == 1) {
        auto it = src_.callees.find(segs[0]);
        std::string eg = it != src_.callees.end() && !it->second.empty()
                             ? segs[0] + "/" + it->second.front()
                             : segs[0] + "/<service>";
        Report(at,
               "'" + e.path + "' names a step, not a hop; the step's first hop is '" + eg + "'");
        continue;
      }
      std::string prefix = segs[0];
      for (size_t k = 1; k < segs.size(); ++k) {
        // The runtime tells repeated calls from one hop apart as "db", "db#2", ...
        std::string label = segs[k].substr(0, segs[k].find('#'));
        std::string next = prefix + "/" + label;
        if (!src_.hops.count(next)) {
          std::string dym = Suggest(label, [&] {
            std::vector<Candidate> cands;
            if (auto it = src_.callees.find(prefix); it != src_.callees.end()) {
              for (const std::string& c : it->second) cands.push_back({c, c});
            }
            return cands;
          });
          Report(at, "no call '" + segs[k] + "' from '" + prefix + "'" + dym);
          break;
        }
        prefix = next;
      }
    }
  }

  const Scenario& s_;
  const Sources& src_;
  const PathLines& lines_;
  std::vector<Raw>* problems_;
  std::vector<Realm> realms_;  // declared domains, then workgroup hosts (as the world adds them)
  std::vector<Host> hosts_;
  std::vector<Principal> principals_;
  std::set<std::string> step_names_;
  // Indexes over the vectors above and the scenario, for lookups by name.
  std::map<std::string, size_t> realm_index_;    // lower-case realm -> realms_ (first)
  std::map<std::string, size_t> netbios_index_;  // lower-case first label -> realms_ (first)
  std::map<std::string, size_t> host_index_;     // name -> hosts_
  std::map<std::string, std::vector<size_t>> bare_index_;  // lower-case name -> principals_
  std::map<std::string, size_t> qualified_index_;          // QualifiedKey -> principals_
  std::map<std::string, size_t> service_index_;            // name -> s_.services (first)
  uint64_t suggestion_budget_ = 500'000;                   // candidates compared, in all
};

LoadResult Finish(std::string file, std::vector<Raw> raw) {
  std::stable_sort(raw.begin(), raw.end(),
                   [](const Raw& a, const Raw& b) { return a.line < b.line; });
  LoadResult r;
  for (Raw& p : raw) r.problems.push_back({file, p.line, std::move(p.path), std::move(p.message)});
  return r;
}

}  // namespace

std::string Problem::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ":";
  if (!path.empty()) out += " " + path + ":";
  // Messages quote what the file said, and the file may be hostile.
  return EscapeUnsafe(out + " " + message);
}

namespace {
// The one problem of a file over the size limit.
std::string FileTooLarge(uintmax_t size, size_t max_bytes) {
  std::string limit = std::to_string(max_bytes);
  if (max_bytes % (size_t{1} << 20) == 0) limit += " (" + std::to_string(max_bytes >> 20) + " MiB)";
  return "file is " + std::to_string(size) + " bytes; the limit is " + limit +
         " (raise it with --max-file-size)";
}
}  // namespace

// A `--fault` argument as the fault object it stands for:
//   host_down:web1,start=1m,end=5m    kdc_unreachable:CORP.EXAMPLE
//   drop:ws1->web1   drop:ws1<->web1  delay:ws1->web1,by=500ms   slow_host:db1,by=2s
// Fields other than the first are passed on as strings ("both_ways=true" as a boolean),
// so the decoder checks them with the same messages as in a file.
Json FaultArgumentAsJson(const std::string& spec) {
  Json out = Json::object();
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  out["kind"] = kind;
  if (colon == std::string::npos) return out;
  std::vector<std::string> parts;
  for (size_t pos = colon + 1;;) {
    size_t comma = spec.find(',', pos);
    parts.push_back(spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const std::string& target = parts.front();
  if (kind == "drop" || kind == "delay") {
    size_t both = target.find("<->");
    size_t one = target.find("->");
    if (both != std::string::npos) {
      out["from"] = target.substr(0, both);
      out["to"] = target.substr(both + 3);
      out["both_ways"] = true;
    } else if (one != std::string::npos) {
      out["from"] = target.substr(0, one);
      out["to"] = target.substr(one + 2);
    } else {
      out["from"] = target;  // the decoder then says that `to` is missing
    }
  } else if (kind == "kdc_unreachable") {
    out["domain"] = target;
  } else {
    out["host"] = target;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    std::string key = parts[i].substr(0, eq);
    std::string value = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
    if (key == "both_ways") {
      out[key] = value == "true";
    } else {
      out[key] = value;
    }
  }
  return out;
}

LoadResult LoadScenarioText(std::string_view text, std::string file_name, size_t max_bytes,
                            const std::vector<std::string>& fault_arguments) {
  if (text.size() > max_bytes) {
    return Finish(std::move(file_name), {{0, "", FileTooLarge(text.size(), max_bytes)}});
  }
  std::vector<Raw> problems;
  try {
    PathLines lines;
    size_t consumed = 0;
    TreeBuilder builder(text, &consumed, &lines);
    TrackingIterator first(text.data(), text.data(), &consumed);
    TrackingIterator last(text.data(), text.data() + text.size(), &consumed);
    Json::sax_parse(first, last, &builder);
    if (builder.fatal()) return Finish(std::move(file_name), {*builder.fatal()});
    problems = std::move(builder.soft());

    Sources src;
    Decoder decoder(lines, &problems);
    Scenario scenario = decoder.Decode(builder.root(), &src);
    for (size_t i = 0; i < fault_arguments.size(); ++i) {
      decoder.DecodeExtraFault(FaultArgumentAsJson(fault_arguments[i]),
                               "--fault[" + std::to_string(i) + "]", &scenario);
    }
    if (builder.root().is_object()) Checker(scenario, src, lines, &problems).Run();
    if (problems.empty()) {
      LoadResult r;
      r.scenario = std::move(scenario);
      return r;
    }
  } catch (const std::exception& e) {
    problems.push_back({0, "", std::string("internal error while loading: ") + e.what()});
  }
  return Finish(std::move(file_name), std::move(problems));
}

LoadResult LoadScenarioFile(const std::string& path, size_t max_bytes,
                            const std::vector<std::string>& fault_arguments) {
  namespace fs = std::filesystem;
  auto fail = [&](std::string message) { return Finish(path, {{0, "", std::move(message)}}); };
  std::string text;
  try {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return fail("cannot read: is a directory");
    uintmax_t size = fs::file_size(path, ec);
    if (ec) return fail("cannot read: " + ec.message());
    if (size > max_bytes) return fail(FileTooLarge(size, max_bytes));
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("cannot read: cannot open the file");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return fail("cannot read: read error");
  } catch (const std::exception& e) {  // std::bad_alloc
    return fail(std::string("cannot read: ") + e.what());
  }
  return LoadScenarioText(text, path, max_bytes, fault_arguments);
}

}  // namespace delegsim::sim
