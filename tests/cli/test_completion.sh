#!/bin/sh
# The bash completion completes subcommands and each command's options.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
bash -c '
source "$1/docs/completion/stackheap.bash"
COMP_WORDS=(stackheap r); COMP_CWORD=1; _stackheap
[ "${COMPREPLY[*]}" = run ] || { echo "stackheap r -> ${COMPREPLY[*]}"; exit 1; }
COMP_WORDS=(stackheap run --max); COMP_CWORD=2; _stackheap
[ "${COMPREPLY[*]}" = --max-steps ] || { echo "run --max -> ${COMPREPLY[*]}"; exit 1; }
COMP_WORDS=(stackheap layout --p); COMP_CWORD=2; _stackheap
[ "${COMPREPLY[*]}" = --pid ] || { echo "layout --p -> ${COMPREPLY[*]}"; exit 1; }
' _ "$here"
echo "completion: ok"
