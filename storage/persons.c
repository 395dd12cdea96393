/* vocfed: person numbers (see persons.h, SPEC 5.1). */
#include "storage/persons.h"

#include "protocol/tabhash.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t pid[32]; /* the pseudo_id */
    uint32_t no;     /* its number */
    uint32_t gen;    /* valid when the cache's generation */
} s_slot_t;

struct store_i_persons {
    s_slot_t *slots; /* open addressing (cap a power of 2) */
    size_t cap, n;   /* slots, valid ones */
    uint32_t gen;    /* the current generation (never 0) */
    MDB_txn *txn;    /* the write transaction cached */
    uint32_t next;   /* the next number to give (0: not read yet) */
    uint64_t seed;   /* s_hash's */
    /* The person found last (valid when last_gen is gen): the figures
     * name one entry's person several times in a row. */
    uint8_t last[32];
    uint32_t last_no, last_gen;
    uint32_t fresh;   /* the first number this write gives (0: none yet) */
    bool fresh_reads; /* store_i_person_fresh may answer (the chunk's
                         reads, before it writes anything) */
};

/* The hash of a pseudo_id: all 32 bytes under the cache's seed, drawn
 * when the cache is made (protocol/tabhash.h). A pseudo_id is a keyed
 * hash when a member is honest, but the bytes come from members: a fixed
 * or partial hash would let one choose keys that all fall on one probe
 * chain (the applier quadratic: seen with test keys whose first 8 bytes
 * were all zero). Before tabhash.h the seed was declared and never
 * drawn: it was 0. */
static uint64_t
s_hash(uint64_t seed, const uint8_t pid[32])
{
    return proto_tabhash(seed, pid, 32);
}

static s_slot_t *
s_find(struct store_i_persons *p, const uint8_t pid[32])
{
    if (!p->cap)
        return NULL;
    for (size_t i = s_hash(p->seed, pid) & (p->cap - 1);;
         i = (i + 1) & (p->cap - 1)) {
        s_slot_t *s = &p->slots[i];
        if (s->gen != p->gen)
            return NULL;
        if (!memcmp(s->pid, pid, 32))
            return s;
    }
}

static void
s_place(s_slot_t *slots, size_t cap, uint64_t seed, uint32_t gen,
        const uint8_t pid[32], uint32_t no)
{
    size_t i = s_hash(seed, pid) & (cap - 1);
    while (slots[i].gen == gen)
        i = (i + 1) & (cap - 1);
    memcpy(slots[i].pid, pid, 32);
    slots[i].no = no;
    slots[i].gen = gen;
}

/* Notes (pid, no) in the cache, growing it at half full. */
static int
s_cache(struct store_i_persons *p, const uint8_t pid[32], uint32_t no)
{
    if (2 * (p->n + 1) > p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 4096;
        s_slot_t *s = calloc(cap, sizeof *s);
        if (!s)
            return VOCFED_ENOMEM;
        for (size_t i = 0; i < p->cap; i++)
            if (p->slots[i].gen == p->gen)
                s_place(s, cap, p->seed, 1, p->slots[i].pid, p->slots[i].no);
        free(p->slots);
        p->slots = s;
        p->cap = cap;
        p->gen = 1;
    }
    s_place(p->slots, p->cap, p->seed, p->gen, pid, no);
    p->n++;
    return MDB_SUCCESS;
}

void
store_i_persons_begin(store_t *self, MDB_txn *txn)
{
    struct store_i_persons *p = self->pcache;
    if (!p) {
        if (!(p = self->pcache = calloc(1, sizeof *p)))
            return; /* no cache: every lookup reads the tables */
        p->seed = proto_tabhash_seed();
    }
    if (++p->gen == 0) { /* wrapped: clear the slots once */
        if (p->slots)
            memset(p->slots, 0, p->cap * sizeof *p->slots);
        p->gen = 1;
    }
    p->n = 0;
    p->txn = txn;
    p->next = 0;
    p->last_gen = 0; /* (gen is never 0) */
    p->fresh = 0;
    p->fresh_reads = false;
}

