// SPDX-License-Identifier: LGPL-2.1-or-later
// How each report format writes a string that came from the store. Module
// names, parent comms, taint flags and degradation reasons are whatever the
// writer recorded (a process names itself anything; a record can be forged),
// so none of them reaches a report unescaped: a terminal acts on control
// characters, and an admin reading `modprobe --stats` must see the bytes,
// not have the terminal run them. One function per format, all here, so they
// agree on what counts as a control character.
#include <kmodx/stats_report.hpp>

#include <cstdint>

namespace kmodx::stats {
namespace {

constexpr const char* kHex = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], 0 if there is none.
std::size_t utf8_len(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    // Overlong forms, surrogates and past U+10FFFF are not UTF-8.
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

// U+0080..U+009F, the C1 controls (CSI is U+009B): UTF-8 C2 80..C2 9F.
bool is_c1(std::string_view s, std::size_t i, std::size_t n) {
    return n == 2 && static_cast<unsigned char>(s[i]) == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
}

bool is_c0_or_del(unsigned char c) { return c < 0x20 || c == 0x7F; }

// Length of the character at s[i] when it may be shown as it is: printable
// ASCII, or valid UTF-8 that is not a C1 control. 0 when the byte at s[i]
// must be written as an escape (a C0 control, DEL, a C1 control's first
// byte, a byte that is not UTF-8).
std::size_t shown_len(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return is_c0_or_del(c) ? 0 : 1;
    std::size_t n = utf8_len(s, i);
    return is_c1(s, i, n) ? 0 : n;
}

void put_hex_escape(std::string& out, unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
}

}  // namespace

std::string text_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '\\') {
            out += "\\\\";  // so that "\x1b" in a report can only mean the byte
            ++i;
        } else if (std::size_t n = shown_len(s, i)) {
            out.append(s, i, n);
            i += n;
        } else {
            put_hex_escape(out, static_cast<unsigned char>(s[i++]));
        }
    }
    return out;
}

std::string xml_escape(std::string_view s) {
    const std::string shown = text_escape(s);
    std::string out;
    out.reserve(shown.size());
    for (char c : shown) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string prometheus_label_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        char c = s[i];
        // The exposition format's only escapes.
        if (c == '\\' || c == '"' || c == '\n') {
            out += '\\';
            out += c == '\n' ? 'n' : c;
            ++i;
        } else if (std::size_t n = shown_len(s, i)) {
            out.append(s, i, n);
            i += n;
        } else {
            // The format has no escape for other bytes, and a parser refuses
            // "\x": the value carries the text report's \xHH, its backslash
            // escaped.
            out += '\\';
            put_hex_escape(out, static_cast<unsigned char>(c));
            ++i;
        }
    }
    return out;
}

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_len(s, i);
            if (n == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD: JSON text must be UTF-8
                ++i;
            } else if (is_c1(s, i, n)) {
                // Valid JSON either way; escaped, a terminal showing the
                // raw document cannot take U+009B for CSI.
                out += "\\u00";
                out += kHex[static_cast<unsigned char>(s[i + 1]) >> 4];
                out += kHex[static_cast<unsigned char>(s[i + 1]) & 15];
                i += n;
            } else {
                out.append(s, i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (is_c0_or_del(c)) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 15];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    return out;
}

}  // namespace kmodx::stats
