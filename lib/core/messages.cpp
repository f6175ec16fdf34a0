// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/kmod_compat.hpp>
#include <kmodx/messages.hpp>

#include <cerrno>
#include <cstring>

namespace kmodx::messages {

std::string insert_reason(Tool tool, int err) {
    switch (tool) {
        case Tool::Modprobe:
            switch (err) {
                case EEXIST: return "Module already in kernel";
                case ENOENT: return "Unknown symbol in module, or unknown parameter (see dmesg)";
            }
            break;
        case Tool::Insmod:
            switch (err) {
                case ENOEXEC: return "Invalid module format";
                case ENOENT: return "Unknown symbol in module";
                case ESRCH: return "Module has wrong symbol version";
                case EINVAL: return "Invalid parameters";
            }
            break;
        case Tool::Rmmod: break;
    }
    return std::strerror(err);
}

std::string remove_reason(Tool, int err) { return std::strerror(err); }

std::string insert_failed(Tool tool, std::string_view module, int err) {
    std::string m(module);
    if (tool == Tool::Insmod) return "could not insert module " + m + ": " + insert_reason(tool, err) + "\n";
    return "could not insert '" + m + "': " + insert_reason(tool, err) + "\n";
}

std::string remove_failed(Tool tool, std::string_view module, int err) {
    std::string m(module);
    if (tool == Tool::Rmmod) return "could not remove module " + m + ": " + remove_reason(tool, err) + "\n";
    return "could not remove '" + m + "': " + remove_reason(tool, err) + "\n";
}

std::string removal_refused(Tool tool, Refusal why, std::string_view module, const std::vector<std::string>& holders) {
    std::string text = "Module " + std::string(module);
    bool rmmod = tool == Tool::Rmmod;
    switch (why) {
        case Refusal::Builtin: return text + " is builtin.\n";
        case Refusal::NotLoaded: return text + (rmmod ? " is not currently loaded\n" : " is not in kernel.\n");
        case Refusal::InUse:
            if (!rmmod) return text + " is in use.\n";
            if (holders.empty()) return text + " is in use\n";
            text += " is in use by:";
            for (const auto& h : holders) text += " " + h;
            return text + "\n";
    }
    return text + "\n";
}

namespace {
// Where libkmod logged these, as kmod 30's debug build prints it; kmod 34.2 on
// Debian 13 is built without debug messages and prints no location.
constexpr std::string_view kRemoveModuleOrigin =
    kmod34 ? "" : "../libkmod/libkmod-module.c:856 kmod_module_remove_module() ";
constexpr std::string_view kCommandDoOrigin = kmod34 ? "" : "../libkmod/libkmod-module.c:1047 command_do() ";
}  // namespace

std::string libkmod_remove_failed(std::string_view module, int err) {
    return std::string(kRemoveModuleOrigin) + remove_failed(Tool::Modprobe, module, err);
}

int load_errno(const Error& e, Compression format) {
    const bool kernel_said = e.context == "finit_module" || e.context == "init_module";
    if (kernel_said || format == Compression::None) return e.code;
    if (e.code != EBADMSG && e.code != EFBIG) return e.code;
    // kmod 34.2's decompressors answer EINVAL for every failure.
    if constexpr (kmod34) return EINVAL;
    return format == Compression::Xz ? EINVAL : ENOEXEC;
}

std::string module_not_found(std::string_view name) { return "Module " + std::string(name) + " not found.\n"; }

std::string module_not_found_in(std::string_view name, std::string_view dir) {
    return "Module " + std::string(name) + " not found in directory " + std::string(dir) + "\n";
}

std::string remove_command_failed(std::string_view module) {
    return "Error running remove command for " + std::string(module) + "\n";
}

std::string install_command_unrunnable(std::string_view command, std::string_view module, int err) {
    return std::string(kCommandDoOrigin) + "Could not run install command '" + std::string(command) + "' for module " +
           std::string(module) + ": " + std::strerror(err) + "\n";
}

std::string install_command_failed(std::string_view command, std::string_view module, int retcode) {
    return std::string(kCommandDoOrigin) + "Error running install command '" + std::string(command) + "' for module " +
           std::string(module) + ": retcode " + std::to_string(retcode) + "\n";
}

std::string fact_unavailable(ModuleFact what, std::string_view module, int err) {
    const std::string m(module);
    const std::string why = std::string(": ") + std::strerror(err) + "\n";
    switch (what) {
        case ModuleFact::Softdeps: return "could not get softdeps of '" + m + "'" + why;
        case ModuleFact::Modversions: return "could not get modversions of " + m + why;
        case ModuleFact::Symbols: return "could not get symbols of " + m + why;
    }
    return m + why;
}

}  // namespace kmodx::messages
