#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace delegsim::cli {

size_t TerminalWidth() {
  if (isatty(STDOUT_FILENO)) {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  }
  const char* columns = std::getenv("COLUMNS");
  if (columns == nullptr) return 0;
  std::string_view text(columns);
  size_t width = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), width);
  if (ec != std::errc() || end != text.data() + text.size() || width > 10000) return 0;
  return width;
}

bool LocaleIsUtf8() {
  // The first of these that is set and non-empty decides, as setlocale(LC_CTYPE, "") does.
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string v;
    for (const char* p = value; *p; ++p) {
      if (*p != '-' && *p != '_')
        v += static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
    }
    return v.find("utf8") != std::string::npos;
  }
  return false;
}

}  // namespace delegsim::cli
