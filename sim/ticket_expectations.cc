#include "sim/ticket_expectations.h"

#include <algorithm>

#include "kdc/directory.h"
#include "kdc/ticket.h"
#include "kdc/uac.h"
#include "sim/durations.h"

namespace delegsim::sim {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

// A name as written in a scenario against a full name: bare names match any realm.
bool SameName(const std::string& expected, const std::string& actual) {
  std::string e = kdc::ToLower(expected);
  std::string a = kdc::ToLower(actual);
  if (e == a) return true;
  if (e.find('@') == std::string::npos) return a.substr(0, a.find('@')) == e;
  return false;
}

std::string Renew(const v1::TicketBody& v) {
  return v.renew_till_ms() > 0 ? HumanDuration(v.renew_till_ms() - v.start_ms()) : "none";
}

}  // namespace

const v1::HopTicket* FindHopTicket(const v1::HopResult& hop, const std::string& role, int index) {
  int seen = 0;
  for (const v1::HopTicket& t : hop.tickets()) {
    if (t.role() == role && ++seen == index) return &t;
  }
  return nullptr;
}

std::vector<std::string> PacUserFlagNames(uint32_t samr_bits) {
  std::vector<std::string> out;
  for (const kdc::SamrBitName& b : kdc::SamrBitNames()) {
    if (samr_bits & b.bit) out.emplace_back(b.name);
  }
  return out;
}

void CheckTicketExpectation(const TicketExpectation& e, const v1::HopResult& hop,
                            const TicketFail& fail) {
  std::string name = "tickets." + e.role + (e.index > 1 ? "#" + std::to_string(e.index) : "");
  auto f = [&](const std::string& field, const std::string& expected, const std::string& actual) {
    fail(name + (field.empty() ? "" : "." + field), expected, actual);
  };
  const v1::HopTicket* t = FindHopTicket(hop, e.role, e.index);
  if (!t) {
    if (e.issued && !*e.issued && !e.error && !e.decided_by) return;  // never asked: not issued
    std::vector<std::string> roles;
    for (const v1::HopTicket& x : hop.tickets()) roles.push_back(x.role());
    f("", "a " + e.role + " exchange at the hop",
      "none (the hop's exchanges: " + Join(roles) + ")");
    return;
  }
  bool issued = t->error().empty() && t->has_view();
  if (e.issued && *e.issued != issued) {
    f("issued", *e.issued ? "true" : "false",
      issued ? "true" : "false (" + t->error() + " by " + t->rule() + ")");
  }
  if (e.error && *e.error != t->error())
    f("error", *e.error, t->error().empty() ? "none" : t->error());
  if (e.decided_by && *e.decided_by != t->rule()) {
    f("decided_by", *e.decided_by, t->rule().empty() ? "none (a ticket already held)" : t->rule());
  }
  if (!issued) {
    bool describes_ticket = e.klist || !e.flags.empty() || e.lifetime_ms || e.renew_ms ||
                            e.client || e.server || !e.pac_groups.empty() ||
                            !e.not_pac_groups.empty() || e.pac_user_flags || e.transited;
    if (describes_ticket) f("issued", "a ticket", t->error() + " by " + t->rule());
    return;
  }
  const v1::TicketBody& v = t->view();
  std::string klist = kdc::KlistFlags(v.flags());
  if (e.klist) {
    std::string want = *e.klist, have = klist;
    std::sort(want.begin(), want.end());
    std::sort(have.begin(), have.end());
    if (want != have) f("klist", *e.klist, klist);
  }
  for (const auto& [flag, want] : e.flags) {
    bool have = v.flags() & kdc::FlagBit(flag);
    if (have != want) {
      f("flags." + flag, want ? "set" : "clear",
        std::string(have ? "set" : "clear") + " (flags " + klist + ")");
    }
  }
  // Durations compare to the second: tickets issued later in a chain start a few simulated
  // milliseconds after the TGT whose renew-till they inherit.
  auto same = [](int64_t a, int64_t b) { return (a + 500) / 1000 == (b + 500) / 1000; };
  if (e.lifetime_ms && !same(*e.lifetime_ms, v.end_ms() - v.start_ms())) {
    f("lifetime", HumanDuration(*e.lifetime_ms), HumanDuration(v.end_ms() - v.start_ms()));
  }
  if (e.renew_ms) {
    int64_t have = v.renew_till_ms() > 0 ? v.renew_till_ms() - v.start_ms() : 0;
    if (!same(*e.renew_ms, have)) {
      f("renew_till", *e.renew_ms > 0 ? HumanDuration(*e.renew_ms) : "not renewable", Renew(v));
    }
  }
  if (e.client && !SameName(*e.client, t->client())) f("client", *e.client, t->client());
  if (e.server && !SameName(*e.server, t->server()) &&
      kdc::ToLower(*e.server) != kdc::ToLower(t->sname())) {
    f("server", *e.server, t->server() + " (" + t->sname() + ")");
  }
  std::vector<std::string> groups(t->pac_groups().begin(), t->pac_groups().end());
  auto has_group = [&](const std::string& g) {
    return std::any_of(groups.begin(), groups.end(),
                       [&](const std::string& x) { return SameName(g, x); });
  };
  for (const std::string& g : e.pac_groups) {
    if (!has_group(g)) f("pac_groups", "to include " + g, Join(groups));
  }
  for (const std::string& g : e.not_pac_groups) {
    if (has_group(g)) f("not_pac_groups", "not to include " + g, Join(groups));
  }
  if (e.pac_user_flags) {
    std::vector<std::string> have = PacUserFlagNames(v.pac().user_account_control());
    std::vector<std::string> want = *e.pac_user_flags;
    std::sort(want.begin(), want.end());
    std::vector<std::string> have_sorted = have;
    std::sort(have_sorted.begin(), have_sorted.end());
    if (want != have_sorted) f("pac_user_flags", Join(*e.pac_user_flags), Join(have));
  }
  if (e.transited) {
    std::vector<std::string> have(v.pac().transited_services().begin(),
                                  v.pac().transited_services().end());
    bool same = have.size() == e.transited->size();
    for (size_t i = 0; same && i < have.size(); ++i) {
      same = kdc::ToLower(have[i]) == kdc::ToLower((*e.transited)[i]);
    }
    if (!same) f("transited", Join(*e.transited), Join(have));
  }
}

std::string DescribeHopTicket(const v1::HopTicket& t) {
  if (!t.error().empty() || !t.has_view()) {
    return t.role() + " " + t.sname() + ": " + t.error() + " by " + t.rule();
  }
  const v1::TicketBody& v = t.view();
  std::string out = t.role() + " " + t.client() + " -> " + v.sname() + " [" +
                    kdc::KlistFlags(v.flags()) + "] " + HumanDuration(v.end_ms() - v.start_ms());
  if (v.renew_till_ms() > 0) out += ", renew " + Renew(v);
  if (v.pac().transited_services_size() > 0) {
    std::vector<std::string> tr(v.pac().transited_services().begin(),
                                v.pac().transited_services().end());
    out += ", transited " + Join(tr);
  }
  if (!t.rule().empty()) out += ", by " + t.rule();
  return out;
}

}  // namespace delegsim::sim
