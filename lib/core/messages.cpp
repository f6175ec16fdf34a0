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

std::string removal_refused(Tool tool, Refusal why, std::string_view module,
                            const std::vector<std::string>& holders) {
    std::string text = "Module " + std::string(module);
    bool rmmod = tool == Tool::Rmmod;
    switch (why) {
    case Refusal::Builtin: return text + " is builtin.\n";
    case Refusal::NotLoaded:
        return text + (rmmod ? " is not currently loaded\n" : " is not in kernel.\n");
    case Refusal::InUse:
        if (!rmmod) return text + " is in use.\n";
        if (holders.empty()) return text + " is in use\n";
        text += " is in use by:";
        for (const auto& h : holders) text += " " + h;
        return text + "\n";
    }
    return text + "\n";
}

}  // namespace kmodx::messages
