// What the terminal can show: its width, and whether the locale encodes UTF-8.
#ifndef DELEGSIM_CLI_TERMINAL_H_
#define DELEGSIM_CLI_TERMINAL_H_

#include <cstddef>

namespace delegsim::cli {

// Columns of the terminal on stdout; when stdout is not a terminal, $COLUMNS when it holds
// a number, else 0 (do not wrap: output for files and pipes stays one line per item).
size_t TerminalWidth();

// True when the locale (LC_ALL, LC_CTYPE, LANG, in that order) names UTF-8, so box and
// tree characters can be printed; false for "C", "POSIX" or another encoding.
bool LocaleIsUtf8();

}  // namespace delegsim::cli

#endif  // DELEGSIM_CLI_TERMINAL_H_
