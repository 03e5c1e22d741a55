#include "common/text.h"

#include <cstdio>

namespace delegsim {
namespace {

// One decoded character: its code point and length in bytes, or a malformed byte
// (length 1). Overlong forms, surrogates and code points past U+10FFFF are malformed.
struct Decoded {
  uint32_t code = 0;
  size_t length = 1;
  bool malformed = false;
};

Decoded DecodeAt(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {lead, 1, false};
  size_t length = 0;
  uint32_t code = 0;
  uint32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07, min = 0x10000;
  } else {
    return {lead, 1, true};
  }
  if (i + length > s.size()) return {lead, 1, true};
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {lead, 1, true};
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return {lead, 1, true};
  }
  return {code, length, false};
}

bool UnsafeCode(uint32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E ||
         c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x2028 || c == 0x2029;
}

// Names of the unsafe code points people meet most.
const char* CodeName(uint32_t c) {
  static const char* const kC0[] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                    "BS",  "TAB", "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                                    "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                                    "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
  if (c < 0x20) return kC0[c];
  switch (c) {
    case 0x7F:
      return "DEL";
    case 0x9B:
      return "CSI";
    case 0x061C:
      return "ARABIC LETTER MARK";
    case 0x200E:
      return "LEFT-TO-RIGHT MARK";
    case 0x200F:
      return "RIGHT-TO-LEFT MARK";
    case 0x202A:
      return "LEFT-TO-RIGHT EMBEDDING";
    case 0x202B:
      return "RIGHT-TO-LEFT EMBEDDING";
    case 0x202C:
      return "POP DIRECTIONAL FORMATTING";
    case 0x202D:
      return "LEFT-TO-RIGHT OVERRIDE";
    case 0x202E:
      return "RIGHT-TO-LEFT OVERRIDE";
    case 0x2066:
      return "LEFT-TO-RIGHT ISOLATE";
    case 0x2067:
      return "RIGHT-TO-LEFT ISOLATE";
    case 0x2068:
      return "FIRST STRONG ISOLATE";
    case 0x2069:
      return "POP DIRECTIONAL ISOLATE";
    case 0x2028:
      return "LINE SEPARATOR";
    case 0x2029:
      return "PARAGRAPH SEPARATOR";
    default:
      return c >= 0x80 && c <= 0x9F ? "C1 control" : nullptr;
  }
}

}  // namespace

std::string UnsafeChar::Describe() const {
  char buf[48];
  if (malformed) {
    std::snprintf(buf, sizeof buf, "the byte 0x%02X (not UTF-8)", code);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "U+%04X", code);
  const char* name = CodeName(code);
  return name ? std::string(buf) + " (" + name + ")" : std::string(buf);
}

std::optional<UnsafeChar> FindUnsafeChar(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    Decoded d = DecodeAt(text, i);
    if (d.malformed || UnsafeCode(d.code)) return UnsafeChar{i, d.code, d.malformed};
    i += d.length;
  }
  return std::nullopt;
}

std::string EscapeUnsafe(std::string_view text, bool keep_line_breaks) {
  if (!FindUnsafeChar(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    Decoded d = DecodeAt(text, i);
    bool kept = keep_line_breaks && !d.malformed && (d.code == '\n' || d.code == '\t');
    if (kept || (!d.malformed && !UnsafeCode(d.code))) {
      out.append(text.substr(i, d.length));
    } else {
      char buf[16];
      if (d.malformed || d.code < 0x80) {
        std::snprintf(buf, sizeof buf, "\\x%02x", d.code);
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", d.code);
      }
      out += buf;
    }
    i += d.length;
  }
  return out;
}

}  // namespace delegsim
