// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/requester.hpp"

#include "core/self.hpp"
#include "kernel/sysfs.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <array>
#include <optional>
#include <cstdlib>
#include <string_view>

extern char** environ;

namespace kmodx::stats {
namespace {

constexpr std::array<std::string_view, 3> kKernelEnv = {"HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"};

// Variables a process can carry without its caller having chosen them: the
// dynamic loader's (LD_PRELOAD of a sanitizer or of the simulated kernel),
// the simulated kernel's own, and those a shell exports by itself (a wrapper
// script named in /proc/sys/kernel/modprobe, or simrun). request_module()
// sets none of them; ignoring them lets a wrapper and the simulated kernel
// keep the kernel rule.
bool injected(std::string_view var) {
    return var.starts_with("LD_") || var.starts_with("SIMKERNEL_") || var.starts_with("PWD=") ||
           var.starts_with("OLDPWD=") || var.starts_with("SHLVL=") || var.starts_with("_=");
}

bool kernel_call(const RequesterFacts& f) {
    if (f.argv.size() != 4 || f.argv[1] != "-q" || f.argv[2] != "--" || f.argv[3].empty()) return false;
    std::vector<std::string_view> env;
    for (const auto& v : f.env)
        if (!injected(v)) env.push_back(v);
    if (env.size() != kKernelEnv.size()) return false;
    return std::ranges::all_of(kKernelEnv, [&](std::string_view k) { return std::ranges::find(env, k) != env.end(); });
}

// NAME's value in the environment, nullopt when it is not set.
std::optional<std::string_view> var(const RequesterFacts& f, std::string_view name) {
    for (const std::string& v : f.env)
        if (v.size() > name.size() && v.starts_with(name) && v[name.size()] == '=')
            return std::string_view(v).substr(name.size() + 1);
    return std::nullopt;
}

bool has_var(const RequesterFacts& f, std::string_view name) { return var(f, name).has_value(); }

std::vector<std::string> split_nul(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos < text.size();) {
        const auto nul = std::min(text.find('\0', pos), text.size());
        if (nul > pos) out.emplace_back(text.substr(pos, nul - pos));
        pos = nul + 1;
    }
    return out;
}

// The kernel's call is recognised by HOME=/ and TERM=linux first: only such
// a process keeps its argv and exec'd environment (copying costs the rest
// nothing).
bool may_be_kernel_call() {
    const char* home = std::getenv("HOME");
    const char* term = std::getenv("TERM");
    return home && term && std::string_view(home) == "/" && std::string_view(term) == "linux";
}

struct Invocation {
    bool kernel_possible = false;
    std::vector<std::string> argv;
    std::vector<std::string> env;
};

std::optional<Invocation>& invocation() {
    static std::optional<Invocation> inv;
    return inv;
}

}  // namespace

void remember_invocation(int argc, char** argv) {
    Invocation inv;
    inv.kernel_possible = may_be_kernel_call();
    if (inv.kernel_possible) {
        for (int i = 0; i < argc && argv[i]; ++i) inv.argv.emplace_back(argv[i]);
        for (char** e = environ; e && *e; ++e) inv.env.emplace_back(*e);
    }
    invocation() = std::move(inv);
}

Requester classify(const RequesterFacts& f) {
    if ((f.parent_known && (f.parent_flags & kPfKthread)) || kernel_call(f)) return Requester::Kernel;
    if (has_var(f, "SEQNUM") || has_var(f, "ACTION") || has_var(f, "DEVPATH") || f.parent_comm == "(udev-worker)" ||
        f.parent_comm == "systemd-udevd")
        return Requester::Udev;
    // Pid 1 is systemd only when it says so: in an initramfs-tools initramfs
    // (or under sysvinit) it is a shell script named init.
    if (has_var(f, "INVOCATION_ID") || (f.parent_pid == 1 && f.parent_comm == "systemd")) return Requester::Systemd;
    if (f.at_terminal) return Requester::User;
    return Requester::Other;
}

UdevDevice udev_device(const RequesterFacts& f) {
    UdevDevice d;
    if (auto path = var(f, "DEVPATH")) d.devpath.assign(*path);
    if (auto alias = var(f, "MODALIAS")) d.modalias.assign(*alias);
    if (auto seq = var(f, "SEQNUM")) {
        std::uint64_t n = 0;
        const auto r = std::from_chars(seq->data(), seq->data() + seq->size(), n);
        if (r.ec == std::errc{} && r.ptr == seq->data() + seq->size()) d.seqnum = n;
    }
    return d;
}

bool parse_proc_stat(std::string_view text, std::string& comm, unsigned long& flags) {
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
    comm.assign(text.substr(open + 1, close - open - 1));
    const auto word = sysfs::proc_stat_field(text, 9);  // flags
    if (!word || word->empty()) return false;
    const auto parsed = std::from_chars(word->data(), word->data() + word->size(), flags);
    return parsed.ec == std::errc{} && parsed.ptr == word->data() + word->size();
}

RequesterFacts gather_requester_facts() {
    RequesterFacts f;
    for (char** e = environ; e && *e; ++e) f.env.emplace_back(*e);
    // Only a process that may be the kernel's call needs its argv and the
    // environment as exec'd (kmodx sets MODPROBE_OPTIONS and the like for
    // its children, which say nothing about who called it); the rest save
    // the two reads, and a process that remembered its invocation reads nothing.
    if (const auto& inv = invocation()) {
        if (inv->kernel_possible) {
            f.argv = inv->argv;
            f.env = inv->env;
        }
    } else if (may_be_kernel_call()) {
        f.argv = split_nul(sysfs::read_file("/proc/self/cmdline").value_or(""));
        f.env = split_nul(sysfs::read_file("/proc/self/environ").value_or(""));
    }
    f.parent_pid = ::getppid();
    const std::string stat = sysfs::read_attribute("/proc/" + std::to_string(f.parent_pid) + "/stat").value_or("");
    f.parent_known = parse_proc_stat(stat, f.parent_comm, f.parent_flags);
    f.at_terminal = self::at_terminal();
    return f;
}

}  // namespace kmodx::stats
