/* Tests of CSV import and the linkage key (node/import.c, node/linkage.c,
 * vocfed import, vocfed linkage-key; SPEC 11). */
#define _XOPEN_SOURCE 700 /* posix_openpt and its friends */
#include "node/import.h"
#include "node/import_i.h"
#include "node/linkage.h"
#include "node/node.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/kinds.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "tests/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_AUTHOR "aqvtc"

/* One member store made through the API (no binary needed). */
typedef struct {
    char dir[128];                /* its folder */
    store_t *store;               /* open */
    uint8_t pk[PROTO_PUBKEY_LEN]; /* its key pair */
    uint8_t sk[PROTO_SECKEY_LEN];
} s_node_t;

/* Per-test state. */
typedef struct {
    char root[64];                     /* mkdtemp folder */
    uint8_t key[NODE_LINKAGE_KEY_LEN]; /* a linkage key */
    s_node_t a, b;                     /* two members */
} s_state_t;

static void
s_node_open(s_state_t *st, s_node_t *n, const char *name)
{
    store_opts_t opts = {.create = true, .no_derived = true};
    snprintf(n->dir, sizeof n->dir, "%s/%s", st->root, name);
    assert_int_equal(mkdir(n->dir, 0700), 0);
    assert_int_equal(store_open(n->dir, &opts, &n->store), 0);
    crypto_sign_keypair(n->pk, n->sk);
    assert_int_equal(store_author_add(n->store, S_AUTHOR, n->pk), 0);
}

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st || sodium_init() < 0)
        return -1;
    th_tmpdir(st->root);
    randombytes_buf(st->key, sizeof st->key);
    s_node_open(st, &st->a, "a");
    s_node_open(st, &st->b, "b");
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    store_destroy(&st->a.store);
    store_destroy(&st->b.store);
    th_rmdir(st->root);
    free(st);
    return 0;
}

/* An 18-digit resident ID number with the right GB 11643 check digit,
 * from a 17-digit stem. */
static void
s_id(const char *stem, char out[19])
{
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    int sum = 0;
    assert_int_equal(strlen(stem), 17);
    for (int i = 0; i < 17; i++)
        sum += (stem[i] - '0') * w[i];
    snprintf(out, 19, "%s%c", stem, "10X98765432"[sum % 11]);
}

/* Imports text (NUL-terminated) of kind into n. */
static int
s_import(s_state_t *st, s_node_t *n, const char *kind, const char *text,
         size_t len, bool check, bool sync, node_import_result_t *res)
{
    node_import_opts_t opts = {
        .kind = kind, .check = check, .sync = sync, .linkage_key = st->key};
    return node_import(n->store, S_AUTHOR, n->sk, &opts, (const uint8_t *)text,
                       len ? len : strlen(text), res);
}

static uint64_t
s_size(s_node_t *n)
{
    store_head_t h;
    assert_int_equal(store_head(n->store, S_AUTHOR, &h), 0);
    return h.size;
}

/* The body of the current record (kind, key) of n, into out; false if
 * there is none. */
static bool
s_body(s_node_t *n, const char *kind, const char *key, proto_buf_t *out)
{
    proto_buf_t e;
    proto_entry_t d;
    uint64_t seq;
    proto_buf_init(&e);
    int rc = store_record_get(n->store, S_AUTHOR, kind, key, &e, &seq);
    if (rc == VOCFED_ENOTFOUND) {
        proto_buf_release(&e);
        return false;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(proto_entry_decode(e.data, e.len, &d), 0);
    proto_buf_reset(out);
    assert_int_equal(proto_buf_append(out, d.body, d.body_len), 0);
    proto_buf_release(&e);
    return true;
}

/* A student file: a header and rows made from 17-digit stems. */
static const char *const s_stems[] = {
    "34080320050101001", "34080320050101002", "34080320050101003",
    "34080320050101004", "34080320050101005", "34080320050101006",
};
#define S_NSTEMS (sizeof s_stems / sizeof s_stems[0])

static char *
s_students(const char *status_at_4, const char *year_at_6, bool dup_at_8)
{
    static char buf[4096];
    size_t used = 0;
    used += (size_t)snprintf(buf + used, sizeof buf - used,
                             "id_number,name,level,major,intake_year,status,"
                             "origin_region\n");
    for (size_t i = 0; i < S_NSTEMS; i++) {
        char id[19];
        size_t line = i + 2;
        s_id(s_stems[i], id);
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 "%s,学生%zu,higher,460104,%s,%s,340803\n", id,
                                 i, line == 6 ? year_at_6 : "2024",
                                 line == 4 ? status_at_4 : "enrolled");
    }
    if (dup_at_8) {
        char id[19];
        s_id(s_stems[0], id);
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 "%s,某某,secondary,,2023,enrolled,\n", id);
    }
    return buf;
}

/* Whether needle (n bytes) is in [hay, hay + len). */
static bool
s_has(const void *hay, size_t len, const void *needle, size_t n)
{
    const uint8_t *h = hay;
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (h[i] == *(const uint8_t *)needle && memcmp(h + i, needle, n) == 0)
            return true;
    return false;
}

/* ---- tests ----------------------------------------------------------- */

/* Bad rows in the middle: nothing written, each one named; --check finds
 * the same. */
static void
test_bad_rows(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res, chk;
    char id[19];
    s_id(s_stems[0], id);

    const char *csv = s_students("enroled", "2024", false);
    assert_int_equal(
        s_import(st, &st->a, "student", csv, 0, false, false, &res),
        VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(res.errors[0].line, 4);
    assert_string_equal(res.errors[0].column, "status");
    assert_string_equal(res.errors[0].value, "enroled");
    assert_non_null(strstr(res.errors[0].reason_en, "enrolled, suspended"));
    assert_true(strlen(res.errors[0].reason_zh) > 0);
    assert_int_equal(res.rows, S_NSTEMS);
    assert_int_equal(s_size(&st->a), 0);
    node_import_result_release(&res);

    /* Every bad row, in line order, and the same with check. */
    csv = s_students("enroled", "1999", true);
    assert_int_equal(
        s_import(st, &st->a, "student", csv, 0, false, false, &res),
        VOCFED_EINVALID);
    assert_int_equal(s_import(st, &st->a, "student", csv, 0, true, false, &chk),
                     VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 3);
    assert_int_equal(chk.nerrors, 3);
    size_t lines[3] = {4, 6, 8};
    const char *cols[3] = {"status", "intake_year", "id_number"};
    const char *vals[3] = {"enroled", "1999", id};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(res.errors[i].line, lines[i]);
        assert_string_equal(res.errors[i].column, cols[i]);
        assert_string_equal(res.errors[i].value, vals[i]);
        assert_int_equal(chk.errors[i].line, res.errors[i].line);
        assert_string_equal(chk.errors[i].column, res.errors[i].column);
        assert_string_equal(chk.errors[i].value, res.errors[i].value);
        assert_string_equal(chk.errors[i].reason_en, res.errors[i].reason_en);
    }
    assert_non_null(strstr(res.errors[2].reason_en, "line 2"));
    assert_int_equal(s_size(&st->a), 0);
    node_import_result_release(&res);
    node_import_result_release(&chk);

    /* A good file with check: counted, not written. */
    csv = s_students("enrolled", "2024", false);
    assert_int_equal(s_import(st, &st->a, "student", csv, 0, true, false, &chk),
                     0);
    assert_int_equal(chk.nerrors, 0);
    assert_int_equal(chk.added, S_NSTEMS);
    assert_int_equal(chk.last_seq, 0);
    assert_int_equal(s_size(&st->a), 0);
    node_import_result_release(&chk);

    /* A bad ID number (wrong check digit), a bad header. */
    char bad[128];
    snprintf(bad, sizeof bad,
             "id_number,level,intake_year,status\n%.17s%c,higher,2024,"
             "enrolled\n",
             id, id[17] == '0' ? '1' : '0');
    assert_int_equal(
        s_import(st, &st->a, "student", bad, 0, false, false, &res),
        VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(res.errors[0].line, 2);
    assert_string_equal(res.errors[0].column, "id_number");
    node_import_result_release(&res);
    assert_int_equal(s_import(st, &st->a, "student", "pseudo_id,level,colour\n",
                              0, false, false, &res),
                     VOCFED_EINVALID);
    /* colour unknown; intake_year and status missing */
    assert_int_equal(res.nerrors, 3);
    assert_int_equal(res.errors[0].line, 1);
    assert_string_equal(res.errors[0].column, "colour");
    node_import_result_release(&res);
    /* A pseudo_id column takes pseudonyms only, never an ID number. */
    snprintf(bad, sizeof bad,
             "pseudo_id,level,intake_year,status\n%s,higher,2024,enrolled\n",
             id);
    assert_int_equal(
        s_import(st, &st->a, "student", bad, 0, false, false, &res),
        VOCFED_EINVALID);
    assert_string_equal(res.errors[0].column, "pseudo_id");
    node_import_result_release(&res);
    /* No linkage key: an id_number column cannot be read. */
    node_import_opts_t opts = {.kind = "student"};
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &opts,
                                 (const uint8_t *)csv, strlen(csv), &res),
                     VOCFED_EKEY);
    node_import_result_release(&res);
    assert_int_equal(s_size(&st->a), 0);
}

/* Appends to text (cap bytes, NUL-terminated) what fmt says. */
static void s_cat(char *text, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_cat(char *text, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(text);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text + used, cap - used, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < cap - used);
}

/* More cells than the 64 columns a file may have. Found by
 * tests/fuzz/fuzz_import_csv: a header of 65 or more cells wrote and read
 * past the arrays of 64 columns and cells, and so did the check for a row
 * of empty cells. A header of 66 columns is bad; a row of 66 cells has
 * the wrong count, even with text only in its last; a row of 66 empty
 * cells is no row. */
