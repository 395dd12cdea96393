/* Fuzz target: records of any kind, key and body, validly signed, taken in
 * by a receiver that keeps the figures (issue 10 item 1, SPEC 8.4, 11, 12).
 *
 * The input (tests/fuzz/fz_records.h) chooses the author (a member or the
 * coordinator) and the kinds, keys, ops and raw msgpack bodies of the
 * entries that follow what the receiver holds of that author's log;
 * fz_log signs them into a batch with a checkpoint, so that the
 * signatures, proofs and chain are good and only the records are hostile.
 * The receiver's store has the figures attached (node_figures_attach, as
 * node_open does at the coordinator) and knows the coordinator
 * (store_set_coordinator): the decoder, the kinds check and its role rule
 * (proto_kind_check_entry) and the figures engine all see the records.
 *
 * The receiver holds a member profile, a student and a graduate (one
 * person, FZ_REC_PID) from FZ_LOG_AUTHOR, and an industry from
 * FZ_REC_COORD; a copy of that store (in /dev/shm when there is one) per
 * input. After every input: an accepted batch moved the head by its
 * entries, got a receipt, every record in it decodes, passes the kinds
 * table and is its author's kind to write (ingest's check, made again
 * here), and the kept figures equal a recomputation (node_figures_check);
 * a refused batch left the head where it was, got an error message, and
 * the figures still check. Then the same batch again, from the same
 * store, as a group whose entries a helper thread checked first
 * (storage/ahead.h, forced for one batch): the same fate, the same
 * reason, the same head.
 */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_again.h"
#include "tests/fuzz/fz_log.h"
#include "tests/fuzz/fz_records.h"

#include "node/figures.h"
#include "node/replicate.h"
#include "protocol/kinds.h"
#include "protocol/msg.h"
#include "protocol/receipt.h"
#include "storage/replica.h"
#include "storage/store.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SELF "rx" /* the receiver, signing with the receipt key */

/* One held record: kind, key, NULL-terminated name, value pairs. */
typedef struct {
    const char *kind;          /* its kind */
    const char *key;           /* its key */
    const char *const *fields; /* name, value, ..., NULL */
} s_held_t;

static const char *const s_profile[] = {"name_zh",
                                        "测试职业学院",
                                        "role",
                                        "county_school",
                                        "original_affiliation",
                                        "county",
                                        "region_code",
                                        "340803",
                                        NULL};
static const char *const s_student[] = {
    "level",         "higher", "intake_year",   "2024",   "status", "enrolled",
    "source_school", "js-001", "origin_region", "340803", NULL};
static const char *const s_graduate[] = {
    "level", "higher", "grad_year", "2025", "destination", "employed", NULL};
static const char *const s_industry[] = {"name_zh", "汽车", "leading", "true",
                                         NULL};

static const s_held_t s_member_held[] = {
    {"member", "profile", s_profile},
    {"student", FZ_REC_PID, s_student},
    {"graduate", FZ_REC_PID ":2025", s_graduate},
};
static const s_held_t s_coord_held[] = {
    {"industry", "auto", s_industry},
};

/* Made once per process. */
static struct {
    bool made;     /* ready */
    char dir[64];  /* the store folder */
    uint8_t *data; /* data.mdb of the store holding the held logs */
    size_t len;    /* its length */
} s_rx;

static void
s_cleanup(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/derived.mdb", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/derived.mdb-lock", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/derived.boot", s_rx.dir);
    unlink(path); /* the derived data's boot guard (SPEC 5.5) */
    snprintf(path, sizeof path, "%s/open.lock", s_rx.dir);
    unlink(path); /* the openers' lock (SPEC 5.1) */
    rmdir(s_rx.dir);
    free(s_rx.data);
}

/* Writes the saved data.mdb back: the store as it was made. */
static void
s_restore(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", s_rx.dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FZ_CHECK(fd >= 0);
    FZ_CHECK(write(fd, s_rx.data, s_rx.len) == (ssize_t)s_rx.len);
    close(fd);
}

/* Starts author's log with its held records (n of them), signed with sk,
 * with a checkpoint at their end. */
