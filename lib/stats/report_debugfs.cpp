// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel's /sys/kernel/debug/modules/stats, computed from what kmodx saw
// and printed byte for byte as kernel/module/stats.c prints it, plus the
// reader for the kernel's own file so both can be shown side by side.
#include <kmodx/stats_report.hpp>

#include "kernel/sysfs.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <unordered_map>

namespace kmodx::stats {
namespace {

// The kernel's list holds 112 entries' worth of buffer and stops at the
// 112th (`++count_failed >= MAX_FAILED_MOD_PRINT`): 111 rows at most.
constexpr std::size_t kMaxDuplicateRows = 111;

// DIV_ROUND_UP without its a + b - 1, which wraps for a saturated a.
std::uint64_t div_round_up(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0); }

void line(std::string& out, const char* label, std::uint64_t v) {
    char buf[96];
    int n = std::snprintf(buf, sizeof buf, "%25s\t%llu\n", label, static_cast<unsigned long long>(v));
    out.append(buf, static_cast<std::size_t>(n));
}

// The kernel's counters are u32 (`%u`), its byte sums unsigned long. A
// count past u32 prints as UINT32_MAX, not wrapped: the kernel's would wrap
// only after 4 billion loads in one boot, so past it kmodx's figure comes
// from a forged record, and wrapping would hide that as a small number.
std::uint32_t u32_count(std::uint64_t v) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::uint32_t>::max()));
}

void count_line(std::string& out, const char* label, std::uint64_t v) { line(out, label, u32_count(v)); }

}  // namespace

const char* duplicate_reason(const DebugfsStats::Duplicate& d) {
    if (d.becoming && d.load) return "Becoming & Load";
    if (d.becoming) return "Becoming";
    if (d.load) return "Load";
    return "Bug-on-stats";  // the kernel's own word for a mask with neither bit
}

DebugfsStage debugfs_stage(const Event& e) {
    if (e.outcome != Outcome::FailedKernel && e.outcome != Outcome::DuplicateInKernel) return DebugfsStage::NotCounted;
    switch (e.err) {
        case EEXIST:
        case EBUSY: {
            // module_patient_check_exists() runs in early_mod_check() (6.4+,
            // before allocation) and in add_unformed_module() (after): the
            // recorder charged the stage of the kernel it ran on.
            const std::uint64_t extra = e.path == DecompressPath::Kernel ? e.file_bytes : 0;
            const bool load = e.image_bytes > 0 && e.kernel_alloc_bytes >= extra &&
                              e.kernel_alloc_bytes - extra == saturating_add(e.image_bytes, e.image_bytes);
            return load ? DebugfsStage::Load : DebugfsStage::Becoming;
        }
        case ENOENT:  // unknown symbol or parameter: found after layout_and_allocate()
            return DebugfsStage::Load;
        case ENOEXEC:       // bad ELF, vermagic
        case EKEYREJECTED:  // signature
        case EBADMSG:
        case EPERM:  // blacklisted by the kernel (module_blacklist=)
            return DebugfsStage::Becoming;
        default: return DebugfsStage::NotCounted;  // the module's own init failed
    }
}

std::uint64_t debugfs_wasted_bytes(const Event& e, DebugfsStage stage) {
    if (stage == DebugfsStage::NotCounted) return 0;
    if (e.kernel_alloc_bytes) return e.kernel_alloc_bytes;
    // mod_stat_bump_becoming(): len (+ compressed_len when the kernel
    // decompressed); mod_stat_bump_invalid(): 2 x len (+ compressed_len).
    std::uint64_t len = e.image_bytes ? e.image_bytes : e.file_bytes;
    std::uint64_t compressed = e.path == DecompressPath::Kernel ? e.file_bytes : 0;
    return saturating_add(stage == DebugfsStage::Load ? saturating_add(len, len) : len, compressed);
}