static void
test_many_columns(void **state)
{
    (void)state;
    static const char head[] = "code,name,level,status";
    node_import_opts_t opts = {.kind = "major"};
    node_import_result_t res;
    char text[1024] = "";

    s_cat(text, sizeof text, "%s", head);
    for (int i = 4; i < 66; i++)
        s_cat(text, sizeof text, ",x%02d", i);
    s_cat(text, sizeof text, "\n510201,a,higher,active\n");
    assert_int_equal(
        node_import_parse(&opts, (const uint8_t *)text, strlen(text), &res),
        VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(res.errors[0].line, 1);
    assert_string_equal(res.errors[0].value, "66");
    assert_non_null(strstr(res.errors[0].reason_en, "more than 64 columns"));
    assert_int_equal(res.rows, 0);
    node_import_result_release(&res);

    for (int last = 0; last < 2; last++) {
        snprintf(text, sizeof text, "%s\n510201,a,higher,active\n", head);
        s_cat(text, sizeof text, "%s", last ? "" : "510202,b,higher,active");
        for (int i = last ? 1 : 4; i < 66; i++)
            s_cat(text, sizeof text, ",");
        s_cat(text, sizeof text, "%s\n", last ? "x" : "");
        /* empty cells past the header's columns are what spreadsheets
         * leave: ignored; text there is not */
        assert_int_equal(
            node_import_parse(&opts, (const uint8_t *)text, strlen(text), &res),
            last ? VOCFED_EINVALID : VOCFED_OK);
        assert_int_equal(res.rows, 2);
        assert_int_equal(res.nerrors, (size_t)last);
        if (last) {
            assert_int_equal(res.errors[0].line, 3);
            assert_string_equal(res.errors[0].value, "66");
            assert_string_equal(res.errors[0].reason_en,
                                "the row has 66 cells, the header 4 columns");
            assert_string_equal(res.errors[0].reason_zh,
                                "该行有 66 个单元格，表头有 4 列");
        }
        node_import_result_release(&res);
    }

    snprintf(text, sizeof text, "%s\n510201,a,higher,active\n", head);
    for (int i = 1; i < 66; i++)
        s_cat(text, sizeof text, ",");
    s_cat(text, sizeof text, "\n");
    assert_int_equal(
        node_import_parse(&opts, (const uint8_t *)text, strlen(text), &res),
        VOCFED_OK);
    assert_int_equal(res.rows, 1);
    assert_int_equal(res.nerrors, 0);
    node_import_result_release(&res);
}

/* The file's text converted with iconv (to is "GB18030"); malloc'd. */
static char *
s_iconv(const char *text, const char *to, size_t *olen)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t inleft = strlen(text), cap = 2 * inleft + 16, oleft = cap;
    char *out = malloc(cap), *o = out, *in = (char *)text;
    assert_non_null(out);
    assert_true(iconv(cd, &in, &inleft, &o, &oleft) != (size_t)-1);
    iconv_close(cd);
    *olen = cap - oleft;
    return out;
}

static const char s_majors[] =
    "code,name,level,industries,status\n"
    "460104,机电一体化技术,higher,equipment;auto,active\n"
    "\"470206\",\"化工智能制造技术\",higher,chemical,active\n"
    "510201,\"计算机应用技术，含“引号”\",secondary,digital,closed\n";

/* Rows keyed by ID numbers have their pseudonyms made eight at a time
 * (import_rows.c): each record is under node_pseudo_id of its number,
 * across groups of 8, 8 and 5; a number given twice is refused in line
 * order among the other rows' errors that came before its group was
 * kept (lines 5, 7, 12, 13), and at the file's end (line 23). */
static void
test_pseudonyms_together(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    enum { S_N = 21 };
    char ids[S_N][19], csv[4096];
    size_t used = (size_t)snprintf(csv, sizeof csv,
                                   "id_number,level,intake_year,status\n");
    for (size_t i = 0; i < S_N; i++) {
        char stem[18];
        snprintf(stem, sizeof stem, "340803200501%05zu", i);
        s_id(stem, ids[i]);
        used += (size_t)snprintf(csv + used, sizeof csv - used,
                                 "%s,higher,2024,enrolled\n", ids[i]);
    }
    assert_int_equal(
        s_import(st, &st->a, "student", csv, used, false, false, &res), 0);
    assert_int_equal(res.added, S_N);
    node_import_result_release(&res);
    for (size_t i = 0; i < S_N; i++) {
        char pid[NODE_PSEUDO_ID_HEX + 1];
        proto_buf_t b;
        proto_buf_init(&b);
        assert_int_equal(node_pseudo_id(st->key, ids[i], pid), 0);
        if (!s_body(&st->a, "student", pid, &b))
            fail_msg("row %zu (%s) is not under its pseudo_id", i, ids[i]);
        proto_buf_release(&b);
    }

    /* lines: 2.. hold ids[0..]; line 5 gives line 3's number again, 7 a
     * bad status, 12 line 2's number, 13 a bad year, 23 line 4's */
    used = (size_t)snprintf(csv, sizeof csv,
                            "id_number,level,intake_year,status\n");
    for (size_t line = 2; line <= 23; line++) {
        const char *id = line == 5    ? ids[1]
                         : line == 12 ? ids[0]
                         : line == 23 ? ids[2]
                                      : ids[line - 2];
        used += (size_t)snprintf(
            csv + used, sizeof csv - used, "%s,higher,%s,%s\n", id,
            line == 13 ? "1999" : "2024", line == 7 ? "enroled" : "enrolled");
    }
    assert_int_equal(
        s_import(st, &st->b, "student", csv, used, true, false, &res),
        VOCFED_EINVALID);
    static const size_t lines[] = {5, 7, 12, 13, 23};
    static const size_t firsts[] = {3, 0, 2, 0, 4};
    assert_int_equal(res.nerrors, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(res.errors[i].line, lines[i]);
        if (firsts[i]) {
            char want[64];
            snprintf(want, sizeof want, "the same key as line %zu", firsts[i]);
            assert_string_equal(res.errors[i].reason_en, want);
            assert_string_equal(res.errors[i].column, "id_number");
            assert_string_equal(res.errors[i].value, ids[firsts[i] - 2]);
        }
    }
    node_import_result_release(&res);
}

/* Keys given twice in a file of thousands of rows (the set of keys
 * grows several times as it reads): each later row is refused naming the
 * line of the first, also across the set's growth, and nothing is
 * written; the file without them imports every row. */
static void
test_duplicate_keys(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    enum { S_ROWS = 5000 };
    size_t cap = 64 + (S_ROWS + 2) * 48;
    char *csv = malloc(cap);
    assert_non_null(csv);
    size_t n =
        (size_t)snprintf(csv, cap, "code,name,level,industries,status\n");
    for (int i = 0; i < S_ROWS; i++)
        n += (size_t)snprintf(csv + n, cap - n, "M%05d,m,higher,auto,active\n",
                              i);
    size_t good = n;
    /* line 2 holds M00000, line 3001 M02999 */
    n += (size_t)snprintf(csv + n, cap - n, "M02999,m,higher,auto,active\n");
    n += (size_t)snprintf(csv + n, cap - n, "M00000,m,higher,auto,active\n");
    assert_int_equal(s_import(st, &st->a, "major", csv, n, false, false, &res),
                     VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 2);
    assert_int_equal(res.errors[0].line, S_ROWS + 2);
    assert_string_equal(res.errors[0].value, "M02999");
    assert_non_null(strstr(res.errors[0].reason_en, "line 3001"));
    assert_int_equal(res.errors[1].line, S_ROWS + 3);
    assert_non_null(strstr(res.errors[1].reason_en, "line 2"));
    assert_int_equal(s_size(&st->a), 0);
    node_import_result_release(&res);

    assert_int_equal(
        s_import(st, &st->a, "major", csv, good, false, false, &res), 0);
    assert_int_equal(res.added, S_ROWS);
    assert_int_equal(s_size(&st->a), S_ROWS);
    node_import_result_release(&res);
    free(csv);
}

/* GB18030 and a BOM read like plain UTF-8: the same records. */
static void
test_encodings(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    size_t glen;
    char *gb = s_iconv(s_majors, "GB18030", &glen);
    assert_true(glen != strlen(s_majors)); /* really another encoding */
    assert_false(s_has(gb, glen, "机电", strlen("机电")));

    assert_int_equal(
        s_import(st, &st->a, "major", s_majors, 0, false, false, &res), 0);
    assert_int_equal(res.encoding, NODE_ENC_UTF8);
    assert_false(res.bom);
    assert_int_equal(res.added, 3);
    node_import_result_release(&res);
    assert_int_equal(
        s_import(st, &st->b, "major", gb, glen, false, false, &res), 0);
    assert_int_equal(res.encoding, NODE_ENC_GB18030);
    assert_int_equal(res.added, 3);
    node_import_result_release(&res);

    const char *keys[] = {"460104", "470206", "510201"};
    proto_buf_t x, y;
    proto_buf_init(&x);
    proto_buf_init(&y);
    for (size_t i = 0; i < 3; i++) {
        assert_true(s_body(&st->a, "major", keys[i], &x));
        assert_true(s_body(&st->b, "major", keys[i], &y));
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, x.len);
    }
    proto_value_t v;
    assert_true(s_body(&st->b, "major", "510201", &y));
    assert_int_equal(proto_body_get(y.data, y.len, "name", &v), 0);
    assert_int_equal(v.slen, strlen("计算机应用技术，含“引号”"));
    assert_memory_equal(v.s, "计算机应用技术，含“引号”", v.slen);

    /* A UTF-8 BOM: the same records again, so nothing to write. */
    char bom[sizeof s_majors + 3];
    snprintf(bom, sizeof bom, "\xef\xbb\xbf%s", s_majors);
    assert_int_equal(s_import(st, &st->a, "major", bom, 0, false, false, &res),
                     0);
    assert_true(res.bom);
    assert_int_equal(res.unchanged, 3);
    assert_int_equal(res.added + res.changed, 0);
    node_import_result_release(&res);
    /* GB18030's own BOM. */
    char *gbom = malloc(glen + 4);
    assert_non_null(gbom);
    memcpy(gbom, "\x84\x31\x95\x33", 4);
    memcpy(gbom + 4, gb, glen);
    assert_int_equal(
        s_import(st, &st->b, "major", gbom, glen + 4, false, false, &res), 0);
    assert_true(res.bom);
    assert_int_equal(res.unchanged, 3);
    node_import_result_release(&res);
    free(gbom);

    /* Forced to UTF-8, the GB18030 file is bad at its second line. */
    node_import_opts_t opts = {.kind = "major", .encoding = NODE_ENC_UTF8};
    assert_int_equal(node_import(st->b.store, S_AUTHOR, st->b.sk, &opts,
                                 (const uint8_t *)gb, glen, &res),
                     VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(res.errors[0].line, 2);
    node_import_result_release(&res);
    /* CRLF line ends read the same. */
    char crlf[512];
    size_t n = 0;
    for (const char *p = s_majors; *p; p++) {
        if (*p == '\n')
            crlf[n++] = '\r';
        crlf[n++] = *p;
    }
    crlf[n] = '\0';
    assert_int_equal(s_import(st, &st->a, "major", crlf, 0, false, false, &res),
                     0);
    assert_int_equal(res.unchanged, 3);
    node_import_result_release(&res);

    proto_buf_release(&x);
    proto_buf_release(&y);
    free(gb);
}

