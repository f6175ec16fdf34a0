// SPDX-License-Identifier: LGPL-2.1-or-later
// kmodx-vm-storm: the boot storm inside the test VM. Reads one command per
// line (words split on blanks, no quoting) from the file named by argv[1],
// forks every command first and holds each child on one pipe, then closes
// the pipe so all of them exec at the same instant, as udev workers and
// kernel autoload requests do at boot. A shell loop starting them one after
// another would spread the storm over its own fork time.
// While the children run it samples VmallocUsed from /proc/meminfo, because
// the wasted vmalloc of duplicate loads only exists while they are in flight.
// Prints `key=value` lines: requests, failed (non-zero exits), unfinished
// (still running at the deadline, argv[2] seconds, default 300: a storm that
// deadlocks is reported, not lost), wall_ms, vmalloc_before_kb,
// vmalloc_peak_kb, vmalloc_after_kb; and for a timeline beside the kernel's
// trace: release_mono_ms (CLOCK_MONOTONIC at the release, the clock of the
// trace's timestamps) and finish_ms (each request's exit, ms after the
// release, in command order; -1 for one unfinished); cpu_ms, the guest's
// busy CPU time from the release to the last exit (all vCPUs, user and
// kernel: the requests, their loads, and whatever else ran).
// Statically linked: the VM holds no C++ runtime of its own.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

long vmalloc_used_kb() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    long value = -1;
    std::string unit;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (key == "VmallocUsed:") return value;
    }
    return -1;
}

// The guest's busy CPU time so far (every CPU, user and kernel, idle and
// iowait left out), in ms: /proc/stat's first line, in clock ticks.
double busy_cpu_ms() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return -1;
    return static_cast<double>(user + nice + sys + irq + softirq + steal) * 1000.0 /
           static_cast<double>(sysconf(_SC_CLK_TCK));
}

double now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

std::vector<std::vector<std::string>> read_commands(const char* path) {
    std::vector<std::vector<std::string>> cmds;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::vector<std::string> argv;
        for (std::string w; words >> w;) argv.push_back(w);
        if (!argv.empty() && argv[0][0] != '#') cmds.push_back(std::move(argv));
    }
    return cmds;
}

[[noreturn]] void child(int gate, const std::vector<std::string>& cmd) {
    char byte;
    // Blocks until the parent closes its write end: EOF releases everyone.
    while (read(gate, &byte, 1) < 0 && errno == EINTR) {
    }
    close(gate);
    std::vector<char*> argv;
    for (const auto& w : cmd) argv.push_back(const_cast<char*>(w.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "storm: exec %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: kmodx-vm-storm COMMAND-FILE [DEADLINE-S]\n");
        return 2;
    }
    const double deadline_ms = (argc == 3 ? std::atof(argv[2]) : 300.0) * 1e3;
    const auto cmds = read_commands(argv[1]);
    if (cmds.empty()) {
        std::fprintf(stderr, "storm: no commands in %s\n", argv[1]);
        return 2;
    }
    int gate[2];
    if (pipe(gate) != 0) {
        std::perror("storm: pipe");
        return 1;
    }
    std::vector<pid_t> pids;
    for (const auto& cmd : cmds) {
        const pid_t pid = fork();
        if (pid < 0) {
            std::perror("storm: fork");
            return 1;
        }
        if (pid == 0) {
            close(gate[1]);
            child(gate[0], cmd);
        }
        pids.push_back(pid);
    }
    close(gate[0]);

    const long before = vmalloc_used_kb();
    long peak = before;
    const double cpu_before = busy_cpu_ms();
    const double start = now_ms();
    close(gate[1]);

    std::size_t done = 0, failed = 0;
    std::vector<double> finish(pids.size(), -1);
    while (done < pids.size()) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            ++done;
            for (std::size_t i = 0; i < pids.size(); ++i)
                if (pids[i] == pid) finish[i] = now_ms() - start;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
            continue;
        }
        if (pid < 0 && errno != EINTR) break;
        if (now_ms() - start > deadline_ms) break;
        const long v = vmalloc_used_kb();
        if (v > peak) peak = v;
        const timespec pause{0, 2'000'000};
        nanosleep(&pause, nullptr);
    }
    const double wall = now_ms() - start;
    const long after = vmalloc_used_kb();
    if (after > peak) peak = after;

    std::printf(
        "requests=%zu\nfailed=%zu\nunfinished=%zu\nwall_ms=%.0f\nvmalloc_before_kb=%ld\n"
        "vmalloc_peak_kb=%ld\nvmalloc_after_kb=%ld\n",
        pids.size(), failed, pids.size() - done, wall, before, peak, after);
    const double cpu_after = busy_cpu_ms();
    if (cpu_before >= 0 && cpu_after >= 0) std::printf("cpu_ms=%.0f\n", cpu_after - cpu_before);
    std::printf("release_mono_ms=%.1f\nfinish_ms=", start);
    for (std::size_t i = 0; i < finish.size(); ++i) std::printf("%s%.0f", i ? "," : "", finish[i]);
    std::printf("\n");
    return done == pids.size() ? 0 : 1;
}
