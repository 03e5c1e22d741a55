// The scenario loader's parts (sim/loader.cc): the vocabulary tables, text and
// JSON-path helpers, and the types the decoder and the checker share. Only the loader's
// files include this header.
//
//   sim/loader_json_tree.cc      JSON text -> document, with the line of every path
//   sim/schema_check.cc          the document's shape against docs/scenario.schema.json
//   sim/loader_decoder.h, sim/loader_decode_*.cc   document -> Scenario, section by section
//   sim/loader_checker.h, sim/loader_check_*.cc    names, duplicates, impossible combinations
//   sim/loader.cc                LoadScenarioText / LoadScenarioFile
#ifndef DELEGSIM_SIM_LOADER_INTERNAL_H_
#define DELEGSIM_SIM_LOADER_INTERNAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kdc/directory.h"
#include "kdc/trust_attribute_names.h"
#include "nodes/token.h"
#include "sim/json_path.h"
#include "sim/loader.h"
#include "sim/loader_expectations.h"
#include "sim/scenario.h"
#include "sim/suggest.h"

namespace delegsim::sim::loader_internal {

using Json = nlohmann::json;
using Ops = google::protobuf::RepeatedPtrField<v1::Operation>;
using Names = std::span<const std::string_view>;

// ---------------------------------------------------------------------------------------
// Vocabulary of the format. Which fields each object has, their types and enumerations
// are the schema's (docs/scenario.schema.json, checked by sim/schema_check.h); these
// tables only map the names the schema allows onto the model's values.

// The key that names what an operation does; exactly one per operation object.
inline constexpr std::string_view kOpKinds[] = {"open",
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
// The key that says what an invariant demands; exactly one per invariant.
inline constexpr std::string_view kInvariantKinds[] = {"no_reach", "only_holders", "only_through"};
inline constexpr std::string_view kTicketFlags[] = {"forwardable", "forwarded",     "proxiable",
                                                    "proxy",       "renewable",     "initial",
                                                    "pre_authent", "ok_as_delegate"};

template <typename T>
struct Named {
  std::string_view name;
  T value;
};

inline constexpr Named<std::string_view> kProfiles[] = {
    {"windows", "windows"}, {"mit", "mit"}, {"heimdal", "heimdal"}};
inline constexpr Named<std::string_view> kClientPolicies[] = {{"windows", "windows"},
                                                              {"mit", "mit"}};
inline constexpr Named<std::string_view> kClientLibraries[] = {{"sspi", "sspi"},
                                                               {"mit_gss", "mit_gss"}};
inline constexpr Named<std::string_view> kTokenKinds[] = {{"primary", "primary"},
                                                          {"thread", "thread"}};
inline constexpr Named<bool> kDirections[] = {{"two-way", true}, {"one-way", false}};
inline constexpr Named<AccountKind> kAccountKinds[] = {{"user", AccountKind::kUser},
                                                       {"computer", AccountKind::kComputer},
                                                       {"service", AccountKind::kService}};
inline constexpr Named<FaultSpec::Kind> kFaultKinds[] = {
    {"host_down", FaultSpec::Kind::kHostDown},
    {"kdc_unreachable", FaultSpec::Kind::kKdcUnreachable},
    {"drop", FaultSpec::Kind::kDrop},
    {"delay", FaultSpec::Kind::kDelay},
    {"slow_host", FaultSpec::Kind::kSlowHost}};
inline constexpr Named<v1::Transport> kTransports[] = {{"ncalrpc", v1::TRANSPORT_NCALRPC},
                                                       {"ncacn_ip_tcp", v1::TRANSPORT_NCACN_IP_TCP},
                                                       {"ncacn_np", v1::TRANSPORT_NCACN_NP}};
inline constexpr Named<v1::Package> kPackages[] = {{"kerberos", v1::PACKAGE_KERBEROS},
                                                   {"ntlm", v1::PACKAGE_NTLM},
                                                   {"schannel", v1::PACKAGE_SCHANNEL},
                                                   {"negotiate", v1::PACKAGE_NEGOTIATE},
                                                   {"forms", v1::PACKAGE_FORMS}};
inline constexpr Named<v1::Api> kApis[] = {{"rpc", v1::API_RPC},
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
inline const std::vector<Named<v1::Level>>& CallLevels() {
  static const auto& t =
      *new std::vector<Named<v1::Level>>(LevelTable<v1::Level>({"default", v1::LEVEL_DEFAULT}));
  return t;
}
// Without "default": levels of a token (DuplicateToken) or of the SMB layer (TR-3).
inline std::span<const Named<v1::Level>> TokenLevels() {
  return std::span<const Named<v1::Level>>(CallLevels()).subspan(1);
}
inline const std::vector<Named<std::string_view>>& HopLevels() {
  static const auto& t =
      *new std::vector<Named<std::string_view>>(LevelTable<std::string_view>({"none", "none"}));
  return t;
}
inline constexpr Named<std::string_view> kVerdicts[] = {{"allowed", "allowed"},
                                                        {"denied", "denied"}};
// Domain functional levels by product name (msDS-Behavior-Version).
inline constexpr Named<int> kFunctionalLevels[] = {{"2003", 2}, {"2008", 3},   {"2008R2", 4},
                                                   {"2012", 5}, {"2012R2", 6}, {"2016", 7}};
inline constexpr int kMaxFunctionalLevel = 10;
// Trust attribute names (kdc::kTrustAttributeNames) and the alias for selective authentication.
inline constexpr auto kTrustAttributes = [] {
  std::array<Named<uint32_t>, std::size(kdc::kTrustAttributeNames) + 1> all{};
  size_t i = 0;
  for (const kdc::TrustAttributeName& a : kdc::kTrustAttributeNames) all[i++] = {a.name, a.bit};
  all[i] = {kdc::kSelectiveAuthentication, kdc::trust_attr::kCrossOrganization};
  return all;
}();
inline constexpr char kMaxClockText[] = "100 years (36500d), the most a scenario's clock may move";
inline constexpr Named<int64_t> kDurationUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

// ---------------------------------------------------------------------------------------
// Text helpers.

inline std::string Lower(std::string_view s) { return kdc::ToLower(s); }

template <typename T>
std::vector<std::string_view> NamesOf(std::span<const Named<T>> table) {
  std::vector<std::string_view> out;
  for (const Named<T>& n : table) out.push_back(n.name);
  return out;
}

inline std::string Join(Names names, std::string_view sep = ", ") {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

// Names a misspelling is compared with; the one edit distance is sim/suggest's.
using Candidate = SuggestCandidate;

inline std::vector<Candidate> Candidates(Names names) {
  std::vector<Candidate> out;
  for (std::string_view n : names) out.push_back({std::string(n), std::string(n)});
  return out;
}

// " (did you mean 'x'?)" or "".
inline std::string Suggestion(std::string_view word, const std::vector<Candidate>& cands) {
  std::optional<std::string> best = ClosestName(word, cands);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

// ---------------------------------------------------------------------------------------
// JSON paths ("$.steps[0].then[2].call") are sim/json_path.h's.

// Where the parser met each JSON value: an object member is placed on the line of its
// key, an array element on the line where its value starts. Arrays keep one line per
// element (4 bytes each), so that long arrays cost no path strings.
struct LineTable {
  std::unordered_map<std::string, int> members;                // the root and members
  std::unordered_map<std::string, std::vector<int>> elements;  // array path -> lines
};

// The line recorded for exactly `path`, or 0.
int ExactLine(const LineTable& lines, const std::string& path);
// The line of `path`, or of its nearest ancestor with a recorded line; 0 if none.
int LineOfPath(const LineTable& lines, std::string path);

// The lines of a document's paths, as LineOfPath gives them. Either complete (the text
// was parsed with every line kept), or holding only the lines of the elements of
// top-level arrays ("$.steps[3]", what a valid file's steps and expectations record)
// and completed on the first question about another path by parsing the text again:
// a file without problems never pays for lines it does not report.
class PathLines {
 public:
  explicit PathLines(LineTable all) : table_(std::move(all)), complete_(true) {}
  // `text` must outlive this object; `top_elements` holds PathLines::elements for the
  // top-level arrays only.
  PathLines(std::string_view text, LineTable top_elements)
      : text_(text), table_(std::move(top_elements)), complete_(false) {}

  int Line(const std::string& path) const;

 private:
  std::string_view text_;
  mutable LineTable table_;
  mutable bool complete_;
};

inline int LineOfPath(const PathLines& lines, const std::string& path) { return lines.Line(path); }

// A problem found before the file name is attached.
struct Raw {
  int line;
  std::string path;
  std::string message;
};

// ---------------------------------------------------------------------------------------
// Decoding: JSON values into the model. The document's shape (fields, types, enumerations,
// required fields) was checked against the schema before (sim/schema_check.h); the
// decoder checks values (ranges, durations, names, SPNs, text) and combinations within
// an object. Names that refer to other parts of the scenario are checked afterwards
// (Checker).

// The path of a JSON value, rendered only when asked (str()): a rendered path, or a
// parent (rendered or lazy) and a member key or an element index. The decoder reads most
// fields without a problem to report, so the path of a field is built only when a problem
// at it is reported. A LazyPath refers to its parent and its key and is never stored:
// it is passed down the calls that may report, and rendered as Member and Index render.
class LazyPath {
 public:
  LazyPath(const std::string& path) : rendered_(&path) {}  // NOLINT: a rendered path
  LazyPath(const std::string& parent, std::string_view key) : rendered_(&parent), key_(key) {
    step_ = Step::kMember;
  }
  LazyPath(const LazyPath& parent, std::string_view key) : parent_(&parent), key_(key) {
    step_ = Step::kMember;
  }
  LazyPath(const std::string& parent, size_t index) : rendered_(&parent), index_(index) {
    step_ = Step::kIndex;
  }
  LazyPath(const LazyPath& parent, size_t index) : parent_(&parent), index_(index) {
    step_ = Step::kIndex;
  }
  LazyPath(const LazyPath&) = default;

  std::string str() const {
    const std::string base = parent_ ? parent_->str() : *rendered_;
    switch (step_) {
      case Step::kMember:
        return Member(base, key_);
      case Step::kIndex:
        return Index(base, index_);
      case Step::kNone:
        break;
    }
    return base;
  }
  operator std::string() const { return str(); }  // NOLINT: where a rendered path is needed

 private:
  enum class Step : uint8_t { kNone, kMember, kIndex };
  const std::string* rendered_ = nullptr;  // the path, or the parent's (parent_ null)
  const LazyPath* parent_ = nullptr;
  std::string_view key_;
  size_t index_ = 0;
  Step step_ = Step::kNone;
};

// A JSON object being decoded.
struct Obj {
  const Json* json;
  std::string path;

  const Json* Get(std::string_view key) const {
    auto it = json->find(key);
    return it == json->end() ? nullptr : &*it;
  }
  bool Has(std::string_view key) const { return Get(key) != nullptr; }
  // The member's path, rendered when a problem is reported there.
  LazyPath At(std::string_view key) const { return LazyPath(path, key); }
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
  std::unordered_set<std::string> hops;
  std::unordered_map<std::string, std::vector<std::string>> callees;
};

// A `--fault` argument as the fault object it stands for (sim/loader_decode_faults.cc).
Json FaultArgumentAsJson(const std::string& spec);

}  // namespace delegsim::sim::loader_internal

#endif  // DELEGSIM_SIM_LOADER_INTERNAL_H_