void
store_i_persons_free(store_t *self)
{
    if (!self->pcache)
        return;
    free(self->pcache->slots);
    free(self->pcache);
    self->pcache = NULL;
}

int
store_i_persons_open(store_t *self, MDB_txn *txn, bool create)
{
    unsigned flags = create ? MDB_CREATE : 0;
    int rc = mdb_dbi_open(txn, "persons", flags, &self->persons);
    if (rc == MDB_SUCCESS)
        rc = mdb_dbi_open(txn, "pnew", flags, &self->pnew);
    return rc ? rc : mdb_dbi_open(txn, "pnums", flags, &self->pnums);
}

int
store_i_persons_drop(store_t *self, MDB_txn *txn)
{
    int rc = mdb_drop(txn, self->persons, 0);
    if (rc == MDB_SUCCESS)
        rc = mdb_drop(txn, self->pnew, 0);
    return rc ? rc : mdb_drop(txn, self->pnums, 0);
}

int
store_i_persons_get(store_t *self, MDB_txn *txn, const uint8_t pid[32],
                    uint32_t *no)
{
    MDB_val k = {32, (void *)pid}, d;
    int rc = mdb_get(txn, self->pnew, &k, &d);
    if (rc == MDB_NOTFOUND)
        rc = mdb_get(txn, self->persons, &k, &d);
    if (rc)
        return rc;
    if (d.mv_size != 4)
        return VOCFED_ECORRUPT;
    *no = store_i_rd32(d.mv_data);
    return MDB_SUCCESS;
}

/* The integer square root of v (rounded down). */
static uint64_t
s_isqrt(uint64_t v)
{
    uint64_t r = 0;
    for (uint64_t b = (uint64_t)1 << 62; b; b >>= 2) {
        if (v >= r + b) {
            v -= r + b;
            r = (r >> 1) + b;
        } else {
            r >>= 1;
        }
    }
    return r;
}

uint64_t
store_i_persons_young_most(uint64_t settled)
{
    uint64_t t = s_isqrt(2 * settled * STORE_APPLY_FIT_MAX);
    return t < STORE_APPLY_FIT_MIN ? STORE_APPLY_FIT_MIN : t;
}

int
store_i_persons_due(store_t *self, MDB_txn *txn, bool *due, size_t *bytes)
{
    MDB_stat b, y;
    int rc = mdb_stat(txn, self->persons, &b);
    if (rc == MDB_SUCCESS)
        rc = mdb_stat(txn, self->pnew, &y);
    *due = rc == MDB_SUCCESS &&
           y.ms_entries >= store_i_persons_young_most(b.ms_entries);
    if (bytes) /* every page of both, and a quarter more for splits */
        *bytes = !*due ? 0
                       : (size_t)(b.ms_branch_pages + b.ms_leaf_pages +
                                  y.ms_branch_pages + y.ms_leaf_pages) *
                             b.ms_psize * 5 / 4;
    return rc;
}

/* Cursors on a and b in txn: both open, or neither (an LMDB code). */
static int
s_cursors(MDB_txn *txn, MDB_dbi a, MDB_dbi b, MDB_cursor **ca, MDB_cursor **cb)
{
    int rc = mdb_cursor_open(txn, a, ca);
    if (rc == MDB_SUCCESS && (rc = mdb_cursor_open(txn, b, cb)))
        mdb_cursor_close(*ca);
    return rc;
}

