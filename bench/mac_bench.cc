// delegsim-mac-bench: the cost of one ticket seal MAC (kdc::Hmac, HMAC-SHA256 through
// OpenSSL's EVP_MAC), with Google Benchmark. A figure, not a test:
//   build/bench/delegsim-mac-bench --benchmark_min_time=0.2
// The message sizes are those of the simulator: a sealed ticket body is 100-300 bytes,
// a pre-authentication or NTLM proof a few dozen.
#include <benchmark/benchmark.h>

#include <string>

#include "kdc/crypto.h"

namespace {

void BM_HmacSameKey(benchmark::State& state) {
  const std::string key(32, '\x42');
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(delegsim::kdc::Hmac(key, data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HmacSameKey)->Arg(32)->Arg(256)->Arg(4096);

// A new key each time: the per-key set-up (padding, or the MAC context) is paid every call.
void BM_HmacNewKey(benchmark::State& state) {
  std::string key(32, '\x42');
  const std::string data(256, 'x');
  uint32_t n = 0;
  for (auto _ : state) {
    key[0] = static_cast<char>(n);
    key[1] = static_cast<char>(n >> 8);
    key[2] = static_cast<char>(n++ >> 16);
    benchmark::DoNotOptimize(delegsim::kdc::Hmac(key, data));
  }
}
BENCHMARK(BM_HmacNewKey);

}  // namespace

BENCHMARK_MAIN();