/* Re-importing adds nothing; a change writes one entry; --sync deletes;
 * each import is one append. */
static void
test_reimport_sync(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    assert_int_equal(
        s_import(st, &st->a, "major", s_majors, 0, false, false, &res), 0);
    assert_int_equal(res.first_seq, 1);
    assert_int_equal(res.last_seq, 3);
    assert_int_equal(res.head.size, 3);
    node_import_result_release(&res);
    proto_buf_t cp;
    proto_buf_init(&cp);
    assert_int_equal(store_checkpoint_latest(st->a.store, S_AUTHOR, &cp), 0);
    proto_buf_release(&cp);

    assert_int_equal(
        s_import(st, &st->a, "major", s_majors, 0, false, false, &res), 0);
    assert_int_equal(res.rows, 3);
    assert_int_equal(res.unchanged, 3);
    assert_int_equal(res.last_seq, 0);
    assert_int_equal(s_size(&st->a), 3);
    node_import_result_release(&res);

    /* One row changed, one gone: without sync the gone one stays. */
    static const char two[] =
        "code,name,level,industries,status\n"
        "460104,机电一体化技术,higher,equipment;auto,closed\n"
        "470206,化工智能制造技术,higher,chemical,active\n";
    assert_int_equal(s_import(st, &st->a, "major", two, 0, false, false, &res),
                     0);
    assert_int_equal(res.changed, 1);
    assert_int_equal(res.unchanged, 1);
    assert_int_equal(res.deleted, 0);
    assert_int_equal(res.first_seq, 4);
    assert_int_equal(res.last_seq, 4);
    node_import_result_release(&res);
    proto_buf_t b;
    proto_buf_init(&b);
    assert_true(s_body(&st->a, "major", "510201", &b));

    /* --check --sync counts the deletion and writes nothing; 1 of 3 is
     * more than 10%: refused, with or without check, unless allowed. */
    for (int check = 1; check >= 0; check--) {
        assert_int_equal(
            s_import(st, &st->a, "major", two, 0, check, true, &res),
            VOCFED_EDENIED);
        assert_true(res.delete_refused);
        assert_int_equal(res.deleted, 1);
        assert_int_equal(res.current, 3);
        assert_string_equal(res.del_keys, "510201");
        assert_int_equal(res.nerrors, 1);
        assert_int_equal(res.errors[0].line, 0);
        assert_string_equal(
            res.errors[0].reason_en,
            "--sync would delete 1 of the 3 major records (more than 10%): "
            "nothing written. Check that the file is whole; to delete them, "
            "run it again with --allow-delete 1");
        assert_string_equal(
            res.errors[0].reason_zh,
            "--sync 将删除现有 3 条专业记录中的 1 条（超过 10%）：未写入任何"
            "记录。请核对文件是否完整；确需删除，请加 --allow-delete 1 再运行");
        assert_int_equal(s_size(&st->a), 4);
        node_import_result_release(&res);
    }
    node_import_opts_t allow = {.kind = "major",
                                .check = true,
                                .sync = true,
                                .allow_delete_set = true,
                                .allow_delete = 1};
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &allow,
                                 (const uint8_t *)two, strlen(two), &res),
                     0);
    assert_int_equal(res.deleted, 1);
    assert_string_equal(res.del_keys, "510201");
    assert_int_equal(s_size(&st->a), 4);
    node_import_result_release(&res);
    /* A header-only file may not delete anything at all. */
    allow.allow_delete = 2;
    allow.check = false;
    static const char none[] = "code,name,level,industries,status\n";
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &allow,
                                 (const uint8_t *)none, strlen(none), &res),
                     VOCFED_EDENIED);
    assert_int_equal(res.deleted, 3);
    assert_non_null(strstr(res.errors[0].reason_en,
                           "delete 3 of the 3 major records (the file has no "
                           "rows)"));
    assert_non_null(strstr(res.errors[0].reason_zh, "文件中没有数据行"));
    assert_int_equal(s_size(&st->a), 4);
    node_import_result_release(&res);
    allow.allow_delete = 1;
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &allow,
                                 (const uint8_t *)two, strlen(two), &res),
                     0);
    assert_int_equal(res.deleted, 1);
    assert_int_equal(res.unchanged, 2);
    assert_int_equal(res.first_seq, 5);
    assert_int_equal(res.last_seq, 5);
    node_import_result_release(&res);
    assert_false(s_body(&st->a, "major", "510201", &b));
    /* Again: in sync, nothing to do. */
    assert_int_equal(s_import(st, &st->a, "major", two, 0, false, true, &res),
                     0);
    assert_int_equal(res.deleted + res.added + res.changed, 0);
    assert_int_equal(s_size(&st->a), 5);
    node_import_result_release(&res);
    /* Other kinds are not touched by a sync. */
    assert_int_equal(s_import(st, &st->a, "posts",
                              "year,authorised_posts,self_hired_posts\n"
                              "2024,120,24\n",
                              0, false, false, &res),
                     0);
    node_import_result_release(&res);
    assert_int_equal(s_import(st, &st->a, "major", two, 0, false, true, &res),
                     0);
    assert_int_equal(res.deleted, 0);
    node_import_result_release(&res);
    assert_true(s_body(&st->a, "posts", "2024", &b));
    proto_buf_release(&b);
}

/* Called for every entry: fails the test if it holds needle. */
typedef struct {
    const char *needle[16]; /* what must not be there */
    size_t n;               /* how many */
    size_t entries;         /* entries seen */
} s_scan_t;

static int
s_no_needle(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    s_scan_t *sc = ctx;
    (void)seq;
    sc->entries++;
    for (size_t i = 0; i < sc->n; i++)
        assert_false(s_has(data, len, sc->needle[i], strlen(sc->needle[i])));
    return 0;
}

/* Direct identifiers stay on the member: ID numbers become pseudo_ids,
 * names are dropped; neither is anywhere in the store. */
static void
test_no_identifiers(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    const char *csv = s_students("enrolled", "2024", false);
    assert_int_equal(
        s_import(st, &st->a, "student", csv, 0, false, false, &res), 0);
    assert_int_equal(res.added, S_NSTEMS);
    assert_true(res.dropped_name);
    node_import_result_release(&res);

    s_scan_t sc = {.n = 0};
    static char ids[S_NSTEMS][19];
    for (size_t i = 0; i < S_NSTEMS; i++) {
        s_id(s_stems[i], ids[i]);
        sc.needle[sc.n++] = ids[i];
        /* The record is there under the pseudo_id of the number. */
        char pid[NODE_PSEUDO_ID_HEX + 1];
        proto_buf_t b;
        proto_value_t v;
        proto_buf_init(&b);
        assert_int_equal(node_pseudo_id(st->key, ids[i], pid), 0);
        assert_true(s_body(&st->a, "student", pid, &b));
        assert_int_equal(proto_body_get(b.data, b.len, "name", &v),
                         VOCFED_ENOTFOUND);
        assert_int_equal(proto_body_get(b.data, b.len, "level", &v), 0);
        proto_buf_release(&b);
    }
    sc.needle[sc.n++] = "学生";
    sc.needle[sc.n++] = "34080320050101"; /* any stem, any ID */
    assert_int_equal(
        store_scan_entries(st->a.store, S_AUTHOR, 1, s_no_needle, &sc), 0);
    assert_int_equal(sc.entries, S_NSTEMS);

    /* Nor in the store's files, indexes and free pages included. */
    store_destroy(&st->a.store);
    char path[256];
    size_t len;
    snprintf(path, sizeof path, "%s/data.mdb", st->a.dir);
    uint8_t *file = th_read_file(path, &len);
    assert_non_null(file);
    for (size_t i = 0; i < sc.n; i++)
        assert_false(s_has(file, len, sc.needle[i], strlen(sc.needle[i])));
    free(file);
}

/* Two members with the same linkage key give one person one pseudo_id;
 * the key file's rules. */
