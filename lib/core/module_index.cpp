// SPDX-License-Identifier: LGPL-2.1-or-later
#include "core/module_index.hpp"

#include <kmodx/fd.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace kmodx::module_index {
namespace {

// depmod's index format (libkmod-index.h).
constexpr std::uint32_t kMagic = 0xB007F457;
constexpr std::uint32_t kVersionMajor = 0x0002;
constexpr std::uint32_t kFlagPrefix = 0x80000000;
constexpr std::uint32_t kFlagValues = 0x40000000;
constexpr std::uint32_t kFlagChilds = 0x20000000;
constexpr std::uint32_t kOffsetMask = 0x0FFFFFFF;

class Reader {
public:
    explicit Reader(std::span<const unsigned char> image) : img_(image) {}

    std::optional<std::uint32_t> u32(std::size_t at) const {
        if (at > img_.size() || img_.size() - at < 4) return std::nullopt;
        return std::uint32_t{img_[at]} << 24 | std::uint32_t{img_[at + 1]} << 16 | std::uint32_t{img_[at + 2]} << 8 |
               std::uint32_t{img_[at + 3]};
    }
    std::optional<unsigned char> u8(std::size_t at) const {
        if (at >= img_.size()) return std::nullopt;
        return img_[at];
    }
    // The NUL-terminated string at AT, if it ends inside the image.
    std::optional<std::string_view> str(std::size_t at) const {
        if (at >= img_.size()) return std::nullopt;
        const void* nul = std::memchr(img_.data() + at, 0, img_.size() - at);
        if (!nul) return std::nullopt;
        return std::string_view(reinterpret_cast<const char*>(img_.data() + at),
                                static_cast<const unsigned char*>(nul) - (img_.data() + at));
    }

private:
    std::span<const unsigned char> img_;
};

struct Node {
    std::string_view prefix;
    unsigned first = 1, last = 0;  // empty child range
    std::size_t children = 0;      // where the child offsets start
    std::uint32_t values = 0;
    std::size_t first_value = 0;  // where the first (priority, string) pair starts
};

std::optional<Node> read_node(const Reader& r, std::uint32_t offset) {
    std::size_t at = offset & kOffsetMask;
    Node n;
    if (offset & kFlagPrefix) {
        auto s = r.str(at);
        if (!s) return std::nullopt;
        n.prefix = *s;
        at += s->size() + 1;
    }
    if (offset & kFlagChilds) {
        auto first = r.u8(at), last = r.u8(at + 1);
        if (!first || !last || *first > *last) return std::nullopt;
        n.first = *first;
        n.last = *last;
        n.children = at + 2;
        at = n.children + 4 * std::size_t(n.last - n.first + 1);
    }
    if (offset & kFlagValues) {
        auto count = r.u32(at);
        if (!count) return std::nullopt;
        at += 4;
        n.first_value = at;
        // Each value (a priority and a string) must lie inside the image;
        // a count the image cannot hold fails at its end, unread beyond.
        for (std::uint32_t v = 0; v < *count; ++v) {
            auto s = r.u32(at) ? r.str(at + 4) : std::nullopt;
            if (!s) return std::nullopt;
            at += 4 + s->size() + 1;
        }
        n.values = *count;
    }
    return n;
}

}  // namespace

namespace {

// Where KEY ends in the trie.
struct Walk {
    enum { Missing, Found } kind = Missing;
    Node node;
};

Result<Walk> walk(const Reader& r, std::string_view key) {
    auto magic = r.u32(0), version = r.u32(4), root = r.u32(8);
    if (!magic || !version || !root || *magic != kMagic || (*version >> 16) != kVersionMajor)
        return failure(EINVAL, "not a depmod index");
    std::uint32_t offset = *root;
    std::size_t i = 0;
    // Each step consumes at least one byte of KEY, so this ends; a cycle in
    // a damaged image cannot outlast it.
    for (std::size_t steps = 0; steps <= key.size() + 1; ++steps) {
        if ((offset & kOffsetMask) == 0) return Walk{};
        auto n = read_node(r, offset);
        if (!n) return failure(EINVAL, "damaged depmod index");
        for (std::size_t k = 0; k < n->prefix.size(); ++k) {
            if (i + k >= key.size() || key[i + k] != n->prefix[k]) return Walk{};
        }
        i += n->prefix.size();
        if (i == key.size()) return n->values == 0 ? Walk{} : Walk{Walk::Found, *n};
        const unsigned ch = static_cast<unsigned char>(key[i++]);
        if (ch < n->first || ch > n->last) return Walk{};
        auto child = r.u32(n->children + 4 * std::size_t(ch - n->first));
        if (!child) return failure(EINVAL, "damaged depmod index");
        offset = *child;
    }
    return failure(EINVAL, "damaged depmod index");
}

// Runs LOOK on the index file at PATH, mapped for the one lookup.
template <class Look>
auto on_file(const std::string& path, Look look) -> decltype(look(std::span<const unsigned char>{})) {
    auto file = IndexFile::open(path);
    if (!file) return std::unexpected(file.error());
    return look(file->image());
}

}  // namespace

