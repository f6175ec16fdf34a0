// SPDX-License-Identifier: LGPL-2.1-or-later
// Which kmod's behaviour kmodx reproduces byte for byte: the one whose
// libkmod it was built against (meson.build sets KMODX_KMOD_COMPAT from
// libkmod's pkg-config version). Debian 12 ships kmod 30, Debian 13 kmod
// 34.2, and their tools differ in help texts, options and messages
// (docs/debian13.md). A build-time choice, so one binary never mixes the two:
// code that differs asks `if constexpr (kmod34)`.
#pragma once

#ifndef KMODX_KMOD_COMPAT
#error "KMODX_KMOD_COMPAT is set by meson.build"
#endif

namespace kmodx {

inline constexpr int kmod_compat = KMODX_KMOD_COMPAT;
inline constexpr bool kmod34 = kmod_compat >= 34;

}  // namespace kmodx
