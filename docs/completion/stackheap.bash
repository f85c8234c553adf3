# bash completion for stackheap (installed as share/bash-completion/completions/stackheap)
#
# Commands, each command's options (tests/cli/test_completion.sh checks that every option of
# `stackheap CMD --help` is offered here), the values an option takes, as `--stop main` or
# `--stop=main`, then the program and its own arguments as files.
_stackheap_opts() {   # the options of command $1
    case $1 in
    run) echo "--ascii --html --json --json-version --max-steps --pytutor --stdin --timeout -h --help --" ;;
    layout) echo "--ascii --json -p --pid --stop -h --help --" ;;
    esac
}
# the options of $1 that take a value (so the next word is no program)
_stackheap_takes_value() {
    case $1:$2 in
    run:--json | run:--json-version | run:--html | run:--pytutor | run:--max-steps | \
    run:--timeout | run:--stdin | layout:-p | layout:--pid | layout:--stop) return 0 ;;
    esac
    return 1
}
# the values of option $2 of command $1 that start with $3, into COMPREPLY
_stackheap_values() {
    case $1:$2 in
    layout:--stop) COMPREPLY=($(compgen -W "main heap exit" -- "$3")) ;;
    run:--json-version) COMPREPLY=($(compgen -W "1 2" -- "$3")) ;;
    layout:-p | layout:--pid) COMPREPLY=($(compgen -W "$(cd /proc 2>/dev/null && echo [0-9]*)" -- "$3")) ;;
    run:--max-steps | run:--timeout) COMPREPLY=() ;;   # a number: nothing to offer
    *) COMPREPLY=($(compgen -f -- "$3")) ;;
    esac
}
_stackheap() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i w cmd="" skip=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -n $skip ]]; then skip=""; continue; fi
        if [[ -z $cmd ]]; then
            [[ $w != -* ]] && cmd=$w
            continue
        fi
        [[ $cmd == help ]] && { COMPREPLY=(); return; }
        # `--stop=main` is three words when '=' breaks words (bash's default): skip the value
        if [[ $w == = ]]; then skip=1; continue; fi
        if _stackheap_takes_value "$cmd" "$w" && [[ ${COMP_WORDS[i+1]} != = ]]; then skip=1; continue; fi
        # after "--" or the program's name the words belong to the traced program
        if [[ $w == -- || $w != -* ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
    done
    case $cmd in
    "") if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
        else COMPREPLY=($(compgen -W "run layout help" -- "$cur")); fi
        return ;;
    help) COMPREPLY=($(compgen -W "run layout" -- "$cur")); return ;;
    run | layout) ;;
    *) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    # a value: `--opt V`, `--opt=V` as one word, or as the words `--opt` `=` `V`
    if [[ $cur == = ]] && _stackheap_takes_value "$cmd" "$prev"; then
        _stackheap_values "$cmd" "$prev" ""; return
    fi
    if [[ $prev == = ]] && _stackheap_takes_value "$cmd" "${COMP_WORDS[COMP_CWORD-2]}"; then
        _stackheap_values "$cmd" "${COMP_WORDS[COMP_CWORD-2]}" "$cur"; return
    fi
    if [[ $cur == --*=* ]] && _stackheap_takes_value "$cmd" "${cur%%=*}"; then
        _stackheap_values "$cmd" "${cur%%=*}" "${cur#*=}"
        COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}"); return
    fi
    if _stackheap_takes_value "$cmd" "$prev"; then _stackheap_values "$cmd" "$prev" "$cur"; return; fi
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$(_stackheap_opts "$cmd")" -- "$cur"))
    else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _stackheap stackheap
