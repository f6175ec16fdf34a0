// Where the stats store lives and how big it may grow. Environment variables
// for now; the config file layer replaces this one function.
#include <kmodx/stats.hpp>

#include <cerrno>
#include <cstdlib>

namespace kmodx::stats {
namespace {

// A malformed number keeps the default rather than disabling the store.
std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || *v < '0' || *v > '9') return fallback;
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (errno || *end) return fallback;
    return n;
}

}  // namespace

StoreSettings store_settings_from_env() {
    StoreSettings s;
    if (const char* d = std::getenv("KMODX_RUNTIME_DIR"); d && *d) s.runtime_dir = d;
    if (const char* d = std::getenv("KMODX_STATE_DIR"); d && *d) s.state_dir = d;
    s.max_bytes = env_u64("KMODX_STATS_MAX_BYTES", s.max_bytes);
    std::uint64_t keep = env_u64("KMODX_STATS_KEEP_BOOTS", s.keep_boots);
    s.keep_boots = keep > 1000 ? 1000 : static_cast<unsigned>(keep);
    return s;
}

}  // namespace kmodx::stats
