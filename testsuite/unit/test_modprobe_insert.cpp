// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modprobe/insert.hpp"

#include "fake_kernel.hpp"
#include "scratch_dir.hpp"

#include <kmodx/kmod_compat.hpp>
#include <kmodx/messages.hpp>

#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx;
using namespace kmodx::modprobe;

namespace {

Step module_step(const std::string& name, bool required, bool target = false, std::string options = {}) {
    Step s;
    s.name = name;
    s.path = "/lib/modules/v/" + name + ".ko";
    s.options = std::move(options);
    s.required = required;
    s.target = target;
    return s;
}

// A loader that answers from the fake kernel's tables without touching files:
// what is tested here is the step logic, not the file handling.
struct RecordingLoader {
    std::vector<LoadRequest>* seen;
    Result<LoadReport> operator()(Kernel& k, const LoadRequest& req, LoadReport*) const {
        seen->push_back(req);
        auto& fk = static_cast<test::FakeKernel&>(k);
        std::string name = req.path.substr(req.path.rfind('/') + 1);
        name.resize(name.size() - 3);
        auto it = fk.results.find(name);
        int err = it != fk.results.end() && !it->second.empty() ? it->second.front() : 0;
        if (err == EEXIST) {
            LoadReport r;
            r.outcome = LoadOutcome::AlreadyLoaded;
            return r;
        }
        if (err) return failure(err, "finit_module");
        fk.states[name] = ModuleState::Live;
        return LoadReport{};
    }
};

struct Captured {
    std::string text;
    std::FILE* f = nullptr;
    char* buf = nullptr;
    std::size_t len = 0;
    Captured() { f = ::open_memstream(&buf, &len); }
    std::string read() {
        std::fflush(f);
        return std::string(buf, len);
    }
    ~Captured() {
        std::fclose(f);
        std::free(buf);
    }
};

}  // namespace

static void steps_run_in_order_with_their_options(void**) {
    test::FakeKernel k;
    std::vector<LoadRequest> seen;
    StepRunner r(k, {}, run_shell_command, RecordingLoader{&seen});
    int err = r.run({module_step("dep", true), module_step("top", true, true, "a=1 ")});
    assert_int_equal(err, 0);
    assert_int_equal(seen.size(), 2);
    assert_string_equal(seen[0].path.c_str(), "/lib/modules/v/dep.ko");
    assert_string_equal(seen[1].params.c_str(), "a=1 ");
    assert_true(k.module_state("top") == ModuleState::Live);
}

static void live_module_is_skipped_without_a_load(void**) {
    test::FakeKernel k;
    k.states["dep"] = ModuleState::Live;
    std::vector<LoadRequest> seen;
    Captured out;
    StepRunner r(k, {.show = true}, run_shell_command, RecordingLoader{&seen}, out.f);
    assert_int_equal(r.run({module_step("dep", true), module_step("top", true, true)}), 0);
    assert_int_equal(seen.size(), 1);
    assert_string_equal(seen[0].path.c_str(), "/lib/modules/v/top.ko");
    // Nothing is printed for a module that was already there.
    assert_string_equal(out.read().c_str(), "insmod /lib/modules/v/top.ko \n");
}

static void required_failure_stops_the_plan(void**) {
    test::FakeKernel k;
    k.results["dep"] = {ENOEXEC};
    std::vector<LoadRequest> seen;
    StepRunner r(k, {}, run_shell_command, RecordingLoader{&seen});
    assert_int_equal(r.run({module_step("dep", true), module_step("top", true, true)}), -ENOEXEC);
    assert_int_equal(seen.size(), 1);
}

static void softdep_failure_is_ignored(void**) {
    test::FakeKernel k;
    k.results["pre"] = {ENODEV};
    k.results["post"] = {ENODEV};
    std::vector<LoadRequest> seen;
    StepRunner r(k, {}, run_shell_command, RecordingLoader{&seen});
    int err = r.run({module_step("pre", false), module_step("top", true, true), module_step("post", false)});
    assert_int_equal(err, 0);
    assert_int_equal(seen.size(), 3);
}

