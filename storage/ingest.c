/* vocfed: taking in another node's signed log (SPEC 8.4, 8.5): a batch
 * is verified against the author's checkpoints and committed in one
 * transaction, or refused with nothing of it written. */
#include "storage/log_internal.h"
#include "storage/ahead.h"
#include "storage/evidence.h"
#include "protocol/clock.h"
#include "protocol/handover.h"
#include "protocol/kinds.h"
#include "storage/pending.h"
#include "storage/replica.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HANDOVERS_MAX 4 /* key handovers in one batch, at most */
#define S_NO_SPACE "no space left to store it; nothing of it was kept"

static void s_what(store_ingest_result_t *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_what(store_ingest_result_t *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->what, sizeof res->what, fmt, ap);
    va_end(ap);
}

/* ---- one batch -------------------------------------------------------- */

typedef struct {
    const store_batch_t *b;      /* the batch */
    store_i_ahead_slot_t *ahead; /* its entries checked ahead, or NULL */
    store_ingest_result_t *res;  /* what happened */
    proto_checkpoint_t *cps;     /* the batch's checkpoints, opened */
    proto_buf_t buf;             /* scratch: a pending row */
    bool equivocation;           /* set when evidence was written */
    int refusal;                 /* the status to report after commit */
    size_t author_len;           /* strlen(b->author) */
    /* Set by each run of the transaction (it may run again): */
    store_i_tree_t tree;               /* the author's tree in this txn */
    uint8_t pk[PROTO_PUBKEY_LEN];      /* the author's key */
    store_head_t head;                 /* the log held before the batch */
    uint8_t prev_hash[PROTO_HASH_LEN]; /* hash of the latest checkpoint
                                          held (zeros: none); moves on as
                                          the batch's are stored */
    MDB_val held_cp;                   /* that checkpoint (borrowed) */
    uint64_t held_size;                /* its size, 0 if none */
    uint8_t held_root[PROTO_HASH_LEN]; /* its root */
    uint64_t last;                     /* the batch's last seq */
    store_i_fr_t fr;                   /* the tree as entries go in */
    bool consistent;                   /* consistency proved (step 2) */
    uint64_t *reach;                   /* sizes of pending checkpoints the
                                          entries reach, rising (room for
                                          count) */
    size_t nreach;                     /* how many */
    store_i_pending_t pend;            /* scratch: one pending row */
    struct {
        uint64_t seq;                 /* a handover entry of the batch */
        uint8_t pk[PROTO_PUBKEY_LEN]; /* the key it names */
    } hand[S_HANDOVERS_MAX];          /* the batch's, in seq order */
    size_t nhand;                     /* how many */
    MDB_cursor *ecur;                 /* on entries, for MDB_APPEND */
    bool append_ok;                   /* the author's entries sort last */
} s_ingest_t;

/* The author: known, not quarantined, and its key. */
static int
s_ingest_author(s_ingest_t *in)
{
    store_i_tree_t *t = &in->tree;
    const char *author = in->b->author;
    int rc = store_i_authno(t->txn, t->self, author, &t->authno);
    if (rc) {
        if (rc == VOCFED_ENOTFOUND)
            s_what(in->res, "unknown author %s", author);
        return rc;
    }
    if (store_i_quarantined(t->self, t->txn, author)) {
        s_what(in->res, "author %s is quarantined", author);
        return VOCFED_EQUARANTINED;
    }
    return MDB_SUCCESS;
}

/* Whether the len bytes at p hold the n bytes of t (t[0] first). */
static bool
s_holds(const uint8_t *p, size_t len, const char *t, size_t n)
{
    for (const uint8_t *q = p; len >= n && (size_t)(q - p) <= len - n;) {
        q = memchr(q, (unsigned char)t[0], len - n + 1 - (size_t)(q - p));
        if (!q)
            return false;
        if (memcmp(q, t, n) == 0)
            return true;
        q++;
    }
    return false;
}

/* The batch's handover entries (SPEC 3.4), read before any checkpoint
 * is opened: a checkpoint past one is signed by the key it names. An
 * entry that does not read as a handover here is refused in step 3. */
static int
s_find_handovers(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    in->nhand = 0;
    /* The kind as encoded (a fixstr of 12 bytes): only an entry that
     * holds these bytes is decoded here; step 3 decodes every one. */
    static const char tag[] = "\xac" PROTO_HANDOVER_KIND;
    _Static_assert(sizeof PROTO_HANDOVER_KIND - 1 == 12, "fixstr 0xac");
    for (size_t i = 0; i < b->count; i++) {
        proto_entry_t e;
        if (!s_holds(b->entries[i].data, b->entries[i].len, tag,
                     sizeof tag - 1) ||
            proto_entry_decode(b->entries[i].data, b->entries[i].len, &e) ||
            !proto_handover_is(&e) || e.seq != b->first_seq + i)
            continue;
        if (in->nhand == S_HANDOVERS_MAX) {
            s_what(in->res, "more than %d key handovers in one batch",
                   S_HANDOVERS_MAX);
            return VOCFED_EMALFORMED;
        }
        if (proto_handover_key(&e, b->author, in->hand[in->nhand].pk, NULL, 0))
            continue;
        in->hand[in->nhand++].seq = e.seq;
    }
    return MDB_SUCCESS;
}

/* The key that signs the author's checkpoint of size (SPEC 3.4): the
 * batch's last handover below it, else the history's key there. *from
 * gets the seq the key took over at (0: the first key). */
static int
s_key_for(s_ingest_t *in, uint64_t size, uint8_t pk[PROTO_PUBKEY_LEN],
          uint64_t *from)
{
    int rc = store_i_key_at(in->tree.txn, in->tree.self, in->tree.authno, size,
                            pk, from);
    for (size_t i = 0; !rc && i < in->nhand; i++)
        if (in->hand[i].seq < size && in->hand[i].seq > *from) {
            memcpy(pk, in->hand[i].pk, PROTO_PUBKEY_LEN);
            *from = in->hand[i].seq;
        }
    return rc;
}

/* SPEC 8.4 step 1: every checkpoint is signed by the author, and their
 * sizes fit the entries. */
