// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/result.hpp>

#include <cstring>

namespace kmodx {

std::string Error::message() const {
    std::string text = std::strerror(code);
    if (context.empty()) return text;
    return context + ": " + text;
}

}  // namespace kmodx
