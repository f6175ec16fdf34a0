// SPDX-License-Identifier: LGPL-2.1-or-later
// The fixture module tree, as the unit tests that check kmodx's readers
// against libkmod's on it see it. Include it last: it includes cmocka.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cmocka.hpp"

namespace kmodx::test {

// The fixture tree's module directory (meson passes FIXTURE_ROOT) and the
// names of the modules depmod indexed there, as libkmod names them.
inline std::string fixture_dir() {
    const char* root = std::getenv("FIXTURE_ROOT");
    return root ? std::string(root) + "/lib/modules/6.1.0-sim" : std::string();
}

inline std::vector<std::string> fixture_modules(const std::string& dir) {
    std::ifstream dep(dir + "/modules.dep");
    assert_true(dep.good());
    std::vector<std::string> names;
    for (std::string line; std::getline(dep, line);) {
        std::string path = line.substr(0, line.find(':'));
        std::string base = path.substr(path.rfind('/') + 1);
        base = base.substr(0, base.find('.'));
        for (char& c : base)
            if (c == '-') c = '_';
        names.push_back(base);
    }
    assert_true(names.size() > 10);
    return names;
}

}  // namespace kmodx::test
