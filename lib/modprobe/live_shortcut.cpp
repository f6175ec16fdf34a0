#include "modprobe/live_shortcut.hpp"

#include "core/module_index.hpp"
#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <kmodx/fd.hpp>
#include <kmodx/log.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace kmodx::modprobe {
namespace {

// libkmod 30's modprobe.d directories, and /usr/lib/modprobe.d: a file there
// that libkmod does not read can only send us the full way, never wrong.
constexpr const char* kConfigDirs[] = {"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                       "/lib/modprobe.d", "/usr/lib/modprobe.d"};

// Module names as depmod writes them; anything else (aliases with ':' or
// '*', paths) is for libkmod.
bool plain_name(std::string_view s) {
    return !s.empty() && s.size() < 256 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// The options of the kernel's call and nothing that changes its answer.
bool kernel_style_call(const Options& o) {
    return o.action == Action::Insert && !o.all && o.args.size() == 1 && o.extra_options.empty() && o.quiet &&
           o.verbosity < LOG_ERR && !o.first_time && !o.ignore_loaded && !o.show && !o.dry_run &&
           o.config_paths.empty() && o.dirname.empty() && o.kversion.empty() && plain_name(o.args[0]);
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

// Whether some modprobe.d file could alias NAME; true too when one could
// not be read (libkmod would skip it, but we cannot tell what it says).
bool config_may_alias(const std::string& name) {
    for (const char* dir : kConfigDirs) {
        std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir), ::closedir);
        if (!d) {
            if (errno == ENOENT) continue;
            return true;  // a file in place of the directory, or unreadable
        }
        while (struct dirent* e = ::readdir(d.get())) {
            if (!config_file_name(e->d_name)) continue;
            auto text = read_small_file(::dirfd(d.get()), e->d_name);
            if (!text || config_text_aliases(*text, name)) return true;
        }
    }
    return false;
}

std::string normalised(std::string s) {
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
}

}  // namespace

bool config_text_aliases(std::string_view text, const std::string& name) {
    std::string line;
    auto check = [&]() {
        const char* ws = " \t\r\v\f";
        std::string_view l(line);
        auto word = [&]() {
            std::size_t b = l.find_first_not_of(ws);
            if (b == std::string_view::npos) return std::string_view{};
            l.remove_prefix(b);
            std::size_t e = std::min(l.find_first_of(ws), l.size());
            std::string_view w = l.substr(0, e);
            l.remove_prefix(e);
            return w;
        };
        std::string_view cmd = word();
        if (cmd != "alias") return false;
        std::string pattern(word());
        if (pattern.empty()) return false;
        return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0 ||
               ::fnmatch(normalised(pattern).c_str(), name.c_str(), 0) == 0;
    };
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
        if (check()) return true;
        line.clear();
    }
    return !line.empty() && check();
}

std::optional<int> live_shortcut(const Options& opts, Kernel& kernel) {
    if (!kernel_style_call(opts)) return std::nullopt;
    const std::string name = normalised(opts.args[0]);
    // Cheapest first: a module that is not live needs libkmod anyway.
    if (kernel.module_state(name) != ModuleState::Live) return std::nullopt;
    struct utsname u;
    if (::uname(&u) < 0) return std::nullopt;
    auto indexed = module_index::file_contains(std::string("/lib/modules/") + u.release + "/modules.dep.bin", name);
    if (!indexed || !*indexed) return std::nullopt;
    // kmod's lookup tries modprobe.d aliases before modules.dep.
    if (config_may_alias(name)) return std::nullopt;
    stats::record(stats::simple_event("modprobe", name, stats::Outcome::AlreadyLive));
    return 0;
}

}  // namespace kmodx::modprobe
