#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# completion.sh SHELL SRCDIR TOOLSDIR: drives the real shell (bash, zsh or
# fish) through kmodx's completion in SRCDIR/completion on a fake machine
# (module trees of two kernels, /proc/modules) and compares what it offers
# with what it should. TOOLSDIR holds kmodx and the command links (fish only
# completes commands it can find; their --help lists the options to offer).
set -euo pipefail
shell=$1 src=$(cd "$2" && pwd) tools=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The fake machine. Names as depmod writes them: dashes, compression suffixes.
mkdir -p "$T/root/lib/modules/6.1.0-test" "$T/root/lib/modules/5.10.0-old" "$T/root/proc" \
         "$T/other/lib/modules/7.0.0-other" "$T/cwd/sub"
cat >"$T/root/lib/modules/6.1.0-test/modules.dep" <<'EOF'
kernel/drivers/nvme/host/nvme.ko.xz: kernel/drivers/nvme/host/nvme-core.ko.zst
kernel/drivers/nvme/host/nvme-core.ko.zst:
kernel/arch/x86/kvm/kvm-intel.ko: kernel/arch/x86/kvm/kvm.ko
kernel/arch/x86/kvm/kvm.ko:
kernel/fs/ext4/ext4.ko.gz:
EOF
echo 'kernel/old/oldmod.ko:' >"$T/root/lib/modules/5.10.0-old/modules.dep"
echo 'kernel/x/other-mod.ko:' >"$T/other/lib/modules/7.0.0-other/modules.dep"
cat >"$T/root/proc/modules" <<'EOF'
loadedmod 16384 0 - Live 0x0000000000000000
kvm 1142784 1 kvm_intel, Live 0x0000000000000000
EOF
touch "$T/cwd/mod.ko" "$T/cwd/mod2.ko.xz" "$T/cwd/notes.txt"
export KMODX_COMPLETION_ROOT=$T/root KMODX_COMPLETION_KVER=6.1.0-test
export PATH=$tools:$PATH
# fish keeps history and variables under HOME: not the tester's.
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_DATA_HOME=$T/home/.local/share
mkdir -p "$HOME"
cd "$T/cwd"

