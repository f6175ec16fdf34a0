// modinfo front end: kmod 30's option table, then kmodx::modinfo::run.
#include "tools.hpp"

#include "kmodx_config.h"

#include <kmodx/log.hpp>
#include <kmodx/modinfo.hpp>
#include <kmodx/tool_version.hpp>

#include <getopt.h>

#include <cstdio>
#include <cstdlib>

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
    {"version", no_argument, nullptr, 'V'},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

void help() {
    std::printf("Usage:\n"
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
                "\t-h, --help                  Show this help\n",
                program_invocation_short_name);
}

}  // namespace

int modinfo_main(int argc, char** argv) {
    modinfo::Options opts;
    optind = 0;  // glibc: full re-initialisation, so repeated calls parse afresh
    for (;;) {
        int c = getopt_long(argc, argv, kShort, kLong, nullptr);
        if (c == -1) break;
        switch (c) {
        case 'a': opts.field = "author"; break;
        case 'd': opts.field = "description"; break;
        case 'l': opts.field = "license"; break;
        case 'p': opts.field = "parm"; break;
        case 'n': opts.field = "filename"; break;
        case '0': opts.separator = '\0'; break;
        case 'm': opts.by_name = true; break;
        case 'F': opts.field = optarg; break;
        case 'k': opts.kversion = optarg; break;
        case 'b': opts.basedir = optarg; break;
        case 'h': help(); return EXIT_SUCCESS;
        case 'V': print_tool_version(KMODX_VERSION, true); return EXIT_SUCCESS;
        default: return EXIT_FAILURE;  // getopt already said why
        }
    }
    for (int i = optind; i < argc; ++i) opts.targets.emplace_back(argv[i]);
    return modinfo::run(opts);
}

}  // namespace kmodx::tools
