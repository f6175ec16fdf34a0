// SPDX-License-Identifier: LGPL-2.1-or-later
// The pieces of modprobe's libkmod-free answer to the kernel's call: exact
// lookups in depmod's binary index, modules.dep lines read as libkmod reads
// them, and whether modprobe.d or the kernel command line can change a probe.
#include "core/module_index.hpp"
#include "modprobe/config_scan.hpp"
#include "modprobe/kernel_call.hpp"

#include <kmodx/kmod_compat.hpp>
#include <kmodx/module_name.hpp>

#include <libkmod.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "index_builder.hpp"
#include "libkmod_lookup.hpp"

#include "fixture_tree.hpp"

using namespace kmodx;
using kmodx::test::fixture_dir;
using kmodx::test::fixture_modules;
using kmodx::test::IndexBuilder;

namespace {

bool has(const std::vector<unsigned char>& img, const std::string& key) {
    auto r = module_index::contains(img, key);
    assert_true(r.has_value());
    return *r;
}

}  // namespace

static void index_answers_exact_keys_only(void**) {
    IndexBuilder b;
    for (const char* k : {"evdev", "evbug", "e1000", "e1000e", "kvm", "kvm_intel", "kvm_amd"})
        b.add(k, std::string("kernel/") + k + ".ko:");
    const auto img = b.image();
    for (const char* k : {"evdev", "evbug", "e1000", "e1000e", "kvm", "kvm_intel", "kvm_amd"}) assert_true(has(img, k));
    // Prefixes of keys, keys with more after them, and neighbours are not keys.
    for (const char* k :
         {"", "e", "ev", "evd", "e100", "e1000ee", "kvm_", "kvm_inte", "kvmx", "evdevx", "nosuch", "KVM"})
        assert_false(has(img, k));
}

static void index_rejects_what_is_not_an_index(void**) {
    IndexBuilder b;
    b.add("evdev", "kernel/evdev.ko:");
    auto img = b.image();
    auto bad_magic = img;
    bad_magic[0] ^= 0xff;
    assert_false(module_index::contains(bad_magic, "evdev").has_value());
    auto other_version = img;
    other_version[5] = 3;  // major version 3
    assert_false(module_index::contains(other_version, "evdev").has_value());
    assert_false(module_index::contains(std::vector<unsigned char>(img.begin(), img.begin() + 8), "evdev").has_value());
    // A root pointing past the end, and every truncation of the image (the
    // root node comes last, as depmod writes it): an error, never a read
    // outside the image (ASan watches).
    auto far_root = img;
    IndexBuilder::put32(far_root, 8, 0xA0000000 | 0x0FFFFFF0);
    assert_false(module_index::contains(far_root, "evdev").has_value());
    for (std::size_t n = 12; n < img.size(); ++n) {
        std::vector<unsigned char> cut(img.begin(), img.begin() + n);
        assert_false(module_index::contains(cut, "evdev").has_value());
    }
    // A node whose child is itself: the walk ends.
    std::vector<unsigned char> loop(12 + 6, 0);
    IndexBuilder::put32(loop, 0, 0xB007F457);
    IndexBuilder::put32(loop, 4, 0x00020001);
    IndexBuilder::put32(loop, 8, 0x20000000 | 12);
    loop[12] = 'a';
    loop[13] = 'a';
    IndexBuilder::put32(loop, 14, 0x20000000 | 12);
    auto r = module_index::contains(loop, std::string(1000, 'a'));
    assert_true(!r.has_value() || !*r);
}