static void
test_linkage(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    uint8_t *ka = NULL, *kb = NULL, *k2 = NULL;
    char id[19], csv[512], pa[NODE_PSEUDO_ID_HEX + 1], pb[65], fa[17], fb[17];
    struct stat sb;
    char path[256];

    assert_int_equal(node_linkage_load(st->a.dir, &ka), VOCFED_ENOTFOUND);
    assert_int_equal(node_linkage_store(st->a.dir, st->key, false), 0);
    assert_int_equal(node_linkage_store(st->b.dir, st->key, false), 0);
    assert_int_equal(node_linkage_store(st->b.dir, st->key, false),
                     VOCFED_EEXISTS);
    snprintf(path, sizeof path, "%s/linkage.key", st->a.dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, NODE_LINKAGE_KEY_LEN);
    assert_int_equal(node_linkage_load(st->a.dir, &ka), 0);
    assert_int_equal(node_linkage_load(st->b.dir, &kb), 0);
    assert_memory_equal(ka, st->key, NODE_LINKAGE_KEY_LEN);
    node_linkage_fingerprint(ka, fa);
    node_linkage_fingerprint(kb, fb);
    assert_string_equal(fa, fb);
    assert_int_equal(strlen(fa), 16);

    /* The same person: at a with a lower-case x and spaces, at b as a
     * graduate. */
    s_id("11010519491231002", id); /* check digit X */
    assert_int_equal(id[17], 'X');
    char lower[24];
    snprintf(lower, sizeof lower, "  %.17sx ", id);
    assert_int_equal(node_pseudo_id(ka, lower, pa), 0);
    assert_int_equal(node_pseudo_id(kb, id, pb), 0);
    assert_string_equal(pa, pb);
    assert_true(node_pseudo_id_valid(pa, strlen(pa)));
    /* It is the keyed BLAKE2b-256 of the number (SPEC 11.3). */
    uint8_t h[32];
    char hex[65];
    crypto_generichash(h, sizeof h, (const uint8_t *)id, 18, st->key,
                       NODE_LINKAGE_KEY_LEN);
    proto_hex(h, sizeof h, hex);
    assert_string_equal(pa, hex);

    snprintf(csv, sizeof csv,
             "id_number,level,intake_year,status\n\"%s\",higher,2024,"
             "enrolled\n",
             lower);
    node_import_opts_t opts = {.kind = "student", .linkage_key = ka};
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &opts,
                                 (const uint8_t *)csv, strlen(csv), &res),
                     0);
    node_import_result_release(&res);
    snprintf(csv, sizeof csv,
             "id_number,level,grad_year,destination,workplace_region\n"
             "%s,higher,2024,employed,340803\n",
             id);
    opts = (node_import_opts_t){.kind = "graduate", .linkage_key = kb};
    assert_int_equal(node_import(st->b.store, S_AUTHOR, st->b.sk, &opts,
                                 (const uint8_t *)csv, strlen(csv), &res),
                     0);
    node_import_result_release(&res);
    proto_buf_t b;
    char gkey[80];
    proto_buf_init(&b);
    assert_true(s_body(&st->a, "student", pa, &b));
    snprintf(gkey, sizeof gkey, "%s:2024", pb);
    assert_true(s_body(&st->b, "graduate", gkey, &b));
    proto_buf_release(&b);

    /* Another key gives another pseudo_id; --replace swaps the file. */
    assert_int_equal(node_linkage_generate(&k2), 0);
    assert_int_equal(node_pseudo_id(k2, id, pb), 0);
    assert_string_not_equal(pa, pb);
    assert_int_equal(node_linkage_store(st->a.dir, k2, true), 0);
    node_linkage_free(&ka);
    assert_int_equal(node_linkage_load(st->a.dir, &ka), 0);
    assert_memory_equal(ka, k2, NODE_LINKAGE_KEY_LEN);
    /* An unsafe key file is refused. */
    assert_int_equal(chmod(path, 0640), 0);
    node_linkage_free(&ka);
    assert_int_equal(node_linkage_load(st->a.dir, &ka), VOCFED_EKEY);
    assert_null(ka);

    /* Numbers that are not numbers. */
    assert_int_equal(node_pseudo_id(kb, "", pb), VOCFED_EINVALID);
    assert_int_equal(node_pseudo_id(kb, "   ", pb), VOCFED_EINVALID);
    assert_int_equal(node_pseudo_id(kb, "3408 0320", pb), VOCFED_EINVALID);
    assert_int_equal(node_pseudo_id(kb, "34080319490101001", pb), 0);
    node_linkage_free(&kb);
    node_linkage_free(&k2);
    node_linkage_free(&ka);
    node_linkage_free(&ka); /* NULL again: fine */
}

/* Runs vocfed with stdout on a pseudo-terminal; returns the exit code
 * and what it printed there. */
static int
s_run_tty(const char *const *argv, char *out, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (dup2(s, STDOUT_FILENO) < 0 || null < 0 ||
            dup2(null, STDERR_FILENO) < 0)
            _exit(126);
        execv(VOCFED_BINARY, (char *const *)argv);
        _exit(127);
    }
    close(s);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    ssize_t n = read(m, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    close(m);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The commands: linkage-key generate / import (refused on the
 * coordinator), and vocfed import end to end. */
/* get and del by ID number (issue 13): the pseudo_id is made locally;
 * the number is never printed; a raw number as KEY gets the way to look
 * it up. m holds the students of s_students and the linkage key. */
static void
s_id_commands(s_state_t *st, const char *m)
{
    th_run_t r;
    char id[19], pid[NODE_PSEUDO_ID_HEX + 1];
    uint8_t *lk = NULL;
    (void)st;
    s_id(s_stems[1], id);
    assert_int_equal(node_linkage_load(m, &lk), 0);
    assert_int_equal(node_pseudo_id(lk, id, pid), 0);
    node_linkage_free(&lk);
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", m, "get", "student", "--id-number", id),
        NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, pid));
    assert_null(strstr(r.out, id));
    th_run_free(&r);
    /* the number as KEY: no record, and how to look it up */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "get", "student", id), NULL);
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.err, id));
    assert_non_null(strstr(r.err, "it looks like an ID-card number"));
    assert_non_null(strstr(r.err, "vocfed get student --id-number NUMBER"));
    assert_non_null(strstr(r.err, "vocfed get student --id-number 身份证号"));
    th_run_free(&r);
    /* a graduate needs its year; a kind of no person none */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "get", "graduate", "--id-number",
                    id),
            NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--grad-year"));
    th_run_free(&r);
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", m, "get", "major", "--id-number", id),
        NULL);
    assert_int_equal(r.status, 2);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "del", "student", id), NULL);
    assert_int_equal(r.status, 2);
    assert_null(strstr(r.err, id));
    assert_non_null(strstr(r.err, "--id-number"));
    th_run_free(&r);
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", m, "del", "student", "--id-number", id),
        NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, pid));
    th_run_free(&r);
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", m, "get", "student", "--id-number", id),
        NULL);
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.err, id));
    th_run_free(&r);
}

static void
test_commands(void **state)
{
    s_state_t *st = *state;
    char c[128], m[128], keyfile[160], csv[160], path[200], out[256];
    th_run_t r;
    struct stat sb;
    snprintf(c, sizeof c, "%s/coord", st->root);
    snprintf(m, sizeof m, "%s/member", st->root);
    snprintf(keyfile, sizeof keyfile, "%s/group.key", st->root);
    snprintf(csv, sizeof csv, "%s/students.csv", st->root);

    /* generate: 64 hex digits and a newline, into a file; never on a
     * terminal without --force. */
    th_exec(&r, st->root, NULL,
            TH_ARGS(VOCFED_BINARY, "linkage-key", "generate"), NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 65);
    assert_int_equal(r.out[64], '\n');
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", r.out[i]));
    FILE *f = fopen(keyfile, "w");
    assert_non_null(f);
    fputs(r.out, f);
    fclose(f);
    th_run_free(&r);
    assert_int_equal(
        s_run_tty(TH_ARGS(VOCFED_BINARY, "linkage-key", "generate"), out,
                  sizeof out),
        2);
    assert_int_equal(strlen(out), 0);
    assert_int_equal(
        s_run_tty(TH_ARGS(VOCFED_BINARY, "linkage-key", "generate", "--force"),
                  out, sizeof out),
        0);
    assert_true(strlen(out) >= 64);

    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "init", "--coordinator", "--id",
                    "anqing", "--name", "集团"),
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "init", "--id", S_AUTHOR,
                    "--name", "学院", "--role", "school"),
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);

    /* The coordinator must never hold the key. */
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", c, "linkage-key", "import", keyfile),
        NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "must never hold"));
    th_run_free(&r);
    snprintf(path, sizeof path, "%s/linkage.key", c);
    assert_int_equal(stat(path, &sb), -1);
    assert_int_equal(errno, ENOENT);

    /* A member: no key yet, so an id_number column is refused (3). */
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs(s_students("enrolled", "2024", false), f);
    fclose(f);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv), NULL);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "linkage-key import"));
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "linkage-key", "import", keyfile,
                    "--json"),
            NULL);
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_true(json_is_true(th_jget(j, "changed", NULL)));
    json_decref(j);
    th_run_free(&r);
    snprintf(path, sizeof path, "%s/linkage.key", m);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "linkage-key", "import", csv),
            NULL);
    assert_int_equal(r.status, 1); /* not a key */
    th_run_free(&r);

    /* import: --check, then for real, then again (nothing to write). */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                    "--check", "--json"),
            NULL);
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(th_jint(j, "new", NULL), S_NSTEMS);
    assert_int_equal(th_jint(j, "last_seq", NULL), 0);
    json_decref(j);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv), NULL);
    if (r.status != 0)
        print_error("%s%s", r.out, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "seq 1..6"));
    assert_non_null(strstr(r.out, "name column dropped"));
    th_run_free(&r);
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv, "--json"),
        NULL);
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(th_jint(j, "unchanged", NULL), S_NSTEMS);
    assert_int_equal(th_jint(j, "first_seq", NULL), 0);
    /* bulk work: 10 steps lower in CPU priority than its parent (at most
     * 19), unless --nice says otherwise */
    errno = 0;
    int base = getpriority(PRIO_PROCESS, 0);
    assert_false(base == -1 && errno);
    assert_int_equal(th_jint(j, "nice", NULL), base + 10 > 19 ? 19 : base + 10);
    json_decref(j);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                    "--json", "--nice", "0"),
            NULL);
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(th_jint(j, "nice", NULL), base);
    json_decref(j);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                    "--nice", "20"),
            NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--nice '20' is not a number from 0 to 19"));
    th_run_free(&r);

    /* A bad row: exit 1, the row on stdout, nothing written. */
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs(s_students("enroled", "2024", false), f);
    fclose(f);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv), NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "line 4"));
    assert_non_null(strstr(r.out, "status"));
    assert_non_null(strstr(r.out, "\"enroled\""));
    assert_non_null(strstr(r.err, "nothing written"));
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                    "--check", "--json"),
            NULL);
    assert_int_equal(r.status, 1);
    j = th_json(r.out);
    json_t *e = json_array_get(th_jget(j, "errors", NULL), 0);
    assert_int_equal(th_jint(e, "line", NULL), 4);
    assert_string_equal(json_string_value(th_jget(e, "value", NULL)),
                        "enroled");
    json_decref(j);
    th_run_free(&r);
    th_exec(&r, NULL, NULL, TH_ARGS(VOCFED_BINARY, "--dir", m, "verify"), NULL);
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 6 entries, 1 checkpoint", 27) == 0);
    th_run_free(&r);

    /* Usage: an unknown kind, a coordinator's kind on a member. */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "pupil", csv), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "student"));
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "target", csv), NULL);
    assert_int_equal(r.status, 2);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                    "--encoding", "latin1"),
            NULL);
    assert_int_equal(r.status, 2);
    th_run_free(&r);
    /* A folder given for the file: said so, not "Invalid argument". */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", m), NULL);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "Is a directory"));
    th_run_free(&r);
    s_id_commands(st, m);
}

/* The kinds table carries each kind's import rules: people's kinds take
 * id_number and name columns and a pseudo_id key, the others refuse
 * them; a kind with one fixed key needs no key column; graduate's key
 * ends with the year of its key_year field. */
