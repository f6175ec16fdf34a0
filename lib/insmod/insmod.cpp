// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/insmod.hpp>
#include <kmodx/kmod_compat.hpp>
#include <kmodx/loader.hpp>
#include <kmodx/log.hpp>
#include <kmodx/messages.hpp>
#include <kmodx/modprobe_options.hpp>
#include <kmodx/module_name.hpp>

#include "stats/load_event.hpp"
#include "stats/recorder.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace kmodx::insmod {

std::string join_params(const std::vector<std::string>& args) {
    // kmod 34's insmod builds the string with modprobe's options_from_array()
    // (commit 7155cf1): a value holding a space gets quotes.
    if constexpr (kmod34) return modprobe::join_module_params(args);
    std::string out;
    for (const auto& a : args) {
        if (!out.empty()) out += ' ';
        out += a;
    }
    return out;
}

namespace {

// insmod names no module; libkmod names it after the file.
void record_load(Kernel& kernel, stats::LoadFacts& facts, int err) {
    if (!stats::Recorder::instance().enabled()) return;  // spare the event's file reads
    facts.module = module_name_of_file(facts.path);
    facts.result = -err;
    stats::record(stats::load_event(kernel, facts));
}

}  // namespace

int run(Kernel& kernel, const Options& opts) {
    log::set_priority(LOG_WARNING + opts.verbose);
    if (opts.path == "-") {
        KMODX_ERR("this tool does not support loading from stdin!\n");
        return 1;
    }
    // kmod refuses a path it cannot stat before it reads anything ("could not
    // load"); failures past that point are insertion failures.
    struct stat st;
    if (::stat(opts.path.c_str(), &st) != 0) {
        KMODX_ERR("could not load module %s: %s\n", opts.path.c_str(), std::strerror(errno));
        return 1;
    }
    // kmod 30 maps the whole file before anything else, and mmap refuses a
    // zero length: an empty file is "Invalid parameters" without a syscall.
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        KMODX_ERR("%s", messages::insert_failed(messages::Tool::Insmod, opts.path, EINVAL).c_str());
        return 1;
    }
    LoadRequest req;
    req.path = opts.path;
    req.params = join_params(opts.args);
    req.force_vermagic = req.force_modversion = opts.force;
    req.keep_image = stats::Recorder::instance().enabled();
    stats::LoadFacts facts;
    facts.tool = "insmod";
    facts.path = opts.path;
    facts.attempted = true;
    auto r = load_module(kernel, req, &facts.report);
    int err = 0;
    if (!r) {
        facts.error = r.error();
        err = messages::load_errno(r.error(), facts.report.format);
    } else if (r->outcome == LoadOutcome::AlreadyLoaded) {
        err = EEXIST;  // insmod, unlike modprobe, reports an existing module
    }
    record_load(kernel, facts, err);
    if (err == 0) return 0;
    KMODX_ERR("%s", messages::insert_failed(messages::Tool::Insmod, opts.path, err).c_str());
    return 1;
}

}  // namespace kmodx::insmod
