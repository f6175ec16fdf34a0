// SPDX-License-Identifier: LGPL-2.1-or-later
// --stats --compare: which modules one boot loaded and the other not, which
// loads got slower beyond the noise (up by half and by 10 ms), which modules
// fail more often, the counts side by side, as text and as JSON.
#include <kmodx/stats_report.hpp>

#include <cstring>
#include <string>

#include "cmocka.hpp"
#include "stats_events.hpp"

using namespace kmodx::stats;

namespace {

constexpr std::uint64_t kMs = 1'000'000;

void load(test::Boot& b, const char* module, std::uint64_t syscall_ms) {
    b.add(module, Outcome::Loaded, Requester::Udev).syscall_ns = syscall_ms * kMs;
}

Summary boot(test::Boot& b, int index, const char* id) {
    b.b.boot_id = id;
    return summarize(b.b, index);
}

}  // namespace

static void loads_failures_and_counts_between_two_boots(void**) {
    test::Boot before, now;
    load(before, "nvme", 10);
    load(before, "evdev", 100);
    load(before, "loop", 5);
    load(before, "tiny", 2);
    before.add("serio_raw", Outcome::FailedKernel, Requester::Udev, 19);
    before.add("mod_a", Outcome::Suppressed, Requester::Kernel);
    load(now, "nvme", 50);    // up by 40 ms and fivefold: slower
    load(now, "evdev", 104);  // up by 4 ms: noise
    load(now, "tiny", 9);     // fourfold, but only 7 ms more: noise
    load(now, "xfs", 30);
    now.add("serio_raw", Outcome::FailedKernel, Requester::Udev, 19, 2);
    now.add("serio_raw", Outcome::SuppressedFailure, Requester::Kernel, 19);
    now.add("kvm_amd", Outcome::FailedKernel, Requester::Udev, 19);
    const Comparison c = compare(boot(now, 0, "b"), boot(before, -1, "a"));
    assert_int_equal(c.boot, 0);
    assert_int_equal(c.against, -1);
    assert_int_equal(c.only_now.size(), 1);
    assert_string_equal(c.only_now[0].c_str(), "xfs");
    assert_int_equal(c.only_before.size(), 1);
    assert_string_equal(c.only_before[0].c_str(), "loop");
    assert_int_equal(c.slower.size(), 1);
    assert_string_equal(c.slower[0].module.c_str(), "nvme");
    assert_true(c.slower[0].before_ns == 10 * kMs && c.slower[0].now_ns == 50 * kMs);
    assert_int_equal(c.more_failures.size(), 2);
    assert_string_equal(c.more_failures[0].module.c_str(), "kvm_amd");
    assert_true(c.more_failures[0].before == 0 && c.more_failures[0].now == 1);
    assert_string_equal(c.more_failures[1].module.c_str(), "serio_raw");
    assert_true(c.more_failures[1].before == 1 && c.more_failures[1].now == 3);
    bool seen_loaded = false;
    for (const auto& n : c.counts)
        if (std::string(n.name) == "loaded") seen_loaded = true, assert_true(n.before == 4 && n.now == 4);
    assert_true(seen_loaded);

    const std::string text = render_compare_text(c);
    assert_true(text.starts_with("Boot 0 (b) against boot -1 (a):\n"));
    assert_non_null(std::strstr(text.c_str(), "Loaded only in boot 0:\n\txfs\n"));
    assert_non_null(std::strstr(text.c_str(), "Loaded only in boot -1:\n\tloop\n"));
    assert_non_null(std::strstr(text.c_str(), "                     nvme\t         10.000\t         50.000\n"));
    assert_non_null(std::strstr(text.c_str(), "                serio_raw\t              1\t              3\n"));
    const std::string json = render_compare_json(c);
    assert_non_null(std::strstr(json.c_str(), "\"only_now\":[\"xfs\"],\"only_before\":[\"loop\"]"));
    assert_non_null(
        std::strstr(json.c_str(), "\"slower\":[{\"module\":\"nvme\",\"before_ns\":10000000,\"now_ns\":50000000}]"));
    assert_non_null(std::strstr(json.c_str(), "\"loaded\":{\"before\":4,\"now\":4}"));
}

// Nothing different: every section says none, and the names wrap at 80
// columns when there are many.
static void the_same_boot_differs_in_nothing_and_long_lists_wrap(void**) {
    test::Boot a;
    load(a, "nvme", 10);
    const Summary s = boot(a, 0, "x");
    const std::string text = render_compare_text(compare(s, s));
    assert_int_equal(std::string(text).find("none") != std::string::npos, 1);
    assert_null(std::strstr(text.c_str(), "\tnvme"));
    test::Boot many;
    for (int i = 0; i < 40; ++i) load(many, ("module_number_" + std::to_string(i)).c_str(), 1);
    const std::string wrapped = render_compare_text(compare(boot(many, 0, "m"), boot(a, -1, "x")));
    std::size_t start = 0, longest = 0;
    for (std::size_t nl = wrapped.find('\n'); nl != std::string::npos; start = nl + 1, nl = wrapped.find('\n', start))
        if (wrapped[start] == '\t') longest = std::max(longest, 8 + (nl - start - 1));
    assert_true(longest > 40 && longest <= 80);
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(loads_failures_and_counts_between_two_boots),
        cmocka_unit_test(the_same_boot_differs_in_nothing_and_long_lists_wrap),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
