// SPDX-License-Identifier: LGPL-2.1-or-later
#include "load/elf.hpp"

#include <cerrno>
#include <cstring>

namespace kmodx::elf {
namespace {

// e_ident and header field offsets (ELF spec, identical for every machine).
constexpr std::size_t kEiClass = 4, kEiData = 5;
constexpr std::size_t kEhdr32Size = 52, kEhdr64Size = 64;
constexpr std::size_t kShdr32Size = 40, kShdr64Size = 64;
constexpr std::uint32_t kShtNobits = 8;

struct ShdrLayout {
    std::size_t name, type, flags, offset, size, link, addralign, flags_width, word;
};
constexpr ShdrLayout kShdr32{0, 4, 8, 16, 20, 24, 32, 4, 4};
constexpr ShdrLayout kShdr64{0, 4, 8, 24, 32, 40, 48, 8, 8};

bool fits(std::uint64_t off, std::uint64_t len, std::uint64_t total) { return off <= total && len <= total - off; }

std::unexpected<Error> corrupt(const char* what) { return failure(ENOEXEC, std::string("ELF: ") + what); }

void write_uint(std::span<std::byte> bytes, std::size_t off, std::size_t width, bool lsb, std::uint64_t v) {
    for (std::size_t i = 0; i < width; ++i) {
        std::size_t pos = lsb ? off + i : off + width - 1 - i;
        bytes[pos] = static_cast<std::byte>(v >> (8 * i));
    }
}

}  // namespace

std::uint64_t Image::read_uint(std::size_t off, std::size_t width) const {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        std::size_t pos = lsb_ ? off + width - 1 - i : off + i;
        v = (v << 8) | std::to_integer<std::uint64_t>(bytes_[pos]);
    }
    return v;
}

Result<Image> Image::parse(std::span<const std::byte> bytes) {
    Image img;
    img.bytes_ = bytes;
    if (bytes.size() < 16 || std::memcmp(bytes.data(),
                                         "\x7f"
                                         "ELF",
                                         4) != 0)
        return corrupt("not an ELF file");
    auto cls = std::to_integer<int>(bytes[kEiClass]);
    auto data = std::to_integer<int>(bytes[kEiData]);
    if (cls != 1 && cls != 2) return corrupt("unknown class");
    if (data != 1 && data != 2) return corrupt("unknown byte order");
    img.is64_ = cls == 2;
    img.lsb_ = data == 1;
    if (bytes.size() < (img.is64_ ? kEhdr64Size : kEhdr32Size)) return corrupt("truncated header");

    std::size_t shentsize, shnum, shstrndx;
    if (img.is64_) {
        img.shoff_ = img.read_uint(0x28, 8);
        shentsize = img.read_uint(0x3a, 2);
        shnum = img.read_uint(0x3c, 2);
        shstrndx = img.read_uint(0x3e, 2);
    } else {
        img.shoff_ = img.read_uint(0x20, 4);
        shentsize = img.read_uint(0x2e, 2);
        shnum = img.read_uint(0x30, 2);
        shstrndx = img.read_uint(0x32, 2);
    }
    // Modules never need the extended numbering escapes (shnum 0, SHN_XINDEX).
    if (shnum == 0 || shstrndx >= shnum) return corrupt("no section name table");
    if (shentsize < (img.is64_ ? kShdr64Size : kShdr32Size)) return corrupt("bad section header size");
    if (!fits(img.shoff_, std::uint64_t(shnum) * shentsize, bytes.size()))
        return corrupt("section headers beyond end of file");
    img.shentsize_ = shentsize;
    img.shnum_ = shnum;

    auto strtab = img.section(shstrndx);
    if (!strtab) return std::unexpected(strtab.error());
    if (!fits(strtab->offset, strtab->size, bytes.size())) return corrupt("section name table beyond end of file");
    img.strtab_off_ = strtab->offset;
    img.strtab_size_ = strtab->size;
    return img;
}

