// SPDX-License-Identifier: LGPL-2.1-or-later
// Builds depmod-format binary indexes (modules.dep.bin and the others) for
// tests of kmodx's reader: unit tests and the module_index fuzz harness.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kmodx::test {

// A depmod-format index of KEYS (each with one value), built the way depmod
// lays it out: a trie whose single-child chains are folded into prefixes. A
// key's values are written in the order added, each with its PRIORITY.
class IndexBuilder {
public:
    void add(const std::string& key, const std::string& value, std::uint32_t priority = 0) {
        root_.insert(key, 0, {priority, value});
    }

    std::vector<unsigned char> image() {
        std::vector<unsigned char> out(12, 0);
        const std::uint32_t root = root_.write(out);
        put32(out, 0, 0xB007F457);
        put32(out, 4, 0x00020001);
        put32(out, 8, root);
        return out;
    }

    static void put32(std::vector<unsigned char>& v, std::size_t at, std::uint32_t x) {
        v[at] = x >> 24;
        v[at + 1] = x >> 16;
        v[at + 2] = x >> 8;
        v[at + 3] = x;
    }

private:
    struct Node {
        std::string prefix;
        std::map<unsigned char, std::unique_ptr<Node>> children;
        std::vector<std::pair<std::uint32_t, std::string>> values;

        void insert(const std::string& key, std::size_t i, const std::pair<std::uint32_t, std::string>& value) {
            if (i == key.size()) {
                values.push_back(value);
                return;
            }
            auto& c = children[static_cast<unsigned char>(key[i])];
            if (!c) c = std::make_unique<Node>();
            c->insert(key, i + 1, value);
        }

        // Folds a chain of single children without values into this node's prefix.
        void fold() {
            while (values.empty() && children.size() == 1) {
                auto it = children.begin();
                prefix.push_back(static_cast<char>(it->first));
                std::unique_ptr<Node> only = std::move(it->second);
                children = std::move(only->children);
                values = std::move(only->values);
            }
        }

        std::uint32_t write(std::vector<unsigned char>& out) {
            fold();
            std::map<unsigned char, std::uint32_t> offs;
            for (auto& [ch, c] : children) offs[ch] = c->write(out);
            const std::uint32_t at = static_cast<std::uint32_t>(out.size());
            std::uint32_t flags = 0;
            if (!prefix.empty()) {
                flags |= 0x80000000;
                out.insert(out.end(), prefix.begin(), prefix.end());
                out.push_back(0);
            }
            if (!children.empty()) {
                flags |= 0x20000000;
                const unsigned first = offs.begin()->first, last = offs.rbegin()->first;
                out.push_back(static_cast<unsigned char>(first));
                out.push_back(static_cast<unsigned char>(last));
                for (unsigned ch = first; ch <= last; ++ch) {
                    out.resize(out.size() + 4);
                    auto it = offs.find(static_cast<unsigned char>(ch));
                    put32(out, out.size() - 4, it == offs.end() ? 0 : it->second);
                }
            }
            if (!values.empty()) {
                flags |= 0x40000000;
                out.resize(out.size() + 4);
                put32(out, out.size() - 4, static_cast<std::uint32_t>(values.size()));
                for (const auto& [priority, v] : values) {
                    out.resize(out.size() + 4);
                    put32(out, out.size() - 4, priority);
                    out.insert(out.end(), v.begin(), v.end());
                    out.push_back(0);
                }
            }
            return at | flags;
        }
    };
    Node root_;
};

}  // namespace kmodx::test
