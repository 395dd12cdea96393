/* Tests of protocol/region.c: GB/T 2260 names for the report. */
#include "protocol/region.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

static void
test_names(void **state)
{
    (void)state;
    static const char *const v[][2] = {
        {"340800", "安庆市"},   {"340802", "迎江区"}, {"340803", "大观区"},
        {"340811", "宜秀区"},   {"340822", "怀宁县"}, {"340825", "太湖县"},
        {"340826", "宿松县"},   {"340827", "望江县"}, {"340828", "岳西县"},
        {"340881", "桐城市"},   {"340882", "潜山市"}, {"340100", "合肥市"},
        {"340200", "芜湖市"},   {"340300", "蚌埠市"}, {"340400", "淮南市"},
        {"340500", "马鞍山市"}, {"340600", "淮北市"}, {"340700", "铜陵市"},
        {"341000", "黄山市"},   {"341100", "滁州市"}, {"341200", "阜阳市"},
        {"341300", "宿州市"},   {"341500", "六安市"}, {"341600", "亳州市"},
        {"341700", "池州市"},   {"341800", "宣城市"}, {"340000", "安徽省"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        const char *n = proto_region_name(v[i][0]);
        assert_non_null(n);
        assert_string_equal(n, v[i][1]);
    }
    /* not in the table, or not a code: no name */
    static const char *const none[] = {"340801",  "341400", "110000", "34080",
                                       "3408000", "",       "34080x"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        assert_null(proto_region_name(none[i]));
    assert_null(proto_region_name(NULL));
}

static void
test_label(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(proto_region_label("340825", b, sizeof b),
                        "340825 太湖县");
    assert_string_equal(proto_region_label("110105", b, sizeof b), "110105");
    assert_string_equal(proto_region_label(NULL, b, sizeof b), "");
    /* cut to fit, NUL-terminated */
    assert_string_equal(proto_region_label("340825", b, 8), "340825 ");
    for (size_t cap = 8; cap < 11; cap++) /* 太 is 3 bytes: never half */
        assert_string_equal(proto_region_label("340825", b, cap), "340825 ");
    assert_string_equal(proto_region_label("340825", b, 11), "340825 太");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
