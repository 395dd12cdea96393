/* vocfed: writes the fuzz targets' seed corpora (tests/fuzz/README.md).
 *
 *   fuzz_seeds VECTORS_DIR CORPUS_DIR [CSV_DICT]
 *
 * Writes CORPUS_DIR/<target>/<name> for every target: the golden vectors
 * of VECTORS_DIR (tests/vectors, its .hex files) as they are, and inputs made
 * with the encoders in the shapes the tests use (boundary counts and lengths,
 * every integer width, every kind, CSV files of every kind and encoding,
 * settings files). Signatures are made with the golden keys and are
 * deterministic, so the same code writes the same bytes. Files of other
 * names (inputs a fuzzing run found and someone kept) are left alone.
 * With CSV_DICT, also writes there the libFuzzer dictionary of the CSV
 * and kinds targets: every column name and enumeration value of the
 * kinds table, and the bytes CSV files are made of. Exits 0, or 1 with a
 * message. */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_log.h"
#include "tests/fuzz/fz_records.h"

#include "node/linkage.h"
#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/kinds.h"
#include "protocol/merkle.h"
#include "protocol/msg.h"
#include "protocol/receipt.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_TIME 1767225600000ull /* 2026-01-01T00:00:00Z, the vectors' */

static const char *s_vectors; /* VECTORS_DIR */
static const char *s_corpus;  /* CORPUS_DIR */
static size_t s_written;      /* files written */

static void s_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

static void
s_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_seeds: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Checks a status of the code under test: the seeds are made with it. */
static void
s_ok(int rc, const char *what)
{
    if (rc != VOCFED_OK)
        s_die("%s: %s", what, vocfed_strerror(rc));
}

/* Writes CORPUS_DIR/target/name. */
static void
s_write(const char *target, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s_corpus, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        s_die("%s: %s", path, strerror(errno));
    int w = snprintf(path, sizeof path, "%s/%s/%s", s_corpus, target, name);
    if (w < 0 || (size_t)w >= sizeof path)
        s_die("path too long");
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        s_die("%s: %s", path, strerror(errno));
    s_written++;
}

static void
s_write_buf(const char *target, const char *name, const proto_buf_t *b)
{
    s_write(target, name, b->data, b->len);
}

/* Writes a NUL-terminated text. */
static void
s_write_text(const char *target, const char *name, const char *text)
{
    s_write(target, name, text, strlen(text));
}

/* Reads VECTORS_DIR/name (one line of hex) into out. */
static void
s_vector(const char *name, proto_buf_t *out)
{
    char path[4096], hex[8192];
    snprintf(path, sizeof path, "%s/%s", s_vectors, name);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(hex, sizeof hex, f))
        s_die("%s: cannot read", path);
    fclose(f);
    size_t n = strcspn(hex, "\r\n");
    uint8_t byte;
    proto_buf_reset(out);
    for (size_t i = 0; i + 1 < n; i += 2) {
        char pair[3] = {hex[i], hex[i + 1], 0};
        s_ok(proto_unhex(pair, &byte, 1), path);
        s_ok(proto_buf_append(out, &byte, 1), "append");
    }
}

/* ---- entries ------------------------------------------------------------ */

/* Appends the entry (author, seq, put kind key body, or del when body is
 * NULL) to out. */
static void
s_entry(const char *author, uint64_t seq, uint64_t time_ms, const char *kind,
        const char *key, const proto_buf_t *body, proto_buf_t *out)
{
    proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                       .author = author,
                       .author_len = strlen(author),
                       .seq = seq,
                       .time_ms = time_ms,
                       .op = body ? PROTO_OP_PUT : PROTO_OP_DEL,
                       .kind = kind,
                       .kind_len = strlen(kind),
                       .key = key,
                       .key_len = strlen(key),
                       .body = body ? body->data : NULL,
                       .body_len = body ? body->len : 0};
    s_ok(proto_entry_encode(&e, out), "entry");
}

static proto_field_t
s_int_field(const char *name, int64_t v)
{
    return (proto_field_t){.name = name,
                           .name_len = strlen(name),
                           .value = {.type = PROTO_VAL_INT, .i = v}};
}

static proto_field_t
s_str_field(const char *name, const char *s, size_t len)
{
    return (proto_field_t){
        .name = name,
        .name_len = strlen(name),
        .value = {.type = PROTO_VAL_STR, .s = s, .slen = len}};
}

