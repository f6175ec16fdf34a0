// SPDX-License-Identifier: LGPL-2.1-or-later
// stats-gen: puts known events into a stats store through the store itself
// (Store::append, so the records are the store's real encoding), for the
// report's end-to-end tests and benchmark.
//
//   stats-gen [--archive] [--random N [--seed S]] < SPEC
//
// SPEC: one event per line, `key=value` words (# comments, blank lines):
//   module= outcome= (outcome_name: loaded, suppressed, ...) requester=
//   comm= tool= err= (number or ENOENT-style name) count= time= pid=
//   holder= taint= degraded= (bits) reason= format= (gzip|xz|zstd)
//   path= (kernel|userspace) file= image= module_bytes= text_bytes=
//   read= alloc= (kernel_read/alloc_bytes) wait_ns= read_ns=
//   decompress_ns= syscall_ns= ppid= device= seqnum= modalias= (udev's)
// --random N appends N varied events instead of reading SPEC; --archive
// then copies the boot into the archive. The store, boot id and limits come
// from the environment like kmodx's (KMODX_RUNTIME_DIR, KMODX_STATE_DIR,
// KMODX_STATS_MAX_BYTES; the boot id from /proc/sys/kernel/random/boot_id).
#include <kmodx/stats.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace kmodx;
using namespace kmodx::stats;

namespace {

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "stats-gen: %s\n", msg.c_str());
    std::exit(2);
}

std::uint64_t u64(const std::string& v, const std::string& key) {
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v.c_str(), &end, 0);
    if (v.empty() || errno || *end) die("bad number for " + key + ": '" + v + "'");
    return n;
}

int errno_value(const std::string& v) {
    if (!v.empty() && v[0] >= '0' && v[0] <= '9') return static_cast<int>(u64(v, "err"));
    for (int e = 1; e < 200; ++e)
        if (const char* n = ::strerrorname_np(e); n && v == n) return e;
    die("unknown errno '" + v + "'");
}

Event parse(const std::string& line, std::int64_t default_time) {
    Event e;
    e.time_ns = default_time;
    e.tool = "modprobe";
    e.pid = 100;
    std::istringstream in(line);
    for (std::string w; in >> w;) {
        auto eq = w.find('=');
        if (eq == std::string::npos) die("expected key=value: '" + w + "'");
        std::string k = w.substr(0, eq), v = w.substr(eq + 1);
        if (k == "module") e.module = v;
        else if (k == "outcome") {
            auto o = outcome_from_name(v);
            if (!o) die("unknown outcome '" + v + "'");
            e.outcome = *o;
        } else if (k == "requester") {
            auto r = requester_from_name(v);
            if (!r) die("unknown requester '" + v + "'");
            e.requester = *r;
        } else if (k == "comm") e.parent_comm = v;
        else if (k == "tool") e.tool = v;
        else if (k == "err") e.err = errno_value(v);
        else if (k == "count") e.count = u64(v, k);
        else if (k == "time") e.time_ns = static_cast<std::int64_t>(u64(v, k));
        else if (k == "pid") e.pid = static_cast<pid_t>(u64(v, k));
        else if (k == "holder") e.holder_pid = static_cast<pid_t>(u64(v, k));
        else if (k == "taint") e.taint = v;
        else if (k == "degraded") e.degraded = static_cast<std::uint32_t>(u64(v, k));
        else if (k == "reason") e.degraded_reason = v;
        else if (k == "format") {
            auto c = compression_from_name(v);
            if (!c) die("unknown format '" + v + "'");
            e.format = *c;
        } else if (k == "path") {
            if (v == "kernel") e.path = DecompressPath::Kernel;
            else if (v == "userspace") e.path = DecompressPath::Userspace;
            else die("unknown path '" + v + "'");
        } else if (k == "file") e.file_bytes = u64(v, k);
        else if (k == "image") e.image_bytes = u64(v, k);
        else if (k == "module_bytes") e.module_bytes = u64(v, k);
        else if (k == "text_bytes") e.text_bytes = u64(v, k);
        else if (k == "read") e.kernel_read_bytes = u64(v, k);
        else if (k == "alloc") e.kernel_alloc_bytes = u64(v, k);
        else if (k == "wait_ns") e.wait_ns = u64(v, k);
        else if (k == "read_ns") e.read_ns = u64(v, k);
        else if (k == "decompress_ns") e.decompress_ns = u64(v, k);
        else if (k == "syscall_ns") e.syscall_ns = u64(v, k);
        else if (k == "ppid") e.parent_pid = static_cast<pid_t>(u64(v, k));
        else if (k == "device") e.device = v;
        else if (k == "seqnum") e.seqnum = u64(v, k);
        else if (k == "modalias") e.modalias = v;
        else die("unknown key '" + k + "'");
    }
    if (e.module.empty()) die("an event needs module=");
    return e;
}

