# SPDX-License-Identifier: LGPL-2.1-or-later
# fish completion for kmodx, modprobe, insmod, rmmod, lsmod and modinfo.
# fish loads a command's completions from a file named after it (and only
# for a command it can find); this one file is installed under every name and
# defines all six each time, since loading a command's file drops what an
# earlier file defined for that command.
#
# Module names come from modules.dep of the kernel the command line names
# (-S/--set-version, modinfo -k) under the root it names (-d/--dirname,
# modinfo -b), else of the running kernel; loaded modules from /proc/modules.
# KMODX_COMPLETION_ROOT and KMODX_COMPLETION_KVER replace / and `uname -r`
# for the test suite only.

# The words before the current one, after the command name ("modprobe" or
# "kmodx modprobe": commandline is the whole line even when completing
# kmodx's command).
function __kmodx_tokens
    set -l toks (commandline -opc)
    if string match -q -- '*kmodx' $toks[1]
        set -e toks[1]
    end
    set -e toks[1]
    set -q toks[1]; and printf '%s\n' $toks
end

# The value of option SHORT/LONG (the last one given) on the command line.
function __kmodx_option_value -a short long
    set -l toks (__kmodx_tokens)
    set -l value
    set -l n (count $toks)
    for i in (seq 1 $n)
        set -l t $toks[$i]
        if test "$t" = "$short"; or test "$t" = "$long"
            if test $i -lt $n
                set value $toks[(math $i + 1)]
            end
        else if string match -q -- "$long=*" $t
            set value (string replace -- "$long=" "" $t)
        else if string match -q -- "$short?*" $t; and not string match -q -- '--*' $t
            set value (string sub -s 3 -- $t)
        end
    end
    printf '%s\n' $value
end

function __kmodx_root -a short long
    set -l d (__kmodx_option_value $short $long)
    if test -z "$d"
        set d "$KMODX_COMPLETION_ROOT"
    end
    printf '%s\n' $d
end

function __kmodx_kver -a short long
    set -l v (__kmodx_option_value $short $long)
    if test -z "$v"
        if set -q KMODX_COMPLETION_KVER
            set v $KMODX_COMPLETION_KVER
        else
            set v (uname -r)
        end
    end
    printf '%s\n' $v
end

# Module names: root options, then version options.
function __kmodx_modules -a rs rl vs vl
    set -l dep (__kmodx_root $rs $rl)/lib/modules/(__kmodx_kver $vs $vl)/modules.dep
    test -r $dep; or return 0
    string replace -r ':.*' '' <$dep | string replace -r '.*/' '' | string replace -r '\.ko(\.[a-z]+)?$' '' | string replace -a -- - _ | sort -u
end

function __kmodx_loaded
    set -l f "$KMODX_COMPLETION_ROOT/proc/modules"
    test -r $f; or return 0
    string replace -r ' .*' '' <$f
end

