/* vocfed: what a node knows of its peers (SPEC 8.6, 10): their
 * connection state and abuse counters, and the receipts they gave for
 * each log. The alarms are in alarms.c. */
#include "storage/replica.h"
#include "protocol/clock.h"
#include "storage/stats.h"
#include "storage/store_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- peers ------------------------------------------------------------ */

/* Peer keys in the peers database: 'p' || peer; 'a' || peer 0x00 author. */
static size_t
s_key_ack(uint8_t *k, const char *peer, const char *author)
{
    size_t n = store_i_key_tagged(k, 'a', peer);
    k[n++] = 0;
    size_t alen = strlen(author);
    memcpy(k + n, author, alen);
    return n + alen;
}

typedef struct {
    MDB_val key;   /* where */
    MDB_val value; /* what */
} s_put_t;

static int
s_put_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_put_t *p = ctx;
    return mdb_put(txn, self->peers, &p->key, &p->value, 0);
}

int
store_peer_ack(store_t *self, const char *peer, const char *author,
               const store_ack_t *ack, const uint8_t *receipt,
               size_t receipt_len)
{
    if (!proto_id_valid(peer, strlen(peer)) ||
        !proto_id_valid(author, strlen(author)) ||
        receipt_len > PROTO_CHECKPOINT_MAX)
        return VOCFED_EINVALID;
    uint8_t k[2 * PROTO_ID_MAX + 2];
    uint8_t v[8 + PROTO_HASH_LEN + 8 + PROTO_CHECKPOINT_MAX];
    store_i_be64(v, ack->acked);
    memcpy(v + 8, ack->root, PROTO_HASH_LEN);
    store_i_be64(v + 8 + PROTO_HASH_LEN, ack->time_ms);
    if (receipt_len)
        memcpy(v + 16 + PROTO_HASH_LEN, receipt, receipt_len);
    s_put_t p = {{s_key_ack(k, peer, author), k},
                 {16 + PROTO_HASH_LEN + receipt_len, v}};
    return store_i_write(self, s_put_txn, &p);
}

static int
s_ack_decode(const MDB_val *d, store_ack_t *out)
{
    if (d->mv_size < 16 + PROTO_HASH_LEN)
        return VOCFED_ECORRUPT;
    const uint8_t *v = d->mv_data;
    out->acked = store_i_rd64(v);
    memcpy(out->root, v + 8, PROTO_HASH_LEN);
    out->time_ms = store_i_rd64(v + 8 + PROTO_HASH_LEN);
    return VOCFED_OK;
}

/* Reads one value of the peers database. */
typedef struct {
    MDB_val key;                                /* where */
    int (*decode)(const MDB_val *d, void *out); /* checks and decodes it */
    void *out;                                  /* what it decodes into */
} s_get_t;

static int
s_get_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_get_t *g = ctx;
    MDB_val d;
    int rc = mdb_get(txn, self->peers, &g->key, &d);
    return rc ? rc : g->decode(&d, g->out);
}

static int
s_ack_decode_any(const MDB_val *d, void *out)
{
    return s_ack_decode(d, out);
}

int
store_peer_ack_get(store_t *self, const char *peer, const char *author,
                   store_ack_t *out)
{
    if (!proto_id_valid(peer, strlen(peer)) ||
        !proto_id_valid(author, strlen(author)))
        return VOCFED_ENOTFOUND;
    uint8_t k[2 * PROTO_ID_MAX + 2];
    s_get_t g = {{s_key_ack(k, peer, author), k}, s_ack_decode_any, out};
    return store_i_read(self, s_get_txn, &g);
}

/* ---- what a peer said it holds ------------------------------------------ */

/* 'h' || peer 0x00 author -> size u64, time u64. */
static size_t
s_key_said(uint8_t *k, const char *peer, const char *author)
{
    size_t n = store_i_key_tagged(k, 'h', peer);
    k[n++] = 0;
    size_t alen = strlen(author);
    memcpy(k + n, author, alen);
    return n + alen;
}

int
store_peer_said_set(store_t *self, const char *peer, const char *author,
                    const store_said_t *said)
{
    if (!proto_id_valid(peer, strlen(peer)) ||
        !proto_id_valid(author, strlen(author)))
        return VOCFED_EINVALID;
    uint8_t k[2 * PROTO_ID_MAX + 2], v[16];
    store_i_be64(v, said->size);
    store_i_be64(v + 8, said->time_ms);
    s_put_t p = {{s_key_said(k, peer, author), k}, {sizeof v, v}};
    return store_i_write(self, s_put_txn, &p);
}

