// SPDX-License-Identifier: LGPL-2.1-or-later
// What the reports say about requests that failed or waited: every caller
// that saw a failure counts, cached ones as a part of it; a failure says who
// asked; names nothing answers are recorded and shown apart; the time
// waiters spent is reported per module.
#include <kmodx/stats_report.hpp>

#include "stats/load_event.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "cmocka.hpp"
#include "stats_events.hpp"

using namespace kmodx::stats;
using kmodx::Compression;

namespace {

using test::Boot;

const Summary::ByRequester& requester(const Summary& s, Requester r) {
    for (const auto& x : s.requesters)
        if (x.requester == r) return x;
    fail_msg("no row for %s", requester_name(r));
    return s.requesters.front();
}

bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

}  // namespace

// Eight requests for a failing module: one loader saw the kernel refuse it,
// seven got its failure handed on. All eight failed for their callers.
static void cached_failures_count_as_failures_of_their_callers(void**) {
    Boot boot;
    boot.add("serio_raw", Outcome::SuppressedFailure, Requester::Kernel, ENODEV, 4);  // before the loader's record
    boot.add("serio_raw", Outcome::FailedKernel, Requester::Kernel, ENODEV);
    boot.add("serio_raw", Outcome::SuppressedFailure, Requester::Udev, ENODEV, 2);
    boot.add("serio_raw", Outcome::SuppressedFailure, Requester::User, ENODEV);
    boot.add("nvme", Outcome::Suppressed, Requester::Kernel, 0, 3);
    Summary s = summarize(boot.b, 0);

    assert_int_equal(s.failures.size(), 1);
    const auto& f = s.failures[0];
    assert_string_equal(f.module.c_str(), "serio_raw");
    assert_int_equal(static_cast<int>(f.outcome), static_cast<int>(Outcome::FailedKernel));
    assert_int_equal(f.count, 8);
    assert_int_equal(f.cached, 7);
    assert_int_equal(f.by_requester[static_cast<int>(Requester::Kernel)], 5);
    assert_int_equal(f.by_requester[static_cast<int>(Requester::Udev)], 2);
    assert_int_equal(f.by_requester[static_cast<int>(Requester::User)], 1);
    assert_string_equal(requesters_line(f.by_requester).c_str(), "kernel:5,udev:2,user:1");

    const auto& k = requester(s, Requester::Kernel);
    assert_int_equal(k.requests, 8);
    assert_int_equal(k.failed, 5);
    assert_int_equal(k.cached_failures, 4);
    assert_int_equal(k.suppressed, 3);  // nvme's waits only
    const auto& user = requester(s, Requester::User);
    assert_int_equal(user.failed, 1);
    assert_int_equal(user.suppressed, 0);

    const std::string text = render_text(s);
    assert_true(contains(text,
                         "                serio_raw\t  failed_kernel\t         ENODEV\t              8\t"
                         "              7\tkernel:5,udev:2,user:1\t"));
    assert_true(contains(text,
                         "                   kernel\t              8\t              0\t              0\t"
                         "              3\t              0\t              5\t              4\t              0\n"));
    const std::string json = render_json(s);
    assert_true(contains(json, "\"count\":8,\"cached\":7,\"requesters\":{\"kernel\":5,\"udev\":2,\"user\":1}"));
    assert_true(contains(json, "\"failed\":5,\"cached_failures\":4,\"not_found\":0"));
    const std::string prom = render_prometheus(s);
    assert_true(
        contains(prom, "kmodx_failures_total{module=\"serio_raw\",outcome=\"failed_kernel\",errno=\"ENODEV\"} 8\n"));
    assert_true(contains(prom, "kmodx_cached_failed_requests_total{requester=\"kernel\"} 4\n"));
}

