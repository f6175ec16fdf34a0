// SPDX-License-Identifier: LGPL-2.1-or-later
// Making a switch of the udev override take effect (include/kmodx/udev_override.hpp).
#include <kmodx/udev_override.hpp>

#include "core/run_program.hpp"

#include <unistd.h>

namespace kmodx::udev {
namespace {

Status run(const std::vector<std::string>& argv) {
    auto rc = run_program(argv);
    if (!rc) return std::unexpected(rc.error());
    if (*rc != 0) return failure(EIO, argv[0] + " exited " + std::to_string(*rc));
    return {};
}

}  // namespace

Result<bool> reload_udev() {
    // udevd's control socket: there only while it runs.
    if (::access("/run/udev/control", F_OK) != 0) return false;
    if (auto done = run({"udevadm", "control", "--reload"}); !done) return std::unexpected(done.error());
    return true;
}

Status rebuild_initramfs() { return run({"update-initramfs", "-u", "-k", "all"}); }

}  // namespace kmodx::udev