// Every module depmod indexed in the fixture tree is found in its
// modules.dep.bin, as libkmod finds it; names it did not index are not.
static void index_agrees_with_libkmod_on_the_fixture_tree(void**) {
    const std::string dir = fixture_dir();
    if (dir.empty()) skip();
    const std::vector<std::string> names = fixture_modules(dir);
    kmod_ctx* ctx = kmod_new(dir.c_str(), nullptr);
    assert_non_null(ctx);
    for (const auto& n : names) {
        auto r = module_index::file_contains(dir + "/modules.dep.bin", n);
        assert_true(r.has_value());
        assert_true(*r);
        for (const std::string& other : {n + "x", n.substr(0, n.size() - 1)}) {
            kmod_module* m = nullptr;
            // libkmod's own answer for the near miss decides what ours must be.
            bool libkmod_has = false;
            if (kmod_module_new_from_name(ctx, other.c_str(), &m) == 0) {
                libkmod_has = kmod_module_get_path(m) != nullptr;
                kmod_module_unref(m);
            }
            auto o = module_index::file_contains(dir + "/modules.dep.bin", other);
            assert_true(o.has_value());
            assert_int_equal(*o, libkmod_has);
        }
    }
    kmod_unref(ctx);
    assert_false(module_index::file_contains(dir + "/modules.alias", "evdev").has_value());
    assert_false(module_index::file_contains(dir + "/no-such-index.bin", "evdev").has_value());
}

static void aliases_normalised_as_libkmod_does(void**) {
    assert_true(normalized_alias("fs-xfs") == std::optional<std::string>("fs_xfs"));
    assert_true(normalized_alias("a[x-z]-b") == std::optional<std::string>("a[x-z]_b"));
    assert_true(normalized_alias("pci:v00001AF4d00001000") == std::optional<std::string>("pci:v00001AF4d00001000"));
    assert_false(normalized_alias("a]b").has_value());
    assert_false(normalized_alias("a[bc").has_value());
    assert_false(normalized_alias(std::string(5000, 'a')).has_value());
}

static void config_aliases_that_redirect_a_name(void**) {
    using modprobe::config_text_aliases;
    assert_true(config_text_aliases("alias evdev irqbypass\n", "evdev"));
    assert_true(config_text_aliases("# x\n\talias   evd*  foo\n", "evdev"));
    assert_true(config_text_aliases("alias ev-dev foo\n", "ev_dev"));
    assert_true(config_text_aliases("alias ev?ev foo", "evdev"));        // no final newline
    assert_true(config_text_aliases("alias \\\nevdev foo\n", "evdev"));  // continued line
    assert_true(config_text_aliases("options x y\nalias * foo\n", "evdev"));
    assert_false(config_text_aliases("alias evdevx foo\nalias evde foo\n", "evdev"));
    assert_false(config_text_aliases("# alias evdev foo\n", "evdev"));
    assert_false(config_text_aliases("options evdev x=1\nblacklist evdev\ninstall evdev /bin/true\n", "evdev"));
    assert_false(config_text_aliases("softdep evdev pre: foo\n", "evdev"));
    assert_false(config_text_aliases("", "evdev"));
}

// Lines libkmod reports while it reads its config, under -q too: an answer
// without libkmod would not print them, so any such line sends the request
// to libkmod whatever it names.
static void config_lines_libkmod_reports(void**) {
    using modprobe::config_text_aliases;
    for (const char* bad :
         {"aliases evdev foo\n", "alias\n", "alias x\n", "alias a]b foo\n", "alias a[b foo\n", "blacklist\n",
          "options evdev\n", "options evdev \n", "options\n", "install evdev\n", "remove x\n", "softdep evdev\n",
          "include /etc/x.conf\n", "config x\n", "  # indented\n", "optionsx y z\n"})
        assert_true(config_text_aliases(bad, "nothing_named_here"));
    for (const char* good : {"# comment\n", "\n", "   \n", "options evdev x\n", "alias a[b] foo\n",
                             "blacklist evdev extra words\n", "install evdev  \n", "softdep evdev pre:\n"})
        assert_false(config_text_aliases(good, "nothing_named_here"));
    assert_true(config_text_aliases("weakdep evdev foo\n", "nothing_named_here") == !kmod34);
}

// The same check made once per file when it is read: a file with such a
// line affects every query, one without it only the queries it names.
static void config_files_remember_lines_libkmod_reports(void**) {
    using namespace modprobe;
    const ConfigQuery q{"nothing_named_here", {"evdev"}};
    for (const char* bad : {"alias x\n", "include /etc/x.conf\n", "options\n", "softdep evdev\n"}) {
        const ConfigFile f = config_file("x.conf", std::string("options other y=1\n") + bad, true);
        assert_true(f.complains);
        assert_true(config_files_affect({f}, q));
    }
    const ConfigFile quiet = config_file("y.conf", "options other y=1\nalias a[b] foo\n", true);
    assert_false(quiet.complains);
    assert_false(config_files_affect({quiet}, q));
    assert_true(config_files_affect({quiet, config_file("z.conf", "options evdev x=1\n", true)}, q));
}

