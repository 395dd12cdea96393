/* vocfed: work ahead on a second thread (ahead.h). */
#include "storage/ahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A slot's states. FREE moves to HELPER when claimed, by the helper or
 * by the ingest or append that caught it up (either checks or encodes
 * it with the helper's code, then sets PASSED or FAILED); nothing else
 * moves a slot, so whoever moved it from FREE owns it. */
enum { S_FREE, S_HELPER, S_PASSED, S_FAILED };

struct store_i_ahead_slot {
    _Atomic unsigned char state;  /* S_* */
    uint8_t leaf[PROTO_HASH_LEN]; /* PASSED: the leaf hash */
    proto_entry_t e;              /* PASSED: the entry, decoded */
    const store_batch_t *b;       /* its batch */
    size_t k;                     /* its place there */
    bool has_blk;                 /* PASSED: blk is set */
    store_i_block_t blk;          /* the block ending here (ahead.h) */
    store_i_ahead_t *group;       /* the group it is a slot of */
    size_t at;                    /* its place there */
};

struct store_i_ahead {
    store_i_helper_t *helper;     /* the thread that checks it */
    store_i_ahead_slot_t *slots;  /* every entry of the group, in order */
    size_t n;                     /* how many */
    size_t *first;                /* batch i's first slot (nb + 1 of them) */
    size_t nb;                    /* batches */
    store_i_ahead_check_fn check; /* the ingest's checks */
    void *ctx;                    /* check's context */
    atomic_bool stop;             /* the ingest is done: stop */
    atomic_size_t caught;         /* the ingest caught up with the helper
                                     at this slot (0: not yet) */
    bool lent;                    /* slots are the helper's (kept) */
};

struct store_i_helper {
    pthread_t thread;      /* the helper */
    pthread_mutex_t mutex; /* guards the three below */
    pthread_cond_t cond;   /* they changed */
    store_i_job_fn fn;     /* what it runs on job */
    void *job;             /* the job under way, NULL while none */
    bool quit;             /* end the thread */
    /* The last append's encoding slots, kept for the next (its owner's
     * thread only): an import's appends of 100,000 records each would
     * otherwise map and fault in a fresh arena of ~40 MB every time. */
    store_i_enc_t *spare;
    /* The groups' slots, lent to one group at a time (its owner's thread
     * only): a coordinator's groups of ~25,000 entries each had mapped
     * and faulted in ~5 MB of fresh slots every time, ~3-4% of its
     * ingest thread's time in a 1M-row e2e run (bench/README.md). At
     * most S_SLOTS_KEEP are kept (~216 bytes each, ~28 MB); a larger
     * group has its own. */
    store_i_ahead_slot_t *slots;
    size_t slotcap;
};

static void s_enc_free(store_i_enc_t *self);
static void *s_grow(void *p, size_t *cap, size_t n, size_t size);

/* Slots the helper leaves to the writer (the ingest, the append) when it
 * finds the writer caught up with it: the writer, faster than the helper
 * at what is left to it (the entries' writes and tree nodes), would
 * otherwise meet it slot after slot, and check (encode) again each slot
 * it finds the helper on. Past the jump the helper is ahead until the
 * writer catches up again, so each does about the share that keeps both
 * busy, and the helper's runs are long enough for its blocks. */
#define S_JUMP 256

/* Moves *i, the helper's next slot, past the jump when the writer caught
 * it at or past *i (*run, the helper's run, then ends). False: past n. */
static bool
s_jump(atomic_size_t *caught, size_t *i, size_t n, size_t *run)
{
    size_t at = atomic_load_explicit(caught, memory_order_relaxed);
    if (at && *i <= at) {
        *i = at + S_JUMP;
        *run = 0;
    }
    return *i < n;
}

/* Sets blk to the node of the STORE_BLOCK leaf hashes at h (the helper's
 * own, overwritten: each level is made in place, eight pairs at a time
 * where the processor allows), the first of them leaf number first. */
static void
s_block(store_i_block_t *blk, uint64_t first, uint8_t (*h)[PROTO_HASH_LEN])
{
    blk->first = first;
    for (size_t n = STORE_BLOCK / 2; n >= 1; n /= 2)
        proto_hash_pairs(n, (const uint8_t(*)[PROTO_HASH_LEN])h, h);
    memcpy(blk->hash, h[0], PROTO_HASH_LEN);
}

/* Slots the helper claims at once: their leaf hashes are made together
 * (proto_hash_leaves: eight lanes of AVX-512F). */
#define S_CLAIM 8

/* Claims up to S_CLAIM free slots from slot i on, in a row (each FREE to
 * HELPER), into cl; how many (0: slot i is the ingest's). */
static size_t
s_claim(store_i_ahead_slot_t *slots, size_t i, size_t n,
        store_i_ahead_slot_t **cl)
{
    size_t got = 0;
    while (got < S_CLAIM && i + got < n) {
        store_i_ahead_slot_t *s = &slots[i + got];
        unsigned char free_ = S_FREE;
        if (!atomic_compare_exchange_strong_explicit(
                &s->state, &free_, S_HELPER, memory_order_acquire,
                memory_order_relaxed))
            break; /* the ingest caught up and took it */
        cl[got++] = s;
    }
    return got;
}

/* Checks the got slots claimed at cl (each HELPER, its claimer's: the
 * helper's or the ingest's) with the ingest's checks, then makes the
 * leaf hashes of those that passed together; ok[j] says which passed.
 * What it sets is published by the claimer (the state's store). */
static void
s_check_claimed(const store_i_ahead_t *self, store_i_ahead_slot_t **cl,
                size_t got, bool *ok)
{
    const uint8_t *data[S_CLAIM] = {0};
    size_t len[S_CLAIM] = {0}, idx[S_CLAIM], np = 0;
    uint8_t leaf[S_CLAIM][PROTO_HASH_LEN];
    for (size_t j = 0; j < got; j++) {
        store_i_ahead_slot_t *s = cl[j];
        ok[j] = self->check(s->b, s->k, self->ctx, &s->e);
        if (ok[j]) {
            data[np] = s->b->entries[s->k].data;
            len[np] = s->b->entries[s->k].len;
            idx[np++] = j;
        }
    }
    proto_hash_leaves(np, data, len, leaf);
    for (size_t q = 0; q < np; q++)
        memcpy(cl[idx[q]]->leaf, leaf[q], PROTO_HASH_LEN);
}

/* Checks a group's entries in order, skipping those the ingest took,
 * until the last or until told to stop; up to S_CLAIM at a time, whose
 * leaf hashes are made together. An entry that ends an aligned block of
 * its batch whose entries it all passed gets the block's node. */
static void
s_check_group(void *job)
{
    store_i_ahead_t *self = job;
    const store_batch_t *b = NULL; /* the batch of the run below */
    size_t run = 0; /* slots up to here the helper passed, in b, in a row */
    store_i_ahead_slot_t *cl[S_CLAIM];
    bool ok[S_CLAIM];
    size_t i = 0;
    while (i < self->n) {
        if (atomic_load_explicit(&self->stop, memory_order_relaxed) ||
            !s_jump(&self->caught, &i, self->n, &run))
            break;
        size_t got = s_claim(self->slots, i, self->n, cl);
        if (got == 0) {
            run = 0;
            i++;
            continue;
        }
        s_check_claimed(self, cl, got, ok);
        for (size_t j = 0; j < got; j++, i++) {
            store_i_ahead_slot_t *s = cl[j];
            if (s->b != b)
                run = 0;
            b = s->b;
            run = ok[j] ? run + 1 : 0;
            uint64_t lf = s->b->first_seq + s->k - 1;
            s->has_blk = ok[j] && run >= STORE_BLOCK &&
                         (lf & (STORE_BLOCK - 1)) == STORE_BLOCK - 1;
            if (s->has_blk) {
                uint8_t h[STORE_BLOCK][PROTO_HASH_LEN];
                for (size_t q = 0; q < STORE_BLOCK; q++)
                    memcpy(h[q], self->slots[i + 1 - STORE_BLOCK + q].leaf,
                           PROTO_HASH_LEN);
                s_block(&s->blk, lf + 1 - STORE_BLOCK, h);
            }
            atomic_store_explicit(&s->state, ok[j] ? S_PASSED : S_FAILED,
                                  memory_order_release);
        }
    }
}

static void *
s_helper(void *arg)
{
    store_i_helper_t *h = arg;
    pthread_mutex_lock(&h->mutex);
    for (;;) {
        while (!h->job && !h->quit)
            pthread_cond_wait(&h->cond, &h->mutex);
        if (h->quit)
            break;
        void *job = h->job;
        store_i_job_fn fn = h->fn;
        pthread_mutex_unlock(&h->mutex);
        fn(job);
        pthread_mutex_lock(&h->mutex);
        h->job = NULL; /* left it: its owner may free it */
        pthread_cond_broadcast(&h->cond);
    }
    pthread_mutex_unlock(&h->mutex);
    return NULL;
}

static store_i_helper_t *
s_helper_new(void)
{
    store_i_helper_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (pthread_mutex_init(&h->mutex, NULL) != 0) {
        free(h);
        return NULL;
    }
    if (pthread_cond_init(&h->cond, NULL) != 0) {
        pthread_mutex_destroy(&h->mutex);
        free(h);
        return NULL;
    }
    if (pthread_create(&h->thread, NULL, s_helper, h) != 0) {
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->mutex);
        free(h);
        return NULL;
    }
    return h;
}