# What the shell offers for LINE (cursor at its end), one a line.
offers_bash() {
    local line=$1
    bash --norc --noprofile -c '
        source "$1/completion/kmodx.bash"
        line=$2
        # The words as bash splits them with "=" in COMP_WORDBREAKS.
        read -ra raw <<<"$line"
        COMP_WORDS=()
        for w in "${raw[@]}"; do
            if [[ $w == --*=* ]]; then
                COMP_WORDS+=("${w%%=*}" =)
                [[ -n ${w#*=} ]] && COMP_WORDS+=("${w#*=}")
            else
                COMP_WORDS+=("$w")
            fi
        done
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line COMP_POINT=${#line}
        spec=$(complete -p "${COMP_WORDS[0]}") || exit 3
        fn=${spec#*-F }; fn=${fn%% *}
        COMPREPLY=()
        "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"
    ' _ "$src" "$line"
}

offers_fish() {
    local dir=$T/fish
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        for c in kmodx modprobe insmod rmmod lsmod modinfo; do cp "$src/completion/kmodx.fish" "$dir/$c.fish"; done
    fi
    fish --no-config -c 'set -p fish_complete_path $argv[1]; complete -C $argv[2]' "$dir" "$1"
}

# Shells differ in form, not in substance: fish appends descriptions after
# a tab, zsh and fish repeat an --opt= prefix, directories may end in '/',
# a typed ./ may be kept or not, bash lists --opt and --opt= both. Reduce to
# the bare words.
normalize() {
    sed -E -e 's/\t.*//' -e 's/^--[a-z-]+=(.)/\1/' -e 's/=$//' -e 's|/$||' -e 's|^\./||' | grep -v '^$' | sort -u
}

# Cases are collected first and asked in one go: zsh answers them all from
# one interactive session (starting one per case costs a second each).
modes=() lines=() wants=()
check() {  # check MODE LINE WORDS...: MODE is "is" (exactly) or "has" (at least)
    modes+=("$1")
    lines+=("$2")
    shift 2
    wants+=("$(printf '%s\n' "$@" | grep -v '^$' | sort -u)") || true
}

run_cases() {
    local i got fails=0 n=${#lines[@]}
    mkdir -p "$T/out"
    if [ "$shell" = zsh ]; then
        zsh -f "$here/zsh_complete.zsh" "$src/completion" "$T/out" "${lines[@]}"
    else
        for i in "${!lines[@]}"; do "offers_$shell" "${lines[i]}" >"$T/out/$((i + 1))" || true; done
    fi
    for i in "${!lines[@]}"; do
        got=$(normalize <"$T/out/$((i + 1))") || true
        if [ "${modes[i]}" = is ]; then
            [ "$got" = "${wants[i]}" ] && continue
        else
            [ -z "$(comm -23 <(printf '%s\n' "${wants[i]}") <(printf '%s\n' "$got"))" ] && continue
        fi
        fails=$((fails + 1))
        echo "FAIL [$shell] '${lines[i]}': expected (${modes[i]}) [$(tr '\n' ' ' <<<"${wants[i]}")]," \
             "got [$(tr '\n' ' ' <<<"$got")]" >&2
    done
    echo "$shell: $((n - fails))/$n completion cases pass"
    [ "$fails" -eq 0 ]
}

# Module names from the running kernel's index, as the kernel spells them.
check is 'modprobe nv' nvme nvme_core
check is 'modprobe k' kvm kvm_intel
check is 'modprobe -v -q e' ext4
check is 'modprobe -a nvme k' kvm kvm_intel
check is 'modprobe nvme ' ''                      # module parameters now
# The index of the kernel and root the command line names.
check is 'modprobe -S ' 5.10.0-old 6.1.0-test
check is 'modprobe -S 5.10.0-old o' oldmod
check is 'modprobe --set-version=5.10.0-old ' oldmod
check is "modprobe -d $T/other -S " 7.0.0-other
check is "modprobe -d $T/other -S 7.0.0-other oth" other_mod
check is "modprobe --dirname=$T/other --set-version=7.0.0-other " other_mod
check is "modinfo -b $T/other -k 7.0.0-other " other_mod
check is 'modinfo -k 5.10.0-old ' oldmod
check is 'modinfo nvme_' nvme_core
check is 'modinfo ./mod' mod.ko mod2.ko.xz
# Loaded modules for removal.
check is 'rmmod ' kvm loadedmod
check is 'modprobe -r ' kvm loadedmod
check is 'modprobe -r -a l' loadedmod
check is 'modprobe -rv k' kvm
check is 'modprobe --show-modversions ./mod' mod.ko mod2.ko.xz
check is 'kmodx rmmod k' kvm
# Option arguments.
check is 'modprobe --stats=' text json prometheus html svg
check is 'modprobe --stats=j' json
check is 'modprobe --boot=' 0 -1 -2 -3 -4 -5 -6 -7 -8 -9
check has 'modprobe --stats --boot -' -1 -2 -3 -4 -5 -6 -7 -8 -9
check is 'modinfo -F sig' sig_hashalgo sig_id sig_key signat signer
check is 'modinfo --field=fi' filename firmware
check is 'modprobe --st' --stats --stats-archive --stats-reset
check is 'modprobe --no-d' --no-dedup
check is 'modprobe --expl' --explain
check has 'modprobe --comp' --compare
check is 'lsmod -' -V --version
# insmod takes module files (and directories on the way to them).
check is 'insmod ' mod.ko mod2.ko.xz sub
# kmodx COMMAND.
check is 'kmodx mod' modprobe modinfo
check is 'kmodx con' config
check is 'kmodx ud' udev
check is 'kmodx udev o' on off
check is 'kmodx udev on --no' --no-initramfs
check is 'kmodx modprobe kvm' kvm kvm_intel
check is 'kmodx modinfo -F vermag' vermagic

# Every option each command's --help lists is offered.
for cmd in modprobe insmod rmmod modinfo; do
    mapfile -t opts < <("$tools/kmodx" "$cmd" --help | grep -E '^[[:space:]]+-' |
                        sed -E 's/^[[:space:]]+//; s/ {2,}.*//' | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)
    [ ${#opts[@]} -ge 2 ] || { echo "no options parsed from $cmd --help" >&2; exit 1; }
    check has "$cmd --" "${opts[@]}"
done

run_cases