static void
test_kind_rules(void **state)
{
    (void)state;
    size_t n;
    const proto_kind_def_t *k = proto_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        if (k[i].person) {
            assert_string_equal(k[i].key_column, "pseudo_id");
            assert_true(k[i].key_form == PROTO_KEY_PSEUDO ||
                        k[i].key_form == PROTO_KEY_PSEUDO_YEAR);
        }
        if (k[i].key_form == PROTO_KEY_FIXED)
            assert_non_null(k[i].key_fixed);
        if (k[i].key_form == PROTO_KEY_PSEUDO_YEAR) {
            const proto_field_def_t *f =
                proto_kind_field(&k[i], k[i].key_year, strlen(k[i].key_year));
            assert_non_null(f);
            assert_int_equal(f->type, PROTO_FT_YEAR);
            assert_true(f->required);
        }
    }
    assert_true(proto_kind_find("student")->person);
    assert_true(proto_kind_find("staff")->person);
    assert_true(proto_kind_find("graduate")->person);
    assert_false(proto_kind_find("major")->person);

    node_import_opts_t o = {.kind = "major"};
    node_import_result_t res;
    const char *csv = "id_number,name,level,status\n1,x,higher,active\n";
    assert_int_equal(
        node_import_parse(&o, (const uint8_t *)csv, strlen(csv), &res),
        VOCFED_EINVALID);
    assert_true(res.nerrors >= 1);
    assert_string_equal(res.errors[0].column, "id_number");
    node_import_result_release(&res);

    o.kind = "member";
    csv = "name_zh,role,original_affiliation,region_code\n"
          "职院,lead,市政府,340803\n";
    assert_int_equal(
        node_import_parse(&o, (const uint8_t *)csv, strlen(csv), &res), 0);
    assert_int_equal(res.rows, 1);
    node_import_result_release(&res);

    o.kind = "graduate";
    csv = "pseudo_id,level,grad_year,destination\n"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
          "higher,2025,employed\n";
    assert_int_equal(
        node_import_parse(&o, (const uint8_t *)csv, strlen(csv), &res), 0);
    node_import_result_release(&res);

    proto_kind_error_t err;
    assert_int_equal(
        proto_kind_check_key(proto_kind_find("graduate"), "abc", &err),
        VOCFED_EINVALID);
    assert_non_null(strstr(err.reason_en, "pseudo_id:grad_year"));
    assert_non_null(strstr(err.reason_zh, "毕业年份"));
    assert_int_equal(
        proto_kind_check_key(proto_kind_find("posts"), "20x5", &err),
        VOCFED_EINVALID);
    assert_string_equal(err.reason_zh, "编制记录的键应为年份");
    assert_int_equal(
        proto_kind_check_key(proto_kind_find("member"), "other", &err),
        VOCFED_EINVALID);
    assert_string_equal(err.reason_en, "the key of member is 'profile'");
}

/* `vocfed import school` at the coordinator registers source schools;
 * a member is refused with the reason; a target or rule whose id is not
 * in the figure catalogue is refused by put and by import (SPEC 11.1). */
static void
test_schools_and_catalogue(void **state)
{
    s_state_t *st = *state;
    char c[128], m[128], csv[160], bad[160], tcsv[160];
    th_run_t r;
    snprintf(c, sizeof c, "%s/coord2", st->root);
    snprintf(m, sizeof m, "%s/member2", st->root);
    snprintf(csv, sizeof csv, "%s/schools.csv", st->root);
    snprintf(bad, sizeof bad, "%s/bad_schools.csv", st->root);
    snprintf(tcsv, sizeof tcsv, "%s/targets.csv", st->root);
    th_write_text(csv, "code,name,region_code\n"
                       "jh01,安庆市第十四中学,340803\n"
                       "jh02,怀宁县石牌初级中学,340822\n");
    th_write_text(bad, "code,name,region_code\njh03,桐城二中,3408\n");
    th_write_text(tcsv, "key,value\nhv_enrolled:2027,15000\n"
                        "no_such_figure:2027,1\n");
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "init", "--coordinator", "--id",
                    "anqing", "--name", "集团"),
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "init", "--id", S_AUTHOR,
                    "--name", "学院", "--role", "school"),
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);

    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "import", "school", csv), NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "get", "school", "jh02"), NULL);
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_string_equal(
        json_string_value(th_jget(j, "body", "region_code", NULL)), "340822");
    json_decref(j);
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "import", "school", bad), NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "region_code"));
    th_run_free(&r);
    /* A member does not register schools. */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "school", csv), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "school"));
    assert_non_null(strstr(r.err, "coordinator's"));
    th_run_free(&r);

    /* Targets and rules name the catalogue. */
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "import", "target", tcsv), NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "no_such_figure:2027"));
    assert_non_null(strstr(r.out, "not a figure of the catalogue"));
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "put", "target",
                    "no_such_figure:2027", "value=1"),
            NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "not a figure of the catalogue"));
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "put", "subsidy_rule",
                    "no_such_rule:2026", "amount=1"),
            NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "not a subsidy rule"));
    th_run_free(&r);
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", c, "put", "subsidy_rule",
                    "coop_class_subsidy:2026", "amount=120000"),
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
}

/* ---- in chunks, lean, interrupted ---------------------------------------
 */

#define S_MANY 50 /* rows of the chunked imports */

/* A student file of S_MANY rows; with bump, row `bump` has another
 * status. */
static void
s_many_csv(const char *path, size_t bump)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("id_number,name,level,major,intake_year,status,origin_region\n", f);
    for (size_t i = 0; i < S_MANY; i++) {
        char stem[18], id[19];
        snprintf(stem, sizeof stem, "340803200501%05zu", i);
        s_id(stem, id);
        fprintf(f, "%s,学生%zu,higher,460104,2024,%s,340803\n", id, i,
                bump && i == bump ? "graduated" : "enrolled");
    }
    fclose(f);
}

/* Rows written in chunks of 7 (8 transactions, 8 checkpoints), kept
 * whole or lean (a body budget of one byte: digests, and the file read
 * again to write): the same log either way; a re-import writes nothing,
 * one changed row writes one entry. */
static void
test_chunks(void **state)
{
    s_state_t *st = *state;
    char csv[160];
    snprintf(csv, sizeof csv, "%s/many.csv", st->root);
    s_many_csv(csv, 0);
    s_node_t *nodes[2] = {&st->a, &st->b};
    store_head_t heads[2];
    for (int lean = 0; lean < 2; lean++) {
        s_node_t *n = nodes[lean];
        node_import_opts_t opts = {.kind = "student",
                                   .linkage_key = st->key,
                                   .chunk_rows = 7,
                                   .body_budget = lean ? 1 : 0};
        node_import_result_t res;
        assert_int_equal(
            node_import_file(n->store, S_AUTHOR, n->sk, &opts, csv, &res), 0);
        assert_int_equal(res.added, S_MANY);
        assert_int_equal(res.first_seq, 1);
        assert_int_equal(res.last_seq, S_MANY);
        heads[lean] = res.head;
        node_import_result_release(&res);
        assert_int_equal(s_size(n), S_MANY);
        /* the same file again: nothing */
        assert_int_equal(
            node_import_file(n->store, S_AUTHOR, n->sk, &opts, csv, &res), 0);
        assert_int_equal(res.unchanged, S_MANY);
        assert_int_equal(res.last_seq, 0);
        node_import_result_release(&res);
        /* one row changed: one entry */
        s_many_csv(csv, 33);
        assert_int_equal(
            node_import_file(n->store, S_AUTHOR, n->sk, &opts, csv, &res), 0);
        assert_int_equal(res.changed, 1);
        assert_int_equal(res.unchanged, S_MANY - 1);
        assert_int_equal(res.first_seq, S_MANY + 1);
        assert_int_equal(res.last_seq, S_MANY + 1);
        node_import_result_release(&res);
        s_many_csv(csv, 0);
    }
    /* Both logs hold the same records (signed by different keys). */
    proto_buf_t x, y;
    proto_buf_init(&x);
    proto_buf_init(&y);
    assert_int_equal(heads[0].size, heads[1].size);
    for (size_t i = 0; i < S_MANY; i++) {
        char stem[18], id[19], key[NODE_PSEUDO_ID_HEX + 1];
        snprintf(stem, sizeof stem, "340803200501%05zu", i);
        s_id(stem, id);
        assert_int_equal(node_pseudo_id(st->key, id, key), 0);
        assert_true(s_body(&st->a, "student", key, &x));
        assert_true(s_body(&st->b, "student", key, &y));
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, x.len);
    }
    proto_buf_release(&x);
    proto_buf_release(&y);
}

/* ---- the check on two threads ----------------------------------------- */

/* Room made for a later part's rows while it is checked: the rows kept
 * as they were, the room zeroed, and take then moves nothing (the same
 * array) and puts the later rows after them. Too much room asked is
 * refused with nothing changed. */
static void
test_rows_room(void **state)
{
    (void)state;
    node_import_result_t r1 = {0}, r2 = {0};
    node_import_i_t a = {.res = &r1}, b = {.res = &r2};
    a.rows = calloc(3, sizeof *a.rows);
    b.rows = calloc(2, sizeof *b.rows);
    assert_non_null(a.rows);
    assert_non_null(b.rows);
    a.rowcap = a.nrows = 3;
    b.rowcap = b.nrows = 2;
    for (size_t i = 0; i < 3; i++)
        a.rows[i].line = i + 2;
    for (size_t i = 0; i < 2; i++)
        b.rows[i] = (node_import_i_row_t){.line = 10 + i, .state = 9};
    assert_int_equal(node_import_i_rows_room(&a, SIZE_MAX / 2), VOCFED_ENOMEM);
    assert_int_equal(a.rowcap, 3);
    assert_int_equal(node_import_i_rows_room(&a, 2), VOCFED_OK);
    assert_true(a.rowcap >= 5);
    assert_int_equal(a.nrows, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(a.rows[i].line, i + 2);
    for (size_t i = 3; i < 5; i++)
        assert_int_equal(a.rows[i].line + a.rows[i].state, 0);
    node_import_i_row_t *at = a.rows;
    assert_int_equal(node_import_i_take(&a, &b), VOCFED_OK);
    assert_ptr_equal(a.rows, at);
    assert_int_equal(a.nrows, 5);
    assert_int_equal(a.split, 3);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(a.rows[3 + i].line, 10 + i);
        assert_int_equal(a.rows[3 + i].part, 1);
    }
    node_import_i_seen_release(&a);
    free(a.rows);
    free(b.rows);
}

/* Whether a text is UTF-8, asked on two threads (split_min 1): the same
 * answer as one look at the whole, wherever the middle falls (the text
 * moved along by 0 .. 7 ASCII bytes before it), for texts whose middle
 * is inside a character, on a bad byte, a truncated character, an
 * overlong form, a surrogate, or a run of continuation bytes. */