// A cached failure whose loader's record is not in this boot's store (it
// was compacted away, or the loader was killed before it recorded) keeps a
// row of its own; one of another errno never joins.
static void cached_failure_without_its_origin_has_its_own_row(void**) {
    Boot boot;
    // Unmatched ones first: rows they add must not lose the later ones' origin.
    boot.add("acpi_cpufreq", Outcome::SuppressedFailure, Requester::Kernel, ENODEV);
    boot.add("kvm_intel", Outcome::FailedKernel, Requester::Kernel, EOPNOTSUPP);
    boot.add("kvm_intel", Outcome::SuppressedFailure, Requester::Udev, EIO, 2);
    for (int i = 0; i < 40; ++i) {  // enough rows that appending reallocates
        const std::string m = "mod" + std::to_string(i);
        boot.add(m.c_str(), Outcome::SuppressedFailure, Requester::Udev, ENODEV);
        boot.add(m.c_str(), Outcome::FailedKernel, Requester::Kernel, ENXIO);
    }
    boot.add("xen_blkfront", Outcome::SuppressedFailure, Requester::Udev, ENODEV, 5);
    boot.add("xen_blkfront", Outcome::FailedKernel, Requester::Kernel, ENODEV);
    Summary s = summarize(boot.b, 0);

    assert_int_equal(s.failures.size(), 3 + 80 + 1);
    assert_string_equal(s.failures[0].module.c_str(), "xen_blkfront");
    assert_int_equal(s.failures[0].count, 6);
    assert_int_equal(s.failures[0].cached, 5);
    s.failures.erase(s.failures.begin());
    assert_string_equal(s.failures[0].module.c_str(), "kvm_intel");
    assert_int_equal(static_cast<int>(s.failures[0].outcome), static_cast<int>(Outcome::SuppressedFailure));
    assert_int_equal(s.failures[0].count, 2);
    assert_int_equal(s.failures[0].cached, 2);
    assert_int_equal(s.failures[0].err, EIO);
    // acpi_cpufreq and kvm_intel's kernel failure: one each, by name.
    assert_string_equal(s.failures[1].module.c_str(), "acpi_cpufreq");
    assert_int_equal(s.failures[1].cached, 1);
    assert_string_equal(s.failures[2].module.c_str(), "kvm_intel");
    assert_int_equal(s.failures[2].cached, 0);
    assert_int_equal(static_cast<int>(s.failures[2].outcome), static_cast<int>(Outcome::FailedKernel));
}

// Kernel-style requests for an alias nothing provides, and a mistyped name.
static void names_nothing_answers_are_reported_apart(void**) {
    Boot boot;
    Event nf = not_found_event("modprobe", "net-pf-10");
    assert_string_equal(nf.module.c_str(), "net-pf-10");  // as asked: '-' kept
    assert_int_equal(static_cast<int>(nf.outcome), static_cast<int>(Outcome::NotFound));
    assert_int_equal(nf.err, ENOENT);
    assert_true(records_not_found("net-pf-10"));
    assert_true(records_not_found("symbol:nf_nat_hook"));
    assert_false(records_not_found("pci:v00008086d00007000sv00000000sd00000000bc06sc01i00"));
    nf.requester = Requester::Kernel;
    nf.count = 3;
    boot.b.events.push_back(nf);
    boot.add("nvmee", Outcome::NotFound, Requester::User, ENOENT);
    boot.add("nvme", Outcome::Loaded, Requester::User);
    Summary s = summarize(boot.b, 0);

    assert_int_equal(s.by_outcome[static_cast<int>(Outcome::NotFound)], 4);
    assert_true(s.failures.empty());
    assert_int_equal(s.not_found.size(), 2);
    assert_string_equal(s.not_found[0].module.c_str(), "net-pf-10");
    assert_int_equal(s.not_found[0].count, 3);
    assert_string_equal(requesters_line(s.not_found[0].by_requester).c_str(), "kernel:3");
    assert_int_equal(requester(s, Requester::Kernel).not_found, 3);
    assert_int_equal(requester(s, Requester::Kernel).requests, 3);
    assert_int_equal(requester(s, Requester::User).not_found, 1);
    assert_int_equal(requester(s, Requester::User).failed, 0);
    // Nothing reached the kernel: the debugfs figures do not move.
    assert_int_equal(s.debugfs.failed_kread, 0);
    assert_int_equal(s.debugfs.loaded, 1);

    const std::string text = render_text(s);
    assert_true(contains(text,
                         "\nNot found:\n                     Name\t          Count\t       Asked-by\n"
                         "                net-pf-10\t              3\t       kernel:3\n"
                         "                    nvmee\t              1\t         user:1\n"));
    const std::string json = render_json(s);
    assert_true(contains(json, "\"not_found\":[{\"name\":\"net-pf-10\",\"count\":3,\"requesters\":{\"kernel\":3}"));
    assert_true(contains(json, "\"schema_version\":2"));
    const std::string prom = render_prometheus(s);
    assert_true(contains(prom, "kmodx_not_found_total{name=\"net-pf-10\"} 3\n"));
    assert_true(contains(prom, "kmodx_not_found_requests_total{requester=\"user\"} 1\n"));
    // The record keeps the name through the store's encoding.
    auto back = decode(encode(nf));
    assert_true(back.has_value());
    assert_string_equal(back->module.c_str(), "net-pf-10");
    assert_int_equal(static_cast<int>(back->outcome), static_cast<int>(Outcome::NotFound));
}