/* A body with a value of every type and every integer and string width. */
static void
s_body_all(proto_buf_t *out)
{
    static char names[40][8];
    static char str[4097];
    static const int64_t ints[] = {
        0,      127,    128,         255,           256,
        65535,  65536,  4294967295,  4294967296,    INT64_MAX,
        -1,     -32,    -33,         -128,          -129,
        -32768, -32769, -2147483648, -2147483649LL, INT64_MIN};
    static const size_t lens[] = {0, 31, 32, 255, 256, 4096};
    proto_field_t f[40];
    size_t n = 0;
    memset(str, 'x', sizeof str - 1);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++, n++) {
        snprintf(names[n], sizeof names[n], "i%02zu", i);
        f[n] = s_int_field(names[n], ints[i]);
    }
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++, n++) {
        snprintf(names[n], sizeof names[n], "s%02zu", i);
        f[n] = s_str_field(names[n], str, lens[i]);
    }
    f[n++] = s_str_field("cjk", "数字化转型", strlen("数字化转型"));
    f[n++] = (proto_field_t){.name = "b",
                             .name_len = 1,
                             .value = {.type = PROTO_VAL_BOOL, .b = true}};
    f[n++] = (proto_field_t){.name = "bf",
                             .name_len = 2,
                             .value = {.type = PROTO_VAL_BOOL, .b = false}};
    f[n++] = (proto_field_t){
        .name = "nil", .name_len = 3, .value = {.type = PROTO_VAL_NIL}};
    /* A name and its prefix: the prefix sorts first. */
    f[n++] = s_int_field("a", 1);
    f[n++] = s_int_field("ab", 2);
    s_ok(proto_body_encode(f, n, out), "body");
}

static void
s_entries(void)
{
    proto_buf_t b, body;
    proto_buf_init(&b);
    proto_buf_init(&body);
    s_vector("entry_put.hex", &b);
    s_write_buf("entry", "golden_put", &b);
    s_vector("entry_del.hex", &b);
    s_write_buf("entry", "golden_del", &b);

    s_body_all(&body);
    proto_buf_reset(&b);
    s_entry("aqvtc", 3, S_TIME, "student", "p1", &body, &b);
    s_write_buf("entry", "all_types", &b);

    /* Every name at its longest, the largest numbers. */
    char author[PROTO_ID_MAX + 1], kind[PROTO_KIND_MAX + 1];
    char key[PROTO_KEY_MAX + 1];
    memset(author, 'a', PROTO_ID_MAX);
    author[PROTO_ID_MAX] = '\0';
    author[5] = '.';
    author[6] = '-';
    author[7] = '_';
    memset(kind, 'k', PROTO_KIND_MAX);
    kind[PROTO_KIND_MAX] = '\0';
    /* 85 three-byte characters and a one-byte one: 256 bytes. */
    for (int i = 0; i < 85; i++)
        memcpy(key + 3 * i, "键", 3);
    key[255] = 'k';
    key[256] = '\0';
    proto_buf_reset(&body);
    proto_buf_reset(&b);
    s_ok(proto_body_encode(NULL, 0, &body), "body");
    s_entry(author, UINT64_MAX, UINT64_MAX, kind, key, &body, &b);
    s_write_buf("entry", "longest", &b);

    /* 16 fields (a map16) and the largest body: 256 fields. */
    static char names[PROTO_FIELDS_MAX][8];
    proto_field_t f[PROTO_FIELDS_MAX];
    for (size_t i = 0; i < PROTO_FIELDS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "f%03zu", i);
        f[i] = s_int_field(names[i], (int64_t)i);
    }
    proto_buf_reset(&body);
    proto_buf_reset(&b);
    s_ok(proto_body_encode(f, 16, &body), "body");
    s_entry("aqvtc", 16, 0, "major", "510201", &body, &b);
    s_write_buf("entry", "fields_16", &b);
    for (size_t i = 0; i < PROTO_FIELDS_MAX; i++)
        f[i] = s_int_field(names[i], (int64_t)i);
    proto_buf_reset(&body);
    proto_buf_reset(&b);
    s_ok(proto_body_encode(f, PROTO_FIELDS_MAX, &body), "body");
    s_entry("aqvtc", 256, 0, "major", "510201", &body, &b);
    s_write_buf("entry", "fields_256", &b);
    proto_buf_release(&b);
    proto_buf_release(&body);
}

/* ---- checkpoints and batches of an in-memory log (fz_log.h) ------------ */

