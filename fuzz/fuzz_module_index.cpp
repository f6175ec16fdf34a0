// depmod's binary index reader (lib/core/module_index.cpp), which modprobe's
// already-live shortcut runs on modules.dep.bin.
// Input: one mode byte, then
//   mode even: a key length byte, the key, then the index image as is;
//   mode odd:  NUL-separated keys; an index is built from all but the last
//              (testsuite/unit/index_builder.hpp) and every one is looked up.
// Properties: no read outside the image whatever it holds (ASan); the same
// lookup twice gives the same answer; on a built index, exactly the keys it
// was built from are found, and every probe answers without an error.
#include "core/module_index.hpp"

#include "fuzz_common.hpp"
#include "../testsuite/unit/index_builder.hpp"

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
    }
    for (const std::string& k : {probe, probe + "x", probe.substr(0, probe.size() / 2)}) {
        auto r = kmodx::module_index::contains(image, k);
        FUZZ_CHECK(r.has_value());
        FUZZ_CHECK(*r == (keys.count(k) != 0));
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
