// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/requester.hpp"

#include "core/self.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;

namespace {

RequesterFacts kernel_style() {
    RequesterFacts f;
    f.argv = {"/sbin/modprobe", "-q", "--", "nvme"};
    f.env = {"HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"};
    f.parent_pid = 4242;
    f.parent_comm = "bash";
    f.parent_known = true;
    return f;
}

RequesterFacts plain() {
    RequesterFacts f;
    f.argv = {"modprobe", "nvme"};
    f.env = {"HOME=/root", "PATH=/usr/bin"};
    f.parent_pid = 4242;
    f.parent_comm = "bash";
    f.parent_known = true;
    return f;
}

}  // namespace

static void kernel_thread_parent_is_kernel_whatever_else(void**) {
    RequesterFacts f = plain();
    f.parent_flags = kPfKthread | 0x40;
    f.parent_comm = "kworker/u16:3";
    f.env.push_back("SEQNUM=12");  // would be udev otherwise
    f.at_terminal = true;
    assert_int_equal(int(classify(f)), int(Requester::Kernel));
    // The flag bit decides, not the name.
    f.parent_flags = 0x40;
    assert_int_equal(int(classify(f)), int(Requester::Udev));
}

static void kernels_argv_and_env_exactly_is_kernel(void**) {
    assert_int_equal(int(classify(kernel_style())), int(Requester::Kernel));
    // Order of the environment does not matter.
    RequesterFacts f = kernel_style();
    std::swap(f.env[0], f.env[2]);
    assert_int_equal(int(classify(f)), int(Requester::Kernel));
    // The loader's and the simulated kernel's variables are not the caller's.
    f.env.push_back("LD_PRELOAD=/x/libsimkernel.so");
    f.env.push_back("SIMKERNEL_ROOT=/tmp/r");
    f.env.push_back("PWD=/");  // a shell in between exports these by itself
    f.env.push_back("SHLVL=1");
    assert_int_equal(int(classify(f)), int(Requester::Kernel));
}

static void near_kernel_calls_are_not_kernel(void**) {
    RequesterFacts f = kernel_style();
    f.env.push_back("USER=root");  // one variable more
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f = kernel_style();
    f.env.pop_back();  // one less
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f = kernel_style();
    f.env[1] = "TERM=xterm";  // a different value
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f = kernel_style();
    f.argv = {"/sbin/modprobe", "-q", "nvme"};
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f.argv = {"/sbin/modprobe", "-q", "--", "nvme", "x=1"};
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f.argv = {"/sbin/modprobe", "-v", "--", "nvme"};
    assert_int_equal(int(classify(f)), int(Requester::Other));
}

static void udev_by_environment_or_parent(void**) {
    for (const char* var : {"SEQNUM=1234", "ACTION=add", "DEVPATH=/devices/pci0000:00"}) {
        RequesterFacts f = plain();
        f.env.push_back(var);
        assert_int_equal(int(classify(f)), int(Requester::Udev));
    }
    for (const char* comm : {"(udev-worker)", "systemd-udevd"}) {
        RequesterFacts f = plain();
        f.parent_comm = comm;
        assert_int_equal(int(classify(f)), int(Requester::Udev));
    }
    // A name that merely starts like one is not it.
    RequesterFacts f = plain();
    f.env.push_back("ACTIONS=1");
    f.env.push_back("SEQNUMBER=2");
    f.parent_comm = "udev-worker-ish";
    assert_int_equal(int(classify(f)), int(Requester::Other));
    // udev's worker also carries a unit's INVOCATION_ID: udev wins.
    f = plain();
    f.env.push_back("INVOCATION_ID=abc");
    f.env.push_back("SEQNUM=9");
    assert_int_equal(int(classify(f)), int(Requester::Udev));
}

// The device a udev request is for, from DEVPATH and SEQNUM; nothing is
// guessed from a value that is not udev's.
static void udev_device_from_the_environment(void**) {
    RequesterFacts f = plain();
    f.env.push_back("SEQNUMBER=2");
    f.env.push_back("DEVPATH=/devices/pci0000:00/0000:00:03.0/virtio0");
    f.env.push_back("SEQNUM=4711");
    f.env.push_back("MODALIAS=virtio:d00000001v00001AF4");
    UdevDevice d = udev_device(f);
    assert_string_equal(d.devpath.c_str(), "/devices/pci0000:00/0000:00:03.0/virtio0");
    assert_true(d.seqnum == 4711);
    assert_string_equal(d.modalias.c_str(), "virtio:d00000001v00001AF4");
    for (const char* bad : {"SEQNUM=", "SEQNUM=12a", "SEQNUM=-1", "SEQNUM=99999999999999999999999"}) {
        f = plain();
        f.env.push_back(bad);
        d = udev_device(f);
        assert_true(d.seqnum == 0 && d.devpath.empty() && d.modalias.empty());
    }
}

static void systemd_by_invocation_id_or_pid1(void**) {
    RequesterFacts f = plain();
    f.env.push_back("INVOCATION_ID=0123456789abcdef");
    f.at_terminal = true;
    assert_int_equal(int(classify(f)), int(Requester::Systemd));
    f = plain();
    f.parent_pid = 1;
    f.parent_comm = "systemd";
    assert_int_equal(int(classify(f)), int(Requester::Systemd));
    // initramfs-tools' /init (a shell script) and sysvinit are pid 1 too.
    f.parent_comm = "init";
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f.at_terminal = true;
    assert_int_equal(int(classify(f)), int(Requester::User));
}

