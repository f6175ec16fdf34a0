// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe: argv (with MODPROBE_OPTIONS in front) to Options, then the
// library. The kernel runs `modprobe -q -- NAME` with no fds open at all:
// diagnostics then go to syslog, and fds 0-2 are pointed at /dev/null so no
// file or socket opened later can land on them and receive our output.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/kernel.hpp>
#include <kmodx/log.hpp>
#include <kmodx/modprobe.hpp>
#include <kmodx/modprobe_options.hpp>
#include <kmodx/tool_version.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace kmodx::tools {
namespace {

// Returns whether stderr was closed (then diagnostics go to syslog). One
// poll() asks about all three: the kernel's call runs this once per request.
bool plug_closed_stdio() {
    pollfd fds[3] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
    if (::poll(fds, 3, 0) < 0) return false;
    bool stderr_closed = false;
    for (const pollfd& p : fds) {
        if (!(p.revents & POLLNVAL)) continue;
        if (p.fd == STDERR_FILENO) stderr_closed = true;
        int n = ::open("/dev/null", O_RDWR);
        if (n >= 0 && n != p.fd) {
            ::dup2(n, p.fd);
            ::close(n);
        }
    }
    return stderr_closed;
}

}  // namespace

int modprobe_main(int argc, char** argv) {
    const bool no_stderr = plug_closed_stdio();

    auto parsed = modprobe::parse_options(argc, argv, std::getenv("MODPROBE_OPTIONS"));
    if (parsed.version) {
        print_tool_version(KMODX_VERSION, true);
        return EXIT_SUCCESS;
    }
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (parsed.error_before_log) {
        std::fprintf(stderr, "%s: ERROR: %s", program_invocation_short_name, parsed.error.c_str());
        return parsed.status;
    }
    if (!parsed.run && parsed.error.empty()) return parsed.status;

    if (parsed.modprobe_options_env) ::setenv("MODPROBE_OPTIONS", parsed.modprobe_options_env->c_str(), 1);

    log::open(parsed.opts.use_syslog || no_stderr);
    int status = parsed.status;
    if (!parsed.error.empty()) KMODX_ERR("%s", parsed.error.c_str());
    else status = modprobe::run(parsed.opts, system_kernel());
    log::close();
    return status;
}

}  // namespace kmodx::tools
