// delegsim-kdc-bench: the cost of one KDC ticket decision (Kdc::Tgs), with the ticket
// sealing it includes (opening and verifying the header TGT, sealing the issued ticket:
// HMAC-SHA256) reported apart, beside a flag-based decision (the same outcome computed
// from the flag bits alone, with no explanation and no ticket) measured in the same run.
// Figures only, never asserted.
//
//   delegsim-kdc-bench [--decisions 200000]   time per decision
//   delegsim-kdc-bench --callgrind            instructions per decision: runs itself under
//                                             valgrind --tool=callgrind (a small count) and
//                                             reads the inclusive costs of the measured loop
//
// The two decisions measured are those of every delegate-level call hop: a service ticket
// for a service trusted for delegation (UD-5, UD-1, DS-9), and the forwarded TGT (UD-3).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kdc/crypto.h"
#include "kdc/kdc.h"
#include "kdc/uac.h"

namespace delegsim::bench {
namespace {

constexpr kdc::Time kNow = 100 * kdc::kHour;

struct Fixture {
  kdc::Directory dir;
  kdc::DomainId corp = 0;
  kdc::PrincipalId alice = 0;
  kdc::PrincipalId svc_td = 0;
  v1::SealedTicket tgt;
  v1::TgsReq service_req;    // a service ticket for http/td (TD)
  v1::TgsReq forwarded_req;  // a FORWARDED TGT
  std::unique_ptr<kdc::Kdc> kdc;
};

bool Setup(Fixture& f) {
  f.corp = f.dir.AddDomain("CORP.EXAMPLE", "corp.example", kdc::kLevel2016);
  f.dir.AddPrincipal(kdc::PrincipalKind::kGroup, "Protected Users", f.corp);
  f.alice = f.dir.AddPrincipal(kdc::PrincipalKind::kUser, "alice", f.corp);
  f.svc_td = f.dir.AddPrincipal(kdc::PrincipalKind::kService, "svc_td", f.corp);
  f.dir.Mutable(f.svc_td).spns = {"http/td.corp.example"};
  f.dir.Mutable(f.svc_td).uac |= kdc::uf::kTrustedForDelegation;
  if (!f.dir.Finalize("kdc-bench-seed").ok()) return false;
  f.kdc = std::make_unique<kdc::Kdc>(f.dir, kdc::Profile::Windows());
  const kdc::Kdc* kdc = f.kdc.get();
  v1::AsReq as;
  as.set_client("alice");
  as.mutable_options()->set_forwardable(true);
  as.set_timestamp_ms(kNow);
  as.set_preauth(kdc::PreauthProof(f.dir.KeyOf(f.alice), kNow));
  kdc::KdcResult tgt = kdc->As(f.corp, as, kNow);
  if (!tgt.decision.allowed()) return false;
  f.tgt = tgt.sealed;
  *f.service_req.mutable_tgt() = f.tgt;
  f.service_req.set_sname("http/td.corp.example");
  f.service_req.mutable_options()->set_forwardable(true);
  *f.forwarded_req.mutable_tgt() = f.tgt;
  f.forwarded_req.set_sname("krbtgt/CORP.EXAMPLE");
  f.forwarded_req.mutable_options()->set_forwarded(true);
  f.forwarded_req.mutable_options()->set_forwardable(true);
  return true;
}

// The flag-based decision: what a hop's KDC decides, from the bits alone.
struct FlagOutcome {
  bool allowed;
  uint32_t flags;
};
[[gnu::noinline]] FlagOutcome FlagDecision(uint32_t tgt_flags, uint32_t client_uac,
                                           uint32_t server_uac, bool forwarded) {
  bool forwardable =
      (tgt_flags & v1::TICKET_FLAG_FORWARDABLE) && !(client_uac & kdc::uf::kNotDelegated);
  if (forwarded && !forwardable) return {false, 0};
  uint32_t flags = forwardable ? v1::TICKET_FLAG_FORWARDABLE : 0;
  if (forwarded) flags |= v1::TICKET_FLAG_FORWARDED;
  if (server_uac & kdc::uf::kTrustedForDelegation) flags |= v1::TICKET_FLAG_OK_AS_DELEGATE;
  return {true, flags};
}

// The measured loops (callgrind collects only inside them, --toggle-collect).
[[gnu::noinline]] size_t MeasuredDecisions(const kdc::Kdc& kdc, const Fixture& f, int n) {
  size_t allowed = 0;
  for (int i = 0; i < n; ++i) {
    const v1::TgsReq& req = i % 2 ? f.forwarded_req : f.service_req;
    allowed += kdc.Tgs(f.corp, req, kNow).decision.allowed() ? 1 : 0;
  }
  return allowed;
}

// The sealing the decisions do, alone, in the same alternation: open the header TGT
// (verify its KDC signature and seal, one HMAC of the body under the krbtgt key, and
// decode it) and seal the issued ticket (serialize it, MAC it under its server's key and,
// for a service ticket, sign that MAC for the KDC; a TGT's two MACs are one).
struct Issued {
  v1::TicketBody body;
  std::string key;
};
[[gnu::noinline]] size_t MeasuredSealing(const kdc::Kdc& kdc, const Fixture& f,
                                         const Issued issued[2], int n) {
  size_t ok = 0;
  std::string_view krbtgt = kdc.directory().KrbtgtKey(f.corp);
  for (int i = 0; i < n; ++i) {
    const Issued& t = issued[i % 2];
    ok += kdc::OpenAsKdc(f.tgt, krbtgt, krbtgt).ok() ? 1 : 0;
    ok += kdc::Seal(t.body, t.key, krbtgt).mac().size();
  }
  return ok;
}

[[gnu::noinline]] uint32_t MeasuredFlagDecisions(const Fixture& f, int n) {
  uint32_t acc = 0;
  volatile uint32_t tgt_flags = v1::TICKET_FLAG_FORWARDABLE;
  uint32_t client = f.dir.Get(f.alice).uac;
  uint32_t server = f.dir.Get(f.svc_td).uac;
  for (int i = 0; i < n; ++i) acc ^= FlagDecision(tgt_flags, client, server, i % 2).flags;
  return acc;
}

double NsPer(std::chrono::steady_clock::time_point t0, int n) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
         n;
}

int RunTimed(int n) {
  Fixture f;
  if (!Setup(f)) {
    std::fprintf(stderr, "set-up failed\n");
    return 1;
  }
  const kdc::Kdc* kdc = f.kdc.get();
  const Issued issued[2] = {
      {kdc->Tgs(f.corp, f.service_req, kNow).ticket, f.dir.KeyOf(f.svc_td)},
      {kdc->Tgs(f.corp, f.forwarded_req, kNow).ticket, f.dir.KrbtgtKey(f.corp)}};
  auto t0 = std::chrono::steady_clock::now();
  size_t allowed = MeasuredDecisions(*kdc, f, n);
  double decision = NsPer(t0, n);
  auto t1 = std::chrono::steady_clock::now();
  size_t sealed = MeasuredSealing(*kdc, f, issued, n);
  double sealing = NsPer(t1, n);
  auto t2 = std::chrono::steady_clock::now();
  uint32_t flags = MeasuredFlagDecisions(f, n);
  double flag = NsPer(t2, n);
  if (allowed != static_cast<size_t>(n) || sealed == 0) {
    std::fprintf(stderr, "a decision was refused\n");
    return 1;
  }
  std::printf(
      "KDC ticket decision (Kdc::Tgs, service ticket and forwarded TGT alternately), %d each:\n"
      "  decision with sealing  %8.0f ns\n"
      "  sealing alone          %8.0f ns (open the header TGT + seal the ticket)\n"
      "  decision w/o sealing   %8.0f ns (the difference)\n"
      "  flag-based decision    %8.1f ns (%u) | decision w/o sealing / flag-based: %.0fx\n",
      n, decision, sealing, decision - sealing, flag, flags & 1, (decision - sealing) / flag);
  return 0;
}

// The inclusive instructions of `symbol` in callgrind_annotate's output; 0 if absent.
double InclusiveIr(const std::string& annotate, const std::string& symbol) {
  size_t at = annotate.find(symbol);
  if (at == std::string::npos) return 0;
  size_t line = annotate.rfind('\n', at);
  line = line == std::string::npos ? 0 : line + 1;
  std::string digits;
  for (size_t i = line; i < at && annotate[i] != '('; ++i) {
    if (annotate[i] >= '0' && annotate[i] <= '9') digits += annotate[i];
    if (annotate[i] == ' ' && !digits.empty()) break;
  }
  return digits.empty() ? 0 : std::strtod(digits.c_str(), nullptr);
}

int RunCallgrind(int n) {
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return 2;
  self[len] = '\0';
  char dir[] = "/tmp/delegsim-kdc-bench-XXXXXX";
  if (!mkdtemp(dir)) return 2;
  std::string out = std::string(dir) + "/callgrind.out";
  std::string cmd = "valgrind --tool=callgrind --callgrind-out-file=" + out +
                    " --toggle-collect='*Measured*' " + self + " --decisions " + std::to_string(n) +
                    " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "valgrind did not run (is valgrind installed?): %s\n", cmd.c_str());
    return 2;
  }
  std::string annotate;
  std::string acmd = "callgrind_annotate --inclusive=yes --threshold=100 " + out;
  if (FILE* p = popen(acmd.c_str(), "r")) {
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) annotate.append(buf, got);
    pclose(p);
  }
  std::remove(out.c_str());
  rmdir(dir);
  double decisions = InclusiveIr(annotate, "MeasuredDecisions(");
  double sealing = InclusiveIr(annotate, "MeasuredSealing(");
  double flags = InclusiveIr(annotate, "MeasuredFlagDecisions(");
  double hmac = InclusiveIr(annotate, "delegsim::kdc::Hmac");
  if (decisions == 0 || flags == 0) {
    std::fprintf(stderr, "callgrind_annotate gave no figures for the measured loops\n");
    return 2;
  }
  // Each loop ran n times; the HMACs ran in both the decisions and the sealing loop.
  double per = decisions / n;
  double seal = sealing / n;
  std::printf(
      "KDC ticket decision, instructions (callgrind, %d decisions):\n"
      "  decision with sealing  %8.0f\n"
      "  sealing alone          %8.0f (open the header TGT + seal the ticket; HMAC-SHA256 "
      "%0.0f%% of all)\n"
      "  decision w/o sealing   %8.0f (goal <= 1,000)\n"
      "  flag-based decision    %8.1f | decision w/o sealing / flag-based: %.0fx\n",
      n, per, seal, 100.0 * hmac / (decisions + sealing), per - seal, flags / n,
      (per - seal) / (flags / n));
  return 0;
}

}  // namespace
}  // namespace delegsim::bench

int main(int argc, char** argv) {
  CLI::App app{"delegsim-kdc-bench: the cost of one KDC ticket decision, sealing apart"};
  int decisions = 200'000;
  bool callgrind = false;
  app.add_option("--decisions", decisions, "decisions per measured loop")
      ->check(CLI::Range(1, 100'000'000));
  app.add_flag("--callgrind", callgrind,
               "count instructions: run under valgrind --tool=callgrind (2,000 decisions "
               "unless --decisions says otherwise)");
  CLI11_PARSE(app, argc, argv);
  if (callgrind) {
    int n = app.count("--decisions") ? decisions : 2'000;
    return delegsim::bench::RunCallgrind(n);
  }
  return delegsim::bench::RunTimed(decisions);
}