/* The author's checkpoints: 3 is what fuzz_ingest's receiver holds. */
static const uint64_t s_sizes[] = {3, 7, 8, 10, 11, 12, 13, 16, 24, 40};
#define S_NSIZES (sizeof s_sizes / sizeof s_sizes[0])

static void
s_make_log(fz_log_t *log, unsigned variant, size_t shared)
{
    s_ok(fz_log_make(log, 40, s_sizes, S_NSIZES, variant, shared), "log");
}

/* Writes the batch message of log's entries first .. first + count - 1
 * for a receiver at checkpoint old_size. */
static void
s_batch(const char *target, const char *name, const fz_log_t *log,
        uint64_t first, size_t count, uint64_t old_size)
{
    proto_buf_t b;
    proto_buf_init(&b);
    s_ok(fz_log_batch(log, first, count, old_size, &b), name);
    s_write_buf(target, name, &b);
    proto_buf_release(&b);
}

static void
s_checkpoints(void)
{
    proto_buf_t b;
    fz_log_t log;
    proto_buf_init(&b);
    s_vector("checkpoint.hex", &b);
    s_write_buf("checkpoint", "golden", &b);

    s_make_log(&log, 0, 0);
    s_write_buf("checkpoint", "chained", &log.cps[1]);
    fz_log_release(&log);

    /* The first of an empty log; the largest numbers and author. */
    proto_checkpoint_t cp = {.version = PROTO_CHECKPOINT_VERSION};
    snprintf(cp.author, sizeof cp.author, "coord");
    proto_hash(PROTO_HASH_BLAKE2B256, NULL, 0, cp.root);
    proto_buf_reset(&b);
    s_ok(proto_checkpoint_sign(&cp, fz_checkpoint_sk(), &b), "sign");
    s_write_buf("checkpoint", "empty", &b);
    memset(cp.author, 'z', PROTO_ID_MAX);
    cp.author[PROTO_ID_MAX] = '\0';
    cp.size = UINT64_MAX;
    cp.time_ms = UINT64_MAX;
    memset(cp.prev, 0xff, sizeof cp.prev);
    proto_buf_reset(&b);
    s_ok(proto_checkpoint_sign(&cp, fz_checkpoint_sk(), &b), "sign");
    s_write_buf("checkpoint", "largest", &b);
    proto_buf_release(&b);
}

static void
s_receipts(proto_buf_t *golden)
{
    proto_buf_t b;
    proto_buf_init(&b);
    s_vector("receipt.hex", golden);
    s_write_buf("receipt", "golden", golden);
    proto_receipt_t r = {.version = PROTO_RECEIPT_VERSION};
    memset(r.issuer, 'c', PROTO_ID_MAX);
    memset(r.author, 'a', PROTO_ID_MAX);
    r.size = UINT64_MAX;
    r.time_ms = UINT64_MAX;
    memset(r.root, 0x5a, sizeof r.root);
    s_ok(proto_receipt_sign(&r, fz_receipt_sk(), &b), "sign");
    s_write_buf("receipt", "largest", &b);
    memset(&r, 0, sizeof r);
    r.version = PROTO_RECEIPT_VERSION;
    snprintf(r.issuer, sizeof r.issuer, "coord");
    snprintf(r.author, sizeof r.author, "0");
    proto_buf_reset(&b);
    s_ok(proto_receipt_sign(&r, fz_receipt_sk(), &b), "sign");
    s_write_buf("receipt", "smallest", &b);
    proto_buf_release(&b);
}

/* ---- messages ----------------------------------------------------------- */

static void
s_heads_msgs(void)
{
    const char *types[] = {"msg_hello", "msg_heads"};
    proto_buf_t b;
    proto_buf_init(&b);
    s_vector("msg_hello.hex", &b);
    s_write_buf("msg_hello", "golden", &b);

    static char ids[20][PROTO_ID_MAX + 1];
    proto_head_t heads[20];
    static const uint64_t sizes[] = {
        0, 1, 127, 128, 255, 256, 65535, 65536, 4294967296ull, UINT64_MAX};
    for (size_t i = 0; i < 20; i++) {
        snprintf(ids[i], sizeof ids[i],
                 i == 19 ? "m%02zu-long.author_id_x" : "m%02zu", i);
        heads[i] = (proto_head_t){.author = ids[i],
                                  .author_len = strlen(ids[i]),
                                  .size = sizes[i % 10]};
        memset(heads[i].root, (int)i, PROTO_HASH_LEN);
    }
    for (int t = 0; t < 2; t++) {
        int (*enc)(const char *, proto_head_t *, size_t, proto_buf_t *) =
            t == 0 ? proto_msg_encode_hello : proto_msg_encode_heads;
        proto_buf_reset(&b);
        s_ok(enc("aqvtc", NULL, 0, &b), "heads");
        s_write_buf(types[t], "none", &b);
        proto_buf_reset(&b);
        s_ok(enc("coord", heads, 2, &b), "heads");
        s_write_buf(types[t], "two", &b);
        proto_buf_reset(&b);
        s_ok(enc("a.b-c_d", heads, 10, &b), "heads");
        s_write_buf(types[t], "sizes", &b);
        /* 16 and more: a map16. */
        proto_buf_reset(&b);
        s_ok(enc("coord", heads, 20, &b), "heads");
        s_write_buf(types[t], "map16", &b);
    }
    proto_buf_release(&b);
}