static void
test_utf8_two_threads(void **state)
{
    (void)state;
    static const char *const middles[] = {
        "学生",                     /* good, 3-byte characters */
        "a\U0001F600b",             /* good, a 4-byte one */
        "ab\xe5\xad",               /* a character cut short */
        "\xe5\xad\xa6\xa6\xa6\xa6", /* continuation bytes run on */
        "\x80",                     /* a lone continuation byte */
        "\xc0\xaf",                 /* an overlong '/' */
        "\xed\xa0\x80",             /* a surrogate */
        "\xff",                     /* never in UTF-8 */
    };
    node_import_opts_t opts = {.split_min = 1};
    node_import_i_t im = {.opts = &opts};
    char text[64];
    for (size_t m = 0; m < sizeof middles / sizeof middles[0]; m++)
        for (size_t pad = 0; pad < 8; pad++)
            for (size_t tail = 0; tail < 8; tail++) {
                int n = snprintf(text, sizeof text, "%.*s%s%.*s", (int)pad,
                                 "xxxxxxxx", middles[m], (int)tail, "yyyyyyyy");
                assert_true(n > 0 && (size_t)n < sizeof text);
                bool whole = proto_utf8_valid(text, (size_t)n);
                assert_int_equal(node_import_i_utf8_valid(
                                     &im, (const uint8_t *)text, (size_t)n),
                                 whole);
                assert_int_equal(whole, m < 2);
            }
}

/* The same import, one pass and split in two (node/import_split.c): the
 * same return, counts and errors (lines, columns, values, reasons) and,
 * written, the same log. Each file is made so that what it tests falls on
 * both sides of its middle. */
typedef struct {
    int rc;
    node_import_result_t res;
} s_run_t;

static void
s_run_opts(s_state_t *st, s_node_t *n, const char *kind, const char *text,
           size_t len, size_t split_min, size_t budget, bool no_plain,
           s_run_t *out)
{
    node_import_opts_t opts = {.kind = kind,
                               .linkage_key = st->key,
                               .chunk_rows = 1000,
                               .body_budget = budget,
                               .time_ms = 1767225600000ull,
                               .split_min = split_min,
                               .test_no_plain = no_plain};
    out->rc = node_import(n->store, S_AUTHOR, n->sk, &opts,
                          (const uint8_t *)text, len, &out->res);
}

static void
s_run_one(s_state_t *st, s_node_t *n, const char *kind, const char *text,
          size_t len, size_t split_min, size_t budget, s_run_t *out)
{
    s_run_opts(st, n, kind, text, len, split_min, budget, false, out);
}

/* The two runs' results are the same, error for error, to the log's
 * root; both are released. */
static void s_same_results(s_run_t *one, s_run_t *two);

static void
s_same_split(s_state_t *st, const char *kind, const char *text, size_t budget)
{
    size_t len = strlen(text);
    s_run_t one, two;
    s_run_one(st, &st->a, kind, text, len, SIZE_MAX, budget, &one);
    s_run_one(st, &st->b, kind, text, len, 1, budget, &two);
    s_same_results(&one, &two);
}

static void
s_same_results(s_run_t *one_, s_run_t *two_)
{
    s_run_t one = *one_, two = *two_;
    assert_int_equal(one.rc, two.rc);
    assert_int_equal(one.res.rows, two.res.rows);
    assert_int_equal(one.res.added, two.res.added);
    assert_int_equal(one.res.changed, two.res.changed);
    assert_int_equal(one.res.unchanged, two.res.unchanged);
    assert_int_equal(one.res.header_bad, two.res.header_bad);
    assert_int_equal(one.res.dropped_name, two.res.dropped_name);
    assert_int_equal(one.res.nerrors, two.res.nerrors);
    for (size_t i = 0; i < one.res.nerrors; i++) {
        const node_import_error_t *x = &one.res.errors[i],
                                  *y = &two.res.errors[i];
        assert_int_equal(x->line, y->line);
        assert_string_equal(x->column, y->column);
        assert_string_equal(x->value, y->value);
        assert_string_equal(x->reason_en, y->reason_en);
        assert_string_equal(x->reason_zh, y->reason_zh);
    }
    assert_int_equal(one.res.head.size, two.res.head.size);
    assert_memory_equal(one.res.head.root, two.res.head.root,
                        sizeof one.res.head.root);
    node_import_result_release(&one.res);
    node_import_result_release(&two.res);
}

enum { S_SPLIT_ROWS = 400, S_SPLIT_CAP = 64 * 1024 };

/* Students 0 .. S_SPLIT_ROWS - 1 (line i + 2), with what `odd` puts in
 * row i's place when it returns true. */
typedef bool (*s_odd_fn)(size_t i, char *t, size_t cap);

static char *
s_split_students(s_odd_fn odd, const char *eol)
{
    char *t = calloc(1, S_SPLIT_CAP);
    assert_non_null(t);
    s_cat(t, S_SPLIT_CAP,
          "id_number,name,level,major,intake_year,status,origin_region%s", eol);
    for (size_t i = 0; i < S_SPLIT_ROWS; i++) {
        char stem[18], id[19];
        snprintf(stem, sizeof stem, "340803200601%05zu", i);
        s_id(stem, id);
        if (!odd || !odd(i, t, S_SPLIT_CAP))
            s_cat(t, S_SPLIT_CAP,
                  "%s,学生%zu,higher,460104,2024,enrolled,"
                  "340803%s",
                  id, i, eol);
    }
    return t;
}

/* Bad values on both sides of the middle. */
static bool
s_odd_values(size_t i, char *t, size_t cap)
{
    if (i % 37 != 5)
        return false;
    s_cat(t, cap, "34080320060100%03zu,x,higher,460104,%s,%s,340803\n", i,
          i % 2 ? "1890" : "2024", i % 3 ? "enrolled" : "asleep");
    return true;
}

/* The key of row 10 again in row 350 (across the middle), of row 250 in
 * row 300 (both in the second half). */
static bool
s_odd_dups(size_t i, char *t, size_t cap)
{
    if (i != 300 && i != 350)
        return false;
    char stem[18], id[19];
    snprintf(stem, sizeof stem, "340803200601%05zu",
             (size_t)(i == 350 ? 10 : 250));
    s_id(stem, id);
    s_cat(t, cap, "%s,again,higher,460104,2024,enrolled,340803\n", id);
    return true;
}

/* Quoted cells with line ends and doubled quotes, around the middle and
 * across the line where a cut by bytes alone would fall; blank lines. */
static bool
s_odd_quotes(size_t i, char *t, size_t cap)
{
    if (i < 180 || i > 230 || i % 4)
        return false;
    char stem[18], id[19];
    snprintf(stem, sizeof stem, "340803200601%05zu", i);
    s_id(stem, id);
    s_cat(t, cap,
          "%s,\"名\n字 \"\"%zu\"\"\n\",higher,460104,2024,enrolled,"
          "340803\n\n   \n",
          id, i);
    return true;
}

/* In row s_bad_at: a quote left open (the rest of the file is one
 * cell: no cut outside quotes, one pass) or quotes inside a cell that is
 * not quoted (not CSV: the check stops there). */
static size_t s_bad_at;
static bool s_bad_open;
static bool
s_odd_csv(size_t i, char *t, size_t cap)
{
    if (i != s_bad_at)
        return false;
    s_cat(t, cap, "3408032006010%04zu,%s,higher,460104,2024,enrolled,340803\n",
          i, s_bad_open ? "\"open" : "x\"y\"z");
    return true;
}

/* Plain lines read without libcsv (import_text.c, s_plain_line) give what
 * libcsv gives: a file of students in many line shapes, random but the
 * same for both runs, imported once with and once without that path
 * (test_no_plain), on one thread and on two: the same rows, errors
 * (line, column, value, reason) and log. The shapes: spaces and tabs
 * around and inside cells, CRLF and LF, a carriage return inside a line,
 * blank and white lines, a line of commas, a cell too many, one too few,
 * quoted cells (one across lines), a quote inside a cell, Chinese text,
 * bad values, and no line end at the end. */
static char *
s_shapes_text(uint64_t seed, size_t rows, bool last_eol, bool clean)
{
    /* clean: only shapes that read as good rows, each of another student */
    static const int good[] = {0, 1, 5, 6, 10, 12};
    size_t cap = rows * 200 + 512;
    char *t = calloc(1, cap);
    assert_non_null(t);
    s_cat(t, cap,
          "id_number, name ,level,major,intake_year,status,origin_region\n");
    uint64_t r = seed * 2654435761u + 1;
    for (size_t i = 0; i < rows; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        char stem[48], id[19]; /* 17 digits (s_id checks) */
        /* clean: students no other seed has */
        snprintf(stem, sizeof stem, "3408032005%02u%05zu",
                 clean ? (unsigned)(seed % 100) : 1u, clean ? i : i % 300);
        s_id(stem, id);
        const char *eol = r % 3 ? "\n" : "\r\n";
        switch (clean ? good[(r >> 4) % 6] : (int)((r >> 4) % 16)) {
        case 0:
            s_cat(t, cap,
                  "  %s ,\t学生 %zu\t, higher ,460104, 2024,enrolled "
                  ",340803%s",
                  id, i, eol);
            break;
        case 1:
            s_cat(t, cap, "%s", (r >> 9) % 2 ? "\n" : " \t \r\n");
            break;
        case 2:
            s_cat(t, cap, ",,,,,,%s", eol);
            break;
        case 3:
            s_cat(t, cap, "%s,x,higher,460104,2024,enrolled,340803,extra%s", id,
                  eol);
            break;
        case 4:
            s_cat(t, cap, "%s,x,higher,460104,2024%s", id, eol);
            break;
        case 5:
            s_cat(t, cap, "%s,\"名,字\",higher,460104,2024,enrolled,340803%s",
                  id, eol);
            break;
        case 6:
            s_cat(t, cap, "%s,\"a\nb\",higher,460104,2024,enrolled,340803%s",
                  id, eol);
            break;
        case 7:
            s_cat(t, cap, "%s,x\ry,higher,460104,2024,enrolled,340803%s", id,
                  eol);
            break;
        case 8:
            s_cat(t, cap, "%s,a\"b,higher,460104,2024,enrolled,340803%s", id,
                  eol);
            break;
        case 9:
            s_cat(t, cap, "%s,x,lower,460104,1999,asleep,34%s", id, eol);
            break;
        case 10:
            s_cat(t, cap,
                  "%s , 名 字 ,secondary\t, \t460104\t ,2023, enrolled, "
                  "\t340803 \t%s",
                  id, eol);
            break;
        case 11:
            s_cat(t, cap, "\t%s,,higher,,2024,,340803%s", id, eol);
            break;
        default:
            s_cat(t, cap, "%s,学生%zu,higher,460104,2024,enrolled,340803%s", id,
                  i, eol);
        }
    }
    if (!last_eol) { /* one more row, and no line end after it */
        char stem[48], id[19];
        snprintf(stem, sizeof stem, "340803200502%05zu", rows);
        s_id(stem, id);
        s_cat(t, cap, "%s,last,higher,460104,2024,enrolled,340803", id);
    }
    return t;
}

