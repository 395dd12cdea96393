/* vocfed: the figures' working set map (see figures_map.h). */
#include "node/figures_map.h"

#include "protocol/tabhash.h"

#include <stdlib.h>
#include <string.h>

#define S_PAGE_BITS 12
#define S_PAGE (1u << S_PAGE_BITS) /* values per page */

typedef struct {
    node_figx_val_t v; /* the value */
    uint64_t hash;     /* its key's hash */
    size_t koff;       /* its key in the arena */
    size_t doff;       /* its stored key in the arena */
    uint32_t dlen;     /* and that one's length */
} s_slot_t;

struct node_figx_map {
    s_slot_t **pages;   /* values, in the order added */
    size_t npages;      /* pages allocated */
    size_t n;           /* values in use */
    size_t nused_ever;  /* values whose blob was ever initialised */
    uint64_t *table;    /* the key's hash's top 32 bits << 32 | 1 + value
                           index, 0: empty (a probe reads a value only
                           when the top bits match) */
    size_t tcap;        /* table slots (a power of 2) */
    char *keys;         /* the key arena: each key, then its stored
                           form */
    size_t kused, kcap; /* used, allocated */
    uint64_t seed;      /* the keys' hash's (protocol/tabhash.h) */
};

static uint64_t
s_hash(const node_figx_map_t *self, const char *key, size_t *len)
{
    *len = strlen(key);
    return proto_tabhash(self->seed, key, *len);
}

static s_slot_t *
s_slot(const node_figx_map_t *self, size_t i)
{
    return &self->pages[i >> S_PAGE_BITS][i & (S_PAGE - 1)];
}

node_figx_map_t *
node_figx_map_new(void)
{
    node_figx_map_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->tcap = 1024;
    self->seed = proto_tabhash_seed();
    self->table = calloc(self->tcap, sizeof *self->table);
    if (!self->table) {
        free(self);
        return NULL;
    }
    return self;
}

void
node_figx_map_destroy(node_figx_map_t **self)
{
    if (!self || !*self)
        return;
    node_figx_map_t *m = *self;
    for (size_t i = 0; i < m->nused_ever; i++)
        proto_buf_release(&s_slot(m, i)->v.blob);
    for (size_t i = 0; i < m->npages; i++)
        free(m->pages[i]);
    free(m->pages);
    free(m->table);
    free(m->keys);
    free(m);
    *self = NULL;
}

void
node_figx_map_reset(node_figx_map_t *self)
{
    if (self->n)
        memset(self->table, 0, self->tcap * sizeof *self->table);
    self->n = 0;
    self->kused = 0;
}

size_t
node_figx_map_size(const node_figx_map_t *self)
{
    return self->n;
}

static bool
s_eq(const node_figx_map_t *self, const s_slot_t *s, uint64_t h,
     const char *key, size_t len)
{
    return s->hash == h && !memcmp(self->keys + s->koff, key, len + 1);
}

node_figx_val_t *
node_figx_map_get(node_figx_map_t *self, const char *key)
{
    node_figx_probe_t pr;
    return node_figx_map_find(self, key, &pr);
}

node_figx_val_t *
node_figx_map_find(node_figx_map_t *self, const char *key,
                   node_figx_probe_t *pr)
{
    size_t len;
    uint64_t h = pr->hash = s_hash(self, key, &len);
    pr->len = len;
    for (size_t i = h & (self->tcap - 1);; i = (i + 1) & (self->tcap - 1)) {
        uint64_t x = self->table[i];
        if (!x)
            return NULL;
        if (x >> 32 != h >> 32)
            continue;
        s_slot_t *s = s_slot(self, (uint32_t)x - 1);
        if (s_eq(self, s, h, key, len))
            return &s->v;
    }
}

/* Doubles the table and places every value again. */
static int
s_grow_table(node_figx_map_t *self)
{
    size_t cap = self->tcap * 2;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t v = 0; v < self->n; v++) {
        uint64_t h = s_slot(self, v)->hash;
        size_t i = h & (cap - 1);
        while (t[i])
            i = (i + 1) & (cap - 1);
        t[i] = (h >> 32) << 32 | ((uint64_t)v + 1);
    }
    free(self->table);
    self->table = t;
    self->tcap = cap;
    return 0;
}

/* Room for one more value and len bytes of keys. */
static int
s_room(node_figx_map_t *self, size_t len)
{
    if (self->n >= UINT32_MAX - 1)
        return -1;
    if (2 * (self->n + 1) > self->tcap && s_grow_table(self))
        return -1;
    if ((self->n >> S_PAGE_BITS) >= self->npages) {
        s_slot_t **p = realloc(self->pages, (self->npages + 1) * sizeof *p);
        if (!p)
            return -1;
        self->pages = p;
        if (!(p[self->npages] = malloc(S_PAGE * sizeof **p)))
            return -1;
        self->npages++;
    }
    if (self->kcap - self->kused < len) {
        size_t cap = self->kcap ? 2 * self->kcap : 1 << 16;
        while (cap - self->kused < len)
            cap *= 2;
        char *k = realloc(self->keys, cap);
        if (!k)
            return -1;
        self->keys = k;
        self->kcap = cap;
    }
    return 0;
}

node_figx_val_t *
node_figx_map_add(node_figx_map_t *self, const char *key,
                  const node_figx_probe_t *pr, const uint8_t *disk, size_t dlen)
{
    size_t len = pr->len;
    uint64_t h = pr->hash;
    if (dlen > UINT32_MAX || s_room(self, len + 1 + dlen))
        return NULL;
    s_slot_t *s = s_slot(self, self->n);
    if (self->n == self->nused_ever) {
        proto_buf_init(&s->v.blob);
        self->nused_ever++;
    }
    proto_buf_t blob = s->v.blob;
    proto_buf_reset(&blob);
    s->v = (node_figx_val_t){.blob = blob};
    s->hash = h;
    s->koff = self->kused;
    memcpy(self->keys + self->kused, key, len + 1);
    self->kused += len + 1;
    s->doff = self->kused;
    s->dlen = (uint32_t)dlen;
    memcpy(self->keys + self->kused, disk, dlen);
    self->kused += dlen;
    size_t i = h & (self->tcap - 1);
    while (self->table[i])
        i = (i + 1) & (self->tcap - 1);
    self->table[i] = (h >> 32) << 32 | (uint64_t)++self->n;
    return &s->v;
}

node_figx_val_t *
node_figx_map_at(node_figx_map_t *self, size_t i, const char **key)
{
    s_slot_t *s = s_slot(self, i);
    *key = self->keys + s->koff;
    return &s->v;
}

const uint8_t *
node_figx_map_disk(const node_figx_map_t *self, size_t i, size_t *len)
{
    const s_slot_t *s = s_slot(self, i);
    *len = s->dlen;
    return (const uint8_t *)self->keys + s->doff;
}

void
node_figx_map_prefetch(const node_figx_map_t *self, size_t i, bool key)
{
    const s_slot_t *s = s_slot(self, i);
    if (key)
        __builtin_prefetch(self->keys + s->doff);
    else
        __builtin_prefetch(s);
}
