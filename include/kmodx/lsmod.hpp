// SPDX-License-Identifier: LGPL-2.1-or-later
// lsmod: the loaded-module table exactly as kmod 30 prints it.
#pragma once

#include <kmodx/result.hpp>

#include <libkmod.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::lsmod {

struct Row {
    std::string name;
    long size = 0;
    int refcount = 0;
    std::vector<std::string> holders;  // in the order libkmod reports them
};

// The header line, newline included.
std::string_view header();
// One table row, newline included: name padded to 19, size right-aligned in
// 8, refcount, then the holders comma-joined after a single space.
std::string format_row(const Row& row);

// Every loaded module as libkmod reads it from /proc/modules and /sys/module.
// Fails with libkmod's errno when /proc/modules cannot be read.
Result<std::vector<Row>> loaded_modules(kmod_ctx* ctx);

// The whole listing: header then rows, written to out.
void print_table(std::FILE* out, const std::vector<Row>& rows);

}  // namespace kmodx::lsmod
