// Trace renderings never pass a control character, bidi override or malformed byte
// through: names in summaries may come from a peer on the wire.
#include "sim/results.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/text.h"

namespace delegsim::sim {
namespace {

nodes::TraceRecord Hostile() {
  nodes::TraceRecord r;
  r.time = 3;
  r.seq = 7;
  r.node = "kdc\x1b[2J";
  r.kind = nodes::TraceKind::kDeliver;
  r.path =
      "c1/w\xe2\x80\xae"
      "b";
  r.summary = "AS-REQ \x1b]0;owned\x07 \xff\xfe -> kdc";
  return r;
}

TEST(TraceRendering, TextLineEscapesUnsafeCharacters) {
  std::string line = TraceLineText(Hostile());
  EXPECT_EQ(FindUnsafeChar(line), std::nullopt) << line;
  EXPECT_THAT(line, ::testing::HasSubstr("kdc\\x1b[2J"));
  EXPECT_THAT(line, ::testing::HasSubstr("c1/w\\u202eb"));
  EXPECT_THAT(line, ::testing::HasSubstr("AS-REQ \\x1b]0;owned\\x07 \\xff\\xfe -> kdc"));
}

// JSON Lines: ASCII only (controls and every non-ASCII character as \uXXXX), malformed
// UTF-8 replaced instead of an exception from the JSON library.
TEST(TraceRendering, JsonLineIsAsciiAndNeverThrows) {
  std::string line;
  ASSERT_NO_THROW(line = TraceLineJson(Hostile()));
  for (char c : line) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << static_cast<int>(c) << " in " << line;
  }
  EXPECT_THAT(line, ::testing::HasSubstr(R"("node":"kdc\u001b[2J")"));
  EXPECT_THAT(line, ::testing::HasSubstr(R"("path":"c1/w\u202eb")"));
  EXPECT_THAT(line, ::testing::HasSubstr(R"(\ufffd)"));
}

}  // namespace
}  // namespace delegsim::sim
