// SPDX-License-Identifier: LGPL-2.1-or-later
// Just enough ELF to do what modprobe --force does to a module image before
// init_module(): find sections by name, clear a section's SHF_ALLOC flag and
// blank the vermagic entry of .modinfo. ELF32 and ELF64, either byte order.
// Every offset is bounds-checked: a truncated or corrupt image is ENOEXEC.
#pragma once

#include <kmodx/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kmodx::elf {

inline constexpr std::uint64_t kShfAlloc = 0x2;

struct Section {
    std::string_view name;
    std::uint32_t type = 0;
    std::uint64_t flags = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint32_t link = 0;
    std::uint64_t addralign = 0;
    std::size_t header_offset = 0;  // where this section's header starts
};

// A validated, read-only view of an image; it does not own the bytes.
class Image {
public:
    static Result<Image> parse(std::span<const std::byte> bytes);

    bool is64() const { return is64_; }
    std::size_t section_count() const { return shnum_; }
    Result<Section> section(std::size_t index) const;
    // ENOENT when no section has that name.
    Result<Section> find(std::string_view name) const;
    // The section's bytes (ENOEXEC if they lie outside the image).
    Result<std::span<const std::byte>> data(const Section& s) const;

    std::uint64_t read_uint(std::size_t offset, std::size_t width) const;

private:
    std::span<const std::byte> bytes_;
    bool is64_ = true;
    bool lsb_ = true;
    std::uint64_t shoff_ = 0;
    std::size_t shentsize_ = 0;
    std::size_t shnum_ = 0;
    std::size_t strtab_off_ = 0;
    std::size_t strtab_size_ = 0;
};

// The value of the first `key=` entry in .modinfo.
std::optional<std::string> modinfo_value(std::span<const std::byte> image, std::string_view key);

// Clears SHF_ALLOC on the named section, which makes the kernel ignore it
// (that is how --force-modversion drops __versions). ENOENT if absent.
Status clear_alloc_flag(std::span<std::byte> image, std::string_view section);

// Zeroes the whole "vermagic=..." entry of .modinfo: the kernel treats a
// missing vermagic as forced, whereas an empty value would not match.
// ENOENT when there is no vermagic entry.
Status strip_vermagic(std::span<std::byte> image);

}  // namespace kmodx::elf