IndexFile::~IndexFile() {
    if (addr_ != MAP_FAILED) ::munmap(addr_, size_);
}

IndexFile::IndexFile(IndexFile&& o) noexcept : addr_(std::exchange(o.addr_, MAP_FAILED)), size_(o.size_) {}

Result<IndexFile> IndexFile::open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return failure_errno("open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return failure_errno("stat " + path);
    if (st.st_size < 12) return failure(EINVAL, path + ": not a depmod index");
    IndexFile f;
    f.size_ = static_cast<std::size_t>(st.st_size);
    f.addr_ = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (f.addr_ == MAP_FAILED) return failure_errno("mmap " + path);
    return f;
}

std::span<const unsigned char> IndexFile::image() const { return {static_cast<const unsigned char*>(addr_), size_}; }

Result<std::optional<std::string>> lookup(std::span<const unsigned char> image, std::string_view key) {
    using Found = std::optional<std::string>;
    const Reader r(image);
    auto w = walk(r, key);
    if (!w) return std::unexpected(w.error());
    if (w->kind != Walk::Found) return Found{};
    // libkmod answers with the first value: depmod sorts them by priority.
    return Found{std::string(*r.str(w->node.first_value + 4))};
}

namespace {

// libkmod's index_searchwild() over the whole index, for its
// kmod_lookup_alias_from_alias_bin(): the values of KEY's own node and of
// every pattern key ('*', '?' or '[' from some position on) whose text from
// its first pattern character matches KEY's rest by fnmatch(). The order is
// libkmod's: its traversal (at each node of KEY's path the '*', '?' and '['
// subtrees, each in child order with a node's values after its children's,
// then KEY's own node), each value put before the first one already found
// whose priority is not lower.
class WildSearch {
public:
    WildSearch(const Reader& r, std::string_view key, std::size_t budget) : r_(r), key_(key), budget_(budget) {}

    Status run(std::uint32_t root) { return descend(root); }
    std::vector<std::string> values() const {
        std::vector<std::string> out;
        out.reserve(found_.size());
        for (const auto& [prio, v] : found_) out.emplace_back(v);
        return out;
    }

private:
    using Value = std::pair<std::uint32_t, std::string_view>;

    static void add_value(std::vector<Value>& list, Value v) {
        auto at = std::find_if(list.begin(), list.end(), [&](const Value& x) { return x.first >= v.first; });
        list.insert(at, v);
    }

    Result<Node> node(std::uint32_t offset) {
        // A damaged image may link nodes into a cycle; a sound one has
        // fewer nodes than bytes.
        if (budget_ == 0) return failure(EINVAL, "damaged depmod index");
        --budget_;
        auto n = read_node(r_, offset);
        if (!n) return failure(EINVAL, "damaged depmod index");
        return *n;
    }

    // The child offset for CH (0: none). libkmod passes a key's byte as a
    // signed char, so bytes above 127 never have a child on KEY's path.
    Result<std::uint32_t> child(const Node& n, int ch) {
        if (ch < int(n.first) || ch > int(n.last)) return 0;
        auto c = r_.u32(n.children + 4 * std::size_t(ch - int(n.first)));
        if (!c) return failure(EINVAL, "damaged depmod index");
        return *c & kOffsetMask ? *c : 0;
    }

    // The node's values as libkmod's reader lists them (each put by
    // priority as it is read), then each of those put into the answer.
    void all_values(const Node& n) {
        std::vector<Value> list;
        std::size_t at = n.first_value;
        for (std::uint32_t v = 0; v < n.values; ++v) {
            const std::string_view s = *r_.str(at + 4);  // read_node() checked it
            add_value(list, {*r_.u32(at), s});
            at += 4 + s.size() + 1;
        }
        for (const Value& v : list) add_value(found_, v);
    }

