// The pieces of modprobe's libkmod-free answer for a live module: exact
// lookups in depmod's binary index, and whether modprobe.d can alias a name.
#include "core/module_index.hpp"
#include "modprobe/live_shortcut.hpp"

#include <libkmod.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
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
    const char* root = std::getenv("FIXTURE_ROOT");
    if (!root) skip();
    const std::string dir = std::string(root) + "/lib/modules/6.1.0-sim";
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

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(index_answers_exact_keys_only),
        cmocka_unit_test(index_rejects_what_is_not_an_index),
        cmocka_unit_test(index_agrees_with_libkmod_on_the_fixture_tree),
        cmocka_unit_test(config_aliases_that_redirect_a_name),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
