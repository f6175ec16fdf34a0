// SPDX-License-Identifier: LGPL-2.1-or-later
// Whether udev's device loads run kmodx (docs/udev.md), and the switch.
// udev loads a device's driver with its builtin `kmod load` (80-drivers.rules'
// MODALIAS line), inside its own workers, where kmodx's locks never see it;
// kmodx's copy of that file runs `kmodx modprobe -bq MODALIAS` instead.
//
// The state is the file udev itself reads, /etc/udev/rules.d/80-drivers.rules,
// which replaces the rules file of the same name in udev's own directory:
//   on    - a symlink to kmodx's copy (<datadir>/kmodx/udev/80-drivers.rules);
//   off   - a symlink to udev's own file: the builtin loads, and the choice is
//           kept, since the package's preset leaves anything there alone;
//   unset - nothing there: udev's own rules (the package's preset turns it on);
//   own   - anything else is the admin's own file, never touched.
// initramfs-tools' udev hook copies that file, followed, into the initramfs.
#pragma once

#include <kmodx/result.hpp>

#include <string>
#include <vector>

namespace kmodx::udev {

struct OverridePaths {
    std::string rule;                // /etc/udev/rules.d/80-drivers.rules
    std::string ours;                // kmodx's copy
    std::vector<std::string> stock;  // udev's own copy: the first that exists
};
// Where an installed kmodx and udev keep them.
OverridePaths installed_paths();

enum class OverrideState { Unset, On, Off, Own };
const char* state_name(OverrideState s);  // "unset", "on", "off", "own"

struct OverrideStatus {
    OverrideState state = OverrideState::Unset;
    std::string target;  // what the symlink points to; empty when not a symlink
};
Result<OverrideStatus> override_status(const OverridePaths& p);

enum class Switch {
    On,
    Off,
    Preset,  // On, but only when the state is unset: the package's default
};
// Sets the state with one rename(), so udev never reads a missing file.
// Returns whether anything changed. The admin's own file is refused (EEXIST),
// and so is a link to a file that is not there (ENOENT): a dangling link in
// /etc would hide udev's own rules and no device module would load.
Result<bool> switch_override(const OverridePaths& p, Switch to);

// After a switch, the two places that read the file. A running udevd reads its
// rules again (`udevadm control --reload`); without one (a chroot, an image
// build) there is nothing to do and it returns false.
Result<bool> reload_udev();
// Every initramfs is made again (`update-initramfs -u -k all`), so early boot
// follows the choice too. ENOENT: no initramfs-tools here.
Status rebuild_initramfs();

}  // namespace kmodx::udev