function __kmodx_versions -a rs rl
    for d in (__kmodx_root $rs $rl)/lib/modules/*/
        basename $d
    end
end

# Whether any of the given options is on the command line, short ones also
# inside a cluster (-rv) up to the first letter that takes a value.
function __kmodx_has_option
    set -l toks (__kmodx_tokens)
    for o in $argv
        contains -- $o $toks; and return 0
        string match -qr -- '^-[^-]$' $o; or continue
        for t in $toks
            string match -qr -- '^-[^-]' $t; or continue
            set -l cluster (string replace -r -- '[wCdSFkb].*' '' (string sub -s 2 -- $t))
            string match -q -- '*'(string sub -s 2 -- $o)'*' "$cluster"; and return 0
        end
    end
    return 1
end

# Non-option words before the current one; argv: the options that take a
# separate value.
function __kmodx_count_args
    set -l n 0
    set -l skip 0
    for t in (__kmodx_tokens)
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*' --
            case '-*'
                contains -- $t $argv; and set skip 1
            case '*'
                set n (math $n + 1)
        end
    end
    echo $n
end

function __kmodx_after -a word
    set -l toks (commandline -opc)
    test "$toks[-1]" = "$word"
end

function __kmodx_modprobe_args
    if __kmodx_has_option --show-modversions --dump-modversions --show-exports
        __fish_complete_path (commandline -ct)
    else if __kmodx_has_option -r --remove
        __kmodx_loaded
    else if __kmodx_has_option -a --all; or test (__kmodx_count_args -w --wait -C --config -d --dirname -S --set-version) -eq 0
        __kmodx_modules -d --dirname -S --set-version
    end
end

function __kmodx_insmod_args
    test (__kmodx_count_args) -eq 0; or return 0
    for f in (__fish_complete_path (commandline -ct) | string replace -r '\t.*' '')
        if string match -qr '(/|\.ko|\.ko\.gz|\.ko\.xz|\.ko\.zst)$' -- $f
            printf '%s\n' $f
        end
    end
end

# modprobe
complete -c modprobe -f
complete -c modprobe -s a -l all -d 'Treat every argument as a module name'
complete -c modprobe -s r -l remove -d 'Remove modules instead of inserting'
complete -c modprobe -l remove-dependencies -d 'Old name of --remove-holders'
complete -c modprobe -l remove-holders -d 'With -r, also remove the holders'
complete -c modprobe -s w -l wait -x -d 'With -r, wait MSEC for the module to become unused'
complete -c modprobe -l first-time -d 'Fail if already inserted or removed'
complete -c modprobe -s i -l ignore-install -d 'Ignore install and remove commands'
complete -c modprobe -l ignore-remove -d 'Ignore install and remove commands'
complete -c modprobe -s b -l use-blacklist -d 'Apply blacklist to resolved aliases'
complete -c modprobe -s f -l force -d 'Ignore version magic and symbol versions'
complete -c modprobe -l force-modversion -d 'Ignore symbol versions'
complete -c modprobe -l force-vermagic -d 'Ignore version magic'
complete -c modprobe -s R -l resolve-alias -d 'Print what an alias resolves to'
complete -c modprobe -s D -l show-depends -d 'Print the dependencies and exit'
complete -c modprobe -s c -l showconfig -d 'Print the configuration and exit'
complete -c modprobe -l show-config -d 'Print the configuration and exit'
complete -c modprobe -l show-modversions -d 'Print symbol versions of a module file'
complete -c modprobe -l dump-modversions -d 'Print symbol versions of a module file'
complete -c modprobe -l show-exports -d 'Print exported symbols of a module file'
complete -c modprobe -s n -l dry-run -d 'Do not load or remove anything'
complete -c modprobe -l show -d 'Do not load or remove anything'
complete -c modprobe -s C -l config -r -F -d 'Configuration file or directory'
complete -c modprobe -s d -l dirname -x -a '(__fish_complete_directories)' -d 'Root of /lib/modules'
complete -c modprobe -s S -l set-version -x -a '(__kmodx_versions -d --dirname)' -d 'Kernel version'
complete -c modprobe -s s -l syslog -d 'Log to syslog'
complete -c modprobe -s q -l quiet -d 'Print no messages'
complete -c modprobe -s v -l verbose -d 'Print more messages'
complete -c modprobe -s V -l version -d 'Print the version'
complete -c modprobe -s h -l help -d 'Print the options'
complete -c modprobe -l no-dedup -d 'Load without the per-module lock'
complete -c modprobe -l stats -d 'Print the statistics of a boot'
# --stats takes its optional format only after '=', as getopt does.
complete -c modprobe -n 'string match -q -- "--stats=*" (commandline -ct)' -a '--stats=text --stats=json --stats=prometheus --stats=html --stats=svg' -d 'Statistics format'
complete -c modprobe -l boot -x -a '0 -1 -2 -3 -4 -5 -6 -7 -8 -9' -d 'With --stats, the boot (0 current, -1 previous)'
# fish takes a word starting with '-' for an option even after --boot.
complete -c modprobe -n '__kmodx_after --boot' -x -a '-1 -2 -3 -4 -5 -6 -7 -8 -9' -d 'Boot'
complete -c modprobe -l explain -d 'With --stats, findings in words'
complete -c modprobe -l compare -d 'With --stats, this boot against another (default -1)'
complete -c modprobe -l stats-reset -d "Empty this boot's statistics"
complete -c modprobe -l stats-archive -d "Archive this boot's statistics"
complete -c modprobe -n 'not string match -q -- "-*" (commandline -ct)' -a '(__kmodx_modprobe_args)'

# insmod
complete -c insmod -f
complete -c insmod -s f -l force -d 'Ignore version magic and symbol versions'
complete -c insmod -s v -l verbose -d 'Print more messages'
complete -c insmod -s p -d 'Ignored'
complete -c insmod -s s -d 'Ignored'
complete -c insmod -s V -l version -d 'Print the version'
complete -c insmod -s h -l help -d 'Print the options'
complete -c insmod -n 'not string match -q -- "-*" (commandline -ct)' -a '(__kmodx_insmod_args)'

# rmmod
complete -c rmmod -f
complete -c rmmod -s f -l force -d 'Remove even if in use (dangerous)'
complete -c rmmod -s s -l syslog -d 'Log to syslog'
complete -c rmmod -s v -l verbose -d 'Print more messages'
complete -c rmmod -s V -l version -d 'Print the version'
complete -c rmmod -s h -l help -d 'Print the options'
complete -c rmmod -n 'not string match -q -- "-*" (commandline -ct)' -a '(__kmodx_loaded)'

# lsmod
complete -c lsmod -f
complete -c lsmod -s V -l version -d 'Print the version'

# modinfo
complete -c modinfo -f
complete -c modinfo -s a -l author -d 'Print only the author'
complete -c modinfo -s d -l description -d 'Print only the description'
complete -c modinfo -s l -l license -d 'Print only the license'
complete -c modinfo -s p -l parameters -d 'Print only the parameters'
complete -c modinfo -s n -l filename -d 'Print only the file name'
complete -c modinfo -s 0 -l null -d 'End values with NUL'
complete -c modinfo -s m -l modname -d 'Arguments are module names'
complete -c modinfo -s F -l field -x -a 'alias author depends description filename firmware import_ns intree license name parm retpoline sig_hashalgo sig_id sig_key signat signer softdep srcversion vermagic version' -d 'Print only this field'
complete -c modinfo -s k -l set-version -x -a '(__kmodx_versions -b --basedir)' -d 'Kernel version'
complete -c modinfo -s b -l basedir -x -a '(__fish_complete_directories)' -d 'Root of /lib/modules'
complete -c modinfo -s V -l version -d 'Print the version'
complete -c modinfo -s h -l help -d 'Print the options'
complete -c modinfo -n 'not string match -q -- "-*" (commandline -ct)' -a '(__kmodx_modules -b --basedir -k --set-version)'
complete -c modinfo -n 'string match -q -- "*/*" (commandline -ct)' -a '(__fish_complete_path (commandline -ct))'

# kmodx COMMAND ...
complete -c kmodx -f
complete -c kmodx -n __fish_use_subcommand -a 'modprobe insmod rmmod lsmod modinfo' -d Command
complete -c kmodx -n __fish_use_subcommand -a config -d 'Print the settings in effect'
complete -c kmodx -n __fish_use_subcommand -a udev -d "Whether udev's device loads run kmodx"
complete -c kmodx -n '__fish_seen_subcommand_from udev; and not __fish_seen_subcommand_from status on off' -a 'status on off'
complete -c kmodx -n '__fish_seen_subcommand_from udev' -l no-initramfs -d 'Leave the initramfs as it is'
complete -c kmodx -n __fish_use_subcommand -s V -l version -d 'Print the version'
complete -c kmodx -n __fish_use_subcommand -s h -l help -d 'Print the commands'
complete -c kmodx -n 'not __fish_use_subcommand; and not __fish_seen_subcommand_from udev config' -a '(__fish_complete_subcommand)'
