// Text safe to show (common/text.h) and saturating time arithmetic (common/saturating.h).
#include "common/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "common/saturating.h"

namespace delegsim {
namespace {

TEST(Text, SafeTextIsUnchanged) {
  EXPECT_EQ(FindUnsafeChar("alice@CORP.EXAMPLE"), std::nullopt);
  EXPECT_EQ(FindUnsafeChar("José · Ωmega · 日本"), std::nullopt);
  EXPECT_EQ(EscapeUnsafe("CORP\\alice"), "CORP\\alice");
  EXPECT_EQ(EscapeUnsafe("José"), "José");
}

TEST(Text, ControlsAndBidiAreFoundAndNamed) {
  std::optional<UnsafeChar> esc = FindUnsafeChar("ab\x1b[2J");
  ASSERT_TRUE(esc.has_value());
  EXPECT_EQ(esc->offset, 2u);
  EXPECT_EQ(esc->Describe(), "U+001B (ESC)");
  EXPECT_EQ(FindUnsafeChar(std::string("a\0b", 3))->Describe(), "U+0000 (NUL)");
  EXPECT_EQ(FindUnsafeChar("\x7f")->Describe(), "U+007F (DEL)");
  EXPECT_EQ(FindUnsafeChar("x\xc2\x9b")->Describe(), "U+009B (CSI)");
  EXPECT_EQ(FindUnsafeChar("x\xc2\x85")->Describe(), "U+0085 (C1 control)");
  EXPECT_EQ(FindUnsafeChar("exe\xe2\x80\xaetxt")->Describe(), "U+202E (RIGHT-TO-LEFT OVERRIDE)");
  EXPECT_EQ(FindUnsafeChar("\xe2\x81\xa6")->Describe(), "U+2066 (LEFT-TO-RIGHT ISOLATE)");
  EXPECT_EQ(FindUnsafeChar("\xe2\x80\xa8")->Describe(), "U+2028 (LINE SEPARATOR)");
  EXPECT_EQ(FindUnsafeChar("\xd8\x9c")->Describe(), "U+061C (ARABIC LETTER MARK)");
}

TEST(Text, MalformedUtf8IsUnsafe) {
  EXPECT_EQ(FindUnsafeChar("ok\xff")->Describe(), "the byte 0xFF (not UTF-8)");
  EXPECT_EQ(FindUnsafeChar("\xc0\xaf")->Describe(), "the byte 0xC0 (not UTF-8)");      // overlong
  EXPECT_EQ(FindUnsafeChar("\xed\xa0\x80")->Describe(), "the byte 0xED (not UTF-8)");  // surrogate
  EXPECT_EQ(FindUnsafeChar("\xe2\x80")->Describe(), "the byte 0xE2 (not UTF-8)");      // truncated
}

TEST(Text, EscapeWritesUnsafeCharactersVisibly) {
  EXPECT_EQ(EscapeUnsafe("evil\x1b]0;title\x07"), "evil\\x1b]0;title\\x07");
  EXPECT_EQ(EscapeUnsafe(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeUnsafe("invoice\xe2\x80\xae"
                         "fdp.exe"),
            "invoice\\u202efdp.exe");
  EXPECT_EQ(EscapeUnsafe("x\xc2\x9b"
                         "31m"),
            "x\\u009b31m");
  EXPECT_EQ(EscapeUnsafe("bad\xff\xfe"), "bad\\xff\\xfe");
  EXPECT_EQ(EscapeUnsafe("two\nlines\tand\r"), "two\\x0alines\\x09and\\x0d");
  EXPECT_EQ(EscapeUnsafe("two\nlines\tand\r", /*keep_line_breaks=*/true), "two\nlines\tand\\x0d");
  EXPECT_EQ(FindUnsafeChar(EscapeUnsafe("\x1b\xe2\x80\xae\xff\x01")), std::nullopt);
}

TEST(Saturating, AddAndSubtractStopAtTheLimits) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(SaturatingAdd(1, 2), 3);
  EXPECT_EQ(SaturatingAdd(kMax, 1), kMax);
  EXPECT_EQ(SaturatingAdd(kMax - 10, kMax), kMax);
  EXPECT_EQ(SaturatingAdd(kMin, -1), kMin);
  EXPECT_EQ(SaturatingSub(kMax, -1), kMax);
  EXPECT_EQ(SaturatingSub(kMin, 1), kMin);
  EXPECT_EQ(SaturatingSub(5, 7), -2);
}

}  // namespace
}  // namespace delegsim
