#!/usr/bin/zsh -f
# SPDX-License-Identifier: LGPL-2.1-or-later
# Asks a real interactive zsh for the completions of command lines:
#   zsh_complete.zsh FPATH_DIR OUTDIR LINE...
# writes what zsh offers for the Nth LINE (cursor at its end), one a line,
# to OUTDIR/N. The zsh runs on a pseudo-terminal (zsh/zpty) with compinit
# and FPATH_DIR first in fpath; compadd is wrapped so that every match it is
# given is also printed, between two NUL markers that the completion hooks
# emit around each completion.
emulate -L zsh
zmodload zsh/zpty || exit 2
local dir=$1 outdir=$2
shift 2

zpty z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''"
zpty -w z "unsetopt auto_list list_ambiguous list_beep beep"
zpty -w z "fpath=(${(q)dir} \$fpath)"
zpty -w z "autoload -Uz compinit && compinit -u -D"
zpty -w z "bindkey '^I' complete-word; bindkey '^U' kill-whole-line"
zpty -w z "zstyle ':completion:*' insert-tab false"
# zsh empties both hook arrays before it runs them: each hook re-arms the other.
zpty -w z "kx_pre() { print -n \$'\\0'; comppostfuncs=(kx_post) }"
zpty -w z "kx_post() { print -n \$'\\0'; compprefuncs=(kx_pre) }"
zpty -w z "compprefuncs=(kx_pre)"
# The wrapper: matches added for real (-O/-A/-D only fill arrays) are
# printed with any prefix/suffix compadd was given.
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a kx_hits; local -A kx_p kx_s kx_P kx_S
  builtin compadd -A kx_hits "$@"
  zparseopts -E P:=kx_P p:=kx_p S:=kx_S s:=kx_s
  builtin compadd "$@"
  local h; for h in $kx_hits; do print -r -- "$kx_P[-P]$kx_p[-p]$h$kx_s[-s]"; done
}'

integer i=0 deadline
local line out chunk
for line in "$@"; do
  (( ++i ))
  # ^U first: whatever the last completion inserted goes.
  zpty -w -n z $'\C-u'"$line"$'\t'
  out=
  deadline=$(( SECONDS + 60 ))
  while (( SECONDS < deadline )); do
    if zpty -r -t z chunk 2>/dev/null; then
      out+=$chunk
      [[ $out == *$'\0'*$'\0'* ]] && break
    else
      sleep 0.01
    fi
  done
  if [[ $out != *$'\0'*$'\0'* ]]; then
    print -r -- "zsh_complete: no completion for '$line' within 60 s" >&2
    zpty -d z
    exit 1
  fi
  out=${out#*$'\0'}
  out=${out%%$'\0'*}
  print -rn -- ${out//$'\r'/} >$outdir/$i
done
zpty -d z
