/* vocfed: raw writes below the store's checks, for tests only. */
#include "storage/store_test.h"
#include "storage/log_internal.h"
#include "storage/persons.h"

#include <string.h>

typedef struct {
    store_raw_t what;    /* which database */
    const char *author;  /* whose */
    uint64_t key;        /* seq, size or level << 56 | index */
    const char *name;    /* record kind 0x00 key */
    size_t name_len;     /* its length */
    const uint8_t *data; /* new value, or NULL to delete */
    size_t len;          /* its length */
} s_raw_ctx_t;

/* Replaces one half of a stored entry value (leaf hash || entry bytes),
 * keeping the other. */
static int
s_raw_entry(store_t *self, MDB_txn *txn, MDB_val *key, const s_raw_ctx_t *r)
{
    MDB_val old;
    int rc = mdb_get(txn, self->entries, key, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    uint8_t leaf[PROTO_HASH_LEN] = {0};
    const uint8_t *bytes = NULL;
    size_t nbytes = 0;
    if (rc == MDB_SUCCESS && old.mv_size >= PROTO_HASH_LEN) {
        memcpy(leaf, old.mv_data, PROTO_HASH_LEN);
        bytes = (const uint8_t *)old.mv_data + PROTO_HASH_LEN;
        nbytes = old.mv_size - PROTO_HASH_LEN;
    }
    if (r->what == STORE_RAW_LEAF) {
        if (r->len != PROTO_HASH_LEN)
            return VOCFED_EINVALID;
        memcpy(leaf, r->data, PROTO_HASH_LEN);
    } else {
        bytes = r->data;
        nbytes = r->len;
    }
    proto_buf_t v;
    proto_buf_init(&v);
    if ((rc = proto_buf_append(&v, leaf, PROTO_HASH_LEN)) ||
        (rc = proto_buf_append(&v, bytes, nbytes))) {
        proto_buf_release(&v);
        return rc;
    }
    MDB_val d = {v.len, v.data};
    rc = mdb_put(txn, self->entries, key, &d, 0);
    proto_buf_release(&v);
    return rc;
}

static int
s_raw_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_raw_ctx_t *r = ctx;
    uint32_t no;
    uint8_t k[4 + STORE_KEY_RECORD_MAX];
    MDB_val key = {0, k};
    MDB_dbi dbi;
    int rc = store_i_authno(txn, self, r->author, &no);
    if (rc)
        return rc;
    switch (r->what) {
    case STORE_RAW_ENTRY:
    case STORE_RAW_LEAF:
        store_i_key_entry(k, no, r->key);
        key.mv_size = STORE_KEY_ENTRY_LEN;
        dbi = self->entries;
        if (r->data)
            return s_raw_entry(self, txn, &key, r);
        break;
    case STORE_RAW_CHECKPOINT:
        store_i_key_cp(k, no, r->key);
        key.mv_size = STORE_KEY_CP_LEN;
        dbi = self->checkpoints;
        break;
    case STORE_RAW_NODE:
        store_i_key_node(k, no, (unsigned)(r->key >> 56),
                         r->key & ((UINT64_C(1) << 56) - 1));
        key.mv_size = STORE_KEY_NODE_LEN;
        dbi = self->nodes;
        break;
    default:
        return VOCFED_EINVALID;
    }
    if (!r->data)
        return mdb_del(txn, dbi, &key, NULL);
    MDB_val d = {r->len, (void *)r->data};
    return mdb_put(txn, dbi, &key, &d, 0);
}

/* A row of the record index (derived environment); ctx's key is the
 * author's number, found in the log first. */
static int
s_raw_record_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_raw_ctx_t *r = ctx;
    uint8_t k[STORE_KEY_RECORD_MAX];
    size_t kl = strnlen(r->name, r->name_len);
    if (kl >= r->name_len || kl > PROTO_KIND_MAX ||
        r->name_len - kl - 1 > PROTO_KEY_MAX)
        return VOCFED_EINVALID;
    /* Encoded as the index encodes it (SPEC 5.1). */
    size_t len = store_i_key_record(k, (uint32_t)r->key, r->name, kl,
                                    r->name + kl + 1, r->name_len - kl - 1);
    int rc = store_i_pkey(self, txn, k, len, 4, r->data != NULL, k, &len);
    MDB_val key = {len, k};
    if (rc)
        return rc;
    if (!r->data)
        return mdb_del(txn, self->records, &key, NULL);
    MDB_val d = {r->len, (void *)r->data};
    return mdb_put(txn, self->records, &key, &d, 0);
}

