// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kernel/sysfs.hpp"

#include "core/dir_entries.hpp"

#include <kmodx/fd.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <charconv>
#include <memory>

namespace kmodx::sysfs {

Result<std::string> read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return failure_errno("open " + path);
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return failure_errno("read " + path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<std::string> read_attribute(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return failure_errno("open " + path);
    char buf[4096];
    ssize_t n;
    do n = ::read(fd.get(), buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0) return failure_errno("read " + path);
    return std::string(buf, static_cast<size_t>(n));
}

std::optional<ProcModule> parse_proc_module_line(std::string_view line) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    std::string_view field[5];
    int n = 0;
    std::size_t at = 0;
    while (n < 5 && at < line.size()) {
        const std::size_t sp = std::min(line.find(' ', at), line.size());
        if (sp > at) field[n++] = line.substr(at, sp - at);
        at = sp + 1;
    }
    if (n < 5) return std::nullopt;
    ProcModule m{field[0], field[4], {}};
    // The taint flags close the line, in parentheses, after the address.
    if (line.ends_with(')')) {
        const std::size_t open = line.rfind('(');
        if (open != std::string_view::npos && open >= at) m.taint = line.substr(open + 1, line.size() - open - 2);
    }
    return m;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

ModuleState module_state(const std::string& sys_module, std::string_view name) {
    const std::string dir = sys_module + "/" + std::string(name);
    auto text = read_attribute(dir + "/initstate");
    if (!text) {
        struct stat st;
        if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return ModuleState::Coming;
        return ModuleState::Absent;
    }
    const std::string_view state = trim(*text);
    if (state == "live") return ModuleState::Live;
    if (state == "coming") return ModuleState::Coming;
    if (state == "going") return ModuleState::Going;
    return ModuleState::Absent;
}

Result<std::uint64_t> module_instance(const std::string& sys_module, std::string_view name) {
    const std::string dir = sys_module + "/" + std::string(name);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return failure_errno("stat " + dir);
    if (!S_ISDIR(st.st_mode)) return failure(ENOTDIR, dir);
    return static_cast<std::uint64_t>(st.st_ino);
}

Result<int> refcount(const std::string& sys_module, std::string_view name) {
    auto text = read_attribute(sys_module + "/" + std::string(name) + "/refcnt");
    if (!text) return std::unexpected(text.error());
    const std::string_view v = trim(*text);
    int n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) return failure(EINVAL, "refcnt of " + std::string(name));
    return n;
}

Result<std::vector<std::string>> holders(const std::string& sys_module, std::string_view name) {
    const std::string dir = sys_module + "/" + std::string(name) + "/holders";
    std::vector<std::string> out;
    auto listed = dir_entries::each_in(dir.c_str(), [&](std::string_view n) {
        out.emplace_back(n);
        return true;
    });
    if (!listed) return failure(listed.error().code, "opendir " + dir);
    // Directory order, unsorted: kmod walks holders in this order and
    // removes them last first, and drop-in output must follow it.
    return out;
}

TaskActivity task_activity_of(std::string_view text) {
    // "NR arg1 ... arg6 sp pc" while blocked in syscall NR, "-1 sp pc" while
    // blocked outside any (stopped in user space, say), "running" while
    // runnable: only a task that sleeps can be looked at.
    text = trim(text);
    if (text == "running") return TaskActivity::Running;
    long nr = -1;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), nr);
    if (parsed.ec != std::errc{} || (parsed.ptr != text.data() + text.size() && *parsed.ptr != ' '))
        return TaskActivity::Other;
    return nr == SYS_finit_module || nr == SYS_init_module ? TaskActivity::InLoadCall : TaskActivity::Other;
}

std::optional<std::string_view> proc_stat_field(std::string_view text, int field) {
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses of
    // its own (a user names their process as they like), so fields are
    // counted from the last ')', which ends field 2.
    const std::size_t close = text.rfind(')');
    if (close == std::string_view::npos || field < 3) return std::nullopt;
    text.remove_prefix(close + 1);
    for (int f = 3;; ++f) {
        const std::size_t start = text.find_first_not_of(" \n");
        if (start == std::string_view::npos) return std::nullopt;
        text.remove_prefix(start);
        const std::size_t end = std::min(text.find_first_of(" \n"), text.size());
        if (f == field) return text.substr(0, end);
        text.remove_prefix(end);
    }
}

std::optional<std::uint64_t> task_start_of(std::string_view text) {
    const auto word = proc_stat_field(text, 22);
    std::uint64_t v = 0;
    if (!word || std::from_chars(word->data(), word->data() + word->size(), v).ptr != word->data() + word->size() ||
        word->empty())
        return std::nullopt;
    return v;
}

}  // namespace kmodx::sysfs
