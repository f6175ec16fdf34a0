# SPDX-License-Identifier: LGPL-2.1-or-later
# Scenario 3, real udev (guest side; run by /init with the result port as $1).
# Debian's systemd-udevd coldplugs every device of the VM as
# initramfs-tools does (trigger subsystems, then devices, then settle) with
# either Debian's stock rules, whose 80-drivers.rules loads each device's
# MODALIAS with udev's builtin `kmod load` (libkmod inside the udev worker,
# no modprobe at all), or kmodx's override (data/udev/80-drivers.rules.in,
# turned on by `kmodx udev preset` as the Debian package's postinst does),
# which runs `kmodx modprobe -bq $MODALIAS` per device. kmodx.rules=stock|kmodx on the
# kernel command line picks; the default is stock with kmod, kmodx with kmodx.
# Every load syscall is counted with the tracepoints, as in the storm.
out=$1
. /vm/trace.sh
res() { echo "KMODX-RESULT udev_$*" >"$out"; }
rules=$(sed -n 's/.*kmodx\.rules=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -z "$rules" ]; then
    case $(sed -n 's/.*kmodx\.tool=\([^ ]*\).*/\1/p' /proc/cmdline) in
    kmodx) rules=kmodx ;;
    *) rules=stock ;;
    esac
fi
res "rules=$rules"
[ -x /lib/systemd/systemd-udevd ] || { res "error=no systemd-udevd in the initramfs"; exit 1; }
res "udev_version=$(udevadm --version)"

mkdir -p /etc/udev/rules.d
if [ "$rules" = kmodx ]; then
    # The package's default: the preset links kmodx's rules (naming
    # /usr/sbin/kmodx, as in the package) when nothing is there.
    /usr/sbin/kmodx udev preset >/tmp/preset.out 2>&1 || res "error=kmodx udev preset: $(cat /tmp/preset.out)"
    res "override_state=$(/usr/sbin/kmodx udev status | cut -d: -f1)"
    res "override=$(grep -c 'kmodx modprobe' /etc/udev/rules.d/80-drivers.rules)"
fi
# The kernel's own uevent helper would run beside udevd.
[ -w /sys/kernel/uevent_helper ] && echo >/sys/kernel/uevent_helper
res "modules_before=$(wc -l </proc/modules)"

# Milliseconds since boot, from /proc/uptime's centiseconds (busybox's date
# has no sub-second format).
# (A leading 0 in the centiseconds would read as octal.)
uptime_ms() { read -r u _ </proc/uptime; c=${u#*.}; echo $((${u%.*} * 1000 + 10 * ${c#0})); }
trace_start
t0=$(date +%s) t0_ms=$(uptime_ms)
SYSTEMD_LOG_LEVEL=notice /lib/systemd/systemd-udevd --daemon --resolve-names=never \
    2>/tmp/udevd.err || res "error=systemd-udevd did not start"
udevadm trigger --type=subsystems --action=add
udevadm trigger --type=devices --action=add
udevadm settle --timeout="${KMODX_UDEV_SETTLE_S:-300}"
res "settle_exit=$?"
res "settle_s=$(($(date +%s) - t0))"
res "settle_ms=$(($(uptime_ms) - t0_ms))"
# Requests the kernel queued without waiting (request_module_nowait) may
# still be running.
sleep 2
trace_report udev_
trace_dump

# What udev was asked: every device whose add event carries a MODALIAS, i.e.
# one `kmod load` (stock) or one kmodx run (override) each.
udevadm info --export-db >/tmp/udev.db
res "devices=$(grep -c '^P: ' /tmp/udev.db)"
res "modalias_events=$(grep -c '^E: MODALIAS=' /tmp/udev.db)"
res "distinct_modaliases=$(sed -n 's/^E: MODALIAS=//p' /tmp/udev.db | sort -u | wc -l)"
sed -n 's/^E: MODALIAS=//p' /tmp/udev.db | sort | uniq -c | sort -rn | head -n 12 |
    while read -r n a; do res "modalias=$n $a"; done
res "modules_after=$(wc -l </proc/modules)"
res "loaded=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
res "udevd_stderr_lines=$(wc -l </tmp/udevd.err)"
head -n 5 /tmp/udevd.err | while read -r l; do res "udevd_stderr=$l"; done
udevadm control --exit 2>/dev/null

# kmodx's own account of the same boot: who asked for what (requester udev
# for the override's runs, kernel for request_module()).
stats_dump
