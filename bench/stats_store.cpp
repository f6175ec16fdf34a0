// SPDX-License-Identifier: LGPL-2.1-or-later
// The stats store's figures, in a scratch directory under /tmp:
//   1. reading and decoding a boot of 100,000 records (the report's budget
//      for everything is 300 ms);
//   2. a storm of 400 writer processes appending one record per call, as
//      400 modprobe invocations would: records lost (must be 0) and time per
//      append, with the default size bound and with a small one that forces
//      compaction all through the storm;
//   3. one process appending alone: the cost the fast path pays per call.
// Usage: stats_store [RECORDS [WRITERS [PER_WRITER]]]. Exit 1 if anything
// was lost.
#include <kmodx/stats.hpp>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace kmodx::stats;

namespace {

constexpr const char* kBoot = "0b0b0b0b-1111-2222-3333-444444444444";

std::int64_t now_ns(clockid_t clock = CLOCK_MONOTONIC) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

Event sample(int i) {
    static const char* modules[] = {"nvme_core", "nvme",        "t10_pi",        "crc64_rocksoft", "crc64",
                                    "kvm_intel", "kvm",         "snd_hda_intel", "i915",           "e1000e",
                                    "xhci_pci",  "usb_storage", "evdev",         "hid_generic",    "btrfs",
                                    "xfs",       "ext4",        "dm_crypt",      "aesni_intel",    "iwlwifi"};
    static const Outcome outcomes[] = {Outcome::Loaded, Outcome::AlreadyLive, Outcome::Suppressed, Outcome::AlreadyLive,
                                       Outcome::DuplicateInKernel};
    Event e;
    e.time_ns = 1'732'377'600'000'000'000 + i * 1000LL;
    e.module = modules[i % 20];
    e.tool = "modprobe";
    e.pid = 1000 + i;
    e.requester = i % 3 ? Requester::Udev : Requester::Kernel;
    e.parent_pid = i % 3 ? 311 : 2;
    e.parent_comm = i % 3 ? "systemd-udevd" : "kworker/u8:3";
    e.outcome = outcomes[i % 5];
    e.holder_pid = e.outcome == Outcome::Suppressed ? 999 : 0;
    e.format = kmodx::Compression::Xz;
    e.path = DecompressPath::Kernel;
    e.file_bytes = 40'000 + i % 977;
    e.image_bytes = 120'000 + i % 977;
    e.module_bytes = 90'000;
    e.text_bytes = 50'000;
    e.wait_ns = i % 7 * 1000;
    e.read_ns = 21'000;
    e.syscall_ns = 900'000 + i % 1000;
    e.kernel_read_bytes = e.outcome == Outcome::Suppressed ? e.image_bytes : 0;
    e.kernel_alloc_bytes = e.outcome == Outcome::Suppressed ? 2 * e.image_bytes : 0;
    return e;
}

StoreSettings settings_in(const std::string& dir, std::uint64_t max_bytes) {
    StoreSettings s;
    s.runtime_dir = dir + "/run";
    s.state_dir = dir + "/state";
    s.max_bytes = max_bytes;
    s.boot_id = kBoot;
    return s;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

void bench_read(const std::string& dir, int records) {
    auto s = settings_in(dir + "/read", 1ull << 32);
    std::filesystem::create_directories(dir + "/read");
    Store st(s);
    std::vector<Event> batch;
    for (int i = 0; i < records; ++i) {
        batch.push_back(sample(i));
        if (batch.size() == 1000 || i + 1 == records) {
            if (!st.append(batch)) std::exit(2);
            batch.clear();
        }
    }
    struct stat sb {};
    ::stat((s.runtime_dir + "/stats/" + kBoot + ".events").c_str(), &sb);
    std::vector<double> ms, cpu;
    std::size_t got = 0;
    for (int run = 0; run < 7; ++run) {
        auto t0 = now_ns();
        auto c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        auto r = st.read(0);
        cpu.push_back((now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e6);
        ms.push_back((now_ns() - t0) / 1e6);
        got = r ? r->events.size() : 0;
    }
    std::printf(
        "read+decode %d records: %zu read back, file %.1f MiB (%.0f bytes/record), median %.1f ms wall "
        "(%.2f us/record), %.1f ms CPU\n",
        records, got, sb.st_size / 1048576.0, double(sb.st_size) / records, median(ms), median(ms) * 1000 / records,
        median(cpu));
}

// Returns records lost.
std::uint64_t bench_storm(const std::string& dir, const char* label, int writers, int per, std::uint64_t max_bytes) {
    auto s = settings_in(dir, max_bytes);
    std::filesystem::create_directories(dir);
    const std::size_t n = static_cast<std::size_t>(writers) * per;
    // Wall time per append, then CPU time per append (wall includes waiting
    // for one of 2 cores among 400 runnable writers).
    auto* lat = static_cast<double*>(
        ::mmap(nullptr, 2 * n * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    int go[2];
    if (lat == MAP_FAILED || ::pipe(go) != 0) std::exit(2);
    std::vector<pid_t> pids;
    for (int w = 0; w < writers; ++w) {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(go[1]);
            char c;
            (void)!::read(go[0], &c, 1);
            int failed = 0;
            for (int j = 0; j < per; ++j) {
                // A fresh Store per record: every modprobe is a new process.
                Store st(s);
                Event e = sample(w * per + j);
                e.pid = ::getpid();
                auto t0 = now_ns();
                auto c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
                failed += !st.append(std::span<const Event>(&e, 1));
                lat[n + w * per + j] = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e3;
                lat[w * per + j] = (now_ns() - t0) / 1e3;
            }
            ::_exit(failed ? 1 : 0);
        }
        pids.push_back(pid);
    }
    ::close(go[0]);
    auto t0 = now_ns();
    ::close(go[1]);
    int failed_writers = 0;
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        failed_writers += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    double wall_ms = (now_ns() - t0) / 1e6;
    auto r = Store(s).read(0);
    std::uint64_t back = 0, rows = 0;
    if (r) {
        for (const Event& e : r->events) back += e.count;
        rows = r->events.size();
    }
    std::vector<double> v(lat, lat + n), cpu(lat + n, lat + 2 * n);
    ::munmap(lat, 2 * n * sizeof(double));
    double cpu_sum = 0;
    for (double c : cpu) cpu_sum += c;
    std::uint64_t lost = n > back ? n - back : 0;
    std::printf(
        "storm %s: %d writers x %d records: %llu counted back in %llu rows, lost %llu, skipped %llu, "
        "failed writers %d;\n    append wall median %.1f us, p99 %.1f us, max %.1f us; append CPU mean %.1f us, "
        "p99 %.1f us; storm wall %.0f ms (%.1f us/record)\n",
        label, writers, per, (unsigned long long)back, (unsigned long long)rows, (unsigned long long)lost,
        r ? (unsigned long long)r->skipped : 0ull, failed_writers, median(v), pct(v, 0.99), pct(v, 1.0), cpu_sum / n,
        pct(cpu, 0.99), wall_ms, wall_ms * 1000 / n);
    return lost + (back > n ? back - n : 0) + failed_writers;
}

void bench_alone(const std::string& dir, int count) {
    auto s = settings_in(dir, 4u << 20);
    std::filesystem::create_directories(dir);
    std::vector<double> us;
    for (int i = 0; i < count; ++i) {
        Store st(s);
        Event e = sample(i);
        auto t0 = now_ns();
        if (!st.append(std::span<const Event>(&e, 1))) std::exit(2);
        us.push_back((now_ns() - t0) / 1e3);
    }
    std::printf("single writer, %d appends (default 4 MiB bound): median %.1f us, p99 %.1f us per append\n", count,
                median(us), pct(us, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
    int records = argc > 1 ? std::atoi(argv[1]) : 100'000;
    int writers = argc > 2 ? std::atoi(argv[2]) : 400;
    int per = argc > 3 ? std::atoi(argv[3]) : 25;
    char tmpl[] = "/tmp/kmodx-bench-stats.XXXXXX";
    if (!::mkdtemp(tmpl)) return 2;
    std::string dir = tmpl;
    // Storms first: forking 400 children of a small process is cheaper.
    std::uint64_t lost = 0;
    if (writers > 0) {
        lost += bench_storm(dir + "/storm", "default bound", writers, per, 4u << 20);
        lost += bench_storm(dir + "/small", "64 KiB bound (compacting)", writers, per, 64u << 10);
        bench_alone(dir + "/alone", 2000);
    }
    bench_read(dir, records);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return lost ? 1 : 0;
}