static void
test_plain_lines(void **state)
{
    s_state_t *st = *state;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        bool clean = seed % 4 == 0;
        char *t = s_shapes_text(seed, 400, seed % 2, clean);
        size_t len = strlen(t), split = seed % 3 ? SIZE_MAX : 1;
        s_run_t one, two;
        s_run_opts(st, &st->a, "student", t, len, split, 0, false, &one);
        s_run_opts(st, &st->b, "student", t, len, split, 0, true, &two);
        if (clean) /* written: the logs' roots compare the records */
            assert_true(one.rc == VOCFED_OK && one.res.added > 300);
        else /* the bad shapes were read */
            assert_true(one.res.nerrors > 0);
        s_same_results(&one, &two);
        free(t);
    }
}

/* Students whose names (dropped: text, no body) are long in the first
 * 200 rows: the middle of the text falls near row 140, and the second
 * half has more rows and bodies than the first (~18 KB against ~10 KB):
 * a body budget between the two makes one half lean. */
static char *
s_split_named(const char *year)
{
    char *t = calloc(1, S_SPLIT_CAP);
    assert_non_null(t);
    s_cat(t, S_SPLIT_CAP,
          "id_number,name,level,major,intake_year,status,origin_region\n");
    for (size_t i = 0; i < S_SPLIT_ROWS; i++) {
        char stem[18], id[19];
        snprintf(stem, sizeof stem, "340803200701%05zu", i);
        s_id(stem, id);
        s_cat(t, S_SPLIT_CAP, "%s,%s,higher,460104,%s,enrolled,340803\n", id,
              i < S_SPLIT_ROWS / 2 ? "名字名字名字名字名字名字名字名字名字名字"
                                     "名字名字名字名字名字名字名字名字名字名字"
                                   : "名",
              year);
    }
    return t;
}

static void
test_two_threads(void **state)
{
    s_state_t *st = *state;
    char *t = s_split_students(NULL, "\n");
    s_same_split(st, "student", t, 0); /* written: the same log */
    s_same_split(st, "student", t, 0); /* again: all unchanged */
    free(t);
    const struct {
        s_odd_fn odd;
        const char *eol;
    } files[] = {{NULL, "\r\n"},
                 {s_odd_values, "\n"},
                 {s_odd_dups, "\n"},
                 {s_odd_quotes, "\n"}};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        t = s_split_students(files[k].odd, files[k].eol);
        s_same_split(st, "student", t, 0);
        free(t);
    }
    size_t at[] = {100, 300};
    for (size_t k = 0; k < 4; k++) {
        s_bad_at = at[k % 2];
        s_bad_open = k < 2;
        t = s_split_students(s_odd_csv, "\n");
        s_same_split(st, "student", t, 0);
        free(t);
    }
    /* Lean on both sides (a budget of one byte), on the second only,
     * or on none: the same log (each half has half the budget). */
    size_t budgets[] = {1, 30000, 1 << 20};
    const char *years[] = {"2023", "2022", "2021"}; /* written each time */
    for (size_t k = 0; k < 3; k++) {
        t = s_split_named(years[k]);
        s_same_split(st, "student", t, budgets[k]);
        free(t);
    }
}

/* Students 0 .. n - 1, with row dup (if any) given the key of row 20: a
 * file large enough for the look for a key of both halves to run on two
 * threads (import_split.c, from 8,192 rows in the second half). s_cat
 * walks the whole text each time: the rows are written in place. */
static char *
s_split_many(size_t n, size_t dup)
{
    size_t cap = 96 * (n + 2), len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    len += (size_t)snprintf(t, cap,
                            "id_number,name,level,major,intake_year,status,"
                            "origin_region\n");
    for (size_t i = 0; i < n; i++) {
        char stem[18], id[19];
        snprintf(stem, sizeof stem, "340803200801%05u",
                 (unsigned)((i == dup ? 20 : i) % 100000));
        s_id(stem, id);
        int w = snprintf(t + len, cap - len,
                         "%s,名,higher,460104,2024,enrolled,340803\n", id);
        assert_true(w > 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    return t;
}

static void
test_two_threads_large(void **state)
{
    s_state_t *st = *state;
    /* the duplicate in the first and in the second half of the second
     * half's rows (each looked at by one thread), then none: written,
     * and again (all unchanged: each row found in its half's set) */
    size_t dups[] = {12000, 18000, SIZE_MAX};
    for (size_t k = 0; k < 3; k++) {
        char *t = s_split_many(20000, dups[k]);
        s_same_split(st, "student", t, 0);
        if (dups[k] == SIZE_MAX)
            s_same_split(st, "student", t, 0);
        free(t);
    }
}

/* A progress function that, as the write begins, changes the file in
 * place (the first row's intake_year 2024 to 2023): a lean import, which
 * reads it again, must notice. */
static void
s_change_file(void *ctx, node_import_phase_t phase, uint64_t done,
              uint64_t total)
{
    const char *path = ctx;
    (void)total;
    if (phase != NODE_IMPORT_WRITING || done != 0)
        return;
    size_t len;
    char *text = (char *)th_read_file(path, &len);
    assert_non_null(text);
    char *at = strstr(text, ",2024,");
    assert_non_null(at);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "3", 1, (off_t)(at - text) + 4), 1);
    close(fd);
    free(text);
}

/* A lean import whose file changes between the check and the write:
 * refused at the row that changed, nothing after it written. */
static void
test_changed_file(void **state)
{
    s_state_t *st = *state;
    char csv[160];
    snprintf(csv, sizeof csv, "%s/many.csv", st->root);
    s_many_csv(csv, 0);
    node_import_opts_t opts = {.kind = "student",
                               .linkage_key = st->key,
                               .chunk_rows = 7,
                               .body_budget = 1,
                               .progress = s_change_file,
                               .progress_ctx = csv};
    node_import_result_t res;
    assert_int_equal(
        node_import_file(st->a.store, S_AUTHOR, st->a.sk, &opts, csv, &res),
        VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(res.errors[0].line, 2);
    assert_non_null(strstr(res.errors[0].reason_en, "the file changed"));
    assert_int_equal(res.last_seq, 0);
    node_import_result_release(&res);
    assert_int_equal(s_size(&st->a), 0);
}

/* The progress function of an import that dies right after its first
 * chunk is committed, as a kill would land. */
static void
s_die_after_first(void *ctx, node_import_phase_t phase, uint64_t done,
                  uint64_t total)
{
    (void)ctx;
    if (phase == NODE_IMPORT_WRITING && done > 0 && done < total)
        _exit(42);
}

/* Imports csv at the member dir in a child that dies after the first
 * chunk (lean or not); returns how it ended. */
static int
s_import_killed(const char *dir, const char *csv, bool lean)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        node_t *node = NULL;
        uint8_t *lk = NULL;
        node_import_result_t res;
        if (node_open(dir, NODE_OPEN_KEY, &node) || node_linkage_load(dir, &lk))
            _exit(1);
        node_import_opts_t opts = {.kind = "student",
                                   .linkage_key = lk,
                                   .chunk_rows = 10,
                                   .body_budget = lean ? 1 : 0,
                                   .progress = s_die_after_first};
        int rc = node_import_file(node_store(node), node_id(node),
                                  node_sk(node), &opts, csv, &res);
        _exit(rc == 0 ? 0 : 2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A member node at dir m with the linkage key in keyfile. */
static void
s_member_init(const char *m, const char *keyfile)
{
    th_run_t r;
    th_exec(&r, NULL, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", m, "init", "--id", S_AUTHOR,
                    "--name", "学院", "--role", "school"),
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    th_exec(
        &r, NULL, NULL,
        TH_ARGS(VOCFED_BINARY, "--dir", m, "linkage-key", "import", keyfile),
        NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
}

/* An import of S_MANY rows in chunks of 10, killed after the first
 * chunk's commit, then run again: every row once, `verify --figures`
 * ok. Lean and not. */
static void
test_interrupted(void **state)
{
    s_state_t *st = *state;
    char keyfile[160], csv[160];
    snprintf(keyfile, sizeof keyfile, "%s/group.key", st->root);
    snprintf(csv, sizeof csv, "%s/many.csv", st->root);
    s_many_csv(csv, 0);
    th_run_t r;
    th_exec(&r, st->root, NULL,
            TH_ARGS(VOCFED_BINARY, "linkage-key", "generate"), NULL);
    assert_int_equal(r.status, 0);
    FILE *f = fopen(keyfile, "w");
    assert_non_null(f);
    fputs(r.out, f);
    fclose(f);
    th_run_free(&r);
    for (int lean = 0; lean < 2; lean++) {
        char m[128], want[64];
        snprintf(m, sizeof m, "%s/m%d", st->root, lean);
        s_member_init(m, keyfile);
        assert_int_equal(s_import_killed(m, csv, lean), 42);
        /* the first chunk is there, the rest not */
        th_exec(&r, NULL, NULL, TH_ARGS(VOCFED_BINARY, "--dir", m, "verify"),
                NULL);
        assert_int_equal(r.status, 0);
        assert_true(strncmp(r.out, "ok: 10 entries, 1 checkpoint", 28) == 0);
        th_run_free(&r);

        /* run again: it completes */
        th_exec(&r, NULL, NULL,
                TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                        "--chunk", "10", "--json"),
                NULL);
        if (r.status != 0)
            print_error("%s%s", r.out, r.err);
        assert_int_equal(r.status, 0);
        json_t *j = th_json(r.out);
        assert_int_equal(th_jint(j, "unchanged", NULL), 10);
        assert_int_equal(th_jint(j, "new", NULL), S_MANY - 10);
        assert_int_equal(th_jint(j, "first_seq", NULL), 11);
        assert_int_equal(th_jint(j, "last_seq", NULL), S_MANY);
        json_decref(j);
        th_run_free(&r);
        th_exec(&r, NULL, NULL,
                TH_ARGS(VOCFED_BINARY, "--dir", m, "verify", "--figures"),
                NULL);
        if (r.status != 0)
            print_error("%s%s", r.out, r.err);
        assert_int_equal(r.status, 0);
        snprintf(want, sizeof want, "ok: %d entries, 5 checkpoints", S_MANY);
        assert_true(strncmp(r.out, want, strlen(want)) == 0);
        th_run_free(&r);
        /* and once more: nothing */
        th_exec(&r, NULL, NULL,
                TH_ARGS(VOCFED_BINARY, "--dir", m, "import", "student", csv,
                        "--json"),
                NULL);
        assert_int_equal(r.status, 0);
        j = th_json(r.out);
        assert_int_equal(th_jint(j, "unchanged", NULL), S_MANY);
        assert_int_equal(th_jint(j, "last_seq", NULL), 0);
        json_decref(j);
        th_run_free(&r);
    }
}

/* The same students with English headers and values, with Chinese ones
 * (UTF-8, and GB18030 with years as dates), import to the same records:
 * the same root from a fresh store each, at a fixed time. */
static void
test_chinese(void **state)
{
    s_state_t *st = *state;
    char en[1024] = "", zh[1024] = "", id[3][19];
    static const char *const lv[] = {"secondary", "higher", "undergraduate"};
    static const char *const lvz[] = {"中职", "高职专科", "本科"};
    static const char *const stz[] = {"在籍", "休学", "转学"};
    static const char *const sten[] = {"enrolled", "suspended", "transferred"};
    static const char *const yz[] = {"2024-09-01", "2023年", "2022/9/1"};
    s_cat(en, sizeof en, "id_number,name,level,intake_year,status,pathway\n");
    s_cat(zh, sizeof zh,
          "姓名,公民身份号码,培养层次,入学年月,学籍状态,"
          "培养模式,,\n");
    for (int i = 0; i < 3; i++) {
        s_id(s_stems[i], id[i]);
        s_cat(en, sizeof en, "%s,n%d,%s,%d,%s,five_year\n", id[i], i, lv[i],
              2024 - i, sten[i]);
        s_cat(zh, sizeof zh, "某%d,%s,%s,%s,%s,五年一贯制,,\n", i, id[i],
              lvz[i], yz[i], stz[i]);
    }
    s_cat(zh, sizeof zh, ",,,,,,,\n,,,,,,,\n");
    node_import_result_t res;
    store_head_t ha, hb;
    node_import_opts_t o = {
        .kind = "student", .linkage_key = st->key, .time_ms = 1767225600000};
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &o,
                                 (const uint8_t *)en, strlen(en), &res),
                     0);
    assert_int_equal(res.added, 3);
    ha = res.head;
    node_import_result_release(&res);
    size_t glen;
    char *gb = s_iconv(zh, "GB18030", &glen);
    assert_int_equal(node_import(st->b.store, S_AUTHOR, st->b.sk, &o,
                                 (const uint8_t *)gb, glen, &res),
                     0);
    free(gb);
    assert_int_equal(res.encoding, NODE_ENC_GB18030);
    assert_int_equal(res.added, 3);
    assert_true(res.dropped_name);
    hb = res.head;
    node_import_result_release(&res);
    assert_int_equal(ha.size, 3);
    assert_int_equal(hb.size, 3);
    assert_memory_equal(ha.root, hb.root, sizeof ha.root);
    /* UTF-8 Chinese into the store of the English one: nothing changes */
    assert_int_equal(node_import(st->a.store, S_AUTHOR, st->a.sk, &o,
                                 (const uint8_t *)zh, strlen(zh), &res),
                     0);
    assert_int_equal(res.unchanged, 3);
    assert_int_equal(res.rows, 3);
    node_import_result_release(&res);
}

