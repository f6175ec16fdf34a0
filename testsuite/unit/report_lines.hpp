// SPDX-License-Identifier: LGPL-2.1-or-later
// A report's text as lines, for the report tests.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace test {

inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

}  // namespace test
