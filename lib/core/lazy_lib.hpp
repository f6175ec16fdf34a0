// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod, liblzma and libzstd are dlopen()ed on their first call, not linked.
// modprobe's commonest call at boot finds its module live and needs none of
// them (modprobe/kernel_call.hpp), yet a linked libkmod drags libcrypto's
// thousands of relocations into every process start. lazy_kmod.cpp and
// lazy_codecs.cpp define the functions kmodx calls under their own names;
// each forwards to the library's, resolved once.
#pragma once

namespace kmodx::lazy {

enum class Lib { Kmod, Lzma, Zstd };

// NAME from LIB, loading LIB first if need be. A missing library or symbol
// is what the dynamic loader would have refused to start with: one line on
// stderr and exit status 1, never a call through a null pointer.
void* symbol(Lib lib, const char* name) noexcept;

// Whether LIB can be loaded (it is, if so). For callers with a better
// answer than exiting: a codec missing from an initramfs that only needs it
// when the kernel cannot decompress (Debian 13's kmod hook copies liblzma
// only then) fails that one decompression, not the process.
bool available(Lib lib) noexcept;

}  // namespace kmodx::lazy

// Defines NAME with C linkage as a forwarder to LIB's NAME. PARAMS is the
// parenthesised parameter list as the library's header declares it (the
// compiler checks it against that declaration), ARGS the names passed on.
#define KMODX_LAZY(lib, ret, name, params, args, ...)                                 \
    extern "C" ret name params __VA_ARGS__ {                                          \
        using Fn = ret(*) params;                                                     \
        static const Fn fn = reinterpret_cast<Fn>(::kmodx::lazy::symbol(lib, #name)); \
        return fn args;                                                               \
    }
