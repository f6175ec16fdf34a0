// load_once(): the lock protocol around one module's load.
#include <kmodx/dedup.hpp>

#include <unistd.h>

#include <cerrno>

namespace kmodx::dedup {
namespace {

struct Process {
    Settings settings = settings_from_env();
    std::expected<RuntimeDir, Degraded> dir = RuntimeDir::open(settings.runtime_dir);
};

Process& process() {
    // Built on first need only: the already-live fast path never gets here,
    // so it never touches the runtime directory.
    static Process p;
    return p;
}

}  // namespace

int load_once(Kernel& kernel, std::string_view module, const std::string& params, const std::function<int()>& load,
              GuardReport& report) {
    Process& p = process();
    if (!p.dir) {
        report.degraded = p.dir.error();
        return load();
    }
    auto lock = ModuleLock::acquire(*p.dir, module, p.settings.wait_bound_ms);
    if (!lock) {
        report.waited_ns = lock.error().waited_ns;
        if (lock.error().timed_out)
            report.timed_out = true;
        else
            report.degraded = lock.error().reason;
        return load();
    }
    report.waited_ns = lock->waited_ns();
    const auto& prev = lock->previous();
    const std::uint64_t hash = params_hash(params);
    // Re-checked under the lock: the holder we waited for may have loaded it.
    const Decision d = decide(kernel.module_state(module), prev, hash, realtime_ns(), p.settings.fail_window_s);
    switch (d.action) {
        case Action::SkipLive:
            if (lock->contended() && prev && prev->err == 0 && prev->pid != ::getpid()) {
                report.by_other = true;
                report.holder_pid = prev->pid;
            }
            return -EEXIST;
        case Action::ReuseFailure:
            report.by_other = true;
            report.holder_pid = prev->pid;
            return -d.err;
        case Action::Load: break;
    }
    const int r = load();
    // EEXIST is kept as such (decide() never reuses it); anything else the
    // next holder may reuse within the failure window.
    (void)lock->write_record(Record{::getpid(), realtime_ns(), r < 0 ? -r : 0, hash});
    return r;
}

}  // namespace kmodx::dedup
