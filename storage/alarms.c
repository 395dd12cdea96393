/* vocfed: the alarms an operator must see (SPEC 5.1, 10.5): raised, and
 * cleared when their cause goes away.
 *
 * Each alarm is one row of `alarms`, numbered in the order written. So
 * that a daemon can ask "is there anything to clear?" at every receipt
 * without reading every alarm, the raised ones are also counted in the
 * `peers` database under 'r' ‖ peer ‖ 0x00 ‖ kind ‖ 0x00 ‖ author: the
 * number of the oldest raised one, the highest seq among them, and how
 * many. A clear finds nothing there in one lookup; when it finds a row,
 * it walks the alarms from that number on and marks the matching ones. */
#include "storage/replica.h"
#include "protocol/clock.h"
#include "storage/store_internal.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of each string that go into the raised index's key: LMDB keys
 * are at most 511 bytes. Longer strings share a key; the rows are
 * compared whole. */
#define S_KEY_PART 128
#define S_KEY_MAX (1 + 3 * S_KEY_PART + 2)
#define S_RAISED_LEN 24 /* first u64, top seq u64, count u64 */

/* What one alarm row says (SPEC 5.1): [time, kind, peer, author, seq,
 * text] (written before alarms were cleared: raised) or the same and
 * cleared (u64 ms, 0 while raised). */
#define S_FIELDS_V0 6
#define S_FIELDS 7

static size_t
s_part(uint8_t *k, size_t at, const char *s)
{
    size_t n = s ? strnlen(s, S_KEY_PART) : 0;
    memcpy(k + at, s ? s : "", n);
    return at + n;
}

/* The raised index's key of (kind, peer, author) into k (S_KEY_MAX). */
static size_t
s_raised_key(uint8_t *k, const char *kind, const char *peer, const char *author)
{
    size_t n = 0;
    k[n++] = 'r';
    n = s_part(k, n, peer);
    k[n++] = 0;
    n = s_part(k, n, kind);
    k[n++] = 0;
    return s_part(k, n, author);
}

static int
s_pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strnlen(s, STORE_ALARM_STR_MAX) : 0;
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s ? s : "", n);
}

/* Encodes a into buf (reset first). */
static int
s_encode(const store_alarm_t *a, proto_buf_t *buf)
{
    msgpack_packer pk;
    proto_buf_reset(buf);
    msgpack_packer_init(&pk, buf, proto_buf_msgpack_write);
    if (msgpack_pack_array(&pk, S_FIELDS) ||
        msgpack_pack_uint64(&pk, a->time_ms) || s_pack_str(&pk, a->kind) ||
        s_pack_str(&pk, a->peer) || s_pack_str(&pk, a->author) ||
        msgpack_pack_uint64(&pk, a->seq) || s_pack_str(&pk, a->text) ||
        msgpack_pack_uint64(&pk, a->cleared_ms))
        return VOCFED_ENOMEM;
    return VOCFED_OK;
}

static int
s_rd_str(proto_rd_t *r, char *out)
{
    const char *s;
    size_t l;
    if (proto_rd_str(r, &s, &l))
        return VOCFED_ECORRUPT;
    if (l > STORE_ALARM_STR_MAX)
        l = STORE_ALARM_STR_MAX;
    memcpy(out, s, l);
    out[l] = 0;
    return VOCFED_OK;
}

/* Decodes one row (key n) into a. */
static int
s_decode(const MDB_val *key, const MDB_val *d, store_alarm_t *a)
{
    proto_rd_t r;
    uint32_t count;
    if (key->mv_size != 8)
        return VOCFED_ECORRUPT;
    a->n = store_i_rd64(key->mv_data);
    a->cleared_ms = 0;
    proto_rd_init(&r, d->mv_data, d->mv_size);
    if (proto_rd_array(&r, &count) ||
        (count != S_FIELDS && count != S_FIELDS_V0) ||
        proto_rd_uint(&r, &a->time_ms) || s_rd_str(&r, a->kind) ||
        s_rd_str(&r, a->peer) || s_rd_str(&r, a->author) ||
        proto_rd_uint(&r, &a->seq) || s_rd_str(&r, a->text) ||
        (count == S_FIELDS && proto_rd_uint(&r, &a->cleared_ms)))
        return VOCFED_ECORRUPT;
    /* Written before alarms were cleared: history, not raised (nothing
     * would ever clear it; SPEC 5.1). */
    if (count == S_FIELDS_V0)
        a->cleared_ms = a->time_ms ? a->time_ms : 1;
    return VOCFED_OK;
}

