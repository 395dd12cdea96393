/* vocfed: a group's entries checked ahead, on a second thread (ahead.h). */
#include "storage/ahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A slot's states. FREE moves to HELPER (the helper checks it, then
 * PASSED or FAILED) or to MINE (the ingest checks it); nothing else
 * moves a slot, so whoever moved it from FREE owns it. */
enum { S_FREE, S_HELPER, S_PASSED, S_FAILED, S_MINE };

struct store_i_ahead_slot {
    _Atomic unsigned char state;  /* S_* */
    uint8_t leaf[PROTO_HASH_LEN]; /* PASSED: the leaf hash */
    proto_entry_t e;              /* PASSED: the entry, decoded */
    const store_batch_t *b;       /* its batch */
    size_t k;                     /* its place there */
};

struct store_i_ahead {
    store_i_helper_t *helper;     /* the thread that checks it */
    store_i_ahead_slot_t *slots;  /* every entry of the group, in order */
    size_t n;                     /* how many */
    size_t *first;                /* batch i's first slot (nb + 1 of them) */
    size_t nb;                    /* batches */
    store_i_ahead_check_fn check; /* the ingest's checks */
    const char *coord;            /* the coordinator's id, "" unknown */
    atomic_bool stop;             /* the ingest is done: stop */
};

struct store_i_helper {
    pthread_t thread;       /* the helper */
    pthread_mutex_t mutex;  /* guards the two below */
    pthread_cond_t cond;    /* either changed */
    store_i_ahead_t *group; /* the group to check, NULL while none */
    bool quit;              /* end the thread */
};

/* The ingest's checks of the entry, then its leaf hash. */
static bool
s_passes(const store_i_ahead_t *self, store_i_ahead_slot_t *s)
{
    const proto_bytes_t *bytes = &s->b->entries[s->k];
    if (!self->check(s->b, s->k, self->coord, &s->e))
        return false;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, bytes->data, bytes->len, s->leaf);
    return true;
}

/* Checks a group's entries in order, skipping those the ingest took,
 * until the last or until told to stop. */
static void
s_check_group(store_i_ahead_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        if (atomic_load_explicit(&self->stop, memory_order_relaxed))
            break;
        store_i_ahead_slot_t *s = &self->slots[i];
        unsigned char free_ = S_FREE;
        if (!atomic_compare_exchange_strong_explicit(
                &s->state, &free_, S_HELPER, memory_order_acquire,
                memory_order_relaxed))
            continue; /* the ingest caught up and took it */
        bool ok = s_passes(self, s);
        atomic_store_explicit(&s->state, ok ? S_PASSED : S_FAILED,
                              memory_order_release);
    }
}

static void *
s_helper(void *arg)
{
    store_i_helper_t *h = arg;
    pthread_mutex_lock(&h->mutex);
    for (;;) {
        while (!h->group && !h->quit)
            pthread_cond_wait(&h->cond, &h->mutex);
        if (h->quit)
            break;
        store_i_ahead_t *g = h->group;
        pthread_mutex_unlock(&h->mutex);
        s_check_group(g);
        pthread_mutex_lock(&h->mutex);
        h->group = NULL; /* left it: its owner may free it */
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
    free(h);
    *helper = NULL;
}

/* Waits until the helper has left its group (h->mutex held). */
static void
s_wait_left(store_i_helper_t *h)
{
    while (h->group)
        pthread_cond_wait(&h->cond, &h->mutex);
}

static void
s_group_free(store_i_ahead_t *self)
{
    free(self->slots);
    free(self->first);
    free(self);
}

store_i_ahead_t *
store_i_ahead_start(store_i_helper_t **helper, const store_batch_t *const *b,
                    size_t n, store_i_ahead_check_fn check, const char *coord,
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
     * its entry and leaf are read only once it has PASSED. */
    self->slots = malloc(total * sizeof *self->slots);
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
        }
    }
    self->first[n] = at;
    self->n = total;
    self->nb = n;
    self->check = check;
    self->coord = coord;
    self->helper = *helper;
    atomic_init(&self->stop, false);
    store_i_helper_t *h = *helper;
    pthread_mutex_lock(&h->mutex);
    s_wait_left(h); /* none: groups are one at a time */
    h->group = self;
    pthread_cond_broadcast(&h->cond);
    if (first)
        s_wait_left(h);
    pthread_mutex_unlock(&h->mutex);
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
                   uint8_t leaf[PROTO_HASH_LEN])
{
    if (!slots)
        return false;
    store_i_ahead_slot_t *s = &slots[k];
    unsigned char st = S_FREE;
    if (atomic_compare_exchange_strong_explicit(
            &s->state, &st, S_MINE, memory_order_acquire, memory_order_acquire))
        return false; /* the helper never reached it */
    /* HELPER: it is being checked; not waited for (the helper may be off
     * its core), checked here too. FAILED, MINE: checked here. */
    if (st != S_PASSED)
        return false;
    *e = s->e;
    memcpy(leaf, s->leaf, PROTO_HASH_LEN);
    return true;
}

void
store_i_ahead_stop(store_i_ahead_t **self)
{
    if (!self || !*self)
        return;
    store_i_ahead_t *a = *self;
    store_i_helper_t *h = a->helper;
    atomic_store_explicit(&a->stop, true, memory_order_relaxed);
    pthread_mutex_lock(&h->mutex);
    if (h->group == a)
        s_wait_left(h);
    pthread_mutex_unlock(&h->mutex);
    s_group_free(a);
    *self = NULL;
}
