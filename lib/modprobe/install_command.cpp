// SPDX-License-Identifier: LGPL-2.1-or-later
// Install commands from modprobe.d, run as libkmod runs them: $CMDLINE_OPTS
// replaced by the merged options, MODPROBE_MODULE in the environment, and
// system(3) (so /bin/sh -c, SIGINT/SIGQUIT ignored while it runs).
#include "modprobe/insert.hpp"
#include "modprobe/install_command.hpp"

#include <cstdlib>

namespace kmodx::modprobe {

std::string substitute_cmdline_opts(const std::string& command, const std::string& options) {
    static constexpr std::string_view kVar = "$CMDLINE_OPTS";
    std::string out;
    std::size_t from = 0;
    for (;;) {
        std::size_t at = command.find(kVar, from);
        if (at == std::string::npos) break;
        out.append(command, from, at - from);
        out += options;
        from = at + kVar.size();
    }
    out.append(command, from);
    return out;
}

int run_shell_command(const std::string& command, const std::string& module) {
    ::setenv("MODPROBE_MODULE", module.c_str(), 1);
    int status = std::system(command.c_str());
    ::unsetenv("MODPROBE_MODULE");
    return status;
}

}  // namespace kmodx::modprobe
