# bash completion for delegsim (installed to share/bash-completion/completions/delegsim).
# Completes the commands, each command's options, the values of --runtime and --profile,
# and scenario files (*.json) or folders.
_delegsim() {
  local cur prev command i
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="rules run validate check step"
  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      rules|run|validate|check|step) command="${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    --runtime) COMPREPLY=($(compgen -W "tcp virtual" -- "$cur")); return ;;
    --profile) COMPREPLY=($(compgen -W "windows mit heimdal" -- "$cur")); return ;;
    --trace|--junit) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --seed|--commands) return ;;
  esac
  local options
  case "$command" in
    "") COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur")); return ;;
    rules) options="--json --sources --help" ;;
    run) options="--runtime --trace --json --show-trace --seed --profile --no-color --help" ;;
    validate) options="--help" ;;
    check) options="--junit --runtime --help" ;;
    step) options="--runtime --commands --no-color --help" ;;
  esac
  if [[ "$cur" == -* || "$command" == rules ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return
  fi
  # Scenario files, and folders to walk into (check takes folders as they are).
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.json' -- "$cur"))
}
complete -F _delegsim delegsim