static int
s_open_cps(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    int rc = s_find_handovers(in);
    for (size_t i = 0; !rc && i < b->ncp; i++) {
        const proto_checkpoint_t *c = &in->cps[i];
        proto_checkpoint_t peek;
        uint64_t from = 0;
        if ((rc = proto_checkpoint_peek(b->checkpoints[i].data,
                                        b->checkpoints[i].len, &peek)) ||
            (rc = s_key_for(in, peek.size, in->pk, &from)) ||
            (rc = proto_checkpoint_open(b->checkpoints[i].data,
                                        b->checkpoints[i].len, in->pk,
                                        &in->cps[i]))) {
            if (rc == VOCFED_EBADSIG && from)
                s_what(in->res,
                       "checkpoint %zu of the batch (size %" PRIu64
                       "): not signed by the key in force there (the key "
                       "was replaced at seq %" PRIu64 ")",
                       i, peek.size, from);
            else
                s_what(in->res, "checkpoint %zu of the batch: %s", i,
                       vocfed_strerror(rc));
            return rc;
        }
        if (strcmp(c->author, b->author) != 0) {
            s_what(in->res, "checkpoint names author %s", c->author);
            return VOCFED_EAUTHOR;
        }
        bool ok = i == 0 || c->size > in->cps[i - 1].size;
        ok =
            ok && (i + 1 == b->ncp ? c->size >= in->last : c->size <= in->last);
        ok = ok && c->size >= b->first_seq;
        if (!ok) {
            s_what(in->res,
                   "checkpoint sizes do not fit entries %" PRIu64 "..%" PRIu64,
                   b->first_seq, in->last);
            return VOCFED_EMALFORMED;
        }
    }
    return rc;
}

/* What is held of the log: its head, and its latest checkpoint. */
static int
s_load_held(s_ingest_t *in)
{
    store_i_tree_t *t = &in->tree;
    proto_checkpoint_t h;
    int rc = store_i_head(t->self, t->txn, t->authno, &in->head, in->prev_hash);
    if (rc)
        return rc;
    if (in->b->first_seq > in->head.size + 1) {
        s_what(in->res,
               "gap: %" PRIu64 " entries held, batch starts at %" PRIu64,
               in->head.size, in->b->first_seq);
        return VOCFED_ESEQGAP;
    }
    in->held_size = 0;
    memset(in->held_root, 0, PROTO_HASH_LEN);
    if ((rc = store_i_pending_migrate(t->self, t->txn, t->authno)))
        return rc;
    rc = store_i_latest_cp(t->self, t->txn, t->authno, &in->held_cp);
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc)
        return rc;
    if (proto_checkpoint_peek(in->held_cp.mv_data, in->held_cp.mv_size, &h))
        return VOCFED_ECORRUPT;
    in->held_size = h.size;
    memcpy(in->held_root, h.root, PROTO_HASH_LEN);
    return MDB_SUCCESS;
}

/* Keeps the evidence of equivocation: held and the batch's checkpoint i,
 * with res->what as the reason; the batch is refused with EPROOF, the
 * evidence committed. */
static int
s_equivocated(s_ingest_t *in, const uint8_t *held, size_t held_len, size_t i)
{
    in->equivocation = true;
    in->refusal = VOCFED_EPROOF;
    return store_i_equivocation(in->tree.self, in->tree.txn, in->b->author,
                                held, held_len, in->b->checkpoints[i].data,
                                in->b->checkpoints[i].len, in->res->what);
}

/* Step 2 for a checkpoint of the batch at a size whose entries are held
 * but that has no checkpoint stored: it must sign the root of the held
 * tree there, else it is a wrong root (SPEC 8.4). */
static int
s_check_held_root(s_ingest_t *in, size_t i)
{
    uint8_t root[PROTO_HASH_LEN];
    int rc = proto_merkle_root(PROTO_HASH_BLAKE2B256, in->cps[i].size,
                               store_i_node_source, &in->tree, root);
    if (rc || memcmp(root, in->cps[i].root, PROTO_HASH_LEN) == 0)
        return rc;
    s_what(in->res,
           "entries held up to %" PRIu64 " do not give the root signed "
           "at that size",
           in->cps[i].size);
    return VOCFED_EROOT;
}

/* The batch's checkpoint i against another one the receiver holds at its
 * size (stored or pending, len bytes): the same bytes pass; another root
 * or another prev is two signed histories (SPEC 8.5), kept as evidence
 * with the author quarantined; the same root and prev signed again with
 * another date is no second history, refused as bad-time. */
static int
s_against_held(s_ingest_t *in, const uint8_t *held, size_t len, size_t i,
               const char *where)
{
    const proto_bytes_t *raw = &in->b->checkpoints[i];
    const proto_checkpoint_t *c = &in->cps[i];
    proto_checkpoint_t h;
    if (len == raw->len && memcmp(held, raw->data, len) == 0)
        return MDB_SUCCESS;
    if (proto_checkpoint_peek(held, len, &h))
        return VOCFED_ECORRUPT;
    if (memcmp(h.root, c->root, PROTO_HASH_LEN) == 0 &&
        memcmp(h.prev, c->prev, PROTO_HASH_LEN) == 0) {
        s_what(in->res,
               "checkpoint at size %" PRIu64 " signed again, dated %" PRIu64
               " (the one held%s: %" PRIu64 ")",
               c->size, c->time_ms, where, h.time_ms);
        return VOCFED_EBADTIME;
    }
    /* Two valid signatures over two histories at one size. */
    s_what(in->res, "two different checkpoints signed at size %" PRIu64 "%s",
           c->size, where);
    return s_equivocated(in, held, len, i);
}

/* Step 2 for the batch's checkpoints at sizes already held: each must be
 * the one stored there (s_against_held), or, where none is stored, sign
 * the held root. */
static int
s_check_held_cps(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    for (size_t i = 0; i < b->ncp && in->cps[i].size <= in->head.size; i++) {
        MDB_val held;
        int rc = store_i_cp_at(in->tree.self, in->tree.txn, in->tree.authno,
                               in->cps[i].size, &held);
        if (rc == MDB_NOTFOUND)
            rc = s_check_held_root(in, i);
        else if (rc == MDB_SUCCESS)
            rc = s_against_held(in, held.mv_data, held.mv_size, i, "");
        if (rc || in->equivocation)
            return rc;
    }
    return MDB_SUCCESS;
}