Result<Section> Image::section(std::size_t index) const {
    if (index >= shnum_) return corrupt("section index out of range");
    const ShdrLayout& l = is64_ ? kShdr64 : kShdr32;
    std::size_t h = shoff_ + index * shentsize_;
    Section s;
    s.header_offset = h;
    s.type = read_uint(h + l.type, 4);
    s.flags = read_uint(h + l.flags, l.flags_width);
    s.offset = read_uint(h + l.offset, l.word);
    s.size = read_uint(h + l.size, l.word);
    s.link = static_cast<std::uint32_t>(read_uint(h + l.link, 4));
    s.addralign = read_uint(h + l.addralign, l.word);
    std::uint64_t name = read_uint(h + l.name, 4);
    if (strtab_size_ != 0) {  // unset while parse() is locating the table itself
        if (name >= strtab_size_) return corrupt("section name out of range");
        const char* base = reinterpret_cast<const char*>(bytes_.data()) + strtab_off_ + name;
        std::size_t max = strtab_size_ - name;
        const void* nul = std::memchr(base, '\0', max);
        if (!nul) return corrupt("unterminated section name");
        s.name = std::string_view(base, static_cast<const char*>(nul) - base);
    }
    return s;
}

Result<Section> Image::find(std::string_view name) const {
    for (std::size_t i = 1; i < shnum_; ++i) {
        auto s = section(i);
        if (!s) return s;
        if (s->name == name) return s;
    }
    return failure(ENOENT, "ELF: no section " + std::string(name));
}

Result<std::span<const std::byte>> Image::data(const Section& s) const {
    if (s.type == kShtNobits) return std::span<const std::byte>();
    if (!fits(s.offset, s.size, bytes_.size())) return corrupt("section data beyond end of file");
    return bytes_.subspan(s.offset, s.size);
}

namespace {

// Offset (in the image) and length of the first .modinfo entry with this key.
Result<std::pair<std::size_t, std::size_t>> find_modinfo(const Image& img, std::span<const std::byte> bytes,
                                                         std::string_view key) {
    auto sec = img.find(".modinfo");
    if (!sec) return std::unexpected(sec.error());
    auto data = img.data(*sec);
    if (!data) return std::unexpected(data.error());
    std::string_view text(reinterpret_cast<const char*>(data->data()), data->size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\0', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view entry = text.substr(pos, end - pos);
        if (entry.size() > key.size() && entry.starts_with(key) && entry[key.size()] == '=') {
            std::size_t at = static_cast<std::size_t>(data->data() - bytes.data()) + pos;
            return std::pair{at, entry.size()};
        }
        pos = end + 1;
    }
    return failure(ENOENT, ".modinfo has no " + std::string(key));
}

}  // namespace

std::optional<std::string> modinfo_value(std::span<const std::byte> image, std::string_view key) {
    auto img = Image::parse(image);
    if (!img) return std::nullopt;
    auto at = find_modinfo(*img, image, key);
    if (!at) return std::nullopt;
    const char* p = reinterpret_cast<const char*>(image.data()) + at->first;
    return std::string(p + key.size() + 1, at->second - key.size() - 1);
}

Status clear_alloc_flag(std::span<std::byte> image, std::string_view section) {
    auto img = Image::parse(image);
    if (!img) return std::unexpected(img.error());
    auto sec = img->find(section);
    if (!sec) return std::unexpected(sec.error());
    const ShdrLayout& l = img->is64() ? kShdr64 : kShdr32;
    bool lsb = std::to_integer<int>(image[kEiData]) == 1;
    write_uint(image, sec->header_offset + l.flags, l.flags_width, lsb, sec->flags & ~kShfAlloc);
    return {};
}

Status strip_vermagic(std::span<std::byte> image) {
    auto img = Image::parse(image);
    if (!img) return std::unexpected(img.error());
    auto at = find_modinfo(*img, image, "vermagic");
    if (!at) return std::unexpected(at.error());
    std::memset(image.data() + at->first, 0, at->second);
    return {};
}

}  // namespace kmodx::elf
