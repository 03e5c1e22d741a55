#!/bin/bash
# The bash completion offers every command and every option that `delegsim CMD --help`
# lists (and `import bloodhound`), by running the completion function as bash would.
# Usage: completion_test.sh DELEGSIM COMPLETION_SCRIPT
set -u
delegsim=$1
script=$2
shopt -s extglob
# shellcheck source=/dev/null
source "$script"
fail=0

# Completions for the words of a command line, the last one being completed.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _delegsim
  printf '%s\n' "${COMPREPLY[@]}"
}

options_of() {  # the long options `--help` lists
  "$delegsim" "$@" --help | grep -oE '^\s+(-[a-zA-Z],)?--[a-z-]+' | sed 's/.*,//; s/ //g'
}

commands=$("$delegsim" --help | sed -n '/^Subcommands:/,$p' | grep -oE '^  [a-z-]+' | tr -d ' ')
[ -n "$commands" ] || { echo "FAIL: no subcommands in delegsim --help"; exit 1; }
offered=$(complete_words delegsim "")
for c in $commands; do
  grep -qx -- "$c" <<<"$offered" || { echo "FAIL: command '$c' is not completed"; fail=1; }
done
for c in $commands; do
  words=(delegsim "$c")
  [ "$c" = import ] && words+=(bloodhound)
  offered=$(complete_words "${words[@]}" --)
  for o in $(options_of "${words[@]:1}"); do
    grep -qx -- "$o" <<<"$offered" || { echo "FAIL: '${words[*]:1} $o' is not completed"; fail=1; }
  done
done
grep -qx bloodhound <<<"$(complete_words delegsim import "")" ||
  { echo "FAIL: 'import bloodhound' is not completed"; fail=1; }
grep -qx virtual <<<"$(complete_words delegsim run --runtime "")" ||
  { echo "FAIL: --runtime values are not completed"; fail=1; }
[ $fail = 0 ] && echo "completion offers every command and option"
exit $fail