/* The batch's checkpoint at size, or b->ncp if none. */
static size_t
s_batch_cp_at(const s_ingest_t *in, uint64_t size)
{
    for (size_t i = 0; i < in->b->ncp; i++)
        if (in->cps[i].size == size)
            return i;
    return in->b->ncp;
}

/* One pending row past the held entries (SPEC 8.4 step 2): 1 stops the
 * scan with the row copied to in->pend when the batch holds another
 * checkpoint at its size. A row the entries reach is noted. */
static int
s_pending_row(void *ctx, const store_i_pending_t *p)
{
    s_ingest_t *in = ctx;
    size_t i = s_batch_cp_at(in, p->size);
    if (i < in->b->ncp && (p->len != in->b->checkpoints[i].len ||
                           memcmp(p->cp, in->b->checkpoints[i].data, p->len))) {
        in->pend = *p;
        return 1;
    }
    if (p->size <= in->last)
        in->reach[in->nreach++] = p->size;
    return MDB_SUCCESS;
}

/* Step 2 for the checkpoints held pending (SPEC 8.4, 8.5): every validly
 * signed checkpoint the receiver was given is evidence; the batch's at
 * the size of one must be that one (s_against_held). */
static int
s_check_pending_cps(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    uint64_t top = in->cps[b->ncp - 1].size;
    in->nreach = 0;
    int rc = store_i_pending_scan(in->tree.self, in->tree.txn, in->tree.authno,
                                  in->head.size + 1, top, s_pending_row, in);
    if (rc != 1)
        return rc;
    return s_against_held(in, in->pend.cp, in->pend.len,
                          s_batch_cp_at(in, in->pend.size), ", pending");
}

/* An entry the receiver holds must come again as the same bytes. */
static int
s_same_as_held(s_ingest_t *in, size_t i)
{
    MDB_val d;
    uint64_t seq = in->b->first_seq + i;
    const proto_bytes_t *e = &in->b->entries[i];
    int rc = store_i_entry_value(in->tree.self, in->tree.txn, in->tree.authno,
                                 seq, &d);
    if (rc)
        return rc;
    if (d.mv_size != e->len + PROTO_HASH_LEN ||
        memcmp((uint8_t *)d.mv_data + PROTO_HASH_LEN, e->data, e->len)) {
        s_what(in->res, "entry %" PRIu64 " differs from the one held", seq);
        return VOCFED_EEXISTS;
    }
    return MDB_SUCCESS;
}

/* Step 2 for a checkpoint past the one held: the batch proves from the
 * receiver's latest stored checkpoint (else it is stale), and an honest
 * sender can always prove that its newer tree extends it. Whether the
 * proof holds is noted; it is judged after the roots (step 5): a proof
 * is not signed, so one that fails is no evidence of two histories. */
static int
s_check_consistency(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    const proto_checkpoint_t *fin = &in->cps[b->ncp - 1];
    in->consistent = true;
    if (fin->size <= in->held_size || in->held_size == 0)
        return MDB_SUCCESS;
    if (b->old_size != in->held_size) {
        in->res->stale = b->old_size < in->held_size;
        s_what(in->res,
               "stale: the receiver's checkpoint is at %" PRIu64
               ", the batch proves from %" PRIu64,
               in->held_size, b->old_size);
        return VOCFED_ESEQGAP;
    }
    in->consistent = proto_merkle_verify_consistency(
                         PROTO_HASH_BLAKE2B256, in->held_size, fin->size,
                         in->held_root, fin->root, b->consistency) == VOCFED_OK;
    if (!in->consistent)
        s_what(in->res,
               "the consistency proof from %" PRIu64 " to %" PRIu64
               " does not verify",
               in->held_size, fin->size);
    return MDB_SUCCESS;
}

/* Decodes entry i of b (whose author is alen bytes) and checks it names
 * the author and its seq; res->what says why not. */
static int
s_decode_entry(const store_batch_t *b, size_t alen, size_t i, proto_entry_t *e,
               store_ingest_result_t *res)
{
    uint64_t seq = b->first_seq + i;
    int rc = proto_entry_decode(b->entries[i].data, b->entries[i].len, e);
    if (rc) {
        s_what(res, "entry %" PRIu64 " does not decode: %s", seq,
               vocfed_strerror(rc));
        return rc;
    }
    if (e->author_len != alen || memcmp(e->author, b->author, alen)) {
        s_what(res, "entry %" PRIu64 " is claimed by %.*s", seq,
               (int)e->author_len, e->author);
        return VOCFED_EAUTHOR;
    }
    if (e->seq != seq) {
        s_what(res, "entry at %" PRIu64 " holds seq %" PRIu64, seq, e->seq);
        return VOCFED_ESEQGAP;
    }
    return MDB_SUCCESS;
}

/* Copies src into dst (cap bytes) as text an error message may carry
 * (SPEC 8.8): valid UTF-8 kept, a control character or a broken
 * sequence becomes '?'. */
static void
s_printable(char *dst, size_t cap, const char *src)
{
    size_t o = 0, n = strlen(src);
    for (size_t i = 0; i < n && o + 1 < cap;) {
        unsigned char c = (unsigned char)src[i];
        size_t w = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (w > 1 && i + w <= n && o + w < cap &&
            proto_utf8_valid(src + i, w)) {
            memmove(dst + o, src + i, w); /* dst may be src */
            o += w;
            i += w;
            continue;
        }
        dst[o++] = (w == 1 && c >= 0x20 && c != 0x7f) ? (char)c : '?';
        i++;
    }
    dst[o] = 0;
}

/* A key handover (SPEC 3.4) in step 3: a member's (never the
 * coordinator's), naming its author and a valid key other than the one
 * in force, the last entry under a checkpoint of the batch at exactly
 * its seq (signed by the old key: step 1 chose the key by size). Its
 * key then signs every checkpoint past seq: the history row is written
 * in this transaction. */