static int
s_raw_authno_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_raw_ctx_t *r = ctx;
    uint32_t no;
    int rc = store_i_authno(txn, self, r->author, &no);
    r->key = no;
    return rc;
}

int
store_raw_put(store_t *self, store_raw_t what, const char *author, uint64_t key,
              const char *name, size_t name_len, const uint8_t *data,
              size_t len)
{
    s_raw_ctx_t r = {what, author, key, name, name_len, data, len};
    if (what != STORE_RAW_RECORD)
        return store_i_write(self, s_raw_txn, &r);
    int rc = store_i_read(self, s_raw_authno_txn, &r);
    return rc ? rc : store_i_dwrite(self, s_raw_record_txn, &r);
}

void
store_test_map_stats(const store_t *self, uint64_t *reserved, uint64_t *redone)
{
    *reserved = self->reserved;
    *redone = self->redone;
}

uint64_t
store_test_dmap_redone(const store_t *self)
{
    return self->dredone;
}

void
store_test_ahead(store_t *self, size_t min, bool first)
{
    self->ahead_min = min;
    self->ahead_first = first;
}

void
store_test_ahead_idle(store_t *self, bool idle)
{
    self->ahead_idle = idle;
}

uint64_t
store_test_next_taken(const store_t *self)
{
    return self->next_taken;
}

uint64_t
store_test_inext_taken(const store_t *self)
{
    return self->inext_taken;
}

uint64_t
store_test_flat_redone(const store_t *self)
{
    return self->flat_redone;
}

size_t
store_test_ahead_slots(const store_t *self)
{
    return store_i_helper_slots(self->helper);
}

uint64_t
store_test_enc_taken(const store_t *self)
{
    return self->enc_taken;
}

uint64_t
store_test_blocks_whole(const store_t *self)
{
    return self->blocks_whole;
}

/* ---- the log's pages --------------------------------------------------- */

static int
s_entry_pages_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    MDB_stat st;
    int rc = mdb_stat(txn, self->entries, &st);
    if (rc == MDB_SUCCESS) {
        ((uint64_t *)ctx)[0] = st.ms_leaf_pages;
        ((uint64_t *)ctx)[1] = st.ms_entries;
    }
    return rc;
}

int
store_test_entry_pages(store_t *self, uint64_t *leaf_pages, uint64_t *entries)
{
    uint64_t r[2] = {0, 0};
    int rc = store_i_read(self, s_entry_pages_txn, r);
    *leaf_pages = r[0];
    *entries = r[1];
    return rc;
}

/* ---- the figures' pages ----------------------------------------------- */

static int
s_figures_pages_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    uint64_t *r = ctx;
    MDB_stat st;
    MDB_cursor *c;
    MDB_val k, d;
    int rc = mdb_stat(txn, self->figures, &st);
    if (rc || (rc = mdb_cursor_open(txn, self->figures, &c)))
        return rc;
    r[0] = st.ms_leaf_pages;
    r[1] = st.ms_psize;
    r[2] = r[3] = 0;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        /* A leaf node: its 8-byte header, the key and the value (even
         * length), and its 2-byte pointer in the page. */
        r[2] += 8 + ((k.mv_size + d.mv_size + 1) & ~(size_t)1) + 2;
        r[3] += k.mv_data && ((const uint8_t *)k.mv_data)[0] == STORE_KEY_LED;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int
store_test_figures_pages(store_t *self, uint64_t *leaf_pages,
                         uint64_t *page_size, uint64_t *bytes, uint64_t *led)
{
    uint64_t r[4] = {0, 0, 0, 0};
    int rc = store_i_read_derived(self, s_figures_pages_txn, r);
    *leaf_pages = r[0];
    *page_size = r[1];
    *bytes = r[2];
    *led = r[3];
    return store_i_status(rc);
}

