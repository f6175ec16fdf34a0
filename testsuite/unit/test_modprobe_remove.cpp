// modprobe -r decisions: which modules go, in which order, with which flags,
// and when kmod 30 refuses or stops.
#include "modprobe/remove.hpp"

#include "fake_kernel.hpp"

#include <kmodx/log.hpp>

#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::modprobe;

namespace {

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

Names operator+(Names a, const Names& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

void assert_names(const Names& got, const Names& want) {
    std::string g, w;
    for (const auto& n : got) g += n + " ";
    for (const auto& n : want) w += n + " ";
    assert_string_equal(g.c_str(), w.c_str());
}

RemoveSettings defaults() {
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

int setup(void**) {
    log::set_priority(LOG_WARNING);
    return 0;
}

// A chain a -> b -> c: a goes first, then each dependency whose refcount
// dropped to zero, in modules.dep order.
void chain_removes_target_then_unused_dependencies(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b", "c"};
    cat.deps["b"] = {"c"};
    LinkedKernel k;
    k.load("c");
    k.load("b", {"c"});
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "b", "c"});
    for (const auto& d : k.deletes) assert_int_equal(d.flags, O_NONBLOCK);
    assert_false(r.stopped());
}

void dependency_used_elsewhere_stays(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b", "c"};
    LinkedKernel k;
    k.load("c");
    k.load("b");
    k.load("other", {"c"});
    k.load("a", {"b", "c"});
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "b"});
}

void dependency_not_loaded_is_skipped(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"gone", "b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "b"});
}

void module_in_use_is_refused_before_the_kernel(void**) {
    FakeCatalog cat;
    cat.aliases["b"] = {"b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    auto st = r.remove_name("b");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, EBUSY);
    assert_true(k.deletes.empty());
    assert_true(r.stopped());  // FATAL shown: kmod exits here
}

void quiet_failure_does_not_stop(void**) {
    log::set_priority(LOG_EMERG);  // -q
    FakeCatalog cat;
    cat.aliases["b"] = {"b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Remover r(cat, k, defaults());
    assert_false(r.remove_name("b").has_value());
    assert_false(r.stopped());
}

void all_flag_makes_refusals_warnings(void**) {
    FakeCatalog cat;
    LinkedKernel k;
    auto s = defaults();
    s.log_priority = LOG_WARNING;  // -a
    Remover r(cat, k, s);
    assert_false(r.remove_name("nosuch").has_value());
    assert_false(r.stopped());
}

void remove_holders_goes_last_holder_first(void**) {
    FakeCatalog cat;
    cat.aliases["base"] = {"base"};
    LinkedKernel k;
    k.load("base");
    k.load("h1", {"base"});
    k.load("h2", {"base"});
    auto s = defaults();
    s.remove_holders = true;
    Remover r(cat, k, s);
    assert_true(r.remove_name("base").has_value());
    assert_names(k.deleted(), {"h2", "h1", "base"});
}

void holder_in_use_stops_everything(void**) {
    FakeCatalog cat;
    cat.aliases["base"] = {"base"};
    LinkedKernel k;
    k.load("base");
    k.load("h1", {"base"});
    k.load("top", {"h1"});
    auto s = defaults();
    s.remove_holders = true;
    Remover r(cat, k, s);
    assert_false(r.remove_name("base").has_value());
    assert_true(k.deletes.empty());
}

void holders_are_not_removed_recursively(void**) {
    log::set_priority(LOG_EMERG);
    FakeCatalog cat;
    cat.aliases["base"] = {"base"};
    LinkedKernel k;
    k.load("base");
    k.load("h1", {"base"});
    k.load("top", {"h1"});
    auto s = defaults();
    s.remove_holders = true;
    Remover r(cat, k, s);
    auto st = r.remove_name("base");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, EBUSY);
    assert_true(k.deletes.empty());
}

void builtin_is_refused_but_ignored_as_softdep(void**) {
    FakeCatalog cat;
    cat.aliases["bi"] = {"bi"};
    cat.aliases["a"] = {"a"};
    cat.builtins = {"bi"};
    cat.soft["a"] = {{"bi"}, {}};
    LinkedKernel k;
    k.load("a");
    {
        Remover r(cat, k, defaults());
        auto st = r.remove_name("bi");
        assert_false(st.has_value());
        assert_int_equal(st.error().code, ENOENT);
        assert_true(r.stopped());
    }
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a"});
}

void not_loaded_is_success_unless_first_time(void**) {
    log::set_priority(LOG_EMERG);
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    {
        Remover r(cat, k, defaults());
        assert_true(r.remove_name("a").has_value());
    }
    auto s = defaults();
    s.first_time = true;
    Remover r(cat, k, s);
    auto st = r.remove_name("a");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, ENOENT);
    assert_true(k.deletes.empty());
}

