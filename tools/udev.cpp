// SPDX-License-Identifier: LGPL-2.1-or-later
// `kmodx udev [status | on | off | preset] [--no-initramfs]`: whether udev's
// device loads run kmodx, and the switch (docs/udev.md, kmodx(8)).
#include "tools.hpp"

#include <kmodx/udev_override.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace kmodx::tools {
namespace {

using udev::OverrideState;

void usage(FILE* out) {
    std::fprintf(out,
                 "Usage: kmodx udev [status | on | off] [--no-initramfs]\n"
                 "\tstatus   whether udev's device loads (80-drivers.rules) run kmodx\n"
                 "\ton       they do: /etc/udev/rules.d/80-drivers.rules links to kmodx's copy\n"
                 "\toff      udev loads them itself: the link points to udev's own file\n"
                 "on and off reload a running udevd and make every initramfs again\n"
                 "(update-initramfs -u -k all), unless --no-initramfs.\n");
}

void print_status(const udev::OverridePaths& p, const udev::OverrideStatus& s) {
    const char* rule = p.rule.c_str();
    switch (s.state) {
        case OverrideState::On:
            std::printf("on: udev's device loads run kmodx (%s -> %s)\n", rule, s.target.c_str());
            break;
        case OverrideState::Off:
            std::printf("off: udev loads device modules itself (%s -> %s); `kmodx udev on` routes them through kmodx\n",
                        rule, s.target.c_str());
            break;
        case OverrideState::Unset:
            std::printf("unset: no %s; udev loads device modules itself; `kmodx udev on` routes them through kmodx\n",
                        rule);
            break;
        case OverrideState::Own:
            std::printf("own: %s is a file of your own%s%s; kmodx leaves it alone\n", rule,
                        s.target.empty() ? "" : " -> ", s.target.c_str());
            break;
    }
}

int fail(std::string_view what, const Error& e) {
    std::fprintf(stderr, "kmodx: udev %.*s: %s\n", static_cast<int>(what.size()), what.data(), e.message().c_str());
    return 1;
}

// Makes a change take effect: udevd now, the initramfs for the next boot.
int apply(bool initramfs) {
    if (auto r = udev::reload_udev(); !r) return fail("reload", r.error());
    else if (*r) std::printf("kmodx: udevd reloaded its rules\n");
    if (!initramfs) {
        std::printf("kmodx: the initramfs keeps its old rules until it is made again (update-initramfs -u -k all)\n");
        return 0;
    }
    std::fflush(stdout);
    if (auto r = udev::rebuild_initramfs(); !r) {
        if (r.error().code == ENOENT) {
            std::printf(
                "kmodx: no update-initramfs here: make the initramfs again yourself for early boot to follow\n");
            return 0;
        }
        return fail("initramfs", r.error());
    }
    return 0;
}

}  // namespace

int udev_main(int argc, char** argv) {
    std::string_view action = "status";
    bool initramfs = true, have_action = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--no-initramfs") {
            initramfs = false;
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (!have_action && (a == "status" || a == "on" || a == "off" || a == "preset")) {
            action = a;
            have_action = true;
        } else {
            std::fprintf(stderr, "kmodx: udev: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 1;
        }
    }
    const auto paths = udev::installed_paths();
    if (action == "status") {
        auto s = udev::override_status(paths);
        if (!s) return fail(action, s.error());
        print_status(paths, *s);
        return 0;
    }
    // Said up front: the refusal would name a temporary link, not why.
    if (::geteuid() != 0) {
        std::fprintf(stderr, "kmodx: udev %.*s needs root: %s is root's (run it with sudo)\n",
                     static_cast<int>(action.size()), action.data(), paths.rule.c_str());
        return 1;
    }
    // preset: the package's default, applied at every install and upgrade;
    // silent unless it turns the override on. The package's trigger makes the
    // initramfs again.
    const auto to = action == "on" ? udev::Switch::On : action == "off" ? udev::Switch::Off : udev::Switch::Preset;
    auto changed = udev::switch_override(paths, to);
    if (!changed) return fail(action, changed.error());
    if (!*changed) {
        if (to == udev::Switch::Preset) return 0;
        std::printf("kmodx: udev's device loads already %s; nothing changed\n",
                    to == udev::Switch::On ? "run kmodx" : "bypass kmodx");
        return 0;
    }
    auto s = udev::override_status(paths);
    if (!s) return fail(action, s.error());
    std::printf("kmodx: ");
    print_status(paths, *s);
    if (to == udev::Switch::Preset) {
        std::printf("kmodx: `kmodx udev off` turns it off (docs/udev.md)\n");
        if (auto r = udev::reload_udev(); !r) return fail("reload", r.error());
        return 0;
    }
    return apply(initramfs);
}

}  // namespace kmodx::tools