/* ---- raising ----------------------------------------------------------- */

typedef struct {
    const store_alarm_t *a; /* the alarm */
    proto_buf_t buf;        /* its encoding */
} s_raise_t;

/* Counts the raised alarm numbered n in the index. */
static int
s_index_add(store_t *self, MDB_txn *txn, const store_alarm_t *a, uint64_t n)
{
    uint8_t k[S_KEY_MAX], v[S_RAISED_LEN];
    MDB_val key = {s_raised_key(k, a->kind, a->peer, a->author), k}, d;
    uint64_t first = n, top = a->seq, count = 1;
    int rc = mdb_get(txn, self->peers, &key, &d);
    if (rc == MDB_SUCCESS && d.mv_size == S_RAISED_LEN) {
        first = store_i_rd64(d.mv_data);
        uint64_t t = store_i_rd64((const uint8_t *)d.mv_data + 8);
        top = t > top ? t : top;
        count = store_i_rd64((const uint8_t *)d.mv_data + 16) + 1;
    } else if (rc != MDB_NOTFOUND && rc != MDB_SUCCESS) {
        return rc;
    }
    store_i_be64(v, first);
    store_i_be64(v + 8, top);
    store_i_be64(v + 16, count);
    d.mv_size = sizeof v;
    d.mv_data = v;
    return mdb_put(txn, self->peers, &key, &d, 0);
}

static int
s_raise_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_raise_t *r = ctx;
    MDB_cursor *cur;
    MDB_val key, d;
    uint64_t n = 0;
    int rc = mdb_cursor_open(txn, self->alarms, &cur);
    if (rc)
        return rc;
    if (mdb_cursor_get(cur, &key, &d, MDB_LAST) == MDB_SUCCESS &&
        key.mv_size == 8)
        n = store_i_rd64(key.mv_data) + 1;
    mdb_cursor_close(cur);
    uint8_t k[8];
    store_i_be64(k, n);
    key.mv_size = 8;
    key.mv_data = k;
    d.mv_size = r->buf.len;
    d.mv_data = r->buf.data;
    rc = mdb_put(txn, self->alarms, &key, &d, MDB_APPEND);
    return rc ? rc : s_index_add(self, txn, r->a, n);
}

int
store_alarm(store_t *self, const char *kind, const char *peer,
            const char *author, uint64_t seq, const char *text)
{
    store_alarm_t *a = calloc(1, sizeof *a);
    if (!a)
        return VOCFED_ENOMEM;
    a->time_ms = proto_now_ms();
    a->seq = seq;
    snprintf(a->kind, sizeof a->kind, "%s", kind ? kind : "");
    snprintf(a->peer, sizeof a->peer, "%s", peer ? peer : "");
    snprintf(a->author, sizeof a->author, "%s", author ? author : "");
    snprintf(a->text, sizeof a->text, "%s", text ? text : "");
    s_raise_t r = {a, {0}};
    proto_buf_init(&r.buf);
    int rc = s_encode(a, &r.buf);
    if (rc == VOCFED_OK)
        rc = store_i_write(self, s_raise_txn, &r);
    proto_buf_release(&r.buf);
    free(a);
    return rc;
}

/* ---- clearing ---------------------------------------------------------- */

