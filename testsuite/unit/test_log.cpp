// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx::log against kmod's format: "PROG: LEVEL: message" on stderr, the
// threshold, the switch to syslog when fd 2 is closed (the kernel's autoload
// call), and libkmod's own messages with their source location.
#include <kmodx/kmod_handles.hpp>
#include <kmodx/log.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>

#include "cmocka.hpp"

namespace log = kmodx::log;

namespace {

// Runs FN with stderr sent to a temporary file and returns what it wrote.
template <typename Fn>
std::string capture_stderr(Fn fn) {
    std::fflush(stderr);
    char path[] = "/tmp/kmodx-test-log-XXXXXX";
    const int fd = ::mkstemp(path);
    assert_true(fd >= 0);
    ::unlink(path);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(fd, STDERR_FILENO);
    fn();
    std::fflush(stderr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::string out;
    char buf[4096];
    ssize_t n;
    ::lseek(fd, 0, SEEK_SET);
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
    ::close(fd);
    return out;
}

int setup(void**) {
    log::open(false);
    log::set_priority(LOG_WARNING);
    return 0;
}

}  // namespace

static void prints_program_level_and_message(void**) {
    const std::string out = capture_stderr([] {
        KMODX_ERR("could not insert '%s': %s\n", "nvme", "No such device");
        KMODX_WRN("careful\n");
        KMODX_FATAL("Module %s not found.\n", "x");
    });
    const std::string p = program_invocation_short_name;
    assert_string_equal(out.c_str(), (p + ": ERROR: could not insert 'nvme': No such device\n" + p +
                                      ": WARNING: careful\n" + p + ": FATAL: Module x not found.\n")
                                         .c_str());
}

static void threshold_hides_lower_priorities(void**) {
    std::string out = capture_stderr([] {
        KMODX_INF("info\n");
        KMODX_DBG("debug\n");
    });
    assert_string_equal(out.c_str(), "");
    // -q: modprobe lowers the threshold below errors.
    log::set_priority(LOG_CRIT);
    out = capture_stderr([] { KMODX_ERR("quiet\n"); });
    assert_string_equal(out.c_str(), "");
    // -vv raises it; NOTICE and unnamed levels keep kmod's labels.
    log::set_priority(LOG_DEBUG);
    out = capture_stderr([] {
        KMODX_DBG("d\n");
        log::printf(LOG_NOTICE, "n\n");
    });
    const std::string p = program_invocation_short_name;
    assert_string_equal(out.c_str(), (p + ": DEBUG: d\n" + p + ": NOTICE: n\n").c_str());
    assert_int_equal(log::priority(), LOG_DEBUG);
}

static void closed_stderr_switches_to_syslog(void**) {
    const pid_t pid = ::fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ::close(STDERR_FILENO);
        log::open(false);
        // Nothing may be written to whatever file takes fd 2 next.
        const int fd = ::open("/dev/null", O_RDONLY);
        KMODX_ERR("to syslog\n");
        ::_exit(log::using_syslog() && fd == STDERR_FILENO ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(::waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    // With stderr open, only an explicit request (-s) means syslog.
    log::open(false);
    assert_false(log::using_syslog());
}

static void libkmod_messages_carry_their_source(void**) {
    kmod_ctx* raw = kmod_new("/nonexistent-kmodx-test", nullptr);
    assert_non_null(raw);
    kmodx::CtxPtr ctx(raw);
    log::set_priority(LOG_DEBUG);
    const std::string out = capture_stderr([&] {
        log::attach(ctx.get());
        kmod_module* mod = nullptr;
        (void)kmod_module_new_from_path(ctx.get(), "/nonexistent-kmodx-test/x.ko", &mod);
        if (mod) kmod_module_unref(mod);
    });
    // Debian's libkmod is built with debug messages; another build may say nothing.
    if (out.empty()) skip();
    // "PROG: DEBUG: ../libkmod/FILE.c:LINE FUNCTION() text", one line per message.
    const std::regex line("(^|\\n)" + std::string(program_invocation_short_name) +
                          ": DEBUG: [^ \\n]+\\.c:[0-9]+ kmod_module_new_from_path\\(\\) stat "
                          "/nonexistent-kmodx-test/x\\.ko: No such file or directory\\n");
    assert_true(std::regex_search(out, line));
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test_setup(prints_program_level_and_message, setup),
        cmocka_unit_test_setup(threshold_hides_lower_priorities, setup),
        cmocka_unit_test_setup(closed_stderr_switches_to_syslog, setup),
        cmocka_unit_test_setup(libkmod_messages_carry_their_source, setup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
