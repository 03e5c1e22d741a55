// The readable report and the JSON document of `delegsim run`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/durations.h"
#include "sim/results.h"
#include "tests/report/scenario_run.h"

namespace delegsim::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunLibraryScenario;

TEST(HumanDuration, HoursMinutesAndSeconds) {
  EXPECT_EQ(HumanDuration(0), "0 ms");
  EXPECT_EQ(HumanDuration(250), "250 ms");
  EXPECT_EQ(HumanDuration(1500), "1.500s");
  EXPECT_EQ(HumanDuration(90'000), "1m 30s");
  EXPECT_EQ(HumanDuration(36'000'000), "10h");
  EXPECT_EQ(HumanDuration(5'400'000), "1h 30m");
  EXPECT_EQ(HumanDuration(14'400'001), "4h 0m 0.001s");
  EXPECT_EQ(HumanDuration(3'599'982), "59m 59.982s");
  EXPECT_EQ(HumanDuration(-3'600'000), "-1h");
}

TEST(ReadableFact, AddsADurationToMilliseconds) {
  EXPECT_EQ(ReadableFact("ticket.end_ms", "14400001"), "ticket.end_ms=14400001 (4h 0m 0.001s)");
  EXPECT_EQ(ReadableFact("now_ms", "12"), "now_ms=12");  // under a second: as it is
  EXPECT_EQ(ReadableFact("lifetime_hours", "4"), "lifetime_hours=4");
  EXPECT_EQ(ReadableFact("x_ms", "soon"), "x_ms=soon");
}

TEST(WrapLine, BreaksAtSpacesUnderTheText) {
  EXPECT_EQ(WrapLine("why: ", "a b c", 0), "why: a b c\n");
  EXPECT_EQ(
      WrapLine("  why: ", "denied by KCD-2 (KDC_ERR_BADOPTION): evidence.forwardable=false", 40),
      "  why: denied by KCD-2\n"
      "       (KDC_ERR_BADOPTION):\n"
      "       evidence.forwardable=false\n");
  // A word longer than the room is cut rather than overflowing.
  EXPECT_EQ(WrapLine("w: ", std::string(50, 'x'), 30),
            "w: " + std::string(27, 'x') + "\n   " + std::string(23, 'x') + "\n");
}

TEST(Report, NamesTheMechanismOfEveryHopThatDelegates) {
  std::unique_ptr<World> world = RunLibraryScenario("two-hop");
  ASSERT_NE(world, nullptr);
  std::string report = RenderReport(*world, {}, "two-hop.json", {});
  EXPECT_THAT(report, HasSubstr("delegation: carries the identity on by unconstrained delegation "
                                "(forwarded TGT) [IL-5]"));
  EXPECT_THAT(report,
              HasSubstr("delegation: reached by unconstrained delegation (forwarded TGT) [IL-5]"));
  EXPECT_THAT(report, HasSubstr("└── web on web1"));
}

TEST(Report, RefusedHopReadsNoneInTextAndJson) {
  std::unique_ptr<World> world = RunLibraryScenario("rbcd-resource-decides-who-may-delegate");
  ASSERT_NE(world, nullptr);
  std::string report = RenderReport(*world, {}, "x.json", {});
  EXPECT_THAT(report, HasSubstr("files on files1  DENIED  identity none · level none"));
  nlohmann::json doc = nlohmann::json::parse(RenderJson(*world, {}));
  bool seen = false;
  for (const nlohmann::json& hop : doc["hops"]) {
    if (hop["path"] == "shop/web/files") {
      seen = true;
      EXPECT_EQ(hop["identity"], "none");
      EXPECT_EQ(hop["level"], "none");
      EXPECT_EQ(hop["mechanism"], "none");
    }
    if (hop["path"] == "shop/web/db") {
      EXPECT_EQ(hop["identity"], "alice@CORP.EXAMPLE");
      EXPECT_EQ(hop["mechanism"], "rbcd");
      EXPECT_EQ(hop["mechanism_rules"], nlohmann::json::array({"KCD-7", "RB-1"}));
    }
  }
  EXPECT_TRUE(seen);
}

TEST(Report, AsciiTreeAndWrappedLines) {
  std::unique_ptr<World> world = RunLibraryScenario("ticket-lifetime-protected-users-four-hours");
  ASSERT_NE(world, nullptr);
  std::string report = RenderReport(*world, {}, "x.json", {.width = 60, .ascii = true});
  EXPECT_THAT(report, Not(HasSubstr("└")));
  EXPECT_THAT(report, Not(HasSubstr("·")));
  EXPECT_THAT(report, HasSubstr("`-- web on web1"));
  EXPECT_THAT(report, HasSubstr("clock +3h (10800000 ms)"));
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("why: ") != std::string::npos || line.find("  rules: ") != std::string::npos) {
      EXPECT_LE(line.size(), 60u) << line;
    }
  }
  EXPECT_THAT(report, HasSubstr("ticket.end_ms=14400001 (4h"));
}

TEST(Report, NoFactListedTwiceInADenial) {
  std::unique_ptr<World> world =
      RunLibraryScenario("profile-heimdal-s4u2self-and-forwardable-requests");
  ASSERT_NE(world, nullptr);
  std::string report = RenderReport(*world, {}, "x.json", {});
  EXPECT_THAT(report, HasSubstr("denied by UD-6 (KDC_ERR_BADOPTION): forwardable_requested=true, "
                                "profile=heimdal; because UD-5: header.forwardable=false"));
}

}  // namespace
}  // namespace delegsim::sim