void
store_i_helper_free(store_i_helper_t **helper)
{
    if (!helper || !*helper)
        return;
    store_i_helper_t *h = *helper;
    pthread_mutex_lock(&h->mutex);
    h->quit = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mutex);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mutex);
    s_enc_free(h->spare);
    free(h->slots);
    free(h);
    *helper = NULL;
}

/* Waits until the helper has left its job (h->mutex held). */
static void
s_wait_left(store_i_helper_t *h)
{
    while (h->job)
        pthread_cond_wait(&h->cond, &h->mutex);
}

bool
store_i_helper_run(store_i_helper_t **helper, store_i_job_fn fn, void *job,
                   bool wait)
{
    if (!*helper && !(*helper = s_helper_new()))
        return false;
    store_i_helper_t *h = *helper;
    pthread_mutex_lock(&h->mutex);
    s_wait_left(h); /* none: jobs are one at a time */
    h->fn = fn;
    h->job = job;
    pthread_cond_broadcast(&h->cond);
    if (wait)
        s_wait_left(h);
    pthread_mutex_unlock(&h->mutex);
    return true;
}

void
store_i_helper_leave(store_i_helper_t *h, void *job)
{
    pthread_mutex_lock(&h->mutex);
    if (h->job == job)
        s_wait_left(h);
    pthread_mutex_unlock(&h->mutex);
}

