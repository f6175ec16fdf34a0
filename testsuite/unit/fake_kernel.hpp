// SPDX-License-Identifier: LGPL-2.1-or-later
// A Kernel for unit tests: records every call and answers from tables the
// test fills in. Load calls identify the module by the `name=` entry of
// .modinfo in the image the kernel would see (decompressing it, like the
// kernel, when finit is given MODULE_INIT_COMPRESSED_FILE); a successful load
// makes the module Live.
//
// Brings make_module() (test_elf.hpp, the unit tests' one ELF writer) along,
// so tests build their inputs instead of shipping binaries.
#pragma once

#include <kmodx/kernel.hpp>

#include "load/elf.hpp"
#include "test_elf.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kmodx::test {

struct LoadCall {
    enum Kind { Finit, Init } kind = Finit;
    std::string name;  // from .modinfo; empty when the image has none
    std::string params;
    unsigned flags = 0;            // finit only
    std::vector<std::byte> bytes;  // init: the buffer; finit: the file via the fd
    dev_t dev = 0;                 // finit: identity of the file behind the fd
    ino_t ino = 0;
};

struct DeleteCall {
    std::string name;
    unsigned flags = 0;
};

class FakeKernel : public Kernel {
public:
    // Answers, checked in this order: the next scripted errno (consumed, by
    // call order), the module's errno queue (consumed; its last value sticks),
    // default_errno. 0 means success.
    std::deque<int> script;
    std::map<std::string, std::deque<int>> results;
    int default_errno = 0;
    bool has_finit = true;  // false: finit_module fails with ENOSYS, unrecorded
    std::optional<Compression> kernel_compression;
    std::map<pid_t, TaskActivity> activities;  // task_activity(); Other for the rest
    // task_start_time(): these answers first (nullopt: gone), then the real
    // /proc, so a forked holder's record matches by default.
    std::map<pid_t, std::optional<std::uint64_t>> start_times;

    std::map<std::string, ModuleState, std::less<>> states;
    std::map<std::string, int, std::less<>> refcounts;
    std::map<std::string, std::vector<std::string>, std::less<>> holder_map;
    std::map<std::string, int> delete_results;
    // module_instance(): set by each successful load (a fresh number), or by
    // the test; a module without one answers ENOENT.
    std::map<std::string, std::uint64_t, std::less<>> instances;
    std::uint64_t last_instance = 0;
    std::string proc_modules_text;
    std::string cmdline_text;

    std::vector<LoadCall> loads;
    std::vector<DeleteCall> deletes;

    Status finit_module(int fd, const std::string& params, unsigned flags) override {
        if (!has_finit) return failure(ENOSYS, "finit_module");
        LoadCall c{LoadCall::Finit, {}, params, flags, read_fd(fd)};
        struct stat st;
        if (::fstat(fd, &st) == 0) c.dev = st.st_dev, c.ino = st.st_ino;
        std::vector<std::byte> image = c.bytes;
        if (flags & kInitCompressedFile) {
            auto fmt = detect_compression(image);
            if (!kernel_compression || fmt != *kernel_compression) return record(std::move(c), EINVAL, "finit_module");
            auto out = decompress(fmt, image, std::size_t{1} << 30);
            image = out ? std::move(*out) : std::vector<std::byte>{};
        }
        c.name = elf::modinfo_value(image, "name").value_or("");
        int err = answer(c.name);
        return record(std::move(c), err, "finit_module");
    }

    Status init_module(std::span<const std::byte> image, const std::string& params) override {
        LoadCall c{LoadCall::Init, {}, params, 0, {image.begin(), image.end()}};
        c.name = elf::modinfo_value(image, "name").value_or("");
        int err = answer(c.name);
        return record(std::move(c), err, "init_module");
    }

    Status delete_module(const std::string& name, unsigned flags) override {
        deletes.push_back({name, flags});
        auto it = delete_results.find(name);
        int err = it != delete_results.end() ? it->second : (state(name) == ModuleState::Absent ? ENOENT : 0);
        if (err) return failure(err, "delete_module");
        states.erase(name);
        instances.erase(name);
        return {};
    }

    ModuleState module_state(std::string_view name) override { return state(name); }
    Result<int> refcount(std::string_view name) override {
        auto it = refcounts.find(name);
        if (it != refcounts.end()) return it->second;
        if (state(name) == ModuleState::Absent) return failure(ENOENT, "refcnt");
        return 0;
    }
    Result<std::vector<std::string>> holders(std::string_view name) override {
        auto it = holder_map.find(name);
        if (it != holder_map.end()) return it->second;
        if (state(name) == ModuleState::Absent) return failure(ENOENT, "holders");
        return std::vector<std::string>{};
    }
    Result<std::uint64_t> module_instance(std::string_view name) override {
        auto it = instances.find(name);
        if (it == instances.end()) return failure(ENOENT, "module instance");
        return it->second;
    }
    Result<std::string> proc_modules() override { return proc_modules_text; }
    Result<std::string> cmdline() override { return cmdline_text; }
    std::optional<Compression> compression() override { return kernel_compression; }
    TaskActivity task_activity(pid_t pid) override {
        auto it = activities.find(pid);
        return it == activities.end() ? TaskActivity::Other : it->second;
    }
    std::optional<std::uint64_t> task_start_time(pid_t pid) override {
        if (auto it = start_times.find(pid); it != start_times.end()) return it->second;
        return system_kernel().task_start_time(pid);
    }

private:
    ModuleState state(std::string_view name) const {
        auto it = states.find(name);
        return it == states.end() ? ModuleState::Absent : it->second;
    }

    int answer(const std::string& name) {
        if (!script.empty()) {
            int e = script.front();
            script.pop_front();
            return e;
        }
        auto it = results.find(name);
        if (it != results.end() && !it->second.empty()) {
            int e = it->second.front();
            if (it->second.size() > 1) it->second.pop_front();
            return e;
        }
        return default_errno;
    }

    Status record(LoadCall c, int err, const char* what) {
        std::string name = c.name;
        loads.push_back(std::move(c));
        if (err) return failure(err, what);
        if (!name.empty()) states[name] = ModuleState::Live, instances[name] = ++last_instance;
        return {};
    }

    static std::vector<std::byte> read_fd(int fd) {
        std::vector<std::byte> out;
        std::byte buf[65536];
        for (off_t off = 0;;) {
            ssize_t n = ::pread(fd, buf, sizeof buf, off);
            if (n <= 0) break;
            out.insert(out.end(), buf, buf + n);
            off += n;
        }
        return out;
    }
};

}  // namespace kmodx::test
