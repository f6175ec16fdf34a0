# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for kmodx, modprobe, insmod, rmmod, lsmod and modinfo.
# Installed under each command's name so bash-completion loads it on demand;
# sourcing it directly works too. Needs nothing from bash-completion.
#
# Module names come from modules.dep of the kernel the command line names
# (-S/--set-version, modinfo -k) under the root it names (-d/--dirname,
# modinfo -b), else of the running kernel; loaded modules from /proc/modules.
# KMODX_COMPLETION_ROOT and KMODX_COMPLETION_KVER replace / and `uname -r`
# for the test suite only.

_kmodx_modprobe_opts='-a --all -r --remove --remove-dependencies --remove-holders -w --wait=
--first-time -i --ignore-install --ignore-remove -b --use-blacklist -f --force
--force-modversion --force-vermagic -R --resolve-alias -D --show-depends -c --showconfig
--show-config --show-modversions --dump-modversions --show-exports -n --dry-run --show
-C --config= -d --dirname= -S --set-version= -s --syslog -q --quiet -v --verbose
-V --version -h --help --no-dedup --stats --stats= --boot= --explain --compare --compare= --stats-reset --stats-archive'
_kmodx_insmod_opts='-f --force -v --verbose -p -s -V --version -h --help'
_kmodx_rmmod_opts='-f --force -s --syslog -v --verbose -V --version -h --help'
_kmodx_lsmod_opts='-V --version'
_kmodx_modinfo_opts='-a --author -d --description -l --license -p --parameters -n --filename
-0 --null -m --modname -F --field= -k --set-version= -b --basedir= -V --version -h --help'
_kmodx_stats_formats='text json prometheus html svg'
_kmodx_modinfo_fields='alias author depends description filename firmware import_ns intree
license name parm retpoline sig_hashalgo sig_id sig_key signat signer softdep srcversion
vermagic version'

# The value of option SHORT/LONG on the command line being completed (the
# last one given), in any of the forms getopt accepts.
_kmodx_option_value() {
    local short=$1 long=$2 i w n=${#_kmodx_words[@]} value=
    for ((i = 1; i < n; i++)); do
        [[ $i -eq $_kmodx_cword ]] && continue
        w=${_kmodx_words[i]}
        if [[ $w == "$short" || $w == "$long" ]]; then
            value=${_kmodx_words[i + 1]}
            [[ $value == = ]] && value=${_kmodx_words[i + 2]}
            ((i + 1 == _kmodx_cword)) && value=
        elif [[ $w == "$long"=?* ]]; then
            value=${w#*=}
        elif [[ $w == "$short"?* && $w != --* ]]; then
            value=${w#"$short"}
        fi
    done
    printf '%s' "$value"
}

_kmodx_root() {
    local d
    d=$(_kmodx_option_value "$1" "$2")
    printf '%s' "${d:-${KMODX_COMPLETION_ROOT:-}}"
}

_kmodx_kver() {
    local v
    v=$(_kmodx_option_value "$1" "$2")
    [[ -n $v ]] || v=${KMODX_COMPLETION_KVER:-$(uname -r)}
    printf '%s' "$v"
}

# Module names of ROOT/lib/modules/KVER, as the kernel spells them.
_kmodx_module_names() {
    local dep="$1/lib/modules/$2/modules.dep"
    [[ -r $dep ]] || return 0
    sed -e 's/:.*//' -e 's|.*/||' -e 's/\.ko\(\.[a-z]*\)\{0,1\}$//' -e 'y/-/_/' "$dep" | sort -u
}

_kmodx_loaded_names() {
    local line
    [[ -r ${KMODX_COMPLETION_ROOT:-}/proc/modules ]] || return 0
    while read -r line _; do
        printf '%s\n' "$line"
    done <"${KMODX_COMPLETION_ROOT:-}/proc/modules"
}

_kmodx_versions() {
    local d
    for d in "$1"/lib/modules/*/; do
        [[ -d $d ]] && { d=${d%/}; printf '%s\n' "${d##*/}"; }
    done
}

# Fills COMPREPLY with the words of LIST (newline or blank separated) that
# start with the current word.
_kmodx_reply() {
    local IFS=$' \t\n' w
    COMPREPLY=()
    # The lists hold no glob characters, so splitting them unquoted is safe.
    for w in $1; do
        [[ $w == "$_kmodx_cur"* ]] && COMPREPLY+=("$w")
    done
}

_kmodx_reply_files() {
    mapfile -t COMPREPLY < <(compgen -f -- "$_kmodx_cur")
    compopt -o filenames 2>/dev/null
}

_kmodx_reply_dirs() {
    mapfile -t COMPREPLY < <(compgen -d -- "$_kmodx_cur")
    compopt -o filenames 2>/dev/null
}

# Completes the value of option OPT for command CMD; false when OPT takes none.
_kmodx_option_arg() {
    local cmd=$1 opt=$2
    case $cmd:$opt in
    modprobe:-S | modprobe:--set-version)
        _kmodx_reply "$(_kmodx_versions "$(_kmodx_root -d --dirname)")" ;;
    modinfo:-k | modinfo:--set-version)
        _kmodx_reply "$(_kmodx_versions "$(_kmodx_root -b --basedir)")" ;;
    modprobe:-d | modprobe:--dirname | modinfo:-b | modinfo:--basedir) _kmodx_reply_dirs ;;
    modprobe:-C | modprobe:--config) _kmodx_reply_files ;;
    modprobe:--stats) _kmodx_reply "$_kmodx_stats_formats" ;;
    modprobe:--boot) _kmodx_reply '0 -1 -2 -3 -4 -5 -6 -7 -8 -9' ;;
    modprobe:-w | modprobe:--wait) COMPREPLY=() ;;
    modinfo:-F | modinfo:--field) _kmodx_reply "$_kmodx_modinfo_fields" ;;
    *) return 1 ;;
    esac
    return 0
}

