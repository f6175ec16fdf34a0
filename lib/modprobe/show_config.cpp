// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe -c: the merged configuration, then the alias and symbol indexes.
#include <kmodx/kmod_handles.hpp>
#include <kmodx/modprobe.hpp>

#include <unistd.h>

#include <cstdio>

namespace kmodx::modprobe {

int show_config(kmod_ctx* ctx) {
    // kmod's order. weakdep came with libkmod 33: kmod 34.2 prints its lines
    // after the softdeps, kmod 30 has none.
    struct Section {
        const char* keyword;
        kmod_config_iter* (*iter)(const kmod_ctx*);
    };
    static constexpr Section sections[] = {
        {"blacklist", kmod_config_get_blacklists},
        {"install", kmod_config_get_install_commands},
        {"remove", kmod_config_get_remove_commands},
        {"alias", kmod_config_get_aliases},
        {"options", kmod_config_get_options},
        {"softdep", kmod_config_get_softdeps},
#if KMODX_KMOD_COMPAT >= 34
        {"weakdep", kmod_config_get_weakdeps},
#endif
    };

    for (const auto& s : sections) {
        ConfigIter it(s.iter(ctx));
        if (!it) continue;
        while (kmod_config_iter_next(it.get())) {
            const char* value = kmod_config_iter_get_value(it.get());
            std::printf("%s %s", s.keyword, kmod_config_iter_get_key(it.get()));
            if (value) std::printf(" %s\n", value);
            else std::putchar('\n');
        }
    }

    std::fputs("\n# End of configuration files. Dumping indexes now:\n\n", stdout);
    // libkmod writes the indexes straight to the fd, past stdio's buffer.
    std::fflush(stdout);
    kmod_dump_index(ctx, KMOD_INDEX_MODULES_ALIAS, STDOUT_FILENO);
    kmod_dump_index(ctx, KMOD_INDEX_MODULES_SYMBOL, STDOUT_FILENO);
    return 0;
}

}  // namespace kmodx::modprobe
