// delegsim-bench: runs an N-hop delegation chain under the virtual, tcp and procs runtimes
// and prints throughput and per-hop latency beside a raw Asio + protobuf ping-pong
// measured in the same run, and the start-up time of a world of --startup-hosts host
// processes. Figures only; no pass/fail.
//
// The machine is shared and noisy, so every configuration runs --repeat times,
// interleaved with the others, and the fastest run of each is reported (the run least
// disturbed by other work), with the median beside it. Compare the ratios.
//
//   delegsim-bench [--hops 8] [--virtual-calls 2000] [--tcp-calls 200] [--procs-calls 200]
//                  [--pings 5000] [--repeat 5] [--parallel 8] [--startup-hosts 100]
//                  [--delegsim PATH]
//   delegsim-bench --scale 1000,10000,100000    (bench/scale.h)
//   delegsim-bench --generate 10000 --output world.json
//   delegsim-bench --trace-breakdown world.json  (bench/trace_breakdown.h)
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench/chain.h"
#include "bench/scale.h"
#include "bench/trace_breakdown.h"
#include "kdc/directory.h"
#include "kdc/ticket.h"
#include "net/asio_runtime.h"
#include "net/process_runtime.h"
#include "net/raw_ping_pong.h"
#include "nodes/envelope.h"
#include "sim/results.h"
#include "sim/scenario_writer.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::bench {
namespace {

struct Figures {
  std::string runtime;
  int calls = 0;
  int call_hops = 0;
  uint64_t messages = 0;
  double seconds = 0;
  bool ok = false;
  size_t processes = 0;  // procs: host processes
};

// The procs runtime's host processes load the scenario from a file: `scenario` written to
// one beside the others of this run (removed at exit).
struct ProcsSetup {
  std::string executable;  // delegsim
  std::vector<std::string> files;
  ~ProcsSetup() {
    for (const std::string& f : files) unlink(f.c_str());
  }
  std::string Write(sim::Scenario scenario) {
    // A file names the default domain controller host (an empty one does not load).
    for (sim::DomainSpec& d : scenario.domains) {
      if (d.dc_host.empty()) d.dc_host = "dc." + kdc::ToLower(d.realm);
    }
    const std::string file = "/tmp/delegsim-bench-" + std::to_string(getpid()) + "-" +
                             std::to_string(files.size()) + ".json";
    std::ofstream(file) << sim::WriteScenarioJson(scenario);
    files.push_back(file);
    return file;
  }
};

// A world of `scenario` on `kind` ("virtual", "tcp", "procs"); `file`: the scenario's file
// for procs.
StatusOr<std::unique_ptr<sim::World>> BuildWorld(const std::string& kind,
                                                 const sim::Scenario& scenario,
                                                 const ProcsSetup* procs, const std::string& file) {
  if (kind == "procs") {
    net::ProcessRuntimeOptions options;
    options.executable = procs->executable;
    options.host_arguments = {"host", "--scenario", file};
    auto rt = std::make_unique<net::ProcessRuntime>(std::move(options));
    net::ProcessRuntime* p = rt.get();
    StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(scenario, std::move(rt));
    if (!world.ok()) return world;
    std::vector<net::ProcessHost> hosts;
    for (const nodes::HostInfo& h : (*world)->topology().hosts()) {
      hosts.push_back({h.name, h.address, ""});
    }
    p->SetHosts(std::move(hosts));
    return world;
  }
  std::unique_ptr<nodes::Runtime> rt;
  if (kind == "tcp") {
    rt = std::make_unique<net::AsioRuntime>();
  } else {
    rt = std::make_unique<sim::VirtualRuntime>();
  }
  return sim::World::Build(scenario, std::move(rt));
}

// `parallel`: calls in flight at once (sim::World::SetParallelCalls).
Figures RunChain(const std::string& kind, int hops, int calls, bool lean, int parallel = 1,
                 ProcsSetup* procs = nullptr) {
  Figures f;
  f.runtime = kind + (lean ? " lean" : " full");
  if (parallel > 1) f.runtime += " x" + std::to_string(parallel);
  f.calls = calls;
  const sim::Scenario scenario = ChainScenario(hops, calls);
  const std::string file = kind == "procs" ? procs->Write(scenario) : "";
  StatusOr<std::unique_ptr<sim::World>> world = BuildWorld(kind, scenario, procs, file);
  if (!world.ok()) {
    std::fprintf(stderr, "build failed: %s\n", world.status().ToString().c_str());
    return f;
  }
  // Lean: no trace built and no result trees assembled, the node work only.
  (*world)->KeepTrace(!lean);
  (*world)->AssembleOutcomes(!lean);
  (*world)->SetParallelCalls(static_cast<size_t>(parallel));
  auto start = std::chrono::steady_clock::now();
  Status st = (*world)->Run();
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  f.messages = (*world)->runtime().delivered();
  f.call_hops = hops * calls;
  if (kind == "procs") {
    f.processes = static_cast<net::ProcessRuntime&>((*world)->runtime()).Hosts().size();
  }
  f.ok = st.ok();
  for (const sim::CallOutcome& o : (*world)->outcomes()) f.ok = f.ok && o.status.ok();
  if (!lean) {
    std::string last = "c";
    last += std::to_string(calls);
    for (int i = 1; i <= hops; ++i) {
      last += "/s";
      last += std::to_string(i);
    }
    const v1::HopResult* h = sim::FindHop((*world)->outcomes(), last);
    f.ok = f.ok && h && h->verdict() == "allowed" && sim::HopLevel(*h) == "delegate";
  }
  return f;
}

// A Call envelope of realistic size: an AP-REQ with a sealed ticket and a forwarded TGT.
v1::Envelope SampleCall() {
  v1::TicketBody body;
  body.set_client(2);
  body.set_server(5);
  body.set_sname("http/h2.corp.example");
  body.set_realm("CORP.EXAMPLE");
  body.set_flags(v1::TICKET_FLAG_FORWARDABLE | v1::TICKET_FLAG_OK_AS_DELEGATE);
  body.set_start_ms(1000);
  body.set_end_ms(36001000);
  body.mutable_pac()->set_user(2);
  for (uint32_t g = 10; g < 16; ++g) body.mutable_pac()->add_groups(g);
  body.mutable_pac()->set_logon_realm("CORP.EXAMPLE");
  v1::Envelope env;
  env.set_from(3);
  env.set_to(4);
  env.set_correlation(42);
  v1::Call* call = env.mutable_call();
  call->set_path("c1/s1/s2");
  call->set_service("s2");
  call->set_from_host("h1");
  call->set_transport(v1::TRANSPORT_NCACN_IP_TCP);
  call->set_package(v1::PACKAGE_KERBEROS);
  call->set_requested_level(v1::LEVEL_DELEGATE);
  *call->mutable_kerberos()->mutable_ticket() = kdc::Seal(body, "service key", "kdc key");
  body.set_sname("krbtgt/CORP.EXAMPLE");
  *call->mutable_kerberos()->mutable_forwarded_tgt()->mutable_tgt() =
      kdc::Seal(body, "krbtgt", "krbtgt");
  *call->mutable_kerberos()->mutable_forwarded_tgt()->mutable_view() = body;
  call->mutable_kerberos()->mutable_flags()->set_deleg(true);
  call->mutable_kerberos()->mutable_flags()->set_mutual(true);
  call->add_chain("s1");
  return env;
}

// Every run of one configuration; figures come from the fastest, with the median beside.
struct Series {
  std::vector<Figures> runs;
  const Figures& Best() const {
    return *std::min_element(runs.begin(), runs.end(), [](const Figures& a, const Figures& b) {
      return a.seconds < b.seconds;
    });
  }
  double MedianSeconds() const {
    std::vector<double> s;
    for (const Figures& f : runs) s.push_back(f.seconds);
    std::sort(s.begin(), s.end());
    return s[s.size() / 2];
  }
  bool ok() const {
    return std::all_of(runs.begin(), runs.end(), [](const Figures& f) { return f.ok; });
  }
};

void PrintRow(const Series& series) {
  const Figures& f = series.Best();
  std::printf("%-15s %6d %9d %9llu %8.3f %12.0f %12.0f %12.0f %11.2f  %s\n", f.runtime.c_str(),
              f.calls, f.call_hops, static_cast<unsigned long long>(f.messages), f.seconds,
              f.call_hops / f.seconds, f.messages / f.seconds, f.messages / series.MedianSeconds(),
              f.seconds * 1e6 / f.call_hops, series.ok() ? "ok" : "FAILED");
}

double MicrosPerRoundTrip(const Figures& f) { return f.seconds * 1e6 / (f.messages / 2.0); }
double MicrosPerCallHop(const Figures& f) { return f.seconds * 1e6 / f.call_hops; }

// Start-up of a world of `hosts` host processes: from Run() until its one call (one hop,
// to the first host) has completed; the call itself takes well under a millisecond.
struct Startup {
  int processes = 0;
  double seconds = 0;
  bool ok = false;
};
Startup MeasureStartup(int hosts, ProcsSetup& procs) {
  Startup s;
  // ws + h1..h(hosts-1): `hosts` hosts with nodes, plus the domain controller's.
  sim::Scenario scenario = ChainScenario(std::max(1, hosts - 1), 1);
  scenario.steps[0].call.clear_ops();
  const std::string file = procs.Write(scenario);
  StatusOr<std::unique_ptr<sim::World>> world = BuildWorld("procs", scenario, &procs, file);
  if (!world.ok()) return s;
  auto start = std::chrono::steady_clock::now();
  Status st = (*world)->Run();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.ok = st.ok() && !(*world)->outcomes().empty() && (*world)->outcomes()[0].status.ok();
  s.processes =
      static_cast<int>(static_cast<net::ProcessRuntime&>((*world)->runtime()).Hosts().size());
  if (!st.ok()) std::fprintf(stderr, "start-up run failed: %s\n", st.ToString().c_str());
  return s;
}

// The ceiling of an in-memory runtime: what one protobuf round of a message costs alone
// (serialize, then parse into a fresh envelope), in microseconds; fastest of `rounds`
// batches. A request/reply pair costs two such rounds and nothing else at the ceiling.
double MicrosPerProtobufRound(const v1::Envelope& sample, int messages) {
  double best = 1e9;
  std::string bytes;
  for (int batch = 0; batch < 5; ++batch) {
    auto start = std::chrono::steady_clock::now();
    size_t sink = 0;
    for (int i = 0; i < messages; ++i) {
      bytes.clear();
      sample.SerializeToString(&bytes);
      v1::Envelope parsed;
      parsed.ParseFromString(bytes);
      sink += parsed.correlation();
    }
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                    .count() /
                messages;
    if (sink == 0) us = 1e9;  // keeps the loop from being optimized away
    best = std::min(best, us);
  }
  return best;
}

}  // namespace
}  // namespace delegsim::bench

