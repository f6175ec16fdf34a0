// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kmodx/lsmod.hpp>

#include <cstdio>
#include <string>

#include "cmocka.hpp"

using namespace kmodx;

static void header_is_kmods(void**) {
    assert_string_equal(std::string(lsmod::header()).c_str(), "Module                  Size  Used by\n");
}

static void row_without_holders(void**) {
    lsmod::Row r{"kvm", 1146880, 1, {}};
    assert_string_equal(lsmod::format_row(r).c_str(), "kvm                  1146880  1\n");
}

static void row_with_holders_is_comma_joined(void**) {
    lsmod::Row r{"libcrc32c", 12288, 2, {"btrfs", "xfs"}};
    assert_string_equal(lsmod::format_row(r).c_str(), "libcrc32c              12288  2 btrfs,xfs\n");
}

static void long_name_pushes_columns(void**) {
    lsmod::Row r{"a_module_name_longer_than_19", 7, 0, {"x"}};
    assert_string_equal(lsmod::format_row(r).c_str(), "a_module_name_longer_than_19        7  0 x\n");
}

static void size_wider_than_column(void**) {
    lsmod::Row r{"big", 123456789012L, 0, {}};
    assert_string_equal(lsmod::format_row(r).c_str(), "big                 123456789012  0\n");
}

static void table_is_header_then_rows(void**) {
    char* buf = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    lsmod::print_table(f, {{"b", 2, 0, {}}, {"a", 1, 1, {"b"}}});
    std::fclose(f);
    assert_string_equal(buf,
                        "Module                  Size  Used by\n"
                        "b                          2  0\n"
                        "a                          1  1 b\n");
    free(buf);
}

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(header_is_kmods),
        cmocka_unit_test(row_without_holders),
        cmocka_unit_test(row_with_holders_is_comma_joined),
        cmocka_unit_test(long_name_pushes_columns),
        cmocka_unit_test(size_wider_than_column),
        cmocka_unit_test(table_is_header_then_rows),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
