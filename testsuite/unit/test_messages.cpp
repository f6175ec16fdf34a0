// SPDX-License-Identifier: LGPL-2.1-or-later
// Every row of the message table against the literal text kmod 30 prints
// (tools/modprobe.c, tools/insmod.c, tools/rmmod.c; checked against Debian's
// binaries where no kernel privilege is needed).
#include <kmodx/kmod_compat.hpp>
#include <kmodx/messages.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "cmocka.hpp"

using namespace kmodx::messages;

static void expect(const std::string& got, const char* want) { assert_string_equal(got.c_str(), want); }

static void modprobe_insert_reasons(void**) {
    expect(insert_reason(Tool::Modprobe, EEXIST), "Module already in kernel");
    expect(insert_reason(Tool::Modprobe, ENOENT), "Unknown symbol in module, or unknown parameter (see dmesg)");
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
    expect(insert_failed(Tool::Modprobe, "dummy", EEXIST), "could not insert 'dummy': Module already in kernel\n");
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
    expect(remove_failed(Tool::Modprobe, "dummy", EBUSY), "could not remove 'dummy': Device or resource busy\n");
    expect(remove_failed(Tool::Rmmod, "dummy", EPERM), "could not remove module dummy: Operation not permitted\n");
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
    expect(removal_refused(Tool::Modprobe, Refusal::NotLoaded, "dummy"), "Module dummy is not in kernel.\n");
    // modprobe -r never lists the holders.
    expect(removal_refused(Tool::Modprobe, Refusal::InUse, "snd", {"snd_pcm"}), "Module snd is in use.\n");
}

// Each row: what the table gives, and kmod 30's text for it.
using Rows = std::initializer_list<std::pair<std::string, const char*>>;
static void expect_rows(Rows rows) {
    for (const auto& [got, want] : rows) expect(got, want);
}

static void libkmod_lines_carry_their_origin(void**) {
    if constexpr (kmodx::kmod34) {
        // Debian 13's kmod 34.2 is built without debug messages: no origin.
        expect_rows({
            {libkmod_remove_failed("dummy", EBUSY), "could not remove 'dummy': Device or resource busy\n"},
            {install_command_unrunnable("/bin/true x=1", "dummy", ENOMEM),
             "Could not run install command '/bin/true x=1' for module dummy: Cannot allocate memory\n"},
            {install_command_failed("/bin/false", "dummy", 3),
             "Error running install command '/bin/false' for module dummy: retcode 3\n"},
        });
        return;
    }
    expect_rows({
        {libkmod_remove_failed("dummy", EBUSY),
         "../libkmod/libkmod-module.c:856 kmod_module_remove_module() "
         "could not remove 'dummy': Device or resource busy\n"},
        {install_command_unrunnable("/bin/true x=1", "dummy", ENOMEM),
         "../libkmod/libkmod-module.c:1047 command_do() "
         "Could not run install command '/bin/true x=1' for module dummy: Cannot allocate memory\n"},
        {install_command_failed("/bin/false", "dummy", 3),
         "../libkmod/libkmod-module.c:1047 command_do() "
         "Error running install command '/bin/false' for module dummy: retcode 3\n"},
    });
}

static void modprobe_lookup_and_command_lines(void**) {
    expect_rows({
        {module_not_found("nosuch"), "Module nosuch not found.\n"},
        {module_not_found_in("nosuch", "/lib/modules/6.1.0"),
         "Module nosuch not found in directory /lib/modules/6.1.0\n"},
        {remove_command_failed("dummy"), "Error running remove command for dummy\n"},
        {fact_unavailable(ModuleFact::Softdeps, "dummy", ENOMEM),
         "could not get softdeps of 'dummy': Cannot allocate memory\n"},
        {fact_unavailable(ModuleFact::Modversions, "/tmp/x.ko", ENOEXEC),
         "could not get modversions of /tmp/x.ko: Exec format error\n"},
        {fact_unavailable(ModuleFact::Symbols, "/tmp/x.ko", ENOENT),
         "could not get symbols of /tmp/x.ko: No such file or directory\n"},
    });
}

static void load_errno_follows_kmod_decompressors(void**) {
    using kmodx::Compression;
    using kmodx::Error;
    // What kmodx's decompressor says about a corrupt file or a bomb becomes
    // what kmod 30's says: xz EINVAL ("Invalid parameters" from insmod),
    // zstd and gzip ENOEXEC ("Invalid module format").
    for (int code : {EBADMSG, EFBIG}) {
        assert_int_equal(load_errno(Error{code, "decompress"}, Compression::Xz), EINVAL);
        // kmod 34.2 answers EINVAL for every decompression failure.
        const int other = kmodx::kmod34 ? EINVAL : ENOEXEC;
        assert_int_equal(load_errno(Error{code, "decompress"}, Compression::Zstd), other);
        assert_int_equal(load_errno(Error{code, "decompress"}, Compression::Gzip), other);
        // A plain file has no decompressor to blame.
        assert_int_equal(load_errno(Error{code, "read"}, Compression::None), code);
    }
    // The kernel's answer passes through whatever the file's format.
    assert_int_equal(load_errno(Error{EBADMSG, "finit_module"}, Compression::Xz), EBADMSG);
    assert_int_equal(load_errno(Error{EFBIG, "init_module"}, Compression::Zstd), EFBIG);
    // Other failures while reading are not the decompressor's.
    assert_int_equal(load_errno(Error{ENOMEM, "decompress"}, Compression::Xz), ENOMEM);
    expect(insert_failed(Tool::Insmod, "/tmp/x.ko.xz", load_errno(Error{EBADMSG, "decompress"}, Compression::Xz)),
           "could not insert module /tmp/x.ko.xz: Invalid parameters\n");
    expect(insert_failed(Tool::Insmod, "/tmp/x.ko.zst", load_errno(Error{EBADMSG, "decompress"}, Compression::Zstd)),
           kmodx::kmod34 ? "could not insert module /tmp/x.ko.zst: Invalid parameters\n"
                         : "could not insert module /tmp/x.ko.zst: Invalid module format\n");
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
        cmocka_unit_test(libkmod_lines_carry_their_origin),
        cmocka_unit_test(modprobe_lookup_and_command_lines),
        cmocka_unit_test(load_errno_follows_kmod_decompressors),
        cmocka_unit_test(exit_status_is_zero_or_one),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