    // index_searchwild__all(): the subtree at OFFSET (from its prefix's
    // J-th byte) under the pattern text in buf_, matched against KEY[I..].
    Status all(std::uint32_t offset, std::size_t j, std::size_t i) {
        if (buf_.size() > kMaxPattern) return failure(EINVAL, "damaged depmod index");
        auto n = node(offset);
        if (!n) return std::unexpected(n.error());
        const std::size_t pushed = n->prefix.size() - std::min(j, n->prefix.size());
        buf_.append(n->prefix.substr(std::min(j, n->prefix.size())));
        for (unsigned ch = n->first; ch <= n->last; ++ch) {
            auto c = child(*n, int(ch));
            if (!c) return std::unexpected(c.error());
            if (*c == 0) continue;
            buf_.push_back(static_cast<char>(ch));
            if (auto st = all(*c, 0, i); !st) return st;
            buf_.pop_back();
        }
        if (n->values && ::fnmatch(buf_.c_str(), key_.c_str() + i, 0) == 0) all_values(*n);
        buf_.resize(buf_.size() - pushed);
        return {};
    }

    // index_searchwild__node(): down KEY's path until a pattern begins.
    Status descend(std::uint32_t offset) {
        std::size_t i = 0;
        while (offset & kOffsetMask) {
            auto n = node(offset);
            if (!n) return std::unexpected(n.error());
            for (std::size_t j = 0; j < n->prefix.size(); ++j) {
                const char ch = n->prefix[j];
                if (ch == '*' || ch == '?' || ch == '[') return all(offset, j, i + j);
                if (i + j >= key_.size() || ch != key_[i + j]) return {};
            }
            i += n->prefix.size();
            for (char w : {'*', '?', '['}) {
                auto c = child(*n, w);
                if (!c) return std::unexpected(c.error());
                if (*c == 0) continue;
                buf_.assign(1, w);
                if (auto st = all(*c, 0, i); !st) return st;
                buf_.clear();
            }
            if (i == key_.size()) {
                all_values(*n);
                return {};
            }
            auto c = child(*n, static_cast<signed char>(key_[i]));
            if (!c) return std::unexpected(c.error());
            offset = *c;
            ++i;
        }
        return {};
    }

    // Longer than any alias depmod writes (libkmod's own limit is PATH_MAX
    // for names); a deeper pattern is a damaged image, not an alias.
    static constexpr std::size_t kMaxPattern = 8192;

    const Reader& r_;
    const std::string key_;  // NUL-terminated for fnmatch()
    std::size_t budget_;
    std::string buf_;
    std::vector<Value> found_;
};

}  // namespace

Result<std::vector<std::string>> lookup_wild(std::span<const unsigned char> image, std::string_view key) {
    const Reader r(image);
    auto magic = r.u32(0), version = r.u32(4), root = r.u32(8);
    if (!magic || !version || !root || *magic != kMagic || (*version >> 16) != kVersionMajor)
        return failure(EINVAL, "not a depmod index");
    // libkmod reads the key as a C string: it ends at its first NUL.
    key = key.substr(0, std::min(key.find('\0'), key.size()));
    WildSearch search(r, key, image.size() + 1);
    if (auto st = search.run(*root); !st) return std::unexpected(st.error());
    return search.values();
}

std::string module_file_path(std::string_view p, const std::string& module_dir) {
    return p.starts_with('/') ? std::string(p) : module_dir + "/" + std::string(p);
}

std::optional<std::string> dep_value_path(std::string_view value, const std::string& module_dir) {
    const auto colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    return module_file_path(value.substr(0, colon), module_dir);
}

Result<bool> contains(std::span<const unsigned char> image, std::string_view key) {
    auto v = lookup(image, key);
    if (!v) return std::unexpected(v.error());
    return v->has_value();
}

Result<std::optional<std::string>> file_lookup(const std::string& path, std::string_view key) {
    return on_file(path, [key](std::span<const unsigned char> image) { return lookup(image, key); });
}

Result<std::vector<std::string>> file_lookup_wild(const std::string& path, std::string_view key) {
    return on_file(path, [key](std::span<const unsigned char> image) { return lookup_wild(image, key); });
}

Result<bool> file_contains(const std::string& path, std::string_view key) {
    auto v = file_lookup(path, key);
    if (!v) return std::unexpected(v.error());
    return v->has_value();
}

}  // namespace kmodx::module_index