static int
s_check_handover(s_ingest_t *in, const proto_entry_t *e, uint64_t seq)
{
    uint8_t pk[PROTO_PUBKEY_LEN], cur[PROTO_PUBKEY_LEN];
    char why[160];
    const char *coord = in->tree.self->coord;
    uint64_t from = 0;
    int rc;
    if (proto_handover_key(e, in->b->author, pk, why, sizeof why)) {
        s_what(in->res, "entry %" PRIu64 ": %s", seq, why);
        return VOCFED_EBADRECORD;
    }
    if (coord[0] && strcmp(in->b->author, coord) == 0) {
        s_what(in->res,
               "entry %" PRIu64 ": the coordinator's key is not "
               "replaced by a handover",
               seq);
        return VOCFED_EBADRECORD;
    }
    if (s_batch_cp_at(in, seq) == in->b->ncp) {
        s_what(in->res,
               "entry %" PRIu64 ": a key handover must be the last entry "
               "of a checkpoint the old key signs at its seq",
               seq);
        return VOCFED_EBADRECORD;
    }
    if ((rc = store_i_key_at(in->tree.txn, in->tree.self, in->tree.authno, seq,
                             cur, &from)))
        return rc;
    if (memcmp(cur, pk, PROTO_PUBKEY_LEN) == 0) {
        s_what(in->res,
               "entry %" PRIu64 ": the key handed over to is the "
               "one in force",
               seq);
        return VOCFED_EBADRECORD;
    }
    rc = store_i_key_put(in->tree.txn, in->tree.self, in->tree.authno, seq, pk,
                         STORE_KEY_HANDOVER);
    if (rc == VOCFED_EINVALID || rc == VOCFED_EEXISTS) {
        s_what(in->res,
               "entry %" PRIu64 ": a key handover before a key "
               "vouched for from seq %" PRIu64,
               seq, from);
        return VOCFED_EBADRECORD;
    }
    return rc;
}

/* The kinds table and the role rule for a new entry (SPEC 8.4 step 3):
 * a coordinator-only kind only from the coordinator, any other only from
 * a member; without a coordinator known to the store, the table alone. */
static int
s_check_kind(const store_batch_t *b, const char *coord, const proto_entry_t *e,
             uint64_t seq, store_ingest_result_t *res)
{
    proto_kind_error_t err;
    char value[sizeof err.value];
    int rc = proto_kind_check_entry(e, &err);
    if (rc) {
        s_printable(value, sizeof value, err.value);
        if (err.field[0])
            s_what(res, "entry %" PRIu64 ": field %s: '%s': %s", seq, err.field,
                   value, err.reason_en);
        else
            s_what(res, "entry %" PRIu64 ": %s", seq, err.reason_en);
    } else if (coord[0]) {
        char kind[PROTO_KIND_MAX + 1];
        size_t kl = e->kind_len < sizeof kind ? e->kind_len : sizeof kind - 1;
        memcpy(kind, e->kind, kl); /* not snprintf: once per entry */
        kind[kl] = 0;
        bool from_coord = strcmp(b->author, coord) == 0;
        if (proto_kind_find(kind)->coordinator_only == from_coord)
            return MDB_SUCCESS;
        s_what(res, "entry %" PRIu64 ": kind %s is written by %s only", seq,
               kind, from_coord ? "members" : "the coordinator");
    } else {
        return MDB_SUCCESS;
    }
    /* the reason may end in a value cut in the middle of a character */
    s_printable(res->what, sizeof res->what, res->what);
    return VOCFED_EBADRECORD;
}

/* A new entry's record: a handover by its key rules, any other kind by
 * the table and the role rule. */
static int
s_check_record(s_ingest_t *in, const proto_entry_t *e, uint64_t seq)
{
    if (proto_handover_is(e))
        return s_check_handover(in, e, seq);
    return s_check_kind(in->b, in->tree.self->coord, e, seq, in->res);
}

/* Entry k of b passes the checks of step 3 that need only its bytes
 * (s_decode_entry, s_check_kind, the hook's check), made by the helper
 * of ahead.h with the very code the ingest runs; ctx is the store, whose
 * coordinator id and hook stay as they are while the helper works (the
 * hook's check touches nothing shared: store_hook_t). A handover is
 * left to the ingest, which reads it with the batch. What the checks
 * say is not kept. */
static bool
s_entry_passes(const store_batch_t *b, size_t k, void *ctx, proto_entry_t *e)
{
    store_t *self = ctx;
    store_ingest_result_t res;
    return s_decode_entry(b, strlen(b->author), k, e, &res) == MDB_SUCCESS &&
           !proto_handover_is(e) &&
           s_check_kind(b, self->coord, e, b->first_seq + k, &res) ==
               MDB_SUCCESS &&
           store_i_check(self, b->author, e) == MDB_SUCCESS;
}

/* SPEC 8.4 step 2: the batch's new checkpoints are dated no earlier than
 * the one before them (the latest held, then each other) and at most
 * STORE_CLOCK_SKEW_MS ahead of this node's clock. */
static int
s_check_times(s_ingest_t *in)
{
    uint64_t prev = in->head.time_ms, now = proto_now_ms();
    for (size_t i = 0; i < in->b->ncp; i++) {
        const proto_checkpoint_t *c = &in->cps[i];
        if (c->size <= in->held_size)
            continue;
        if (c->time_ms < prev) {
            s_what(in->res,
                   "checkpoint at size %" PRIu64 " is dated %" PRIu64
                   ", before the one before it (%" PRIu64 ")",
                   c->size, c->time_ms, prev);
            return VOCFED_EBADTIME;
        }
        if (c->time_ms > now + STORE_CLOCK_SKEW_MS) {
            s_what(in->res,
                   "checkpoint at size %" PRIu64 " is dated %" PRIu64
                   " ms ahead of this node's clock (at most %d)",
                   c->size, c->time_ms - now, STORE_CLOCK_SKEW_MS);
            return VOCFED_EBADTIME;
        }
        prev = c->time_ms;
    }
    return MDB_SUCCESS;
}

