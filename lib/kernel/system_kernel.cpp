// SPDX-License-Identifier: LGPL-2.1-or-later
// The production Kernel: the module syscalls and the real /sys and /proc files.
// Each call goes through the entry point kmod uses: glibc's init_module() and
// delete_module() (exported, though no header declares them), and syscall(2)
// for finit_module, which glibc lacks. A tool that interposes libc (a tracer,
// an LD_PRELOAD shim) then sees kmodx's calls where it sees kmod's.
#include <kmodx/kernel.hpp>

#include "core/self.hpp"
#include "kernel/sysfs.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <mutex>
#include <optional>
#include <string>
#include <utility>

extern "C" int init_module(const void* image, unsigned long len, const char* params);
extern "C" int delete_module(const char* name, unsigned flags);

namespace kmodx {
namespace {

class SystemKernel final : public Kernel {
public:
    Status finit_module(int fd, const std::string& params, unsigned flags) override {
        if (::syscall(SYS_finit_module, fd, params.c_str(), flags) != 0) return failure_errno("finit_module");
        return {};
    }

    Status init_module(std::span<const std::byte> image, const std::string& params) override {
        if (::init_module(image.data(), image.size(), params.c_str()) != 0) return failure_errno("init_module");
        return {};
    }

    Status delete_module(const std::string& name, unsigned flags) override {
        if (::delete_module(name.c_str(), flags) != 0) return failure_errno("delete_module");
        return {};
    }

    ModuleState module_state(std::string_view name) override { return sysfs::module_state("/sys/module", name); }
    Result<int> refcount(std::string_view name) override { return sysfs::refcount("/sys/module", name); }
    Result<std::uint64_t> module_instance(std::string_view name) override {
        return sysfs::module_instance("/sys/module", name);
    }
    Result<std::vector<std::string>> holders(std::string_view name) override {
        return sysfs::holders("/sys/module", name);
    }
    Result<std::string> proc_modules() override { return sysfs::read_file("/proc/modules"); }
    Result<std::string> cmdline() override { return sysfs::read_file("/proc/cmdline"); }
    // Fixed when the kernel was built: read once per process, where a load
    // asked for it three times per module (loader, costs, footprint).
    std::optional<Compression> compression() override {
        static const std::optional<Compression> format = []() -> std::optional<Compression> {
            auto text = sysfs::read_attribute("/sys/module/compression");
            if (!text) return std::nullopt;
            return compression_from_name(sysfs::trim(*text));
        }();
        return format;
    }
    TaskActivity task_activity(pid_t pid) override {
        // Reading it needs the rights ptrace would (root has them).
        auto text = sysfs::read_attribute("/proc/" + std::to_string(pid) + "/syscall");
        if (!text) return TaskActivity::Other;
        return sysfs::task_activity_of(*text);
    }
    std::optional<std::uint64_t> task_start_time(pid_t pid) override {
        // A holder writes its own start time into every lock record: read
        // once per process (a forked child has another pid, so asks again).
        const bool self = pid == self::pid();
        if (self) {
            std::lock_guard<std::mutex> hold(self_start_mutex_);
            if (self_start_ && self_start_->first == pid) return self_start_->second;
        }
        auto text = sysfs::read_attribute("/proc/" + std::to_string(pid) + "/stat");
        if (!text) return std::nullopt;
        auto start = sysfs::task_start_of(*text);
        if (self && start) {
            std::lock_guard<std::mutex> hold(self_start_mutex_);
            self_start_ = std::pair{pid, *start};
        }
        return start;
    }

private:
    std::mutex self_start_mutex_;
    std::optional<std::pair<pid_t, std::uint64_t>> self_start_;
};

}  // namespace

Kernel& system_kernel() {
    static SystemKernel kernel;
    return kernel;
}

}  // namespace kmodx
