// The pieces of modprobe's libkmod-free answer to the kernel's call: exact
// lookups in depmod's binary index, modules.dep lines read as libkmod reads
// them, and whether modprobe.d or the kernel command line can change a probe.
#include "core/module_index.hpp"
#include "modprobe/config_scan.hpp"
#include "modprobe/kernel_call.hpp"

#include <libkmod.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "index_builder.hpp"

#include "cmocka.hpp"

using namespace kmodx;
using kmodx::test::IndexBuilder;

namespace {

bool has(const std::vector<unsigned char>& img, const std::string& key) {
    auto r = module_index::contains(img, key);
    assert_true(r.has_value());
    return *r;
}

// The fixture tree's module directory (meson passes FIXTURE_ROOT) and the
// names of the modules depmod indexed there, as libkmod names them.
std::string fixture_dir() {
    const char* root = std::getenv("FIXTURE_ROOT");
    return root ? std::string(root) + "/lib/modules/6.1.0-sim" : std::string();
}

std::vector<std::string> fixture_modules(const std::string& dir) {
    std::ifstream dep(dir + "/modules.dep");
    assert_true(dep.good());
    std::vector<std::string> names;
    for (std::string line; std::getline(dep, line);) {
        std::string path = line.substr(0, line.find(':'));
        std::string base = path.substr(path.rfind('/') + 1);
        base = base.substr(0, base.find('.'));
        for (char& c : base)
            if (c == '-') c = '_';
        names.push_back(base);
    }
    assert_true(names.size() > 10);
    return names;
}

}  // namespace

