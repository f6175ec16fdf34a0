// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/kmod_handles.hpp>
#include <kmodx/lsmod.hpp>

#include <cstdio>

namespace kmodx::lsmod {

std::string_view header() { return "Module                  Size  Used by\n"; }

std::string format_row(const Row& row) {
    // The column widths are kmod's; names longer than 19 push the rest right.
    char head[64];
    std::snprintf(head, sizeof head, " %8ld  %d", row.size, row.refcount);
    std::string out = row.name;
    if (out.size() < 19) out.append(19 - out.size(), ' ');
    out += head;
    for (std::size_t i = 0; i < row.holders.size(); ++i) {
        out += i == 0 ? ' ' : ',';
        out += row.holders[i];
    }
    out += '\n';
    return out;
}

Result<std::vector<Row>> loaded_modules(kmod_ctx* ctx) {
    kmod_list* raw = nullptr;
    int err = kmod_module_new_from_loaded(ctx, &raw);
    if (err < 0) return failure(-err, "could not get list of modules");
    ModuleList list(raw);

    std::vector<Row> rows;
    for (kmod_list* it = list.get(); it; it = kmod_list_next(list.get(), it)) {
        ModulePtr mod = module_of(it);
        Row row;
        row.name = kmod_module_get_name(mod.get());
        row.refcount = kmod_module_get_refcnt(mod.get());
        row.size = kmod_module_get_size(mod.get());
        ModuleList holders(kmod_module_get_holders(mod.get()));
        for (kmod_list* h = holders.get(); h; h = kmod_list_next(holders.get(), h))
            row.holders.emplace_back(kmod_module_get_name(module_of(h).get()));
        rows.push_back(std::move(row));
    }
    return rows;
}

void print_table(std::FILE* out, const std::vector<Row>& rows) {
    std::fwrite(header().data(), 1, header().size(), out);
    for (const Row& r : rows) {
        const std::string line = format_row(r);
        std::fwrite(line.data(), 1, line.size(), out);
    }
}

}  // namespace kmodx::lsmod
