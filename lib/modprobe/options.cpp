// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/modprobe_options.hpp>

#include <kmodx/kmod_compat.hpp>

#include "modprobe/stats_options.hpp"

#include <getopt.h>
#include <syslog.h>

#include <cstdlib>
#include <cstring>

namespace kmodx::modprobe {
namespace {

// getopt_long values of the long-only options (kmod's numbering is private;
// only the table's names and argument kinds matter for getopt's messages).
enum LongOnly : int {
    kForceVermagic = 1,
    kForceModversion,
    kFirstTime,
    kShowModversions,
    kRemoveHolders,
    kShowExports,
    kNoDedup = 0x100,
};

constexpr char kShortOptions[] = "arw:RibfDcnC:d:S:sqvVh";

// kmod 30's table, in its order (getopt's ambiguity messages list matches in
// table order), plus kmodx's own options at the end.
const struct option kLongOptions[] = {
    {"all", no_argument, nullptr, 'a'},
    {"remove", no_argument, nullptr, 'r'},
    {"remove-dependencies", no_argument, nullptr, kRemoveHolders},
    {"remove-holders", no_argument, nullptr, kRemoveHolders},
    {"wait", required_argument, nullptr, 'w'},
    {"resolve-alias", no_argument, nullptr, 'R'},
    {"first-time", no_argument, nullptr, kFirstTime},
    {"ignore-install", no_argument, nullptr, 'i'},
    {"ignore-remove", no_argument, nullptr, 'i'},
    {"use-blacklist", no_argument, nullptr, 'b'},
    {"force", no_argument, nullptr, 'f'},
    {"force-modversion", no_argument, nullptr, kForceModversion},
    {"force-vermagic", no_argument, nullptr, kForceVermagic},
    {"show-depends", no_argument, nullptr, 'D'},
    {"showconfig", no_argument, nullptr, 'c'},
    {"show-config", no_argument, nullptr, 'c'},
    {"show-modversions", no_argument, nullptr, kShowModversions},
    {"dump-modversions", no_argument, nullptr, kShowModversions},
    {"show-exports", no_argument, nullptr, kShowExports},
    {"dry-run", no_argument, nullptr, 'n'},
    {"show", no_argument, nullptr, 'n'},
    {"config", required_argument, nullptr, 'C'},
    {"dirname", required_argument, nullptr, 'd'},
    {"set-version", required_argument, nullptr, 'S'},
    {"syslog", no_argument, nullptr, 's'},
    {"quiet", no_argument, nullptr, 'q'},
    {"verbose", no_argument, nullptr, 'v'},
    {"version", no_argument, nullptr, 'V'},
    {"help", no_argument, nullptr, 'h'},
    {"no-dedup", no_argument, nullptr, kNoDedup},
    {nullptr, 0, nullptr, 0},
};

// kmod appends to whatever MODPROBE_OPTIONS held, one word at a time.
void env_append(std::optional<std::string>& env, const char* value) {
    if (!env) {
        env = value;
        return;
    }
    *env += ' ';
    *env += value;
}

// strtoul(optarg, &end, 0) accepting only a fully consumed, non-empty string.
bool parse_wait(const char* text, unsigned& out) {
    if (*text == '\0') return false;
    char* end = nullptr;
    unsigned long v = std::strtoul(text, &end, 0);
    if (*end != '\0') return false;
    out = static_cast<unsigned>(v);
    return true;
}

}  // namespace

std::vector<std::string> split_modprobe_options(std::string_view env) {
    std::vector<std::string> out;
    std::string cur;
    char quote = 0;
    std::size_t quote_at = 0;  // where the open quote sits in cur
    for (char c : env) {
        if (quote == 0) {
            if (c == ' ') {
                out.push_back(std::move(cur));
                cur.clear();
            } else {
                if (c == '"' || c == '\'') {
                    quote = c;
                    quote_at = cur.size();
                }
                cur += c;
            }
            continue;
        }
        if (c != quote) {
            cur += c;
            continue;
        }
        quote = 0;
        cur.erase(quote_at, 1);
        if (quote_at == 0) {
            // A quote that opened the argument also closes it: what follows,
            // even without a space, starts the next one.
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    // An unterminated quote stays in place, as kmod leaves it.
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

std::string join_module_params(std::span<const std::string> words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        auto eq = w.find('=');
        bool quote = false;
        if (eq != std::string::npos) {
            std::string_view value(w.data() + eq + 1, w.size() - eq - 1);
            quote =
                (value.empty() || (value[0] != '"' && value[0] != '\'')) && value.find(' ') != std::string_view::npos;
        }
        if (!quote) {
            out += w;
        } else {
            out.append(w, 0, eq + 1);
            out += '"';
            out.append(w, eq + 1);
            out += '"';
        }
    }
    return out;
}

std::string usage_text(std::string_view prog_view) {
    std::string p(prog_view);
    std::string t = "Usage:\n";
    t += "\t" + p + " [options] [-i] [-b] modulename\n";
    t += "\t" + p + " [options] -a [-i] [-b] modulename [modulename...]\n";
    t += "\t" + p + " [options] -r [-i] modulename\n";
    t += "\t" + p + " [options] -r -a [-i] modulename [modulename...]\n";
    t += "\t" + p + " [options] -c\n";
    t += "\t" + p + " [options] --dump-modversions filename\n";
    t += "Management Options:\n"
         "\t-a, --all                   Consider every non-argument to\n"
         "\t                            be a module name to be inserted\n"
         "\t                            or removed (-r)\n"
         "\t-r, --remove                Remove modules instead of inserting\n"
         "\t    --remove-dependencies   Deprecated: use --remove-holders\n"
         "\t    --remove-holders        Also remove module holders (use together with -r)\n"
         "\t-w, --wait";
    // kmod 34's unified help (commit 94131a4) writes --wait=<MSEC>.
    t += kmod34 ? "=" : " ";
    t += "<MSEC>           When removing a module, wait up to MSEC for\n"
         "\t                            module's refcount to become 0 so it can be\n"
         "\t                            removed (use together with -r)\n"
         "\t    --first-time            Fail if module already inserted or removed\n"
         "\t-i, --ignore-install        Ignore install commands\n"
         "\t-i, --ignore-remove         Ignore remove commands\n"
         "\t-b, --use-blacklist         Apply blacklist to resolved alias.\n"
         "\t-f, --force                 Force module insertion or removal.\n"
         "\t                            implies --force-modversions and\n"
         "\t                            --force-vermagic\n"
         "\t    --force-modversion      Ignore module's version\n"
         "\t    --force-vermagic        Ignore module's version magic\n"
         "\n"
         "Query Options:\n"
         "\t-R, --resolve-alias         Only lookup and print alias and exit\n"
         "\t-D, --show-depends          Only print module dependencies and exit\n"
         "\t-c, --showconfig            Print out known configuration and exit\n"
         "\t-c, --show-config           Same as --showconfig\n"
         "\t    --show-modversions      Dump module symbol version and exit\n"
         "\t    --dump-modversions      Same as --show-modversions\n"
         "\t    --show-exports          Only print module exported symbol versions and exit\n"
         "\n"
         "General Options:\n"
         "\t-n, --dry-run               Do not execute operations, just print out\n"
         "\t-n, --show                  Same as --dry-run\n"
         "\t-C, --config=FILE           Use FILE instead of default search paths\n"
         "\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules\n"
         "\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`\n"
         "\t-s, --syslog                print to syslog, not stderr\n"
         "\t-q, --quiet                 disable messages\n"
         "\t-v, --verbose               enables more messages\n"
         "\t-V, --version               show version\n"
         "\t-h, --help                  show this help\n"
         "\n"
         "kmodx Options:\n"
         "\t    --no-dedup              Load even when another process is loading the same\n"
         "\t                            module (no lock files in /run/kmodx)\n"
         "\t    --stats[=FORMAT]        Report this boot's module loads and exit; FORMAT is\n"
         "\t                            text (default), json, prometheus, html or svg\n"
         "\t    --boot=N                With --stats: 0 this boot, -1 the one before, ...\n"
         "\t    --explain               With --stats: findings in words, with their numbers\n"
         "\t    --compare[=N]           With --stats: this boot (or --boot's) against boot N\n"
         "\t                            (default -1, the one before)\n"
         "\t    --stats-reset           Empty this boot's stats store and exit\n"
         "\t    --stats-archive         Copy this boot's stats to /var/lib/kmodx and exit\n";
    return t;
}

namespace {

// The actions named on the command line; kmod's precedence picks one later.
struct Requested {
    bool remove = false, resolve = false, show_depends = false, show_config = false;
    bool modversions = false, exports = false;
};

// MODPROBE_OPTIONS as install commands will see it: the caller's value with
// -C, -q, -v and -s appended, as kmod hands them on.
struct EnvForCommands {
    std::optional<std::string> value;
    bool changed = false;
    void add(const char* word) {
        env_append(value, word);
        changed = true;
    }
};

ParseOutcome& refuse_early(ParseOutcome& r, std::string msg) {
    r.error = std::move(msg);
    r.error_before_log = true;
    r.status = 1;
    return r;
}

// One option getopt_long returned, into r's Options or `want`. False: stop
// parsing with r as it stands (-V, -h, a bad value or an unknown option).
bool apply_option(int c, ParseOutcome& r, Requested& want, EnvForCommands& env) {
    Options& o = r.opts;
    switch (c) {
        case 'a': o.all = true; break;
        case 'r': want.remove = true; break;
        case kRemoveHolders:
            o.remove_holders = true;
            o.remove_dependencies = true;
            break;
        case 'w':
            if (!parse_wait(optarg, o.wait_msec)) {
                refuse_early(r, std::string("unexpected wait value '") + optarg + "'.\n");
                return false;
            }
            break;
        case kFirstTime: o.first_time = true; break;
        case 'i': o.ignore_install = o.ignore_remove = true; break;
        case 'b': o.use_blacklist = true; break;
        case 'f': o.force = o.force_vermagic = o.force_modversion = true; break;
        case kForceModversion: o.force_modversion = true; break;
        case kForceVermagic: o.force_vermagic = true; break;
        case 'D': want.show_depends = o.ignore_loaded = o.dry_run = o.show = true; break;
        case 'R': want.resolve = true; break;
        case 'c': want.show_config = true; break;
        case kShowModversions: want.modversions = true; break;
        case kShowExports: want.exports = true; break;
        case 'n': o.dry_run = true; break;
        case 'C':
            o.config_paths.emplace_back(optarg);
            env.add("-C");
            env.add(optarg);
            break;
        case 'd': o.dirname = optarg; break;
        case 'S': o.kversion = optarg; break;
        case 's':
            env.add("-s");
            o.use_syslog = true;
            break;
        case 'q':
            env.add("-q");
            o.quiet = true;
            o.verbosity = LOG_EMERG;
            break;
        case 'v':
            env.add("-v");
            o.verbosity++;
            break;
        case 'V': r.version = true; return false;
        case 'h': r.output = usage_text(program_invocation_short_name); return false;
        case kNoDedup: o.no_dedup = true; break;
        default:  // '?': getopt already said why
            r.status = 1;
            return false;
    }
    return true;
}

// kmodx's --stats family: alone, never with kmod's actions or module names.
ParseOutcome& choose_stats_action(ParseOutcome& r, const Requested& want, const StatsWords& stats) {
    Options& o = r.opts;
    if (stats.actions > 1) return refuse_early(r, "use one of --stats, --stats-reset, --stats-archive\n");
    if (want.show_config || want.modversions || want.exports || want.remove || want.resolve || want.show_depends ||
        o.all)
        return refuse_early(r, "--stats, --stats-reset and --stats-archive cannot be combined with module actions\n");
    if (!o.args.empty()) return refuse_early(r, "--stats, --stats-reset and --stats-archive take no module names\n");
    if (stats.boot_given && stats.action != Action::Stats) return refuse_early(r, "--boot goes with --stats only\n");
    if (stats.explain && stats.action != Action::Stats) return refuse_early(r, "--explain goes with --stats only\n");
    if (stats.explain && stats.format != StatsFormat::Text)
        return refuse_early(r, "--explain prints findings as text: use --stats --explain\n");
    if (stats.compare && stats.action != Action::Stats) return refuse_early(r, "--compare goes with --stats only\n");
    if (stats.compare && (stats.explain || (stats.format != StatsFormat::Text && stats.format != StatsFormat::Json)))
        return refuse_early(r, "--compare prints text or JSON: use --stats --compare or --stats=json --compare\n");
    o.action = stats.action;
    o.stats_compare = stats.compare;
    o.stats_format = stats.explain ? StatsFormat::Explain : stats.format;
    o.stats_boot = stats.boot;
    r.run = true;
    return r;
}

// kmod's precedence among the actions asked for, then its checks of the names.
ParseOutcome& choose_action(ParseOutcome& r, const Requested& want, const StatsWords& stats) {
    if (stats.actions > 0) return choose_stats_action(r, want, stats);
    if (stats.boot_given) return refuse_early(r, "--boot goes with --stats only\n");
    if (stats.explain) return refuse_early(r, "--explain goes with --stats only\n");
    if (stats.compare) return refuse_early(r, "--compare goes with --stats only\n");
    Options& o = r.opts;
    if (want.show_config) o.action = Action::ShowConfig;
    else if (want.modversions) o.action = Action::ShowModversions;
    else if (want.exports) o.action = Action::ShowExports;
    else if (want.remove) o.action = Action::Remove;
    else if (want.resolve) o.action = Action::ResolveAlias;
    else if (want.show_depends) o.action = Action::ShowDepends;
    else o.action = Action::Insert;

    if (o.action != Action::ShowConfig && o.args.empty()) {
        r.error = "missing parameters. See -h.\n";
        r.status = 1;
        return r;
    }
    if (!o.all && o.action != Action::Remove && o.args.size() > 1)
        o.extra_options = join_module_params(std::span(o.args).subspan(1));
    r.run = true;
    return r;
}

}  // namespace

ParseOutcome parse_options(int argc, char** argv, const char* env_options) {
    ParseOutcome r;
    r.opts.verbosity = LOG_WARNING;

    // Own copies of every word: getopt permutes the array, and the env words
    // must outlive it.
    std::vector<std::string> words;
    words.emplace_back(argc > 0 && argv[0] ? argv[0] : "modprobe");
    if (env_options)
        for (auto& w : split_modprobe_options(env_options)) words.push_back(std::move(w));
    for (int i = 1; i < argc; ++i) words.emplace_back(argv[i]);
    const StatsWords stats = take_stats_options(words, kShortOptions, kLongOptions);
    if (!stats.error.empty()) return refuse_early(r, stats.error);
    std::vector<char*> av;
    for (auto& w : words) av.push_back(w.data());
    av.push_back(nullptr);
    const int ac = static_cast<int>(words.size());

    EnvForCommands env;
    if (const char* now = std::getenv("MODPROBE_OPTIONS")) env.value = now;
    Requested want;
    optind = 0;  // full reinitialisation: parse_options may run more than once
    for (;;) {
        int idx = 0;
        const int c = getopt_long(ac, av.data(), kShortOptions, kLongOptions, &idx);
        if (c == -1) break;
        if (!apply_option(c, r, want, env)) return r;
    }
    if (env.changed) r.modprobe_options_env = env.value;
    for (int i = optind; i < ac; ++i) r.opts.args.emplace_back(av[i]);
    return choose_action(r, want, stats);
}

}  // namespace kmodx::modprobe