static void
s_batches(void)
{
    proto_buf_t b;
    fz_log_t log;
    proto_buf_init(&b);
    s_vector("msg_batch.hex", &b);
    s_write_buf("msg_batch", "golden", &b);
    s_vector("msg_batch_part.hex", &b);
    s_write_buf("msg_batch", "golden_part", &b);

    s_make_log(&log, 0, 0);
    /* From a receiver at checkpoint 3: entries 4..7, checkpoint 7. */
    s_batch("msg_batch", "consistency", &log, 4, 4, 3);
    /* Entries 1..5: checkpoint 3, then 7 and the range [5, 7). */
    s_batch("msg_batch", "range", &log, 1, 5, 0);
    /* 20 entries (an array16) and 8 checkpoints. */
    s_batch("msg_batch", "array16", &log, 5, 20, 3);
    /* Every entry at a checkpoint. */
    s_batch("msg_batch", "each_at_one", &log, 10, 4, 8);
    fz_log_release(&log);

    /* fuzz_ingest's receiver holds entries 1..3 and checkpoint 3. */
    s_make_log(&log, 0, 0);
    s_batch("ingest", "continue", &log, 4, 4, 3);
    s_batch("ingest", "overlap", &log, 2, 7, 3);
    s_batch("ingest", "range", &log, 4, 6, 3);
    s_batch("ingest", "to_the_end", &log, 4, 37, 3);
    s_batch("ingest", "held", &log, 1, 3, 3);
    s_batch("ingest", "stale_old_size", &log, 4, 4, 0);
    s_batch("ingest", "gap", &log, 5, 3, 3);
    fz_log_release(&log);
    /* A record that breaks the kinds table at 5: bad-record (SPEC 8.4). */
    s_make_log(&log, 0, 0);
    proto_field_t bad[] = {
        {"completed", 9, {.type = PROTO_VAL_INT, .i = -1000000}},
        {"type", 4, {.type = PROTO_VAL_STR, .s = "rural", .slen = 5}},
        {"year", 4, {.type = PROTO_VAL_INT, .i = 2024}},
    };
    s_ok(fz_log_set(&log, 5, "training", "t-1", bad, 3), "bad record");
    s_batch("ingest", "bad_record", &log, 4, 4, 3);
    fz_log_release(&log);
    /* Another history after entry 3 (accepted: the receiver holds only
     * 3), and one that differs at 3 (equivocation). */
    s_make_log(&log, 1, 3);
    s_batch("ingest", "fork_after_3", &log, 4, 4, 3);
    fz_log_release(&log);
    s_make_log(&log, 1, 2);
    s_batch("ingest", "fork_at_3", &log, 3, 5, 3);
    fz_log_release(&log);
    s_vector("msg_batch.hex", &b);
    s_write_buf("ingest", "golden", &b);
    proto_buf_release(&b);
}

