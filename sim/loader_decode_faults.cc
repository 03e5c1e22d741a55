// Decoding faults, from the `faults` section and from `--fault` arguments.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/rules.h"
#include "common/text.h"
#include "nodes/topology.h"
#include "sim/json_path.h"
#include "sim/loader_decoder.h"

namespace delegsim::sim::loader_internal {

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

void Decoder::DecodeExtraFault(const Json& v, const std::string& path, Scenario* s) {
  DecodeFault(v, path, s);
}

void Decoder::DecodeFault(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "a fault object");
  if (!o) return;
  FaultSpec f;
  f.origin = {path, LineOfPath(lines_, path)};
  f.name = NameField(*o, "name", "").value_or("");
  std::optional<FaultSpec::Kind> kind =
      EnumField<FaultSpec::Kind>(*o, "kind", "fault kind", kFaultKinds);
  if (!kind) return;
  f.kind = *kind;
  // Which fields each kind takes is the schema's (one form per kind).
  const std::string kind_name = o->json->at("kind").get<std::string>();
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
  if ((f.kind == FaultSpec::Kind::kDrop || f.kind == FaultSpec::Kind::kDelay) && !f.from.empty() &&
      f.from == f.to) {
    Report(o->At("to"), "a " + kind_name + " fault is between two different hosts");
  }
  s->faults.push_back(std::move(f));
  src_->faults.push_back(path);
}

}  // namespace delegsim::sim::loader_internal
