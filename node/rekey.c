/* vocfed: a member's key replaced without a new identity (rekey.h). */
#include "node/rekey.h"
#include "node/roster.h"
#include "protocol/handover.h"
#include "protocol/hash.h"
#include "storage/backup.h"

#include <czmq.h>
#include <string.h>

/* What node_rekey_history gathers. */
typedef struct {
    const char *coord_id; /* whose log */
    const char *id;       /* the member */
    store_key_t *out;     /* the steps */
    size_t cap;           /* room */
    size_t n;             /* so far */
    int bad;              /* a status that stopped the scan */
} s_hist_t;

/* A member_key entry's pubkey and key_from. */
static int
s_entry_key(const proto_entry_t *e, uint8_t pk[PROTO_PUBKEY_LEN],
            uint64_t *from)
{
    proto_value_t v;
    *from = 0;
    if (proto_body_get(e->body, e->body_len, "pubkey", &v) ||
        v.type != PROTO_VAL_STR || v.slen != 2 * PROTO_PUBKEY_LEN)
        return VOCFED_EMALFORMED;
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    memcpy(hex, v.s, v.slen);
    hex[v.slen] = 0;
    if (!proto_unhex_lower(hex, pk, PROTO_PUBKEY_LEN))
        return VOCFED_EMALFORMED;
    int rc = proto_body_get(e->body, e->body_len, "key_from", &v);
    if (rc == VOCFED_ENOTFOUND)
        return VOCFED_OK;
    if (rc || v.type != PROTO_VAL_INT || v.i < 0)
        return VOCFED_EMALFORMED;
    *from = (uint64_t)v.i;
    return VOCFED_OK;
}

static int
s_hist_entry(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    s_hist_t *h = ctx;
    proto_entry_t e;
    uint8_t pk[PROTO_PUBKEY_LEN];
    uint64_t from;
    size_t idlen = strlen(h->id);
    (void)seq;
    if (proto_entry_decode(data, len, &e) || e.op != PROTO_OP_PUT ||
        e.kind_len != strlen(NODE_ROSTER_KIND) ||
        memcmp(e.kind, NODE_ROSTER_KIND, e.kind_len) || e.key_len != idlen ||
        memcmp(e.key, h->id, idlen))
        return 0;
    if ((h->bad = s_entry_key(&e, pk, &from)))
        return 1;
    if (h->n && memcmp(h->out[h->n - 1].pk, pk, PROTO_PUBKEY_LEN) == 0)
        return 0; /* another change of the same member (status, name) */
    if (h->n > 1 && from == 0 && h->out[h->n - 1].from == 0) {
        /* replaced again before anything was signed: the last one holds */
        memcpy(h->out[h->n - 1].pk, pk, PROTO_PUBKEY_LEN);
        return 0;
    }
    if (h->n && from <= h->out[h->n - 1].from && from > 0) {
        h->bad = VOCFED_EMALFORMED; /* a step back */
        return 1;
    }
    if (h->n == h->cap) {
        h->bad = VOCFED_ETOOLARGE;
        return 1;
    }
    store_key_t *k = &h->out[h->n];
    k->from = h->n ? from : 0;
    memcpy(k->pk, pk, PROTO_PUBKEY_LEN);
    k->how = h->n ? STORE_KEY_VOUCHED : STORE_KEY_FIRST;
    h->n++;
    return 0;
}

int
node_rekey_history(store_t *store, const char *coord_id, const char *id,
                   store_key_t *out, size_t cap, size_t *n)
{
    s_hist_t h = {coord_id, id, out, cap, 0, 0};
    int rc = store_scan_entries(store, coord_id, 1, s_hist_entry, &h);
    *n = h.n;
    if (rc == 1)
        return h.bad;
    if (rc)
        return rc;
    return h.n ? VOCFED_OK : VOCFED_ENOTFOUND;
}

/* The size of id's log held, which must be its latest checkpoint's. */
static int
s_held_whole(store_t *store, const char *id, uint64_t *size)
{
    store_head_t head;
    proto_buf_t cp;
    proto_checkpoint_t c = {0};
    int rc = store_head(store, id, &head);
    if (rc)
        return rc;
    proto_buf_init(&cp);
    rc = store_checkpoint_latest(store, id, &cp);
    if (rc == VOCFED_OK)
        rc = proto_checkpoint_peek(cp.data, cp.len, &c);
    else if (rc == VOCFED_ENOTFOUND)
        rc = VOCFED_OK;
    proto_buf_release(&cp);
    if (rc)
        return rc;
    *size = head.size;
    return head.size == c.size ? VOCFED_OK : VOCFED_EINVALID;
}