static void
s_small_msgs(const proto_buf_t *receipt)
{
    proto_buf_t b;
    proto_buf_init(&b);
    s_ok(proto_msg_encode_receipt(receipt->data, receipt->len, &b), "receipt");
    s_write_buf("msg_receipt", "golden", &b);
    uint8_t one = 0x90;
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_receipt(&one, 1, &b), "receipt");
    s_write_buf("msg_receipt", "one_byte", &b);
    uint8_t big[PROTO_RECEIPT_MAX];
    memset(big, 0xc4, sizeof big);
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_receipt(big, sizeof big, &b), "receipt");
    s_write_buf("msg_receipt", "largest", &b);

    proto_buf_reset(&b);
    s_ok(proto_msg_encode_pull("aqvtc", 1, &b), "pull");
    s_write_buf("msg_pull", "first", &b);
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_pull("coord", 65536, &b), "pull");
    s_write_buf("msg_pull", "uint32", &b);
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_pull("abcdefghijklmnopqrstuvwxyz012345", UINT64_MAX,
                               &b),
         "pull");
    s_write_buf("msg_pull", "largest", &b);

    proto_buf_reset(&b);
    s_ok(proto_msg_encode_error("bad-signature", "checkpoint 2 does not verify",
                                "aqvtc", 1, &b),
         "error");
    s_write_buf("msg_error", "bad_signature", &b);
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_error("malformed", "", NULL, 0, &b), "error");
    s_write_buf("msg_error", "no_author", &b);
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_error("seq-gap", "序号不连续 expected 7, got 9",
                                "m01", 9, &b),
         "error");
    s_write_buf("msg_error", "utf8", &b);
    char text[PROTO_MSG_TEXT_MAX + 1];
    memset(text, 'e', PROTO_MSG_TEXT_MAX);
    text[PROTO_MSG_TEXT_MAX] = '\0';
    proto_buf_reset(&b);
    s_ok(proto_msg_encode_error("an-unknown-token-of-32-bytes-xyz", text,
                                "aqvtc", UINT64_MAX, &b),
         "error");
    s_write_buf("msg_error", "longest", &b);
    proto_buf_release(&b);
}

/* ---- kinds and CSV ------------------------------------------------------ */

/* An 18-digit resident ID number with the right GB 11643 check digit. */
static void
s_id_number(const char *stem, char out[19])
{
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (stem[i] - '0') * w[i];
    snprintf(out, 19, "%.17s%c", stem, "10X98765432"[sum % 11]);
}

/* The index of kind name in proto_kinds: what the targets' first byte
 * chooses. */
static uint8_t
s_kind(const char *name)
{
    size_t nkinds;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    for (size_t i = 0; i < nkinds; i++)
        if (!strcmp(kinds[i].name, name))
            return (uint8_t)i;
    s_die("no kind %s", name);
}

/* Writes key and the NUL-separated name, value pairs of fuzz_kinds. */
static void
s_kind_seed(const char *file, const char *kind, const char *key,
            const char *const *pairs, size_t n)
{
    proto_buf_t b;
    uint8_t sel = s_kind(kind), nul = 0;
    proto_buf_init(&b);
    s_ok(proto_buf_append(&b, &sel, 1), "append");
    s_ok(proto_buf_append(&b, key, strlen(key)), "append");
    for (size_t i = 0; i < n; i++) {
        s_ok(proto_buf_append(&b, &nul, 1), "append");
        s_ok(proto_buf_append(&b, pairs[i], strlen(pairs[i])), "append");
    }
    s_write_buf("kinds", file, &b);
    proto_buf_release(&b);
}

/* A good text value of field f. */
static const char *
s_value(const proto_field_def_t *f)
{
    static char num[32];
    switch (f->type) {
    case PROTO_FT_STR:
        return "测试 text";
    case PROTO_FT_INT:
        snprintf(num, sizeof num, "%lld", (long long)(f->max / 2));
        return num;
    case PROTO_FT_BOOL:
        return "是";
    case PROTO_FT_ENUM:
        return f->values[0];
    case PROTO_FT_REGION:
        return "340803";
    case PROTO_FT_YEAR:
        return "2025";
    case PROTO_FT_LIST:
        return "auto;chemical";
    case PROTO_FT_DECIMAL:
        return "0.45";
    }
    return "";
}

/* The natural key of a record of kind k, for person pid. */
static void
s_key(const proto_kind_def_t *k, const char *pid, char *key, size_t cap)
{
    if (!strcmp(k->name, "member"))
        snprintf(key, cap, "profile");
    else if (!strcmp(k->name, "posts"))
        snprintf(key, cap, "2025");
    else if (!strcmp(k->name, "graduate"))
        snprintf(key, cap, "%s:2025", pid);
    else if (!strcmp(k->name, "student") || !strcmp(k->name, "staff"))
        snprintf(key, cap, "%s", pid);
    else if (!strcmp(k->name, "target"))
        snprintf(key, cap, "hv_enrolled:2027");
    else
        snprintf(key, cap, "k-001");
}

