// SPDX-License-Identifier: LGPL-2.1-or-later
// Readers for the kernel's module files under a given sysfs root, shared by
// the production kernel and tests that point them at a scratch directory.
#pragma once

#include <kmodx/kernel.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::sysfs {

Result<std::string> read_file(const std::string& path);
// A file the kernel makes whole on each read (a sysfs attribute such as
// initstate, /proc/PID/stat): one read() of at most 4 KiB, not a second one
// to see the end. A live request reads several; each read is a system call.
Result<std::string> read_attribute(const std::string& path);
std::string_view trim(std::string_view s);

ModuleState module_state(const std::string& sys_module, std::string_view name);
Result<int> refcount(const std::string& sys_module, std::string_view name);
Result<std::vector<std::string>> holders(const std::string& sys_module, std::string_view name);
Result<std::uint64_t> module_instance(const std::string& sys_module, std::string_view name);

// /proc/PID/syscall's text read as a TaskActivity.
TaskActivity task_activity_of(std::string_view syscall_text);
// Field FIELD (numbered as in proc(5), 3 and up: 3 state, 9 flags, 22 start
// time) of /proc/PID/stat's text; nullopt when there is no such field.
std::optional<std::string_view> proc_stat_field(std::string_view stat_text, int field);
// /proc/PID/stat's text: the start time (field 22), nullopt when malformed.
std::optional<std::uint64_t> task_start_of(std::string_view stat_text);

// One line of /proc/modules: "NAME SIZE REFS DEPS STATE ADDRESS [(TAINT)]".
// Views into the text it was read from.
struct ProcModule {
    std::string_view name;
    std::string_view state;  // "Live", "Loading", "Unloading"
    std::string_view taint;  // the flags between the closing parentheses ("OE"), empty if none
};
// Each well-formed line of TEXT (five fields at least) to FN, in order;
// FN returns false to stop.
template <class Fn>
void each_proc_module(std::string_view text, Fn&& fn);
std::optional<ProcModule> parse_proc_module_line(std::string_view line);

template <class Fn>
void each_proc_module(std::string_view text, Fn&& fn) {
    while (!text.empty()) {
        const std::size_t nl = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(std::min(nl + 1, text.size()));
        if (auto m = parse_proc_module_line(line))
            if (!fn(*m)) return;
    }
}

}  // namespace kmodx::sysfs
