// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/lazy_lib.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace kmodx::lazy {
namespace {

struct Entry {
    const char* soname;
    std::atomic<void*> handle{nullptr};
};

Entry table[] = {{"libkmod.so.2"}, {"liblzma.so.5"}, {"libzstd.so.1"}};

Entry& entry(Lib lib) { return table[static_cast<int>(lib)]; }

[[noreturn]] void die(const char* what, const char* detail) {
    std::fflush(stdout);
    std::fprintf(stderr, "kmodx: %s: %s\n", what, detail ? detail : "unknown error");
    std::_Exit(1);
}

// LIB's handle, loading it first if need be; nullptr if it cannot be loaded.
void* handle(Lib lib) noexcept {
    Entry& e = entry(lib);
    void* h = e.handle.load(std::memory_order_acquire);
    if (!h) {
        // libkmod's libcrypto carries ~21,000 relocations against its own
        // symbols. Opened on its own first, its lookup scope is the
        // executable, libc and itself; opened as libkmod's dependency, each
        // lookup would first miss in libkmod, libzstd and liblzma too.
        if (lib == Lib::Kmod) ::dlopen("libcrypto.so.3", RTLD_LAZY | RTLD_LOCAL);
        // Racing first calls both dlopen(): the loader counts references
        // and hands both the same handle.
        h = ::dlopen(e.soname, RTLD_LAZY | RTLD_LOCAL);
        if (h) e.handle.store(h, std::memory_order_release);
    }
    return h;
}

}  // namespace

bool available(Lib lib) noexcept { return handle(lib) != nullptr; }

void* symbol(Lib lib, const char* name) noexcept {
    void* h = handle(lib);
    if (!h) die(entry(lib).soname, ::dlerror());
    void* s = ::dlsym(h, name);
    if (!s) die(name, ::dlerror());
    return s;
}

}  // namespace kmodx::lazy
