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
// and every probe answers without an error; the alias lookup
// (lookup_all_plain) agrees with the exact one, and answers only when no
// pattern key could match the probe, with all of the probe's own values.
#include "core/module_index.hpp"
#include "modprobe/kernel_call.hpp"

#include "fuzz_common.hpp"
#include "../testsuite/unit/index_builder.hpp"

#include <fnmatch.h>

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
    // The alias lookup agrees with the exact one where both answer (it may
    // fail where the exact one does not: it reads more child offsets).
    auto all = kmodx::module_index::lookup_all_plain(image, key);
    if (all && *all && v) FUZZ_CHECK((*all)->empty() == !v->has_value() && (!v->has_value() || (**all)[0] == **v));
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
    std::map<std::string, std::size_t> added;
    for (const auto& w : words) {
        b.add(w, "kernel/" + w + ".ko:");
        keys.insert(w);
        ++added[w];
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
        // When the alias lookup answers, no other key could match K as a
        // libkmod fnmatch() pattern, and the answer is K's own values.
        auto all = kmodx::module_index::lookup_all_plain(image, k);
        FUZZ_CHECK(all.has_value());
        if (!*all) continue;
        // (libkmod takes a key for a pattern only by '*', '?' or '[').
        for (const auto& other : keys)
            FUZZ_CHECK(other == k || other.find_first_of("*?[") == std::string::npos ||
                       ::fnmatch(other.c_str(), k.c_str(), 0) != 0);
        FUZZ_CHECK((*all)->size() == (added.count(k) ? added[k] : 0));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    if (in.byte() % 2 == 0)
        raw(in);
    else
        built(in);
    return 0;
}