int
store_i_persons_settle(store_t *self, MDB_txn *txn, size_t *moved)
{
    MDB_cursor *yc, *bc;
    MDB_val k, d;
    *moved = 0;
    int rc = s_cursors(txn, self->pnew, self->persons, &yc, &bc);
    if (rc)
        return rc;
    /* In key order: each put lands on or after the page of the one
     * before, so each page of persons is copied once. */
    for (rc = mdb_cursor_get(yc, &k, &d, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(yc, &k, &d, MDB_NEXT)) {
        if (k.mv_size != 32 || d.mv_size != 4) {
            rc = VOCFED_ECORRUPT;
            break;
        }
        rc = mdb_cursor_put(bc, &k, &d, MDB_NOOVERWRITE);
        if (rc) {
            rc = rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc; /* in both */
            break;
        }
        (*moved)++;
    }
    mdb_cursor_close(bc);
    mdb_cursor_close(yc);
    if (rc == MDB_NOTFOUND)
        rc = mdb_drop(txn, self->pnew, 0);
    return rc;
}

/* The cache of txn, or NULL (another transaction: a reader). */
static struct store_i_persons *
s_cache_of(store_t *self, MDB_txn *txn)
{
    struct store_i_persons *p = self->pcache;
    return p && p->txn == txn ? p : NULL;
}

/* Gives pid the next number (pnew through pcur and pnums through ncur
 * when not NULL); when pnew has it already, *no gets its number if found
 * (else VOCFED_ECORRUPT: the caller knew it had none). persons, the
 * settled ones, the caller looked in first. */
static int
s_give(store_t *self, MDB_txn *txn, MDB_cursor *pcur, MDB_cursor *ncur,
       const uint8_t pid[32], bool found, uint32_t *no)
{
    struct store_i_persons *p = self->pcache;
    int rc;
    if (!p || p->txn != txn)
        return VOCFED_EINVALID; /* numbers are given in a write only */
    if (!p->next) {
        MDB_cursor *c;
        MDB_val k, d;
        if ((rc = mdb_cursor_open(txn, self->pnums, &c)))
            return rc;
        rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND)
            p->next = 1;
        else if (rc)
            return rc;
        else if (k.mv_size != 4)
            return VOCFED_ECORRUPT;
        else
            p->next = store_i_rd32(k.mv_data) + 1;
        if (!p->next)
            return VOCFED_ETOOLARGE; /* 2^32 - 1 persons */
        p->fresh = p->next; /* no stored key holds a number from here */
    }
    uint8_t nb[4];
    store_i_be32(nb, p->next);
    MDB_val pk = {32, (void *)pid}, pv = {4, nb}, nk = {4, nb},
            nv = {32, (void *)pid};
    rc = pcur ? mdb_cursor_put(pcur, &pk, &pv, MDB_NOOVERWRITE)
              : mdb_put(txn, self->pnew, &pk, &pv, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST && found) { /* pv is the number it has */
        if (pv.mv_size != 4)
            return VOCFED_ECORRUPT;
        *no = store_i_rd32(pv.mv_data);
        return s_cache(p, pid, *no);
    }
    if (!rc)
        rc = ncur ? mdb_cursor_put(ncur, &nk, &nv, MDB_APPEND)
                  : mdb_put(txn, self->pnums, &nk, &nv, MDB_APPEND);
    if (rc)
        return rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc;
    *no = p->next++;
    return s_cache(p, pid, *no);
}

/* pid's number: the cache, else persons, else (create) the next. */
static int
s_number(store_t *self, MDB_txn *txn, const uint8_t pid[32], bool create,
         uint32_t *no)
{
    struct store_i_persons *p = s_cache_of(self, txn);
    if (p && p->last_gen == p->gen && !memcmp(p->last, pid, 32)) {
        *no = p->last_no;
        return MDB_SUCCESS;
    }
    s_slot_t *s = p ? s_find(p, pid) : NULL;
    if (s) {
        memcpy(p->last, pid, 32);
        p->last_no = *no = s->no;
        p->last_gen = p->gen;
        return MDB_SUCCESS;
    }
    int rc = store_i_persons_get(self, txn, pid, no);
    if (rc == MDB_SUCCESS)
        return p ? s_cache(p, pid, *no) : MDB_SUCCESS;
    if (rc != MDB_NOTFOUND || !create)
        return rc;
    return s_give(self, txn, NULL, NULL, pid, false, no);
}