// Sixteen requests for nvme: one loader that waited 1 ms for a loader
// outside kmodx, fifteen waiters (a compacted record of ten and five single
// ones); evdev's requests never waited a millisecond.
static void waits_are_reported_per_module(void**) {
    Boot boot;
    boot.add("nvme", Outcome::Loaded, Requester::Kernel).wait_ns = 1'000'000;
    boot.add("nvme", Outcome::Suppressed, Requester::Kernel, 0, 10).wait_ns = 3'000'000'000;  // 300 ms each
    for (std::uint64_t ms : {100, 200, 450, 50, 120})
        boot.add("nvme", Outcome::Suppressed, Requester::Udev).wait_ns = ms * 1'000'000;
    boot.add("evdev", Outcome::Loaded, Requester::User).wait_ns = 5'000;                // an uncontended lock
    boot.add("evdev", Outcome::Suppressed, Requester::User, 0, 4).wait_ns = 3'000'000;  // 0.75 ms each
    boot.add("kvm", Outcome::SuppressedFailure, Requester::Kernel, ENODEV).wait_ns = 7'000'000;
    boot.add("loop", Outcome::Removed, Requester::User).wait_ns = 9'000'000'000;  // not a request
    Summary s = summarize(boot.b, 0);

    assert_int_equal(s.commands, 1);  // every event here has pid 0
    assert_int_equal(s.waits.size(), 2);
    assert_string_equal(s.waits[0].module.c_str(), "nvme");
    assert_int_equal(s.waits[0].requests, 16);
    assert_int_equal(s.waits[0].total_ns, 3'921'000'000ull);
    assert_int_equal(s.waits[0].worst_ns, 450'000'000);
    assert_string_equal(s.waits[1].module.c_str(), "kvm");

    // Per request: the waiters lead, each compacted one at its mean; a
    // removal is no request.
    assert_int_equal(s.slowest_requests.size(), 10);
    assert_string_equal(s.slowest_requests[0].module.c_str(), "nvme");
    assert_int_equal(s.slowest_requests[0].total_ns(), 450'000'000);
    assert_int_equal(static_cast<int>(s.slowest_requests[0].outcome), static_cast<int>(Outcome::Suppressed));
    assert_int_equal(static_cast<int>(s.slowest_requests[0].requester), static_cast<int>(Requester::Udev));
    assert_int_equal(s.slowest_requests[1].total_ns(), 300'000'000);
    assert_int_equal(s.slowest_requests[1].count, 10);
    for (const auto& r : s.slowest_requests) assert_string_not_equal(r.module.c_str(), "loop");

    const std::string text = render_text(s);
    assert_true(contains(text,
                         "\nLongest waits by module:\n                   Module\t       Requests\t"
                         "  Total-wait-ms\t  Worst-wait-ms\n"
                         "                     nvme\t             16\t       3921.000\t        450.000\n"
                         "                      kvm\t              1\t          7.000\t          7.000\n"));
    assert_true(
        contains(text,
                 "\nSlowest requests:\n                   Module\t       Total-ms\t        Wait-ms\t"
                 "        Outcome\t      Requester\n"
                 "                     nvme\t        450.000\t        450.000\t     suppressed\t           udev\n"));
    const std::string json = render_json(s);
    assert_true(contains(json,
                         "\"slowest_requests\":[{\"module\":\"nvme\",\"tool\":\"\",\"requester\":\"udev\","
                         "\"outcome\":\"suppressed\""));
    assert_true(contains(json,
                         "\"waits\":[{\"module\":\"nvme\",\"requests\":16,\"total_ns\":3921000000,"
                         "\"worst_ns\":450000000}"));
    const std::string prom = render_prometheus(s);
    assert_true(contains(prom, "kmodx_wait_seconds_total{module=\"nvme\"} 3.921000000\n"));
    assert_true(contains(prom, "kmodx_waiting_requests_total{module=\"kvm\"} 1\n"));
}

// Every module loaded has one series per metric, whatever its rank.
static void loads_are_exported_per_module(void**) {
    Boot boot;
    boot.add("zst", Outcome::Loaded, Requester::User, 0, 2).syscall_ns = 20'000'000;  // 10 ms each
    Event& n = boot.add("nvme", Outcome::Loaded, Requester::Udev);
    n.wait_ns = 1'000'000;
    n.syscall_ns = 29'000'000;
    boot.add("nvme", Outcome::Loaded, Requester::Udev).syscall_ns = 5'000'000;  // after an unload
    boot.add("evdev", Outcome::AlreadyLive, Requester::Kernel);
    Summary s = summarize(boot.b, 0);

    assert_int_equal(s.loads.size(), 2);
    assert_string_equal(s.loads[0].module.c_str(), "nvme");
    assert_int_equal(s.loads[0].loads, 2);
    assert_int_equal(s.loads[0].total_ns, 35'000'000);
    assert_int_equal(s.loads[0].worst_ns, 30'000'000);
    assert_int_equal(s.loads[1].worst_ns, 10'000'000);
    const std::string prom = render_prometheus(s);
    assert_true(contains(prom, "kmodx_load_seconds_max{module=\"nvme\"} 0.030000000\n"));
    assert_true(contains(prom, "kmodx_load_seconds_total{module=\"zst\"} 0.020000000\n"));
    assert_true(contains(prom, "kmodx_loads_total{module=\"zst\"} 2\n"));
    assert_false(contains(prom, "rank="));
}

static void empty_sections_say_none(void**) {
    Boot boot;
    boot.add("nvme", Outcome::Loaded, Requester::Kernel);
    boot.b.created_ns = 1'796'600'000'123'456'789;
    const std::string text = render_text(summarize(boot.b, 0));
    assert_true(contains(text, "            Store created\t2026-12-06 23:33:20 UTC\n"));
    boot.b.created_ns = 0;
    assert_true(contains(render_text(summarize(boot.b, 0)), "            Store created\t        unknown\n"));
    assert_true(contains(text,
                         "\nNot found:\n                     Name\t          Count\t       Asked-by\n"
                         "                     none\n"));
    assert_true(contains(text,
                         "\nLongest waits by module:\n                   Module\t       Requests\t"
                         "  Total-wait-ms\t  Worst-wait-ms\n                     none\n"));
}

static void summary_aggregates_by_module_requester_and_format(void**) {
    BootEvents b;
    b.boot_id = "0123";
    b.skipped = 2;
    b.torn_tail = true;
    auto ev = [&](const char* m, Outcome o, Requester r, const char* comm, std::uint64_t count = 1) {
        Event e;
        e.module = m;
        e.outcome = o;
        e.requester = r;
        e.parent_comm = comm;
        e.count = count;
        b.events.push_back(e);
        return &b.events.back();
    };
    ev("nvme", Outcome::Loaded, Requester::Udev, "(udev-worker)")->syscall_ns = 5'000'000;
    ev("nvme", Outcome::Suppressed, Requester::Udev, "(udev-worker)", 6)->kernel_alloc_bytes = 600;
    Event* cached = ev("nvme", Outcome::SuppressedFailure, Requester::Kernel, "kworker/u16:1");
    cached->kernel_alloc_bytes = 100;
    cached->err = ENODEV;
    ev("kvm", Outcome::DuplicateInKernel, Requester::Systemd, "systemd")->err = EBUSY;
    ev("kvm", Outcome::FailedKernel, Requester::Systemd, "systemd", 3)->err = EOPNOTSUPP;
    // Merged into another load by the kernel: a kernel duplicate, not a load.
    ev("nvme", Outcome::MergedInKernel, Requester::Systemd, "systemd");
    ev("loop", Outcome::Removed, Requester::User, "bash")->taint = "OE";
    ev("loop", Outcome::Removed, Requester::User, "bash")->taint = "OE";
    ev("xfs", Outcome::Removed, Requester::User, "bash");
    Event* z = ev("zst", Outcome::Loaded, Requester::User, "bash", 2);
    z->format = Compression::Zstd;
    z->path = DecompressPath::Userspace;
    z->file_bytes = 100;
    z->image_bytes = 400;
    z->decompress_ns = 4'000'000;
    z->syscall_ns = 20'000'000;  // 2 loads: 10 ms each
    Event* d = ev("dd", Outcome::Loaded, Requester::Other, "sh");
    d->degraded = kNoDedup | kLockTimedOut;
    d->degraded_reason = "read-only";

    Summary s = summarize(b, -1);
    assert_int_equal(s.boot, -1);
    assert_int_equal(s.records, b.events.size());
    assert_int_equal(s.events, 1 + 6 + 1 + 1 + 3 + 1 + 3 + 2 + 1);
    assert_int_equal(s.by_outcome[static_cast<int>(Outcome::MergedInKernel)], 1);
    assert_int_equal(s.by_outcome[static_cast<int>(Outcome::Suppressed)], 6);
    assert_int_equal(s.saved.size(), 1);
    assert_int_equal(s.saved[0].suppressed, 6);
    assert_int_equal(s.saved[0].suppressed_failure, 1);
    assert_int_equal(s.saved[0].alloc_bytes, 700);

    // Requester order; removals are not requests.
    assert_int_equal(s.requesters.size(), 5);
    assert_int_equal(static_cast<int>(s.requesters[0].requester), static_cast<int>(Requester::Kernel));
    const auto& udev = s.requesters[1];
    assert_int_equal(udev.requests, 7);
    assert_int_equal(udev.suppressed, 6);
    assert_string_equal(udev.parents[0].comm.c_str(), "(udev-worker)");
    const auto& sysd = s.requesters[2];
    assert_int_equal(sysd.kernel_duplicates, 2);
    assert_int_equal(sysd.failed, 3);
    assert_int_equal(s.requesters[3].requests, 2);  // user: the zstd loads only

    assert_int_equal(s.decompression.size(), 1);
    assert_int_equal(s.decompression[0].count, 2);
    assert_int_equal(s.decompression[0].bytes_out, 400);

    assert_string_equal(s.slowest[0].module.c_str(), "zst");
    assert_int_equal(s.slowest[0].total_ns(), 12'000'000);  // per load
    assert_string_equal(s.slowest[1].module.c_str(), "nvme");

    // kvm's two, and nvme's cached failure whose origin is not in the store.
    assert_int_equal(s.failures.size(), 3);
    assert_string_equal(s.failures[0].module.c_str(), "kvm");
    assert_int_equal(s.failures[0].count, 3);
    assert_int_equal(s.failures[0].err, EOPNOTSUPP);
    assert_string_equal(failure_message(Outcome::FailedKernel, ENOENT).c_str(),
                        "Unknown symbol in module, or unknown parameter (see dmesg)");
    assert_string_equal(errno_name(EBUSY).c_str(), "EBUSY");

    assert_int_equal(s.tainted.size(), 1);
    assert_int_equal(s.tainted[0].count, 2);
    assert_string_equal(s.tainted[0].taint.c_str(), "OE");

    assert_int_equal(s.degraded.size(), 1);
    assert_string_equal(degraded_names(s.degraded[0].bits).c_str(), "no_dedup,lock_timed_out");

    std::string text = render_text(s);
    assert_true(text.starts_with("         Mods ever loaded\t4\n"));
    assert_non_null(std::strstr(text.c_str(), "          Records skipped\t              2\n"));
    assert_non_null(std::strstr(text.c_str(), "Requests by requester:\n"));
    assert_non_null(std::strstr(text.c_str(), "udev parents: (udev-worker) (7)\n"));
    assert_non_null(std::strstr(text.c_str(), "Operation not supported\n"));
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(cached_failures_count_as_failures_of_their_callers),
        cmocka_unit_test(cached_failure_without_its_origin_has_its_own_row),
        cmocka_unit_test(names_nothing_answers_are_reported_apart),
        cmocka_unit_test(waits_are_reported_per_module),
        cmocka_unit_test(loads_are_exported_per_module),
        cmocka_unit_test(empty_sections_say_none),
        cmocka_unit_test(summary_aggregates_by_module_requester_and_format),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
