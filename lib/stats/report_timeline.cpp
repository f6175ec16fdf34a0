// SPDX-License-Identifier: LGPL-2.1-or-later
// `modprobe --stats=svg`: the boot's module requests over time (docs/stats.md,
// "Timeline"). One lane per module, in the order modules were first asked
// for; each request a bar from when its process started on it to when it
// recorded it, split into waiting, reading, decompressing and the load call.
// A tick under the bar says who asked, a mark at its end how it failed.
//
// Drawn on a pixel grid, not one shape per request: each lane keeps, per
// column, the busiest phase any request had there, and draws runs of
// columns. So 100,000 requests cost no more than the lanes' columns, and the
// file stays small enough to mail; past kMaxLanes modules the rest share
// one lane.
#include <kmodx/stats_report.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string_view>

namespace kmodx::stats {
namespace {

constexpr int kLabelWidth = 200, kPlotWidth = 960, kLaneHeight = 12, kTop = 40, kRightMargin = 20;
constexpr std::size_t kMaxLanes = 300;

// In drawing priority: where requests overlap, the later phase shows.
enum Phase : std::uint8_t { kNone, kWait, kRead, kDecompress, kSyscall, kPhases };
constexpr const char* kPhaseColour[kPhases] = {"", "#c8c8c8", "#4e79a7", "#b07aa1", "#f28e2b"};
constexpr const char* kPhaseName[kPhases] = {"", "waiting", "reading the file", "decompressing", "load call"};

const char* requester_colour(Requester r) {
    switch (r) {
        case Requester::Kernel: return "#e15759";
        case Requester::Udev: return "#59a14f";
        case Requester::Systemd: return "#edc948";
        case Requester::User: return "#76b7b2";
        case Requester::Other: break;
    }
    return "#9c755f";
}

bool is_failure(Outcome o) {
    return o == Outcome::FailedRead || o == Outcome::FailedDecompress || o == Outcome::FailedKernel;
}

struct Request {
    std::int64_t start = 0, end = 0;
    std::uint64_t phase_ns[kPhases] = {};
    Requester requester = Requester::Other;
    Outcome outcome = Outcome::Loaded;
};

struct Lane {
    std::string module;
    std::int64_t first = 0;
    std::uint64_t requests = 0, loads = 0, failures = 0, waiters = 0;
    std::vector<Request> drawn;
};

// A request's time, per request: a compacted record keeps sums.
Request request_of(const Event& e) {
    const std::uint64_t n = e.count ? e.count : 1;
    Request r;
    r.phase_ns[kWait] = e.wait_ns / n;
    r.phase_ns[kRead] = e.read_ns / n;
    r.phase_ns[kDecompress] = e.decompress_ns / n;
    r.phase_ns[kSyscall] = e.syscall_ns / n;
    const std::uint64_t total =
        request_ns(r.phase_ns[kWait], r.phase_ns[kRead], r.phase_ns[kDecompress], r.phase_ns[kSyscall]);
    // Recorded when the request was done: it began its total before.
    r.end = e.time_ns;
    r.start = total > static_cast<std::uint64_t>(e.time_ns) ? 0 : e.time_ns - static_cast<std::int64_t>(total);
    r.requester = e.requester;
    r.outcome = e.outcome;
    return r;
}

// The lanes to draw, and how many modules they stand for.
std::vector<Lane> lanes_of(const BootEvents& boot, std::size_t& modules) {
    std::map<std::string_view, std::size_t> at;
    std::vector<Lane> lanes;
    for (const Event& e : boot.events) {
        if (e.outcome == Outcome::Removed || e.outcome == Outcome::FailedRemove || e.time_ns <= 0) continue;
        auto [it, fresh] = at.try_emplace(e.module, lanes.size());
        if (fresh) lanes.push_back(Lane{e.module, INT64_MAX, 0, 0, 0, 0, {}});
        Lane& l = lanes[it->second];
        const Request r = request_of(e);
        l.first = std::min(l.first, r.start);
        const std::uint64_t n = e.count ? e.count : 1;
        l.requests += n;
        if (e.outcome == Outcome::Loaded) l.loads += n;
        if (is_failure(e.outcome) || e.outcome == Outcome::SuppressedFailure) l.failures += n;
        if (e.outcome == Outcome::Suppressed) l.waiters += n;
        l.drawn.push_back(r);
    }
    std::stable_sort(lanes.begin(), lanes.end(), [](const Lane& a, const Lane& b) { return a.first < b.first; });
    modules = lanes.size();
    if (lanes.size() > kMaxLanes) {
        Lane rest{"(" + std::to_string(lanes.size() - kMaxLanes + 1) + " more modules)",
                  lanes[kMaxLanes - 1].first,
                  0,
                  0,
                  0,
                  0,
                  {}};
        for (std::size_t i = kMaxLanes - 1; i < lanes.size(); ++i) {
            rest.requests += lanes[i].requests, rest.loads += lanes[i].loads;
            rest.failures += lanes[i].failures, rest.waiters += lanes[i].waiters;
            rest.drawn.insert(rest.drawn.end(), lanes[i].drawn.begin(), lanes[i].drawn.end());
        }
        lanes.resize(kMaxLanes - 1);
        lanes.push_back(std::move(rest));
    }
    return lanes;
}

void appendf(std::string& out, const char* fmt, auto... args) {
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf, fmt, args...);
    if (n > 0) out.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

// A step of 1, 2 or 5 times a power of ten, in ms, giving at most ten ticks.
std::int64_t tick_step_ms(std::int64_t span_ms) {
    std::int64_t step = 1;
    while (true) {
        for (std::int64_t m : {1, 2, 5})
            if (span_ms / (step * m) <= 10) return step * m;
        step *= 10;
    }
}

std::string seconds(std::int64_t ms) {
    char b[32];
    std::snprintf(b, sizeof b, ms % 1000 ? "%.3g s" : "%.0f s", static_cast<double>(ms) / 1000.0);
    return b;
}

class Canvas {
public:
    Canvas(std::int64_t t0, std::int64_t t1) : t0_(t0), span_(std::max<std::int64_t>(t1 - t0, 1)) {}