/* Step 3 for one new entry: its bytes, its tree nodes, its arrival. */
static int
s_take_entry(s_ingest_t *in, size_t i)
{
    store_i_tree_t *t = &in->tree;
    const proto_bytes_t *bytes = &in->b->entries[i];
    uint64_t seq = in->b->first_seq + i;
    proto_entry_t e;
    uint8_t leaf[PROTO_HASH_LEN];
    const store_i_block_t *blk;
    int rc;
    /* Checked ahead and passed (ahead.h), or checked here. */
    bool ahead = store_i_ahead_take(in->ahead, i, &e, leaf, &blk);
    if (!ahead) {
        if ((rc = s_decode_entry(in->b, in->author_len, i, &e, in->res)) ||
            (rc = s_check_record(in, &e, seq)))
            return rc;
        if ((rc = store_i_check(t->self, in->b->author, &e))) {
            s_what(in->res, "entry %" PRIu64 ": %s", seq, vocfed_strerror(rc));
            return rc;
        }
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, bytes->data, bytes->len, leaf);
    }
    /* The stored value (SPEC 5.1): the leaf hash, then the entry, written
     * straight into the page LMDB reserves for it. */
    uint8_t ek[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(ek, t->authno, seq);
    MDB_val key = {sizeof ek, ek}, d = {PROTO_HASH_LEN + bytes->len, NULL};
    rc = MDB_KEYEXIST;
    if (in->append_ok) {
        rc = mdb_cursor_put(in->ecur, &key, &d, MDB_APPEND | MDB_RESERVE);
        /* KEYEXIST: another author's entries sort after these. */
        in->append_ok = rc != MDB_KEYEXIST;
    }
    if (!in->append_ok)
        rc = mdb_put(t->txn, t->self->entries, &key, &d,
                     MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc)
        return rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc;
    memcpy(d.mv_data, leaf, PROTO_HASH_LEN);
    memcpy((uint8_t *)d.mv_data + PROTO_HASH_LEN, bytes->data, bytes->len);
    if ((rc = store_i_fr_leaf(&in->fr, leaf, ahead, blk, t)))
        return rc;
    /* The record index and the figures follow from the log (apply.c). */
    return store_i_arrival_note(t->self, t->txn, t->authno, seq);
}

/* Step 3 at a checkpoint's size: it must sign the root of the entries so
 * far (else VOCFED_EROOT) and chain on to the one before (SPEC 4.3); then
 * it is stored. c is opened from raw (len bytes); pending says it is one
 * held pending, not the batch's. */
static int
s_store_cp(s_ingest_t *in, const proto_checkpoint_t *c, const uint8_t *raw,
           size_t len, bool pending)
{
    uint64_t seq = c->size;
    uint8_t root[PROTO_HASH_LEN];
    int rc = store_i_fr_flush(&in->fr, &in->tree);
    if (rc)
        return rc;
    proto_frontier_root(&in->fr.fr, root);
    if (memcmp(root, c->root, PROTO_HASH_LEN) != 0) {
        s_what(in->res,
               "entries up to %" PRIu64 " do not give the root "
               "signed at that size%s",
               seq, pending ? " (a checkpoint held pending)" : "");
        return VOCFED_EROOT;
    }
    if (memcmp(c->prev, in->prev_hash, PROTO_HASH_LEN) != 0) {
        s_what(in->res,
               "checkpoint at %" PRIu64 " does not chain to the "
               "previous one",
               seq);
        return VOCFED_EPROOF;
    }
    uint8_t ck[STORE_KEY_CP_LEN];
    store_i_key_cp(ck, in->tree.authno, seq);
    MDB_val cpk = {sizeof ck, ck}, cpv = {len, (void *)raw};
    rc = mdb_put(in->tree.txn, in->tree.self->checkpoints, &cpk, &cpv,
                 MDB_NOOVERWRITE);
    if (rc)
        return rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc;
    if (proto_checkpoint_hash(raw, len, in->prev_hash))
        return VOCFED_ECORRUPT;
    in->held_size = seq;
    return MDB_SUCCESS;
}

/* Step 3 at seq: the batch's checkpoint there (next_cp, moved on), and a
 * checkpoint held pending there (next_reach, moved on), which is then
 * stored and dropped from `pending`: the batch's one is that one (step
 * 2); a batch without it is checked against it all the same. */
