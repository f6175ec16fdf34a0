// SPDX-License-Identifier: LGPL-2.1-or-later
// Compaction folds old events into totals; a forged record near 2^64 must
// not wrap a total into a small figure that reads as true.
#include <kmodx/stats.hpp>

#include "stats/store_impl.hpp"

#include <cstdint>
#include <limits>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::stats;

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

Event loaded(std::uint64_t count, std::uint64_t bytes) {
    Event e;
    e.boot_id = "285c4b11-06d0-4aa5-8bb6-ad4acf727315";
    e.module = "nvme";
    e.tool = "modprobe";
    e.outcome = Outcome::Loaded;
    e.count = count;
    e.file_bytes = bytes;
    e.kernel_alloc_bytes = bytes;
    e.wait_ns = bytes;
    return e;
}

}  // namespace

static void totals_add_up_exactly(void**) {
    const std::vector<Event> events{loaded(2, 100), loaded(3, 50), loaded(1, 7)};
    const auto out = store::compact(events, {200, 200, 200}, 0);
    assert_int_equal(out.size(), 1);
    assert_true(out[0].count == 6);
    assert_true(out[0].file_bytes == 157);
    assert_true(out[0].kernel_alloc_bytes == 157);
}

static void forged_totals_saturate(void**) {
    const std::vector<Event> events{loaded(kMax, kMax - 1), loaded(2, 5), loaded(kMax - 1, 1)};
    const auto out = store::compact(events, {200, 200, 200}, 0);
    assert_int_equal(out.size(), 1);
    assert_true(out[0].count == kMax);
    assert_true(out[0].file_bytes == kMax);
    assert_true(out[0].kernel_alloc_bytes == kMax);
    assert_true(out[0].wait_ns == kMax);
}

// A total is no one device's request: udev's device goes with the detail.
static void totals_name_no_device(void**) {
    std::vector<Event> events{loaded(1, 10), loaded(1, 20)};
    events[0].device = "/devices/a";
    events[0].seqnum = 7;
    events[0].modalias = "pci:v1";
    events[1].device = "/devices/b";
    events[1].seqnum = 8;
    auto out = store::compact(events, {200, 200}, 0);
    assert_int_equal(out.size(), 1);
    assert_true(out[0].device.empty() && out[0].seqnum == 0 && out[0].modalias.empty());
    // The newest detail within the budget keeps it.
    out = store::compact(events, {200, 200}, 1000);
    assert_int_equal(out.size(), 2);
    assert_string_equal(out[1].device.c_str(), "/devices/b");
    assert_true(out[1].seqnum == 8);
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(totals_add_up_exactly),
        cmocka_unit_test(forged_totals_saturate),
        cmocka_unit_test(totals_name_no_device),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