/* Tells a job to stop (its flag at stop) and waits until h has left it. */
static void
s_stop(atomic_bool *stop, store_i_helper_t *h, void *job)
{
    atomic_store_explicit(stop, true, memory_order_relaxed);
    store_i_helper_leave(h, job);
}

size_t
store_i_helper_slots(const store_i_helper_t *helper)
{
    return helper ? helper->slotcap : 0;
}

/* Slots of a group kept by the helper for the next (above). */
#define S_SLOTS_KEEP ((size_t)16 * PROTO_MSG_MAX_ENTRIES)

static void
s_group_free(store_i_ahead_t *self)
{
    if (!self->lent)
        free(self->slots);
    free(self->first);
    free(self);
}

/* Slots for total entries: the helper's, grown where short, when they
 * are few enough to keep; else the group's own. NULL: no memory. */
static store_i_ahead_slot_t *
s_slots_get(store_i_helper_t *h, store_i_ahead_t *self, size_t total)
{
    if (total > S_SLOTS_KEEP)
        return malloc(total * sizeof *self->slots);
    store_i_ahead_slot_t *q =
        s_grow(h->slots, &h->slotcap, total, sizeof *h->slots);
    if (q) {
        h->slots = q;
        self->lent = true;
    }
    return q;
}

store_i_ahead_t *
store_i_ahead_start(store_i_helper_t **helper, const store_batch_t *const *b,
                    size_t n, store_i_ahead_check_fn check, void *ctx,
                    size_t min, bool first)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] && b[i]->author && b[i]->entries)
            total += b[i]->count; /* each below PROTO_MSG_MAX_ENTRIES */
    if (total == 0 || total < (min ? min : STORE_AHEAD_MIN))
        return NULL;
    if (!*helper && !(*helper = s_helper_new()))
        return NULL;
    store_i_ahead_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* Not zeroed: each slot's state, batch and place are set below, and
     * its entry and leaf are read only once it has PASSED. The helper is
     * in no group now (store_i_ahead_stop left the last), so its slots
     * are free to lend. */
    self->slots = s_slots_get(*helper, self, total);
    self->first = calloc(n + 1, sizeof *self->first);
    if (!self->slots || !self->first) {
        s_group_free(self);
        return NULL;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        self->first[i] = at;
        if (!b[i] || !b[i]->author || !b[i]->entries)
            continue;
        for (size_t k = 0; k < b[i]->count; k++, at++) {
            atomic_init(&self->slots[at].state, S_FREE);
            self->slots[at].b = b[i];
            self->slots[at].k = k;
            self->slots[at].group = self;
            self->slots[at].at = at;
        }
    }
    self->first[n] = at;
    self->n = total;
    self->nb = n;
    self->check = check;
    self->ctx = ctx;
    atomic_init(&self->stop, false);
    atomic_init(&self->caught, 0);
    if (!store_i_helper_run(helper, s_check_group, self, first)) {
        s_group_free(self);
        return NULL;
    }
    self->helper = *helper;
    return self;
}