static int
s_at_seq(s_ingest_t *in, uint64_t seq, size_t *next_cp, size_t *next_reach)
{
    const store_batch_t *b = in->b;
    bool in_batch = *next_cp < b->ncp && in->cps[*next_cp].size == seq;
    bool pending = *next_reach < in->nreach && in->reach[*next_reach] == seq;
    int rc = MDB_SUCCESS;
    if (in_batch) {
        const proto_bytes_t *raw = &b->checkpoints[*next_cp];
        rc = s_store_cp(in, &in->cps[*next_cp], raw->data, raw->len, false);
        ++*next_cp;
    } else if (pending) {
        proto_checkpoint_t c;
        store_i_pending_t *p = &in->pend;
        uint64_t from = 0;
        if ((rc = store_i_pending_at(in->tree.self, in->tree.txn,
                                     in->tree.authno, seq, p)) ||
            (rc = s_key_for(in, seq, in->pk, &from)) ||
            (rc = proto_checkpoint_open(p->cp, p->len, in->pk, &c)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        rc = s_store_cp(in, &c, p->cp, p->len, true);
    }
    if (rc || !pending)
        return rc;
    ++*next_reach;
    return store_i_pending_del(in->tree.self, in->tree.txn, in->tree.authno,
                               seq);
}

/* Step 3: the entries, in order, building the tree; the checkpoints at
 * their sizes. */
static int
s_take_entries_with(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    store_i_tree_t *t = &in->tree;
    int rc;
    store_i_arrival_reset(t->self);
    if ((rc = store_i_fr_load(&in->fr, in->head.size, t)))
        return rc;
    size_t next_cp = 0, next_reach = 0;
    while (next_cp < b->ncp && in->cps[next_cp].size <= in->head.size)
        next_cp++;
    for (size_t i = 0; i < b->count; i++) {
        uint64_t seq = b->first_seq + i;
        if (seq <= in->head.size) {
            if ((rc = s_same_as_held(in, i)))
                return rc;
            in->res->skipped++;
            continue;
        }
        if ((rc = s_take_entry(in, i)))
            return rc;
        in->res->applied++;
        if ((rc = s_at_seq(in, seq, &next_cp, &next_reach)))
            return rc;
    }
    if ((rc = store_i_fr_flush(&in->fr, t)))
        return rc;
    t->self->blocks_whole += in->fr.blocks;
    return store_i_arrival_flush(t->self, t->txn);
}

/* s_take_entries_with, with a cursor on entries for its appends: a log
 * that sorts last (the last registered author) is appended at the
 * table's end, its pages filled (SPEC 5.1). */
static int
s_take_entries(s_ingest_t *in)
{
    store_i_tree_t *t = &in->tree;
    int rc = mdb_cursor_open(t->txn, t->self->entries, &in->ecur);
    if (rc)
        return rc;
    in->append_ok = true;
    rc = s_take_entries_with(in);
    mdb_cursor_close(in->ecur);
    in->ecur = NULL;
    return rc;
}

/* Step 4: a batch that ends inside a checkpoint's range is proved by the
 * compact range up to it; the checkpoint is kept in `pending` with the
 * range (for verify), as evidence until the entries reach it (SPEC 8.4). */
static int
s_keep_pending(s_ingest_t *in)
{
    const store_batch_t *b = in->b;
    const proto_checkpoint_t *fin = &in->cps[b->ncp - 1];
    const proto_bytes_t *raw = &b->checkpoints[b->ncp - 1];
    if (fin->size <= in->last)
        return MDB_SUCCESS;
    if (proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &in->fr.fr, fin->size,
                                  b->range, fin->root) != VOCFED_OK) {
        s_what(in->res,
               "entries up to %" PRIu64 " are not in the tree "
               "signed at %" PRIu64,
               in->last, fin->size);
        return VOCFED_EROOT;
    }
    return store_i_pending_put(in->tree.self, in->tree.txn, in->tree.authno,
                               fin->size, raw->data, raw->len, b->range,
                               &in->buf);
}

/* A replay of what is held: the same bytes, nothing to write. */
static int
s_replay(s_ingest_t *in)
{
    for (size_t i = 0; i < in->b->count; i++) {
        int rc = s_same_as_held(in, i);
        if (rc)
            return rc;
    }
    in->res->skipped = in->b->count;
    in->res->head = in->head;
    in->res->cp_size = in->held_size;
    return MDB_SUCCESS;
}

/* SPEC 8.4, steps 1 to 4, inside one transaction (or a nested one of
 * store_ingest_many). A refusal that must still commit (the evidence of
 * equivocation) returns MDB_SUCCESS with in->refusal set. */
static int
s_ingest_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_ingest_t *in = ctx;
    const store_batch_t *b = in->b;
    store_ingest_result_t *res = in->res;
    int rc;

    in->equivocation = false;
    in->refusal = VOCFED_OK;
    in->tree = (store_i_tree_t){self, txn, 0};
    in->last = b->first_seq + b->count - 1;
    res->applied = res->skipped = 0;
    res->what[0] = 0;
    if ((rc = s_ingest_author(in)) || (rc = s_open_cps(in)) ||
        (rc = s_load_held(in)) || (rc = s_check_held_cps(in)) ||
        in->equivocation || (rc = s_check_pending_cps(in)) || in->equivocation)
        return rc;
    if (in->last <= in->head.size)
        return s_replay(in);
    if ((rc = s_check_consistency(in)) || (rc = s_check_times(in)) ||
        (rc = s_take_entries(in)) || (rc = s_keep_pending(in)))
        return rc;
    /* Step 5: the roots hold; a proof that does not is the sender's
     * mistake, not evidence (SPEC 8.5). */
    if (!in->consistent)
        return VOCFED_EPROOF;
    const proto_checkpoint_t *fin = &in->cps[b->ncp - 1];
    res->head.size = in->last;
    proto_frontier_root(&in->fr.fr, res->head.root);
    res->head.time_ms = fin->size == in->last ? fin->time_ms : in->head.time_ms;
    res->cp_size = in->held_size; /* the latest checkpoint now stored */
    return MDB_SUCCESS;
}

void
store_set_coordinator(store_t *self, const char *id)
{
    store_i_inext_drop(self); /* its checks read the id */
    snprintf(self->coord, sizeof self->coord, "%s",
             id && proto_id_valid(id, strlen(id)) ? id : "");
}

/* ---- store_ingest and store_ingest_many -------------------------------- */

static bool
s_malformed(const store_batch_t *b, store_ingest_result_t *res)
{
    if (b->author && proto_id_valid(b->author, strlen(b->author)) &&
        b->count > 0 && b->ncp > 0 && b->first_seq > 0 &&
        b->first_seq <= UINT64_MAX - b->count && b->consistency && b->range)
        return false;
    s_what(res, "batch is malformed");
    return true;
}

/* Runs one batch in a write of its own (parent NULL), in a transaction
 * nested in parent, or (flat) in parent itself, with cps (b->ncp of
 * them) for its opened checkpoints and ahead for its entries checked
 * ahead (or NULL). Returns an LMDB code or status from the transaction
 * (flat: parent then holds part of the batch, and must be dropped);
 * *refusal gets the refusal to report when it committed. */
static int
s_ingest_one(store_t *self, MDB_txn *parent, bool flat, const store_batch_t *b,
             proto_checkpoint_t *cps, store_i_ahead_slot_t *ahead,
             store_ingest_result_t *res, int *refusal)
{
    s_ingest_t in = {.b = b,
                     .ahead = ahead,
                     .res = res,
                     .cps = cps,
                     .author_len = strlen(b->author)};
    MDB_txn *child = NULL;
    int rc;
    proto_buf_init(&in.buf);
    if (!(in.reach = calloc(b->count, sizeof *in.reach))) {
        rc = VOCFED_ENOMEM;
    } else if (!parent) {
        rc = store_i_write(self, s_ingest_txn, &in);
    } else if (flat) {
        rc = s_ingest_txn(self, parent, &in);
    } else if ((rc = mdb_txn_begin(self->env, parent, 0, &child)) ==
               MDB_SUCCESS) {
        rc = s_ingest_txn(self, child, &in);
        if (rc == MDB_SUCCESS)
            rc = mdb_txn_commit(child);
        else
            mdb_txn_abort(child);
    }
    proto_buf_release(&in.buf);
    free(in.reach);
    res->equivocation = in.equivocation;
    *refusal = in.refusal;
    return rc;
}