/* Whether k (len bytes) begins a family whose keys are led by their
 * person: `h|` or `i|` (persons.h). */
static bool
s_led_family(const uint8_t *k, size_t len)
{
    return len >= 2 && (k[0] == 'h' || k[0] == 'i') && k[1] == '|';
}

bool
store_i_pkey_led(const uint8_t *k, size_t len, size_t from, size_t at)
{
    return from == 0 && at >= 2 && len == at + 33 && s_led_family(k, len);
}

bool
store_i_prefix_led(const uint8_t *p, size_t plen)
{
    if (memchr(p, STORE_KEY_PSEUDO, plen))
        return false; /* a person's prefix is stored as that person's */
    if (plen == 1)
        return p[0] == 'h' || p[0] == 'i';
    return plen == 0 || s_led_family(p, plen);
}

int
store_i_pkey(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len,
             size_t from, bool create, uint8_t *out, size_t *olen)
{
    if (from == 0 && len && k[0] == STORE_KEY_LED)
        return VOCFED_EINVALID; /* would read as led by a person */
    const uint8_t *m =
        from < len ? memchr(k + from, STORE_KEY_PSEUDO, len - from) : NULL;
    if (!m) {
        memmove(out, k, len);
        *olen = len;
        return MDB_SUCCESS;
    }
    size_t at = (size_t)(m - k);
    if (len - at - 1 < 32)
        return VOCFED_EINVALID;
    uint32_t no;
    int rc = s_number(self, txn, m + 1, create, &no);
    if (rc)
        return rc;
    *olen = len - STORE_PERSON_SHRINK;
    if (store_i_pkey_led(k, len, from, at)) {
        memmove(out + 5, k, at); /* the person first, then the rest */
        out[0] = STORE_KEY_LED;
        store_i_be32(out + 1, no);
        return MDB_SUCCESS;
    }
    memmove(out, k, at + 1);
    store_i_be32(out + at + 1, no);
    memmove(out + at + 5, k + at + 33, len - at - 33);
    return MDB_SUCCESS;
}

/* The pseudo_id of person number no (4 bytes at nb) in txn. */
static int
s_pid_of(store_t *self, MDB_txn *txn, const uint8_t *nb, const uint8_t **pid)
{
    MDB_val nk = {4, (void *)nb}, d;
    int rc = mdb_get(txn, self->pnums, &nk, &d);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    if (d.mv_size != 32)
        return VOCFED_ECORRUPT;
    *pid = d.mv_data;
    return MDB_SUCCESS;
}

int
store_i_punkey(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len,
               size_t from, uint8_t *out, size_t cap, size_t *olen)
{
    if (from == 0 && len && k[0] == STORE_KEY_LED) {
        const uint8_t *pid;
        if (len < 7 || len + STORE_PERSON_SHRINK > cap ||
            !s_led_family(k + 5, len - 5))
            return VOCFED_ECORRUPT;
        int rc = s_pid_of(self, txn, k + 1, &pid);
        if (rc)
            return rc;
        memmove(out, k + 5, len - 5);
        out[len - 5] = STORE_KEY_PSEUDO;
        memcpy(out + len - 4, pid, 32);
        *olen = len + STORE_PERSON_SHRINK;
        return MDB_SUCCESS;
    }
    const uint8_t *m =
        from < len ? memchr(k + from, STORE_KEY_PSEUDO, len - from) : NULL;
    if (len + (m ? STORE_PERSON_SHRINK : 0) > cap)
        return VOCFED_ECORRUPT;
    if (!m) {
        memcpy(out, k, len);
        *olen = len;
        return MDB_SUCCESS;
    }
    size_t at = (size_t)(m - k);
    if (len - at - 1 < 4)
        return VOCFED_ECORRUPT;
    const uint8_t *pid;
    int rc = s_pid_of(self, txn, m + 1, &pid);
    if (rc)
        return rc;
    memmove(out + at + 33, k + at + 5, len - at - 5);
    memmove(out, k, at + 1);
    memcpy(out + at + 1, pid, 32);
    *olen = len + STORE_PERSON_SHRINK;
    return MDB_SUCCESS;
}

