#include "fuzz/targets.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>

#include "common/text.h"
#include "net/frame.h"
#include "nodes/envelope.h"
#include "sim/loader.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace delegsim::fuzz {
namespace {

// Protobuf logs every string field that is not UTF-8 while it rejects the message; the
// fuzzers produce millions of those. Silenced for the process (the rejection remains).
void SilenceProtobufLogs() {
  static google::protobuf::LogSilencer* const silencer = new google::protobuf::LogSilencer();
  (void)silencer;
}

// Stops the fuzzer with a message when an invariant breaks.
void Require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

std::string SourceDir() {
  const char* dir = std::getenv("DELEGSIM_SOURCE_DIR");
  return dir ? dir : DELEGSIM_FUZZ_SOURCE_DIR;
}

// The node world's scenario, loaded once: the fuzzer measures nodes, not the loader.
const sim::Scenario& NodeScenario() {
  static const sim::Scenario* scenario = [] {
    sim::LoadResult r = sim::LoadScenarioFile(NodeWorldScenario());
    for (const sim::Problem& p : r.problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
    Require(r.ok(), "the node world's scenario loads");
    return new sim::Scenario(std::move(*r.scenario));
  }();
  return *scenario;
}

}  // namespace

std::string NodeWorldScenario() { return SourceDir() + "/scenarios/default.json"; }

void FuzzScenario(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sim::LoadResult r = sim::LoadScenarioText(text, "fuzz.json");
  Require(r.ok() == r.problems.empty(), "problems and a scenario never come together");
  for (const sim::Problem& p : r.problems) {
    Require(!p.message.empty(), "every problem has a message");
    Require(!FindUnsafeChar(p.ToString()), "problem lines are safe to print");
  }
  if (!r.ok()) return;
  // An accepted scenario builds (every name resolves) and runs to completion.
  auto runtime = std::make_unique<sim::VirtualRuntime>();
  StatusOr<std::unique_ptr<sim::World>> world = sim::World::Build(*r.scenario, std::move(runtime));
  Require(world.ok(), "an accepted scenario builds into a World");
  (*world)->KeepTrace(false);
  Status st = (*world)->Run();
  Require(st.ok(), "an accepted scenario's world runs");
}

void FuzzFrames(const uint8_t* data, size_t size) {
  SilenceProtobufLogs();
  if (size == 0) return;
  const size_t chunk = 1 + data[0] % 64;
  // A small maximum, so that the oversized-header path is reachable from short inputs.
  constexpr size_t kMax = 4096;
  net::FrameDecoder decoder(kMax);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool failed = false;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    decoder.Feed(stream.substr(at, chunk));
    Require(decoder.buffered_bytes() <= kMax + net::kFrameHeaderBytes + chunk,
            "the decoder buffers at most one frame and a chunk");
    for (;;) {
      StatusOr<std::optional<v1::Envelope>> next = decoder.Next();
      if (!next.ok()) {
        failed = true;
        Require(decoder.failed(), "a failure is recorded");
        Require(!decoder.Next().ok(), "a failure is sticky");
        break;
      }
      if (!next->has_value()) break;
      const v1::Envelope& env = **next;
      // Envelope handling as the runtimes do it: classify and describe for the trace.
      (void)nodes::IsRequest(env);
      (void)nodes::IsReply(env);
      Require(!nodes::BodyName(env).empty(), "every envelope has a body name");
      (void)nodes::DescribeEnvelope(env);
      StatusOr<std::string> again = net::EncodeFrame(env, kMax);
      if (!again.ok()) continue;
      net::FrameDecoder round(kMax);
      round.Feed(*again);
      StatusOr<std::optional<v1::Envelope>> back = round.Next();
      Require(back.ok() && back->has_value(), "an encoded frame decodes");
      Require((*back)->SerializeAsString() == env.SerializeAsString(),
              "an envelope survives a round trip");
    }
    if (failed) break;
  }
}

void FuzzNode(const uint8_t* data, size_t size) {
  SilenceProtobufLogs();
  if (size < 3) return;
  v1::Envelope env;
  if (!env.ParseFromArray(data + 3, static_cast<int>(size - 3))) return;
  auto runtime = std::make_unique<sim::VirtualRuntime>();
  sim::VirtualRuntime* rt = runtime.get();
  StatusOr<std::unique_ptr<sim::World>> built =
      sim::World::Build(NodeScenario(), std::move(runtime));
  Require(built.ok(), "the node world builds");
  sim::World& world = **built;
  world.KeepTrace(false);
  const nodes::NodeId count = static_cast<nodes::NodeId>(rt->node_count());
  Require(count > 0, "the node world has nodes");
  const nodes::NodeId to = 1 + data[0] % count;
  const nodes::NodeId from = 1 + data[1] % count;
  env.set_to(to);
  auto inject = [&world, from, env]() {
    world.runtime().Post(from, [env](nodes::Node&, nodes::NodeContext& ctx) { ctx.Send(env); });
  };
  const bool during = data[2] % 2 == 0;
  if (during) inject();  // delivered while the first call is in flight
  Status st = world.Run();
  Require(st.ok(), "the world runs");
  if (!during) {
    inject();
    Status after = world.runtime().RunUntil([] { return false; }, sim::World::kCallBudgetMs);
    Require(after.ok() || after.code() == StatusCode::kDeadlineExceeded,
            "the world settles after the envelope");
  }
}

}  // namespace delegsim::fuzz
