// Decoding services and securable objects (with their access control entries).
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

void Decoder::DecodeService(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "a service object");
  if (!o) return;
  std::optional<std::string> name = NameField(*o, "name", "/#=");
  if (!name) return;
  ServiceSpec svc;
  svc.name = *name;
  svc.host = StringField(*o, "host").value_or("");
  svc.account = StringField(*o, "account").value_or("");
  svc.spn = StringField(*o, "spn").value_or("");
  if (!svc.spn.empty()) CheckSpn(svc.spn, o->At("spn"));
  if (const Json* t = o->Get("transports")) {
    const LazyPath p = o->At("transports");
    if (!t->is_array()) {
      TypeError(p, "an array of transports", *t);
    } else if (t->empty()) {
      Report(p, "a service listens on at least one transport");
    } else {
      for (size_t i = 0; i < t->size(); ++i) {
        auto tr = Enum<v1::Transport>((*t)[i], LazyPath(p, i), "transport", kTransports);
        if (!tr) continue;
        if (std::find(svc.transports.begin(), svc.transports.end(), *tr) != svc.transports.end()) {
          Report(LazyPath(p, i), "transport '" + (*t)[i].get<std::string>() + "' listed twice");
        }
        svc.transports.push_back(*tr);
      }
    }
  } else {
    svc.transports = {v1::TRANSPORT_NCALRPC, v1::TRANSPORT_NCACN_IP_TCP, v1::TRANSPORT_NCACN_NP};
  }
  if (o->Has("privileges")) {
    svc.privileges = Strings(*o, "privileges");
  }
  s->services.push_back(std::move(svc));
  src_->services.push_back(path);
}

void Decoder::DecodeObject(const Json& v, const std::string& path, Scenario* s) {
  std::optional<Obj> o = Object(v, path, "an object (securable object)");
  if (!o) return;
  std::optional<std::string> name = StringField(*o, "name");
  if (!name) return;
  ObjectSpec obj;
  obj.name = *name;
  obj.host = StringField(*o, "host").value_or("");
  obj.owner = StringField(*o, "owner").value_or("");
  ForEach(*o, "acl", [&](const Json& ace_json, const std::string& p) {
    std::optional<Obj> ace = Object(ace_json, p, "an access control entry object");
    if (!ace) return;
    AceSpec a;
    bool allow = ace->Has("allow");
    bool deny = ace->Has("deny");
    if (allow == deny) Guard(p, "an entry has one of 'allow' and 'deny'");
    a.allow = !deny;
    a.who = StringField(*ace, allow || !deny ? "allow" : "deny").value_or("");
    if (ace->Has("rights")) {
      a.rights = Strings(*ace, "rights");
      if (ace->Get("rights")->is_array() && ace->Get("rights")->empty()) {
        Report(ace->At("rights"), "an entry grants or denies at least one right");
      }
    }
    obj.acl.push_back(std::move(a));
  });
  s->objects.push_back(std::move(obj));
  src_->objects.push_back(path);
}

}  // namespace delegsim::sim::loader_internal
