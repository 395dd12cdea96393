/* Tests that every golden vector of tests/vectors is valid msgpack as any
 * standard library reads it (issue 10, SPEC 1): each file is decoded with
 * msgpack-c's generic unpacker (msgpack_unpack_next), not with vocfed's
 * own cursor, which walks fields one by one and never compares an array's
 * declared count with the elements that follow. The whole buffer must be
 * one object, and each array must hold the element count SPEC gives it:
 * an entry 8 (SPEC 3.1), a signed checkpoint or receipt 2 with a body of
 * 6 (SPEC 4.1, 9.1), a hello 4 with heads of 3 (SPEC 8.2), a batch 9
 * (SPEC 8.3), each of its entries and checkpoints as above. Version 1's
 * batch declared 10 elements and carried 9: this test failed on it. */
#include "protocol/hash.h"
#include "protocol/status.h"

#include <dirent.h>
#include <msgpack.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_BYTES_MAX 4096 /* larger than any vector */

/* What one file holds. */
typedef enum {
    S_ENTRY,   /* an entry (SPEC 3.1) */
    S_SIGNED,  /* a signed checkpoint or receipt (SPEC 4.2, 9.2) */
    S_HELLO,   /* a hello message (SPEC 8.2) */
    S_BATCH,   /* a batch message (SPEC 8.3) */
    S_PULL,    /* a pull message (SPEC 8.7) */
    S_RAW_KEY, /* 32 raw bytes of a public key, not msgpack */
    S_BODY,    /* the body inside a signed form: an array of 6 */
} s_what_t;

/* The vectors and what SPEC says each is. */
static const struct {
    const char *file; /* in tests/vectors */
    s_what_t what;    /* its kind */
} s_files[] = {
    {"entry_put.hex", S_ENTRY},      {"entry_del.hex", S_ENTRY},
    {"checkpoint.hex", S_SIGNED},    {"checkpoint_pubkey.hex", S_RAW_KEY},
    {"receipt.hex", S_SIGNED},       {"receipt_pubkey.hex", S_RAW_KEY},
    {"msg_hello.hex", S_HELLO},      {"msg_batch.hex", S_BATCH},
    {"msg_batch_part.hex", S_BATCH}, {"msg_pull_own.hex", S_PULL},
};
#define S_NFILES (sizeof s_files / sizeof s_files[0])

/* Reads tests/vectors/<name>: one line of lowercase hex. */
static size_t
s_read_vector(const char *name, uint8_t *out, size_t cap)
{
    char path[512], text[2 * S_BYTES_MAX + 2];
    int w = snprintf(path, sizeof path, "%s/tests/vectors/%s",
                     VOCFED_SOURCE_DIR, name);
    assert_true(w > 0 && (size_t)w < sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    assert_true(n % 2 == 0 && n / 2 <= cap);
    assert_int_equal(proto_unhex(text, out, n / 2), VOCFED_OK);
    return n / 2;
}

/* Decodes len bytes with the generic unpacker: exactly one object that
 * takes every byte. Returns 0 and fills u (the caller destroys it), or
 * -1 with why. */
static int
s_unpack_whole(const char *what, const void *p, size_t len, msgpack_unpacked *u)
{
    size_t off = 0;
    msgpack_unpacked_init(u);
    msgpack_unpack_return r = msgpack_unpack_next(u, p, len, &off);
    if (r != MSGPACK_UNPACK_SUCCESS) {
        print_error("%s: msgpack_unpack_next answers %d (%s)\n", what, (int)r,
                    r == MSGPACK_UNPACK_CONTINUE
                        ? "the bytes end inside the object"
                        : "not msgpack");
        return -1;
    }
    if (off != len) {
        print_error("%s: one object of %zu bytes, then %zu more\n", what, off,
                    len - off);
        return -1;
    }
    return 0;
}

/* o is an array of n elements; else says so and returns -1. */
static int
s_array(const char *what, const msgpack_object *o, uint32_t n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        print_error("%s: type %d, not an array\n", what, (int)o->type);
        return -1;
    }
    if (o->via.array.size != n) {
        print_error("%s: an array of %u, SPEC says %u\n", what,
                    o->via.array.size, n);
        return -1;
    }
    return 0;
}

/* A bin holding one whole msgpack object of kind what (recursing). */
static int s_check_bytes(const char *name, s_what_t what, const void *p,
                         size_t len);

static int
s_check_bin(const char *name, s_what_t what, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_BIN) {
        print_error("%s: type %d, not a bin\n", name, (int)o->type);
        return -1;
    }
    return s_check_bytes(name, what, o->via.bin.ptr, o->via.bin.size);
}

/* Each element of the array o is a bin of kind what. */
static int
s_check_bins(const char *name, s_what_t what, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return print_error("%s: not an array\n", name), -1;
    for (uint32_t i = 0; i < o->via.array.size; i++)
        if (s_check_bin(name, what, &o->via.array.ptr[i]))
            return -1;
    return 0;
}

