# bash completion for stackheap (installed as share/bash-completion/completions/stackheap)
_stackheap() {
    local cur=${COMP_WORDS[COMP_CWORD]} i cmd="" opts
    for ((i = 1; i < COMP_CWORD; i++)); do
        # after "--" (or once the program is named) the words belong to the traced program
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            COMPREPLY=($(compgen -f -- "$cur")); return
        fi
        [[ -z $cmd && ${COMP_WORDS[i]} != -* ]] && cmd=${COMP_WORDS[i]}
    done
    case $cmd in
    "") opts="run layout --help --version"
        [[ $cur == -* ]] || opts="run layout" ;;
    run) opts="--ascii --html --json --json-version --max-steps --pytutor --stdin --timeout --help --" ;;
    layout) opts="--ascii --json --pid --stop --help --" ;;
    *) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ -n $cmd && $cur != -* ]]; then
        COMPREPLY=($(compgen -f -- "$cur")); return
    fi
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _stackheap stackheap