store_i_ahead_slot_t *
store_i_ahead_batch(store_i_ahead_t *self, size_t i)
{
    if (!self || i >= self->nb || self->first[i] == self->first[i + 1])
        return NULL;
    return &self->slots[self->first[i]];
}

bool
store_i_ahead_take(store_i_ahead_slot_t *slots, size_t k, proto_entry_t *e,
                   uint8_t leaf[PROTO_HASH_LEN], const store_i_block_t **blk)
{
    *blk = NULL;
    if (!slots)
        return false;
    store_i_ahead_slot_t *s = &slots[k];
    store_i_ahead_t *g = s->group;
    if (atomic_load_explicit(&s->state, memory_order_acquire) == S_FREE) {
        /* The helper never reached it: the ingest claims it and the free
         * slots after it, up to S_CLAIM, checks them as the helper would
         * (their leaf hashes together), and the helper jumps past. */
        store_i_ahead_slot_t *cl[S_CLAIM];
        bool ok[S_CLAIM];
        size_t got = s_claim(g->slots, s->at, g->n, cl);
        if (got) {
            atomic_store_explicit(&g->caught, s->at + got,
                                  memory_order_relaxed);
            s_check_claimed(g, cl, got, ok);
            for (size_t j = 0; j < got; j++) {
                cl[j]->has_blk = false; /* the helper's blocks only */
                atomic_store_explicit(&cl[j]->state,
                                      ok[j] ? S_PASSED : S_FAILED,
                                      memory_order_release);
            }
        }
    }
    unsigned char st = atomic_load_explicit(&s->state, memory_order_acquire);
    /* HELPER: it is being checked; not waited for (the helper may be off
     * its core), checked here too. FAILED: checked here (to say why). */
    if (st == S_HELPER)
        atomic_store_explicit(&s->group->caught, s->at + 1,
                              memory_order_relaxed);
    if (st != S_PASSED)
        return false;
    *e = s->e;
    memcpy(leaf, s->leaf, PROTO_HASH_LEN);
    if (s->has_blk)
        *blk = &s->blk;
    return true;
}

