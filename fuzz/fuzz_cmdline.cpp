// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe's command line without loading anything: MODPROBE_OPTIONS
// splitting, kmodx's --stats/--boot word stripping ahead of getopt, getopt
// with kmod's table and the checks after it (lib/modprobe/options.cpp,
// stats_options.cpp). Input: NUL-separated words; with the first byte odd the
// first word is MODPROBE_OPTIONS, the rest are argv[1..].
// Properties: no memory error; a refusal has an exit status and at most one
// message line; a second parse of the same words gives the same outcome
// (getopt's hidden state is reset); the split never makes more words than
// the spaces and closing quotes allow, nor more text than it was given.
#include <kmodx/modprobe_options.hpp>

#include "fuzz_common.hpp"

#include <getopt.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

struct Summary {
    bool run;
    int status;
    bool version;
    std::string output, error;
    std::optional<std::string> env;
    int action, verbosity, boot;
    std::vector<std::string> args, config_paths;
    std::string extra, dirname, kversion;
    unsigned wait;
    bool operator==(const Summary&) const = default;
};

Summary parse(std::vector<std::string> words, const char* env) {
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    auto r = kmodx::modprobe::parse_options(static_cast<int>(words.size()), argv.data(), env);
    const auto& o = r.opts;
    return {r.run,
            r.status,
            r.version,
            r.output,
            r.error,
            r.modprobe_options_env,
            static_cast<int>(o.action),
            o.verbosity,
            o.stats_boot,
            o.args,
            o.config_paths,
            o.extra_options,
            o.dirname,
            o.kversion,
            o.wait_msec};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    opterr = 0;  // getopt's complaints would flood the fuzzer's output
    unsetenv("MODPROBE_OPTIONS");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool has_env = data[0] & 1;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::vector<std::string> words{"modprobe"};
    std::string env;
    bool first = true;
    while (true) {
        std::size_t nul = rest.find('\0');
        std::string_view w = rest.substr(0, nul);
        if (first && has_env) env.assign(w);
        else words.emplace_back(w);
        first = false;
        if (nul == std::string_view::npos) break;
        rest.remove_prefix(nul + 1);
    }
    if (words.size() > 64) return 0;  // argv length is not what is being tested

    if (has_env) {
        auto split = kmodx::modprobe::split_modprobe_options(env);
        // A word ends at a space or at the quote that closes a quoted word
        // (kmod makes the same extra empty word when a space follows it).
        const auto ends =
            std::count_if(env.begin(), env.end(), [](char c) { return c == ' ' || c == '"' || c == '\''; });
        FUZZ_CHECK(split.size() <= static_cast<std::size_t>(ends) + 1);
        std::size_t chars = 0;
        for (const auto& w : split) chars += w.size();
        FUZZ_CHECK(chars <= env.size());
    }

    const char* env_arg = has_env ? env.c_str() : nullptr;
    const Summary a = parse(words, env_arg);
    if (!a.run && !a.version && a.output.empty()) FUZZ_CHECK(a.status != 0);
    if (a.run) FUZZ_CHECK(a.status == 0 && a.error.empty());
    if (!a.error.empty()) FUZZ_CHECK(a.error.back() == '\n');
    const Summary b = parse(words, env_arg);
    FUZZ_CHECK(a == b);

    if (words.size() > 2) (void)kmodx::modprobe::join_module_params(std::span(words).subspan(2));
    return 0;
}