typedef struct {
    const char *kind, *peer, *author; /* which alarms */
    uint64_t upto;                    /* their seqs at most this */
    uint8_t key[S_KEY_MAX];           /* their raised index row */
    size_t klen;                      /* its length */
    uint64_t first;                   /* the oldest raised, per the index */
    bool due;                         /* there is something to clear */
    uint64_t cleared;                 /* how many were */
    store_alarm_t a;                  /* scratch */
    proto_buf_t buf;                  /* scratch */
} s_clear_t;

/* Whether the index holds raised alarms that are all at most c->upto. */
static int
s_clear_due_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_clear_t *c = ctx;
    MDB_val key = {c->klen, c->key}, d;
    int rc = mdb_get(txn, self->peers, &key, &d);
    c->due = false;
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc)
        return rc;
    if (d.mv_size != S_RAISED_LEN)
        return VOCFED_ECORRUPT;
    c->first = store_i_rd64(d.mv_data);
    c->due = store_i_rd64((const uint8_t *)d.mv_data + 8) <= c->upto;
    return MDB_SUCCESS;
}

static bool
s_same(const s_clear_t *c)
{
    return c->a.cleared_ms == 0 && !strcmp(c->a.kind, c->kind) &&
           !strcmp(c->a.peer, c->peer) && !strcmp(c->a.author, c->author);
}

static int
s_clear_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_clear_t *c = ctx;
    MDB_cursor *cur;
    uint8_t k[8];
    MDB_val key = {8, k}, d;
    int rc = s_clear_due_txn(self, txn, c); /* again, in this snapshot */
    if (rc || !c->due || (rc = mdb_cursor_open(txn, self->alarms, &cur)))
        return rc;
    uint64_t now = proto_now_ms();
    store_i_be64(k, c->first);
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if ((rc = s_decode(&key, &d, &c->a)))
            break;
        if (!s_same(c))
            continue;
        c->a.cleared_ms = now;
        if ((rc = s_encode(&c->a, &c->buf)))
            break;
        d.mv_size = c->buf.len;
        d.mv_data = c->buf.data;
        if ((rc = mdb_cursor_put(cur, &key, &d, MDB_CURRENT)))
            break;
        c->cleared++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND && rc != MDB_SUCCESS)
        return rc;
    MDB_val ik = {c->klen, c->key};
    return mdb_del(txn, self->peers, &ik, NULL);
}

int
store_alarm_clear(store_t *self, const char *kind, const char *peer,
                  const char *author, uint64_t upto_seq, uint64_t *cleared)
{
    s_clear_t *c = calloc(1, sizeof *c);
    if (!c)
        return VOCFED_ENOMEM;
    c->kind = kind ? kind : "";
    c->peer = peer ? peer : "";
    c->author = author ? author : "";
    c->upto = upto_seq;
    c->klen = s_raised_key(c->key, c->kind, c->peer, c->author);
    proto_buf_init(&c->buf);
    int rc = store_i_read(self, s_clear_due_txn, c);
    if (rc == VOCFED_OK && c->due)
        rc = store_i_write(self, s_clear_txn, c);
    if (cleared)
        *cleared = rc == VOCFED_OK ? c->cleared : 0;
    proto_buf_release(&c->buf);
    free(c);
    return rc;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct {
    store_alarm_fn fn; /* the caller's */
    void *ctx;         /* its context */
    int stop;          /* fn's non-zero value, if it stopped the scan */
    store_alarm_t a;   /* scratch */
} s_scan_t;

static int
s_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_scan_t *s = ctx;
    int rc = s_decode(key, d, &s->a);
    return rc ? rc : (s->stop = s->fn(s->ctx, &s->a));
}

static int
s_scan_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    return store_i_scan(txn, self->alarms, NULL, 0, 0, s_row, ctx);
}

int
store_scan_alarms(store_t *self, store_alarm_fn fn, void *ctx)
{
    s_scan_t *s = calloc(1, sizeof *s);
    if (!s)
        return VOCFED_ENOMEM;
    s->fn = fn;
    s->ctx = ctx;
    int rc = store_i_read(self, s_scan_txn, s);
    if (s->stop)
        rc = s->stop;
    free(s);
    return rc;
}