static void already_loaded_target_is_success_unless_first_time(void**) {
    test::FakeKernel k;
    k.results["top"] = {EEXIST};
    std::vector<LoadRequest> seen;
    assert_int_equal(StepRunner(k, {}, run_shell_command, RecordingLoader{&seen}).run({module_step("top", true, true)}),
                     0);
    assert_int_equal(StepRunner(k, {.first_time = true}, run_shell_command, RecordingLoader{&seen})
                         .run({module_step("top", true, true), module_step("post", false)}),
                     -EEXIST);
    // --first-time stops at the target: the post-softdep was not tried.
    assert_int_equal(seen.size(), 2);
    // A live target found by the re-check counts the same way.
    k.states["top"] = ModuleState::Live;
    assert_int_equal(StepRunner(k, {.first_time = true}, run_shell_command, RecordingLoader{&seen})
                         .run({module_step("top", true, true)}),
                     -EEXIST);
    // ... but a live dependency never does.
    k.states["dep"] = ModuleState::Live;
    k.states.erase("top");
    k.results.erase("top");
    assert_int_equal(StepRunner(k, {.first_time = true}, run_shell_command, RecordingLoader{&seen})
                         .run({module_step("dep", true), module_step("top", true, true)}),
                     0);
}

// A target another process loaded while libkmod's dry run planned its
// dependencies gets no step: the request is still answered by the kernel and
// must be recorded as such, as when the plan is empty.
static void target_without_step_includes_dependencies_only_plans(void**) {
    Plan empty;
    assert_true(target_without_step(empty));
    Plan deps_only;
    deps_only.steps = {module_step("chain_c", true), module_step("chain_d", true)};
    assert_true(target_without_step(deps_only));
    Plan with_target = deps_only;
    with_target.steps.push_back(module_step("chain_b", true, true));
    assert_false(target_without_step(with_target));
    Plan install_target;
    install_target.steps = {module_step("x", true, true)};
    install_target.steps[0].install = "true";
    assert_false(target_without_step(install_target));
}

static void force_flags_reach_the_loader(void**) {
    test::FakeKernel k;
    std::vector<LoadRequest> seen;
    StepRunner(k, {.force_vermagic = true, .force_modversion = false}, run_shell_command, RecordingLoader{&seen})
        .run({module_step("top", true, true)});
    assert_true(seen.at(0).force_vermagic);
    assert_false(seen.at(0).force_modversion);
}

static void install_command_gets_substituted_options(void**) {
    test::FakeKernel k;
    std::vector<std::pair<std::string, std::string>> ran;
    auto runner = [&ran](const std::string& cmd, const std::string& mod) {
        ran.emplace_back(cmd, mod);
        return 0;
    };
    Step s = module_step("top", true, true, "a=1 ");
    s.install = "echo $CMDLINE_OPTS; x $CMDLINE_OPTS";
    Captured out;
    std::vector<LoadRequest> seen;
    StepRunner r(k, {.show = true}, runner, RecordingLoader{&seen}, out.f);
    assert_int_equal(r.run({s}), 0);
    assert_int_equal(ran.size(), 1);
    assert_string_equal(ran[0].first.c_str(), "echo a=1 ; x a=1 ");
    assert_string_equal(ran[0].second.c_str(), "top");
    assert_true(seen.empty());
    // -v shows the command as configured, not substituted.
    assert_string_equal(out.read().c_str(), "install echo $CMDLINE_OPTS; x $CMDLINE_OPTS a=1 \n");
}

static void failing_install_command_is_einval(void**) {
    test::FakeKernel k;
    Step s = module_step("top", true, true);
    s.install = "exit 3";
    StepRunner r(k, {}, [](const std::string&, const std::string&) { return 3 << 8; });
    assert_int_equal(r.run({s}), -EINVAL);
    // A softdep's failing command does not fail the probe.
    s.required = false;
    s.target = false;
    assert_int_equal(r.run({s}), 0);
}

static void install_command_killed_by_signal_counts_as_success(void**) {
    test::FakeKernel k;
    Step s = module_step("top", true, true);
    s.install = "kill -9 $$";
    StepRunner r(k, {}, [](const std::string&, const std::string&) { return SIGKILL; });
    assert_int_equal(r.run({s}), 0);
}

static void system_runner_sets_module_name(void**) {
    test::ScratchDir d;
    const std::string out = d.str() + "/env";
    int st = run_shell_command("printf %s \"$MODPROBE_MODULE\" > " + out + "; exit 4", "foo_bar");
    assert_int_equal(WEXITSTATUS(st), 4);
    std::FILE* f = std::fopen(out.c_str(), "r");
    assert_non_null(f);
    char buf[32] = {};
    std::fgets(buf, sizeof buf, f);
    std::fclose(f);
    assert_string_equal(buf, "foo_bar");
    assert_null(std::getenv("MODPROBE_MODULE"));
}

