/* vocfed: what an old store holds that the coordinator never received
 * (SPEC 5.6). */
#include "node/restore.h"
#include "protocol/entry.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NAME_MAX (PROTO_KIND_MAX + 1 + PROTO_KEY_MAX + 1)

/* One record to sign again. */
typedef struct {
    uint64_t old_seq; /* its entry in the old store */
    char *kind;       /* owned */
    char *key;        /* owned */
    uint8_t *body;    /* owned; NULL for a del */
    size_t body_len;  /* its length */
    proto_op_t op;    /* put or del */
} s_item_t;

struct node_restore_plan_t {
    s_item_t *items;      /* owned, in old seq order */
    store_record_t *recs; /* the same as records; borrow from items */
    size_t n;             /* how many */
    size_t cap;           /* allocated */
};

/* "kind\x1fkey" (keys and kinds are printable: no 0x1f in them). */
static int
s_name(const proto_entry_t *e, char out[S_NAME_MAX])
{
    int n = snprintf(out, S_NAME_MAX, "%.*s\x1f%.*s", (int)e->kind_len, e->kind,
                     (int)e->key_len, e->key);
    return n < 0 || n >= S_NAME_MAX ? VOCFED_EMALFORMED : 0;
}

/* store_scan_entries: the last seq of each (kind, key) into a zhash. */
static int
s_last_fn(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    zhash_t *last = ctx;
    proto_entry_t e;
    char name[S_NAME_MAX], val[24];
    int rc = proto_entry_decode(data, len, &e);
    if (rc || (rc = s_name(&e, name)))
        return rc;
    snprintf(val, sizeof val, "%" PRIu64, seq);
    zhash_update(last, name, val); /* czmq aborts when out of memory */
    return 0;
}

/* The last seq of each (kind, key) of author's log in st. Returns 0 with
 * *out owned by the caller, or a status. */
static int
s_last(store_t *st, const char *author, zhash_t **out)
{
    zhash_t *last = zhash_new();
    if (!last)
        return VOCFED_ENOMEM;
    zhash_autofree(last);
    int rc = store_scan_entries(st, author, 1, s_last_fn, last);
    if (rc)
        zhash_destroy(&last);
    *out = last;
    return rc;
}

static uint64_t
s_seq(const char *s)
{
    return s ? strtoull(s, NULL, 10) : 0; /* ours: digits only */
}

/* Whether the record e of the old store still has to be signed: cur
 * does not hold that very entry at its seq, and its current record
 * (cur_seq, 0: none) differs. Sets *need. Returns 0 or a status. */
static int
s_needed(store_t *cur, const char *author, const proto_buf_t *old_bytes,
         const proto_entry_t *e, uint64_t cur_seq, bool *need)
{
    proto_buf_t b;
    proto_entry_t c;
    proto_buf_init(&b);
    *need = false;
    int rc = store_entry_get(cur, author, e->seq, &b);
    if (rc == VOCFED_OK && b.len == old_bytes->len &&
        memcmp(b.data, old_bytes->data, b.len) == 0)
        goto done; /* the coordinator received it */
    if (rc && rc != VOCFED_ENOTFOUND)
        goto done;
    rc = 0;
    if (!cur_seq) {
        *need = e->op == PROTO_OP_PUT;
        goto done;
    }
    proto_buf_reset(&b);
    if ((rc = store_entry_get(cur, author, cur_seq, &b)) ||
        (rc = proto_entry_decode(b.data, b.len, &c)))
        goto done;
    if (e->op == PROTO_OP_DEL)
        *need = c.op == PROTO_OP_PUT;
    else
        *need = c.op != PROTO_OP_PUT || c.body_len != e->body_len ||
                memcmp(c.body, e->body, e->body_len) != 0;
done:
    proto_buf_release(&b);
    return rc;
}

