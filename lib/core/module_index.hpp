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

// Every value of KEY in order (all modules an alias names, by priority), as
// libkmod's wildcard search of modules.alias.bin gives them, when no pattern
// key could match KEY too; an empty list when KEY has none; nullopt when a
// pattern ('*', '?' or '[') lies on KEY's path through the trie: then only
// libkmod's fnmatch() over it can say. Errors as contains().
Result<std::optional<std::vector<std::string>>> lookup_all_plain(std::span<const unsigned char> image,
                                                                  std::string_view key);

// The same for the index file at PATH (mapped, not read: one lookup touches
// a few of its pages).
Result<bool> file_contains(const std::string& path, std::string_view key);
Result<std::optional<std::string>> file_lookup(const std::string& path, std::string_view key);
Result<std::optional<std::vector<std::string>>> file_lookup_all_plain(const std::string& path, std::string_view key);

}  // namespace kmodx::module_index