/* fuzz_kinds: a byte for the kind, then NUL-separated key, name, value. */
static void
s_kinds(const char *pid)
{
    size_t nkinds;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    proto_buf_t b;
    proto_buf_init(&b);
    for (size_t i = 0; i < nkinds; i++) {
        const proto_kind_def_t *k = &kinds[i];
        char key[PROTO_KEY_MAX + 1], name[64];
        uint8_t sel = (uint8_t)i;
        s_key(k, pid, key, sizeof key);
        proto_buf_reset(&b);
        s_ok(proto_buf_append(&b, &sel, 1), "append");
        s_ok(proto_buf_append(&b, key, strlen(key)), "append");
        for (size_t j = 0; j < k->nfields; j++) {
            const char *v = s_value(&k->fields[j]);
            uint8_t nul = 0;
            s_ok(proto_buf_append(&b, &nul, 1), "append");
            s_ok(proto_buf_append(&b, k->fields[j].name,
                                  strlen(k->fields[j].name)),
                 "append");
            s_ok(proto_buf_append(&b, &nul, 1), "append");
            s_ok(proto_buf_append(&b, v, strlen(v)), "append");
        }
        snprintf(name, sizeof name, "%s", k->name);
        s_write_buf("kinds", name, &b);
    }
    /* Refusals: an unknown field, a field twice, values of no type. */
    static const char *const bad1[] = {"level", "higher", "colour", "red"};
    s_kind_seed("unknown_field", "student", pid, bad1, 4);
    static const char *const bad2[] = {"name",  "a",      "name",  "b",
                                       "level", "higher", "status"};
    s_kind_seed("twice", "major", "510201", bad2, 7);
    static const char *const bad3[] = {"authorised_posts", "-0",
                                       "self_hired_posts", "007"};
    s_kind_seed("bad_values", "posts", "1999", bad3, 4);
    static const char *const bad4[] = {
        "type",     "rural",  "year", "2100",         "completed",
        "10000001", "online", "否",   "co_providers", "a\x01b"};
    s_kind_seed("bad_values_2", "training", "t\x7f", bad4, 10);
    proto_buf_release(&b);
}

/* Writes CSV text as fuzz_import_csv's input: the options byte, then the
 * file. */
static void
s_csv(const char *name, uint8_t opts, const char *text, size_t len)
{
    proto_buf_t b;
    proto_buf_init(&b);
    s_ok(proto_buf_append(&b, &opts, 1), "append");
    s_ok(proto_buf_append(&b, text, len), "append");
    s_write_buf("import_csv", name, &b);
    proto_buf_release(&b);
}

/* UTF-8 text to GB18030 (*out malloc'd). */
static size_t
s_gb18030(const char *text, char **out)
{
    size_t len = strlen(text), cap = 2 * len + 16;
    char *buf = malloc(cap), *in = (char *)text, *o = buf;
    size_t inleft = len, oleft = cap;
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    if (!buf || cd == (iconv_t)-1 ||
        iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1)
        s_die("iconv: %s", strerror(errno));
    iconv_close(cd);
    *out = buf;
    return cap - oleft;
}