/* The heads map of a hello: every value an array of 3 (SPEC 8.2). */
static int
s_check_heads(const char *name, const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return print_error("%s: heads not a map\n", name), -1;
    for (uint32_t i = 0; i < o->via.map.size; i++)
        if (s_array(name, &o->via.map.ptr[i].val, 3))
            return -1;
    return 0;
}

/* The top-level object o of kind what, and what it nests. */
static int
s_check_object(const char *name, s_what_t what, const msgpack_object *o)
{
    const msgpack_object *v = o->via.array.ptr;
    switch (what) {
    case S_ENTRY:
        return s_array(name, o, 8);
    case S_SIGNED:
        /* [bin body, bin signature]; the body an array of 6 */
        if (s_array(name, o, 2) || v[1].type != MSGPACK_OBJECT_BIN ||
            v[1].via.bin.size != 64 || v[0].type != MSGPACK_OBJECT_BIN)
            return -1;
        return s_check_bytes(name, S_BODY, v[0].via.bin.ptr, v[0].via.bin.size);
    case S_HELLO:
        return s_array(name, o, 4) || s_check_heads(name, &v[3]) ? -1 : 0;
    case S_BATCH:
        /* [2, "batch", author, first_seq, entries, checkpoints, old_size,
         * consistency, range] */
        if (s_array(name, o, 9) || s_check_bins(name, S_ENTRY, &v[4]) ||
            s_check_bins(name, S_SIGNED, &v[5]))
            return -1;
        return v[7].type == MSGPACK_OBJECT_ARRAY &&
                       v[8].type == MSGPACK_OBJECT_ARRAY
                   ? 0
                   : -1;
    case S_PULL:
        /* [2, "pull", author, from_seq] */
        return s_array(name, o, 4) || v[2].type != MSGPACK_OBJECT_STR ||
                       v[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER
                   ? -1
                   : 0;
    case S_BODY:
        return s_array(name, o, 6);
    case S_RAW_KEY:
        break;
    }
    return -1;
}

static int
s_check_bytes(const char *name, s_what_t what, const void *p, size_t len)
{
    msgpack_unpacked u;
    int rc = s_unpack_whole(name, p, len, &u);
    if (rc == 0)
        rc = s_check_object(name, what, &u.data);
    msgpack_unpacked_destroy(&u);
    return rc;
}

/* Every vector SPEC describes decodes whole, with SPEC's counts. */
static void
test_vectors_generic(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < S_NFILES; i++) {
        static uint8_t b[S_BYTES_MAX];
        size_t n = s_read_vector(s_files[i].file, b, sizeof b);
        if (s_files[i].what == S_RAW_KEY) {
            assert_int_equal(n, 32);
            continue;
        }
        if (s_check_bytes(s_files[i].file, s_files[i].what, b, n))
            failures++;
    }
    assert_int_equal(failures, 0);
}

/* No vector is left out of the table above. */
static void
test_vectors_all_listed(void **state)
{
    (void)state;
    char path[512];
    int w = snprintf(path, sizeof path, "%s/tests/vectors", VOCFED_SOURCE_DIR);
    assert_true(w > 0 && (size_t)w < sizeof path);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    size_t seen = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".hex") != 0)
            continue;
        bool listed = false;
        for (size_t i = 0; i < S_NFILES; i++)
            listed = listed || strcmp(s_files[i].file, e->d_name) == 0;
        if (!listed)
            print_error("%s is not in test_vectors.c's table\n", e->d_name);
        assert_true(listed);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, S_NFILES);
}

/* The check itself can fail: version 1's batch (an array that says 10
 * and holds 9), a truncated vector, a byte after the object. */
static void
test_vectors_refusals(void **state)
{
    (void)state;
    static uint8_t b[S_BYTES_MAX + 1];
    size_t n = s_read_vector("msg_batch.hex", b, S_BYTES_MAX);
    assert_int_equal(s_check_bytes("batch", S_BATCH, b, n), 0);
    b[0] = 0x9a; /* version 1's header */
    b[1] = 0x01;
    assert_int_equal(s_check_bytes("v1 batch", S_BATCH, b, n), -1);
    b[0] = 0x99;
    b[1] = 0x02;
    assert_int_equal(s_check_bytes("cut", S_BATCH, b, n - 1), -1);
    b[n] = 0xc0;
    assert_int_equal(s_check_bytes("nil after", S_BATCH, b, n + 1), -1);
    n = s_read_vector("msg_hello.hex", b, S_BYTES_MAX);
    assert_int_equal(s_check_bytes("hello", S_HELLO, b, n), 0);
    b[0] = 0x95;
    assert_int_equal(s_check_bytes("hello of 5", S_HELLO, b, n), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_generic),
        cmocka_unit_test(test_vectors_all_listed),
        cmocka_unit_test(test_vectors_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
