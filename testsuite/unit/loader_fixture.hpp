// SPDX-License-Identifier: LGPL-2.1-or-later
// What the loader's unit tests share (test_loader.cpp, test_declared_size.cpp):
// a module made to order and a scratch directory with a fake kernel.
#pragma once

#include <string>

#include "fake_kernel.hpp"
#include "scratch_dir.hpp"
#include "test_files.hpp"

namespace kmodx::test {

inline const char* kVermagic = "vermagic=6.1.0-21-amd64 SMP preempt mod_unload modversions ";

inline Bytes foo_module() { return make_module({"license=GPL", "name=foo", kVermagic, "depends="}); }

struct Fixture {
    ScratchDir dir;
    FakeKernel kernel;
    std::string put(const std::string& name, const Bytes& content) { return test::put(dir, name, content); }
};

}  // namespace kmodx::test
