// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/zlib_lazy.hpp"

#include <dlfcn.h>

namespace kmodx::zlib {
namespace {

template <class F>
bool bind(void* lib, const char* name, F& out) {
    out = reinterpret_cast<F>(::dlsym(lib, name));
    return out != nullptr;
}

Result<Api> load() {
    void* lib = ::dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return failure(ENOTSUP, "gzip: cannot load libz.so.1");
    Api a{};
    if (!bind(lib, "inflateInit2_", a.inflate_init2) || !bind(lib, "inflate", a.inflate) ||
        !bind(lib, "inflateReset", a.inflate_reset) || !bind(lib, "inflateEnd", a.inflate_end))
        return failure(ENOTSUP, "gzip: libz.so.1 lacks inflate");
    // Stays loaded for the life of the process: nothing to unload.
    return a;
}

}  // namespace

Result<const Api*> api() {
    static const Result<Api> loaded = load();
    if (!loaded) return std::unexpected(loaded.error());
    return &*loaded;
}

}  // namespace kmodx::zlib