int
store_i_persons_resolve(store_t *self, MDB_txn *txn, const uint8_t *const *pids,
                        size_t n, uint32_t *nos)
{
    struct store_i_persons *p = s_cache_of(self, txn);
    bool cached = p && p->n; /* before this call */
    MDB_cursor *cur, *ycur, *ncur = NULL;
    int rc = s_cursors(txn, self->persons, self->pnew, &cur, &ycur);
    if (rc)
        return rc;
    if (p && (rc = mdb_cursor_open(txn, self->pnums, &ncur))) {
        mdb_cursor_close(ycur);
        mdb_cursor_close(cur);
        return rc;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        /* pids are distinct: only what the transaction cached before can
         * be found (a chunk's first call finds nothing: no probe). */
        s_slot_t *s = cached ? s_find(p, pids[i]) : NULL;
        MDB_val k = {32, (void *)pids[i]}, d;
        uint32_t no = 0;
        if (s) {
            no = s->no;
        } else if ((rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY)) ==
                   MDB_SUCCESS) {
            /* The settled persons first, read only: their pages stay
             * clean. */
            if (d.mv_size != 4)
                rc = VOCFED_ECORRUPT;
            else if ((no = store_i_rd32(d.mv_data)) && p)
                rc = s_cache(p, pids[i], no);
        } else if (rc != MDB_NOTFOUND) {
            break;
        } else if (p) { /* one search: the put finds the number pnew has */
            rc = s_give(self, txn, ycur, ncur, pids[i], true, &no);
        } else {
            k = (MDB_val){32, (void *)pids[i]};
            rc = mdb_cursor_get(ycur, &k, &d, MDB_SET_KEY); /* not a writer */
            if (rc == MDB_SUCCESS && d.mv_size != 4)
                rc = VOCFED_ECORRUPT;
            else if (rc == MDB_SUCCESS)
                no = store_i_rd32(d.mv_data);
            else if (rc == MDB_NOTFOUND)
                rc = VOCFED_EINVALID; /* numbers are given in a write only */
        }
        if (nos)
            nos[i] = no;
    }
    mdb_cursor_close(cur);
    mdb_cursor_close(ycur);
    if (ncur)
        mdb_cursor_close(ncur);
    return rc;
}

size_t
store_i_persons_chunk(store_t *self, MDB_txn *txn, size_t least, size_t most)
{
    MDB_stat st, y;
    if (mdb_stat(txn, self->persons, &st) || mdb_stat(txn, self->pnew, &y))
        return least;
    size_t c = 4 * (size_t)(st.ms_leaf_pages + y.ms_leaf_pages);
    return c < least ? least : c > most ? most : c;
}

void
store_i_persons_fresh_reads(store_t *self, MDB_txn *txn, bool on)
{
    struct store_i_persons *p = s_cache_of(self, txn);
    if (p)
        p->fresh_reads = on;
}

bool
store_i_led_new(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len)
{
    struct store_i_persons *p = s_cache_of(self, txn);
    return p && p->fresh && len >= 5 && k[0] == STORE_KEY_LED &&
           store_i_rd32(k + 1) >= p->fresh;
}

bool
store_i_person_fresh(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len,
                     size_t from)
{
    struct store_i_persons *p = s_cache_of(self, txn);
    if (!p || !p->fresh_reads || !p->fresh)
        return false;
    if (from == 0 && len >= 5 && k[0] == STORE_KEY_LED)
        return store_i_rd32(k + 1) >= p->fresh;
    const uint8_t *m =
        from < len ? memchr(k + from, STORE_KEY_PSEUDO, len - from) : NULL;
    if (!m || (size_t)(k + len - m) < 5)
        return false;
    return store_i_rd32(m + 1) >= p->fresh;
}