static char *
s_dup(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

/* Adds e to the plan. Returns 0 or VOCFED_ENOMEM. */
static int
s_add(node_restore_plan_t *p, const proto_entry_t *e)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        s_item_t *items = realloc(p->items, cap * sizeof *items);
        if (!items)
            return VOCFED_ENOMEM;
        p->items = items;
        p->cap = cap;
    }
    s_item_t *it = &p->items[p->n];
    memset(it, 0, sizeof *it);
    it->old_seq = e->seq;
    it->op = e->op;
    it->kind = s_dup(e->kind, e->kind_len);
    it->key = s_dup(e->key, e->key_len);
    if (e->body && (it->body = malloc(e->body_len ? e->body_len : 1)))
        memcpy(it->body, e->body, e->body_len);
    it->body_len = e->body_len;
    p->n++;
    if (!it->kind || !it->key || (e->body && !it->body))
        return VOCFED_ENOMEM;
    return 0;
}

static int
s_cmp(const void *a, const void *b)
{
    const s_item_t *x = a, *y = b;
    return (x->old_seq > y->old_seq) - (x->old_seq < y->old_seq);
}

/* Walks old's last entries against cur's. Returns 0 or a status. */
static int
s_walk(node_restore_plan_t *p, store_t *old, store_t *cur, const char *author,
       zhash_t *old_last, zhash_t *cur_last)
{
    proto_buf_t b;
    proto_entry_t e;
    int rc = 0;
    proto_buf_init(&b);
    for (const char *v = zhash_first(old_last); v && !rc;
         v = zhash_next(old_last)) {
        bool need;
        proto_buf_reset(&b);
        if ((rc = store_entry_get(old, author, s_seq(v), &b)) ||
            (rc = proto_entry_decode(b.data, b.len, &e)))
            break;
        uint64_t cur_seq =
            s_seq(zhash_lookup(cur_last, zhash_cursor(old_last)));
        if (!(rc = s_needed(cur, author, &b, &e, cur_seq, &need)) && need)
            rc = s_add(p, &e); /* e borrows from b: copied */
    }
    proto_buf_release(&b);
    return rc;
}

/* The records from the items, in old seq order. */
static int
s_records(node_restore_plan_t *p)
{
    if (!p->n)
        return 0;
    qsort(p->items, p->n, sizeof *p->items, s_cmp);
    p->recs = calloc(p->n, sizeof *p->recs);
    if (!p->recs)
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < p->n; i++)
        p->recs[i] = (store_record_t){p->items[i].op,       p->items[i].kind,
                                      p->items[i].key,      p->items[i].body,
                                      p->items[i].body_len, false};
    return 0;
}

int
node_restore_plan(store_t *old, store_t *cur, const char *author,
                  node_restore_plan_t **out)
{
    zhash_t *old_last = NULL, *cur_last = NULL;
    *out = NULL;
    node_restore_plan_t *p = calloc(1, sizeof *p);
    if (!p)
        return VOCFED_ENOMEM;
    int rc = s_last(old, author, &old_last);
    if (!rc)
        rc = s_last(cur, author, &cur_last);
    if (!rc)
        rc = s_walk(p, old, cur, author, old_last, cur_last);
    if (!rc)
        rc = s_records(p);
    zhash_destroy(&old_last);
    zhash_destroy(&cur_last);
    if (rc)
        node_restore_plan_destroy(&p);
    *out = p;
    return rc;
}

void
node_restore_plan_destroy(node_restore_plan_t **self)
{
    if (!self || !*self)
        return;
    node_restore_plan_t *p = *self;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].kind);
        free(p->items[i].key);
        free(p->items[i].body);
    }
    free(p->items);
    free(p->recs);
    free(p);
    *self = NULL;
}

const store_record_t *
node_restore_plan_records(const node_restore_plan_t *self, size_t *n)
{
    *n = self->n;
    return self->recs;
}

uint64_t
node_restore_plan_old_seq(const node_restore_plan_t *self, size_t i)
{
    return i < self->n ? self->items[i].old_seq : 0;
}
