// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe's insert path, split so the decisions can be tested without
// libkmod: libkmod computes the ordered plan of one probe (a dry run of
// kmod_module_probe_insert_module, insert_plan.cpp), then kmodx carries out
// each step itself (insert_steps.cpp) through the Kernel seam and the shared
// loader, with kmod 30's rules for which failures count.
#pragma once

#include <kmodx/dedup.hpp>
#include <kmodx/kernel.hpp>
#include <kmodx/kmod_handles.hpp>
#include <kmodx/loader.hpp>
#include <kmodx/modprobe.hpp>

#include "modprobe/install_command.hpp"
#include "stats/load_event.hpp"

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kmodx::modprobe {

// One module of a probe, in libkmod's order (dependencies, pre-softdeps, the
// module, post-softdeps), options already merged (modprobe.d, kernel command
// line, then the extra arguments for the target).
struct Step {
    std::string name;
    std::string path;                    // empty: no file (builtin)
    std::optional<std::string> install;  // the raw install command, when it runs
    std::string options;
    bool required = false;  // the target and its hard dependencies
    bool target = false;
};

struct Plan {
    int status = 0;  // libkmod's answer: <0 error, >0 blacklisted, 0 go on
    std::vector<Step> steps;
};

// Whether the plan has no step of the target's own: libkmod found it in the
// kernel, when asked or when its dry run reached it after planning steps for
// dependencies (another process loaded it meanwhile).
bool target_without_step(const Plan& plan);

// kmod 30's KMOD_PROBE_* flags for the options (blacklist, -i, -f, ...).
int probe_flags(const Options& opts);

// The dry run: what libkmod would do for MOD with these flags.
Plan plan_probe(kmod_ctx* ctx, kmod_module* mod, int flags, const std::string& extra_options);

// One probe of MOD as kmod 30's insmod() makes it for each module of a
// lookup's list: libkmod's plan, the events that plan alone answers
// (blacklisted, already live), then carry_out(). 0 or a negative errno.
int insert_one(kmod_ctx* ctx, kmod_module* mod, const Options& opts, Kernel& kernel, const std::string& extra);

// Carries a plan out for the module NAME as kmod 30's insmod() does after
// its probe (-n prints it instead); says why it failed. 0 or a negative errno.
int carry_out(const Plan& plan, const std::string& name, const Options& opts, Kernel& kernel);

// Runs an install command (run_shell_command in production); returns
// system(3)'s status.
using InstallRunner = std::function<int(const std::string& command, const std::string& module)>;

// $CMDLINE_OPTS replaced by the options, everywhere, as libkmod does.
std::string substitute_cmdline_opts(const std::string& command, const std::string& options);

// Inserts one module file; the shared loader in production. `facts` gets
// what is known even on failure (the file's compression, for the wording).
using ModuleLoader = std::function<Result<LoadReport>(Kernel&, const LoadRequest&, LoadReport* facts)>;

struct StepSettings {
    bool first_time = false;
    bool force_vermagic = false;
    bool force_modversion = false;
    bool show = false;    // print "insmod PATH OPTS" / "install CMD OPTS" (-v)
    bool dedup = false;   // one load per module across processes (kmodx::dedup); off in unit tests
    bool quiet = false;   // -q: no note about an unusable runtime directory
    bool record = false;  // one stats event per step (kmodx::stats); off in unit tests
};

class StepRunner {
public:
    StepRunner(Kernel& kernel, StepSettings settings, InstallRunner install = run_shell_command,
               ModuleLoader loader = nullptr, std::FILE* out = stdout);

    // Carries the plan out; 0 or a negative errno as libkmod's probe returns.
    int run(const std::vector<Step>& steps);

    // One step: 0, -EEXIST when it was already there, or a negative errno.
    int run_step(const Step& step);

    // The line -v (and -n -v) prints for a step, as kmod's print_action.
    static std::string action_line(const Step& step);

private:
    int run_install(const Step& step);
    int run_command(const Step& step);
    int load(const Step& step);
    void announce(const Step& step);
    void note(const Step& step, int err, const dedup::GuardReport& report);
    // Under -v, the NOTICE a person sees while modprobe waits for another loader.
    std::function<void(pid_t)> waiting_note(const Step& step);
    void record(stats::LoadFacts& facts, int err);

    Kernel& kernel_;
    StepSettings settings_;
    InstallRunner install_;
    ModuleLoader loader_;
    std::FILE* out_;
};

}  // namespace kmodx::modprobe