static void
s_csvs(const char *pid, const char *pid2)
{
    size_t nkinds;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    proto_buf_t t;
    proto_buf_init(&t);
    for (size_t i = 0; i < nkinds; i++) {
        const proto_kind_def_t *k = &kinds[i];
        bool member = !strcmp(k->name, "member");
        char key[PROTO_KEY_MAX + 1], line[1024];
        proto_buf_reset(&t);
        /* The header: the key column (none for member), every field. */
        snprintf(line, sizeof line, "%s", member ? "" : "key");
        s_ok(proto_buf_append(&t, line, strlen(line)), "append");
        for (size_t j = 0; j < k->nfields; j++) {
            snprintf(line, sizeof line, "%s%s", member && j == 0 ? "" : ",",
                     k->fields[j].name);
            s_ok(proto_buf_append(&t, line, strlen(line)), "append");
        }
        /* Two rows, the second with the optional fields empty. */
        for (int row = 0; row < 2; row++) {
            s_key(k, row ? pid2 : pid, key, sizeof key);
            if (row && !strcmp(k->name, "posts"))
                snprintf(key, sizeof key, "2026");
            else if (row && !strcmp(k->name, "target"))
                snprintf(key, sizeof key, "hv_enrolled:2028");
            else if (row && !member && !strchr(key, ':') && strlen(key) < 64)
                snprintf(key, sizeof key, "k-002");
            if (member && row)
                break;
            snprintf(line, sizeof line, "\n%s", member ? "" : key);
            s_ok(proto_buf_append(&t, line, strlen(line)), "append");
            for (size_t j = 0; j < k->nfields; j++) {
                const proto_field_def_t *f = &k->fields[j];
                const char *v = row && !f->required ? "" : s_value(f);
                snprintf(line, sizeof line, "%s%s", member && j == 0 ? "" : ",",
                         v);
                s_ok(proto_buf_append(&t, line, strlen(line)), "append");
            }
        }
        s_ok(proto_buf_append(&t, "\n", 1), "append");
        s_csv(k->name, (uint8_t)(i | 0x40), (const char *)t.data, t.len);
    }

    /* Shapes of tests/node/test_import.c: quotes, CRLF, BOM, blank lines,
     * rows of empty cells, a natural key column. */
    static const char majors[] =
        "\xef\xbb\xbf"
        "code,name,level,industries,status\r\n"
        "\"470206\",\"化工智能制造技术\",higher,chemical,active\r\n"
        "\r\n"
        "510201,\"计算机应用技术，含“引号”, \"\"quoted\"\"\",secondary,"
        "digital,closed\r\n"
        "  510202  ,  spaces  ,higher,auto;digital,active\r\n"
        ",,,,\r\n";
    s_csv("major_shapes", s_kind("major"), majors, sizeof majors - 1);
    /* A quoted cell over two lines: the row starts on line 2. */
    static const char multiline[] = "code,name,level,status\n"
                                    "510202,\"two\nlines\",higher,active\n"
                                    "510203,x,higher,active";
    s_csv("quoted_newline", s_kind("major"), multiline, sizeof multiline - 1);

    char *gb;
    static const char gbtext[] = "code,name,level,status\n"
                                 "470206,化工智能制造技术,higher,active\n"
                                 "510201,计算机应用技术,secondary,closed\n";
    size_t gblen = s_gb18030(gbtext, &gb);
    s_csv("major_gb18030", s_kind("major"), gb, gblen);
    s_csv("major_gb18030_forced", s_kind("major") | 0x20, gb, gblen);
    free(gb);

    /* People by ID number (and a name column, dropped). */
    char id1[19], id2[19], text[1024];
    s_id_number("11010119900307003", id1);
    /* One whose check digit is X, written as x (normalised to X). */
    for (int i = 0; i < 1000; i++) {
        char stem[18];
        snprintf(stem, sizeof stem, "34080320050101%03d", i);
        s_id_number(stem, id2);
        if (id2[17] == 'X')
            break;
    }
    if (id2[17] != 'X')
        s_die("no stem with check digit X");
    id2[17] = 'x';
    snprintf(text, sizeof text,
             "id_number,name,level,intake_year,status,origin_region\n"
             "%s,张三,higher,2024,enrolled,340803\n"
             "%s,李四,secondary,2025,enrolled,\n",
             id1, id2);
    s_csv("student_id_number", s_kind("student") | 0x40, text, strlen(text));
    snprintf(text, sizeof text,
             "id_number,level,grad_year,destination,workplace_region\n"
             "%s,higher,2025,employed,340803\n",
             id1);
    s_csv("graduate_id_number", s_kind("graduate") | 0x40, text, strlen(text));
    snprintf(text, sizeof text,
             "pseudo_id,level,grad_year,destination\n"
             "%s,higher,2024,further_study\n",
             pid);
    s_csv("graduate_pseudo_id", s_kind("graduate"), text, strlen(text));
    snprintf(text, sizeof text,
             "year,authorised_posts,self_hired_posts\n"
             "2024,120,30\n2025,125,0\n");
    s_csv("posts_year", s_kind("posts"), text, strlen(text));
    /* Refusals: a bad header, bad rows, an open quote. */
    static const char bad[] = "pseudo_id,level,colour,level\n"
                              "x,higher,red,higher\n";
    s_csv("bad_header", s_kind("student"), bad, sizeof bad - 1);
    static const char bad_rows[] = "code,name,level,status\n"
                                   "1,a,higher\n"
                                   "2,b,tertiary,active\n"
                                   "1,c,higher,active\n"
                                   "3,\"d\",higher,active,extra\n"
                                   "4,\"e\"x,higher,active\n";
    s_csv("bad_rows", s_kind("major"), bad_rows, sizeof bad_rows - 1);
    proto_buf_release(&t);
}