    int x(std::int64_t t) const {
        const long double f = static_cast<long double>(t - t0_) / static_cast<long double>(span_);
        return std::clamp(static_cast<int>(f * kPlotWidth), 0, kPlotWidth - 1);
    }

    void lane(std::string& out, const Lane& l, int row) const {
        const int y = kTop + row * kLaneHeight;
        if (row % 2)
            appendf(out, "<rect class=\"band\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>", y,
                    kLabelWidth + kPlotWidth, kLaneHeight);
        out += "<g><title>";
        out += xml_escape(l.module);
        appendf(out, ": %llu requests, %llu loads, %llu waited for another loader, %llu failed</title>",
                static_cast<unsigned long long>(l.requests), static_cast<unsigned long long>(l.loads),
                static_cast<unsigned long long>(l.waiters), static_cast<unsigned long long>(l.failures));
        appendf(out, "<text class=\"label\" x=\"%d\" y=\"%d\">", kLabelWidth - 6, y + kLaneHeight - 3);
        out += xml_escape(l.module);
        out += "</text>";
        std::vector<std::uint8_t> cells(kPlotWidth, kNone), ticks(kPlotWidth, 0xff), marks(kPlotWidth, 0);
        for (const Request& r : l.drawn) {
            std::int64_t t = r.start;
            for (int p = kWait; p < kPhases; ++p) {
                const std::int64_t end = t + static_cast<std::int64_t>(r.phase_ns[p]);
                if (r.phase_ns[p] > 0)
                    for (int c = x(t), last = std::max(x(end), x(t) + 1); c < last && c < kPlotWidth; ++c)
                        cells[c] = std::max<std::uint8_t>(cells[c], static_cast<std::uint8_t>(p));
                t = end;
            }
            if (ticks[x(r.start)] == 0xff) ticks[x(r.start)] = static_cast<std::uint8_t>(r.requester);
            if (is_failure(r.outcome)) marks[x(r.end)] |= 1;
            if (r.outcome == Outcome::SuppressedFailure) marks[x(r.end)] |= 2;
        }
        const int top = y + 1, bar = kLaneHeight - 4;
        for (int p = kWait; p < kPhases; ++p)
            runs(out, std::string("fill=\"") + kPhaseColour[p] + "\"", top, bar, [&](int c) { return cells[c] == p; });
        for (int r = 0; r < static_cast<int>(kRequesterCount); ++r)
            runs(out, std::string("fill=\"") + requester_colour(static_cast<Requester>(r)) + "\"", y + kLaneHeight - 3,
                 2, [&](int c) { return ticks[c] == r; });
        runs(out, "class=\"failed\"", y, kLaneHeight - 2, [&](int c) { return (marks[c] & 1) != 0; });
        runs(out, "class=\"cached\"", top, bar, [&](int c) { return (marks[c] & 2) != 0; });
        out += "</g>\n";
    }