static void
s_log_held(fz_log_t *log, const char *author, const uint8_t *sk,
           const s_held_t *held, size_t n)
{
    proto_buf_t body;
    proto_kind_error_t err;
    proto_buf_init(&body);
    FZ_CHECK(fz_log_init(log, author, sk) == VOCFED_OK);
    for (size_t i = 0; i < n; i++) {
        const char *names[16], *values[16];
        size_t k = 0;
        for (; held[i].fields[2 * k]; k++) {
            names[k] = held[i].fields[2 * k];
            values[k] = held[i].fields[2 * k + 1];
        }
        proto_buf_reset(&body);
        /* A kinds table that refuses them needs new held records. */
        int rc = proto_kind_body(proto_kind_find(held[i].kind), names, values,
                                 k, &body, &err);
        if (rc)
            fprintf(stderr, "held %s %s: %s: %s\n", held[i].kind, held[i].key,
                    err.field, err.reason_en);
        FZ_CHECK(rc == VOCFED_OK);
        FZ_CHECK(fz_log_append_raw(log, false, held[i].kind,
                                   strlen(held[i].kind), held[i].key,
                                   strlen(held[i].key), body.data,
                                   body.len) == VOCFED_OK);
    }
    FZ_CHECK(fz_log_seal(log) == VOCFED_OK);
    proto_buf_release(&body);
}

/* Opens the receiver's store as a node does: the figures attached, the
 * coordinator known. */
static store_t *
s_open(bool create)
{
    store_t *st = NULL;
    store_opts_t opts = {.create = create};
    FZ_CHECK(store_open(s_rx.dir, &opts, &st) == VOCFED_OK);
    FZ_CHECK(node_figures_attach(st, FZ_REC_COORD) == VOCFED_OK);
    store_set_coordinator(st, FZ_REC_COORD);
    return st;
}

/* Ingests the whole of log (its held records) into st. */
static void
s_take_held(store_t *st, const fz_log_t *log)
{
    proto_buf_t batch, reply;
    proto_msg_t m;
    store_ingest_result_t res;
    proto_buf_init(&batch);
    proto_buf_init(&reply);
    FZ_CHECK(fz_log_batch(log, 1, log->n, 0, &batch) == VOCFED_OK);
    FZ_CHECK(proto_msg_decode(batch.data, batch.len, &m) == VOCFED_OK);
    FZ_CHECK(node_batch_accept(st, S_SELF, fz_receipt_sk(), &m.batch, &reply,
                               &res) == VOCFED_OK);
    proto_buf_release(&batch);
    proto_buf_release(&reply);
}

