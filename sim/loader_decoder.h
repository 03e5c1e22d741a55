// The loader's decoder: a scenario document, already checked against the schema, into
// a Scenario, each section in its own file (sim/loader_decode_*.cc). Value rules a schema
// does not state well (ranges, durations, names, SPNs, text) and combinations within one
// object are checked here; names that refer to other parts wait for the Checker.
#ifndef DELEGSIM_SIM_LOADER_DECODER_H_
#define DELEGSIM_SIM_LOADER_DECODER_H_

#include "sim/loader_internal.h"

namespace delegsim::sim::loader_internal {

class Decoder {
 public:
  // `schema_clean`: the document matched the schema. Then a value the decoder cannot
  // read means the schema let through what the decoder does not know, and the decoder
  // says so (a guard: the schema and the decoder must agree); otherwise the schema's
  // problems already cover it.
  Decoder(const PathLines& lines, std::vector<Raw>* problems, bool schema_clean)
      : lines_(lines), problems_(problems), schema_clean_(schema_clean) {}
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  Scenario Decode(const Json& root, Sources* src);

  // A fault given on the command line (`--fault`), as if the `faults` section listed it.
  void DecodeExtraFault(const Json& v, const std::string& path, Scenario* s);

 private:
  // --- Reporting and typed access.

  void Report(const LazyPath& path, std::string message);

  // A problem of the document's shape, which the schema reports: said here only when the
  // schema found nothing (see the constructor).
  void Guard(const LazyPath& path, std::string message);

  // "expected a string, got integer 12" (a Guard).
  void TypeError(const LazyPath& path, std::string_view expected, const Json& v);

  // `v` as an object (its fields are the schema's business).
  std::optional<Obj> Object(const Json& v, const LazyPath& path, std::string_view what);

  std::optional<std::string> String(const Json& v, const LazyPath& path, bool nonempty = true);

  // Every string of a scenario (names, references, SPNs, descriptions) is shown on
  // terminals and written to trace and JUnit files: control characters (ESC, BEL, NUL,
  // ...) and bidirectional overrides are refused rather than passed on.
  bool SafeText(const std::string& s, const LazyPath& path);

  std::optional<std::string> StringField(const Obj& o, std::string_view key, bool nonempty = true);

  // A name that must not contain any of `forbidden` (characters that would make a
  // reference or a hop path ambiguous). Names of domains, hosts, accounts, groups and
  // services also refuse '=': Active Directory refuses it in sAMAccountName, and DNS and
  // NetBIOS names cannot hold it, while every decision records its facts as name=value.
  std::optional<std::string> NameField(const Obj& o, std::string_view key,
                                       std::string_view forbidden);

  std::optional<bool> BoolField(const Obj& o, std::string_view key);

  std::optional<int64_t> Integer(const Json& v, const LazyPath& path, int64_t min, int64_t max);

  // An array of non-empty strings (absent: empty).
  std::vector<std::string> Strings(const Obj& o, std::string_view key);

  template <typename T>
  std::optional<T> Enum(const Json& v, const LazyPath& path, std::string_view what,
                        std::span<const Named<T>> table) {
    if (!v.is_string()) {
      TypeError(path, "a string", v);
      return std::nullopt;
    }
    const std::string& s = v.get_ref<const std::string&>();
    for (const Named<T>& n : table) {
      if (n.name == s) return n.value;
    }
    Guard(path, "unknown " + std::string(what) + " '" + s + "'");
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
               const std::function<void(const Json&, const std::string&)>& fn);

  // --- Sections.

  void DecodeOptions(const Json& v, const std::string& path, Options* out);

  void DecodeDomain(const Json& v, const std::string& path, Scenario* s);

  void DecodeTrust(const Json& v, const std::string& path, Scenario* s);

  void DecodeHost(const Json& v, const std::string& path, Scenario* s);

  void DecodeAccount(const Json& v, const std::string& path, Scenario* s);

  // An SPN is "service/host[:port][/name][@REALM]".
  void CheckSpn(const std::string& spn, const LazyPath& path);

  void DecodeGroup(const Json& v, const std::string& path, Scenario* s);

  void DecodeService(const Json& v, const std::string& path, Scenario* s);

  void DecodeObject(const Json& v, const std::string& path, Scenario* s);

  void DecodeStep(const Json& v, const std::string& path, Scenario* s);

  // The clock steps together move the clock at most kMaxClockAdvanceMs; the step that
  // goes past it is reported (each step is already within the bound, so the sum of two
  // cannot overflow).
  void CheckClockTotal(const Scenario& s);

  // "500ms", "30s", "15m", "11h", "2d", or a number of milliseconds; at most
  // kMaxClockAdvanceMs.
  std::optional<int64_t> Duration(const Json& v, const LazyPath& path);

  // The loader's helpers for the decoders of sim/loader_expectations.h.
  LoaderHooks Hooks();

  // A level by name, or by number in either numbering (IL-1, DecodeNumericLevel).
  std::optional<v1::Level> LevelField(const Obj& o, std::string_view key,
                                      std::span<const Named<v1::Level>> names, bool allow_default);

  // The options of a call (shared by steps and `call` operations) into `call`; `hop` is
  // the hop path the call produces and `service` the service that runs its operations.
  void DecodeCallOptions(const Obj& o, v1::CallSpec* call, CallSite* site, const std::string& hop,
                         const std::string& service, int depth);

  void DecodeOps(const Json& v, const std::string& path, int depth, const std::string& hop,
                 const std::string& service, Ops* out);

  void DecodeOp(const Json& v, const std::string& path, int depth, const std::string& hop,
                const std::string& service, v1::Operation* op);

  // An explicit KDC exchange: `s4u2self` names a user, `s4u2proxy` and `tgs` an SPN.
  void DecodeKdcRequest(const Obj& o, std::string_view kind, const LazyPath& at, const Json& arg,
                        v1::KdcRequestSpec* r);

  void DecodeInvariant(const Json& v, const std::string& path, Scenario* s);

  void DecodeFault(const Json& v, const std::string& path, Scenario* s);

  void DecodeExpect(const Json& v, const std::string& path, Scenario* s);

  static std::span<const Named<std::string_view>> OpResultKinds();

  static bool ValidNetCreds(const std::string& n);

  std::optional<std::string> RuleIdAt(const Json& v, const LazyPath& path);

  std::vector<std::string> RuleIds(const Obj& o, std::string_view key);

  const PathLines& lines_;
  std::vector<Raw>* problems_;
  const bool schema_clean_;
  Sources* src_ = nullptr;
};

}  // namespace delegsim::sim::loader_internal

#endif  // DELEGSIM_SIM_LOADER_DECODER_H_
