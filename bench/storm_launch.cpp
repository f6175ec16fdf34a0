// SPDX-License-Identifier: LGPL-2.1-or-later
// storm_launch COPIES PROGRAM < REQUESTS
// Starts COPIES x (lines of REQUESTS) processes as nearly at once as one
// launcher can: every child is forked first and blocks reading a pipe; closing
// the pipe's write end releases them all together. Each REQUESTS line is one
// request's argument list after PROGRAM (words separated by tabs), so a line
// "-q\t--\tnvme" runs `PROGRAM -q -- nvme`, exactly the kernel's autoload argv.
// Children get the kernel's environment for request_module() plus the
// simulated kernel's variables, and no stdio.
//
// Prints "forked K", "wall_ns NS" (release to the last exit), "cpu_ns NS" (user
// + system time of all requests: less sensitive than wall time to other load
// on the machine), and one "req I rc RC count C" line per request line and
// exit status.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

long long now_ns() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> words;
    std::string cur;
    for (char c : line) {
        if (c == '\t') {
            words.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    words.push_back(cur);
    return words;
}

// What request_module() gives modprobe, plus whatever routes it into the
// simulated kernel (simrun sets these).
std::vector<std::string> child_environment() {
    std::vector<std::string> env = {"HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"};
    for (char** e = environ; *e; ++e) {
        if (std::strncmp(*e, "LD_PRELOAD=", 11) == 0 || std::strncmp(*e, "SIMKERNEL_", 10) == 0 ||
            std::strncmp(*e, "KMODX_", 6) == 0)
            env.emplace_back(*e);
    }
    return env;
}

[[noreturn]] void child(int gate, int gate_w, const char* program, const std::vector<std::string>& args,
                        const std::vector<std::string>& env) {
    close(gate_w);
    char b;
    while (read(gate, &b, 1) < 0 && errno == EINTR) {
    }
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program));
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(program, argv.data(), envp.data());
    _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: storm_launch COPIES PROGRAM < REQUESTS\n");
        return 2;
    }
    long copies = std::strtol(argv[1], nullptr, 10);
    const char* program = argv[2];
    if (copies < 1 || access(program, X_OK) != 0) {
        std::fprintf(stderr, "storm_launch: bad COPIES or PROGRAM not executable: %s\n", program);
        return 2;
    }
    std::vector<std::vector<std::string>> requests;
    for (std::string line; std::getline(std::cin, line);)
        if (!line.empty()) requests.push_back(split_tabs(line));
    if (requests.empty()) {
        std::fprintf(stderr, "storm_launch: no requests on stdin\n");
        return 2;
    }
    auto env = child_environment();

    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0) {
        std::perror("storm_launch: pipe");
        return 2;
    }
    std::map<pid_t, size_t> which;
    // CPU-major order: every CPU asks for every module, as at boot.
    for (long cpu = 0; cpu < copies; ++cpu) {
        for (size_t r = 0; r < requests.size(); ++r) {
            pid_t pid;
            int tries = 0;
            while ((pid = fork()) < 0 && errno == EAGAIN && ++tries < 1000) usleep(1000);
            if (pid < 0) {
                std::perror("storm_launch: fork");
                close(gate[1]);  // release the ones already forked so they finish
                while (wait(nullptr) > 0) {
                }
                return 2;
            }
            if (pid == 0) child(gate[0], gate[1], program, requests[r], env);
            which[pid] = r;
        }
    }
    std::printf("forked %zu\n", which.size());
    std::fflush(stdout);  // still there if the run is killed for taking too long
    long long t0 = now_ns();
    close(gate[1]);
    std::map<std::pair<size_t, int>, long> counts;
    size_t left = which.size();
    long long cpu_ns = 0;
    while (left > 0) {
        int status = 0;
        rusage ru{};
        pid_t pid = wait4(-1, &status, 0, &ru);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        auto it = which.find(pid);
        if (it == which.end()) continue;
        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        ++counts[{it->second, rc}];
        cpu_ns += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
        --left;
    }
    long long t1 = now_ns();
    std::printf("wall_ns %lld\n", t1 - t0);
    std::printf("cpu_ns %lld\n", cpu_ns);
    for (auto& [key, n] : counts) std::printf("req %zu rc %d count %ld\n", key.first, key.second, n);
    return left == 0 ? 0 : 1;
}