void unknown_name_fails(void**) {
    FakeCatalog cat;
    LinkedKernel k;
    Remover r(cat, k, defaults());
    auto st = r.remove_name("nosuch");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, ENOENT);
    assert_true(r.stopped());
}

void softdeps_post_before_and_pre_after_each_reversed(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.soft["a"] = {{"p1", "p2"}, {"q1", "q2"}};
    LinkedKernel k;
    for (const char* m : {"p1", "p2", "q1", "q2", "a"}) k.load(m);
    Remover r(cat, k, defaults());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"q2", "q1", "a", "p2", "p1"});
}

void ignore_commands_skips_softdeps_and_commands(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.soft["a"] = {{"p1"}, {"q1"}};
    cat.commands["a"] = "/bin/true";
    LinkedKernel k;
    for (const char* m : {"p1", "q1", "a"}) k.load(m);
    Recorder rec;
    auto s = defaults();
    s.ignore_commands = true;
    Remover r(cat, k, s, rec.runner());
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a"});
    assert_true(rec.commands.empty());
}

void remove_command_replaces_unload_even_when_not_loaded(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b"};
    cat.commands["a"] = "echo gone $CMDLINE_OPTS; true";
    LinkedKernel k;
    k.load("b");
    Recorder rec;
    Remover r(cat, k, defaults(), rec.runner());
    assert_true(r.remove_name("a").has_value());
    assert_true(k.deletes.empty());  // and no dependency cleanup after a command
    assert_int_equal(rec.commands.size(), 1);
    assert_string_equal(rec.commands[0].c_str(), "a:echo gone ; true");
}

void failing_remove_command_is_fatal(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.commands["a"] = "false";
    LinkedKernel k;
    Recorder rec;
    rec.status = 1 << 8;  // exit status 1
    Remover r(cat, k, defaults(), rec.runner());
    assert_false(r.remove_name("a").has_value());
    assert_true(r.stopped());
}

std::string capture(const std::function<void(std::FILE*)>& fn) {
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    fn(f);
    std::fclose(f);
    std::string out(buf, len);
    std::free(buf);
    return out;
}

void dry_run_shows_without_touching_the_kernel(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.aliases["c"] = {"c"};
    cat.deps["a"] = {"b"};
    cat.commands["c"] = "/bin/true";
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    Recorder rec;
    auto s = defaults();
    s.dry_run = true;
    s.show = true;
    std::string out = capture([&](std::FILE* f) {
        Remover r(cat, k, s, rec.runner(), f);
        assert_true(r.remove_name("a").has_value());
        assert_true(r.remove_name("c").has_value());
    });
    assert_string_equal(out.c_str(), "rmmod a\nremove /bin/true\n");
    assert_true(k.deletes.empty());
    assert_true(rec.commands.empty());
}

void verbose_lists_every_unload(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b"};
    LinkedKernel k;
    k.load("b");
    k.load("a", {"b"});
    auto s = defaults();
    s.show = true;
    std::string out = capture([&](std::FILE* f) {
        Remover r(cat, k, s, run_shell_command, f);
        assert_true(r.remove_name("a").has_value());
    });
    assert_string_equal(out.c_str(), "rmmod a\nrmmod b\n");
}

void force_adds_o_trunc(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    auto s = defaults();
    s.force = true;
    Remover r(cat, k, s);
    assert_true(r.remove_name("a").has_value());
    assert_int_equal(k.deletes.size(), 1);
    assert_int_equal(k.deletes[0].flags, O_NONBLOCK | O_TRUNC);
}

void wait_retries_eagain_until_success(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    k.load("user", {"a"});  // in use: without -w this would be refused
    k.delete_script["a"] = {EAGAIN, EAGAIN};
    auto s = defaults();
    s.wait_msec = 2000;
    Remover r(cat, k, s);
    assert_true(r.remove_name("a").has_value());
    assert_names(k.deleted(), {"a", "a", "a"});
}

