// SPDX-License-Identifier: LGPL-2.1-or-later
// The udev override's switch (include/kmodx/udev_override.hpp).
#include <kmodx/udev_override.hpp>

#include "kmodx_config.h"

#include <kmodx/fd.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace kmodx::udev {
namespace {

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Creates DIR and its missing parents (0755, as udev's package makes them).
Status make_dirs(const std::string& dir) {
    for (std::size_t at = 1; at <= dir.size(); ++at) {
        if (at != dir.size() && dir[at] != '/') continue;
        const std::string part = dir.substr(0, at);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return failure_errno("mkdir " + part);
    }
    return {};
}

// RULE becomes a symlink to TARGET in one rename(): udev, which may read the
// directory at any moment, sees the old file or the new one, never neither.
Status place_link(const std::string& rule, const std::string& target) {
    const auto slash = rule.rfind('/');
    const std::string dir = slash == 0 ? "/" : rule.substr(0, slash);
    const std::string name = rule.substr(slash + 1);
    if (auto made = make_dirs(dir); !made) return made;
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) return failure_errno("open " + dir);
    // Not ending in ".rules": udev skips it while it exists.
    const std::string tmp = "." + name + ".kmodx-" + std::to_string(::getpid());
    ::unlinkat(dfd.get(), tmp.c_str(), 0);
    if (::symlinkat(target.c_str(), dfd.get(), tmp.c_str()) != 0) return failure_errno("symlink " + dir + "/" + tmp);
    if (::renameat(dfd.get(), tmp.c_str(), dfd.get(), name.c_str()) != 0) {
        auto err = failure_errno("rename " + dir + "/" + tmp + " to " + rule);
        ::unlinkat(dfd.get(), tmp.c_str(), 0);
        return err;
    }
    return {};
}

}  // namespace

OverridePaths installed_paths() {
    return {"/etc/udev/rules.d/80-drivers.rules",
            std::string(KMODX_DATADIR) + "/kmodx/udev/80-drivers.rules",
            {"/usr/lib/udev/rules.d/80-drivers.rules", "/lib/udev/rules.d/80-drivers.rules"}};
}

const char* state_name(OverrideState s) {
    switch (s) {
        case OverrideState::On: return "on";
        case OverrideState::Off: return "off";
        case OverrideState::Own: return "own";
        case OverrideState::Unset: break;
    }
    return "unset";
}

Result<OverrideStatus> override_status(const OverridePaths& p) {
    struct stat st {};
    if (::lstat(p.rule.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return OverrideStatus{};
        return failure_errno("lstat " + p.rule);
    }
    if (!S_ISLNK(st.st_mode)) return OverrideStatus{OverrideState::Own, {}};
    std::string target(4096, '\0');
    const ssize_t n = ::readlink(p.rule.c_str(), target.data(), target.size());
    if (n < 0) return failure_errno("readlink " + p.rule);
    target.resize(static_cast<std::size_t>(n));
    OverrideState state = OverrideState::Own;
    if (target == p.ours) state = OverrideState::On;
    else if (std::ranges::find(p.stock, target) != p.stock.end()) state = OverrideState::Off;
    return OverrideStatus{state, std::move(target)};
}

Result<bool> switch_override(const OverridePaths& p, Switch to) {
    auto now = override_status(p);
    if (!now) return std::unexpected(now.error());
    if (now->state == OverrideState::Own)
        return failure(EEXIST, p.rule + " is not kmodx's: a file of your own, left alone (remove it first)");
    if (to == Switch::Preset && now->state != OverrideState::Unset) return false;
    const bool on = to != Switch::Off;
    if (now->state == (on ? OverrideState::On : OverrideState::Off)) return false;
    std::string target;
    if (on) {
        if (!is_file(p.ours)) return failure(ENOENT, "kmodx's udev rules " + p.ours);
        target = p.ours;
    } else {
        for (const auto& s : p.stock)
            if (is_file(s)) {
                target = s;
                break;
            }
        if (target.empty()) return failure(ENOENT, "udev's own 80-drivers.rules");
    }
    if (auto placed = place_link(p.rule, target); !placed) return std::unexpected(placed.error());
    return true;
}

}  // namespace kmodx::udev