static void index_answers_exact_keys_only(void**) {
    IndexBuilder b;
    for (const char* k : {"evdev", "evbug", "e1000", "e1000e", "kvm", "kvm_intel", "kvm_amd"})
        b.add(k, std::string("kernel/") + k + ".ko:");
    const auto img = b.image();
    for (const char* k : {"evdev", "evbug", "e1000", "e1000e", "kvm", "kvm_intel", "kvm_amd"}) assert_true(has(img, k));
    // Prefixes of keys, keys with more after them, and neighbours are not keys.
    for (const char* k : {"", "e", "ev", "evd", "e100", "e1000ee", "kvm_", "kvm_inte", "kvmx", "evdevx", "nosuch", "KVM"})
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

// An alias's modules, all of them in order, when no pattern in the index
// could match the name as well; nullopt (ask libkmod) when one could.
static void alias_lookups_answer_only_without_patterns_on_the_path(void**) {
    using Answer = std::optional<std::vector<std::string>>;
    auto all = [](const std::vector<unsigned char>& img, const std::string& key) {
        auto r = module_index::lookup_all_plain(img, key);
        assert_true(r.has_value());
        return *r;
    };
    IndexBuilder b;
    b.add("char_major_10_232", "kvm");
    b.add("fs_xfs", "xfs");
    b.add("net_pf_10", "ipv6");
    b.add("net_pf_10", "ipv6_alt");
    b.add("crypto_sha*", "sha_generic");
    b.add("pci:v00001AF4d*", "virtio_pci");
    auto img = b.image();
    assert_true(all(img, "char_major_10_232") == Answer(std::vector<std::string>{"kvm"}));
    assert_true(all(img, "fs_xfs") == Answer(std::vector<std::string>{"xfs"}));
    assert_true(all(img, "net_pf_10") == Answer(std::vector<std::string>{"ipv6", "ipv6_alt"}));
    assert_true(all(img, "fs_ext4") == Answer(std::vector<std::string>{}));
    assert_true(all(img, "fs_xf") == Answer(std::vector<std::string>{}));
    // "crypto_sha*" could match these: only fnmatch() over it can say.
    assert_false(all(img, "crypto_sha256").has_value());
    assert_false(all(img, "crypto_sha").has_value());
    assert_false(all(img, "pci:v00001AF4d00001000sv").has_value());
    // A pattern in a node's prefix, and at the very end of the name.
    IndexBuilder p;
    p.add("usb:v1D6Bp0002d*dc09*", "hub");
    auto pimg = p.image();
    assert_false(all(pimg, "usb:v1D6Bp0002d0601dc09dsc00").has_value());
    assert_true(all(pimg, "usb:v1D6Bp0003") == Answer(std::vector<std::string>{}));
    IndexBuilder q;
    q.add("char_major_10_232", "kvm");
    q.add("char_major_10_232*", "other");
    assert_false(all(q.image(), "char_major_10_232").has_value());
    assert_false(module_index::lookup_all_plain(std::vector<unsigned char>(12, 0), "x").has_value());
}

// On the fixture tree, every alias the lookup answers gets libkmod's list.
static void alias_lookups_agree_with_libkmod_on_the_fixture_tree(void**) {
    const std::string dir = fixture_dir();
    if (dir.empty()) skip();
    std::ifstream text(dir + "/modules.alias");
    assert_true(text.good());
    const char* no_config[] = {nullptr};
    kmod_ctx* ctx = kmod_new(dir.c_str(), no_config);
    assert_non_null(ctx);
    int answered = 0, deferred = 0;
    for (std::string line; std::getline(text, line);) {
        std::istringstream words(line);
        std::string kw, alias;
        words >> kw >> alias;
        if (kw != "alias" || alias.find_first_of("*?[") != std::string::npos) continue;
        for (const std::string& name : {alias, alias + "x"}) {
            std::string key = name;
            for (char& c : key)
                if (c == '-') c = '_';
            auto in_dep = module_index::file_contains(dir + "/modules.dep.bin", key);
            assert_true(in_dep.has_value());
            if (*in_dep) continue;  // a module's own name: modules.dep answers first
            auto ours = module_index::file_lookup_all_plain(dir + "/modules.alias.bin", key);
            assert_true(ours.has_value());
            if (!ours->has_value()) {
                ++deferred;
                continue;
            }
            kmod_list* list = nullptr;
            assert_int_equal(kmod_module_new_from_lookup(ctx, name.c_str(), &list), 0);
            std::vector<std::string> theirs;
            kmod_list* l;
            kmod_list_foreach(l, list) {
                kmod_module* m = kmod_module_get_module(l);
                theirs.emplace_back(kmod_module_get_name(m));
                kmod_module_unref(m);
            }
            kmod_module_unref_list(list);
            if ((*ours)->empty()) continue;  // libkmod goes on to the builtin indexes
            assert_true(**ours == theirs);
            ++answered;
        }
    }
    kmod_unref(ctx);
    assert_true(answered > 0);
}

static void config_aliases_that_redirect_a_name(void**) {
    using modprobe::config_text_aliases;
    assert_true(config_text_aliases("alias evdev irqbypass\n", "evdev"));
    assert_true(config_text_aliases("# x\n\talias   evd*  foo\n", "evdev"));
    assert_true(config_text_aliases("alias ev-dev foo\n", "ev_dev"));
    assert_true(config_text_aliases("alias ev?ev foo", "evdev"));           // no final newline
    assert_true(config_text_aliases("alias \\\nevdev foo\n", "evdev"));      // continued line
    assert_true(config_text_aliases("options x y\nalias * foo\n", "evdev"));
    assert_false(config_text_aliases("alias evdevx foo\nalias evde foo\n", "evdev"));
    assert_false(config_text_aliases("# alias evdev foo\n", "evdev"));
    assert_false(config_text_aliases("options evdev x=1\nblacklist evdev\ninstall evdev /bin/true\n", "evdev"));
    assert_false(config_text_aliases("softdep evdev pre: foo\naliases evdev foo\nalias\n", "evdev"));
    assert_false(config_text_aliases("", "evdev"));
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
    assert_false(parse_dep_line("kernel/a.ko", "/m").has_value());                   // no ':'
    assert_false(parse_dep_line(": kernel/b.ko", "/m").has_value());                 // no path
    assert_false(parse_dep_line("kernel/a.ko: b.ko x/b.ko", "/m").has_value());      // b twice
    assert_false(parse_dep_line("kernel/a.ko: kernel/a.ko.xz", "/m").has_value());   // itself
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
    assert_false(config_text_affects("optionschain_a x\nfoo chain_a\noptions\n", q));
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

static void cmdline_options_for_a_module(void**) {
    using modprobe::cmdline_may_affect;
    const std::vector<std::string> mods{"chain_b", "dash_mod"};
    assert_true(cmdline_may_affect("quiet chain_b.x=1\n", mods));
    assert_true(cmdline_may_affect("dash-mod.y=2", mods));
    assert_true(cmdline_may_affect("root=/dev/sda \"chain_b.s=a b\"", mods));
    assert_false(cmdline_may_affect("BOOT_IMAGE=/vmlinuz quiet chain_c.x=1 chain_b=1\n", mods));
    assert_false(cmdline_may_affect("", mods));
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(index_answers_exact_keys_only),
        cmocka_unit_test(index_rejects_what_is_not_an_index),
        cmocka_unit_test(index_agrees_with_libkmod_on_the_fixture_tree),
        cmocka_unit_test(config_aliases_that_redirect_a_name),
        cmocka_unit_test(alias_lookups_answer_only_without_patterns_on_the_path),
        cmocka_unit_test(alias_lookups_agree_with_libkmod_on_the_fixture_tree),
        cmocka_unit_test(index_lookup_gives_the_first_value),
        cmocka_unit_test(dep_lines_read_as_libkmod_reads_them),
        cmocka_unit_test(dep_lines_agree_with_libkmod_on_the_fixture_tree),
        cmocka_unit_test(config_lines_that_change_a_probe),
        cmocka_unit_test(cmdline_options_for_a_module),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
