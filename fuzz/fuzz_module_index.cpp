// SPDX-License-Identifier: LGPL-2.1-or-later
// depmod's binary index reader (lib/core/module_index.cpp), which modprobe's
// answer to the kernel's call runs on modules.dep.bin and modules.alias.bin, and its reading of
// the modules.dep line it finds (modprobe::parse_dep_line).
// Input: one mode byte, then
//   mode even: a key length byte, the key, then the index image as is;
//   mode odd:  NUL-separated keys; an index is built from all but the last
//              (testsuite/unit/index_builder.hpp) and every one is looked up.
// Properties: no read outside the image whatever it holds (ASan); the same
// lookup twice gives the same answer; a line read from the image names each
// dependency once, by a non-empty name, with an absolute path; on a built
// index, exactly the keys it was built from are found, with their values,
// and every probe answers without an error; the alias lookup (lookup_wild)
// gives exactly libkmod's list for the probe, order included, with the index
// written to a module directory of its own.
#include "core/module_index.hpp"
#include "modprobe/kernel_call.hpp"

#include <kmodx/module_name.hpp>

#include "fuzz_common.hpp"
#include "../testsuite/unit/index_builder.hpp"
#include "../testsuite/unit/libkmod_lookup.hpp"

#include <stdlib.h>

#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

void raw(fuzz::Input& in) {
    const std::size_t n = in.byte() % 64;
    std::string key;
    for (std::size_t i = 0; i < n; ++i) key.push_back(static_cast<char>(in.byte()));
    const auto bytes = in.rest();
    const std::span<const unsigned char> image(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    auto a = kmodx::module_index::contains(image, key);
    auto b = kmodx::module_index::contains(image, key);
    FUZZ_CHECK(a.has_value() == b.has_value());
    FUZZ_CHECK(!a || *a == *b);
    FUZZ_CHECK(a || a.error().code == EINVAL);
    auto v = kmodx::module_index::lookup(image, key);
    FUZZ_CHECK(v.has_value() == a.has_value());
    // The alias lookup finds at least the exact key's values where both
    // answer (it may fail where the exact one does not: it reads more).
    auto all = kmodx::module_index::lookup_wild(image, key);
    if (all && v && v->has_value()) FUZZ_CHECK(std::find(all->begin(), all->end(), **v) != all->end());
    auto again = kmodx::module_index::lookup_wild(image, key);
    FUZZ_CHECK(all.has_value() == again.has_value() && (!all || *all == *again));
    if (!v || !v->has_value()) return;
    auto line = kmodx::modprobe::parse_dep_line(**v, "/m");
    if (!line) return;
    FUZZ_CHECK(line->path.starts_with('/'));
    std::set<std::string> names;
    for (const auto& d : line->deps) {
        FUZZ_CHECK(!d.name.empty() && d.path.starts_with('/'));
        FUZZ_CHECK(names.insert(d.name).second);
    }
}

// libkmod's module list for NAME in a module directory whose only index is
// IMAGE as modules.alias.bin, without configuration.
std::vector<std::string> libkmod_list(const std::vector<unsigned char>& image, const std::string& name) {
    static const std::string dir = [] {
        char tmpl[] = "/tmp/kmodx-fuzz-alias.XXXXXX";
        const char* d = ::mkdtemp(tmpl);
        FUZZ_CHECK(d != nullptr);
        return std::string(d);
    }();
    {
        std::ofstream out(dir + "/modules.alias.bin", std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
        FUZZ_CHECK(out.good());
    }
    auto names = kmodx::test::libkmod_lookup(dir, name);
    FUZZ_CHECK(names.has_value());
    return *names;
}

void built(fuzz::Input& in) {
    std::vector<std::string> words;
    std::string cur;
    for (char c : in.rest_text()) {
        if (c == '\0') {
            words.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    words.push_back(cur);
    if (words.size() > 200) words.resize(200);
    const std::string probe = words.back();
    words.pop_back();
    kmodx::test::IndexBuilder b;
    std::set<std::string> keys;
    for (const auto& w : words) {
        b.add(w, "kernel/" + w + ".ko:");
        keys.insert(w);
    }
    const auto image = b.image();
    for (const auto& k : keys) {
        auto r = kmodx::module_index::contains(image, k);
        FUZZ_CHECK(r.has_value() && *r);
        auto v = kmodx::module_index::lookup(image, k);
        FUZZ_CHECK(v.has_value() && v->has_value() && **v == "kernel/" + k + ".ko:");
    }
    for (const std::string& k : {probe, probe + "x", probe.substr(0, probe.size() / 2)}) {
        auto r = kmodx::module_index::contains(image, k);
        FUZZ_CHECK(r.has_value());
        FUZZ_CHECK(*r == (keys.count(k) != 0));
    }
    // The alias lookup against libkmod's, on an index whose values tell
    // every key apart (libkmod's list holds module names). Printable ASCII
    // only, as depmod writes aliases and modprobe answers them: libkmod's
    // own reader misreads a trie that branches on a byte above 127.
    auto printable = [](const std::string& w) {
        return std::all_of(w.begin(), w.end(), [](char c) { return c >= ' ' && c < 0x7f; });
    };
    if (!std::all_of(words.begin(), words.end(), printable) || !printable(probe)) return;
    kmodx::test::IndexBuilder aliases;
    for (std::size_t i = 0; i < words.size(); ++i) aliases.add(words[i], "m" + std::to_string(i), i % 3);
    const auto alias_image = aliases.image();
    for (const std::string& k : {probe, probe + "x", probe.substr(0, probe.size() / 2)}) {
        auto key = kmodx::normalized_alias(k);
        if (!key) continue;
        auto ours = kmodx::module_index::lookup_wild(alias_image, *key);
        FUZZ_CHECK(ours.has_value());
        FUZZ_CHECK(*ours == libkmod_list(alias_image, k));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    if (in.byte() % 2 == 0) raw(in);
    else built(in);
    return 0;
}
