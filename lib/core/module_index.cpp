#include "core/module_index.hpp"

#include <kmodx/fd.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <optional>
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
        return std::uint32_t{img_[at]} << 24 | std::uint32_t{img_[at + 1]} << 16 |
               std::uint32_t{img_[at + 2]} << 8 | std::uint32_t{img_[at + 3]};
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

struct Mapping {
    void* addr = MAP_FAILED;
    std::size_t size = 0;
    Mapping() = default;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() {
        if (addr != MAP_FAILED) ::munmap(addr, size);
    }
};

}  // namespace

namespace {

// Where KEY ends in the trie. Wild: a pattern key ('*', '?' or '[' in a
// prefix, or a child under one of them) lies on KEY's path, so libkmod's
// wildcard search (modules.alias.bin) could match KEY by it as well; only
// looked for when WILD_AWARE.
struct Walk {
    enum { Missing, Found, Wild } kind = Missing;
    Node node;
};

bool wild(unsigned ch) { return ch == '*' || ch == '?' || ch == '['; }

Result<Walk> walk(const Reader& r, std::string_view key, bool wild_aware) {
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
            if (wild_aware && wild(static_cast<unsigned char>(n->prefix[k]))) return Walk{Walk::Wild, {}};
            if (i + k >= key.size() || key[i + k] != n->prefix[k]) return Walk{};
        }
        i += n->prefix.size();
        if (wild_aware) {
            for (unsigned ch : {'*', '?', '['}) {
                if (ch < n->first || ch > n->last) continue;
                auto child = r.u32(n->children + 4 * std::size_t(ch - n->first));
                if (!child) return failure(EINVAL, "damaged depmod index");
                if ((*child & kOffsetMask) != 0) return Walk{Walk::Wild, {}};
            }
        }
        if (i == key.size()) return n->values == 0 ? Walk{} : Walk{Walk::Found, *n};
        const unsigned ch = static_cast<unsigned char>(key[i++]);
        if (ch < n->first || ch > n->last) return Walk{};
        auto child = r.u32(n->children + 4 * std::size_t(ch - n->first));
        if (!child) return failure(EINVAL, "damaged depmod index");
        offset = *child;
    }
    return failure(EINVAL, "damaged depmod index");
}

// Runs LOOK on the index file at PATH, mapped, not read: one lookup touches
// a few of its pages.
template <class Look>
auto on_file(const std::string& path, Look look) -> decltype(look(std::span<const unsigned char>{})) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return failure_errno("open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return failure_errno("stat " + path);
    if (st.st_size < 12) return failure(EINVAL, path + ": not a depmod index");
    Mapping m;
    m.size = static_cast<std::size_t>(st.st_size);
    m.addr = ::mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (m.addr == MAP_FAILED) return failure_errno("mmap " + path);
    return look(std::span<const unsigned char>{static_cast<const unsigned char*>(m.addr), m.size});
}

}  // namespace

Result<std::optional<std::string>> lookup(std::span<const unsigned char> image, std::string_view key) {
    using Found = std::optional<std::string>;
    const Reader r(image);
    auto w = walk(r, key, false);
    if (!w) return std::unexpected(w.error());
    if (w->kind != Walk::Found) return Found{};
    // libkmod answers with the first value: depmod sorts them by priority.
    return Found{std::string(*r.str(w->node.first_value + 4))};
}

Result<std::optional<std::vector<std::string>>> lookup_all_plain(std::span<const unsigned char> image,
                                                                  std::string_view key) {
    using Answer = std::optional<std::vector<std::string>>;
    const Reader r(image);
    auto w = walk(r, key, true);
    if (!w) return std::unexpected(w.error());
    if (w->kind == Walk::Wild) return Answer{};
    std::vector<std::string> out;
    if (w->kind == Walk::Found) {
        // read_node() checked that every value lies inside the image.
        std::size_t at = w->node.first_value;
        for (std::uint32_t v = 0; v < w->node.values; ++v) {
            const std::string_view s = *r.str(at + 4);
            out.emplace_back(s);
            at += 4 + s.size() + 1;
        }
    }
    return Answer{std::move(out)};
}

Result<bool> contains(std::span<const unsigned char> image, std::string_view key) {
    auto v = lookup(image, key);
    if (!v) return std::unexpected(v.error());
    return v->has_value();
}

Result<std::optional<std::string>> file_lookup(const std::string& path, std::string_view key) {
    return on_file(path, [key](std::span<const unsigned char> image) { return lookup(image, key); });
}

Result<std::optional<std::vector<std::string>>> file_lookup_all_plain(const std::string& path, std::string_view key) {
    return on_file(path, [key](std::span<const unsigned char> image) { return lookup_all_plain(image, key); });
}

Result<bool> file_contains(const std::string& path, std::string_view key) {
    auto v = file_lookup(path, key);
    if (!v) return std::unexpected(v.error());
    return v->has_value();
}

}  // namespace kmodx::module_index
