// Text that is safe to show: names and messages reach terminals, trace files and JUnit
// XML, where a control character (ESC starts a terminal command, NUL and most C0 codes are
// not allowed in XML 1.0) or a bidirectional override (U+202E shows "exe.txt" as
// "txt.exe") would let a scenario file or a peer on the wire forge what the user reads.
//
//   if (auto bad = FindUnsafeChar(name)) Report(path, "contains " + bad->Describe());
//   out << EscapeUnsafe(record.summary);  // "evil\x1b[2J" shows as evil\x1b[2J
//
// Unsafe: C0 controls U+0000-U+001F, DEL U+007F, C1 controls U+0080-U+009F, the bidi
// formatting characters U+061C, U+200E, U+200F, U+202A-U+202E and U+2066-U+2069, the
// separators U+2028 and U+2029, and any byte that is not part of well-formed UTF-8.
#ifndef DELEGSIM_COMMON_TEXT_H_
#define DELEGSIM_COMMON_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace delegsim {

struct UnsafeChar {
  size_t offset = 0;       // byte offset in the text
  uint32_t code = 0;       // the code point, or the byte when `malformed`
  bool malformed = false;  // a byte that is not well-formed UTF-8

  // "U+001B (ESC)", "U+202E (RIGHT-TO-LEFT OVERRIDE)", "the byte 0xFF (not UTF-8)".
  std::string Describe() const;
};

// The first unsafe character of `text`, or std::nullopt when it has none.
std::optional<UnsafeChar> FindUnsafeChar(std::string_view text);

// `text` with each unsafe character written visibly: "\x1b" for C0 controls and DEL,
// "\u202e" for the other code points, "\xff" for a malformed byte. With
// `keep_line_breaks`, LF and TAB pass unchanged (multi-line messages). Safe text is
// returned unchanged.
std::string EscapeUnsafe(std::string_view text, bool keep_line_breaks = false);

}  // namespace delegsim

#endif  // DELEGSIM_COMMON_TEXT_H_