static int
s_said_decode(const MDB_val *d, void *out)
{
    store_said_t *said = out;
    if (d->mv_size != 16)
        return VOCFED_ECORRUPT;
    said->size = store_i_rd64(d->mv_data);
    said->time_ms = store_i_rd64((const uint8_t *)d->mv_data + 8);
    return VOCFED_OK;
}

int
store_peer_said_get(store_t *self, const char *peer, const char *author,
                    store_said_t *out)
{
    if (!proto_id_valid(peer, strlen(peer)) ||
        !proto_id_valid(author, strlen(author)))
        return VOCFED_ENOTFOUND;
    uint8_t k[2 * PROTO_ID_MAX + 2];
    s_get_t g = {{s_key_said(k, peer, author), k}, s_said_decode, out};
    return store_i_read(self, s_get_txn, &g);
}

/* A peer's state (SPEC 5.1, 10.5): link u8 (bit 0 connected, bit 1 the
 * session was a one-shot `vocfed sync`), then u64s: pid, last contact,
 * refused, malformed, too_large, replayed, seq_gaps, flooded, unread,
 * messages_in, bytes_in, then the peer's batches by outcome slot
 * (storage/stats.h), then waited and lent. Stores written before the
 * abuse counters hold the first four u64s only (33 bytes), before the
 * outcomes the eleven (89), before waited and lent the outcomes too
 * (345): what they lack reads as zero. */
#define S_PEER_COUNTERS 11
#define S_PEER_LEN_V1 (1 + 8 * S_PEER_COUNTERS)
#define S_PEER_LEN_V2 (S_PEER_LEN_V1 + 8 * STORE_STATS_OUTCOMES)
#define S_PEER_LEN (S_PEER_LEN_V2 + 16)
#define S_PEER_LEN_V0 33

static bool
s_peer_len_ok(size_t len)
{
    return len == S_PEER_LEN || len == S_PEER_LEN_V2 || len == S_PEER_LEN_V1 ||
           len == S_PEER_LEN_V0;
}

/* Decodes a value whose length s_peer_len_ok accepted; p->id is left. */
static void
s_peer_decode(const MDB_val *d, store_peer_t *p)
{
    const uint8_t *v = d->mv_data;
    uint64_t n[S_PEER_COUNTERS] = {0};
    for (size_t i = 0; i < S_PEER_COUNTERS && 1 + 8 * (i + 1) <= d->mv_size;
         i++)
        n[i] = store_i_rd64(v + 1 + 8 * i);
    p->connected = (v[0] & 1) != 0;
    p->once = (v[0] & 2) != 0;
    p->pid = (int)(int64_t)n[0];
    p->last_contact_ms = n[1];
    p->refused = n[2];
    p->malformed = n[3];
    p->too_large = n[4];
    p->replayed = n[5];
    p->seq_gaps = n[6];
    p->flooded = n[7];
    p->unread = n[8];
    p->messages_in = n[9];
    p->bytes_in = n[10];
    memset(p->batches, 0, sizeof p->batches);
    if (d->mv_size >= S_PEER_LEN_V2)
        for (size_t i = 0; i < STORE_STATS_OUTCOMES; i++)
            p->batches[i] = store_i_rd64(v + S_PEER_LEN_V1 + 8 * i);
    p->waited = p->lent = 0;
    if (d->mv_size == S_PEER_LEN) {
        p->waited = store_i_rd64(v + S_PEER_LEN_V2);
        p->lent = store_i_rd64(v + S_PEER_LEN_V2 + 8);
    }
}

/* Decodes a peer's value into out (whose id is already set). */
static int
s_peer_decode_any(const MDB_val *d, void *out)
{
    if (!s_peer_len_ok(d->mv_size))
        return VOCFED_ECORRUPT;
    s_peer_decode(d, out);
    return VOCFED_OK;
}

int
store_peer_get(store_t *self, const char *id, store_peer_t *out)
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_ENOTFOUND;
    uint8_t k[1 + PROTO_ID_MAX];
    store_peer_t p = {0};
    snprintf(p.id, sizeof p.id, "%s", id);
    s_get_t g = {{store_i_key_tagged(k, 'p', id), k}, s_peer_decode_any, &p};
    int rc = store_i_read(self, s_get_txn, &g);
    if (rc == VOCFED_OK)
        *out = p;
    return rc;
}

