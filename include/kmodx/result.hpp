// SPDX-License-Identifier: LGPL-2.1-or-later
// Errors as values. Every fallible call in kmodx returns Result<T>; the errno
// is captured once, right where the C call failed, and travels with a short
// context string ("open /lib/modules/x.ko") that front ends may print.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace kmodx {

struct Error {
    int code = 0;         // positive errno value
    std::string context;  // what was being attempted; may be empty

    std::string message() const;  // strerror(code), prefixed by context when set
};

template <class T>
using Result = std::expected<T, Error>;

using Status = Result<void>;

inline std::unexpected<Error> failure(int code, std::string context = {}) {
    return std::unexpected<Error>(Error{code, std::move(context)});
}

// Captures errno at the call site: use immediately after the failing C call.
inline std::unexpected<Error> failure_errno(std::string context = {}) { return failure(errno, std::move(context)); }

}  // namespace kmodx
