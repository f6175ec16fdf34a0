// SPDX-License-Identifier: LGPL-2.1-or-later
// Who asked for this invocation (docs/stats.md "Who asked"): the kernel's request_module(),
// udev, systemd, a user at a terminal, or something else. Decided from facts
// gathered once per process, and only when a record is written, so the
// already-live fast path pays for it only when it records.
#pragma once

#include <kmodx/stats.hpp>

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kmodx::stats {

struct RequesterFacts {
    std::vector<std::string> argv;  // as exec'd (argv[0] included)
    std::vector<std::string> env;   // "NAME=value", in order
    pid_t parent_pid = 0;
    std::string parent_comm;         // from /proc/PPID/stat, without the parentheses
    bool parent_known = false;       // /proc/PPID/stat was readable
    unsigned long parent_flags = 0;  // its flags field (PF_*)
    bool at_terminal = false;        // self::at_terminal(): a person's session
};

inline constexpr unsigned long kPfKthread = 0x00200000;

// The rules, first match wins (the kernel's own call and environment are
// call_modprobe()'s, in the kernel's kmod.c):
//   kernel  - the parent is a kernel thread, or argv is exactly
//             {x, "-q", "--", NAME} with exactly the kernel's environment
//             (HOME=/ TERM=linux PATH=/sbin:/usr/sbin:/bin:/usr/bin);
//   udev    - SEQNUM, ACTION or DEVPATH in the environment, or the parent is
//             "(udev-worker)" / "systemd-udevd";
//   systemd - INVOCATION_ID set, or the parent is pid 1;
//   user    - stdin or stderr is the session's controlling terminal (a
//             person's shell; not /dev/console, which boot scripts share);
//   other   - anything else.
Requester classify(const RequesterFacts& facts);

// The device a request from udev is for: DEVPATH, SEQNUM and MODALIAS as udev
// sets them for a RUN program. Empty and 0 where absent; a SEQNUM that is not
// a number is left out rather than guessed.
struct UdevDevice {
    std::string devpath;
    std::uint64_t seqnum = 0;
    std::string modalias;
};
UdevDevice udev_device(const RequesterFacts& facts);

// Parses /proc/PID/stat text: comm (between the first '(' and the last ')',
// which may itself hold spaces and parentheses) and the flags field.
bool parse_proc_stat(std::string_view text, std::string& comm, unsigned long& flags);

// The facts of this process: getppid() and its /proc/PPID/stat, whether a
// person is at its terminal, the environment; and when HOME=/ and TERM=linux say it may
// be the kernel's call, argv and the environment as exec'd: those main()
// handed to remember_invocation(), else read from /proc/self/cmdline and
// /proc/self/environ (whatever the process set since). Otherwise
// argv stays empty.
RequesterFacts gather_requester_facts();

}  // namespace kmodx::stats
