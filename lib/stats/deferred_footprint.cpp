// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/deferred_footprint.hpp"

#include "core/module_index.hpp"
#include "stats/footprint.hpp"

#include <kmodx/saturating.hpp>

#include <sys/stat.h>
#include <sys/utsname.h>

#include <map>
#include <optional>

namespace kmodx::stats {

bool footprint_deferred(const Event& e) {
    return e.outcome == Outcome::Loaded && e.path == DecompressPath::Kernel && e.module_bytes == 0 && e.text_bytes == 0;
}

namespace {

// The module's footprint from its file under MODULE_DIR, when that file is
// still FILE_BYTES long (the file the event's load read).
std::optional<Footprint> footprint_now(const std::string& module_dir, const std::string& module,
                                       std::uint64_t file_bytes) {
    auto value = module_index::file_lookup(module_dir + "/modules.dep.bin", module);
    if (!value || !*value) return std::nullopt;
    auto path = module_index::dep_value_path(**value, module_dir);
    if (!path) return std::nullopt;
    struct stat st;
    if (::stat(path->c_str(), &st) < 0 || static_cast<std::uint64_t>(st.st_size) != file_bytes) return std::nullopt;
    auto fp = footprint_of_file(*path);
    if (!fp) return std::nullopt;
    return *fp;
}

}  // namespace

void fill_deferred_footprints(std::vector<Event>& events, const std::string& module_dir) {
    if (module_dir.empty()) return;
    std::map<std::pair<std::string, std::uint64_t>, std::optional<Footprint>> known;
    for (Event& e : events) {
        if (!footprint_deferred(e)) continue;
        auto [it, fresh] = known.try_emplace({e.module, e.file_bytes});
        if (fresh) it->second = footprint_now(module_dir, e.module, e.file_bytes);
        if (!it->second) continue;
        e.module_bytes = saturating_mul(it->second->module_bytes, e.count);
        e.text_bytes = saturating_mul(it->second->text_bytes, e.count);
    }
}

std::string running_module_dir() {
    struct utsname u;
    if (::uname(&u) < 0) return {};
    return std::string("/lib/modules/") + u.release;
}

}  // namespace kmodx::stats