// kmod 30 quirk: a timed-out wait ends as a success, and the removal goes on
// with the dependencies as if the module had gone.
void wait_timeout_is_silent_success(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    cat.deps["a"] = {"b", "c"};
    LinkedKernel k;
    k.load("b");
    k.load("c");
    k.load("a", {"b"});
    k.delete_results["a"] = EAGAIN;
    auto s = defaults();
    s.wait_msec = 30;
    Remover r(cat, k, s);
    assert_true(r.remove_name("a").has_value());
    std::size_t tries = 0;
    for (const auto& d : k.deletes) tries += d.name == "a";
    assert_true(tries >= 2);
    assert_true(tries < 30);  // backs off instead of spinning
    assert_names(k.deleted(), Names(tries, "a") + Names{"c"});
}

void wait_reports_other_errors(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    k.delete_results["a"] = EPERM;
    auto s = defaults();
    s.wait_msec = 1000;
    Remover r(cat, k, s);
    auto st = r.remove_name("a");
    assert_false(st.has_value());
    assert_int_equal(st.error().code, EPERM);
    assert_int_equal(k.deletes.size(), 1);
    assert_false(r.stopped());  // an ERROR, not a FATAL
}

void without_wait_eagain_is_a_plain_error(void**) {
    FakeCatalog cat;
    cat.aliases["a"] = {"a"};
    LinkedKernel k;
    k.load("a");
    k.delete_results["a"] = EAGAIN;
    Remover r(cat, k, defaults());
    assert_false(r.remove_name("a").has_value());
    assert_int_equal(k.deletes.size(), 1);
}

void alias_to_several_modules_stops_at_first_failure(void**) {
    log::set_priority(LOG_EMERG);
    FakeCatalog cat;
    cat.aliases["al"] = {"x", "y", "z"};
    LinkedKernel k;
    k.load("x");
    k.load("y");
    k.load("z");
    k.load("user", {"y"});
    Remover r(cat, k, defaults());
    assert_false(r.remove_name("al").has_value());
    assert_names(k.deleted(), {"x"});
}

void options_map_to_settings(void**) {
    Options o;
    o.remove_dependencies = true;
    o.ignore_install = true;
    o.verbosity = LOG_INFO;
    o.all = true;
    o.force = true;
    o.wait_msec = 7;
    auto s = remove_settings(o);
    assert_true(s.remove_holders);
    assert_true(s.ignore_commands);
    assert_true(s.show);
    assert_true(s.force);
    assert_int_equal(s.wait_msec, 7);
    assert_int_equal(s.log_priority, LOG_WARNING);
    Options plain;
    auto p = remove_settings(plain);
    assert_false(p.show || p.force || p.remove_holders || p.ignore_commands);
    assert_int_equal(p.log_priority, LOG_CRIT);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test_setup(chain_removes_target_then_unused_dependencies, setup),
        cmocka_unit_test_setup(dependency_used_elsewhere_stays, setup),
        cmocka_unit_test_setup(dependency_not_loaded_is_skipped, setup),
        cmocka_unit_test_setup(module_in_use_is_refused_before_the_kernel, setup),
        cmocka_unit_test_setup(quiet_failure_does_not_stop, setup),
        cmocka_unit_test_setup(all_flag_makes_refusals_warnings, setup),
        cmocka_unit_test_setup(remove_holders_goes_last_holder_first, setup),
        cmocka_unit_test_setup(holder_in_use_stops_everything, setup),
        cmocka_unit_test_setup(holders_are_not_removed_recursively, setup),
        cmocka_unit_test_setup(builtin_is_refused_but_ignored_as_softdep, setup),
        cmocka_unit_test_setup(not_loaded_is_success_unless_first_time, setup),
        cmocka_unit_test_setup(unknown_name_fails, setup),
        cmocka_unit_test_setup(softdeps_post_before_and_pre_after_each_reversed, setup),
        cmocka_unit_test_setup(ignore_commands_skips_softdeps_and_commands, setup),
        cmocka_unit_test_setup(remove_command_replaces_unload_even_when_not_loaded, setup),
        cmocka_unit_test_setup(failing_remove_command_is_fatal, setup),
        cmocka_unit_test_setup(dry_run_shows_without_touching_the_kernel, setup),
        cmocka_unit_test_setup(verbose_lists_every_unload, setup),
        cmocka_unit_test_setup(force_adds_o_trunc, setup),
        cmocka_unit_test_setup(wait_retries_eagain_until_success, setup),
        cmocka_unit_test_setup(wait_timeout_is_silent_success, setup),
        cmocka_unit_test_setup(wait_reports_other_errors, setup),
        cmocka_unit_test_setup(without_wait_eagain_is_a_plain_error, setup),
        cmocka_unit_test_setup(alias_to_several_modules_stops_at_first_failure, setup),
        cmocka_unit_test_setup(options_map_to_settings, setup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