static void index_lookup_gives_the_first_value(void**) {
    IndexBuilder b;
    b.add("evdev", "kernel/evdev.ko:");
    b.add("kvm", "kernel/kvm.ko: kernel/irqbypass.ko");
    b.add("kvm", "kernel/other/kvm.ko:");
    const auto img = b.image();
    auto v = module_index::lookup(img, "kvm");
    assert_true(v.has_value() && v->has_value());
    assert_string_equal((*v)->c_str(), "kernel/kvm.ko: kernel/irqbypass.ko");
    v = module_index::lookup(img, "evdev");
    assert_true(v.has_value() && v->has_value());
    assert_string_equal((*v)->c_str(), "kernel/evdev.ko:");
    v = module_index::lookup(img, "kv");
    assert_true(v.has_value() && !v->has_value());
}

// modules.dep lists a module's whole closure; libkmod loads it last to first.
static void dep_lines_read_as_libkmod_reads_them(void**) {
    using modprobe::parse_dep_line;
    auto l = parse_dep_line("kernel/a-b.ko: kernel/x/c.ko.xz\t /abs/d-e.ko  ", "/lib/modules/6.1");
    assert_true(l.has_value());
    assert_string_equal(l->path.c_str(), "/lib/modules/6.1/kernel/a-b.ko");
    assert_int_equal(l->deps.size(), 2);
    assert_string_equal(l->deps[0].name.c_str(), "d_e");
    assert_string_equal(l->deps[0].path.c_str(), "/abs/d-e.ko");
    assert_string_equal(l->deps[1].name.c_str(), "c");
    assert_string_equal(l->deps[1].path.c_str(), "/lib/modules/6.1/kernel/x/c.ko.xz");
    l = parse_dep_line("kernel/a.ko:", "/m");
    assert_true(l.has_value());
    assert_true(l->deps.empty());
    assert_false(parse_dep_line("kernel/a.ko", "/m").has_value());                  // no ':'
    assert_false(parse_dep_line(": kernel/b.ko", "/m").has_value());                // no path
    assert_false(parse_dep_line("kernel/a.ko: b.ko x/b.ko", "/m").has_value());     // b twice
    assert_false(parse_dep_line("kernel/a.ko: kernel/a.ko.xz", "/m").has_value());  // itself
}

// For every module of the fixture tree, the plan's path and dependencies
// (names, paths, order) are the ones libkmod gives.
static void dep_lines_agree_with_libkmod_on_the_fixture_tree(void**) {
    const std::string dir = fixture_dir();
    if (dir.empty()) skip();
    kmod_ctx* ctx = kmod_new(dir.c_str(), nullptr);
    assert_non_null(ctx);
    int with_deps = 0, checked = 0;
    for (const std::string& name : fixture_modules(dir)) {
        auto value = module_index::file_lookup(dir + "/modules.dep.bin", name);
        assert_true(value.has_value() && value->has_value());
        auto line = modprobe::parse_dep_line(**value, dir);
        assert_true(line.has_value());
        kmod_module* m = nullptr;
        assert_int_equal(kmod_module_new_from_name(ctx, name.c_str(), &m), 0);
        const char* kpath = kmod_module_get_path(m);
        assert_non_null(kpath);
        assert_string_equal(line->path.c_str(), kpath);
        kmod_list* deps = kmod_module_get_dependencies(m);
        std::size_t i = 0;
        kmod_list* it;
        kmod_list_foreach(it, deps) {
            kmod_module* d = kmod_module_get_module(it);
            assert_true(i < line->deps.size());
            assert_string_equal(line->deps[i].name.c_str(), kmod_module_get_name(d));
            assert_string_equal(line->deps[i].path.c_str(), kmod_module_get_path(d));
            kmod_module_unref(d);
            ++i;
        }
        assert_int_equal(i, line->deps.size());
        with_deps += i > 1;
        ++checked;
        kmod_module_unref_list(deps);
        kmod_module_unref(m);
    }
    kmod_unref(ctx);
    assert_true(checked > 10);
    assert_true(with_deps >= 3);  // the chain, the diamond, nvme: order is tested
}

