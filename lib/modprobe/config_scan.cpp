// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/config_scan.hpp"

#include "core/dir_entries.hpp"
#include "modprobe/config_words.hpp"

#include <kmodx/fd.hpp>
#include <kmodx/kmod_compat.hpp>
#include <kmodx/module_name.hpp>

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

namespace kmodx::modprobe {
namespace {

// libkmod 30's modprobe.d directories, and /usr/lib/modprobe.d: a file there
// that libkmod does not read can only send us the full way, never wrong.
constexpr const char* kConfigDirs[] = {"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                       "/lib/modprobe.d", "/usr/lib/modprobe.d"};
// The one libkmod 30 does not read (kmod 34.2 does).
constexpr std::string_view kDistDir = "/usr/lib/modprobe.d";
constexpr const char* kSoftdepFile = "modules.softdep";

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
    if (cmd == "softdep" && q.softdeps_planned) return false;
    // A lookup that gets as far as the commands finds a name in an install
    // or a remove command too.
    if ((cmd == "install" || cmd == "remove") && q.through_commands && pattern_matches(pattern, q.target)) return true;
    // Otherwise "remove" only acts on -r; anything else libkmod ignores.
    if (cmd != "options" && cmd != "install" && cmd != "softdep" && cmd != "blacklist") return false;
    return std::any_of(q.modules.begin(), q.modules.end(),
                       [&](const std::string& m) { return pattern_matches(pattern, m); });
}

// A line libkmod's config parser reports as an error when it builds its
// context, whatever the command line, -q included ("ignoring bad line
// starting with ...", "command include is deprecated ..."). An answer made
// without libkmod would leave that line out of stderr.
bool libkmod_complains(std::string_view l) {
    if (l.empty() || l.front() == '#') return false;
    bool ended = false;
    const std::string_view cmd = next_config_word(l, ended);
    if (cmd.empty()) return false;
    const auto name = [&] {
        const std::string_view w = next_config_word(l, ended);
        return !w.empty() && libkmod_underscores(w).has_value();
    };
    if (cmd == "alias") return !(name() && name());
    if (cmd == "blacklist") return !name();
    // The command's text is the rest of the line after one separator.
    const bool with_text =
        cmd == "options" || cmd == "install" || cmd == "remove" || cmd == "softdep" || (kmod34 && cmd == "weakdep");
    if (with_text) return !(name() && !l.empty());
    return true;  // include, config (deprecated) and anything unknown
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

bool any_config_line(std::string_view text, const std::function<bool(std::string_view)>& fn) {
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
        if (fn(line)) return true;
        line.clear();
    }
    return !line.empty() && fn(line);
}

bool config_text_affects(std::string_view text, const ConfigQuery& q) {
    return any_config_line(text, [&](std::string_view l) { return libkmod_complains(l) || line_affects(l, q); });
}

ConfigFile config_file(std::string name, std::string text, bool read_as_is) {
    ConfigFile f{std::move(name), std::move(text), read_as_is};
    f.complains = any_config_line(f.text, libkmod_complains);
    return f;
}

bool config_text_aliases(std::string_view text, const std::string& name) {
    return config_text_affects(text, ConfigQuery{name, {}});
}

std::optional<std::vector<ConfigFile>> read_config_files(const std::string& module_dir, bool with_softdep_file) {
    std::vector<ConfigFile> files;
    std::set<std::string> names;
    std::set<std::string> repeated;
    for (const char* dir : kConfigDirs) {
        UniqueFd d(::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d) {
            if (errno == ENOENT) continue;
            return std::nullopt;  // a file in place of the directory, or unreadable
        }
        const bool libkmod_dir = std::string_view(dir) != kDistDir;
        bool read_all = true;
        auto listed = dir_entries::each(d.get(), [&](std::string_view name) {
            // Names in a getdents record end in a NUL.
            if (!config_file_name(name.data())) return true;
            auto text = read_small_file(d.get(), name.data());
            if (!text) return read_all = false;
            ConfigFile f = config_file(std::string(name), std::move(*text), libkmod_dir && name.ends_with(".conf"));
            if (!names.insert(f.name).second) repeated.insert(f.name);
            files.push_back(std::move(f));
            return true;
        });
        if (!listed || !read_all) return std::nullopt;
    }
    if (with_softdep_file) {
        // depmod's softdeps from the modules' own modinfo, which libkmod reads as config.
        UniqueFd dir(::open(module_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) return std::nullopt;
        auto text = read_small_file(dir.get(), kSoftdepFile);
        if (!text && errno != ENOENT) return std::nullopt;
        if (text) {
            if (!names.insert(kSoftdepFile).second) repeated.insert(kSoftdepFile);
            files.push_back(config_file(kSoftdepFile, std::move(*text), true));
        }
    }
    for (ConfigFile& f : files)
        if (repeated.contains(f.name)) f.read_as_is = false;
    return files;
}

bool config_files_affect(const std::vector<ConfigFile>& files, const ConfigQuery& q) {
    return std::any_of(files.begin(), files.end(), [&](const ConfigFile& f) {
        return f.complains || any_config_line(f.text, [&](std::string_view l) { return line_affects(l, q); });
    });
}

bool config_may_affect(const ConfigQuery& q, const std::string& module_dir) {
    auto files = read_config_files(module_dir, !q.modules.empty());
    return !files || config_files_affect(*files, q);
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
