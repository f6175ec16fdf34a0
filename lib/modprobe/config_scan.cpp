#include "modprobe/config_scan.hpp"

#include <kmodx/fd.hpp>
#include <kmodx/module_name.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

namespace kmodx::modprobe {
namespace {

// libkmod 30's modprobe.d directories, and /usr/lib/modprobe.d: a file there
// that libkmod does not read can only send us the full way, never wrong.
constexpr const char* kConfigDirs[] = {"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                       "/lib/modprobe.d", "/usr/lib/modprobe.d"};

bool pattern_matches(const std::string& pattern, const std::string& name) {
    return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0 ||
           ::fnmatch(canonical_module_name(pattern).c_str(), name.c_str(), 0) == 0;
}

// One logical line: its command and the module pattern after it.
bool line_affects(std::string_view l, const ConfigQuery& q) {
    const char* ws = " \t\r\v\f";
    auto word = [&]() {
        std::size_t b = l.find_first_not_of(ws);
        if (b == std::string_view::npos) return std::string_view{};
        l.remove_prefix(b);
        std::size_t e = std::min(l.find_first_of(ws), l.size());
        std::string_view w = l.substr(0, e);
        l.remove_prefix(e);
        return w;
    };
    const std::string_view cmd = word();
    const std::string pattern(word());
    if (pattern.empty()) return false;
    if (cmd == "alias") return pattern_matches(pattern, q.target);
    // A lookup that gets as far as the commands finds a name in an install
    // or a remove command too.
    if ((cmd == "install" || cmd == "remove") && q.through_commands && pattern_matches(pattern, q.target)) return true;
    // Otherwise "remove" only acts on -r; anything else libkmod ignores.
    if (cmd != "options" && cmd != "install" && cmd != "softdep" && cmd != "blacklist") return false;
    return std::any_of(q.modules.begin(), q.modules.end(), [&](const std::string& m) { return pattern_matches(pattern, m); });
}

std::optional<std::string> read_small_file(int dirfd, const char* name) {
    UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return std::nullopt;
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return std::nullopt;
    // A link to /dev/null masks a file of the same name further down the
    // search path (systemd's convention): libkmod reads it as empty.
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) return std::string();
    if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)) return std::nullopt;
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        got += static_cast<std::size_t>(n);
    }
    return text;
}

bool config_file_name(const char* n) {
    std::string_view s(n);
    return s[0] != '.' && (s.ends_with(".conf") || s.ends_with(".alias"));
}

}  // namespace

bool config_text_affects(std::string_view text, const ConfigQuery& q) {
    std::string line;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t nl = std::min(text.find('\n', at), text.size());
        std::string_view part = text.substr(at, nl - at);
        at = nl + 1;
        if (part.ends_with('\\')) {  // continued on the next line
            line.append(part.substr(0, part.size() - 1));
            continue;
        }
        line.append(part);
        if (line_affects(line, q)) return true;
        line.clear();
    }
    return !line.empty() && line_affects(line, q);
}

bool config_text_aliases(std::string_view text, const std::string& name) {
    return config_text_affects(text, ConfigQuery{name, {}});
}

bool config_may_affect(const ConfigQuery& q, const std::string& module_dir) {
    for (const char* dir : kConfigDirs) {
        std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir), ::closedir);
        if (!d) {
            if (errno == ENOENT) continue;
            return true;  // a file in place of the directory, or unreadable
        }
        while (struct dirent* e = ::readdir(d.get())) {
            if (!config_file_name(e->d_name)) continue;
            auto text = read_small_file(::dirfd(d.get()), e->d_name);
            if (!text || config_text_affects(*text, q)) return true;
        }
    }
    if (q.modules.empty()) return false;
    // depmod's softdeps from the modules' own modinfo, which libkmod reads as config.
    UniqueFd dir(::open(module_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return true;
    auto text = read_small_file(dir.get(), "modules.softdep");
    if (!text) return errno != ENOENT;
    return config_text_affects(*text, q);
}

bool cmdline_may_affect(std::string_view cmdline, const std::vector<std::string>& modules) {
    const std::string line = canonical_module_name(std::string(cmdline));
    return std::any_of(modules.begin(), modules.end(),
                       [&](const std::string& m) { return line.find(m + ".") != std::string::npos; });
}

bool cmdline_may_blacklist(std::string_view cmdline, const std::vector<std::string>& modules) {
    const std::string line = canonical_module_name(std::string(cmdline));
    if (line.find("modprobe.blacklist") == std::string::npos) return false;
    return std::any_of(modules.begin(), modules.end(),
                       [&](const std::string& m) { return line.find(m) != std::string::npos; });
}

}  // namespace kmodx::modprobe
