// SPDX-License-Identifier: LGPL-2.1-or-later
// The libkmod-free alias lookup: depmod's wildcard patterns matched in libkmod's
// order, against libkmod itself on made-up indexes and on the fixture tree.
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

using Names = std::vector<std::string>;

Names wild(const std::vector<unsigned char>& img, const std::string& key) {
    auto r = module_index::lookup_wild(img, key);
    assert_true(r.has_value());
    return *r;
}

// libkmod's list of module names for NAME in the module directory DIR
// without any configuration.
Names libkmod_lookup(const std::string& dir, const std::string& name) {
    auto names = kmodx::test::libkmod_lookup(dir, name);
    assert_true(names.has_value());
    return *names;
}

// libkmod's answer for NAME with IMAGE as the only index of a module directory.
Names libkmod_alias_answer(const std::vector<unsigned char>& image, const std::string& name) {
    char dir[] = "/tmp/kmodx-alias.XXXXXX";
    assert_non_null(::mkdtemp(dir));
    const std::string file = std::string(dir) + "/modules.alias.bin";
    {
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
    }
    Names names = libkmod_lookup(dir, name);
    std::remove(file.c_str());
    ::rmdir(dir);
    return names;
}

}  // namespace

// An alias's modules as libkmod's wildcard search gives them: the key's own
// values and every pattern key that fnmatch() matches to it, by priority.
static void alias_lookups_match_patterns_in_priority_order(void**) {
    IndexBuilder b;
    b.add("char_major_10_232", "kvm", 1);
    b.add("fs_xfs", "xfs", 2);
    b.add("net_pf_10", "ipv6", 3);
    b.add("net_pf_10", "ipv6_alt", 4);
    b.add("crypto_sha*", "sha_generic", 5);
    b.add("pci:v00001AF4d*", "virtio_pci", 6);
    b.add("pci:v*d*sv*sd*bc02sc00i*", "netclass", 0);
    b.add("usb:v1D6Bp0002d*dc09*", "hub", 7);
    b.add("snd_card_?", "sndq", 9);
    b.add("snd_card_[0-3]", "sndb", 8);
    auto img = b.image();
    assert_true(wild(img, "char_major_10_232") == Names{"kvm"});
    assert_true(wild(img, "fs_xfs") == Names{"xfs"});
    assert_true(wild(img, "net_pf_10") == (Names{"ipv6", "ipv6_alt"}));
    assert_true(wild(img, "fs_ext4").empty());
    assert_true(wild(img, "fs_xf").empty());
    assert_true(wild(img, "crypto_sha256") == Names{"sha_generic"});
    assert_true(wild(img, "crypto_sha") == Names{"sha_generic"});  // '*' matches nothing too
    assert_true(wild(img, "crypto_sh").empty());
    // Two patterns: the lower priority first, whatever the trie's order.
    assert_true(wild(img, "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00") ==
                (Names{"netclass", "virtio_pci"}));
    assert_true(wild(img, "pci:v00001AF4d00001000sv00001AF4sd00000001bc01sc00i00") == Names{"virtio_pci"});
    assert_true(wild(img, "pci:v00008086d00001000sv00001AF4sd00000001bc01sc00i00").empty());
    assert_true(wild(img, "usb:v1D6Bp0002d0601dc09dsc00") == Names{"hub"});
    assert_true(wild(img, "usb:v1D6Bp0003").empty());
    assert_true(wild(img, "snd_card_2") == (Names{"sndb", "sndq"}));
    assert_true(wild(img, "snd_card_7") == Names{"sndq"});
    assert_true(wild(img, "snd_card_10").empty());
    // A pattern that extends an exact key.
    IndexBuilder q;
    q.add("char_major_10_232", "kvm", 3);
    q.add("char_major_10_232*", "other", 1);
    assert_true(wild(q.image(), "char_major_10_232") == (Names{"other", "kvm"}));
    // Equal priorities: libkmod puts each match before those already found,
    // and a node's own values (listed the same way as it reads them) keep
    // their order.
    IndexBuilder t;
    t.add("x*", "a");
    t.add("x?", "b");
    t.add("xy", "c");
    t.add("xy", "d");
    assert_true(wild(t.image(), "xy") == (Names{"c", "d", "b", "a"}));
    assert_true(libkmod_alias_answer(t.image(), "xy") == (Names{"c", "d", "b", "a"}));
    assert_true(libkmod_alias_answer(img, "snd_card_2") == (Names{"sndb", "sndq"}));
    assert_false(module_index::lookup_wild(std::vector<unsigned char>(12, 0), "x").has_value());
}

