// SPDX-License-Identifier: LGPL-2.1-or-later
// CMocka needs these headers before its own. Include this file LAST: cmocka
// defines a macro named fail() that breaks std::basic_ios::fail() after it.
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}