int
node_rekey_vouch(store_t *store, const char *coord_id, const uint8_t *sk,
                 const char *id, const uint8_t pk[PROTO_PUBKEY_LEN],
                 uint64_t *from)
{
    node_roster_t r = {0};
    uint8_t cur[PROTO_PUBKEY_LEN];
    int rc = node_roster_load(store, coord_id, &r);
    if (rc)
        return rc;
    const node_member_t *m = node_roster_find(&r, id);
    node_member_t me = m ? *m : (node_member_t){0};
    node_roster_release(&r);
    if (!m)
        return VOCFED_ENOTFOUND;
    if (me.status == NODE_MEMBER_REVOKED)
        return VOCFED_EINVALID;
    if (memcmp(me.pk, pk, PROTO_PUBKEY_LEN) == 0) {
        /* The roster says so already: an earlier run stopped before the
         * store's history, or is complete. */
        *from = me.key_from;
        if ((rc = store_author_key(store, id, cur)))
            return rc;
        if (memcmp(cur, pk, PROTO_PUBKEY_LEN) == 0)
            return VOCFED_OK;
        return store_author_rekey(store, id, me.key_from, pk);
    }
    if ((rc = node_roster_key_unused(store, coord_id, pk, NULL)) ||
        (rc = s_held_whole(store, id, from)) ||
        (rc = node_roster_set_key(store, coord_id, sk, id, pk, *from)))
        return rc;
    if ((rc = store_author_rekey(store, id, *from, pk)))
        zsys_error("rekey: roster changed but the key history not "
                   "member=%s reason=%s (run the same rekey again)",
                   id, vocfed_status_token(rc));
    return rc;
}

int
node_rekey_follow(store_t *store, const char *coord_id, const uint8_t *sk,
                  const char *id, bool *changed)
{
    store_key_t keys[STORE_KEYS_MAX];
    node_roster_t r = {0};
    size_t n;
    *changed = false;
    int rc = store_author_keys(store, id, keys, STORE_KEYS_MAX, &n);
    if (rc == VOCFED_ENOTFOUND)
        return VOCFED_OK; /* not registered: nothing of it taken in */
    if (rc || (rc = node_roster_load(store, coord_id, &r)))
        return rc;
    const node_member_t *m = node_roster_find(&r, id);
    const store_key_t *last = &keys[n - 1];
    bool differs = m && memcmp(m->pk, last->pk, PROTO_PUBKEY_LEN) != 0;
    node_roster_release(&r);
    /* Only a handover the member signed moves the roster here; a key
     * vouched for is on the roster before it is in the history. */
    if (!differs || last->how != STORE_KEY_HANDOVER)
        return VOCFED_OK;
    rc = node_roster_set_key(store, coord_id, sk, id, last->pk, last->from);
    if (rc == VOCFED_OK) {
        *changed = true;
        zsys_info("roster: member=%s key replaced by its handover at seq "
                  "%llu: the old key is refused from now on",
                  id, (unsigned long long)last->from);
    }
    return rc;
}

int
node_rekey_adopt(store_t *store, const char *coord_id, const char *id,
                 const uint8_t own_pk[PROTO_PUBKEY_LEN])
{
    store_key_t keys[STORE_KEYS_MAX];
    size_t n;
    int rc = node_rekey_history(store, coord_id, id, keys, STORE_KEYS_MAX, &n);
    if (rc)
        return rc;
    if (memcmp(keys[n - 1].pk, own_pk, PROTO_PUBKEY_LEN) != 0)
        return VOCFED_EKEY;
    return store_author_keys_adopt(store, id, keys, n);
}

int
node_rekey_handover(node_t *node, const uint8_t newpk[PROTO_PUBKEY_LEN],
                    uint64_t *seq)
{
    proto_buf_t body;
    store_head_t head;
    char why[2];
    const char *id = node_id(node);
    if (!id || !node_sk(node))
        return VOCFED_EINVALID;
    int rc = store_fence_get(node_store(node), why, sizeof why);
    if (rc != VOCFED_ENOTFOUND)
        return rc == VOCFED_OK || rc == VOCFED_ETOOLARGE ? VOCFED_EFENCED : rc;
    proto_buf_init(&body);
    if ((rc = proto_handover_body(newpk, &body)) == VOCFED_OK) {
        store_record_t rec = {.op = PROTO_OP_PUT,
                              .kind = PROTO_HANDOVER_KIND,
                              .key = id,
                              .body = body.data,
                              .body_len = body.len};
        /* Not through node_append: the kinds table has no handover. */
        rc = store_append(node_store(node), id, node_sk(node), &rec, 1, 0,
                          &head, NULL);
        *seq = head.size;
    }
    proto_buf_release(&body);
    return rc;
}