static void config_lines_that_change_a_probe(void**) {
    using modprobe::config_text_affects;
    const modprobe::ConfigQuery q{"chain_a", {"chain_a", "chain_b", "dash_mod"}};
    assert_true(config_text_affects("options chain_b x=1\n", q));
    assert_true(config_text_affects("options chain_* x=1\n", q));
    assert_true(config_text_affects("install dash-mod /bin/true\n", q));
    assert_true(config_text_affects("softdep chain_a pre: evdev\n", q));
    assert_true(config_text_affects("blacklist chain_b\n", q));
    assert_true(config_text_affects("alias chain_a evdev\n", q));
    assert_true(config_text_affects("  options \\\n chain_b x=1", q));
    // Aliases only redirect the name asked for; removal is not a load;
    // other modules' lines and comments change nothing.
    assert_false(config_text_affects("alias chain_b evdev\n", q));
    assert_false(config_text_affects("remove chain_a /bin/true\n", q));
    assert_false(config_text_affects("options chain_c x=1\nsoftdep evdev pre: chain_a\n# options chain_a x\n", q));
    // An alias (no module by that name): libkmod's lookup reaches the
    // install and remove commands before modules.alias, so a command for
    // the alias itself makes the name a module of its own.
    const modprobe::ConfigQuery a{"char_major_10_232", {"kvm"}, true};
    assert_true(config_text_affects("remove char_major_10_232 /bin/true\n", a));
    assert_true(config_text_affects("install char-major-10-232 /bin/true\n", a));
    assert_true(config_text_affects("options kvm x=1\n", a));
    assert_false(config_text_affects("remove kvm /bin/true\n", a));
    assert_false(config_text_affects("remove char_major_10_233 /bin/true\n", a));
}

// The kernel command line: options for a module (`name.param=`) and,
// for the modules an alias gives, `modprobe.blacklist=` entries.
static void cmdline_settings_for_a_module(void**) {
    const std::vector<std::string> mods{"chain_b", "dash_mod"};
    struct Case {
        const char* line;
        bool options, blacklist;
    };
    const Case cases[] = {
        {"quiet chain_b.x=1\n", true, false},
        {"dash-mod.y=2", true, false},
        {"root=/dev/sda \"chain_b.s=a b\"", true, false},
        {"BOOT_IMAGE=/vmlinuz quiet chain_c.x=1 chain_b=1\n", false, false},
        {"", false, false},
        {"quiet modprobe.blacklist=chain_b\n", false, true},
        {"modprobe.blacklist=evdev,dash-mod quiet", false, true},
        {"\"modprobe.blacklist=x,chain_b\"", false, true},
        {"modprobe.blacklist=evdev,chain_c", false, false},
    };
    for (const Case& c : cases) {
        assert_int_equal(modprobe::cmdline_may_affect(c.line, mods), c.options);
        assert_int_equal(modprobe::cmdline_may_blacklist(c.line, mods), c.blacklist);
    }
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(index_answers_exact_keys_only),
        cmocka_unit_test(index_rejects_what_is_not_an_index),
        cmocka_unit_test(index_agrees_with_libkmod_on_the_fixture_tree),
        cmocka_unit_test(config_aliases_that_redirect_a_name),
        cmocka_unit_test(config_lines_libkmod_reports),
        cmocka_unit_test(config_files_remember_lines_libkmod_reports),
        cmocka_unit_test(aliases_normalised_as_libkmod_does),
        cmocka_unit_test(index_lookup_gives_the_first_value),
        cmocka_unit_test(dep_lines_read_as_libkmod_reads_them),
        cmocka_unit_test(dep_lines_agree_with_libkmod_on_the_fixture_tree),
        cmocka_unit_test(config_lines_that_change_a_probe),
        cmocka_unit_test(cmdline_settings_for_a_module),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