    // One path for the columns where IN holds: a rectangle per run of them,
    // TOP to TOP + HEIGHT. A path costs some 20 bytes a run, a rect 80.
    template <typename In>
    static void runs(std::string& out, const std::string& paint, int top, int height, In in) {
        bool any = false;
        for (int c = 0; c < kPlotWidth;) {
            if (!in(c)) {
                ++c;
                continue;
            }
            int end = c + 1;
            while (end < kPlotWidth && in(end)) ++end;
            if (!any) out += "<path " + paint + " d=\"", any = true;
            // Marks one column wide are drawn three wide, to be seen.
            const int w = std::max(end - c, paint.starts_with("class") ? 3 : 1);
            appendf(out, "M%d %dh%dv%dh-%dz", kLabelWidth + c, top, w, height, w);
            c = end;
        }
        if (any) out += "\"/>";
    }

    void axis(std::string& out, int y) const {
        const std::int64_t span_ms = span_ / 1'000'000;
        const std::int64_t step = tick_step_ms(std::max<std::int64_t>(span_ms, 1));
        appendf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", kLabelWidth, y,
                kLabelWidth + kPlotWidth, y);
        for (std::int64_t ms = 0; ms <= span_ms; ms += step) {
            const int px = kLabelWidth + x(t0_ + ms * 1'000'000);
            appendf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", px, kTop, px, y + 4);
            appendf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\">+%s</text>", px, y + 16, seconds(ms).c_str());
        }
    }

private:
    std::int64_t t0_, span_;
};

void legend(std::string& out, int y) {
    int x = kLabelWidth;
    for (int p = kWait; p < kPhases; ++p) {
        appendf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"8\" fill=\"%s\"/>", x, y, kPhaseColour[p]);
        appendf(out, "<text class=\"key\" x=\"%d\" y=\"%d\">%s</text>", x + 14, y + 8, kPhaseName[p]);
        x += 130;
    }
    appendf(out, "<rect class=\"failed\" x=\"%d\" y=\"%d\" width=\"3\" height=\"10\"/>", x, y - 1);
    appendf(out, "<text class=\"key\" x=\"%d\" y=\"%d\">failed</text>", x + 8, y + 8);
    appendf(out, "<rect class=\"cached\" x=\"%d\" y=\"%d\" width=\"3\" height=\"8\"/>", x + 70, y);
    appendf(out, "<text class=\"key\" x=\"%d\" y=\"%d\">cached failure</text>", x + 78, y + 8);
    x = kLabelWidth;
    y += 16;
    appendf(out, "<text class=\"key\" x=\"%d\" y=\"%d\">asked by:</text>", x, y + 8);
    x += 62;
    for (int r = 0; r < static_cast<int>(kRequesterCount); ++r) {
        appendf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"3\" fill=\"%s\"/>", x, y + 4,
                requester_colour(static_cast<Requester>(r)));
        appendf(out, "<text class=\"key\" x=\"%d\" y=\"%d\">%s</text>", x + 14, y + 8,
                requester_name(static_cast<Requester>(r)));
        x += 90;
    }
}

}  // namespace

std::string render_svg(const BootEvents& boot) {
    std::size_t modules = 0;
    const std::vector<Lane> lanes = lanes_of(boot, modules);
    std::int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (const Lane& l : lanes)
        for (const Request& r : l.drawn) t0 = std::min(t0, r.start), t1 = std::max(t1, r.end);
    const int rows = static_cast<int>(lanes.size());
    const int axis_y = kTop + rows * kLaneHeight + 4;
    const int width = kLabelWidth + kPlotWidth + kRightMargin, height = axis_y + 60;
    std::string out;
    out.reserve(4096 + lanes.size() * 600);
    appendf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\">\n",
            width, height, width, height);
    out +=
        "<style>.label{font-size:10px;text-anchor:end}.tick{font-size:10px;text-anchor:middle;fill:#555}"
        ".key{font-size:10px;fill:#333}.title{font-size:13px;font-weight:bold}.band{fill:#f4f4f4}"
        ".axis{stroke:#555}.grid{stroke:#ddd}.failed{fill:#d62728}.cached{fill:none;stroke:#d62728}</style>\n";
    std::uint64_t requests = 0;
    for (const Lane& l : lanes) requests += l.requests;
    out += "<text class=\"title\" x=\"10\" y=\"20\">Module requests, boot ";
    out += xml_escape(boot.boot_id);
    appendf(out, ": %zu modules, %llu requests</text>\n", modules, static_cast<unsigned long long>(requests));
    if (lanes.empty()) {
        appendf(out, "<text class=\"key\" x=\"%d\" y=\"%d\">no module requests recorded</text>\n", kLabelWidth,
                kTop + 10);
    } else {
        const Canvas canvas(t0, t1);
        for (int i = 0; i < rows; ++i) canvas.lane(out, lanes[i], i);
        canvas.axis(out, axis_y);
    }
    legend(out, axis_y + 26);
    out += "</svg>\n";
    return out;
}

}  // namespace kmodx::stats