void
store_i_ahead_stop(store_i_ahead_t **self)
{
    if (!self || !*self)
        return;
    s_stop(&(*self)->stop, (*self)->helper, *self);
    s_group_free(*self);
    *self = NULL;
}

/* ---- an append's entries encoded ahead --------------------------------- */

struct store_i_enc {
    store_i_helper_t *helper;        /* the thread that encodes */
    _Atomic unsigned char *state;    /* per slot: S_* as above */
    size_t *off;                     /* slot i at arena + off[i] (m + 1) */
    uint32_t *len;                   /* PASSED: its length */
    uint8_t *arena;                  /* the stored values */
    size_t m;                        /* slots: the first m records */
    uint64_t leaf0;                  /* record 0's leaf number */
    store_i_block_t *blk;            /* the blocks, by their number less
                                        leaf0's block number */
    bool *has_blk;                   /* made: blk[j] is set */
    size_t offcap, statecap, lencap; /* the room of off, state, len, */
    size_t arenacap, blkcap, hascap; /* arena, blk and has_blk */
    store_i_enc_fn fn;               /* the append's encoder */
    const void *ctx;                 /* its context */
    atomic_bool stop;                /* the append is done: stop */
    atomic_size_t caught;            /* the append caught up with the helper
                                        at this slot (0: not yet) */
    proto_buf_t mine;                /* the append's scratch, for the slots
                                        it claims (store_i_enc_take) */
};

/* Encodes one slot into the arena, its leaf hash not made yet; false
 * when it cannot. */
static bool
s_enc_one(store_i_enc_t *self, size_t i, proto_buf_t *buf)
{
    proto_buf_reset(buf);
    if (self->fn(self->ctx, i, buf) != 0 || buf->len < PROTO_HASH_LEN ||
        buf->len > self->off[i + 1] - self->off[i])
        return false;
    memcpy(self->arena + self->off[i], buf->data, buf->len);
    self->len[i] = (uint32_t)buf->len;
    return true;
}

/* Record i's block (it ends one): its place in self->blk. */
static size_t
s_blk_at(const store_i_enc_t *self, size_t i)
{
    return (size_t)((self->leaf0 + i) / STORE_BLOCK -
                    self->leaf0 / STORE_BLOCK);
}

/* Sets record i's block from the leaves of records i - 15 .. i. */
static void
s_enc_block(store_i_enc_t *self, size_t i)
{
    uint8_t h[STORE_BLOCK][PROTO_HASH_LEN];
    size_t j0 = i + 1 - STORE_BLOCK;
    for (size_t j = 0; j < STORE_BLOCK; j++)
        memcpy(h[j], self->arena + self->off[j0 + j], PROTO_HASH_LEN);
    s_block(&self->blk[s_blk_at(self, i)], self->leaf0 + j0, h);
    self->has_blk[s_blk_at(self, i)] = true;
}

/* Claims up to S_CLAIM free records from i on, in a row; how many (0:
 * record i is the append's). */
static size_t
s_enc_claim(store_i_enc_t *self, size_t i)
{
    size_t got = 0;
    while (got < S_CLAIM && i + got < self->m) {
        unsigned char free_ = S_FREE;
        if (!atomic_compare_exchange_strong_explicit(
                &self->state[i + got], &free_, S_HELPER, memory_order_acquire,
                memory_order_relaxed))
            break; /* the append caught up and took it */
        got++;
    }
    return got;
}

/* Encodes the got records claimed from i on (each HELPER, its claimer's:
 * the helper's or the append's) into the arena with buf as scratch, then
 * makes the leaf hashes of those encoded together; ok[j] says which.
 * What it sets is published by the claimer (the state's store). */
