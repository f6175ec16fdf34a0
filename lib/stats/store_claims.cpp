// SPDX-License-Identifier: LGPL-2.1-or-later
// Telling the load that formed a module from calls the kernel merged into it.
// Since 6.5, concurrent finit_module() calls on one file wait for the first
// and return its result: every caller sees 0, but one module was formed and
// the kernel counts one load. Each `loaded` event carries the module
// instance it found (/sys/module/NAME's inode number); the first event to
// claim an instance keeps `loaded`, later ones become `merged_in_kernel`.
// A claim is a file created with O_EXCL, so writers racing at boot need no
// lock beyond the filesystem's. Claims live in the runtime directory, which
// goes with the boot, as the instances do.
#include "stats/store_impl.hpp"

#include "core/dir_entries.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kmodx::stats::store {
namespace {

bool claimable(std::string_view module) {
    return !module.empty() && module.front() != '.' && module.find('/') == std::string_view::npos &&
           module.find('@') == std::string_view::npos;
}

Result<UniqueFd> open_claims(int stats_dir, std::string_view boot) {
    const std::string name = std::string(boot) + ".formed";
    // The stats directory has passed its checks; what we create in it is ours.
    if (::mkdirat(stats_dir, name.c_str(), 0755) != 0 && errno != EEXIST) return failure_errno("mkdir " + name);
    return open_dir(stats_dir, name, false);
}

void drop_claims(int claims, std::string_view module) {
    const std::string prefix = std::string(module) + "@";
    (void)dir_entries::each_at(claims, ".", [&](std::string_view n) {
        if (n.starts_with(prefix)) (void)::unlinkat(claims, n.data(), 0);  // the name ends in a NUL
        return true;
    });
}

}  // namespace

void settle_claims(int stats_dir, std::string_view boot, std::vector<Event>& events) {
    UniqueFd claims;
    for (Event& e : events) {
        const bool load = e.outcome == Outcome::Loaded && e.instance != 0;
        if ((!load && e.outcome != Outcome::Removed) || !claimable(e.module)) continue;
        if (!claims) {
            auto fd = open_claims(stats_dir, boot);
            if (!fd) return;  // events stay as they are: counted as loads, as before claims
            claims = std::move(*fd);
        }
        if (!load) {
            drop_claims(claims.get(), e.module);
            continue;
        }
        const std::string name = e.module + "@" + std::to_string(e.instance);
        UniqueFd made(::openat(claims.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (made || errno != EEXIST) continue;
        e.outcome = Outcome::MergedInKernel;
        e.module_bytes = e.text_bytes = 0;
    }
}

}  // namespace kmodx::stats::store