static void substitution_handles_no_and_many_variables(void**) {
    assert_string_equal(substitute_cmdline_opts("modprobe x", "a=1").c_str(), "modprobe x");
    assert_string_equal(substitute_cmdline_opts("$CMDLINE_OPTS$CMDLINE_OPTS", "b").c_str(), "bb");
    // Options that look like the variable are not expanded again.
    assert_string_equal(substitute_cmdline_opts("x $CMDLINE_OPTS", "$CMDLINE_OPTS").c_str(), "x $CMDLINE_OPTS");
}

static void step_without_file_fails_with_enoent(void**) {
    test::FakeKernel k;
    Step s = module_step("ghost", true, true);
    s.path.clear();
    std::vector<LoadRequest> seen;
    assert_int_equal(StepRunner(k, {}, run_shell_command, RecordingLoader{&seen}).run({s}), -ENOENT);
    assert_true(seen.empty());
}

static void real_loader_inserts_the_file_through_the_kernel(void**) {
    test::ScratchDir d;
    auto bytes = test::make_module({"name=top", "vermagic=6.1.0 SMP mod_unload "});
    d.write("top.ko", std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    test::FakeKernel k;
    Step s = module_step("top", true, true, "p=1");
    s.path = d.str() + "/top.ko";
    assert_int_equal(StepRunner(k, {}).run({s}), 0);
    assert_int_equal(k.loads.size(), 1);
    assert_string_equal(k.loads[0].name.c_str(), "top");
    assert_string_equal(k.loads[0].params.c_str(), "p=1");
    assert_true(k.module_state("top") == ModuleState::Live);
    // Loading again: the kernel's EEXIST is success for modprobe.
    k.states.erase("top");
    k.results["top"] = {EEXIST};
    assert_int_equal(StepRunner(k, {}).run({s}), 0);
}

static void decompression_failures_use_kmods_errno(void**) {
    assert_int_equal(messages::load_errno({EBADMSG, "x.ko.xz"}, Compression::Xz), EINVAL);
    const int other = kmodx::kmod34 ? EINVAL : ENOEXEC;  // kmod 34.2: EINVAL for all
    assert_int_equal(messages::load_errno({EFBIG, "x.ko.zst"}, Compression::Zstd), other);
    assert_int_equal(messages::load_errno({EBADMSG, "x.ko.gz"}, Compression::Gzip), other);
    // The kernel's own answers and plain files keep their errno.
    assert_int_equal(messages::load_errno({EBADMSG, "init_module"}, Compression::Xz), EBADMSG);
    assert_int_equal(messages::load_errno({EFBIG, "x.ko"}, Compression::None), EFBIG);
    assert_int_equal(messages::load_errno({ENOENT, "x.ko.xz"}, Compression::Xz), ENOENT);
}

static void corrupt_xz_file_fails_like_kmod(void**) {
    test::ScratchDir d;
    d.write("bad.ko.xz", std::string("\xfd"
                                     "7zXZ\0garbage-after-magic",
                                     20));
    test::FakeKernel k;
    Step s = module_step("bad", true, true);
    s.path = d.str() + "/bad.ko.xz";
    assert_int_equal(StepRunner(k, {}).run({s}), -EINVAL);
    assert_true(k.loads.empty());
}

static void real_loader_reports_missing_file(void**) {
    test::FakeKernel k;
    Step s = module_step("top", true, true);
    s.path = "/nonexistent/kmodx/top.ko";
    assert_int_equal(StepRunner(k, {}).run({s}), -ENOENT);
    assert_true(k.loads.empty());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_run_in_order_with_their_options),
        cmocka_unit_test(live_module_is_skipped_without_a_load),
        cmocka_unit_test(required_failure_stops_the_plan),
        cmocka_unit_test(softdep_failure_is_ignored),
        cmocka_unit_test(already_loaded_target_is_success_unless_first_time),
        cmocka_unit_test(target_without_step_includes_dependencies_only_plans),
        cmocka_unit_test(force_flags_reach_the_loader),
        cmocka_unit_test(install_command_gets_substituted_options),
        cmocka_unit_test(failing_install_command_is_einval),
        cmocka_unit_test(install_command_killed_by_signal_counts_as_success),
        cmocka_unit_test(system_runner_sets_module_name),
        cmocka_unit_test(substitution_handles_no_and_many_variables),
        cmocka_unit_test(step_without_file_fails_with_enoent),
        cmocka_unit_test(real_loader_inserts_the_file_through_the_kernel),
        cmocka_unit_test(real_loader_reports_missing_file),
        cmocka_unit_test(decompression_failures_use_kmods_errno),
        cmocka_unit_test(corrupt_xz_file_fails_like_kmod),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
