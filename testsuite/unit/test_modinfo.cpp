// SPDX-License-Identifier: LGPL-2.1-or-later
#include "modinfo/render.hpp"

#include <string>
#include <vector>

#include "cmocka.hpp"

using namespace kmodx;
using modinfo::InfoField;
using modinfo::Options;

static std::string S(const std::string& s) { return s; }

static void field_padded_to_sixteen(void**) {
    assert_string_equal(modinfo::field_line("license", "GPL", '\n').c_str(), "license:        GPL\n");
}

static void fifteen_char_key_has_no_pad(void**) {
    assert_string_equal(modinfo::field_line("fifteencharskey", "v", '\n').c_str(), "fifteencharskey:v\n");
}

static void long_key_gets_negative_width_pad(void**) {
    // 24 characters: printf's width -9 left-justifies "" in 9 columns.
    assert_string_equal(modinfo::field_line("averyveryverylongkeyname", "v", '\n').c_str(),
                        "averyveryverylongkeyname:         v\n");
}

static void null_separator_uses_key_equals_value(void**) {
    std::string got = modinfo::field_line("alias", "pci:v1*", '\0');
    assert_true(got == S(std::string("alias=pci:v1*") + '\0'));
}

static void label_line_left_justifies(void**) {
    assert_string_equal(modinfo::label_line("filename:", "/x.ko", '\n').c_str(), "filename:       /x.ko\n");
}

static void params_merge_and_print_newest_first(void**) {
    modinfo::ParamList l;
    assert_true(l.add("parmtype", "foo:int"));
    assert_true(l.add("parm", "foo:The foo"));
    assert_true(l.add("parm", "bar:Only desc"));
    assert_true(l.add("parmtype", "baz:charp"));
    assert_false(l.add("parm", "nocolon"));
    const auto& p = l.in_print_order();
    assert_int_equal(p.size(), 3);
    assert_string_equal(p[0].name.c_str(), "baz");
    assert_string_equal(p[1].name.c_str(), "bar");
    assert_string_equal(p[2].name.c_str(), "foo");
    assert_string_equal(p[2].desc->c_str(), "The foo");
    assert_string_equal(p[2].type->c_str(), "int");
}

static void parm_line_variants(void**) {
    modinfo::Param both{"foo", "The foo", "int"}, desc{"bar", "Only desc", std::nullopt},
        type{"baz", std::nullopt, "charp"};
    assert_string_equal(modinfo::parm_line(both, '\n', true).c_str(), "parm:           foo:The foo (int)\n");
    assert_string_equal(modinfo::parm_line(desc, '\n', true).c_str(), "parm:           bar:Only desc\n");
    assert_string_equal(modinfo::parm_line(type, '\n', true).c_str(), "parm:           baz:charp\n");
    assert_string_equal(modinfo::parm_line(both, '\n', false).c_str(), "foo:The foo (int)\n");
    assert_string_equal(modinfo::parm_line(type, '\n', false).c_str(), "baz: (charp)\n");
}

static const std::vector<InfoField> kInfo = {
    {"license", "GPL"}, {"parm", "foo:The foo"}, {"parmtype", "foo:int"},         {"alias", "a1"},
    {"alias", "a2"},    {"parm", "broken"},      {"signature", "01:02:\n\t\t03"},
};

static void full_listing_puts_params_last(void**) {
    std::vector<std::string> errors;
    std::string out = modinfo::render("m", std::string("/m.ko"), kInfo, Options{}, errors);
    assert_string_equal(out.c_str(),
                        "filename:       /m.ko\n"
                        "license:        GPL\n"
                        "alias:          a1\n"
                        "alias:          a2\n"
                        "signature:      01:02:\n\t\t03\n"
                        "parm:           foo:The foo (int)\n");
    assert_int_equal(errors.size(), 1);
    assert_string_equal(errors[0].c_str(), "Found invalid \"parm=broken\": missing ':'\n");
}

static void builtin_prints_name_and_builtin_filename(void**) {
    std::vector<std::string> errors;
    std::string out = modinfo::render("ext4", std::nullopt, {{"license", "GPL"}}, Options{}, errors);
    assert_string_equal(out.c_str(),
                        "name:           ext4\n"
                        "filename:       (builtin)\n"
                        "license:        GPL\n");
}

static void field_prints_bare_values(void**) {
    Options o;
    o.field = "alias";
    std::vector<std::string> errors;
    assert_string_equal(modinfo::render("m", std::string("/m.ko"), kInfo, o, errors).c_str(), "a1\na2\n");
}

static void filename_field_stops_before_info(void**) {
    Options o;
    o.field = "filename";
    bool wants = true;
    assert_string_equal(modinfo::render_head("m", std::nullopt, o, wants).c_str(), "(builtin)\n");
    assert_false(wants);
}

static void name_field_on_builtin(void**) {
    Options o;
    o.field = "name";
    std::vector<std::string> errors;
    assert_string_equal(modinfo::render("ext4", std::nullopt, {}, o, errors).c_str(), "ext4\n");
}

static void parm_field_uses_short_form(void**) {
    Options o;
    o.field = "parm";
    o.separator = '\0';
    std::vector<std::string> errors;
    std::string out = modinfo::render("m", std::string("/m.ko"), kInfo, o, errors);
    assert_true(out == S(std::string("foo:The foo (int)") + '\0'));
    assert_int_equal(errors.size(), 1);
}

static void null_separator_keeps_label_columns(void**) {
    Options o;
    o.separator = '\0';
    std::vector<std::string> errors;
    std::string out = modinfo::render("m", std::string("/m.ko"), {{"license", "GPL"}, {"parm", "p:d"}}, o, errors);
    std::string want =
        std::string("filename:       /m.ko") + '\0' + "license=GPL" + '\0' + "parm:           p:d" + '\0';
    assert_true(out == want);
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(field_padded_to_sixteen),
        cmocka_unit_test(fifteen_char_key_has_no_pad),
        cmocka_unit_test(long_key_gets_negative_width_pad),
        cmocka_unit_test(null_separator_uses_key_equals_value),
        cmocka_unit_test(label_line_left_justifies),
        cmocka_unit_test(params_merge_and_print_newest_first),
        cmocka_unit_test(parm_line_variants),
        cmocka_unit_test(full_listing_puts_params_last),
        cmocka_unit_test(builtin_prints_name_and_builtin_filename),
        cmocka_unit_test(field_prints_bare_values),
        cmocka_unit_test(filename_field_stops_before_info),
        cmocka_unit_test(name_field_on_builtin),
        cmocka_unit_test(parm_field_uses_short_form),
        cmocka_unit_test(null_separator_keeps_label_columns),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
