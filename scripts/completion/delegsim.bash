# bash completion for delegsim (installed to share/bash-completion/completions/delegsim).
# Completes the commands (and `import bloodhound`), each command's options, the values of
# the options that take one of a few words, and scenario files (*.json) or folders.
# tests/cli/completion_test.sh checks that every command and option `--help` lists is here.
_delegsim() {
  local cur prev command i
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="rules run validate check step import export why-not diff what-if reach"
  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      rules|run|validate|check|step|import|export|why-not|diff|what-if|reach)
        command="${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    --runtime) COMPREPLY=($(compgen -W "tcp virtual" -- "$cur")); return ;;
    --profile) COMPREPLY=($(compgen -W "windows mit heimdal" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "dot mermaid sequence sequence-dot opengraph" -- "$cur")); return ;;
    --fault) COMPREPLY=($(compgen -W "host_down: kdc_unreachable: drop: delay: slow_host:" -- "$cur")); return ;;
    --trace|--junit|--html|--output|--emit-scenario) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --seed|--commands|--parallel|--max-file-size|--call|--identity|--compromised|--coerce|--to|\
    --privileged|--max-hops|--max-flows|--want|--max-changes|--max-runs|--max-seconds|\
    --alternatives|--reach-hops|--apply|--set|--name) return ;;
  esac
  local options
  case "$command" in
    "") COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur")); return ;;
    rules) options="--help --json --sources" ;;
    run) options="--help --runtime --trace --json --show-trace --events --fault --html --seed
                  --profile --parallel --no-color --max-file-size" ;;
    validate) options="--help --max-file-size" ;;
    check) options="--help --junit --runtime --parallel --max-file-size" ;;
    step) options="--help --runtime --commands --no-color --max-file-size" ;;
    import)
      if [[ " ${COMP_WORDS[*]} " != *" bloodhound "* ]]; then
        COMPREPLY=($(compgen -W "bloodhound --help" -- "$cur"))
        return
      fi
      options="--help --output --name" ;;
    export) options="--help --format --call --output --identity --compromised --coerce --to
                     --blast-radius --privileged --max-hops --max-flows --quiet" ;;
    why-not) options="--help --want --max-changes --max-runs --max-seconds --alternatives
                      --no-collateral --reach-hops --apply --output --json --max-file-size" ;;
    diff) options="--help --json --no-reach --max-hops --max-file-size" ;;
    what-if) options="--help --set --output --json --no-reach --max-hops --max-file-size" ;;
    reach) options="--help --identity --compromised --coerce --to --blast-radius --privileged
                    --max-hops --max-flows --quiet --json --emit-scenario --output --html
                    --max-file-size" ;;
  esac
  if [[ "$cur" == -* || "$command" == rules ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return
  fi
  # Scenario files, collections and folders (check takes folders as they are).
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.@(json|zip)' -- "$cur"))
}
complete -F _delegsim delegsim