# Whether the command line has any of the given options.
_kmodx_has_option() {
    local i w o
    for ((i = 1; i < ${#_kmodx_words[@]}; i++)); do
        [[ $i -eq $_kmodx_cword ]] && continue
        w=${_kmodx_words[i]}
        for o in "$@"; do
            [[ $w == "$o" ]] && return 0
            # a cluster of short options (-rv), up to one that takes a value
            # shellcheck disable=SC2295 # the letters are a bracket pattern
            [[ $o == -? && $w == -[!-]* && ${w%%[$_kmodx_arg_letters]*} == *"${o#-}"* ]] && return 0
        done
    done
    return 1
}

# The number of non-option words before the current one.
_kmodx_count_args() {
    local i w n=0 skip=0 takes=$1
    for ((i = 1; i < _kmodx_cword; i++)); do
        w=${_kmodx_words[i]}
        if ((skip)); then
            skip=0
            [[ $w == = ]] && skip=1
            continue
        fi
        case $w in
        --) ;;
        --*=*) ;;
        --*) [[ " $takes " == *" $w "* ]] && skip=1 ;;
        -?) [[ " $takes " == *" $w "* ]] && skip=1 ;;
        -*) ;;
        =) ;;
        *) n=$((n + 1)) ;;
        esac
    done
    printf '%s' "$n"
}