// A damaged index (a node that leads back to itself) is an error, not a
// search without end.
static void alias_lookups_refuse_a_cyclic_index(void**) {
    IndexBuilder b;
    b.add("a*", "m");
    b.add("ab", "n");
    auto img = b.image();
    // Point the root's only offset at itself: the root is the last node written.
    const std::uint32_t root = std::uint32_t{img[8]} << 24 | std::uint32_t{img[9]} << 16 | img[10] << 8 | img[11];
    std::vector<unsigned char> cyc = img;
    const std::size_t at = root & 0x0FFFFFFF;
    // Root: prefix "a\0", then first/last child chars, then the child offsets.
    assert_true((root & 0x80000000) && cyc[at] == 'a' && cyc[at + 1] == 0);
    const unsigned first = cyc[at + 2], last = cyc[at + 3];
    for (unsigned ch = first; ch <= last; ++ch) IndexBuilder::put32(cyc, at + 4 + 4 * (ch - first), root);
    auto r = module_index::lookup_wild(cyc, "ab");
    assert_false(r.has_value());
    assert_int_equal(r.error().code, EINVAL);
}

// On the fixture tree, every alias of modules.alias (its patterns filled in)
// and a near miss of each, and the CPU's modalias: where modules.alias names
// modules, they are libkmod's list; where it names none, libkmod finds none
// there either (what it finds next is builtin, with no module file).
static void alias_lookups_agree_with_libkmod_on_the_fixture_tree(void**) {
    const std::string dir = fixture_dir();
    if (dir.empty()) skip();
    std::ifstream text(dir + "/modules.alias");
    assert_true(text.good());
    Names probes;
    for (std::string line; std::getline(text, line);) {
        std::istringstream words(line);
        std::string kw, alias;
        words >> kw >> alias;
        if (kw != "alias" || alias.find('[') != std::string::npos) continue;
        std::string filled;
        for (char c : alias) filled += c == '*' ? std::string("0A1") : c == '?' ? std::string("Z") : std::string(1, c);
        probes.push_back(filled);
        probes.push_back(filled + "x");
        probes.push_back(filled.substr(0, filled.size() / 2));
    }
    const char* source = std::getenv("KMODX_SOURCE_DIR");
    assert_non_null(source);
    std::ifstream cpu(std::string(source) + "/testsuite/fixtures/cpu-modalias.txt");
    std::string cpu_alias;
    assert_true(static_cast<bool>(std::getline(cpu, cpu_alias)));
    probes.push_back(cpu_alias);
    int with_modules = 0, with_patterns = 0;
    for (const std::string& probe : probes) {
        auto key = normalized_alias(probe);
        assert_true(key.has_value());
        if (key->find(':') == std::string::npos) {
            auto in_dep = module_index::file_contains(dir + "/modules.dep.bin", *key);
            assert_true(in_dep.has_value());
            if (*in_dep) continue;  // a module's own name: modules.dep answers first
        }
        auto ours = module_index::file_lookup_wild(dir + "/modules.alias.bin", *key);
        assert_true(ours.has_value());
        const Names theirs = libkmod_lookup(dir, probe);
        if (ours->empty()) {
            for (const std::string& m : theirs) {
                auto in_dep = module_index::file_contains(dir + "/modules.dep.bin", m);
                assert_true(in_dep.has_value() && !*in_dep);
            }
            continue;
        }
        assert_true(*ours == theirs);
        ++with_modules;
        if (probe.find(':') != std::string::npos) ++with_patterns;
    }
    assert_true(with_modules > 20);
    assert_true(with_patterns > 5);
}

// libkmod's alias_normalize(): '-' is '_' outside brackets; a stray ']' or
// an unclosed '[' is refused.

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(alias_lookups_match_patterns_in_priority_order),
        cmocka_unit_test(alias_lookups_refuse_a_cyclic_index),
        cmocka_unit_test(alias_lookups_agree_with_libkmod_on_the_fixture_tree),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
