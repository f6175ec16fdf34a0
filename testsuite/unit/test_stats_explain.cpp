// SPDX-License-Identifier: LGPL-2.1-or-later
// --stats --explain: each rule fires on its evidence and names the numbers,
// and none fires without it.
#include <kmodx/stats_report.hpp>

#include <cerrno>
#include <cstdint>
#include <string>

#include "cmocka.hpp"
#include "stats_events.hpp"

using namespace kmodx::stats;

namespace {

using test::Boot;

std::vector<Finding> of_rule(const std::vector<Finding>& all, const char* rule) {
    std::vector<Finding> out;
    for (const Finding& f : all)
        if (f.rule == rule) out.push_back(f);
    return out;
}

bool has(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

}  // namespace

// A quiet boot: loads, live modules, one failure once, a name asked twice.
static void nothing_fires_without_evidence(void**) {
    Boot boot;
    boot.add("nvme", Outcome::Loaded, Requester::Kernel).syscall_ns = 5'000'000;
    boot.add("xfs", Outcome::Loaded, Requester::Kernel).syscall_ns = 6'000'000;
    boot.add("nvme", Outcome::AlreadyLive, Requester::Udev);
    boot.add("floppy", Outcome::FailedKernel, Requester::Udev, ENODEV);
    boot.add("net-pf-10", Outcome::NotFound, Requester::Kernel, ENOENT, 2);
    const Summary s = summarize(boot.b, 0);
    assert_true(explain(s).empty());
    const std::string text = render_explain(s);
    assert_true(has(text, "nothing to report"));
}

// A module that fails on every CPU: with ENODEV the finding says so and
// points at blacklist; with another error, at the kernel's log.
static void failing_module_with_its_numbers(void**) {
    Boot boot;
    boot.add("acpi_cpufreq", Outcome::FailedKernel, Requester::Udev, ENODEV);
    boot.add("acpi_cpufreq", Outcome::SuppressedFailure, Requester::Udev, ENODEV, 6);
    boot.add("acpi_cpufreq", Outcome::SuppressedFailure, Requester::Kernel, ENODEV);
    boot.add("broken", Outcome::FailedKernel, Requester::Kernel, EINVAL, 2);
    const auto found = of_rule(explain(summarize(boot.b, 0)), "failing-module");
    assert_int_equal(found.size(), 2);
    const std::string& cpufreq = found[0].text;
    assert_true(has(cpufreq, "acpi_cpufreq failed 8 times with ENODEV"));
    assert_true(has(cpufreq, "udev:7"));
    assert_true(has(cpufreq, "kernel:1"));
    assert_true(has(cpufreq, "1 was tried, 7 answered from kmodx's cache"));
    assert_true(has(cpufreq, "`blacklist acpi_cpufreq`"));
    assert_true(has(found[1].text, "broken failed 2 times with EINVAL"));
    assert_false(has(found[1].text, "blacklist"));
    assert_true(has(found[1].text, "dmesg"));
}

// A module whose loads take a quarter of the boot's loading time, and only
// when that is long enough to notice.
static void slow_load_needs_a_quarter_and_a_tenth_of_a_second(void**) {
    Boot boot;
    boot.add("xfs", Outcome::Loaded, Requester::Kernel).syscall_ns = 300'000'000;
    boot.add("nvme", Outcome::Loaded, Requester::Kernel).syscall_ns = 600'000'000;
    boot.add("evdev", Outcome::Loaded, Requester::Udev).syscall_ns = 100'000'000;
    auto found = of_rule(explain(summarize(boot.b, 0)), "slow-load");
    assert_int_equal(found.size(), 2);  // nvme 60%, xfs 30%; evdev 10% is not
    bool nvme = false, xfs = false;
    for (const Finding& f : found) {
        nvme |= has(f.text, "nvme's load took 0.60 s, 60% of this boot's module loading time (1.00 s)");
        xfs |= has(f.text, "xfs's load took 0.30 s, 30%");
    }
    assert_true(nvme && xfs);

    Boot fast;  // the same shares, a thousand times shorter
    fast.add("xfs", Outcome::Loaded, Requester::Kernel).syscall_ns = 300'000;
    fast.add("nvme", Outcome::Loaded, Requester::Kernel).syscall_ns = 600'000;
    assert_true(of_rule(explain(summarize(fast.b, 0)), "slow-load").empty());
}

// Forged or enormous figures: the sums saturate (as in every report) and the
// shares are still right, never wrapped.
static void findings_hold_when_sums_saturate(void**) {
    Boot boot;
    boot.add("a", Outcome::Loaded, Requester::Kernel).syscall_ns = UINT64_MAX;
    boot.add("b", Outcome::Loaded, Requester::Kernel).syscall_ns = UINT64_MAX / 2;
    boot.add("kvm", Outcome::Suppressed, Requester::Udev, 0, UINT64_MAX - 1);
    boot.add("evdev", Outcome::Suppressed, Requester::Udev, 0, 2);
    const auto all = explain(summarize(boot.b, 0));
    const auto slow = of_rule(all, "slow-load");
    assert_int_equal(slow.size(), 2);
    bool a = false, b = false;
    for (const Finding& f : slow) {
        a |= has(f.text, "a's load took") && has(f.text, ", 100% of");
        b |= has(f.text, "b's load took") && has(f.text, ", 49% of");
    }
    assert_true(a && b);
    const auto kept = of_rule(all, "duplicates-kept");
    assert_int_equal(kept.size(), 1);
    assert_true(has(kept[0].text, "kmodx kept 18446744073709551615 duplicate loads of 2 modules"));
}

// Duplicates kept from the kernel, with what they would have cost, and
// duplicates that still reached it.
static void duplicates_kept_and_reached(void**) {
    Boot boot;
    Event& kvm = boot.add("kvm", Outcome::Suppressed, Requester::Udev, 0, 7);
    kvm.kernel_read_bytes = 7ull * 1024 * 1024;
    kvm.kernel_alloc_bytes = 14ull * 1024 * 1024;
    boot.add("evdev", Outcome::Suppressed, Requester::Kernel).kernel_read_bytes = 1024;
    boot.add("loop", Outcome::DuplicateInKernel, Requester::Udev, EEXIST, 3);
    const auto all = explain(summarize(boot.b, 0));
    const auto kept = of_rule(all, "duplicates-kept");
    assert_int_equal(kept.size(), 1);
    assert_true(has(kept[0].text, "kmodx kept 8 duplicate loads of 2 modules"));
    assert_true(has(kept[0].text, "would have read 7.0 MiB"));
    assert_true(has(kept[0].text, "counted 14.0 MiB"));
    assert_true(has(kept[0].text, "most for kvm (7, 7.0 MiB)"));
    const auto reached = of_rule(all, "duplicates-reached-kernel");
    assert_int_equal(reached.size(), 1);
    assert_true(has(reached[0].text, "3 loads reached the kernel"));
}

// Runs without dedup, and names nothing answers asked for three times or more.
static void degraded_runs_and_unknown_names(void**) {
    Boot boot;
    Event& e = boot.add("nvme", Outcome::Loaded, Requester::Kernel, 0, 2);
    e.degraded = kNoDedup;
    e.degraded_reason = "missing";
    boot.add("net-pf-10", Outcome::NotFound, Requester::Kernel, ENOENT, 3);
    boot.add("fs-\x1b[31m", Outcome::NotFound, Requester::User, ENOENT, 5);
    const Summary s = summarize(boot.b, 0);
    const auto all = explain(s);
    const auto degraded = of_rule(all, "degraded");
    assert_int_equal(degraded.size(), 1);
    assert_true(has(degraded[0].text, "2 requests ran without part of kmodx (no_dedup: missing)"));
    const auto unknown = of_rule(all, "not-found");
    assert_int_equal(unknown.size(), 2);
    // The rendered report escapes what the store holds.
    const std::string text = render_explain(s);
    assert_true(has(text, "Nothing answers net-pf-10, yet it was asked for 3 times (by kernel:3)"));
    assert_true(has(text, "fs-\\x1b[31m"));
    assert_false(has(text, "\x1b"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_fires_without_evidence),
        cmocka_unit_test(failing_module_with_its_numbers),
        cmocka_unit_test(slow_load_needs_a_quarter_and_a_tenth_of_a_second),
        cmocka_unit_test(duplicates_kept_and_reached),
        cmocka_unit_test(findings_hold_when_sums_saturate),
        cmocka_unit_test(degraded_runs_and_unknown_names),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