int
store_ingest(store_t *self, const store_batch_t *b, store_ingest_result_t *res)
{
    int refusal = VOCFED_OK;
    memset(res, 0, sizeof *res);
    if (s_malformed(b, res))
        return VOCFED_EMALFORMED;
    if (store_i_derived_ready(self)) {
        s_what(res, "no derived data attached to the store");
        return VOCFED_EINVALID;
    }
    proto_checkpoint_t *cps = calloc(b->ncp, sizeof *cps);
    if (!cps)
        return VOCFED_ENOMEM;
    size_t bytes = 0;
    for (size_t k = 0; k < b->count; k++)
        bytes += b->entries[k].len;
    (void)store_i_reserve(self, false, store_i_write_need(b->count, bytes));
    int rc = s_ingest_one(self, NULL, false, b, cps, NULL, res, &refusal);
    free(cps);
    if (rc == VOCFED_OK)
        store_i_sync_apply(self);
    if (rc == VOCFED_OK && refusal)
        rc = refusal;
    if (rc != VOCFED_OK)
        res->applied = res->skipped = 0; /* nothing of it was written */
    if (rc == VOCFED_ESTORAGEFULL)
        s_what(res, S_NO_SPACE);
    return rc;
}

typedef struct {
    const store_batch_t *const *b; /* the batches */
    size_t n;                      /* how many */
    store_ingest_result_t *res;    /* per batch */
    int *rcs;                      /* per batch */
    store_i_ahead_t *ahead;        /* their entries checked ahead, or NULL */
    store_i_ahead_slot_t **slots;  /* batch i's slots there, or NULL */
    struct store_i_inext *took;    /* the named batches ahead came from */
    store_ingest_then_fn then;     /* before the commit, or NULL */
    void *then_ctx;                /* its context */
    bool flat;                     /* each batch in the group's txn itself */
    bool flat_refused;             /* one was refused so: nest them all */
} s_many_t;

/* The group's checks ahead are over (every entry written): the helper
 * leaves them, and is free for the batches named next. */
static void
s_many_ahead_stop(s_many_t *m)
{
    store_i_ahead_stop(&m->ahead);
    for (size_t i = 0; i < m->n; i++)
        m->slots[i] = NULL;
    free(m->took); /* the helper has left its batches */
    m->took = NULL;
}

static int
s_many_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_many_t *m = ctx;
    for (size_t i = 0; i < m->n; i++) {
        store_ingest_result_t *res = &m->res[i];
        int refusal = VOCFED_OK;
        memset(res, 0, sizeof *res);
        if (s_malformed(m->b[i], res)) {
            m->rcs[i] = VOCFED_EMALFORMED;
            continue;
        }
        proto_checkpoint_t *cps = calloc(m->b[i]->ncp, sizeof *cps);
        if (!cps)
            return VOCFED_ENOMEM;
        int rc = s_ingest_one(self, txn, m->flat, m->b[i], cps, m->slots[i],
                              res, &refusal);
        free(cps);
        if (rc == MDB_SUCCESS) {
            m->rcs[i] = refusal;
        } else if (store_i_is_status(rc) && m->flat) {
            /* Part of it is in the group's transaction: the group is
             * dropped and written again, each batch nested. */
            m->flat_refused = true;
            return rc;
        } else if (store_i_is_status(rc)) {
            m->rcs[i] = rc; /* this batch only */
        } else {
            return rc; /* map full (grow and redo all) or storage trouble */
        }
        if (m->rcs[i] != VOCFED_OK)
            res->applied = res->skipped = 0; /* nothing of it was written */
    }
    if (m->then) {
        /* Written: while the commit below waits for the disk, the helper
         * checks what the caller names next. */
        s_many_ahead_stop(m);
        m->then(self, m->then_ctx);
    }
    return MDB_SUCCESS;
}

/* The group does not fit on the disk: take in, in order, the batches
 * that do, each in its own commit, so that a disk with room for less
 * than a group still fills up and its senders see how far it got. From
 * the first that does not fit on, every batch is refused (a later one of
 * the same log would be a gap). */
static void
s_many_one_by_one(store_t *self, const store_batch_t *const *b, size_t n,
                  store_ingest_result_t *res, int *rcs)
{
    bool full = false;
    for (size_t i = 0; i < n; i++) {
        if (full) {
            memset(&res[i], 0, sizeof res[i]);
            rcs[i] = VOCFED_ESTORAGEFULL;
            s_what(&res[i], S_NO_SPACE);
            continue;
        }
        rcs[i] = store_ingest(self, b[i], &res[i]);
        full = rcs[i] == VOCFED_ESTORAGEFULL;
    }
}

/* ---- the next group's batches, checked during this one's commit ------ */

/* The batches store_ingest_next named: copies of their descriptions (the
 * bytes are the caller's), and their checks on the helper. */
struct store_i_inext {
    size_t n;                         /* batches */
    store_batch_t *b;                 /* their descriptions */
    const store_batch_t **bp;         /* b[i]'s address (the helper's) */
    proto_bytes_t *ents;              /* every batch's entries, in a row */
    char (*author)[PROTO_ID_MAX + 1]; /* b[i].author */
    store_i_ahead_t *ahead;           /* their checks */
};

void
store_i_inext_drop(store_t *self)
{
    struct store_i_inext *x = self->inext;
    if (!x)
        return;
    self->inext = NULL;
    store_i_ahead_stop(&x->ahead);
    free(x);
}

void
store_ingest_next_drop(store_t *self)
{
    store_i_inext_drop(self);
}

bool
store_ingest_next_pending(const store_t *self)
{
    return self->inext != NULL;
}

