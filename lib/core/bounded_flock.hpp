// SPDX-License-Identifier: LGPL-2.1-or-later
// flock() with a bound on the wait. The waiter sleeps in the kernel (a
// blocking flock) rather than polling: with hundreds of waiters on a few
// CPUs, polling took the CPU away from the one process they wait for. An
// interval timer's SIGALRM ends the sleep at the bound; SIGALRM is unblocked
// for the wait (a signal mask survives exec, and a parent that blocked it
// would make the wait unbounded), and the caller's handler, mask and timer
// come back after. Past the bound the caller may extend the wait, asked
// again after 1, 2, 4 ... 32 s.
#pragma once

#include <cstdint>
#include <functional>

namespace kmodx::bounded_flock {

// Asked at the bound, and after each gap past it: whether to wait on.
using GoOn = std::function<bool()>;

// flock(fd, op) that gives up at DEADLINE (CLOCK_MONOTONIC ns), unless
// GO_ON then says to wait on: 0, or the errno (ETIMEDOUT past the deadline).
// EXTENDED tells whether GO_ON said so. Uncontended, one system call.
int until(int fd, int op, std::int64_t deadline, const GoOn& go_on, bool& extended);

// The same, a bound of BOUND_MS from now and no extension: whether it
// locked; when not, errno says why (ETIMEDOUT past the bound).
bool within(int fd, int op, std::int64_t bound_ms);

}  // namespace kmodx::bounded_flock
