// SPDX-License-Identifier: LGPL-2.1-or-later
// What the modprobe -r unit tests share (test_modprobe_remove*.cpp): a module
// catalog and a kernel whose refcounts and holders follow loads and removals,
// and a recorder of remove commands. Include it last: it includes cmocka.
#pragma once

#include "modprobe/remove.hpp"

#include "fake_kernel.hpp"

#include <kmodx/log.hpp>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cmocka.hpp"

namespace kmodx::test {

using namespace kmodx::modprobe;

class FakeCatalog : public ModuleCatalog {
public:
    std::map<std::string, std::vector<std::string>> aliases;  // name -> modules
    std::map<std::string, std::vector<std::string>> deps;
    std::map<std::string, Softdeps> soft;
    std::map<std::string, std::string> commands;
    std::vector<std::string> builtins;

    Result<std::vector<std::string>> lookup(const std::string& name) override {
        if (auto it = aliases.find(name); it != aliases.end()) return it->second;
        return std::vector<std::string>{};
    }
    bool is_builtin(const std::string& m) override {
        for (const auto& b : builtins)
            if (b == m) return true;
        return false;
    }
    Result<Softdeps> softdeps(const std::string& m) override {
        auto it = soft.find(m);
        return it == soft.end() ? Softdeps{} : it->second;
    }
    std::optional<std::string> remove_command(const std::string& m) override {
        auto it = commands.find(m);
        if (it == commands.end()) return std::nullopt;
        return it->second;
    }
    std::vector<std::string> dependencies(const std::string& m) override {
        auto it = deps.find(m);
        return it == deps.end() ? std::vector<std::string>{} : it->second;
    }
};

// A kernel that keeps refcounts and holders consistent: loading is done by
// the test (load()), removing a module releases what it used.
class LinkedKernel : public test::FakeKernel {
public:
    std::map<std::string, std::vector<std::string>> uses;
    std::map<std::string, std::deque<int>> delete_script;  // errno per call, then success

    void load(const std::string& name, std::vector<std::string> used = {}) {
        states[name] = ModuleState::Live;
        refcounts[name] = 0;
        holder_map[name] = {};
        for (const auto& u : used) {
            refcounts[u]++;
            holder_map[u].push_back(name);
        }
        uses[name] = std::move(used);
    }

    Status delete_module(const std::string& name, unsigned flags) override {
        if (auto it = delete_script.find(name); it != delete_script.end() && !it->second.empty()) {
            const int err = it->second.front();
            it->second.pop_front();
            deletes.push_back({name, flags});
            if (err) return failure(err, "delete_module");
        } else {
            auto st = FakeKernel::delete_module(name, flags);
            if (!st) return st;
        }
        states.erase(name);
        refcounts.erase(name);
        holder_map.erase(name);
        for (const auto& u : uses[name]) {
            refcounts[u]--;
            auto& h = holder_map[u];
            std::erase(h, name);
        }
        return {};
    }

    std::vector<std::string> deleted() const {
        std::vector<std::string> out;
        for (const auto& d : deletes) out.push_back(d.name);
        return out;
    }
};

using Names = std::vector<std::string>;

inline Names operator+(Names a, const Names& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline void assert_names(const Names& got, const Names& want) {
    std::string g, w;
    for (const auto& n : got) g += n + " ";
    for (const auto& n : want) w += n + " ";
    assert_string_equal(g.c_str(), w.c_str());
}

inline RemoveSettings defaults() {
    RemoveSettings s;
    s.log_priority = LOG_CRIT;
    return s;
}

struct Recorder {
    std::vector<std::string> commands;
    int status = 0;
    CommandRunner runner() {
        return [this](const std::string& cmd, const std::string& mod) {
            commands.push_back(mod + ":" + cmd);
            return status;
        };
    }
};

inline int setup(void**) {
    log::set_priority(LOG_WARNING);
    return 0;
}

}  // namespace kmodx::test
