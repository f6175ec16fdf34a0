// SPDX-License-Identifier: LGPL-2.1-or-later
#include "stats/load_event.hpp"

#include "stats/costs.hpp"
#include "stats/footprint.hpp"
#include "stats/recorder.hpp"

#include "kernel/sysfs.hpp"

#include <kmodx/module_name.hpp>

#include <cerrno>

namespace kmodx::stats {
namespace {

bool reached_kernel(const LoadReport& r) {
    return r.syscall == LoadSyscall::InitModule || (r.syscall == LoadSyscall::FinitModule && !r.finit_fell_back);
}

// What a duplicate of this module would have cost had it not been stopped.
void charge_saved(Kernel& kernel, const std::string& path, Event& e) {
    if (path.empty()) return;
    auto f = file_facts(kernel, path);
    if (!f) return;
    e.format = f->format;
    e.file_bytes = f->file_bytes;
    e.image_bytes = f->image_bytes;
    const KernelCost c = duplicate_cost_of(*f, running_kernel_duplicate_stage());
    e.kernel_read_bytes = c.read_bytes;
    e.kernel_alloc_bytes = c.alloc_bytes;
}

void copy_report(const LoadReport& r, Event& e) {
    e.format = r.format;
    e.path = r.kernel_decompressed                                                    ? DecompressPath::Kernel
             : r.format != Compression::None && r.syscall != LoadSyscall::FinitModule ? DecompressPath::Userspace
                                                                                      : DecompressPath::None;
    e.file_bytes = r.file_bytes;
    e.image_bytes = r.image_bytes;
    e.read_ns = r.read_ns;
    e.decompress_ns = r.decompress_ns;
    e.syscall_ns = r.syscall_ns;
}

void from_loader(Kernel& kernel, const LoadFacts& f, Event& e) {
    const LoadReport& r = f.report;
    copy_report(r, e);
    const bool duplicate = (!f.error && r.outcome == LoadOutcome::AlreadyLoaded) ||
                           (f.error && reached_kernel(r) && f.error->code == EBUSY);
    if (duplicate) {
        e.outcome = Outcome::DuplicateInKernel;
        e.err = f.error ? f.error->code : EEXIST;
        const KernelCost c = duplicate_cost(running_kernel_duplicate_stage(), r.file_bytes, r.image_bytes,
                                            r.kernel_decompressed, r.syscall == LoadSyscall::FinitModule);
        e.kernel_read_bytes = c.read_bytes;
        e.kernel_alloc_bytes = c.alloc_bytes;
        return;
    }
    if (!f.error) {
        e.outcome = Outcome::Loaded;
        if (auto id = kernel.module_instance(e.module)) e.instance = *id;
        // A file the kernel decompressed is sized later, off the boot path
        // (deferred_footprint.hpp).
        if (r.kernel_decompressed) return;
        auto fp = r.image ? footprint_of_image(*r.image) : footprint_of_file(f.path);
        if (fp) {
            e.module_bytes = fp->module_bytes;
            e.text_bytes = fp->text_bytes;
        }
        return;
    }
    e.err = f.error->code;
    if (reached_kernel(r)) e.outcome = Outcome::FailedKernel;
    else if (r.format != Compression::None &&
             (r.decompress_ns > 0 || f.error->context.starts_with("could not decompress")))
        e.outcome = Outcome::FailedDecompress;
    else e.outcome = Outcome::FailedRead;
}

}  // namespace

Event simple_event(std::string tool, std::string module, Outcome outcome, int err) {
    Event e;
    e.tool = std::move(tool);
    e.module = canonical_module_name(std::move(module));
    e.outcome = outcome;
    e.err = err;
    return e;
}

Event not_found_event(std::string tool, std::string name) {
    Event e;
    e.tool = std::move(tool);
    e.module = std::move(name);
    e.outcome = Outcome::NotFound;
    e.err = ENOENT;
    return e;
}

bool records_not_found(std::string_view name) {
    return name.find(':') == std::string_view::npos || name.starts_with("symbol:");
}

void record_not_found(std::string tool, std::string name) {
    if (records_not_found(name)) record(not_found_event(std::move(tool), std::move(name)));
}

Event load_event(Kernel& kernel, const LoadFacts& f) {
    Event e = simple_event(f.tool, f.module, Outcome::AlreadyLive);
    if (f.guard) {
        // Waiting for the lock and for a loader outside kmodx both delay us.
        e.wait_ns = static_cast<std::uint64_t>(f.guard->waited_ns + f.guard->settle_ns);
        if (f.guard->degraded) {
            e.degraded |= kNoDedup;
            e.degraded_reason = dedup::degraded_name(*f.guard->degraded);
        }
        if (f.guard->timed_out || f.guard->settle_timed_out) e.degraded |= kLockTimedOut;
        if (f.guard->disabled) e.degraded |= kDedupDisabled;
    }
    if (f.dedup_disabled) e.degraded |= kDedupDisabled;
    if (f.attempted) {
        from_loader(kernel, f, e);
        return e;
    }
    const bool by_other = f.guard && f.guard->by_other;
    if (by_other) e.holder_pid = f.guard->holder_pid;
    if (f.result == -EEXIST) {
        e.outcome = by_other ? Outcome::Suppressed : Outcome::AlreadyLive;
    } else if (by_other) {
        e.outcome = Outcome::SuppressedFailure;
        e.err = -f.result;
    } else {
        e.outcome = Outcome::FailedRead;
        e.err = f.result < 0 ? -f.result : ENOENT;
        return e;
    }
    if (by_other) charge_saved(kernel, f.path, e);
    return e;
}

std::string taint_of(std::string_view text, std::string_view module) {
    std::string taint;
    sysfs::each_proc_module(text, [&](const sysfs::ProcModule& m) {
        if (m.name != module) return true;
        taint = m.taint;
        return false;
    });
    return taint;
}

}  // namespace kmodx::stats