// A boot-like mix: many modules, every outcome and requester, some
// compressed files, a few failures, taints and degraded runs.
std::vector<Event> random_events(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    static constexpr Outcome kOutcomes[] = {
        Outcome::Loaded,       Outcome::AlreadyLive,       Outcome::AlreadyLive,      Outcome::Suppressed,
        Outcome::Suppressed,   Outcome::SuppressedFailure, Outcome::FailedKernel,     Outcome::DuplicateInKernel,
        Outcome::Removed,      Outcome::FailedRead,        Outcome::FailedDecompress, Outcome::Blacklisted,
        Outcome::FailedRemove, Outcome::MergedInKernel,    Outcome::NotFound};
    static_assert(std::size(kOutcomes) >= kOutcomeCount, "every outcome at least once in the mix");
    static constexpr const char* kComms[] = {"kworker/u16:3", "kthreadd", "(udev-worker)", "systemd", "bash", "sh"};
    static constexpr int kErrs[] = {ENOENT, ENODEV, EOPNOTSUPP, ENOEXEC, EBUSY, EEXIST};
    std::vector<Event> out;
    out.reserve(n);
    const std::int64_t t0 = 1'700'000'000'000'000'000;
    for (std::size_t i = 0; i < n; ++i) {
        Event e;
        e.time_ns = t0 + static_cast<std::int64_t>(i) * 1000;
        e.module = "mod_" + std::to_string(rng() % 1500);
        e.tool = "modprobe";
        e.pid = static_cast<pid_t>(1000 + i % 30000);
        e.outcome = kOutcomes[rng() % std::size(kOutcomes)];
        e.requester = static_cast<Requester>(rng() % 5);
        e.parent_comm = kComms[rng() % std::size(kComms)];
        e.file_bytes = 10'000 + rng() % 500'000;
        e.image_bytes = e.file_bytes * 3;
        if (rng() % 3 == 0) {
            e.format = static_cast<Compression>(1 + rng() % 3);
            e.path = rng() % 2 ? DecompressPath::Kernel : DecompressPath::Userspace;
            e.decompress_ns = rng() % 5'000'000;
        } else {
            e.image_bytes = e.file_bytes;
        }
        e.wait_ns = rng() % 1'000'000;
        e.read_ns = rng() % 1'000'000;
        e.syscall_ns = rng() % 50'000'000;
        switch (e.outcome) {
            case Outcome::Loaded:
                e.module_bytes = e.image_bytes / 2;
                e.text_bytes = e.image_bytes / 5;
                break;
            case Outcome::Suppressed:
            case Outcome::SuppressedFailure:
            case Outcome::DuplicateInKernel:
                e.kernel_read_bytes = e.file_bytes;
                e.kernel_alloc_bytes = e.image_bytes;
                e.holder_pid = e.pid - 1;
                if (e.outcome == Outcome::DuplicateInKernel) e.err = rng() % 2 ? EEXIST : EBUSY;
                break;
            case Outcome::FailedKernel:
            case Outcome::FailedRead:
            case Outcome::FailedDecompress:
            case Outcome::FailedRemove: e.err = kErrs[rng() % std::size(kErrs)]; break;
            case Outcome::Removed:
                if (rng() % 10 == 0) e.taint = rng() % 2 ? "OE" : "P";
                break;
            default: break;
        }
        if (rng() % 200 == 0) {
            e.degraded = kNoDedup;
            e.degraded_reason = "runtime directory unusable";
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    bool archive = false;
    long random = -1;
    unsigned seed = 1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--archive") archive = true;
        else if (a == "--random" && i + 1 < argc) random = std::atol(argv[++i]);
        else if (a == "--seed" && i + 1 < argc) seed = static_cast<unsigned>(std::atol(argv[++i]));
        else die("usage: stats-gen [--archive] [--random N [--seed S]] < SPEC");
    }
    std::vector<Event> events;
    if (random >= 0) {
        events = random_events(static_cast<std::size_t>(random), seed);
    } else {
        std::int64_t t = 1'700'000'000'000'000'000;
        for (std::string line; std::getline(std::cin, line);) {
            auto start = line.find_first_not_of(" \t");
            if (start == std::string::npos || line[start] == '#') continue;
            events.push_back(parse(line, t += 1'000'000));
        }
    }
    Store store(store_settings_from_env());
    // Batches keep each append one whole write, as kmodx's own appends are.
    constexpr std::size_t kBatch = 256;
    for (std::size_t i = 0; i < events.size(); i += kBatch) {
        std::span<const Event> part(events.data() + i, std::min(kBatch, events.size() - i));
        if (auto st = store.append(part); !st) die("append: " + st.error().message());
    }
    if (archive)
        if (auto st = store.archive(); !st) die("archive: " + st.error().message());
    return 0;
}