static void
s_enc_claimed(store_i_enc_t *self, size_t i, size_t got, proto_buf_t *buf,
              bool *ok)
{
    const uint8_t *data[S_CLAIM] = {0};
    size_t len[S_CLAIM] = {0}, idx[S_CLAIM], np = 0;
    uint8_t leaf[S_CLAIM][PROTO_HASH_LEN];
    for (size_t j = 0; j < got; j++)
        if ((ok[j] = s_enc_one(self, i + j, buf))) {
            const uint8_t *v = self->arena + self->off[i + j];
            data[np] = v + PROTO_HASH_LEN;
            len[np] = self->len[i + j] - PROTO_HASH_LEN;
            idx[np++] = j;
        }
    proto_hash_leaves(np, data, len, leaf);
    for (size_t q = 0; q < np; q++)
        memcpy(self->arena + self->off[i + idx[q]], leaf[q], PROTO_HASH_LEN);
}

/* Encodes the records in order, skipping those the append took, up to
 * S_CLAIM at a time, whose leaf hashes are made together. */
static void
s_enc_group(void *job)
{
    store_i_enc_t *self = job;
    proto_buf_t buf;
    proto_buf_init(&buf);
    bool ok[S_CLAIM];
    size_t run = 0; /* records up to here the helper made, in a row */
    size_t i = 0;
    while (i < self->m) {
        if (atomic_load_explicit(&self->stop, memory_order_relaxed) ||
            !s_jump(&self->caught, &i, self->m, &run))
            break;
        size_t got = s_enc_claim(self, i);
        if (got == 0) {
            run = 0;
            i++;
            continue;
        }
        s_enc_claimed(self, i, got, &buf, ok);
        for (size_t j = 0; j < got; j++, i++) {
            run = ok[j] ? run + 1 : 0;
            if (ok[j] && run >= STORE_BLOCK &&
                ((self->leaf0 + i) & (STORE_BLOCK - 1)) == STORE_BLOCK - 1)
                s_enc_block(self, i); /* before the state says PASSED */
            atomic_store_explicit(&self->state[i], ok[j] ? S_PASSED : S_FAILED,
                                  memory_order_release);
        }
    }
    proto_buf_release(&buf);
}

/* The helper's job when it is to encode nothing (STORE_I_ENC_IDLE). */
static void
s_enc_idle(void *job)
{
    (void)job;
}

static void
s_enc_free(store_i_enc_t *self)
{
    if (!self)
        return;
    free(self->state);
    free(self->off);
    free(self->len);
    free(self->arena);
    free(self->blk);
    free(self->has_blk);
    proto_buf_release(&self->mine);
    free(self);
}

/* p grown to at least n elements of size each (*cap of them now, *cap
 * updated): p itself when it has room, a new block (p then gone), or
 * NULL when out of memory (p kept). */
static void *
s_grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return p;
    void *q = realloc(p, n * size);
    if (q)
        *cap = n;
    return q;
}

/* Room in self for m slots, at bytes of arena and nblk blocks; false
 * when out of memory (what was grown kept). */
static bool
s_enc_room(store_i_enc_t *self, size_t m, size_t at, size_t nblk)
{
    void *q;
    if (!(q = s_grow(self->state, &self->statecap, m, sizeof *self->state)))
        return false;
    self->state = q;
    if (!(q = s_grow(self->len, &self->lencap, m, sizeof *self->len)))
        return false;
    self->len = q;
    if (!(q = s_grow(self->arena, &self->arenacap, at ? at : 1, 1)))
        return false;
    self->arena = q;
    if (!(q = s_grow(self->blk, &self->blkcap, nblk, sizeof *self->blk)))
        return false;
    self->blk = q;
    if (!(q = s_grow(self->has_blk, &self->hascap, nblk,
                     sizeof *self->has_blk)))
        return false;
    self->has_blk = q;
    return true;
}

/* An encoding's slots for n records: the helper's spare, grown where it
 * is short, or new ones. NULL: no memory. */