int main(int argc, char** argv) {
  using namespace delegsim;
  using namespace delegsim::bench;
  int hops = 8, virtual_calls = 2000, tcp_calls = 200, procs_calls = 200, pings = 5000, repeat = 5,
      startup_hosts = 100, parallel = 8;
  std::string delegsim_path = DELEGSIM_EXECUTABLE;
  CLI::App app{"delegsim-bench: delegation-chain throughput under both runtimes"};
  const auto positive = CLI::Range(1, 1'000'000);
  app.add_option("--hops", hops, "services in the chain")
      ->check(CLI::Range(1, nodes::kMaxChainHops));
  app.add_option("--virtual-calls", virtual_calls, "calls per virtual run")->check(positive);
  app.add_option("--tcp-calls", tcp_calls, "calls per tcp run")->check(positive);
  app.add_option("--procs-calls", procs_calls, "calls per procs run (0: skip procs)")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--startup-hosts", startup_hosts,
                 "host processes of the procs start-up measurement (0: skip it)")
      ->check(CLI::Range(0, 1'000));
  app.add_option("--delegsim", delegsim_path, "the delegsim executable procs hosts run");
  app.add_option("--pings", pings, "raw ping-pong round trips")->check(positive);
  app.add_option("--repeat", repeat, "runs of each configuration")->check(CLI::Range(1, 100));
  app.add_option("--parallel", parallel, "calls in flight at once in the overlapping tcp run")
      ->check(CLI::Range(1, 4096));
  std::vector<int> scale_sizes;
  app.add_option("--scale", scale_sizes,
                 "scaling mode: load, build and run worlds of these many hosts and calls "
                 "(e.g. 1000,10000,100000) beside a bare JSON parse; nothing else runs")
      ->delimiter(',')
      ->check(CLI::Range(1, 10'000'000));
  int generate = 0;
  std::string output;
  app.add_option("--generate", generate,
                 "write the scaling scenario of this many hosts and calls to --output and exit")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--output", output, "file written by --generate");
  std::string breakdown;
  app.add_option("--trace-breakdown", breakdown,
                 "print where a kept trace's memory goes, per hop, for this scenario and exit");
  std::vector<std::string> child;  // internal: one measurement in a fresh process
  app.add_option("--scale-child", child)->expected(2)->group("");
  CLI11_PARSE(app, argc, argv);
  if (!child.empty()) return ScaleChild(child[0], child[1]);
  if (!breakdown.empty()) return PrintTraceBreakdown(breakdown);
  if (generate > 0) {
    if (output.empty()) {
      std::fprintf(stderr, "--generate needs --output FILE\n");
      return 2;
    }
    return WriteScaleScenario(generate, output);
  }
  if (!scale_sizes.empty()) return RunScale("/proc/self/exe", scale_sizes);

  std::printf(
      "delegsim-bench: %d-hop chain, each hop a delegate-level Kerberos call through a\n"
      "service trusted for delegation (per hop: TGS-REQ, forwarded-TGT TGS-REQ, CALL and\n"
      "their replies). One thread. Each configuration ran %d times, interleaved; the\n"
      "fastest run is shown, with the median messages/s beside it. \"lean\": no trace\n"
      "records built and no result trees assembled; \"full\": both.\n\n",
      hops, repeat);
  Series virt_lean, virt_full, tcp_lean, tcp_full, tcp_overlap, procs_lean, procs_full;
  std::vector<double> raw_us;
  ProcsSetup procs;
  procs.executable = delegsim_path;
  const v1::Envelope sample = SampleCall();
  for (int r = 0; r < repeat; ++r) {
    virt_lean.runs.push_back(RunChain("virtual", hops, virtual_calls, true));
    virt_full.runs.push_back(RunChain("virtual", hops, std::max(1, virtual_calls / 4), false));
    tcp_lean.runs.push_back(RunChain("tcp", hops, tcp_calls, true));
    tcp_full.runs.push_back(RunChain("tcp", hops, tcp_calls, false));
    tcp_overlap.runs.push_back(RunChain("tcp", hops, tcp_calls, true, parallel));
    if (procs_calls > 0) {
      procs_lean.runs.push_back(RunChain("procs", hops, procs_calls, true, 1, &procs));
      procs_full.runs.push_back(RunChain("procs", hops, procs_calls, false, 1, &procs));
    }
    StatusOr<net::PingPongResult> raw = net::RawPingPong(pings, sample);
    if (!raw.ok()) {
      std::printf("raw ping-pong failed: %s\n", raw.status().ToString().c_str());
      return 1;
    }
    raw_us.push_back(raw->MicrosPerRoundTrip());
  }
  std::printf("%-15s %6s %9s %9s %8s %12s %12s %12s %11s\n", "runtime", "calls", "call-hops",
              "messages", "seconds", "call-hops/s", "messages/s", "(median)", "us/call-hop");
  PrintRow(virt_lean);
  PrintRow(virt_full);
  PrintRow(tcp_lean);
  PrintRow(tcp_full);
  PrintRow(tcp_overlap);
  if (procs_calls > 0) {
    PrintRow(procs_lean);
    PrintRow(procs_full);
  }

  std::sort(raw_us.begin(), raw_us.end());
  const double raw_rt = raw_us.front();
  const double lean_rt = MicrosPerRoundTrip(tcp_lean.Best());
  const double full_rt = MicrosPerRoundTrip(tcp_full.Best());
  const Figures& tcp = tcp_lean.Best();
  const double round_trips_per_hop = (tcp.messages / 2.0) / tcp.call_hops;
  std::printf(
      "\nraw asio+protobuf ping-pong: %d round trips of a %zu-byte Call envelope, %.2f us each "
      "(median %.2f)\n",
      pings, sample.ByteSizeLong(), raw_rt, raw_us[raw_us.size() / 2]);
  std::printf(
      "tcp runtime: %.2f us per round trip lean, %.2f full (%.2f round trips per call-hop)\n",
      lean_rt, full_rt, round_trips_per_hop);
  std::printf("  per round trip  tcp / raw = %.2f lean, %.2f full   (goal <= 1.5)\n",
              lean_rt / raw_rt, full_rt / raw_rt);
  // Where the gap goes: the virtual runtime does a round trip's whole simulated work (node
  // logic, decisions, sealing, serialize and parse of both envelopes) without sockets; the
  // raw ping-pong does the sockets and serialize and parse of two envelopes. So with no cost
  // of its own the tcp runtime would take raw + virtual - 2 protobuf rounds.
  const double round_us = MicrosPerProtobufRound(sample, pings);
  const double virtual_rt = MicrosPerRoundTrip(virt_lean.Best());
  const double expected_rt = raw_rt + virtual_rt - 2 * round_us;
  std::printf(
      "  of a tcp round trip (lean, %.2f us): raw ping-pong %.2f + the simulation's work "
      "without sockets (virtual runtime) %.2f - 2 protobuf rounds counted twice %.2f = %.2f; "
      "tcp runtime's own rest %.2f us\n",
      lean_rt, raw_rt, virtual_rt, 2 * round_us, expected_rt, lean_rt - expected_rt);
  std::printf(
      "  per call-hop    tcp / (raw x %.0f round trips) = %.2f lean, %.2f full\n",
      round_trips_per_hop, (tcp.seconds * 1e6 / tcp.call_hops) / (raw_rt * round_trips_per_hop),
      (tcp_full.Best().seconds * 1e6 / tcp_full.Best().call_hops) / (raw_rt * round_trips_per_hop));
  const Figures& overlap = tcp_overlap.Best();
  std::printf("  %d calls in flight: %.0f call-hops/s, %.2fx one call at a time (lean)\n", parallel,
              overlap.call_hops / overlap.seconds,
              (overlap.call_hops / overlap.seconds) / (tcp.call_hops / tcp.seconds));
  const Figures& v = virt_lean.Best();
  std::printf(
      "virtual runtime: %.0f serialized message hops/s, %.0f call-hops/s (lean)   "
      "(target >= 200,000 serialized hops/s)\n",
      v.messages / v.seconds, v.call_hops / v.seconds);
  const double ceiling_pairs = 1e6 / (2 * round_us);
  const double pairs = v.messages / 2.0 / v.seconds;
  std::printf(
      "  request/reply pairs/s %.0f; ceiling 1 / (2 x protobuf serialize+parse of the "
      "%zu-byte Call, %.2f us) = %.0f; ratio %.2f   (goal >= 0.50)\n",
      pairs, sample.ByteSizeLong(), round_us, ceiling_pairs, pairs / ceiling_pairs);
  bool ok = virt_lean.ok() && virt_full.ok() && tcp_lean.ok() && tcp_full.ok() && tcp_overlap.ok();
  if (procs_calls > 0) {
    const double procs_lean_hop = MicrosPerCallHop(procs_lean.Best());
    const double procs_full_hop = MicrosPerCallHop(procs_full.Best());
    std::printf(
        "procs runtime (one process per host, %zu processes): %.2f us per call-hop lean, %.2f "
        "full\n",
        procs_lean.Best().processes, procs_lean_hop, procs_full_hop);
    std::printf("  per call-hop    procs / tcp = %.2f lean, %.2f full   (target <= 2)\n",
                procs_lean_hop / MicrosPerCallHop(tcp_lean.Best()),
                procs_full_hop / MicrosPerCallHop(tcp_full.Best()));
    std::printf("  per call-hop    procs / (raw x %.0f round trips) = %.2f lean, %.2f full\n",
                round_trips_per_hop, procs_lean_hop / (raw_rt * round_trips_per_hop),
                procs_full_hop / (raw_rt * round_trips_per_hop));
    ok = ok && procs_lean.ok() && procs_full.ok();
  }
  if (startup_hosts > 0) {
    std::vector<Startup> runs;
    for (int r = 0; r < repeat; ++r) runs.push_back(MeasureStartup(startup_hosts, procs));
    std::sort(runs.begin(), runs.end(),
              [](const Startup& a, const Startup& b) { return a.seconds < b.seconds; });
    std::printf(
        "procs start-up: %d host processes started, ready and configured, and one call, in "
        "%.3f s (median %.3f s)%s\n",
        runs.front().processes, runs.front().seconds, runs[runs.size() / 2].seconds,
        std::all_of(runs.begin(), runs.end(), [](const Startup& s) { return s.ok; }) ? ""
                                                                                     : "  FAILED");
    ok = ok && std::all_of(runs.begin(), runs.end(), [](const Startup& s) { return s.ok; });
  }
  return ok ? 0 : 1;
}
