// SPDX-License-Identifier: LGPL-2.1-or-later
// The lock file's record and the decision taken from it. The format is a few
// fixed lines of text so an admin can cat a lock file:
//     kmodx-dedup 2
//     pid 1234
//     start 5678        (the pid's start time, clock ticks since boot)
//     time 1700000000123456789
//     err 19            ("err pending" while its writer is loading)
//     key 9f1c2e3d4b5a6978
// padded with newlines to a fixed kRecordBytes, so each record replaces the
// one before in a single pwrite(): no truncate, two syscalls fewer per load.
#include <kmodx/dedup.hpp>
#include <kmodx/module_name.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

namespace kmodx::dedup {
namespace {

// Version 1 records (no start time, a key of the options alone) read as no
// record: its failure would be reused for another file or other flags.
constexpr std::string_view kMagic = "kmodx-dedup 2\n";
constexpr std::size_t kMaxRecord = 256;
static_assert(kRecordBytes <= kMaxRecord);

// "KEY VALUE\n" at the front of `text`, VALUE parsed in `base`; advances text.
template <class T>
bool take(std::string_view& text, std::string_view key, T& out, int base = 10) {
    if (!text.starts_with(key) || text.size() <= key.size() || text[key.size()] != ' ') return false;
    text.remove_prefix(key.size() + 1);
    auto nl = text.find('\n');
    if (nl == std::string_view::npos || nl == 0) return false;
    auto [p, ec] = std::from_chars(text.data(), text.data() + nl, out, base);
    if (ec != std::errc() || p != text.data() + nl) return false;
    text.remove_prefix(nl + 1);
    return true;
}

// Failures that say more about the moment or the caller than about the
// module: a dependency removed under us (ENOENT, unknown symbol), the same
// name still coming or going (EBUSY), memory or time running short, a
// caller without the right to load (EPERM, EACCES: handed to the kernel's
// next request, it would refuse a load that works). Reusing them would
// refuse loads that now work; the failure window is for modules that fail
// on this machine whenever they are tried (ENODEV, EOPNOTSUPP, bad files).
bool transient(int err) {
    switch (err) {
        case ENOENT:
        case EBUSY:
        case EAGAIN:
        case EINTR:
        case ENOMEM:
        case ETIMEDOUT:
        case EEXIST:
        case EPERM:
        case EACCES: return true;
        default: return false;
    }
}

}  // namespace

std::optional<std::string> lock_name(std::string_view module) {
    if (module.empty() || module.size() > 56) return std::nullopt;
    std::string out = canonical_module_name(std::string(module));
    for (char c : out) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return std::nullopt;
    }
    return out;
}

std::uint64_t params_hash(std::string_view params) {
    // FNV-1a: only equality matters, and only between two requests on one machine.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : params) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}

std::uint64_t request_key(std::string_view params, unsigned force_flags, const std::string& path) {
    struct stat st {};
    const int err = ::stat(path.c_str(), &st) == 0 ? 0 : errno;
    char id[160];
    const int n = std::snprintf(id, sizeof id, "\n%u\n%d %llu %llu %lld %lld.%09ld", force_flags, err,
                                static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino),
                                static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                                st.st_mtim.tv_nsec);
    std::string all(params);
    all.append(id, n > 0 ? std::size_t(n) : 0);
    return params_hash(all);
}

std::string format_record(const Record& r) {
    char buf[kMaxRecord];
    char err[16];
    if (r.pending) std::snprintf(err, sizeof err, "pending");
    else std::snprintf(err, sizeof err, "%d", r.err);
    int n = std::snprintf(buf, sizeof buf, "%.*spid %d\nstart %llu\ntime %lld\nerr %s\nkey %016llx\n",
                          int(kMagic.size()), kMagic.data(), int(r.pid), static_cast<unsigned long long>(r.start),
                          static_cast<long long>(r.time_ns), err, static_cast<unsigned long long>(r.key));
    std::string out(buf, n > 0 ? std::size_t(n) : 0);
    if (out.size() < kRecordBytes) out.resize(kRecordBytes, '\n');
    return out;
}

std::optional<Record> parse_record(std::string_view text) {
    if (text.size() > kMaxRecord || !text.starts_with(kMagic)) return std::nullopt;
    text.remove_prefix(kMagic.size());
    Record r;
    int pid = 0;
    if (!take(text, "pid", pid) || !take(text, "start", r.start) || !take(text, "time", r.time_ns)) return std::nullopt;
    constexpr std::string_view kPending = "err pending\n";
    if (text.starts_with(kPending)) {
        r.pending = true;
        text.remove_prefix(kPending.size());
    } else if (!take(text, "err", r.err)) {
        return std::nullopt;
    }
    if (!take(text, "key", r.key, 16) || text.find_first_not_of('\n') != std::string_view::npos) return std::nullopt;
    if (pid <= 0 || r.err < 0 || r.time_ns < 0) return std::nullopt;
    r.pid = pid;
    return r;
}

Decision decide(ModuleState state, const std::optional<Record>& previous, std::uint64_t request_key,
                std::int64_t now_ns, std::int64_t fail_window_s) {
    if (state == ModuleState::Live) return {Action::SkipLive, 0};
    if (previous && !previous->pending && previous->err != 0 && !transient(previous->err) && fail_window_s > 0 &&
        previous->key == request_key) {
        const std::int64_t age = now_ns - previous->time_ns;
        // A record from the future (clock set back) is not trusted.
        if (age >= 0 && age < fail_window_s * 1'000'000'000) return {Action::ReuseFailure, previous->err};
    }
    const bool dead_holders_init = state == ModuleState::Coming && previous && previous->pending;
    if ((state == ModuleState::Coming || state == ModuleState::Going) && !dead_holders_init) return {Action::Settle, 0};
    return {Action::Load, 0};
}

}  // namespace kmodx::dedup
