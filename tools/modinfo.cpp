// SPDX-License-Identifier: LGPL-2.1-or-later
// modinfo front end: kmod 30's option table, then kmodx::modinfo::run.
#include "option_loop.hpp"
#include "tools.hpp"

#include <kmodx/log.hpp>
#include <kmodx/modinfo.hpp>

namespace kmodx::tools {
namespace {

constexpr char kShort[] = "adlpn0mF:k:b:Vh";
constexpr option kLong[] = {
    {"author", no_argument, nullptr, 'a'},
    {"description", no_argument, nullptr, 'd'},
    {"license", no_argument, nullptr, 'l'},
    {"parameters", no_argument, nullptr, 'p'},
    {"filename", no_argument, nullptr, 'n'},
    {"null", no_argument, nullptr, '0'},
    {"modname", no_argument, nullptr, 'm'},
    {"field", required_argument, nullptr, 'F'},
    {"set-version", required_argument, nullptr, 'k'},
    {"basedir", required_argument, nullptr, 'b'},
    kVersionOption,
    kHelpOption,
    kOptionsEnd,
};

constexpr char kUsage[] =
    "Usage:\n"
    "\t%s [options] <modulename|filename> [args]\n"
    "Options:\n"
    "\t-a, --author                Print only 'author'\n"
    "\t-d, --description           Print only 'description'\n"
    "\t-l, --license               Print only 'license'\n"
    "\t-p, --parameters            Print only 'parm'\n"
    "\t-n, --filename              Print only 'filename'\n"
    "\t-0, --null                  Use \\0 instead of \\n\n"
    "\t-m, --modname               Handle argument as module name instead of alias or filename\n"
    "\t-F, --field=FIELD           Print only provided FIELD\n"
    "\t-k, --set-version=VERSION   Use VERSION instead of `uname -r`\n"
    "\t-b, --basedir=DIR           Use DIR as filesystem root for /lib/modules\n"
    "\t-V, --version               Show version\n"
    "\t-h, --help                  Show this help\n";

constexpr OptionTable kOptions{kShort, kLong, kUsage, true};

}  // namespace

int modinfo_main(int argc, char** argv) {
    modinfo::Options opts;
    auto done = parse_options(argc, argv, kOptions, [&](int c) {
        switch (c) {
            case 'a': opts.field = "author"; return true;
            case 'd': opts.field = "description"; return true;
            case 'l': opts.field = "license"; return true;
            case 'p': opts.field = "parm"; return true;
            case 'n': opts.field = "filename"; return true;
            case '0': opts.separator = '\0'; return true;
            case 'm': opts.by_name = true; return true;
            case 'F': opts.field = optarg; return true;
            case 'k': opts.kversion = optarg; return true;
            case 'b': opts.basedir = optarg; return true;
        }
        return false;
    });
    if (done) return *done;
    for (int i = optind; i < argc; ++i) opts.targets.emplace_back(argv[i]);
    return modinfo::run(opts);
}

}  // namespace kmodx::tools
