// Every row of the message table against the literal text kmod 30 prints
// (tools/modprobe.c, tools/insmod.c, tools/rmmod.c; checked against Debian's
// binaries where no kernel privilege is needed).
#include <kmodx/messages.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include "cmocka.hpp"

using namespace kmodx::messages;

static void expect(const std::string& got, const char* want) { assert_string_equal(got.c_str(), want); }

static void modprobe_insert_reasons(void**) {
    expect(insert_reason(Tool::Modprobe, EEXIST), "Module already in kernel");
    expect(insert_reason(Tool::Modprobe, ENOENT),
           "Unknown symbol in module, or unknown parameter (see dmesg)");
    // Everything else is strerror, including the rows insmod words itself.
    expect(insert_reason(Tool::Modprobe, ENOEXEC), "Exec format error");
    expect(insert_reason(Tool::Modprobe, EINVAL), "Invalid argument");
    expect(insert_reason(Tool::Modprobe, ESRCH), "No such process");
    expect(insert_reason(Tool::Modprobe, EPERM), "Operation not permitted");
    expect(insert_reason(Tool::Modprobe, EBUSY), "Device or resource busy");
    expect(insert_reason(Tool::Modprobe, ENODEV), "No such device");
    expect(insert_reason(Tool::Modprobe, EKEYREJECTED), "Key was rejected by service");
}

static void insmod_insert_reasons(void**) {
    expect(insert_reason(Tool::Insmod, ENOEXEC), "Invalid module format");
    expect(insert_reason(Tool::Insmod, ENOENT), "Unknown symbol in module");
    expect(insert_reason(Tool::Insmod, ESRCH), "Module has wrong symbol version");
    expect(insert_reason(Tool::Insmod, EINVAL), "Invalid parameters");
    // insmod has no wording of its own for EEXIST.
    expect(insert_reason(Tool::Insmod, EEXIST), "File exists");
    expect(insert_reason(Tool::Insmod, ENOSYS), "Function not implemented");
    expect(insert_reason(Tool::Insmod, EPERM), "Operation not permitted");
}

static void removal_reasons_are_strerror(void**) {
    for (Tool t : {Tool::Modprobe, Tool::Rmmod}) {
        expect(remove_reason(t, EBUSY), "Device or resource busy");
        expect(remove_reason(t, ENOENT), "No such file or directory");
        expect(remove_reason(t, EWOULDBLOCK), "Resource temporarily unavailable");
        expect(remove_reason(t, EPERM), "Operation not permitted");
    }
}

static void insert_lines(void**) {
    expect(insert_failed(Tool::Modprobe, "dummy", EEXIST),
           "could not insert 'dummy': Module already in kernel\n");
    expect(insert_failed(Tool::Modprobe, "dummy", ENOENT),
           "could not insert 'dummy': Unknown symbol in module, or unknown parameter (see dmesg)\n");
    expect(insert_failed(Tool::Modprobe, "kvm_intel", EOPNOTSUPP),
           "could not insert 'kvm_intel': Operation not supported\n");
    expect(insert_failed(Tool::Insmod, "/tmp/x.ko", ENOEXEC),
           "could not insert module /tmp/x.ko: Invalid module format\n");
    // Seen from Debian's insmod in a sandbox without module support.
    expect(insert_failed(Tool::Insmod, "/tmp/garbage.ko", ENOSYS),
           "could not insert module /tmp/garbage.ko: Function not implemented\n");
}

static void remove_lines(void**) {
    expect(remove_failed(Tool::Modprobe, "dummy", EBUSY),
           "could not remove 'dummy': Device or resource busy\n");
    expect(remove_failed(Tool::Rmmod, "dummy", EPERM),
           "could not remove module dummy: Operation not permitted\n");
}

static void rmmod_refusals(void**) {
    expect(removal_refused(Tool::Rmmod, Refusal::Builtin, "ext4"), "Module ext4 is builtin.\n");
    // Seen from Debian's rmmod.
    expect(removal_refused(Tool::Rmmod, Refusal::NotLoaded, "kmodx_nonexistent_mod"),
           "Module kmodx_nonexistent_mod is not currently loaded\n");
    expect(removal_refused(Tool::Rmmod, Refusal::InUse, "dummy"), "Module dummy is in use\n");
    expect(removal_refused(Tool::Rmmod, Refusal::InUse, "snd", {"snd_pcm", "snd_timer"}),
           "Module snd is in use by: snd_pcm snd_timer\n");
}

static void modprobe_refusals(void**) {
    expect(removal_refused(Tool::Modprobe, Refusal::Builtin, "ext4"), "Module ext4 is builtin.\n");
    expect(removal_refused(Tool::Modprobe, Refusal::NotLoaded, "dummy"),
           "Module dummy is not in kernel.\n");
    // modprobe -r never lists the holders.
    expect(removal_refused(Tool::Modprobe, Refusal::InUse, "snd", {"snd_pcm"}),
           "Module snd is in use.\n");
}

static void exit_status_is_zero_or_one(void**) {
    assert_int_equal(exit_status(true), 0);
    assert_int_equal(exit_status(false), 1);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modprobe_insert_reasons),
        cmocka_unit_test(insmod_insert_reasons),
        cmocka_unit_test(removal_reasons_are_strerror),
        cmocka_unit_test(insert_lines),
        cmocka_unit_test(remove_lines),
        cmocka_unit_test(rmmod_refusals),
        cmocka_unit_test(modprobe_refusals),
        cmocka_unit_test(exit_status_is_zero_or_one),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