# Completion of command CMD over _kmodx_words/_kmodx_cword.
_kmodx_complete_command() {
    local cmd=$1 cur=${_kmodx_words[_kmodx_cword]} prev=${_kmodx_words[_kmodx_cword - 1]}
    local opt='' _kmodx_cur opts_var=_kmodx_${1}_opts

    # --opt=value: bash splits at '=' when it is in COMP_WORDBREAKS.
    if [[ $cur == = ]]; then
        opt=$prev cur=
    elif [[ $prev == = ]] && ((_kmodx_cword >= 2)); then
        opt=${_kmodx_words[_kmodx_cword - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        cur=${cur#*=}
        _kmodx_cur=$cur
        if _kmodx_option_arg "$cmd" "$opt"; then
            local i
            for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$opt=${COMPREPLY[i]}; done
            return 0
        fi
        COMPREPLY=()
        return 0
    elif [[ $prev == -* && $prev != --*=* ]]; then
        _kmodx_cur=$cur
        # --stats takes its value only after '=' (getopt's optional argument).
        [[ $prev != --stats ]] && _kmodx_option_arg "$cmd" "$prev" && return 0
    fi
    _kmodx_cur=$cur
    if [[ -n $opt ]]; then
        _kmodx_option_arg "$cmd" "$opt" || COMPREPLY=()
        return 0
    fi

    if [[ $cur == -* ]]; then
        _kmodx_reply "${!opts_var}"
        local i
        for i in "${!COMPREPLY[@]}"; do
            [[ ${COMPREPLY[i]} == *= ]] && compopt -o nospace 2>/dev/null
        done
        return 0
    fi

    local nargs
    case $cmd in
    modprobe)
        nargs=$(_kmodx_count_args '-w --wait -C --config -d --dirname -S --set-version')
        if _kmodx_has_option --show-modversions --dump-modversions --show-exports; then
            _kmodx_reply_files
        elif _kmodx_has_option -r --remove; then
            _kmodx_reply "$(_kmodx_loaded_names)"
        elif ((nargs == 0)) || _kmodx_has_option -a --all; then
            _kmodx_reply "$(_kmodx_module_names "$(_kmodx_root -d --dirname)" "$(_kmodx_kver -S --set-version)")"
        else
            COMPREPLY=()  # module parameters
        fi
        ;;
    insmod)
        nargs=$(_kmodx_count_args '')
        if ((nargs == 0)); then
            local IFS=$'\n' f
            COMPREPLY=()
            for f in $(compgen -f -- "$cur"); do
                [[ -d $f || $f == *.ko || $f == *.ko.gz || $f == *.ko.xz || $f == *.ko.zst ]] &&
                    COMPREPLY+=("$f")
            done
            compopt -o filenames 2>/dev/null
        else
            COMPREPLY=()
        fi
        ;;
    rmmod) _kmodx_reply "$(_kmodx_loaded_names)" ;;
    lsmod) COMPREPLY=() ;;
    modinfo)
        _kmodx_reply "$(_kmodx_module_names "$(_kmodx_root -b --basedir)" "$(_kmodx_kver -k --set-version)")"
        if [[ $cur == */* || $cur == .* ]]; then
            local f
            while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$cur")
            compopt -o filenames 2>/dev/null
        fi
        ;;
    esac
    return 0
}

# Short options that take a value, per command: the rest of a cluster after
# one of them is that value.
_kmodx_arg_letters_of() {
    case $1 in
    modprobe) printf 'wCdS' ;;
    modinfo) printf 'Fkb' ;;
    *) printf '-' ;;
    esac
}

_kmodx_tool() {
    local _kmodx_words=("${COMP_WORDS[@]}") _kmodx_cword=$COMP_CWORD
    local cmd=${COMP_WORDS[0]##*/}
    local _kmodx_arg_letters
    _kmodx_arg_letters=$(_kmodx_arg_letters_of "$cmd")
    _kmodx_complete_command "$cmd"
}

_kmodx() {
    local _kmodx_words _kmodx_cword cur=${COMP_WORDS[COMP_CWORD]}
    if ((COMP_CWORD == 1)); then
        local _kmodx_cur=$cur
        _kmodx_reply 'modprobe insmod rmmod lsmod modinfo config udev --version --help -V -h'
        return 0
    fi
    case ${COMP_WORDS[1]} in
    modprobe | insmod | rmmod | lsmod | modinfo) ;;
    udev)
        local _kmodx_cur=$cur
        if ((COMP_CWORD == 2)); then _kmodx_reply 'status on off --no-initramfs'
        else _kmodx_reply '--no-initramfs'; fi
        return 0 ;;
    *) COMPREPLY=(); return 0 ;;
    esac
    # As if the command had been typed on its own.
    _kmodx_words=("${COMP_WORDS[@]:1}")
    _kmodx_cword=$((COMP_CWORD - 1))
    local _kmodx_arg_letters
    _kmodx_arg_letters=$(_kmodx_arg_letters_of "${COMP_WORDS[1]}")
    _kmodx_complete_command "${COMP_WORDS[1]}"
}

complete -F _kmodx kmodx
complete -F _kmodx_tool modprobe insmod rmmod lsmod modinfo
