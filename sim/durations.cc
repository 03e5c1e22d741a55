#include "sim/durations.h"

#include <charconv>
#include <cstdint>
#include <cstdio>

namespace delegsim::sim {

std::string HumanDuration(int64_t ms) {
  if (ms < 0) return "-" + HumanDuration(ms == INT64_MIN ? INT64_MAX : -ms);
  if (ms < 1000) return std::to_string(ms) + " ms";
  constexpr int64_t kSecond = 1000;
  constexpr int64_t kMinute = 60 * kSecond;
  constexpr int64_t kHour = 60 * kMinute;
  const int64_t hours = ms / kHour;
  const int64_t minutes = ms % kHour / kMinute;
  const int64_t millis = ms % kMinute;  // seconds and milliseconds
  std::string out;
  auto part = [&out](const std::string& p) { out += (out.empty() ? "" : " ") + p; };
  if (hours > 0) part(std::to_string(hours) + "h");
  if (minutes > 0 || (hours > 0 && millis > 0)) part(std::to_string(minutes) + "m");
  if (millis > 0) {
    char buf[32];
    if (millis % kSecond == 0) {
      std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(millis / kSecond));
    } else {
      std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(millis / kSecond),
                    static_cast<long long>(millis % kSecond));
    }
    part(buf);
  }
  return out;
}

std::string ReadableFact(const std::string& name, const std::string& value) {
  std::string out = name + "=" + value;
  if (!name.ends_with("_ms")) return out;
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || end != value.data() + value.size() || ms < 1000) return out;
  return out + " (" + HumanDuration(ms) + ")";
}

}  // namespace delegsim::sim