/* The store holding both held logs. */
static void
s_make(void)
{
    char path[128];
    struct stat sb;
    fz_log_t log;
    const char *base =
        stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                    : "/tmp";
    snprintf(s_rx.dir, sizeof s_rx.dir, "%s/vocfed-fuzz-records.XXXXXX", base);
    FZ_CHECK(mkdtemp(s_rx.dir) != NULL);
    atexit(s_cleanup);
    store_t *st = s_open(true);
    FZ_CHECK(store_author_add(st, FZ_LOG_AUTHOR, fz_checkpoint_pk()) ==
             VOCFED_OK);
    FZ_CHECK(store_author_add(st, FZ_REC_COORD, fz_receipt_pk()) == VOCFED_OK);
    s_log_held(&log, FZ_REC_COORD, fz_receipt_sk(), s_coord_held, 1);
    s_take_held(st, &log);
    fz_log_release(&log);
    s_log_held(&log, FZ_LOG_AUTHOR, fz_checkpoint_sk(), s_member_held, 3);
    s_take_held(st, &log);
    fz_log_release(&log);
    store_destroy(&st);

    snprintf(path, sizeof path, "%s/data.mdb", s_rx.dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    FZ_CHECK(fd >= 0 && fstat(fd, &sb) == 0);
    s_rx.len = (size_t)sb.st_size;
    s_rx.data = malloc(s_rx.len);
    FZ_CHECK(s_rx.data && read(fd, s_rx.data, s_rx.len) == (ssize_t)s_rx.len);
    close(fd);
    s_rx.made = true;
}

/* Takes up to want bytes at *p (fewer at the end of the input). */
static const uint8_t *
s_take(const uint8_t **p, const uint8_t *end, size_t want, size_t *got)
{
    const uint8_t *at = *p;
    *got = (size_t)(end - at) < want ? (size_t)(end - at) : want;
    *p += *got;
    return at;
}

/* Appends the input's records to log (fz_records.h). Returns how many. */
static size_t
s_records(fz_log_t *log, const uint8_t *p, const uint8_t *end)
{
    size_t n = 0;
    while (p < end && n < FZ_REC_MAX) {
        size_t kl, keyl, bl, got;
        bool del = *p++ & 1;
        const uint8_t *l = s_take(&p, end, 1, &got);
        const char *kind = (const char *)s_take(&p, end, got ? *l : 0, &kl);
        l = s_take(&p, end, 1, &got);
        const char *key = (const char *)s_take(&p, end, got ? *l : 0, &keyl);
        l = s_take(&p, end, 2, &got);
        size_t want = got == 2 ? (size_t)l[0] | (size_t)l[1] << 8 : 0;
        const uint8_t *body = s_take(&p, end, want, &bl);
        if (fz_log_append_raw(log, del, kind, kl, key, keyl, body, bl) !=
            VOCFED_OK)
            break;
        n++;
    }
    return n;
}

/* Every entry of log past held is one a receiver may store: it decodes,
 * passes the kinds table, and its kind is the author's to write (SPEC
 * 8.4): the check ingest must have made, made again here. */
static void
s_check_entries(const fz_log_t *log, size_t held, bool coord)
{
    for (size_t i = held; i < log->n; i++) {
        proto_entry_t e;
        char kind[PROTO_KIND_MAX + 1];
        FZ_CHECK(proto_entry_decode(log->entries[i].data, log->entries[i].len,
                                    &e) == VOCFED_OK);
        FZ_CHECK(proto_kind_check_entry(&e, NULL) == VOCFED_OK);
        snprintf(kind, sizeof kind, "%.*s", (int)e.kind_len, e.kind);
        FZ_CHECK(proto_kind_find(kind)->coordinator_only == coord);
    }
}

/* What must hold after the batch: see the top of the file. */
static void
s_check(store_t *st, const char *author, const store_head_t *before, int rc,
        const store_ingest_result_t *res, size_t n, const proto_buf_t *reply)
{
    store_head_t head;
    proto_msg_t m;
    proto_receipt_t r;
    char what[256] = "";
    FZ_CHECK(store_head(st, author, &head) == VOCFED_OK);
    FZ_CHECK(proto_msg_decode(reply->data, reply->len, &m) == VOCFED_OK);
    if (rc == VOCFED_OK) {
        FZ_CHECK(res->applied == n && head.size == before->size + n);
        FZ_CHECK(m.type == PROTO_MSG_RECEIPT);
        FZ_CHECK(proto_receipt_verify(m.receipt.receipt, m.receipt.receipt_len,
                                      fz_receipt_pk(), S_SELF, author,
                                      head.size, head.root, &r) == VOCFED_OK);
    } else {
        FZ_CHECK(res->applied == 0 && res->skipped == 0);
        FZ_CHECK(head.size == before->size &&
                 memcmp(head.root, before->root, PROTO_HASH_LEN) == 0);
        FZ_CHECK(m.type == PROTO_MSG_ERROR);
    }
    int frc = node_figures_check(st, FZ_REC_COORD, what, sizeof what);
    if (frc != VOCFED_OK)
        fprintf(stderr, "figures: %s (%s)\n", vocfed_strerror(frc), what);
    FZ_CHECK(frc == VOCFED_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_log_t log;
    proto_buf_t batch, reply;
    proto_msg_t m;
    store_head_t before;
    store_ingest_result_t res;
    if (size < 1)
        return 0;
    if (!s_rx.made)
        s_make();
    bool coord = data[0] & 1;
    const char *author = coord ? FZ_REC_COORD : FZ_LOG_AUTHOR;
    if (coord)
        s_log_held(&log, author, fz_receipt_sk(), s_coord_held, 1);
    else
        s_log_held(&log, author, fz_checkpoint_sk(), s_member_held, 3);
    size_t held = log.n, n = s_records(&log, data + 1, data + size);
    proto_buf_init(&batch);
    proto_buf_init(&reply);
    if (n == 0 || fz_log_seal(&log) != VOCFED_OK ||
        fz_log_batch(&log, held + 1, n, held, &batch) != VOCFED_OK)
        goto done; /* nothing to send (or a frame too large) */
    FZ_CHECK(proto_msg_decode(batch.data, batch.len, &m) == VOCFED_OK);

    s_restore();
    store_t *st = s_open(false);
    FZ_CHECK(store_head(st, author, &before) == VOCFED_OK);
    FZ_CHECK(before.size == held);
    int rc =
        node_batch_accept(st, S_SELF, fz_receipt_sk(), &m.batch, &reply, &res);
    s_check(st, author, &before, rc, &res, n, &reply);
    if (rc == VOCFED_OK)
        s_check_entries(&log, held, coord);
    store_head_t after;
    FZ_CHECK(store_head(st, author, &after) == VOCFED_OK);
    store_destroy(&st);

    /* The same through store_ingest_many with every entry checked ahead. */
    s_restore();
    fz_again_ahead(s_open(false), S_SELF, &m.batch, rc, &res, author, &after);
done:
    fz_log_release(&log);
    proto_buf_release(&batch);
    proto_buf_release(&reply);
    return 0;
}
