// SPDX-License-Identifier: LGPL-2.1-or-later
// Exact-key lookups in depmod's binary indexes (modules.dep.bin and the
// others: a trie of prefix strings, child tables and value lists, big-endian
// offsets), answered as libkmod answers them, without libkmod.
#pragma once

#include <kmodx/result.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::module_index {

// Whether KEY has at least one value in the index IMAGE. An image that is not
// a depmod index of a version libkmod reads, or whose offsets lead outside
// it, is EINVAL: the caller then asks libkmod, which reports it its own way.
Result<bool> contains(std::span<const unsigned char> image, std::string_view key);

// KEY's value as libkmod's exact lookup gives it (the first, depmod having
// sorted them by priority); nullopt when KEY has none. Errors as contains().
Result<std::optional<std::string>> lookup(std::span<const unsigned char> image, std::string_view key);

// Every value libkmod's wildcard search (kmod_lookup_alias_from_alias_bin()
// on modules.alias.bin, modules.builtin.alias.bin, modules.symbols.bin) gives
// for KEY, in its order: KEY's own values and those of each pattern key
// ('*', '?' or '[') that fnmatch() matches to KEY, sorted by priority (the
// module's place in modules.order); empty when none matches. KEY is taken as
// given: normalise it first (normalized_alias()). Errors as contains().
Result<std::vector<std::string>> lookup_wild(std::span<const unsigned char> image, std::string_view key);

// A module file's path as modules.dep gives it, made absolute against
// MODULE_DIR as libkmod makes it.
std::string module_file_path(std::string_view p, const std::string& module_dir);

// The module file a modules.dep value ("PATH: DEP DEP...") names, made
// absolute against MODULE_DIR as libkmod makes it; nullopt for a value with
// no path before its ':'.
std::optional<std::string> dep_value_path(std::string_view value, const std::string& module_dir);

// A depmod index file mapped read-only (not read: a lookup touches a few of
// its pages), for several lookups in one index.
class IndexFile {
public:
    static Result<IndexFile> open(const std::string& path);
    IndexFile(IndexFile&& o) noexcept;
    IndexFile& operator=(IndexFile&&) = delete;
    ~IndexFile();
    std::span<const unsigned char> image() const;

private:
    IndexFile() = default;
    void* addr_ = reinterpret_cast<void*>(-1);  // MAP_FAILED
    std::size_t size_ = 0;
};

// The same for the index file at PATH, mapped for the one lookup.
Result<bool> file_contains(const std::string& path, std::string_view key);
Result<std::optional<std::string>> file_lookup(const std::string& path, std::string_view key);
Result<std::vector<std::string>> file_lookup_wild(const std::string& path, std::string_view key);

}  // namespace kmodx::module_index
