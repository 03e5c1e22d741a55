// nodes::TraceLog, the compact kept trace: every record reads back exactly as it was
// appended (time and seq across block bases, interned strings, payloads), and a world's
// kept HOP records share their hop results with the call trees instead of keeping a copy.
#include "nodes/trace_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/loader.h"
#include "sim/results.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"
#include "tests/scenario_library.h"

namespace delegsim::nodes {
namespace {

TraceRecord Record(Time time, uint64_t seq, std::string node, std::string path, std::string summary,
                   TraceKind kind = TraceKind::kSend) {
  TraceRecord r;
  r.time = time;
  r.seq = seq;
  r.node = std::move(node);
  r.path = std::move(path);
  r.summary = std::move(summary);
  r.kind = kind;
  return r;
}

TEST(StringPool, InternsEachStringOnceAndKeepsViewsValid) {
  StringPool pool;
  uint32_t a = pool.Intern("alice@ws1");
  std::string_view first = pool.Get(a);
  std::string big(70'000, 'x');  // larger than a chunk: a chunk of its own
  uint32_t b = pool.Intern(big);
  for (int i = 0; i < 5000; ++i) pool.Intern("name " + std::to_string(i));
  EXPECT_EQ(pool.Intern("alice@ws1"), a);
  EXPECT_EQ(pool.Intern(big), b);
  EXPECT_EQ(pool.Intern(""), pool.Intern(std::string()));
  EXPECT_EQ(pool.Get(a), "alice@ws1");
  EXPECT_EQ(pool.Get(a).data(), first.data());  // never moved
  EXPECT_EQ(pool.Get(b), big);
  EXPECT_EQ(pool.Get(pool.Intern("name 4321")), "name 4321");
  EXPECT_EQ(pool.size(), 5003u);
}

// Everything a Decision renders, to compare a packed one with the original.
std::string Rendered(const Decision& d) {
  std::string out = d.Explain() + "\n" + VerdictName(d.verdict()).data() + " " +
                    (d.error().empty() ? "-" : d.error()) + " " +
                    (d.status().empty() ? "-" : d.status()) + "\n";
  for (RuleId r : d.Rules()) out += std::string(RuleCode(r)) + " ";
  out += "\n";
  for (RuleId r : d.RulesConsulted()) out += std::string(RuleCode(r)) + " ";
  out += "\n";
  for (const Check& c : d.checks()) {
    out += std::string(RuleCode(c.rule)) + " " + std::to_string(static_cast<int>(c.effect)) + " " +
           c.what + ":";
    for (const Fact& f : c.facts) out += " [" + f.name() + "]=[" + f.value() + "]";
    out += "\n";
  }
  for (const Cause& c : d.causes()) out += std::string(RuleCode(c.rule)) + " " + c.fact.ToString();
  return out;
}

TEST(PackedDecisions, ReadBackRendersAsTheOriginal) {
  std::vector<Decision> all(5);
  all[0]
      .Read(RuleId::kKCD2, {{"evidence.forwardable", false}, {"count", 42}})
      .Set(RuleId::kUD5, "forwardable", {Fact(std::string("svc_web"), ".trusted", true)})
      .Clear(RuleId::kAC1, "level", {{"text", "007"}, {"neg", int64_t{-9'000'000'000}}})
      .Allow(RuleId::kDS9);
  all[1]
      .Read(RuleId::kIL1,
            {{"", ""}, {"zero", "-0"}, {"plus", "+5"}, {"big", "99999999999999999999"}})
      .Deny(RuleId::kKCD2, "KDC_ERR_BADOPTION", "STATUS_X", {{"alice.not_delegated", true}})
      .Because(RuleId::kAC1, Fact("alice.not_delegated", true))
      .Because(RuleId::kUD5, Fact("header.forwardable", "false"))
      .Allow(RuleId::kDS9);                            // ignored: denied
  all[2].Deny(RuleId::kDS12, "STATUS_LOGON_FAILURE");  // no facts, no status
  // all[3]: nothing at all; all[4]: an allowed check without a decider.
  all[4].Read(RuleId::kIL2, {{"true", "true"}, {"min", INT64_MIN}});
  PackedDecisions packed;
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(packed.Add(all[i]), i);
  ASSERT_EQ(packed.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    Decision back = packed.Get(static_cast<uint32_t>(i));
    EXPECT_EQ(Rendered(back), Rendered(all[i])) << i;
    EXPECT_EQ(back.rule(), all[i].rule()) << i;
    EXPECT_EQ(back.RuleFor("forwardable"), all[i].RuleFor("forwardable")) << i;
  }
  EXPECT_GT(packed.MemoryBytes(), 0u);
}

TEST(TraceLog, ReadsBackTimesAndSeqsAcrossBlocks) {
  // Jumps beyond 32 bits, time going back (records merged from hosts) and more entries
  // than one block holds.
  std::vector<std::pair<Time, uint64_t>> stamps;
  Time t = 0;
  uint64_t seq = 1;
  for (int i = 0; i < 1000; ++i) {
    if (i == 300) t += Time{1} << 40;
    if (i == 301) seq += uint64_t{1} << 36;
    if (i == 500) t -= 5;
    if (i == 700) seq -= 3;
    stamps.emplace_back(t, seq);
    t += i % 3;
    ++seq;
  }
  TraceLog log;
  for (const auto& [time, s] : stamps) log.Append(Record(time, s, "n", "", ""));
  ASSERT_EQ(log.size(), stamps.size());
  for (size_t i = 0; i < stamps.size(); ++i) {
    EXPECT_EQ(log[i].time(), stamps[i].first) << i;
    EXPECT_EQ(log[i].seq(), stamps[i].second) << i;
  }
}

TEST(TraceLog, KeepsStringsAndPayloads) {
  TraceLog log;
  TraceRecord hop = Record(5, 9, "web", "c1/web", "web allowed", TraceKind::kHop);
  auto result = std::make_shared<v1::HopResult>();
  result->set_path("c1/web");
  result->set_verdict("allowed");
  result->mutable_decision()->set_rule("IL-6");
  hop.hop = result;
  TraceRecord token = Record(6, 10, "web", "c1/web", "impersonating", TraceKind::kImpersonate);
  auto view = std::make_shared<TokenView>();
  view->level = "delegate";
  token.token = view;
  auto ticket = std::make_shared<v1::TicketBody>();
  ticket->set_sname("http/web1.corp.example");
  ticket->set_end_ms(36'000'000);
  token.ticket = ticket;
  log.Append(Record(1, 2, "alice@ws1", "", "AS-REQ alice -> kdc"));
  log.Append(std::move(hop));
  log.Append(std::move(token));
  EXPECT_EQ(log[0].node(), "alice@ws1");
  EXPECT_EQ(log[0].path(), "");
  EXPECT_EQ(log[0].summary(), "AS-REQ alice -> kdc");
  EXPECT_EQ(log[0].kind(), TraceKind::kSend);
  EXPECT_EQ(log[0].hop(), nullptr);
  EXPECT_EQ(log[0].decision(), nullptr);
  EXPECT_EQ(log[1].kind(), TraceKind::kHop);
  EXPECT_EQ(log[1].hop(), result.get());  // shared, not copied
  EXPECT_EQ(log[1].Rules(), std::vector<std::string>{"IL-6"});
  EXPECT_TRUE(log.OwnsHop(1));
  EXPECT_EQ(log[2].token(), view.get());
  EXPECT_EQ(log[2].hop(), nullptr);
  ASSERT_NE(log[2].ticket(), nullptr);  // kept serialized, parsed when read
  EXPECT_EQ(log[2].ticket()->sname(), "http/web1.corp.example");
  EXPECT_EQ(log[2].ticket()->end_ms(), 36'000'000);
  EXPECT_EQ(log[0].ticket(), nullptr);
  EXPECT_EQ(log.back().seq(), 10u);
}

TEST(TraceLog, ShareHopPointsAtTheTreeAndCopiesWithoutChildren) {
  TraceLog log;
  TraceRecord rec = Record(5, 9, "web", "c1/web", "web allowed", TraceKind::kHop);
  auto own = std::make_shared<v1::HopResult>();
  own->set_path("c1/web");
  own->set_verdict("allowed");
  rec.hop = own;
  size_t at = log.Append(std::move(rec));
  v1::HopResult tree = *own;
  tree.add_children()->set_path("c1/web/db");
  log.ShareHop(at, &tree);
  EXPECT_FALSE(log.OwnsHop(at));
  EXPECT_EQ(log[at].hop(), &tree);
  TraceRecord copy = log[at].ToRecord();
  ASSERT_NE(copy.hop, nullptr);
  EXPECT_EQ(copy.hop->children_size(), 0);
  EXPECT_EQ(copy.hop->path(), "c1/web");
  EXPECT_EQ(copy.hop->verdict(), "allowed");
}

// Every library scenario: the kept trace renders exactly as the records the runtime
// produced (captured by a sink), and each kept HOP record of a call's tree is that tree's
// node (the same hop, not a second copy).
TEST(TraceLog, KeptTraceRendersAsTheLiveRecordsOfEveryLibraryScenario) {
  for (const auto& file : delegsim::testing::ScenarioFiles()) {
    sim::LoadResult loaded = sim::LoadScenarioFile(file.string());
    ASSERT_TRUE(loaded.ok()) << file;
    auto runtime = std::make_unique<sim::VirtualRuntime>();
    runtime->CaptureMessages(true);
    StatusOr<std::unique_ptr<sim::World>> world =
        sim::World::Build(std::move(*loaded.scenario), std::move(runtime));
    ASSERT_TRUE(world.ok()) << file;
    std::vector<TraceRecord> live;
    (*world)->SetTraceSink([&live](const TraceRecord& r) { live.push_back(r); });
    (void)(*world)->Run();
    const TraceLog& log = (*world)->trace();
    ASSERT_EQ(log.size(), live.size()) << file;
    std::vector<const v1::HopResult*> tree = sim::AllHops((*world)->outcomes());
    size_t shared = 0;
    for (size_t i = 0; i < live.size(); ++i) {
      ASSERT_EQ(sim::TraceLineText(log[i]), sim::TraceLineText(live[i])) << file << " #" << i;
      ASSERT_EQ(sim::TraceLineJson(log[i]), sim::TraceLineJson(live[i])) << file << " #" << i;
      ASSERT_EQ(log[i].has_decision(), live[i].decision != nullptr) << file << " #" << i;
      if (live[i].decision) {
        ASSERT_EQ(Rendered(*log[i].decision()), Rendered(*live[i].decision)) << file << " #" << i;
      }
      EXPECT_EQ(log[i].message(), live[i].message.get());
      if (live[i].ticket) {
        ASSERT_NE(log[i].ticket(), nullptr);
        EXPECT_EQ(log[i].ticket()->SerializeAsString(), live[i].ticket->SerializeAsString());
      } else {
        EXPECT_EQ(log[i].ticket(), nullptr);
      }
      EXPECT_EQ(log[i].token(), live[i].token.get());
      if (!live[i].hop) {
        EXPECT_EQ(log[i].hop(), nullptr);
        continue;
      }
      TraceRecord back = log[i].ToRecord();
      EXPECT_EQ(back.hop->SerializeAsString(), live[i].hop->SerializeAsString()) << file;
      if (log.OwnsHop(i)) continue;
      ++shared;
      EXPECT_NE(std::find(tree.begin(), tree.end(), log[i].hop()), tree.end()) << file;
    }
    // Every hop of the trees is a kept record's (none kept twice).
    EXPECT_EQ(shared, tree.size()) << file;
  }
}

}  // namespace
}  // namespace delegsim::nodes