/* Writes the CSV dictionary (libFuzzer's format: name="bytes"). */
static void
s_csv_dict(const char *path)
{
    size_t nkinds, n = 0;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    FILE *f = fopen(path, "w");
    if (!f)
        s_die("%s: %s", path, strerror(errno));
    fprintf(f, "# CSV and kinds dictionary, written by fuzz_seeds from the "
               "kinds table\n");
    static const char *const fixed[] = {",",
                                        "\\\"",
                                        "\\x0d\\x0a",
                                        "\\x0a",
                                        "\\xef\\xbb\\xbf",
                                        "\\x84\\x31\\x95\\x33",
                                        "key",
                                        "pseudo_id",
                                        "id_number",
                                        "name",
                                        "code",
                                        "year",
                                        "profile",
                                        "true",
                                        "false",
                                        "yes",
                                        "no",
                                        "\\xe6\\x98\\xaf",
                                        "\\xe5\\x90\\xa6",
                                        "340803",
                                        "2025",
                                        "2100",
                                        "0.45",
                                        ";",
                                        ":",
                                        "-",
                                        "\\x00"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        fprintf(f, "w%zu=\"%s\"\n", n++, fixed[i]);
    for (size_t i = 0; i < nkinds; i++) {
        fprintf(f, "w%zu=\"%s\"\n", n++, kinds[i].name);
        for (size_t j = 0; j < kinds[i].nfields; j++) {
            const proto_field_def_t *fd = &kinds[i].fields[j];
            fprintf(f, "w%zu=\"%s\"\n", n++, fd->name);
            for (size_t v = 0; fd->type == PROTO_FT_ENUM && fd->values[v]; v++)
                fprintf(f, "w%zu=\"%s\"\n", n++, fd->values[v]);
        }
    }
    if (fclose(f) != 0)
        s_die("%s: %s", path, strerror(errno));
}

/* ---- settings ----------------------------------------------------------- */

static void
s_configs(void)
{
    s_write_text("config", "member",
                 "# vocfed node settings (see 'vocfed init --help'); "
                 "written by vocfed\n"
                 "node\n"
                 "    coordinator = \"tcp://127.0.0.1:7700\"\n"
                 "    coordinator_key = "
                 "\"3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b"
                 "59da29\"\n"
                 "    coordinator_id = \"coord\"\n");
    s_write_text("config", "coordinator",
                 "node\n    listen = \"tcp://*:7700\"\n");
    s_write_text("config", "unquoted_upper",
                 "node\n"
                 "    coordinator = tcp://10.0.0.1:7700\n"
                 "    coordinator_key = "
                 "3B6A27BCCEB6A42D62A3A8D02A6F0D73653215771DE243A63AC048A18B"
                 "59DA29\n"
                 "    coordinator_id = 'a.b-c_d'\n"
                 "    listen = 'ipc:///tmp/vocfed.ipc'   # a comment\n");
    s_write_text("config", "other_sections",
                 "#   comment\n\n"
                 "server\n    timeout = 10\n    other\n        deep = 1\n"
                 "node\n    coordinator_id = \"coord\"\n    unknown = x\n");
    s_write_text("config", "empty", "");
    s_write_text("config", "bad_value",
                 "node\n    coordinator = \"no transport\"\n");
}

int
main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr,
                "usage: fuzz_seeds VECTORS_DIR CORPUS_DIR [CSV_DICT]\n");
        return 1;
    }
    s_vectors = argv[1];
    s_corpus = argv[2];
    if (mkdir(s_corpus, 0755) != 0 && errno != EEXIST)
        s_die("%s: %s", s_corpus, strerror(errno));

    char pid[NODE_PSEUDO_ID_HEX + 1], pid2[NODE_PSEUDO_ID_HEX + 1];
    char id[19];
    proto_buf_t receipt;
    proto_buf_init(&receipt);
    s_id_number("11010119900307003", id);
    s_ok(node_pseudo_id(fz_linkage_key(), id, pid), "pseudo_id");
    s_id_number("34080320050101123", id);
    s_ok(node_pseudo_id(fz_linkage_key(), id, pid2), "pseudo_id");

    s_entries();
    s_checkpoints();
    s_receipts(&receipt);
    s_heads_msgs();
    s_batches();
    s_small_msgs(&receipt);
    s_kinds(pid);
    s_csvs(pid, pid2);
    s_configs();
    fz_rec_seeds(s_write_buf);
    if (argc == 4)
        s_csv_dict(argv[3]);
    proto_buf_release(&receipt);
    printf("fuzz_seeds: %zu files in %s\n", s_written, s_corpus);
    return 0;
}
