/* vocfed: names of administrative division codes (GB/T 2260). */
#include "protocol/region.h"

#include <stdio.h>
#include <string.h>

/* Sorted by code: looked up by binary search. */
static const struct {
    const char *code; /* six digits */
    const char *name; /* its Chinese name */
} s_regions[] = {
    {"340000", "安徽省"}, {"340100", "合肥市"}, {"340200", "芜湖市"},
    {"340300", "蚌埠市"}, {"340400", "淮南市"}, {"340500", "马鞍山市"},
    {"340600", "淮北市"}, {"340700", "铜陵市"}, {"340800", "安庆市"},
    {"340802", "迎江区"}, {"340803", "大观区"}, {"340811", "宜秀区"},
    {"340822", "怀宁县"}, {"340825", "太湖县"}, {"340826", "宿松县"},
    {"340827", "望江县"}, {"340828", "岳西县"}, {"340881", "桐城市"},
    {"340882", "潜山市"}, {"341000", "黄山市"}, {"341100", "滁州市"},
    {"341200", "阜阳市"}, {"341300", "宿州市"}, {"341500", "六安市"},
    {"341600", "亳州市"}, {"341700", "池州市"}, {"341800", "宣城市"},
};

const char *
proto_region_name(const char *code)
{
    size_t lo = 0, hi = sizeof s_regions / sizeof *s_regions;
    if (!code || strlen(code) != 6)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(code, s_regions[mid].code);
        if (c == 0)
            return s_regions[mid].name;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *
proto_region_label(const char *code, char *out, size_t cap)
{
    const char *name = proto_region_name(code);
    if (cap == 0)
        return out;
    int n = name ? snprintf(out, cap, "%s %s", code, name)
                 : snprintf(out, cap, "%s", code ? code : "");
    if (n < 0)
        out[0] = 0;
    else if ((size_t)n >= cap) { /* cut: not inside a character */
        size_t len = cap - 1, i = len;
        while (i && ((unsigned char)out[i - 1] & 0xC0) == 0x80)
            i--; /* out[i - 1] starts the last character, if i */
        unsigned char lead = i ? (unsigned char)out[i - 1] : 0;
        size_t need = lead >= 0xF0   ? 4
                      : lead >= 0xE0 ? 3
                      : lead >= 0xC0 ? 2
                                     : 1;
        if (i && len - (i - 1) < need)
            out[i - 1] = 0;
    }
    return out;
}
