// SPDX-License-Identifier: LGPL-2.1-or-later
// Libraries loaded on first call (core/lazy_lib.hpp): the forwarders reach
// the library's own functions, and a missing symbol ends the process with
// one line and status 1 instead of a call through a null pointer.
#include "core/lazy_lib.hpp"

#include <libkmod.h>
#include <lzma.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "cmocka.hpp"

using kmodx::lazy::Lib;

static void forwarders_reach_the_library(void**) {
    // kmod_new() through the forwarder gives a context libkmod itself accepts.
    kmod_ctx* ctx = kmod_new("/nonexistent", nullptr);
    assert_non_null(ctx);
    assert_string_equal(kmod_get_dirname(ctx), "/nonexistent");
    kmod_unref(ctx);
    void* real = kmodx::lazy::symbol(Lib::Kmod, "kmod_get_dirname");
    void* h = ::dlopen("libkmod.so.2", RTLD_LAZY | RTLD_NOLOAD);
    assert_non_null(h);
    assert_ptr_equal(real, ::dlsym(h, "kmod_get_dirname"));
    ::dlclose(h);
    // liblzma too: a decoder starts and ends.
    lzma_stream s = LZMA_STREAM_INIT;
    assert_int_equal(lzma_stream_decoder(&s, UINT64_MAX, 0), LZMA_OK);
    lzma_end(&s);
}

static void a_missing_symbol_is_one_line_and_status_1(void**) {
    int fds[2];
    assert_int_equal(::pipe(fds), 0);
    pid_t pid = ::fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], STDERR_FILENO);
        kmodx::lazy::symbol(Lib::Kmod, "kmod_no_such_function");
        ::_exit(0);  // not reached if the call behaves
    }
    ::close(fds[1]);
    std::string err;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    assert_int_equal(::waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_true(err.starts_with("kmodx: kmod_no_such_function: "));
    assert_int_equal(err.find('\n'), err.size() - 1);
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(forwarders_reach_the_library),
        cmocka_unit_test(a_missing_symbol_is_one_line_and_status_1),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
