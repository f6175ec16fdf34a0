// SPDX-License-Identifier: LGPL-2.1-or-later
// --stats=svg and --stats=html: lanes in the order modules were first asked
// for, each request's phases where they happened, who asked and what failed
// marked, every store string escaped, and a bounded file for a huge boot.
#include <kmodx/stats_report.hpp>

#include <cstdint>
#include <cstring>
#include <string>

#include "cmocka.hpp"
#include "stats_events.hpp"

using namespace kmodx::stats;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;

// A request recorded at END_MS (after boot's start), with its phases in ms.
Event& request(test::Boot& boot, const char* module, Outcome o, Requester r, std::int64_t end_ms, std::uint64_t wait_ms,
               std::uint64_t read_ms, std::uint64_t decompress_ms, std::uint64_t syscall_ms) {
    Event& e = boot.add(module, o, r);
    e.time_ns = kT0 + end_ms * kMs;
    e.wait_ns = wait_ms * kMs, e.read_ns = read_ms * kMs;
    e.decompress_ns = decompress_ms * kMs, e.syscall_ns = syscall_ms * kMs;
    return e;
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

// Lanes follow the first request, whatever order the store has; the phases'
// colours and the requesters' ticks are there, failures and cached failures
// marked, removals left out.
static void lanes_in_first_request_order_with_phases_and_marks(void**) {
    test::Boot boot;
    boot.b.boot_id = "0b0b0b0b-1111-2222-3333-444444444444";
    request(boot, "nvme", Outcome::Loaded, Requester::Udev, 400, 0, 10, 50, 100);
    request(boot, "evdev", Outcome::Loaded, Requester::Kernel, 100, 0, 5, 0, 20);
    request(boot, "nvme", Outcome::Suppressed, Requester::Kernel, 410, 150, 0, 0, 0);
    request(boot, "serio_raw", Outcome::FailedKernel, Requester::Udev, 800, 0, 2, 0, 30).err = 19;
    request(boot, "serio_raw", Outcome::SuppressedFailure, Requester::Systemd, 805, 20, 0, 0, 0).err = 19;
    boot.add("evdev", Outcome::Removed, Requester::User).time_ns = kT0 + 900 * kMs;
    const std::string svg = render_svg(boot.b);
    assert_true(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_true(svg.ends_with("</svg>\n"));
    const auto evdev = svg.find(">evdev</text>"), nvme = svg.find(">nvme</text>"),
               serio = svg.find(">serio_raw</text>");
    assert_true(evdev != std::string::npos && nvme != std::string::npos && serio != std::string::npos);
    assert_true(evdev < nvme && nvme < serio);
    assert_int_equal(count(svg, "<text class=\"label\""), 3);  // one lane per module
    assert_non_null(std::strstr(svg.c_str(), "3 modules, 5 requests"));
    assert_non_null(std::strstr(svg.c_str(), "nvme: 2 requests, 1 loads, 1 waited for another loader, 0 failed"));
    for (const char* colour : {"#c8c8c8", "#4e79a7", "#b07aa1", "#f28e2b"})    // wait, read, decompress, load call
        assert_true(count(svg, std::string("fill=\"") + colour + "\"") >= 2);  // a bar and the legend's key
    for (const char* colour : {"#e15759", "#59a14f", "#edc948"})               // kernel, udev, systemd ticks
        assert_true(count(svg, std::string("fill=\"") + colour + "\"") >= 2);  // a tick and the legend's key
    assert_int_equal(count(svg, "class=\"failed\""), 2);                       // serio_raw's failure, and the legend
    assert_int_equal(count(svg, "class=\"cached\""), 2);
}

// Module names are whatever a writer stored: nothing reaches the file raw.
static void store_strings_are_escaped(void**) {
    test::Boot boot;
    boot.b.boot_id = "<id>";
    request(boot, "a<b>&\"c'\x1b[31m", Outcome::Loaded, Requester::User, 10, 0, 1, 0, 1);
    const std::string svg = render_svg(boot.b);
    assert_null(std::strstr(svg.c_str(), "a<b"));
    assert_null(std::strstr(svg.c_str(), "\x1b"));
    assert_non_null(std::strstr(svg.c_str(), "a&lt;b&gt;&amp;&quot;c&#39;\\x1b[31m"));
    assert_non_null(std::strstr(svg.c_str(), "boot &lt;id&gt;"));
    assert_string_equal(xml_escape("x&y").c_str(), "x&amp;y");
}

// A thousand modules and a hundred thousand requests: 300 lanes (the rest
// share the last), and a file that can be mailed.
static void a_huge_boot_stays_small(void**) {
    test::Boot boot;
    boot.b.events.reserve(100'000);
    for (int i = 0; i < 100'000; ++i) {
        const std::string name = "mod_" + std::to_string(i % 1000);
        request(boot, name.c_str(), i % 1000 == i ? Outcome::Loaded : Outcome::Suppressed,
                static_cast<Requester>(i % 5), 10 + i / 10, static_cast<std::uint64_t>(i % 7), 1, 0, 2);
    }
    const std::string svg = render_svg(boot.b);
    assert_int_equal(count(svg, "<text class=\"label\""), 300);
    assert_non_null(std::strstr(svg.c_str(), ">(701 more modules)</text>"));
    assert_non_null(std::strstr(svg.c_str(), ": 1000 modules, 100000 requests"));
    assert_true(svg.size() < (2u << 20));
    Summary s = summarize(boot.b, 0);
    const std::string html = render_html(s, boot.b);
    assert_true(html.size() < (2u << 20) + 64 * 1024);
}

// One page: the totals, the timeline inline, findings; nothing it fetches or
// runs.
static void html_is_one_page_without_scripts(void**) {
    test::Boot boot;
    boot.b.boot_id = "0b0b0b0b-1111-2222-3333-444444444444";
    request(boot, "nvme", Outcome::Loaded, Requester::Udev, 400, 0, 10, 50, 100);
    request(boot, "nvme", Outcome::Suppressed, Requester::Kernel, 410, 150, 0, 0, 0);
    Summary s = summarize(boot.b, 0);
    const std::string html = render_html(s, boot.b);
    assert_true(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_true(html.ends_with("</html>\n"));
    assert_int_equal(count(html, "<svg "), 1);
    assert_null(std::strstr(html.c_str(), "<script"));
    assert_null(std::strstr(html.c_str(), " src="));
    assert_null(std::strstr(html.c_str(), " href="));
    assert_non_null(std::strstr(html.c_str(), "<tr><th>Modules loaded</th><td>1</td></tr>"));
    assert_non_null(
        std::strstr(html.c_str(), "<tr><th>Duplicates suppressed (waited for another loader)</th><td>1</td>"));
    assert_non_null(std::strstr(html.c_str(), "<h2>Slowest loads</h2>"));
    assert_non_null(std::strstr(html.c_str(), "<h2>What the numbers say</h2>"));
    // No kernel figures without them.
    assert_null(std::strstr(html.c_str(), "The kernel's own figures"));
    s.kernel = s.debugfs;
    assert_non_null(std::strstr(render_html(s, boot.b).c_str(), "The kernel's own figures"));
}

static void an_empty_store_says_so(void**) {
    test::Boot boot;
    const std::string svg = render_svg(boot.b);
    assert_non_null(std::strstr(svg.c_str(), "no module requests recorded"));
    assert_true(svg.ends_with("</svg>\n"));
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(lanes_in_first_request_order_with_phases_and_marks),
        cmocka_unit_test(store_strings_are_escaped),
        cmocka_unit_test(a_huge_boot_stays_small),
        cmocka_unit_test(html_is_one_page_without_scripts),
        cmocka_unit_test(an_empty_store_says_so),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