DebugfsStats debugfs_from_events(const std::vector<Event>& events) {
    DebugfsStats s;
    struct Dup {
        std::int64_t first_ns;
        std::size_t first_index;
        std::size_t slot;
    };
    std::unordered_map<std::string_view, Dup> dup_index;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        const std::uint64_t n = e.count;
        switch (e.outcome) {
            case Outcome::Loaded:
                add_saturating(s.loaded, n);
                add_saturating(s.total_size, e.module_bytes);  // compacted records carry sums
                add_saturating(s.text_size, e.text_bytes);
                break;
            case Outcome::FailedRead:
                add_saturating(s.failed_kread, n);
                add_saturating(s.kread_bytes, e.file_bytes);
                break;
            case Outcome::FailedDecompress:
                add_saturating(s.failed_decompress, n);
                add_saturating(s.decompress_bytes, e.file_bytes);
                break;
            case Outcome::FailedKernel:
            case Outcome::DuplicateInKernel: {
                DebugfsStage st = debugfs_stage(e);
                if (st == DebugfsStage::NotCounted) break;
                // A compacted record's sizes are sums already; the formula's
                // fallback is linear in them, so no scaling by count.
                std::uint64_t bytes = debugfs_wasted_bytes(e, st);
                if (st == DebugfsStage::Becoming) {
                    add_saturating(s.failed_becoming, n);
                    add_saturating(s.becoming_bytes, bytes);
                } else {
                    add_saturating(s.failed_load, n);
                    add_saturating(s.load_bytes, bytes);
                }
                // Only duplicates make the kernel's table (try_add_failed_module
                // is called from module_patient_check_exists alone).
                if (e.err != EEXIST && e.err != EBUSY) break;
                auto [it, fresh] = dup_index.try_emplace(e.module, Dup{e.time_ns, i, s.duplicates.size()});
                if (fresh) s.duplicates.push_back({e.module, 0, false, false});
                Dup& d = it->second;
                if (e.time_ns < d.first_ns) d.first_ns = e.time_ns;
                auto& row = s.duplicates[d.slot];
                add_saturating(row.count, n);
                (st == DebugfsStage::Becoming ? row.becoming : row.load) = true;
                break;
            }
            default: break;
        }
    }
    // The kernel adds a module to the head of its list at its first
    // duplicate: newest first by first duplicate, store order breaking ties.
    std::vector<std::pair<const Dup*, std::size_t>> order;
    for (const auto& [name, d] : dup_index) order.emplace_back(&d, d.slot);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        if (a.first->first_ns != b.first->first_ns) return a.first->first_ns > b.first->first_ns;
        return a.first->first_index > b.first->first_index;
    });
    std::vector<DebugfsStats::Duplicate> sorted;
    sorted.reserve(order.size());
    for (const auto& [d, slot] : order) sorted.push_back(std::move(s.duplicates[slot]));
    s.duplicates = std::move(sorted);
    return s;
}

std::string format_debugfs(const DebugfsStats& s) {
    std::string out;
    count_line(out, "Mods ever loaded", s.loaded);
    count_line(out, "Mods failed on kread", s.failed_kread);
    count_line(out, "Mods failed on decompress", s.failed_decompress);
    count_line(out, "Mods failed on becoming", s.failed_becoming);
    count_line(out, "Mods failed on load", s.failed_load);
    line(out, "Total module size", s.total_size);
    line(out, "Total mod text size", s.text_size);
    line(out, "Failed kread bytes", s.kread_bytes);
    line(out, "Failed decompress bytes", s.decompress_bytes);
    line(out, "Failed becoming bytes", s.becoming_bytes);
    line(out, "Failed kmod bytes", s.load_bytes);
    line(out, "Virtual mem wasted bytes", s.wasted_bytes());
    const std::uint32_t live = u32_count(s.loaded);
    if (live && s.total_size) line(out, "Average mod size", div_round_up(s.total_size, live));
    if (live && s.text_size) line(out, "Average mod text size", div_round_up(s.text_size, live));
    const auto fk = u32_count(s.failed_kread);
    const auto fb = u32_count(s.failed_becoming);
    const auto fd = u32_count(s.failed_decompress);
    const auto fl = u32_count(s.failed_load);
    if (fk && s.kread_bytes) line(out, "Avg fail kread bytes", div_round_up(s.kread_bytes, fk));
    if (fb && s.becoming_bytes) line(out, "Avg fail becoming bytes", div_round_up(s.becoming_bytes, fb));
    if (fd && s.decompress_bytes) line(out, "Avg fail decomp bytes", div_round_up(s.decompress_bytes, fd));
    if (fl && s.load_bytes) line(out, "Average fail load bytes", div_round_up(s.load_bytes, fl));
    if (s.duplicates.empty()) return out;
    out += "Duplicate failed modules:\n";
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "%25s\t%15s\t%25s\n", "Module-name", "How-many-times", "Reason");
    out.append(buf, static_cast<std::size_t>(n));
    std::size_t rows = 0;
    for (const auto& d : s.duplicates) {
        if (++rows > kMaxDuplicateRows) break;
        // Module names are at most 55 chars (MODULE_NAME_LEN - 1): fits.
        // An escaped forged one can be longer: "%.64s" cuts it to fit.
        const std::string name = text_escape(d.module);
        n = std::snprintf(buf, sizeof buf, "%25.*s\t%15llu\t%25s\n", 64, name.c_str(),
                          static_cast<unsigned long long>(d.count), duplicate_reason(d));
        out.append(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
    }
    return out;
}