/* ---- person numbers ------------------------------------------------- */

typedef struct {
    const uint8_t *pids;
    size_t n;
    bool fail;
    uint32_t *nos;
} s_give_t;

static int
s_give_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_give_t *g = ctx;
    for (size_t i = 0; i < g->n; i++) {
        uint8_t k[35] = {'h', '|', STORE_KEY_PSEUDO}, out[35];
        size_t len;
        memcpy(k + 3, g->pids + 32 * i, 32);
        int rc = store_i_pkey(self, txn, k, sizeof k, 0, true, out, &len);
        if (rc)
            return rc;
        if (len != 7 || out[0] != STORE_KEY_LED || memcmp(out + 5, "h|", 2))
            return VOCFED_ECORRUPT; /* led by the person (persons.h) */
        g->nos[i] = store_i_rd32(out + 1);
    }
    return g->fail ? VOCFED_ESTORE : MDB_SUCCESS;
}

int
store_test_persons_give(store_t *self, const uint8_t *pids, size_t n, bool fail,
                        uint32_t *nos)
{
    s_give_t g = {pids, n, fail, nos};
    return store_i_status(store_i_dwrite(self, s_give_txn, &g));
}

typedef struct {
    const uint8_t *pid;
    uint32_t *no;
    uint64_t *count;
    uint64_t *settled;
} s_person_t;

static int
s_person_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_person_t *p = ctx;
    MDB_stat a, y, b;
    int rc = store_i_persons_get(self, txn, p->pid, p->no);
    if (rc == MDB_NOTFOUND)
        *p->no = 0;
    else if (rc)
        return rc;
    if ((rc = mdb_stat(txn, self->persons, &a)) ||
        (rc = mdb_stat(txn, self->pnew, &y)) ||
        (rc = mdb_stat(txn, self->pnums, &b)))
        return rc;
    *p->count = a.ms_entries + y.ms_entries;
    if (p->settled)
        *p->settled = a.ms_entries;
    return *p->count == b.ms_entries ? MDB_SUCCESS : VOCFED_ECORRUPT;
}

int
store_test_person(store_t *self, const uint8_t pid[32], uint32_t *no,
                  uint64_t *count)
{
    s_person_t p = {pid, no, count, NULL};
    return store_i_status(store_i_read_derived(self, s_person_txn, &p));
}

int
store_test_persons_settled(store_t *self, const uint8_t pid[32], uint32_t *no,
                           uint64_t *count, uint64_t *settled)
{
    s_person_t p = {pid, no, count, settled};
    return store_i_status(store_i_read_derived(self, s_person_txn, &p));
}

typedef struct {
    const uint8_t *pid;
    uint32_t no;
} s_plant_t;

static int
s_plant_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_plant_t *p = ctx;
    uint8_t nb[4];
    store_i_be32(nb, p->no);
    MDB_val k = {32, (void *)p->pid}, d = {4, nb};
    return mdb_put(txn, self->persons, &k, &d, 0);
}

int
store_test_persons_plant(store_t *self, const uint8_t pid[32], uint32_t no)
{
    s_plant_t p = {pid, no};
    return store_i_status(store_i_dwrite(self, s_plant_txn, &p));
}

static int
s_settle_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    return store_i_persons_settle(self, txn, ctx);
}

int
store_test_persons_settle(store_t *self, size_t *moved)
{
    return store_i_status(store_i_dwrite(self, s_settle_txn, moved));
}

/* The derived data as layout 4 left it: every person in persons, no pnew
 * database, "v" 4. */
static int
s_layout4_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    size_t moved;
    uint8_t v[8];
    (void)ctx;
    store_i_be64(v, 4);
    MDB_val k = {1, "v"}, d = {8, v};
    int rc = store_i_persons_settle(self, txn, &moved);
    if (rc == MDB_SUCCESS)
        rc = mdb_drop(txn, self->pnew, 1);
    return rc ? rc : mdb_put(txn, self->applied, &k, &d, 0);
}

int
store_test_derived_layout4(store_t *self)
{
    return store_i_status(store_i_dwrite(self, s_layout4_txn, NULL));
}