void
store_ingest_next(store_t *self, const store_batch_t *const *b, size_t n)
{
    store_i_inext_drop(self);
    store_i_next_drop(self); /* an append's: the helper is the group's */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!b[i] || !b[i]->author || !b[i]->entries ||
            strlen(b[i]->author) > PROTO_ID_MAX ||
            b[i]->count > PROTO_MSG_MAX_ENTRIES)
            return; /* only what a group would take */
        total += b[i]->count;
    }
    if (n == 0 || total < (self->ahead_min ? self->ahead_min : STORE_AHEAD_MIN))
        return;
    /* One block: the descriptions, their addresses, the authors, then the
     * entries (each part aligned as its type wants). */
    size_t at_bp = n * sizeof(store_batch_t);
    size_t at_au = at_bp + n * sizeof(store_batch_t *);
    size_t at_en = at_au + n * (PROTO_ID_MAX + 1);
    at_en = (at_en + _Alignof(proto_bytes_t) - 1) / _Alignof(proto_bytes_t) *
            _Alignof(proto_bytes_t);
    struct store_i_inext *x =
        malloc(sizeof *x + at_en + total * sizeof(proto_bytes_t));
    if (!x)
        return;
    uint8_t *base = (uint8_t *)(x + 1);
    x->n = n;
    x->b = (store_batch_t *)base;
    x->bp = (const store_batch_t **)(base + at_bp);
    x->author = (char(*)[PROTO_ID_MAX + 1])(base + at_au);
    x->ents = (proto_bytes_t *)(base + at_en);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(x->author[i], sizeof x->author[i], "%s", b[i]->author);
        memcpy(&x->ents[at], b[i]->entries, b[i]->count * sizeof *x->ents);
        x->b[i] = (store_batch_t){.author = x->author[i],
                                  .first_seq = b[i]->first_seq,
                                  .entries = &x->ents[at],
                                  .count = b[i]->count};
        x->bp[i] = &x->b[i];
        at += b[i]->count;
    }
    x->ahead = store_i_ahead_start(&self->helper, x->bp, n, s_entry_passes,
                                   self, self->ahead_min, self->ahead_first);
    if (!x->ahead) {
        free(x);
        return;
    }
    self->inext = x;
}

/* Whether the named batch x is b: the same author, first seq and
 * entries, at the same addresses (the caller kept their bytes). */
static bool
s_same_batch(const store_batch_t *x, const store_batch_t *b)
{
    if (!b || !b->author || !b->entries || x->first_seq != b->first_seq ||
        x->count != b->count || strcmp(x->author, b->author) != 0)
        return false;
    for (size_t k = 0; k < b->count; k++)
        if (x->entries[k].data != b->entries[k].data ||
            x->entries[k].len != b->entries[k].len)
            return false;
    return true;
}

/* The checks of the batches named next, for the group m: each batch of
 * m that is one of them gets its slots; true when any did (m then owns
 * the work). Else the work is thrown away. */
static bool
s_inext_take(store_t *self, s_many_t *m)
{
    struct store_i_inext *x = self->inext;
    if (!x)
        return false;
    self->inext = NULL;
    bool any = false;
    for (size_t i = 0, j = 0; i < m->n; i++) {
        /* In order, as named: a batch not there is passed over. */
        for (size_t q = j; q < x->n; q++)
            if (s_same_batch(&x->b[q], m->b[i])) {
                m->slots[i] = store_i_ahead_batch(x->ahead, q);
                any |= m->slots[i] != NULL;
                j = q + 1;
                break;
            }
    }
    if (!any) {
        store_i_ahead_stop(&x->ahead);
        free(x);
        return false;
    }
    m->ahead = x->ahead;
    m->took = x;
    self->inext_taken++;
    return true;
}

int
store_ingest_many(store_t *self, const store_batch_t *const *b, size_t n,
                  store_ingest_result_t *res, int *rcs)
{
    return store_ingest_many_then(self, b, n, res, rcs, NULL, NULL);
}

int
store_ingest_many_then(store_t *self, const store_batch_t *const *b, size_t n,
                       store_ingest_result_t *res, int *rcs,
                       store_ingest_then_fn then, void *ctx)
{
    /* Flat first: each batch straight in the group's transaction (a
     * nested one per batch cost ~3% of a sync's ingest); a group with a
     * batch refused midway is written again with each batch nested, so
     * that the refused one leaves nothing and the others go in. */
    s_many_t m = {b, n, res, rcs, NULL, NULL, NULL, then, ctx, true, false};
    int rc = store_i_derived_ready(self);
    if (!rc && !(m.slots = calloc(n ? n : 1, sizeof *m.slots)))
        rc = VOCFED_ENOMEM;
    if (rc) {
        store_i_inext_drop(self);
        for (size_t i = 0; i < n; i++) {
            memset(&res[i], 0, sizeof res[i]);
            s_what(&res[i], rc == VOCFED_ENOMEM
                                ? "no memory to take the batch in"
                                : "no derived data attached to the store");
            rcs[i] = rc;
        }
        return rc;
    }
    size_t entries = 0, bytes = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; b[i] && k < b[i]->count; k++, entries++)
            bytes += b[i]->entries[k].len;
    (void)store_i_reserve(self, false, store_i_write_need(entries, bytes));
    store_i_next_drop(self); /* the helper is this group's */
    if (!s_inext_take(self, &m)) {
        m.ahead = store_i_ahead_start(&self->helper, b, n, s_entry_passes, self,
                                      self->ahead_min, self->ahead_first);
        for (size_t i = 0; i < n; i++)
            m.slots[i] = store_i_ahead_batch(m.ahead, i);
    }
    rc = store_i_write(self, s_many_txn, &m);
    if (m.flat_refused) {
        m.flat = false;
        self->flat_redone++;
        rc = store_i_write(self, s_many_txn, &m);
    }
    s_many_ahead_stop(&m);
    free(m.slots);
    if (rc == VOCFED_OK)
        store_i_sync_apply(self);
    if (rc == VOCFED_ESTORAGEFULL && n > 1) {
        store_i_inext_drop(self); /* one by one, each its own group */
        s_many_one_by_one(self, b, n, res, rcs);
        return VOCFED_OK; /* rcs[i] tells each batch's fate */
    }
    if (rc)
        for (size_t i = 0; i < n; i++) {
            rcs[i] = rc;
            if (rc == VOCFED_ESTORAGEFULL)
                s_what(&res[i], S_NO_SPACE);
        }
    return rc;
}
