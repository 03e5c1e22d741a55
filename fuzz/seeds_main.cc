// fuzz_seeds OUT_DIR SCENARIO...: writes seed inputs for the frame and node fuzzers, the
// envelopes that the given library scenarios send on the virtual runtime:
//   OUT_DIR/frame/NNNN  a chunk-size byte, then the envelope's frame (header + body);
//   OUT_DIR/node/NNNN   receiver, sender and timing bytes, then the serialized envelope
//                       (only for the node world's scenario, whose node ids they name).
// Duplicate envelopes are written once. Exit status 1 if a scenario does not load.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "fuzz/targets.h"
#include "net/frame.h"
#include "sim/loader.h"
#include "sim/virtual_runtime.h"
#include "sim/world.h"

namespace {

namespace fs = std::filesystem;
using namespace delegsim;

void WriteSeed(const fs::path& dir, int n, const std::string& bytes) {
  char name[16];
  std::snprintf(name, sizeof name, "%04d", n);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR SCENARIO...\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out / "frame");
  fs::create_directories(out / "node");
  const fs::path node_world = fs::weakly_canonical(fuzz::NodeWorldScenario());
  std::set<std::string> frames, envelopes;
  int status = 0;
  for (int i = 2; i < argc; ++i) {
    sim::LoadResult r = sim::LoadScenarioFile(argv[i]);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: does not load\n", argv[i]);
      status = 1;
      continue;
    }
    const bool is_node_world = fs::weakly_canonical(argv[i]) == node_world;
    auto built = sim::World::Build(*r.scenario, std::make_unique<sim::VirtualRuntime>());
    if (!built.ok()) continue;
    sim::World& world = **built;
    world.runtime().CaptureMessages(true);
    world.SetTraceSink([&](const nodes::TraceRecord& rec) {
      if (rec.kind != nodes::TraceKind::kSend || !rec.message) return;
      const v1::Envelope& env = *rec.message;
      StatusOr<std::string> frame = net::EncodeFrame(env);
      if (frame.ok() && frames.insert(*frame).second) {
        WriteSeed(out / "frame", static_cast<int>(frames.size()), std::string(1, '\x07') + *frame);
      }
      std::string body = env.SerializeAsString();
      if (is_node_world && envelopes.insert(body).second) {
        std::string seed = {static_cast<char>(env.to() - 1), static_cast<char>(env.from() - 1),
                            static_cast<char>(envelopes.size() % 2)};
        WriteSeed(out / "node", static_cast<int>(envelopes.size()), seed + body);
      }
    });
    (void)world.Run();
  }
  std::printf("fuzz_seeds: %zu frames, %zu node envelopes\n", frames.size(), envelopes.size());
  return status;
}