int
store_peer_set(store_t *self, const store_peer_t *peer)
{
    if (!proto_id_valid(peer->id, strlen(peer->id)))
        return VOCFED_EINVALID;
    uint8_t k[1 + PROTO_ID_MAX], v[S_PEER_LEN];
    const uint64_t n[] = {(uint64_t)(int64_t)peer->pid,
                          peer->last_contact_ms,
                          peer->refused,
                          peer->malformed,
                          peer->too_large,
                          peer->replayed,
                          peer->seq_gaps,
                          peer->flooded,
                          peer->unread,
                          peer->messages_in,
                          peer->bytes_in};
    v[0] = (uint8_t)((peer->connected ? 1 : 0) | (peer->once ? 2 : 0));
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        store_i_be64(v + 1 + 8 * i, n[i]);
    for (size_t i = 0; i < STORE_STATS_OUTCOMES; i++)
        store_i_be64(v + S_PEER_LEN_V1 + 8 * i, peer->batches[i]);
    store_i_be64(v + S_PEER_LEN_V2, peer->waited);
    store_i_be64(v + S_PEER_LEN_V2 + 8, peer->lent);
    s_put_t p = {{store_i_key_tagged(k, 'p', peer->id), k}, {sizeof v, v}};
    return store_i_write(self, s_put_txn, &p);
}

/* A scan of the peers database for a caller's callback. */
typedef struct {
    MDB_dbi dbi;           /* which database */
    const uint8_t *start;  /* first key (prefix of every key wanted) */
    size_t slen;           /* its length; 0: from the first row */
    store_i_row_fn row;    /* turns a row into the caller's call */
    store_peer_fn peer_fn; /* the caller's callback: peers */
    store_ack_fn ack_fn;   /* or acks */
    void *ctx;             /* its context */
    int stop;              /* fn's non-zero value, if it stopped the scan */
} s_scan_t;

static int
s_scan_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_scan_t *s = ctx;
    (void)self;
    return store_i_scan(txn, s->dbi, s->start, s->slen, s->slen, s->row, s);
}

static int
s_scan(store_t *self, s_scan_t *s)
{
    int rc = store_i_read(self, s_scan_txn, s);
    return s->stop ? s->stop : rc;
}

static int
s_peer_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_scan_t *s = ctx;
    store_peer_t p = {0};
    if (key->mv_size < 2)
        return STORE_I_END;
    if (key->mv_size - 1 > PROTO_ID_MAX || !s_peer_len_ok(d->mv_size))
        return VOCFED_ECORRUPT;
    memcpy(p.id, (const uint8_t *)key->mv_data + 1, key->mv_size - 1);
    s_peer_decode(d, &p);
    return s->stop = s->peer_fn(s->ctx, &p);
}

int
store_scan_peers(store_t *self, store_peer_fn fn, void *ctx)
{
    s_scan_t s = {.dbi = self->peers,
                  .start = (const uint8_t *)"p",
                  .slen = 1,
                  .row = s_peer_row,
                  .peer_fn = fn,
                  .ctx = ctx};
    return s_scan(self, &s);
}

static int
s_ack_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_scan_t *s = ctx;
    char author[PROTO_ID_MAX + 1];
    size_t alen = key->mv_size - s->slen;
    store_ack_t ack;
    if (alen == 0)
        return STORE_I_END;
    if (alen > PROTO_ID_MAX || s_ack_decode(d, &ack))
        return VOCFED_ECORRUPT;
    memcpy(author, (const uint8_t *)key->mv_data + s->slen, alen);
    author[alen] = 0;
    return s->stop = s->ack_fn(s->ctx, author, &ack);
}

int
store_scan_acks(store_t *self, const char *peer, store_ack_fn fn, void *ctx)
{
    if (!proto_id_valid(peer, strlen(peer)))
        return VOCFED_ENOTFOUND;
    uint8_t prefix[PROTO_ID_MAX + 2];
    size_t plen = store_i_key_tagged(prefix, 'a', peer);
    prefix[plen++] = 0;
    s_scan_t s = {.dbi = self->peers,
                  .start = prefix,
                  .slen = plen,
                  .row = s_ack_row,
                  .ack_fn = fn,
                  .ctx = ctx};
    return s_scan(self, &s);
}