/* Every bad value of a row is reported, each in both languages with the
 * same content; a bad header is the header's problem, with the nearest
 * column name. */
static void
test_refusals(void **state)
{
    s_state_t *st = *state;
    node_import_result_t res;
    char csv[512], id[19];
    s_id(s_stems[0], id);
    snprintf(csv, sizeof csv,
             "id_number,level,intake_year,status,pathway\n"
             "%s,中专x,1999,enrolled,regular\n"
             "3.40803E+17,higher,2024,在籍,\n",
             id);
    assert_int_equal(s_import(st, &st->a, "student", csv, 0, true, false, &res),
                     VOCFED_EINVALID);
    assert_false(res.header_bad);
    assert_int_equal(res.rows, 2);
    assert_int_equal(res.nerrors, 3);
    assert_int_equal(res.errors[0].line, 2);
    assert_string_equal(res.errors[0].column, "level");
    assert_string_equal(res.errors[0].value, "中专x");
    assert_string_equal(res.errors[0].reason_en,
                        "not one of: secondary, higher, undergraduate (or "
                        "中职、高职、本科)");
    assert_string_equal(res.errors[0].reason_zh,
                        "不是允许的取值，应为：中职、高职、本科（或 "
                        "secondary, higher, undergraduate）");
    assert_int_equal(res.errors[1].line, 2);
    assert_string_equal(res.errors[1].column, "intake_year");
    assert_string_equal(res.errors[1].reason_en,
                        "expected a year from 2000 to 2100 (2024, 2024年, "
                        "2024-09-01 or 2024/9/1)");
    assert_string_equal(res.errors[1].reason_zh,
                        "应为 2000 至 2100 之间的年份（可填 2024、2024年、"
                        "2024-09-01 或 2024/9/1）");
    assert_int_equal(res.errors[2].line, 3);
    assert_string_equal(res.errors[2].column, "id_number");
    assert_string_equal(res.errors[2].reason_en,
                        "the ID number was stored by Excel as a number and "
                        "lost its last digits: format the column as text "
                        "(Format Cells -> Text) and enter the numbers again");
    assert_string_equal(res.errors[2].reason_zh,
                        "身份证号被 Excel 存成了数字，末几位已丢失：请把该列"
                        "设置为“文本”格式（设置单元格格式 → 文本），再重新"
                        "填入号码");
    node_import_result_release(&res);

    /* a whole number: the range in both languages */
    assert_int_equal(s_import(st, &st->a, "posts",
                              "年度,核定编制数,自主招聘数\n2024,-1,5\n", 0,
                              true, false, &res),
                     VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_string_equal(res.errors[0].column, "核定编制数");
    assert_string_equal(res.errors[0].reason_en,
                        "expected a whole number from 0 to 100000");
    assert_string_equal(res.errors[0].reason_zh, "应为 0 至 100000 之间的整数");
    node_import_result_release(&res);

    /* a misspelt column: the header's problem, the nearest name */
    assert_int_equal(s_import(st, &st->a, "student",
                              "身份证号,层次,入学年分,学籍状态\n", 0, true,
                              false, &res),
                     VOCFED_EINVALID);
    assert_true(res.header_bad);
    assert_int_equal(res.rows, 0);
    assert_int_equal(res.nerrors, 2);
    assert_string_equal(res.errors[0].column, "入学年分");
    assert_string_equal(
        res.errors[0].reason_en,
        "student has no column '入学年分' (did you mean '入学年份'?); its "
        "columns: key, pseudo_id, id_number, name (dropped), level, major, "
        "pathway, intake_year, status, source_school, origin_region, "
        "coop_class");
    assert_string_equal(
        res.errors[0].reason_zh,
        "学生没有“入学年分”这一列（是否应为“入学年份”？）；可用的列：键、"
        "pseudo_id、身份证号、姓名（不保存）、层次、专业代码、培养路径、入学"
        "年份、学籍状态、生源学校、生源地区划、校企合作班");
    assert_string_equal(res.errors[1].reason_en,
                        "required column 'intake_year' (入学年份) is missing");
    assert_string_equal(res.errors[1].reason_zh,
                        "缺少必填列“入学年份”（intake_year）");
    node_import_result_release(&res);
    /* two headers for one field */
    assert_int_equal(s_import(st, &st->a, "student",
                              "身份证号,层次,入学年份,status,学籍状态\n", 0,
                              true, false, &res),
                     VOCFED_EINVALID);
    assert_true(res.header_bad);
    assert_int_equal(res.nerrors, 1);
    assert_string_equal(res.errors[0].column, "学籍状态");
    assert_string_equal(res.errors[0].reason_en,
                        "column given twice (the same as 'status')");
    assert_string_equal(res.errors[0].reason_zh,
                        "列名重复（与“status”是同一列）");
    node_import_result_release(&res);
    /* text under a column without a name */
    snprintf(csv, sizeof csv,
             "id_number,level,intake_year,status,,\n"
             "%s,higher,2024,enrolled,,x\n",
             id);
    assert_int_equal(s_import(st, &st->a, "student", csv, 0, true, false, &res),
                     VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_string_equal(res.errors[0].column, "#6");
    assert_string_equal(res.errors[0].reason_en,
                        "column 6 has no name in the header but this row "
                        "has a value there");
    assert_string_equal(res.errors[0].reason_zh,
                        "第 6 列没有表头（列名），却有值");
    node_import_result_release(&res);
}

/* Years as registrars write them. */
static void
test_years(void **state)
{
    (void)state;
    static const char *const good[] = {
        "2024",    "2024年",    "2024-09-01",   "2024/9/1",           "2024-9",
        "2024.09", "2024年9月", "2024年9月1日", "2024-09-01 00:00:00"};
    static const char *const bad[] = {"24",         "2024-13-01", "2024/9/32",
                                      "2024-09/01", "2024年13月", "二〇二四",
                                      "20245",      "2024-",      "2024年9"};
    int64_t y;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        y = 0;
        assert_true(proto_kind_year(good[i], &y));
        assert_int_equal(y, 2024);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(proto_kind_year(bad[i], &y));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_rows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_pseudonyms_together, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_keys, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_encodings, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_chinese, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test(test_years),
        cmocka_unit_test(test_many_columns),
        cmocka_unit_test(test_kind_rules),
        cmocka_unit_test_setup_teardown(test_reimport_sync, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_no_identifiers, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_linkage, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_commands, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_chunks, s_setup, s_teardown),
        cmocka_unit_test(test_utf8_two_threads),
        cmocka_unit_test(test_rows_room),
        cmocka_unit_test_setup_teardown(test_two_threads, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_plain_lines, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_two_threads_large, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_changed_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_interrupted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_schools_and_catalogue, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