std::optional<DebugfsStats> parse_debugfs(std::string_view text) {
    DebugfsStats s;
    struct Field {
        std::string_view label;
        std::uint64_t DebugfsStats::*member;
    };
    static constexpr Field kFields[] = {
        {"Mods ever loaded", &DebugfsStats::loaded},
        {"Mods failed on kread", &DebugfsStats::failed_kread},
        {"Mods failed on decompress", &DebugfsStats::failed_decompress},
        {"Mods failed on becoming", &DebugfsStats::failed_becoming},
        {"Mods failed on load", &DebugfsStats::failed_load},
        {"Total module size", &DebugfsStats::total_size},
        {"Total mod text size", &DebugfsStats::text_size},
        {"Failed kread bytes", &DebugfsStats::kread_bytes},
        {"Failed decompress bytes", &DebugfsStats::decompress_bytes},
        {"Failed becoming bytes", &DebugfsStats::becoming_bytes},
        {"Failed kmod bytes", &DebugfsStats::load_bytes},
    };
    auto trim = [](std::string_view v) {
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
        return v;
    };
    auto number = [](std::string_view v, std::uint64_t& out) {
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
        return ec == std::errc() && p == v.data() + v.size();
    };
    std::size_t seen = 0;
    bool table = false;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view ln = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ln = trim(ln);
        if (ln.empty()) continue;
        if (ln == "Duplicate failed modules:") {
            table = true;
            continue;
        }
        // The value is the last word; labels and reasons hold spaces.
        auto cut = ln.find_last_of(" \t");
        if (cut == std::string_view::npos) return std::nullopt;
        std::string_view head = trim(ln.substr(0, cut)), tail = ln.substr(cut + 1);
        if (table) {
            // "NAME COUNT REASON", REASON possibly "Becoming & Load".
            bool becoming = ln.ends_with("Becoming & Load") || ln.ends_with("Becoming");
            bool load = ln.ends_with("Load");
            std::string_view rest =
                ln.ends_with("Becoming & Load") ? ln.substr(0, ln.size() - 15) : ln.substr(0, ln.size() - tail.size());
            rest = trim(rest);
            auto c2 = rest.find_last_of(" \t");
            if (c2 == std::string_view::npos) return std::nullopt;
            std::uint64_t count = 0;
            if (!number(rest.substr(c2 + 1), count)) {
                if (rest.substr(c2 + 1) == "How-many-times") continue;  // the header
                return std::nullopt;
            }
            s.duplicates.push_back({std::string(trim(rest.substr(0, c2))), count, becoming, load});
            continue;
        }
        std::uint64_t v = 0;
        if (!number(tail, v)) return std::nullopt;
        for (const auto& f : kFields)
            if (head == f.label) {
                s.*(f.member) = v;
                ++seen;
            }
        // Averages and "Virtual mem wasted bytes" are derived: not stored.
    }
    if (seen < std::size(kFields)) return std::nullopt;
    return s;
}

Result<DebugfsStats> read_kernel_debugfs(const std::string& path) {
    auto text = sysfs::read_file(path);
    if (!text) return std::unexpected(text.error());
    auto parsed = parse_debugfs(*text);
    if (!parsed) return failure(EBADMSG, path + ": not the kernel's module stats");
    return *parsed;
}

}  // namespace kmodx::stats