static store_i_enc_t *
s_enc_get(store_i_helper_t *helper, size_t n)
{
    store_i_enc_t *self = helper ? helper->spare : NULL;
    if (self)
        helper->spare = NULL;
    else if (!(self = calloc(1, sizeof *self)))
        return NULL;
    size_t *off = s_grow(self->off, &self->offcap, n + 1, sizeof *self->off);
    if (!off) {
        s_enc_free(self);
        return NULL;
    }
    self->off = off;
    return self;
}

store_i_enc_t *
store_i_enc_start(store_i_helper_t **helper, size_t n,
                  store_i_enc_bound_fn bound, store_i_enc_fn fn,
                  const void *ctx, uint64_t leaf0, size_t min,
                  store_i_enc_how_t how)
{
    if (n == 0 || n < (min ? min : STORE_AHEAD_MIN))
        return NULL;
    store_i_enc_t *self = s_enc_get(*helper, n);
    if (!self)
        return NULL;
    size_t m = 0, at = 0;
    for (; m < n; m++) {
        size_t b = bound(ctx, m);
        if (b > STORE_ENC_BYTES - at)
            break;
        self->off[m] = at;
        at += b;
    }
    self->off[m] = at;
    self->m = m;
    self->leaf0 = leaf0;
    size_t nblk = m / STORE_BLOCK + 2; /* covers s_blk_at of 0 .. m-1 */
    if (m == 0 || !s_enc_room(self, m, at, nblk)) {
        s_enc_free(self);
        return NULL;
    }
    memset(self->has_blk, 0, nblk * sizeof *self->has_blk);
    for (size_t i = 0; i < m; i++)
        atomic_init(&self->state[i], S_FREE);
    self->fn = fn;
    self->ctx = ctx;
    atomic_init(&self->stop, false);
    atomic_init(&self->caught, 0);
    if (!store_i_helper_run(helper,
                            how == STORE_I_ENC_IDLE ? s_enc_idle : s_enc_group,
                            self, how != STORE_I_ENC_RACE)) {
        s_enc_free(self);
        return NULL;
    }
    self->helper = *helper;
    return self;
}

bool
store_i_enc_take(store_i_enc_t *self, size_t i, const uint8_t **v, size_t *len,
                 const store_i_block_t **blk)
{
    *blk = NULL;
    if (!self || i >= self->m)
        return false;
    if (atomic_load_explicit(&self->state[i], memory_order_acquire) == S_FREE) {
        /* The helper never reached it: the append claims it and the free
         * records after it, up to S_CLAIM, encodes them as the helper
         * would (their leaf hashes together), and the helper jumps past.
         * Blocks stay the helper's alone (store_i_fr_leaf makes the rest). */
        bool ok[S_CLAIM];
        size_t got = s_enc_claim(self, i);
        if (got) {
            atomic_store_explicit(&self->caught, i + got, memory_order_relaxed);
            s_enc_claimed(self, i, got, &self->mine, ok);
            for (size_t j = 0; j < got; j++)
                atomic_store_explicit(&self->state[i + j],
                                      ok[j] ? S_PASSED : S_FAILED,
                                      memory_order_release);
        }
    }
    unsigned char st =
        atomic_load_explicit(&self->state[i], memory_order_acquire);
    /* HELPER: it is being encoded; not waited for (the helper may be off
     * its core), encoded by the caller. FAILED: the caller's, to say why. */
    if (st == S_HELPER)
        atomic_store_explicit(&self->caught, i + 1, memory_order_relaxed);
    if (st != S_PASSED)
        return false;
    *v = self->arena + self->off[i];
    *len = self->len[i];
    if (((self->leaf0 + i) & (STORE_BLOCK - 1)) == STORE_BLOCK - 1 &&
        self->has_blk[s_blk_at(self, i)])
        *blk = &self->blk[s_blk_at(self, i)];
    return true;
}

void
store_i_enc_stop(store_i_enc_t **self)
{
    if (!self || !*self)
        return;
    store_i_enc_t *e = *self;
    s_stop(&e->stop, e->helper, e);
    /* the slots are kept for the next append (the helper has left them) */
    s_enc_free(e->helper->spare);
    e->helper->spare = e;
    *self = NULL;
}
