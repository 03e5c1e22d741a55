#include "sim/security_events.h"

#include <map>
#include <nlohmann/json.hpp>

#include "nodes/envelope.h"
#include "sim/results.h"
#include "sim/trace_json.h"

namespace delegsim::sim {
namespace {

using nodes::TraceKind;

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

// KDCOptions as Windows prints them: RFC 4120 5.4.1 bit n is 1 << (31 - n).
std::string TicketOptions(const v1::KdcOptions& o) {
  uint32_t v = 0;
  if (o.forwardable()) v |= 1u << 30;        // bit 1
  if (o.forwarded()) v |= 1u << 29;          // bit 2
  if (o.proxiable()) v |= 1u << 28;          // bit 3
  if (o.renewable()) v |= 1u << 23;          // bit 8
  if (o.cname_in_addl_tkt()) v |= 1u << 17;  // bit 14 (MS-SFU 2.2.3)
  v |= 1u << 16;                             // bit 15, canonicalize: Windows clients set it
  return Hex(v);
}

std::string LevelText(v1::Level l) {
  switch (l) {
    case v1::LEVEL_ANONYMOUS:
      return "Anonymous";
    case v1::LEVEL_IDENTIFY:
      return "Identification";
    case v1::LEVEL_IMPERSONATE:
      return "Impersonation";
    case v1::LEVEL_DELEGATE:
      return "Delegation";
    default:
      return "-";
  }
}

std::pair<std::string, std::string> PackageAndProcess(v1::Package p) {
  switch (p) {
    case v1::PACKAGE_KERBEROS:
      return {"Kerberos", "Kerberos"};
    case v1::PACKAGE_NTLM:
      return {"NTLM", "NtLmSsp"};
    case v1::PACKAGE_SCHANNEL:
      return {"Schannel", "Schannel"};
    default:
      return {"Negotiate", "Negotiate"};
  }
}

const char* TitleOf(int id) {
  switch (id) {
    case 4768:
      return "A Kerberos authentication ticket (TGT) was requested";
    case 4769:
      return "A Kerberos service ticket was requested";
    case 4624:
      return "An account was successfully logged on";
    case 4625:
      return "An account failed to log on";
    case 4648:
      return "A logon was attempted using explicit credentials";
    default:
      return "";
  }
}

// The client of a sealed ticket (its body is readable; only its seal is secret).
std::string TicketClient(const v1::SealedTicket& t, const kdc::Directory& dir) {
  v1::TicketBody body;
  if (!body.ParseFromString(t.body()) || body.client() == 0) return "-";
  return dir.FullName(body.client());
}

void AddHopEvents(const v1::HopResult& hop, const World& world,
                  const std::map<std::string, const v1::Call*>& calls_sent,
                  const std::map<std::string, uint64_t>& hop_seq, std::vector<SecurityEvent>* out) {
  auto sent = calls_sent.find(hop.path());
  // A hop refused before its call left the caller (by the caller or the KDC) reaches no
  // server; a local (ncalrpc) call reuses the caller's logon session (LC-1): no logon.
  if (sent != calls_sent.end() && sent->second->transport() != v1::TRANSPORT_NCALRPC) {
    SecurityEvent e;
    e.computer = hop.host();
    e.path = hop.path();
    auto seq = hop_seq.find(hop.path());
    e.seq = seq != hop_seq.end() ? seq->second : 0;
    auto [package, process] = PackageAndProcess(hop.package());
    std::string account = hop.identity().empty() ? "ANONYMOUS LOGON" : hop.identity();
    if (hop.verdict() == "allowed") {
      e.id = 4624;
      e.fields = {{"Logon Type", "3"},
                  {"Account Name", account},
                  {"Impersonation Level", LevelText(hop.level())},
                  {"Workstation Name", hop.from_host()},
                  {"Logon Process", process},
                  {"Authentication Package", package}};
    } else {
      e.id = 4625;
      // The account that tried, as the call presented it.
      const v1::Call& call = *sent->second;
      if (call.has_kerberos()) account = call.kerberos().client();
      if (call.has_ntlm()) account = call.ntlm().user() + "@" + call.ntlm().domain();
      if (call.has_schannel()) account = call.schannel().subject();
      const v1::DecisionRecord& d = hop.decision();
      std::string status = !d.status().empty() ? d.status() : !d.error().empty() ? d.error() : "-";
      std::string sub_status = !d.status().empty() && !d.error().empty() ? d.error() : "-";
      e.fields = {{"Logon Type", "3"},
                  {"Account Name", account},
                  {"Status", status},
                  {"Sub Status", sub_status},
                  {"Workstation Name", hop.from_host()},
                  {"Logon Process", process},
                  {"Authentication Package", package},
                  {"Deciding Rule", hop.decision().rule()}};
    }
    out->push_back(std::move(e));
  }
  for (const v1::OpResult& op : hop.ops()) {
    if (op.op() != "logon_user") continue;
    SecurityEvent e;
    e.id = 4648;
    e.computer = hop.host();
    e.path = hop.path();
    auto seq = hop_seq.find(hop.path());
    e.seq = seq != hop_seq.end() ? seq->second : 0;
    std::string subject = "-";
    for (const ServiceSpec& s : world.scenario().services) {
      if (s.name == hop.service()) subject = s.account;
    }
    e.fields = {{"Subject Account Name", subject},
                {"Account Whose Credentials Were Used", op.target()},
                {"Target Server Name", "localhost"},
                {"Result", op.verdict()}};
    out->push_back(std::move(e));
  }
}

}  // namespace

std::string KerberosResultCode(const std::string& error) {
  static const std::map<std::string, uint32_t> kCodes = {{"KDC_ERR_C_PRINCIPAL_UNKNOWN", 6},
                                                         {"KDC_ERR_S_PRINCIPAL_UNKNOWN", 7},
                                                         {"KDC_ERR_POLICY", 12},
                                                         {"KDC_ERR_BADOPTION", 13},
                                                         {"KDC_ERR_ETYPE_NOTSUPP", 14},
                                                         {"KDC_ERR_CLIENT_REVOKED", 18},
                                                         {"KDC_ERR_PREAUTH_FAILED", 24},
                                                         {"KDC_ERR_SERVER_NOMATCH", 26},
                                                         {"KDC_ERR_PATH_NOT_ACCEPTED", 28},
                                                         {"KDC_ERR_SVC_UNAVAILABLE", 29},
                                                         {"KRB_AP_ERR_TKT_EXPIRED", 32},
                                                         {"KRB_AP_ERR_TKT_NYV", 33},
                                                         {"KRB_AP_ERR_NOT_US", 35},
                                                         {"KRB_AP_ERR_BADMATCH", 36},
                                                         {"KRB_AP_ERR_MODIFIED", 41}};
  if (error.empty()) return "0x0";
  auto it = kCodes.find(error);
  return it == kCodes.end() ? error : Hex(it->second);
}

std::string SecurityEvent::Title() const { return TitleOf(id); }

std::string SecurityEvent::ToText() const {
  std::string s = std::to_string(id) + " on " + computer;
  if (!path.empty()) s += " [" + path + "]";
  s += ": " + Title();
  for (size_t i = 0; i < fields.size(); ++i) {
    s += (i ? ", " : ": ") + fields[i].first + "=" + fields[i].second;
  }
  return s;
}

std::string SecurityEvent::ToJson() const {
  nlohmann::ordered_json j;
  j["event_id"] = id;
  j["title"] = Title();
  j["computer"] = computer;
  if (!path.empty()) j["path"] = path;
  j["seq"] = seq;
  nlohmann::ordered_json f = nlohmann::ordered_json::object();
  for (const auto& [name, value] : fields) f[name] = value;
  j["fields"] = std::move(f);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<SecurityEvent> PredictSecurityEvents(const World& world) {
  std::vector<SecurityEvent> out;
  const nodes::TraceLog& trace = world.trace();
  // Requests to a KDC by (sender node, correlation), answered by the KDC's reply.
  std::map<std::pair<uint32_t, uint64_t>, nodes::TraceView> requests;
  std::map<std::string, const v1::Call*> calls_sent;  // hop path -> the call as sent
  std::map<std::string, uint64_t> call_seq;           // hop path -> its SEND record
  std::map<std::string, uint64_t> hop_seq;            // hop path -> its HOP record
  std::vector<const v1::HopResult*> hops;
  for (nodes::TraceView r : trace) {
    if (r.kind() == TraceKind::kHop && r.hop()) {
      hop_seq[r.hop()->path()] = r.seq();
      hops.push_back(r.hop());
    }
    if (r.kind() != TraceKind::kSend || !r.message()) continue;
    const v1::Envelope& env = *r.message();
    if (env.has_as_req() || env.has_tgs_req()) {
      requests.insert_or_assign({env.from(), env.correlation()}, r);
    }
    if (env.has_call()) {
      calls_sent.emplace(env.call().path(), &env.call());
      call_seq.emplace(env.call().path(), r.seq());
    }
    if (!env.has_kdc_rep() && !env.has_kdc_error()) continue;
    auto req = requests.find({env.to(), env.correlation()});
    if (req == requests.end()) continue;
    const nodes::TraceView& sent = req->second;
    const v1::Envelope& request = *sent.message();
    std::string error = env.has_kdc_error() ? env.kdc_error().error() : "";
    SecurityEvent e;
    e.computer = std::string(r.node());
    e.path = std::string(sent.path());
    e.seq = r.seq();
    if (request.has_as_req()) {
      const v1::AsReq& as = request.as_req();
      e.id = 4768;
      e.fields = {{"Account Name", as.client()},
                  {"Service Name", "krbtgt"},
                  {"Client Address", HostOfNode(std::string(sent.node()), world.scenario())},
                  {"Ticket Options", TicketOptions(as.options())},
                  {"Result Code", KerberosResultCode(error)},
                  {"Pre-Authentication Type", as.preauth().empty() ? "0" : "2"}};
    } else {
      const v1::TgsReq& tgs = request.tgs_req();
      e.id = 4769;
      std::string transited = "-";
      if (env.has_kdc_rep() && env.kdc_rep().view().pac().transited_services_size() > 0) {
        transited.clear();
        for (const std::string& t : env.kdc_rep().view().pac().transited_services()) {
          transited += (transited.empty() ? "" : " ") + t;
        }
      }
      e.fields = {{"Account Name", TicketClient(tgs.tgt(), world.directory())},
                  {"Service Name", tgs.sname()},
                  {"Client Address", HostOfNode(std::string(sent.node()), world.scenario())},
                  {"Ticket Options", TicketOptions(tgs.options())},
                  {"Failure Code", KerberosResultCode(error)},
                  {"Transited Services", transited}};
      if (!tgs.for_user().empty()) e.fields.push_back({"S4U2self For User", tgs.for_user()});
    }
    out.push_back(std::move(e));
  }
  // A server logs the logon when the call arrives: order its events by the call's SEND.
  for (const auto& [path, seq] : call_seq) hop_seq[path] = seq;
  for (const v1::HopResult* hop : hops) AddHopEvents(*hop, world, calls_sent, hop_seq, &out);
  std::stable_sort(out.begin(), out.end(),
                   [](const SecurityEvent& a, const SecurityEvent& b) { return a.seq < b.seq; });
  return out;
}

std::string SecurityEventsText(const std::vector<SecurityEvent>& events) {
  std::string out = "\npredicted security events (" + std::to_string(events.size()) + ")\n";
  for (const SecurityEvent& e : events) out += "  " + e.ToText() + "\n";
  return out;
}

std::string SecurityEventTraceLine(const SecurityEvent& event) {
  return "{\"kind\":\"SECURITY_EVENT\",\"event\":" + event.ToJson() + "}";
}

std::string AddEventsToJson(const std::string& run_json, const std::vector<SecurityEvent>& events) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(run_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return run_json;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const SecurityEvent& e : events) list.push_back(nlohmann::ordered_json::parse(e.ToJson()));
  j["events"] = std::move(list);
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace delegsim::sim