static void terminal_is_user_else_other(void**) {
    RequesterFacts f = plain();
    assert_int_equal(int(classify(f)), int(Requester::Other));
    f.at_terminal = true;
    assert_int_equal(int(classify(f)), int(Requester::User));
}

static void proc_stat_comm_with_spaces_and_parentheses(void**) {
    std::string comm;
    unsigned long flags = 0;
    assert_true(parse_proc_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0\n", comm, flags));
    assert_string_equal(comm.c_str(), "kthreadd");
    assert_int_equal(flags, 2129984ul);
    assert_true(flags & kPfKthread);
    assert_true(parse_proc_stat("77 ((udev-worker)) R 76 1 1 0 -1 4194560 12", comm, flags));
    assert_string_equal(comm.c_str(), "(udev-worker)");
    assert_int_equal(flags, 4194560ul);
    assert_true(parse_proc_stat("9 (a) b) c) S 1 1 1 0 -1 64 0", comm, flags));
    assert_string_equal(comm.c_str(), "a) b) c");
    assert_int_equal(flags, 64ul);
    // Cut short or garbled: no answer.
    assert_false(parse_proc_stat("9 (sh) S 1 1 1 0", comm, flags));
    assert_false(parse_proc_stat("9 sh S 1 1 1 0 -1 64", comm, flags));
    assert_false(parse_proc_stat("9 (sh) S 1 1 1 0 -1 6x4", comm, flags));
    assert_false(parse_proc_stat("", comm, flags));
}

static bool has(const std::vector<std::string>& env, std::string_view prefix) {
    for (const auto& v : env)
        if (v.starts_with(prefix)) return true;
    return false;
}

// Puts the named variables back as they were when it goes out of scope.
class SavedEnv {
public:
    explicit SavedEnv(std::initializer_list<const char*> names) {
        for (const char* n : names) {
            const char* v = std::getenv(n);
            saved_.emplace_back(n, v ? std::optional<std::string>(v) : std::nullopt);
        }
    }
    ~SavedEnv() {
        for (const auto& [n, v] : saved_) {
            if (v) ::setenv(n.c_str(), v->c_str(), 1);
            else ::unsetenv(n.c_str());
        }
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

static void gathered_facts_are_this_process(void**) {
    const SavedEnv saved({"HOME", "TERM"});
    ::setenv("HOME", "/root", 1);
    ::setenv("KMODX_TEST_MARK", "requester", 1);
    RequesterFacts f = gather_requester_facts();
    assert_int_equal(f.parent_pid, ::getppid());
    assert_true(f.parent_known);
    std::string comm;
    std::getline(std::ifstream("/proc/" + std::to_string(::getppid()) + "/comm"), comm);
    assert_string_equal(f.parent_comm.c_str(), comm.c_str());
    assert_int_equal(f.at_terminal, kmodx::self::at_terminal());
    // Not a possible kernel call: the environment as it is now, no argv read.
    assert_true(f.argv.empty());
    assert_true(has(f.env, "KMODX_TEST_MARK=requester"));

    // HOME=/ TERM=linux: argv and the environment as exec'd, not as set since.
    ::setenv("HOME", "/", 1);
    ::setenv("TERM", "linux", 1);
    f = gather_requester_facts();
    assert_false(f.argv.empty());
    assert_true(f.argv[0].find("test_stats_requester") != std::string::npos);
    assert_false(has(f.env, "KMODX_TEST_MARK="));
    // meson's env for unit tests sets KMODX_STATS at exec: it is there.
    assert_true(!std::getenv("KMODX_STATS") || has(f.env, "KMODX_STATS="));

    ::unsetenv("KMODX_TEST_MARK");
}

// main() hands its argv over: the kernel's call is then recognised from what
// was exec'd, not from /proc, and variables set later do not count.
static void remembered_invocation_is_used(void**) {
    const SavedEnv saved({"HOME", "TERM"});
    ::setenv("HOME", "/", 1);
    ::setenv("TERM", "linux", 1);
    char a0[] = "/sbin/modprobe", a1[] = "-q", a2[] = "--", a3[] = "fs-ext4";
    char* argv[] = {a0, a1, a2, a3, nullptr};
    remember_invocation(4, argv);
    ::setenv("MODPROBE_OPTIONS", "-v", 1);
    RequesterFacts f = gather_requester_facts();
    assert_int_equal(f.argv.size(), 4);
    assert_string_equal(f.argv[3].c_str(), "fs-ext4");
    assert_true(has(f.env, "HOME=/"));
    assert_false(has(f.env, "MODPROBE_OPTIONS="));
    ::unsetenv("MODPROBE_OPTIONS");

    // Not the kernel's environment when main() started: no argv kept.
    ::setenv("HOME", "/root", 1);
    remember_invocation(4, argv);
    ::setenv("HOME", "/", 1);
    f = gather_requester_facts();
    assert_true(f.argv.empty());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernel_thread_parent_is_kernel_whatever_else),
        cmocka_unit_test(kernels_argv_and_env_exactly_is_kernel),
        cmocka_unit_test(near_kernel_calls_are_not_kernel),
        cmocka_unit_test(udev_by_environment_or_parent),
        cmocka_unit_test(udev_device_from_the_environment),
        cmocka_unit_test(systemd_by_invocation_id_or_pid1),
        cmocka_unit_test(terminal_is_user_else_other),
        cmocka_unit_test(proc_stat_comm_with_spaces_and_parentheses),
        cmocka_unit_test(gathered_facts_are_this_process),
        cmocka_unit_test(remembered_invocation_is_used),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
